//go:build js && wasm

// Zoom and pan of the canvas: the wheel, Ctrl/⌘+wheel and pinch, space+drag and middle
// drag, the zoom keys and the zoom bar. The camera math is ui.View's (tested natively);
// this file only reads the events.

package main

import (
	"math"
	"strconv"
	"syscall/js"
	"time"

	"github.com/lamina-ml/lamina/ui"
)

// wheelZoomRate is how fast Ctrl+wheel zooms: a factor of e per 500 pixels of wheel delta
// (one notch of a mouse wheel, 100 px, is ×1.22; trackpad pinches send small deltas).
const wheelZoomRate = 1.0 / 500

// lineHeightPx converts DOM_DELTA_LINE wheel deltas (Firefox with a mouse) to pixels.
const lineHeightPx = 16

// setCamera moves the camera and shows the zoom level; the next frame redraws, and the
// session is saved once the view stops moving (sync).
func (a *app) setCamera(c ui.Camera) {
	if c != a.cam {
		a.settingsEdited = time.Now()
	}
	a.showCamera(c)
}

// showCamera is setCamera without the save (a restored session's camera).
func (a *app) showCamera(c ui.Camera) {
	a.cam = c
	z := a.view(0, 0).ZoomLevel(a.e.Doc.ViewBox)
	byID("zoom-level").SetTextContent(strconv.Itoa(int(math.Round(z*100))) + "%")
}

// zoomAnchor is where key and button zooms center: the pointer when it is over the canvas,
// else the stage's center.
func (a *app) zoomAnchor(v ui.View) (float64, float64) {
	if a.pointerIn {
		return a.pointerX, a.pointerY
	}
	return (v.Inset[0] + float64(v.W) - v.Inset[2]) / 2, (v.Inset[1] + float64(v.H) - v.Inset[3]) / 2
}

// runView performs a view action (ui.Action.IsView).
func (a *app) runView(act ui.Action) {
	v := a.view(0, 0)
	vb := a.e.Doc.ViewBox
	switch act {
	case ui.ActZoomIn, ui.ActZoomOut:
		x, y := a.zoomAnchor(v)
		a.setCamera(v.ZoomStep(vb, act == ui.ActZoomIn, x, y))
	case ui.ActZoomFit:
		a.setCamera(a.e.FitAll(v))
	case ui.ActZoom100:
		a.setCamera(v.ZoomTo(vb, 1))
	case ui.ActZoomSelection:
		a.setCamera(a.e.FitSelection(v))
	}
}

// revealSelection zooms out when the selection's handles are off the stage (after Select
// all on a drawing bigger than its artboard), so they stay reachable.
func (a *app) revealSelection() {
	if c, ok := a.e.RevealSelection(a.view(0, 0)); ok {
		a.setCamera(c)
	}
}

func (a *app) wireZoom() {
	a.onClick("zoom-in", func() { a.pointerIn = false; a.runView(ui.ActZoomIn) })
	a.onClick("zoom-out", func() { a.pointerIn = false; a.runView(ui.ActZoomOut) })
	a.onClick("zoom-fit", func() { a.runView(ui.ActZoomFit) })
	a.onClick("zoom-level", func() { a.runView(ui.ActZoom100) })
	for _, id := range []string{"zoom-in", "zoom-out", "zoom-fit", "zoom-level"} {
		a.on(byID(id), "click", func(ev event) { a.focusCanvas(ev) })
	}
	// The wheel pans; with Ctrl/⌘ (a trackpad pinch arrives as Ctrl+wheel too) it zooms
	// about the pointer. The listener is not passive, so preventDefault keeps the browser
	// from zooming the page instead.
	wheel := js.FuncOf(func(_ js.Value, args []js.Value) any {
		u := args[0]
		u.Call("preventDefault")
		if a.e.Dragging() {
			return nil
		}
		s := dpr()
		dx, dy := u.Get("deltaX").Float(), u.Get("deltaY").Float()
		switch u.Get("deltaMode").Int() {
		case 1:
			dx, dy = dx*lineHeightPx, dy*lineHeightPx
		case 2:
			dx, dy = dx*float64(a.canvas.Get("clientWidth").Int()), dy*float64(a.canvas.Get("clientHeight").Int())
		}
		v := a.view(0, 0)
		vb := a.e.Doc.ViewBox
		if u.Get("ctrlKey").Bool() || u.Get("metaKey").Bool() {
			x, y := a.canvasPoint(u)
			a.setCamera(v.ZoomAt(vb, math.Exp(-dy*wheelZoomRate), x, y))
			return nil
		}
		if u.Get("shiftKey").Bool() && dx == 0 {
			dx, dy = dy, 0 // Shift+wheel scrolls sideways where the system does not
		}
		lo, hi := a.e.ContentBounds()
		a.setCamera(v.PanBy(vb, dx*s, dy*s, lo, hi))
		return nil
	})
	a.funcs = append(a.funcs, wheel)
	opts := jsGlobal.Get("Object").New()
	opts.Set("passive", false)
	a.canvas.Call("addEventListener", "wheel", wheel, opts)
	// Space held: the next drag pans (the hand tool of every design editor).
	a.on(document, "keydown", func(ev event) {
		if ev.Underlying().Get("code").String() == "Space" && !isTextField(ev.Target()) {
			if !a.spaceDown {
				a.spaceDown = true
				a.canvas.Get("style").Set("cursor", "grab")
			}
			ev.PreventDefault() // no page scroll, no button press
		}
	})
	a.on(document, "keyup", func(ev event) {
		if ev.Underlying().Get("code").String() == "Space" {
			a.spaceDown = false
			a.cursor = ""
			a.canvas.Get("style").Set("cursor", "default")
		}
	})
}

// startPan begins a pan drag (middle button, or space + left button) at pointer event u.
func (a *app) startPan(u js.Value) {
	a.panning = true
	a.pointerX, a.pointerY = a.canvasPoint(u)
	a.canvas.Call("setPointerCapture", u.Get("pointerId"))
	a.canvas.Get("style").Set("cursor", "grabbing")
}

// movePan follows a pan drag: the drawing moves with the pointer.
func (a *app) movePan(x, y float64) {
	v := a.view(0, 0)
	lo, hi := a.e.ContentBounds()
	a.setCamera(v.PanBy(a.e.Doc.ViewBox, a.pointerX-x, a.pointerY-y, lo, hi))
}

// touchPoint is a finger on the canvas, in canvas pixels.
type touchPoint struct{ x, y float64 }

// pinchState is a two-finger pinch in progress: the fingers' distance and midpoint when
// the camera was last moved.
type pinchState struct{ dist, x, y float64 }

// isTouch reports whether pointer event u comes from a finger (pens and mice do not pinch).
func isTouch(u js.Value) bool { return u.Get("pointerType").String() == "touch" }

// touchDown records a finger; the second one starts a pinch (and cancels the drag the
// first one began). It reports whether the event was the pinch's.
func (a *app) touchDown(u js.Value) bool {
	if !isTouch(u) {
		return false
	}
	if a.touches == nil {
		a.touches = map[int]touchPoint{}
	}
	x, y := a.canvasPoint(u)
	a.touches[u.Get("pointerId").Int()] = touchPoint{x, y}
	if len(a.touches) != 2 {
		return a.pinch != nil
	}
	if a.e.Dragging() {
		a.e.Deselect() // during a gesture: puts the document back as the gesture began
	}
	a.pinch = a.pinchNow()
	a.canvas.Call("setPointerCapture", u.Get("pointerId"))
	return true
}

// pinchNow is the two fingers' distance and midpoint.
func (a *app) pinchNow() *pinchState {
	var ps []touchPoint
	for _, p := range a.touches {
		ps = append(ps, p)
	}
	return &pinchState{dist: math.Hypot(ps[1].x-ps[0].x, ps[1].y-ps[0].y), x: (ps[0].x + ps[1].x) / 2, y: (ps[0].y + ps[1].y) / 2}
}

// touchMove follows a finger; during a pinch the camera zooms by the change of the fingers'
// distance about their midpoint and pans with the midpoint. It reports whether the event
// was the pinch's.
func (a *app) touchMove(u js.Value) bool {
	if !isTouch(u) || a.pinch == nil {
		return false
	}
	id := u.Get("pointerId").Int()
	if _, ok := a.touches[id]; !ok {
		return true
	}
	x, y := a.canvasPoint(u)
	a.touches[id] = touchPoint{x, y}
	if len(a.touches) != 2 {
		return true
	}
	now := a.pinchNow()
	vb := a.e.Doc.ViewBox
	if a.pinch.dist > 0 && now.dist > 0 {
		a.setCamera(a.view(0, 0).ZoomAt(vb, now.dist/a.pinch.dist, a.pinch.x, a.pinch.y))
	}
	lo, hi := a.e.ContentBounds()
	a.setCamera(a.view(0, 0).PanBy(vb, a.pinch.x-now.x, a.pinch.y-now.y, lo, hi))
	a.pinch = now
	return true
}

// touchUp forgets a finger; the pinch ends when fewer than two remain, and its fingers do
// nothing more until all are up.
func (a *app) touchUp(u js.Value) bool {
	if !isTouch(u) {
		return false
	}
	delete(a.touches, u.Get("pointerId").Int())
	was := a.pinch != nil
	if len(a.touches) == 0 {
		a.pinch = nil
	}
	return was
}
