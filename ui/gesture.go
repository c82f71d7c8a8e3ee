package ui

import (
	"math"

	"github.com/lamina-ml/lamina/vector"
)

// View maps the document's viewBox onto a canvas of W×H device pixels, centered in the
// area left free by the panels (Inset, in device pixels: left, top, right, bottom), through
// the camera Cam (zoom and pan; the zero Camera fits the artboard).
type View struct {
	W, H  int
	Inset [4]float64
	Scale float64 // device pixels per CSS pixel, so handles keep their on-screen size
	Cam   Camera
}

// viewMargin is the free space around the artboard at the fit, in CSS pixels.
const viewMargin = 32

// Matrix maps user space to canvas pixels: the camera's center lands on the stage's center,
// at Zoom times the scale that fits the artboard.
func (v View) Matrix(vb [4]float64) vector.Matrix {
	sx, sy, w, h := v.stage()
	c := v.camera(vb)
	k := c.Zoom * v.fitScale(vb)
	return vector.Matrix{A: k, D: k, E: sx + w/2 - k*c.Center.X, F: sy + h/2 - k*c.Center.Y}
}

// ToDoc maps a canvas point to user space.
func (v View) ToDoc(vb [4]float64, x, y float64) vector.Point {
	inv, _ := v.Matrix(vb).Invert()
	return inv.Apply(vector.Point{X: x, Y: y})
}

// Handle identifies a transform handle of the selection box.
type Handle int

const (
	HandleNone Handle = iota
	HandleNW
	HandleNE
	HandleSE
	HandleSW
	HandleRotate
)

// Handle sizes in CSS pixels.
const (
	handleSize     = 9  // side of a corner square
	handleHitSlop  = 6  // extra pick radius around a handle
	rotateDistance = 26 // rotation knob above the top edge
)

// handlePositions returns the canvas positions of the handles of the selection box; a
// selection holding a locked layer has none (it cannot be scaled or rotated).
func (e *Editor) handlePositions(v View) (map[Handle]vector.Point, bool) {
	if e.selectionLocked() {
		return nil, false
	}
	lo, hi, ok := e.SelectionBounds()
	if !ok {
		return nil, false
	}
	m := v.Matrix(e.Doc.ViewBox)
	a, b := m.Apply(lo), m.Apply(hi)
	s := v.Scale
	if s <= 0 {
		s = 1
	}
	return map[Handle]vector.Point{
		HandleNW:     {X: a.X, Y: a.Y},
		HandleNE:     {X: b.X, Y: a.Y},
		HandleSE:     {X: b.X, Y: b.Y},
		HandleSW:     {X: a.X, Y: b.Y},
		HandleRotate: {X: (a.X + b.X) / 2, Y: a.Y - rotateDistance*s},
	}, true
}

// HandleAt returns the handle under canvas point (x, y).
func (e *Editor) HandleAt(v View, x, y float64) Handle {
	hp, ok := e.handlePositions(v)
	if !ok {
		return HandleNone
	}
	s := v.Scale
	if s <= 0 {
		s = 1
	}
	r := (handleSize/2 + handleHitSlop) * s
	for _, h := range []Handle{HandleRotate, HandleNW, HandleNE, HandleSE, HandleSW} {
		p := hp[h]
		if math.Abs(p.X-x) <= r && math.Abs(p.Y-y) <= r {
			return h
		}
	}
	return HandleNone
}

// gesture is a drag in progress: the document before it (for undo and for computing each
// frame from the start, so rounding never accumulates), what is dragged, and where it began.
type gesture struct {
	before  snapshot
	start   []vector.Matrix // transform of each layer at the start, by paint index
	handle  Handle
	p0      vector.Point // user-space press point
	lo, hi  vector.Point // selection bounds at the start
	changed bool
}

// PointerDown starts a gesture at canvas point (x, y): on a handle it scales or rotates the
// selection; on a selectable layer it selects it (per mode) and starts a move; on empty
// canvas it clears the selection. It reports whether a gesture started.
func (e *Editor) PointerDown(v View, x, y float64, mode SelectMode) bool {
	if e.busy {
		return false
	}
	e.cancelGesture()
	p := v.ToDoc(e.Doc.ViewBox, x, y)
	h := HandleNone
	if mode == SelectReplace {
		h = e.HandleAt(v, x, y)
	}
	if h == HandleNone {
		id := e.HitTest(p)
		switch {
		case id == 0:
			if mode == SelectReplace {
				e.Deselect()
			}
			return false
		case mode == SelectReplace && e.sel[id]:
			// pressing on a selected layer drags the whole selection
		default:
			e.Select(id, mode)
		}
		if !e.sel[id] {
			return false
		}
	}
	if e.refuseLocked() != nil {
		return false // a locked layer in the selection does not move
	}
	lo, hi, ok := e.SelectionBounds()
	if !ok {
		return false
	}
	g := &gesture{before: e.snap(gestureLabel(h)), handle: h, p0: p, lo: lo, hi: hi}
	for _, l := range e.Doc.Layers {
		g.start = append(g.start, l.Transform)
	}
	e.gesture = g
	return true
}

func gestureLabel(h Handle) string {
	switch h {
	case HandleNone:
		return "Move"
	case HandleRotate:
		return "Rotate"
	}
	return "Scale"
}

// minScale keeps a scale handle from collapsing a shape to nothing (or mirroring it through
// zero, which would make the transform singular).
const minScale = 0.02

// rotateSnap is the angle step with Shift held.
const rotateSnap = math.Pi / 12

// PointerMove updates the gesture to canvas point (x, y); constrain (Shift) keeps scaling
// uniform and snaps rotation to 15°.
func (e *Editor) PointerMove(v View, x, y float64, constrain bool) {
	g := e.gesture
	if g == nil {
		return
	}
	p := v.ToDoc(e.Doc.ViewBox, x, y)
	var t vector.Matrix
	switch g.handle {
	case HandleNone:
		t = translate(p.X-g.p0.X, p.Y-g.p0.Y)
	case HandleRotate:
		c := vector.Point{X: (g.lo.X + g.hi.X) / 2, Y: (g.lo.Y + g.hi.Y) / 2}
		a := math.Atan2(p.Y-c.Y, p.X-c.X) - math.Atan2(g.p0.Y-c.Y, g.p0.X-c.X)
		if constrain {
			a = math.Round(a/rotateSnap) * rotateSnap
		}
		cos, sin := math.Cos(a), math.Sin(a)
		t = translate(c.X, c.Y).Mul(vector.Matrix{A: cos, B: sin, C: -sin, D: cos}).Mul(translate(-c.X, -c.Y))
	default:
		// Scale about the opposite corner.
		var anchor vector.Point
		switch g.handle {
		case HandleNW:
			anchor = g.hi
		case HandleNE:
			anchor = vector.Point{X: g.lo.X, Y: g.hi.Y}
		case HandleSE:
			anchor = g.lo
		case HandleSW:
			anchor = vector.Point{X: g.hi.X, Y: g.lo.Y}
		}
		sx := ratio(p.X-anchor.X, g.p0.X-anchor.X)
		sy := ratio(p.Y-anchor.Y, g.p0.Y-anchor.Y)
		if constrain {
			s := math.Max(sx, sy)
			sx, sy = s, s
		}
		t = translate(anchor.X, anchor.Y).Mul(vector.Matrix{A: sx, D: sy}).Mul(translate(-anchor.X, -anchor.Y))
	}
	for i := range e.Doc.Layers {
		if e.sel[e.Doc.Layers[i].ID] && i < len(g.start) {
			e.Doc.Layers[i].Transform = t.Mul(g.start[i])
		}
	}
	g.changed = true
	e.changed()
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 1
	}
	r := a / b
	if !(r >= minScale) {
		return minScale
	}
	return r
}

// PointerUp ends the gesture; a drag that changed something becomes one undo step.
func (e *Editor) PointerUp() {
	g := e.gesture
	if g == nil {
		return
	}
	e.gesture = nil
	if !g.changed {
		return
	}
	// The live edits mutated e.Doc's layer slice, which the snapshot does not share (Clone).
	e.undo = append(e.undo, g.before)
	e.redo = nil
	e.Doc = e.Doc.Clone()
	e.changed()
}

// Dragging reports whether a gesture is in progress.
func (e *Editor) Dragging() bool { return e.gesture != nil }

// cancelGesture puts the document back as it was when the gesture began.
func (e *Editor) cancelGesture() {
	g := e.gesture
	if g == nil {
		return
	}
	e.gesture = nil
	if g.changed {
		e.Doc = g.before.doc
		e.changed()
	}
}
