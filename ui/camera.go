package ui

import (
	"math"
	"sort"

	"github.com/lamina-ml/lamina/vector"
)

// Camera is the canvas's zoom and pan. Zoom is relative to the fit of the artboard in the
// stage (1: the artboard fills the free area with viewMargin around it, as the editor
// opens) and Center is the user-space point shown at the stage's center. The zero Camera is
// that fit, so a View without one draws as before zooming existed.
type Camera struct {
	Zoom   float64
	Center vector.Point
}

// Zoom limits, relative to the artboard's fit: 1/20 shows a drawing many times its artboard,
// 64× shows a 36-unit drawing's 0.1-unit details as several screen pixels.
const (
	minZoom = 0.05
	maxZoom = 64
)

// ZoomSteps are the levels Ctrl+= and Ctrl+− step through (Figma and Penpot step through
// presets rather than multiplying, so the percentages stay round).
var ZoomSteps = []float64{0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64}

// stage returns the stage box in canvas pixels (x0, y0, w, h), inside the insets and the
// margin; never empty.
func (v View) stage() (x0, y0, w, h float64) {
	s := v.scale()
	x0, y0 = v.Inset[0]+viewMargin*s, v.Inset[1]+viewMargin*s
	w = float64(v.W) - v.Inset[0] - v.Inset[2] - 2*viewMargin*s
	h = float64(v.H) - v.Inset[1] - v.Inset[3] - 2*viewMargin*s
	return x0, y0, max(w, 1), max(h, 1)
}

func (v View) scale() float64 {
	if v.Scale <= 0 {
		return 1
	}
	return v.Scale
}

// fitScale is the pixels per user unit at Zoom 1: the artboard vb fits the stage.
func (v View) fitScale(vb [4]float64) float64 {
	_, _, w, h := v.stage()
	return math.Min(w/vb[2], h/vb[3])
}

// camera is v.Cam with the zero value resolved to the artboard's fit.
func (v View) camera(vb [4]float64) Camera {
	if v.Cam.Zoom > 0 {
		return v.Cam
	}
	return Camera{Zoom: 1, Center: vector.Point{X: vb[0] + vb[2]/2, Y: vb[1] + vb[3]/2}}
}

// ZoomLevel is the view's zoom relative to the artboard's fit (1 = 100 %).
func (v View) ZoomLevel(vb [4]float64) float64 { return v.camera(vb).Zoom }

// withZoom returns the camera at zoom z (clamped), keeping canvas point (x, y) over the same
// user-space point.
func (v View) withZoom(vb [4]float64, z, x, y float64) Camera {
	z = math.Min(maxZoom, math.Max(minZoom, z))
	k0 := v.fitScale(vb)
	p := v.ToDoc(vb, x, y)
	sx, sy, w, h := v.stage()
	cx, cy := sx+w/2, sy+h/2
	// p stays at (x, y): x = cx + z·k0·(p.X − C.X)
	return Camera{Zoom: z, Center: vector.Point{X: p.X - (x-cx)/(z*k0), Y: p.Y - (y-cy)/(z*k0)}}
}

// ZoomAt multiplies the zoom by factor about canvas point (x, y) (Ctrl+wheel, pinch): the
// user-space point under it stays under it.
func (v View) ZoomAt(vb [4]float64, factor, x, y float64) Camera {
	return v.withZoom(vb, v.camera(vb).Zoom*factor, x, y)
}

// ZoomStep moves to the next preset zoom level in (in) or out about canvas point (x, y).
func (v View) ZoomStep(vb [4]float64, in bool, x, y float64) Camera {
	z := v.camera(vb).Zoom
	const eps = 1e-9
	var next float64
	if in {
		i := sort.Search(len(ZoomSteps), func(i int) bool { return ZoomSteps[i] > z+eps })
		next = ZoomSteps[min(i, len(ZoomSteps)-1)]
	} else {
		i := sort.Search(len(ZoomSteps), func(i int) bool { return ZoomSteps[i] >= z-eps }) - 1
		next = ZoomSteps[max(i, 0)]
	}
	return v.withZoom(vb, next, x, y)
}

// ZoomTo sets the zoom level z about the stage's center (the zoom bar's 100 %).
func (v View) ZoomTo(vb [4]float64, z float64) Camera {
	sx, sy, w, h := v.stage()
	return v.withZoom(vb, z, sx+w/2, sy+h/2)
}

// PanBy scrolls the view by (dx, dy) canvas pixels: positive dy shows what is below (a
// wheel scrolled down); a drag by d is PanBy(−d). The center stays inside bounds (lo, hi)
// (ContentBounds), so the drawing cannot be scrolled out of reach.
func (v View) PanBy(vb [4]float64, dx, dy float64, lo, hi vector.Point) Camera {
	c := v.camera(vb)
	k := c.Zoom * v.fitScale(vb)
	c.Center.X = math.Min(hi.X, math.Max(lo.X, c.Center.X+dx/k))
	c.Center.Y = math.Min(hi.Y, math.Max(lo.Y, c.Center.Y+dy/k))
	return c
}

// FitBox returns the camera that shows user-space box (lo, hi) whole and centered in the
// stage, with margin CSS pixels to spare on every side; never zoomed past maxZoom (a
// point-sized box).
func (v View) FitBox(vb [4]float64, lo, hi vector.Point, margin float64) Camera {
	_, _, w, h := v.stage()
	m := margin * v.scale()
	w, h = max(w-2*m, 1), max(h-2*m, 1)
	bw, bh := math.Max(hi.X-lo.X, 1e-9), math.Max(hi.Y-lo.Y, 1e-9)
	z := math.Min(w/bw, h/bh) / v.fitScale(vb)
	z = math.Min(maxZoom, math.Max(minZoom, z))
	return Camera{Zoom: z, Center: vector.Point{X: (lo.X + hi.X) / 2, Y: (lo.Y + hi.Y) / 2}}
}

// ContentBounds is the box of the artboard and every visible layer, what "Fit" shows.
func (e *Editor) ContentBounds() (lo, hi vector.Point) {
	vb := e.Doc.ViewBox
	lo, hi = vector.Point{X: vb[0], Y: vb[1]}, vector.Point{X: vb[0] + vb[2], Y: vb[1] + vb[3]}
	for i := range e.Doc.Layers {
		l := &e.Doc.Layers[i]
		if l.Hidden {
			continue
		}
		a, b, ok := l.Bounds()
		if !ok {
			continue
		}
		lo.X, lo.Y = math.Min(lo.X, a.X), math.Min(lo.Y, a.Y)
		hi.X, hi.Y = math.Max(hi.X, b.X), math.Max(hi.Y, b.Y)
	}
	return lo, hi
}

// handleRoom is the margin in CSS pixels a fitted selection keeps for its handles: the
// rotation knob above the box and the corner squares with their pick slop.
const handleRoom = rotateDistance + handleSize + handleHitSlop

// FitAll is the camera showing the artboard and every visible layer (Ctrl+0, the zoom bar's
// Fit): shapes beyond the artboard come into view.
func (e *Editor) FitAll(v View) Camera {
	lo, hi := e.ContentBounds()
	return v.FitBox(e.Doc.ViewBox, lo, hi, 0)
}

// FitSelection is the camera showing the selection with its handles (Shift+2); the current
// camera when nothing is selected.
func (e *Editor) FitSelection(v View) Camera {
	lo, hi, ok := e.SelectionBounds()
	if !ok {
		return v.camera(e.Doc.ViewBox)
	}
	return v.FitBox(e.Doc.ViewBox, lo, hi, handleRoom)
}

// HandlesOnStage reports whether every handle of the selection lies inside the stage (the
// canvas area the panels leave free), where a pointer can reach it. With no handles (no
// selection, or a locked one) it is true.
func (e *Editor) HandlesOnStage(v View) bool {
	hp, ok := e.handlePositions(v)
	if !ok {
		return true
	}
	s := v.scale()
	x0, y0 := v.Inset[0], v.Inset[1]
	x1, y1 := float64(v.W)-v.Inset[2], float64(v.H)-v.Inset[3]
	r := handleSize / 2 * s
	for _, p := range hp {
		if p.X-r < x0 || p.X+r > x1 || p.Y-r < y0 || p.Y+r > y1 {
			return false
		}
	}
	return true
}

// RevealSelection returns a camera under which the selection's handles are reachable: v's
// own when they already are, else one centered on the selection and zoomed out just enough
// (never in), as after Select all on a drawing larger than its artboard. ok reports whether
// the camera changed.
func (e *Editor) RevealSelection(v View) (Camera, bool) {
	cur := v.camera(e.Doc.ViewBox)
	if e.HandlesOnStage(v) {
		return cur, false
	}
	c := e.FitSelection(v)
	c.Zoom = math.Min(c.Zoom, cur.Zoom)
	return c, true
}
