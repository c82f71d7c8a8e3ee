//go:build js && wasm

package main

import (
	"image"
	"math"

	"github.com/hajimehoshi/ebiten/v2"
	ebvector "github.com/hajimehoshi/ebiten/v2/vector"

	"github.com/lamina-ml/lamina/ui"
	"github.com/lamina-ml/lamina/vector"
)

// vecRenderer draws the drawing's layers as ebiten vector paths: each layer's outline is
// flattened into an ebiten/v2/vector Path, fanned into triangles and filled with one stencil
// draw under the layer's own fill rule (nonzero or evenodd), into a 2× supersampled
// offscreen the size of the artboard that is then downsampled onto the screen (the
// anti-aliasing).
//
// Why not ebiten's own DrawTrianglesOptions.AntiAlias: it renders into a double-size
// offscreen fitted to each draw's bounds, and re-creates that texture whenever the bounds
// change, i.e. for every layer; on software WebGL that allocation and clear dominated the
// cost (see `e2e-editor/bench-render.mjs`). One artboard-sized supersampled surface is
// allocated once and reused.
//
// Work kept between frames:
//   - meshes: per layer, its triangles tessellated under the matrix M they were made for.
//     While a gesture runs, a moved layer's mesh is mapped through M_new·M_old⁻¹ (exact for
//     the affine maps moves, scales and rotations are) instead of being re-tessellated; once
//     the gesture ends it is tessellated again under its final matrix.
//   - composites: the layers below the lowest selected layer, and those above the highest,
//     are flattened into one artboard-sized image each (two images whatever the layer
//     count), reused while those layers are unchanged. Moving a selection redraws only the
//     selected layers (and any unselected ones between them) every frame.
type vecRenderer struct {
	meshes       map[meshKey]*mesh
	frame        int
	ss           *ebiten.Image // supersampled work surface
	below, above composite
	vs           []ebiten.Vertex
	tmp          mesh // triangles of an op without identity (the preview), own buffers
	mapped       mesh // a cached mesh mapped through a gesture: own vertices, the mesh's indices (read only)
	keys         []groupKey
	pts          []vector.Point
	// counters for the benchmark: layers tessellated, mapped through a gesture's delta,
	// and drawn from a composite.
	Tessellated, Mapped, Reused int
}

// supersample is the anti-aliasing factor per axis (4 samples per pixel).
const supersample = 2

// maxSupersampled is the largest side of the supersampled surface: a texture size every
// WebGL implementation in use allows.
const maxSupersampled = 4096

// meshKey identifies a layer's outline: its ID and the identity of its (never mutated)
// subpath slice, so an edit that replaces the geometry misses the cache.
type meshKey struct {
	layer   int
	src     *vector.Subpath
	n       int
	evenOdd bool
}

type mesh struct {
	m     vector.Matrix   // the matrix vs were tessellated under
	vs    []ebiten.Vertex // canvas pixels
	is    []uint16
	frame int // last frame that drew it
}

// groupKey is what a composite's picture depends on, per layer.
type groupKey struct {
	k meshKey
	m vector.Matrix
	c vector.RGBA
}

type composite struct {
	img  *ebiten.Image
	keys []groupKey
	rect image.Rectangle
	ss   int
}

// reset forgets every cached mesh and composite (the benchmark's cold start).
func (v *vecRenderer) reset() {
	v.meshes = nil
	v.below.keys, v.above.keys = nil, nil
}

// drawLayers draws the layer fills ops (a run of the display list) onto dst, clipped to
// the artboard. live says a gesture is in progress (selected layers move every frame);
// ss is the supersampling factor (1 for the denoising preview, redrawn at every step).
func (v *vecRenderer) drawLayers(dst *ebiten.Image, dl *ui.DisplayList, ops []ui.Op, ss int, live bool) {
	region := dst.Bounds()
	if c := dl.Clip; c[2] > c[0] && c[3] > c[1] {
		region = region.Intersect(image.Rect(int(math.Floor(c[0])), int(math.Floor(c[1])), int(math.Ceil(c[2])), int(math.Ceil(c[3]))))
	}
	if region.Empty() || len(ops) == 0 {
		return
	}
	if max(region.Dx(), region.Dy())*ss > maxSupersampled {
		ss = 1 // a huge artboard (4K screens): stay within every GPU's texture size
	}
	v.frame++
	if v.meshes == nil {
		v.meshes = map[meshKey]*mesh{}
	}
	first, last := -1, -1
	for i := range ops {
		if ops[i].Live {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		v.drawComposite(dst, &v.below, region, ops, ss)
	} else {
		v.drawComposite(dst, &v.below, region, ops[:first], ss)
		v.render(dst, region.Min, region, ops[first:last+1], ss, live)
		v.drawComposite(dst, &v.above, region, ops[last+1:], ss)
	}
	// Bound the mesh cache: drop meshes of layers no frame has drawn for a while (deleted
	// or replaced outlines), keeping those inside composites.
	if len(v.meshes) > 2*len(ops)+16 {
		for k, m := range v.meshes {
			if v.frame-m.frame > 8 {
				delete(v.meshes, k)
			}
		}
	}
}

// drawComposite draws ops onto dst through composite c, re-rendering c only when one of
// its layers changed. Ops without a layer identity (the model's preview) are drawn
// directly.
func (v *vecRenderer) drawComposite(dst *ebiten.Image, c *composite, region image.Rectangle, ops []ui.Op, ss int) {
	if len(ops) == 0 {
		return
	}
	v.keys = v.keys[:0]
	for i := range ops {
		op := &ops[i]
		if op.Layer == 0 || len(op.Source) == 0 {
			v.render(dst, region.Min, region, ops, ss, false)
			return
		}
		v.keys = append(v.keys, groupKey{meshKey{op.Layer, &op.Source[0], len(op.Source), op.EvenOdd}, op.M, op.Color})
	}
	w, h := region.Dx(), region.Dy()
	if c.img != nil && c.rect == region && c.ss == ss && equalKeys(c.keys, v.keys) {
		v.Reused += len(ops)
	} else {
		if c.img == nil || c.img.Bounds().Dx() != w || c.img.Bounds().Dy() != h {
			if c.img != nil {
				c.img.Deallocate()
			}
			c.img = ebiten.NewImageWithOptions(image.Rect(0, 0, w, h), &ebiten.NewImageOptions{Unmanaged: true})
		} else {
			c.img.Clear()
		}
		v.render(c.img, image.Point{}, region, ops, ss, false)
		c.keys = append(c.keys[:0], v.keys...)
		c.rect, c.ss = region, ss
	}
	op := &ebiten.DrawImageOptions{Filter: ebiten.FilterNearest} // whole pixels: an exact copy
	op.GeoM.Translate(float64(region.Min.X), float64(region.Min.Y))
	dst.DrawImage(c.img, op)
}

func equalKeys(a, b []groupKey) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// render fills ops into the supersampled surface for region and draws it, downsampled,
// onto dst at point at.
func (v *vecRenderer) render(dst *ebiten.Image, at image.Point, region image.Rectangle, ops []ui.Op, ss int, live bool) {
	w, h := region.Dx()*ss, region.Dy()*ss
	if v.ss == nil || v.ss.Bounds().Dx() != w || v.ss.Bounds().Dy() != h {
		if v.ss != nil {
			v.ss.Deallocate()
		}
		// Unmanaged: a texture of its own, not a region of ebiten's atlas, so the stencil
		// passes and the downsampling never touch a neighbour's pixels.
		v.ss = ebiten.NewImageWithOptions(image.Rect(0, 0, w, h), &ebiten.NewImageOptions{Unmanaged: true})
	} else {
		v.ss.Clear()
	}
	ox, oy, k := float32(region.Min.X), float32(region.Min.Y), float32(ss)
	for i := range ops {
		op := &ops[i]
		m := v.meshFor(op, live)
		if m == nil || len(m.is) == 0 {
			continue
		}
		v.vs = append(v.vs[:0], m.vs...)
		c := op.Color
		for j := range v.vs {
			p := &v.vs[j]
			p.DstX, p.DstY = (p.DstX-ox)*k, (p.DstY-oy)*k
			p.SrcX, p.SrcY = 1, 1
			p.ColorR, p.ColorG, p.ColorB, p.ColorA = float32(c.R), float32(c.G), float32(c.B), float32(c.A)
		}
		rule := ebiten.FillRuleNonZero
		if op.EvenOdd {
			rule = ebiten.FillRuleEvenOdd
		}
		v.ss.DrawTriangles(v.vs, m.is, whiteSub, &ebiten.DrawTrianglesOptions{FillRule: rule})
	}
	op := &ebiten.DrawImageOptions{Filter: ebiten.FilterNearest}
	if ss != 1 {
		// At scale 1/2 each destination pixel's center falls on the corner of four source
		// texels: linear filtering averages exactly those four samples.
		op.Filter = ebiten.FilterLinear
		op.GeoM.Scale(1/float64(ss), 1/float64(ss))
	}
	op.GeoM.Translate(float64(at.X), float64(at.Y))
	dst.DrawImage(v.ss, op)
}

// meshFor returns op's triangles in canvas pixels: cached when its outline and matrix are
// unchanged, the cached ones mapped through the change of matrix during a gesture, else
// tessellated anew.
func (v *vecRenderer) meshFor(op *ui.Op, live bool) *mesh {
	if op.Layer == 0 || len(op.Source) == 0 {
		v.tmp.vs, v.tmp.is = v.tessellate(op.Subpaths, v.tmp.vs[:0], v.tmp.is[:0])
		v.Tessellated++
		return &v.tmp
	}
	k := meshKey{op.Layer, &op.Source[0], len(op.Source), op.EvenOdd}
	m := v.meshes[k]
	switch {
	case m != nil && m.m == op.M:
	case m != nil && live:
		if inv, ok := m.m.Invert(); ok {
			d := op.M.Mul(inv)
			v.mapped.vs = append(v.mapped.vs[:0], m.vs...)
			for j := range v.mapped.vs {
				p := &v.mapped.vs[j]
				q := d.Apply(vector.Point{X: float64(p.DstX), Y: float64(p.DstY)})
				p.DstX, p.DstY = float32(q.X), float32(q.Y)
			}
			v.mapped.is = m.is // shared, never appended to
			m.frame = v.frame
			v.Mapped++
			return &v.mapped
		}
		fallthrough
	default:
		if m == nil {
			m = &mesh{}
			v.meshes[k] = m
		}
		m.vs, m.is = v.tessellate(op.Subpaths, m.vs[:0], m.is[:0])
		m.m = op.M
		v.Tessellated++
	}
	m.frame = v.frame
	return m
}

// tessellate appends the fill triangles of subs (canvas pixels) with ebiten's vector
// package. A stencil fill must be one draw call, and 16-bit indices address 65536
// vertices: an outline with more is flattened more coarsely until it fits.
func (v *vecRenderer) tessellate(subs []vector.Subpath, vs []ebiten.Vertex, is []uint16) ([]ebiten.Vertex, []uint16) {
	for tol := flattenPx; ; tol *= 2 {
		var p ebvector.Path
		for _, sp := range subs {
			v.pts = sp.Flatten(v.pts[:0], tol)
			for i, q := range v.pts {
				if i == 0 {
					p.MoveTo(float32(q.X), float32(q.Y))
				} else {
					p.LineTo(float32(q.X), float32(q.Y))
				}
			}
			p.Close()
		}
		vs, is = p.AppendVerticesAndIndicesForFilling(vs[:0], is[:0])
		if len(vs) <= maxVertices {
			return vs, is
		}
	}
}
