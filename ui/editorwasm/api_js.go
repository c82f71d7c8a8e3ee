//go:build js && wasm

// window.laminaEditor: the page-facing and test-facing API.

package main

import (
	"syscall/js"

	"github.com/lamina-ml/lamina/ui"
)

func (a *app) exposeAPI() {
	api := jsGlobal.Get("laminaEditor")
	if !api.Truthy() {
		api = jsGlobal.Get("Object").New()
		jsGlobal.Set("laminaEditor", api)
	}
	fn := func(name string, f func(args []js.Value) any) {
		jf := js.FuncOf(func(_ js.Value, args []js.Value) any { return f(args) })
		a.funcs = append(a.funcs, jf)
		api.Set(name, jf)
	}
	// busy is true while a model action runs; cancel() stops it (its Promise resolves to null
	// and the drawing stays as it was).
	api.Set("busy", false)
	fn("cancel", func([]js.Value) any { a.cancelModel(); return nil })
	a.exposeAlign(fn)
	fn("getSVG", func([]js.Value) any { return string(a.e.Doc.SVG()) })
	fn("loadSVG", func(args []js.Value) any {
		d, err := ui.ImportSVG([]byte(args[0].String()))
		if err == nil {
			err = a.e.Load(d, "Import")
		}
		if err != nil {
			return jsGlobal.Get("Error").New(err.Error())
		}
		return nil
	})
	fn("generate", func(args []js.Value) any {
		if len(args) > 0 && args[0].Truthy() {
			o := args[0]
			for _, k := range []string{"prompt", "seed", "steps", "cfg"} {
				if v := o.Get(k); !v.IsUndefined() {
					input(byID(k)).SetValue(jsGlobal.Get("String").Invoke(v).String()) // primitives have no methods in syscall/js
				}
			}
		}
		return a.generate()
	})
	// generateOptions(opts) is the "4 options" button; candidates() lists the offer's seeds.
	fn("generateOptions", func(args []js.Value) any {
		if len(args) > 0 && args[0].Truthy() {
			o := args[0]
			for _, k := range []string{"prompt", "seed", "steps", "cfg"} {
				if v := o.Get(k); !v.IsUndefined() {
					input(byID(k)).SetValue(jsGlobal.Get("String").Invoke(v).String())
				}
			}
		}
		return a.generateOptions()
	})
	fn("candidates", func([]js.Value) any {
		seeds := make([]any, len(a.e.Candidates))
		for i, c := range a.e.Candidates {
			seeds[i] = float64(c.Seed)
		}
		return seeds
	})
	// layerPoint(i) is where, in page coordinates, a click selects layer i (paint order):
	// for tests that click on generated shapes they cannot know in advance.
	fn("layerPoint", func(args []js.Value) any {
		i := args[0].Int()
		if i < 0 || i >= len(a.e.Doc.Layers) {
			return js.Null()
		}
		p, ok := a.e.InteriorPoint(a.e.Doc.Layers[i].ID)
		if !ok {
			return js.Null()
		}
		v := a.view(0, 0)
		q := v.Matrix(a.e.Doc.ViewBox).Apply(p)
		r := a.canvas.Call("getBoundingClientRect")
		o := jsGlobal.Get("Object").New()
		o.Set("x", r.Get("left").Float()+q.X/v.Scale)
		o.Set("y", r.Get("top").Float()+q.Y/v.Scale)
		return o
	})
	fn("state", func([]js.Value) any {
		o := jsGlobal.Get("Object").New()
		o.Set("layers", len(a.e.Doc.Layers))
		sel := jsGlobal.Get("Array").New()
		for _, i := range a.e.SelectedIndices() {
			sel.Call("push", i)
		}
		o.Set("selected", sel)
		o.Set("busy", a.e.Busy() || a.mr.busy)
		o.Set("modelLoaded", a.activeDrawer() != nil)
		o.Set("drawer", map[bool]string{true: "worker", false: "page"}[a.mr.worker != nil])
		o.Set("canUndo", a.e.CanUndo())
		o.Set("status", a.status.TextContent())
		o.Set("revision", a.e.Revision)
		o.Set("drawn", a.drawn)
		o.Set("render", a.rp.Mode.String())
		o.Set("renderer", a.renderer)
		v := a.view(0, 0)
		o.Set("zoom", v.ZoomLevel(a.e.Doc.ViewBox))
		cam := jsGlobal.Get("Object").New() // the camera as set (zoom 0: the artboard's fit)
		cam.Set("zoom", a.cam.Zoom)
		cam.Set("x", a.cam.Center.X)
		cam.Set("y", a.cam.Center.Y)
		o.Set("camera", cam)
		o.Set("handlesOnStage", a.e.HandlesOnStage(v))
		return o
	})
	// benchRender(frames) times the ways of drawing the current document's layers on the
	// next frame (e2e-editor/bench-render.mjs).
	fn("benchRender", func(args []js.Value) any {
		frames := 10
		if len(args) > 0 && args[0].Type() == js.TypeNumber {
			frames = max(1, args[0].Int())
		}
		return newPromise(func() (any, error) {
			req := &benchReq{frames: frames, out: make(chan map[string]any, 1)}
			a.bench <- req
			return <-req.out, nil
		})
	})
}
