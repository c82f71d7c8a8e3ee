//go:build js && wasm

package main

import (
	"image"
	"image/color"
	"math"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	ebvector "github.com/hajimehoshi/ebiten/v2/vector"

	"github.com/lamina-ml/lamina/ui"
	"github.com/lamina-ml/lamina/vector"
)

// whiteSub is a 1×1 white source texel for DrawTriangles, inset so linear filtering never
// samples the image border.
var whiteSub = func() *ebiten.Image {
	img := ebiten.NewImage(3, 3)
	img.Fill(color.White)
	return img.SubImage(image.Rect(1, 1, 2, 2)).(*ebiten.Image)
}()

// replayer draws display lists with ebiten, reusing its buffers.
//
// The drawing's layers (arbitrary, often self-intersecting outlines under nonzero/evenodd
// rules) are drawn one of two ways (Mode):
//   - renderVector: as ebiten vector paths with stencil fills (vecRenderer), the default on
//     a hardware GPU;
//   - renderRaster: rasterized on the CPU by the vector package — the same rasterizer the
//     native golden tests use — and uploaded as one image per run of layer ops. This is the
//     fallback for software WebGL (SwiftShader, llvmpipe: what headless Chromium and
//     GPU-less machines use), where the stencil passes run on the CPU and cost more than
//     our rasterizer (figures: e2e-editor/bench-render.mjs).
//
// The chrome (artboard, handles: convex fills; outlines: strokes) is drawn with ebiten's
// triangles either way.
type replayer struct {
	vs     []ebiten.Vertex
	is     []uint16
	pts    []vector.Point
	layers *ebiten.Image
	pix    []byte
	cache  []*rasterCache // per run of layer ops in a frame (renderRaster)
	// Scale is the resolution of the layer raster relative to the canvas (renderRaster).
	Scale float64
	// Mode chooses how layers are drawn; Live says a gesture is in progress.
	Mode renderMode
	Live bool
	vec  vecRenderer
}

// renderMode is how the replayer draws the drawing's layers.
type renderMode int

const (
	renderVector renderMode = iota
	renderRaster
)

func (m renderMode) String() string {
	if m == renderRaster {
		return "raster"
	}
	return "vector"
}

// flattenPx is the chord tolerance in device pixels for chrome shapes.
const flattenPx = 0.3

// maxVertices is what 16-bit indices address.
const maxVertices = 1 << 16

// strokeMiterLimit keeps sharp path corners of selection outlines from spiking.
const strokeMiterLimit = 4

// replay draws dl onto dst.
func (r *replayer) replay(dst *ebiten.Image, dl *ui.DisplayList) {
	dst.Fill(nrgba(dl.Background))
	ops := dl.Ops
	r.vs, r.is = r.vs[:0], r.is[:0]
	group := 0
	for i := 0; i < len(ops); {
		if ops[i].Kind == ui.OpFill && !ops[i].Convex {
			r.flushChrome(dst)
			j := i
			for j < len(ops) && ops[j].Kind == ui.OpFill && !ops[j].Convex {
				j++
			}
			if r.Mode == renderRaster {
				r.raster(dst, dl, ops[i:j], r.Scale, group)
				group++
			} else {
				ss := supersample
				if r.Scale < 1 {
					ss = 1 // the denoising preview: redrawn at every step, replaced at the end
				}
				r.vec.drawLayers(dst, dl, ops[i:j], ss, r.Live)
			}
			i = j
			continue
		}
		r.triangles(dst, &ops[i])
		i++
	}
	r.flushChrome(dst)
}

// chromeBatch is how many vertices the chrome batch may hold before it is drawn, leaving
// room under the 16-bit index limit for the next op.
const chromeBatch = maxVertices - 4096

// raster composites fill ops on the CPU over the part of the canvas they cover, at scale
// (1 = device pixels; the denoising preview uses less), and draws the result onto dst.
// Each layer's coverage is computed over its own bounding box only; the composite is kept
// (rasterCache) while the ops stay the same, so a redraw that changes only the chrome (a
// selection, a hover) composites nothing again.
func (r *replayer) raster(dst *ebiten.Image, dl *ui.DisplayList, ops []ui.Op, scale float64, group int) {
	c := r.cacheFor(group)
	c.step(dl, ops, scale, time.Time{})
	all := c.all
	w, h := all.x1-all.x0, all.y1-all.y0
	if w <= 0 || h <= 0 {
		return
	}
	acc := c.acc[:4*w*h]
	if cap(r.pix) < 4*w*h {
		r.pix = make([]byte, 4*w*h)
	}
	pix := r.pix[:4*w*h]
	for i := 0; i < w*h; i++ { // ebiten wants premultiplied RGBA
		p := acc[4*i : 4*i+4]
		a := p[3]
		pix[4*i+0] = byte(p[0]*a*255 + 0.5)
		pix[4*i+1] = byte(p[1]*a*255 + 0.5)
		pix[4*i+2] = byte(p[2]*a*255 + 0.5)
		pix[4*i+3] = byte(a*255 + 0.5)
	}
	if r.layers == nil || r.layers.Bounds().Dx() != w || r.layers.Bounds().Dy() != h {
		if r.layers != nil {
			r.layers.Deallocate()
		}
		r.layers = ebiten.NewImage(w, h)
	}
	r.layers.WritePixels(pix)
	// At scale 1 the raster lands on whole pixels: nearest filtering copies it exactly (linear
	// would blend the texture's edge with its neighbours in ebiten's atlas).
	op := &ebiten.DrawImageOptions{Filter: ebiten.FilterNearest}
	if scale != 1 {
		op.Filter = ebiten.FilterLinear
	}
	op.GeoM.Translate(float64(all.x0), float64(all.y0))
	op.GeoM.Scale(1/scale, 1/scale)
	dst.DrawImage(r.layers, op)
}

// prepare composites the layers of dl (renderRaster) until deadline and reports whether
// all of them are done, so that the frame that draws them only converts and uploads. A new
// drawing's first frame can then be spread over several frames (Draw keeps the canvas as it
// was meanwhile) instead of one long task: 300–1000 ms for a 40-layer drawing of the
// trained model on the 2-core machine.
func (r *replayer) prepare(dl *ui.DisplayList, deadline time.Time) bool {
	if r.Mode != renderRaster {
		return true
	}
	group := 0
	ops := dl.Ops
	for i := 0; i < len(ops); {
		if ops[i].Kind != ui.OpFill || ops[i].Convex {
			i++
			continue
		}
		j := i
		for j < len(ops) && ops[j].Kind == ui.OpFill && !ops[j].Convex {
			j++
		}
		if !r.cacheFor(group).step(dl, ops[i:j], r.Scale, deadline) {
			return false
		}
		group++
		i = j
	}
	return true
}

func (r *replayer) cacheFor(group int) *rasterCache {
	for len(r.cache) <= group {
		r.cache = append(r.cache, &rasterCache{})
	}
	return r.cache[group]
}

// rasterBox is a box of raster pixels.
type rasterBox struct{ x0, y0, x1, y1 int }

// rasterCache is the composite of one run of layer ops, built op by op (step), and what it
// was built from.
type rasterCache struct {
	keys  []rasterKey
	scale float64
	clip  [4]float64
	w, h  int // the display list's size
	all   rasterBox
	boxes []rasterBox
	acc   []float32 // straight-alpha RGBA over all, (h,w,4)
	next  int       // ops composited so far
}

// rasterKey is what an op's coverage depends on. A layer op's outline is its Source (never
// mutated: its identity is the key) through M; an op without one (the model's preview) is
// keyed by its own subpaths.
type rasterKey struct {
	src     *vector.Subpath
	n       int
	m       vector.Matrix
	color   vector.RGBA
	evenOdd bool
}

func keyOf(op *ui.Op) rasterKey {
	subs, m := op.Source, op.M
	if len(subs) == 0 {
		subs, m = op.Subpaths, vector.Identity
	}
	k := rasterKey{n: len(subs), m: m, color: op.Color, evenOdd: op.EvenOdd}
	if len(subs) > 0 {
		k.src = &subs[0]
	}
	return k
}

// step composites ops until deadline (zero: all of them) and reports whether all are done.
// Ops other than the ones it holds start it over.
func (c *rasterCache) step(dl *ui.DisplayList, ops []ui.Op, scale float64, deadline time.Time) bool {
	if !c.holds(dl, ops, scale) {
		c.reset(dl, ops, scale)
	}
	all := c.all
	w := all.x1 - all.x0
	for ; c.next < len(ops); c.next++ {
		if !deadline.IsZero() && time.Now().After(deadline) {
			return false
		}
		op := &ops[c.next]
		b := c.boxes[c.next]
		b.x0, b.y0, b.x1, b.y1 = max(b.x0, all.x0), max(b.y0, all.y0), min(b.x1, all.x1), min(b.y1, all.y1)
		bw, bh := b.x1-b.x0, b.y1-b.y0
		if bw <= 0 || bh <= 0 {
			continue
		}
		l := vector.Layer{EvenOdd: op.EvenOdd, Subpaths: op.Subpaths}
		vb := [4]float64{float64(b.x0) / scale, float64(b.y0) / scale, float64(bw) / scale, float64(bh) / scale}
		cov := vector.Coverage(&l, vb, bw, bh)
		for y := 0; y < bh; y++ {
			row := c.acc[4*((b.y0-all.y0+y)*w+(b.x0-all.x0)):]
			vector.CompositeOver(row, cov[y*bw:(y+1)*bw], op.Color)
		}
	}
	return true
}

func (c *rasterCache) holds(dl *ui.DisplayList, ops []ui.Op, scale float64) bool {
	if c.scale != scale || c.clip != dl.Clip || c.w != dl.W || c.h != dl.H || len(c.keys) != len(ops) {
		return false
	}
	for i := range ops {
		if c.keys[i] != keyOf(&ops[i]) {
			return false
		}
	}
	return true
}

// reset starts the composite of ops over: their boxes, the box of them all (within the
// clip), a clear buffer.
func (c *rasterCache) reset(dl *ui.DisplayList, ops []ui.Op, scale float64) {
	bounds := func(subs []vector.Subpath) rasterBox {
		x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, sp := range subs {
			x0, y0 = math.Min(x0, sp.Start.X), math.Min(y0, sp.Start.Y)
			x1, y1 = math.Max(x1, sp.Start.X), math.Max(y1, sp.Start.Y)
			for _, sg := range sp.Segs {
				for _, p := range [3]vector.Point{sg.C1, sg.C2, sg.P} {
					x0, y0 = math.Min(x0, p.X), math.Min(y0, p.Y)
					x1, y1 = math.Max(x1, p.X), math.Max(y1, p.Y)
				}
			}
		}
		W, H := float64(dl.W)*scale, float64(dl.H)*scale
		return rasterBox{int(math.Max(0, math.Floor(x0*scale))), int(math.Max(0, math.Floor(y0*scale))),
			int(math.Min(W, math.Ceil(x1*scale))), int(math.Min(H, math.Ceil(y1*scale)))}
	}
	all := rasterBox{math.MaxInt, math.MaxInt, 0, 0}
	c.boxes = c.boxes[:0]
	c.keys = c.keys[:0]
	for i := range ops {
		b := bounds(ops[i].Subpaths)
		c.boxes = append(c.boxes, b)
		c.keys = append(c.keys, keyOf(&ops[i]))
		if b.x1 > b.x0 && b.y1 > b.y0 {
			all.x0, all.y0 = min(all.x0, b.x0), min(all.y0, b.y0)
			all.x1, all.y1 = max(all.x1, b.x1), max(all.y1, b.y1)
		}
	}
	if cl := dl.Clip; cl[2] > cl[0] {
		all.x0, all.y0 = max(all.x0, int(math.Floor(cl[0]*scale))), max(all.y0, int(math.Floor(cl[1]*scale)))
		all.x1, all.y1 = min(all.x1, int(math.Ceil(cl[2]*scale))), min(all.y1, int(math.Ceil(cl[3]*scale)))
	}
	if all.x1 < all.x0 || all.y1 < all.y0 {
		all = rasterBox{}
	}
	c.all, c.scale, c.clip, c.w, c.h, c.next = all, scale, dl.Clip, dl.W, dl.H, 0
	n := 4 * (all.x1 - all.x0) * (all.y1 - all.y0)
	if cap(c.acc) < n {
		c.acc = make([]float32, n)
	}
	c.acc = c.acc[:n]
	clear(c.acc)
}

// triangles adds a convex fill (fans) or a stroke to the chrome batch: consecutive chrome
// ops are drawn with one anti-aliased DrawTriangles (flushChrome). Each anti-aliased draw
// with other bounds re-creates ebiten's supersampled offscreen, which cost ~100 ms a frame
// for the ~14 ops of a selection on software WebGL when drawn one by one.
func (r *replayer) triangles(dst *ebiten.Image, op *ui.Op) {
	if len(r.vs) > chromeBatch {
		r.flushChrome(dst)
	}
	n0, i0 := len(r.vs), len(r.is)
	var p ebvector.Path
	for _, sp := range op.Subpaths {
		r.pts = sp.Flatten(r.pts[:0], flattenPx)
		for i, q := range r.pts {
			if i == 0 {
				p.MoveTo(float32(q.X), float32(q.Y))
			} else {
				p.LineTo(float32(q.X), float32(q.Y))
			}
		}
		p.Close()
	}
	if op.Kind == ui.OpFill {
		r.vs, r.is = p.AppendVerticesAndIndicesForFilling(r.vs, r.is)
	} else {
		r.vs, r.is = p.AppendVerticesAndIndicesForStroke(r.vs, r.is, &ebvector.StrokeOptions{
			Width: float32(op.Width), LineJoin: ebvector.LineJoinMiter, MiterLimit: strokeMiterLimit,
		})
	}
	if len(r.vs) > maxVertices { // an outline too detailed for chrome: leave it out
		r.vs, r.is = r.vs[:n0], r.is[:i0]
		return
	}
	c := op.Color
	for i := n0; i < len(r.vs); i++ {
		v := &r.vs[i]
		v.SrcX, v.SrcY = 1, 1
		v.ColorR, v.ColorG, v.ColorB, v.ColorA = float32(c.R), float32(c.G), float32(c.B), float32(c.A)
	}
	if op.Kind == ui.OpFill && axisRect(r.vs[n0:]) {
		// The artboard and its shadow: an axis-aligned rectangle needs no anti-aliasing
		// (its edges land on pixel boundaries), and skipping it skips the supersampled
		// offscreen, ~100 ms a frame on software WebGL for these two alone.
		vs, is := r.vs[n0:], r.is[i0:]
		for k := range is {
			is[k] -= uint16(n0)
		}
		r.vs, r.is = r.vs[:n0], r.is[:i0]
		r.flushChrome(dst)
		dst.DrawTriangles(vs, is, whiteSub, &ebiten.DrawTrianglesOptions{FillRule: ebiten.FillRuleFillAll})
	}
}

// minPlainRect is the side in pixels above which an axis-aligned rectangle is drawn without
// anti-aliasing: the artboard and its shadow, not the handles (kept in the chrome batch).
const minPlainRect = 64

// axisRect reports whether vs are the corners of a large axis-aligned rectangle (every
// vertex on a corner of their bounding box).
func axisRect(vs []ebiten.Vertex) bool {
	if len(vs) < 4 {
		return false
	}
	x0, y0, x1, y1 := vs[0].DstX, vs[0].DstY, vs[0].DstX, vs[0].DstY
	for _, v := range vs {
		x0, y0, x1, y1 = min(x0, v.DstX), min(y0, v.DstY), max(x1, v.DstX), max(y1, v.DstY)
	}
	if x1-x0 < minPlainRect || y1-y0 < minPlainRect {
		return false
	}
	for _, v := range vs {
		if (v.DstX != x0 && v.DstX != x1) || (v.DstY != y0 && v.DstY != y1) {
			return false
		}
	}
	return true
}

// flushChrome draws the chrome batch. FillAll blends triangle by triangle in order, as
// separate draws would: convex fans do not overlap, and chrome strokes are opaque.
func (r *replayer) flushChrome(dst *ebiten.Image) {
	if len(r.is) > 0 {
		dst.DrawTriangles(r.vs, r.is, whiteSub, &ebiten.DrawTrianglesOptions{AntiAlias: true, FillRule: ebiten.FillRuleFillAll})
	}
	r.vs, r.is = r.vs[:0], r.is[:0]
}

func nrgba(c vector.RGBA) color.NRGBA {
	return color.NRGBA{uint8(c.R*255 + 0.5), uint8(c.G*255 + 0.5), uint8(c.B*255 + 0.5), uint8(c.A*255 + 0.5)}
}

// release frees the replayer's images (the warm-up's, once it is done).
func (r *replayer) release() {
	for _, img := range []*ebiten.Image{r.layers, r.vec.ss, r.vec.below.img, r.vec.above.img} {
		if img != nil {
			img.Deallocate()
		}
	}
	r.layers, r.vec.ss, r.vec.below.img, r.vec.above.img = nil, nil, nil, nil
}
