package ui

import (
	"math"

	"github.com/lamina-ml/lamina/vector"
)

// Geometry is what the selection panel's number fields show: the selection's bounding box
// in user units (X, Y its top-left corner) and, for a single layer, its rotation in degrees
// (clockwise on screen, as SVG's rotate()); 0 for several layers.
type Geometry struct {
	X, Y, W, H float64
	Rotation   float64
}

// SelectionGeometry returns the selection's Geometry; ok is false with nothing selected.
func (e *Editor) SelectionGeometry() (Geometry, bool) {
	lo, hi, ok := e.SelectionBounds()
	if !ok {
		return Geometry{}, false
	}
	g := Geometry{X: lo.X, Y: lo.Y, W: hi.X - lo.X, H: hi.Y - lo.Y}
	if idx := e.SelectedIndices(); len(idx) == 1 {
		m := e.Doc.Layers[idx[0]].Transform
		g.Rotation = normalizeDegrees(math.Atan2(m.B, m.A) * 180 / math.Pi)
	}
	return g, true
}

// normalizeDegrees maps an angle to (−180, 180], rounding away float noise under 1e-9.
func normalizeDegrees(a float64) float64 {
	a = math.Mod(a, 360)
	switch {
	case a > 180:
		a -= 360
	case a <= -180:
		a += 360
	}
	if math.Abs(a) < 1e-9 {
		return 0
	}
	return a
}

// transformSelected applies t (in user space) to every selected layer, as one undo step.
func (e *Editor) transformSelected(label string, t vector.Matrix) error {
	return e.forUnlocked(label, func(l *Layer) { l.Transform = t.Mul(l.Transform) })
}

// MoveSelectionTo moves the selection so its box's top-left corner is (x, y).
func (e *Editor) MoveSelectionTo(x, y float64) error {
	g, ok := e.SelectionGeometry()
	if !ok {
		return errNoSelection
	}
	return e.transformSelected("Move", translate(x-g.X, y-g.Y))
}

// ResizeSelection scales the selection about its box's top-left corner to w × h user units
// (a side of zero size, a line, keeps its size; sizes under minScale of the old are raised).
func (e *Editor) ResizeSelection(w, h float64) error {
	g, ok := e.SelectionGeometry()
	if !ok {
		return errNoSelection
	}
	sx, sy := 1.0, 1.0
	if g.W > 0 {
		sx = math.Max(w/g.W, minScale)
	}
	if g.H > 0 {
		sy = math.Max(h/g.H, minScale)
	}
	t := translate(g.X, g.Y).Mul(vector.Matrix{A: sx, D: sy}).Mul(translate(-g.X, -g.Y))
	return e.transformSelected("Scale", t)
}

// RotateSelectionTo rotates the selection about its box's center so that a single layer's
// rotation becomes deg degrees (several layers turn by deg from where they are).
func (e *Editor) RotateSelectionTo(deg float64) error {
	g, ok := e.SelectionGeometry()
	if !ok {
		return errNoSelection
	}
	a := (deg - g.Rotation) * math.Pi / 180
	cx, cy := g.X+g.W/2, g.Y+g.H/2
	cos, sin := math.Cos(a), math.Sin(a)
	t := translate(cx, cy).Mul(vector.Matrix{A: cos, B: sin, C: -sin, D: cos}).Mul(translate(-cx, -cy))
	return e.transformSelected("Rotate", t)
}
