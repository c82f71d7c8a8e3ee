//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"syscall/js"
	"time"

	"github.com/lamina-ml/lamina/backend"
	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/ui"
	"github.com/lamina-ml/lamina/ui/svgdrawer"
	"github.com/lamina-ml/lamina/vector"
)

// drawer is the loaded model as the editor's state machine sees it (ui.Drawer).
func drawer(m *svgmodel.Model) ui.Drawer { return svgdrawer.New(m) }

// drawOptions carries the generation controls (read into svgmodel.Options, whose limits
// they are checked against) over to the editor.
func drawOptions(o svgmodel.Options) ui.DrawOptions {
	return ui.DrawOptions{Prompt: o.Prompt, Seed: o.Seed, Steps: o.Steps, CFG: o.CFG}
}

// modelRun is the drawing model as the editor runs it, and the run in progress.
type modelRun struct {
	// worker is the model in a Web Worker (workerdrawer_js.go); nil when it runs on this
	// page (app.model), without workers or with ?drawer=page.
	worker *workerDrawer
	// busy is set while a model action starts or runs: before its goroutine starts, so a
	// second click in the same turn is refused too.
	busy   bool
	cancel context.CancelFunc // stops the run in progress
	// perStep is the last run's time per step, for the estimate before the next run's
	// first step.
	perStep time.Duration
	ignore  js.Func // a no-op Promise rejection handler (modelClick)
}

// activeDrawer is the drawer the next model action runs on, or nil before a model loaded.
func (a *app) activeDrawer() ui.Drawer {
	switch {
	case a.mr.worker != nil:
		return *a.mr.worker
	case a.model != nil:
		return drawer(a.model)
	}
	return nil
}

// workerWanted reports whether the model should run in a Web Worker: unless ?drawer=page
// asks for this page's thread (the fallback, kept testable) or the browser has no workers.
func workerWanted() bool {
	p := jsGlobal.Get("URLSearchParams").New(window.Location().Get("search")).Call("get", "drawer")
	return !(p.Truthy() && p.String() == "page") && jsGlobal.Get("Worker").Truthy()
}

// workerMode is ?backend= for the worker runtime, and a note when it is not one.
func workerMode() (string, string) {
	p := jsGlobal.Get("URLSearchParams").New(window.Location().Get("search")).Call("get", "backend")
	s := ""
	if p.Truthy() {
		s = p.String()
	}
	mode, err := backend.ParseMode(s)
	if err != nil {
		return string(backend.CPU), fmt.Sprintf("Unknown backend %q (auto, webgpu or cpu): drawing on the CPU. ", s)
	}
	return string(mode), ""
}

// setModelBusy shows that a model action runs (or no longer does): the model buttons are
// disabled, Generate says "Drawing…", Cancel is offered, and window.laminaEditor.busy says so.
func (a *app) setModelBusy(busy bool) {
	a.mr.busy = busy
	if !busy {
		a.mr.cancel = nil
	}
	bar := byID("progress")
	if busy {
		bar.Class().Add("active")
	} else {
		bar.Class().Remove("active")
	}
	c := byID("cancel").Underlying()
	c.Set("disabled", !busy)
	c.Set("hidden", !busy)
	if api := jsGlobal.Get("laminaEditor"); api.Truthy() {
		api.Set("busy", busy)
	}
	a.refreshButtons()
}

// showEstimate puts a worker run's estimate (SVG text; "" hides it) over the artboard, where
// the browser draws it: this thread only sets the image's place and source.
func (a *app) showEstimate(svg string) {
	img := byID("estimate").Underlying()
	if svg == "" {
		img.Set("hidden", true)
		img.Call("removeAttribute", "src")
		return
	}
	vb := a.e.Doc.ViewBox
	v := a.view(0, 0)
	m := v.Matrix(vb)
	p0 := m.Apply(vector.Point{X: vb[0], Y: vb[1]})
	p1 := m.Apply(vector.Point{X: vb[0] + vb[2], Y: vb[1] + vb[3]})
	r := a.canvas.Call("getBoundingClientRect")
	st := img.Get("style")
	px := func(v float64) string { return fmt.Sprintf("%.2fpx", v) }
	st.Set("left", px(r.Get("left").Float()+p0.X/v.Scale))
	st.Set("top", px(r.Get("top").Float()+p0.Y/v.Scale))
	st.Set("width", px((p1.X-p0.X)/v.Scale))
	st.Set("height", px((p1.Y-p0.Y)/v.Scale))
	img.Set("src", "data:image/svg+xml;charset=utf-8,"+jsGlobal.Call("encodeURIComponent", svg).String())
	img.Set("hidden", false)
}
