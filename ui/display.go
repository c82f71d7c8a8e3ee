package ui

import (
	"math"

	"github.com/lamina-ml/lamina/vector"
)

// OpKind is what a display-list op draws.
type OpKind int

const (
	OpFill   OpKind = iota // fill Subpaths with Color under the fill rule
	OpStroke               // stroke Subpaths' outlines (closed) with Color at Width pixels
)

// Op is one recorded drawing operation, in canvas pixels.
type Op struct {
	Kind     OpKind
	Subpaths []vector.Subpath
	Color    vector.RGBA // straight alpha
	EvenOdd  bool
	Width    float64 // stroke width in pixels
	// Convex marks a fill of convex outlines (the editor's chrome: artboard, handles), which
	// a GPU replay may triangulate as a plain fan, without a stencil pass.
	Convex bool
	// Layer fills of the document also say where they came from, so a replay can keep work
	// between frames: Layer is the layer's ID (0 for the model's preview and the chrome),
	// Source its untransformed outline (never mutated, so its identity is a cache key) and
	// M the matrix that maps Source to Subpaths. Live marks selected layers, the ones a
	// gesture changes frame after frame.
	Layer  int
	Source []vector.Subpath
	M      vector.Matrix
	Live   bool
}

// DisplayList is one frame: a background color and ops painted in order. The browser replays
// it with ebiten (ui/editorwasm), native tests with Rasterize.
type DisplayList struct {
	W, H       int
	Background vector.RGBA
	Ops        []Op
	// Clip is the box (x0, y0, x1, y1) in pixels the drawing's layers lie in (the artboard
	// and every visible layer, within the canvas; the artboard alone for the model's
	// preview): non-convex fills are clipped to it.
	Clip [4]float64
}

// Colors of the editor chrome.
var (
	colorBackground = rgb(0xe9, 0xec, 0xf1)
	colorArtboard   = rgb(0xff, 0xff, 0xff)
	colorShadow     = vector.RGBA{R: 0.06, G: 0.09, B: 0.16, A: 0.10}
	colorSelection  = rgb(0x25, 0x63, 0xeb)
	colorHandleFill = rgb(0xff, 0xff, 0xff)
)

func rgb(r, g, b uint8) vector.RGBA {
	return vector.RGBA{R: float64(r) / 255, G: float64(g) / 255, B: float64(b) / 255, A: 1}
}

// Stroke widths in CSS pixels.
const (
	selectionWidth = 1.5
	outlineWidth   = 1
	shadowOffset   = 3
)

// Frame records the editor's current frame for view v: the artboard, every visible layer
// (or the model's preview while it draws), the outlines of selected layers, the selection
// box and its handles.
func (e *Editor) Frame(v View) *DisplayList {
	s := v.Scale
	if s <= 0 {
		s = 1
	}
	dl := &DisplayList{W: v.W, H: v.H, Background: colorBackground}
	m := v.Matrix(e.Doc.ViewBox)
	vb := e.Doc.ViewBox
	a := m.Apply(vector.Point{X: vb[0], Y: vb[1]})
	b := m.Apply(vector.Point{X: vb[0] + vb[2], Y: vb[1] + vb[3]})
	dl.convex(rect(a.X+shadowOffset*s, a.Y+shadowOffset*s, b.X+shadowOffset*s, b.Y+shadowOffset*s), colorShadow)
	dl.convex(rect(a.X, a.Y, b.X, b.Y), colorArtboard)
	dl.Clip = [4]float64{a.X, a.Y, b.X, b.Y}
	if e.Preview == nil {
		// Shapes beyond the artboard are drawn (so they can be seen and dragged back), under
		// a veil of the background that says the export cuts them off.
		clo, chi := e.ContentBounds()
		ca, cb := m.Apply(clo), m.Apply(chi)
		dl.Clip = [4]float64{math.Max(0, ca.X), math.Max(0, ca.Y), math.Min(float64(v.W), cb.X), math.Min(float64(v.H), cb.Y)}
	}
	if e.Preview != nil {
		pm := v.Matrix(e.Preview.ViewBox)
		for _, l := range e.Preview.Layers {
			dl.fill(transformAll(l.Subpaths, pm), l.Fill, l.EvenOdd)
		}
		return dl
	}
	for i := range e.Doc.Layers {
		l := &e.Doc.Layers[i]
		if l.Hidden {
			continue
		}
		lm := m.Mul(l.Transform)
		dl.fill(transformAll(l.Subpaths, lm), l.Fill, l.EvenOdd)
		op := &dl.Ops[len(dl.Ops)-1]
		op.Layer, op.Source, op.M, op.Live = l.ID, l.Subpaths, lm, e.sel[l.ID]
	}
	dl.veil(a, b)
	for i := range e.Doc.Layers {
		l := &e.Doc.Layers[i]
		if e.sel[l.ID] && !l.Hidden {
			dl.stroke(transformAll(l.Subpaths, m.Mul(l.Transform)), colorSelection, outlineWidth*s)
		}
	}
	hp, ok := e.handlePositions(v)
	if !ok {
		return dl
	}
	nw, se := hp[HandleNW], hp[HandleSE]
	dl.stroke(rect(nw.X, nw.Y, se.X, se.Y), colorSelection, selectionWidth*s)
	top := vector.Point{X: (nw.X + se.X) / 2, Y: nw.Y}
	rot := hp[HandleRotate]
	dl.stroke([]vector.Subpath{{Start: top, Segs: []vector.Segment{lineSeg(top, rot), lineSeg(rot, top)}}}, colorSelection, selectionWidth*s)
	r := handleSize / 2 * s
	for _, h := range []Handle{HandleNW, HandleNE, HandleSE, HandleSW} {
		p := hp[h]
		sq := rect(p.X-r, p.Y-r, p.X+r, p.Y+r)
		dl.convex(sq, colorHandleFill)
		dl.stroke(sq, colorSelection, selectionWidth*s)
	}
	c := circle(rot, r+s)
	dl.convex(c, colorHandleFill)
	dl.stroke(c, colorSelection, selectionWidth*s)
	return dl
}

// colorVeil covers what lies beyond the artboard: the background, mostly opaque.
var colorVeil = vector.RGBA{R: colorBackground.R, G: colorBackground.G, B: colorBackground.B, A: 0.7}

// veil adds the background veil over the part of the
// layers' box (dl.Clip) outside the artboard a–b; nothing when the layers stay inside it.
func (dl *DisplayList) veil(a, b vector.Point) {
	c := dl.Clip
	if c[0] >= a.X && c[1] >= a.Y && c[2] <= b.X && c[3] <= b.Y {
		return
	}
	add := func(x0, y0, x1, y1 float64) {
		if x1 > x0 && y1 > y0 {
			dl.convex(rect(x0, y0, x1, y1), colorVeil)
		}
	}
	add(c[0], c[1], c[2], a.Y)                               // above
	add(c[0], b.Y, c[2], c[3])                               // below
	add(c[0], math.Max(a.Y, c[1]), a.X, math.Min(b.Y, c[3])) // left
	add(b.X, math.Max(a.Y, c[1]), c[2], math.Min(b.Y, c[3])) // right
}

func (dl *DisplayList) fill(sp []vector.Subpath, c vector.RGBA, evenOdd bool) {
	dl.Ops = append(dl.Ops, Op{Kind: OpFill, Subpaths: sp, Color: c, EvenOdd: evenOdd})
}

func (dl *DisplayList) convex(sp []vector.Subpath, c vector.RGBA) {
	dl.Ops = append(dl.Ops, Op{Kind: OpFill, Subpaths: sp, Color: c, Convex: true})
}

func (dl *DisplayList) stroke(sp []vector.Subpath, c vector.RGBA, w float64) {
	dl.Ops = append(dl.Ops, Op{Kind: OpStroke, Subpaths: sp, Color: c, Width: w})
}

func transformAll(subs []vector.Subpath, m vector.Matrix) []vector.Subpath {
	out := make([]vector.Subpath, len(subs))
	for i, sp := range subs {
		out[i] = sp.Transform(m)
	}
	return out
}

func lineSeg(a, b vector.Point) vector.Segment {
	return vector.Segment{
		C1: vector.Point{X: a.X + (b.X-a.X)/3, Y: a.Y + (b.Y-a.Y)/3},
		C2: vector.Point{X: a.X + 2*(b.X-a.X)/3, Y: a.Y + 2*(b.Y-a.Y)/3},
		P:  b,
	}
}

// rect is the closed rectangle (x0,y0)-(x1,y1), clockwise on screen.
func rect(x0, y0, x1, y1 float64) []vector.Subpath {
	p := []vector.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
	sp := vector.Subpath{Start: p[0]}
	for i := range p {
		sp.Segs = append(sp.Segs, lineSeg(p[i], p[(i+1)%4]))
	}
	return []vector.Subpath{sp}
}

// circle is four quarter-circle cubics (kappa = 4/3·(√2−1) puts the midpoints on the circle).
func circle(c vector.Point, r float64) []vector.Subpath {
	k := 4.0 / 3 * (math.Sqrt2 - 1) * r
	pt := func(x, y float64) vector.Point { return vector.Point{X: c.X + x, Y: c.Y + y} }
	sp := vector.Subpath{Start: pt(r, 0), Segs: []vector.Segment{
		{C1: pt(r, k), C2: pt(k, r), P: pt(0, r)},
		{C1: pt(-k, r), C2: pt(-r, k), P: pt(-r, 0)},
		{C1: pt(-r, -k), C2: pt(-k, -r), P: pt(0, -r)},
		{C1: pt(k, -r), C2: pt(r, -k), P: pt(r, 0)},
	}}
	return []vector.Subpath{sp}
}
