//go:build js && wasm

// The Selection panel's align and distribute buttons and their window.laminaEditor entries.

package main

import (
	"errors"
	"syscall/js"

	"github.com/lamina-ml/lamina/ui"
)

// alignButtons maps the buttons' ids to their alignment.
var alignButtons = []struct {
	id string
	a  ui.Align
}{
	{"align-left", ui.AlignLeft}, {"align-center-h", ui.AlignCenterH}, {"align-right", ui.AlignRight},
	{"align-top", ui.AlignTop}, {"align-middle", ui.AlignMiddle}, {"align-bottom", ui.AlignBottom},
}

// wireAlign makes the buttons run their command (one undo step each); the keys go back to
// the canvas afterwards.
func (a *app) wireAlign() {
	for _, b := range alignButtons {
		al := b.a
		a.on(byID(b.id), "click", func(ev event) {
			a.report(a.e.Align(al))
			a.focusCanvas(ev)
		})
	}
	for id, h := range map[string]bool{"distribute-h": true, "distribute-v": false} {
		a.on(byID(id), "click", func(ev event) {
			a.report(a.e.Distribute(h))
			a.focusCanvas(ev)
		})
	}
}

// refreshAlign enables aligning with a selection, distributing with three layers or more.
func (a *app) refreshAlign(busy bool) {
	n := len(a.e.Selected())
	for _, b := range alignButtons {
		byID(b.id).Underlying().Set("disabled", n == 0 || busy)
	}
	for _, id := range []string{"distribute-h", "distribute-v"} {
		byID(id).Underlying().Set("disabled", n < 3 || busy)
	}
}

// exposeAlign adds align(name) ("left", "center-h", "right", "top", "middle", "bottom"),
// distribute("h" | "v") and layerBounds(i) ({x0, y0, x1, y1} of layer i in user units, or
// null) to window.laminaEditor. The commands return null or an Error (a locked layer:
// ErrLocked's message).
func (a *app) exposeAlign(fn func(name string, f func(args []js.Value) any)) {
	result := func(err error) any {
		if err != nil {
			return jsGlobal.Get("Error").New(err.Error())
		}
		return nil
	}
	fn("align", func(args []js.Value) any {
		if len(args) == 0 || args[0].Type() != js.TypeString {
			return result(errors.New("align: want a name such as \"left\""))
		}
		al, ok := ui.ParseAlign(args[0].String())
		if !ok {
			return result(errors.New("align: unknown alignment " + args[0].String()))
		}
		err := a.e.Align(al)
		a.report(err)
		return result(err)
	})
	fn("distribute", func(args []js.Value) any {
		h := len(args) == 0 || args[0].String() != "v"
		err := a.e.Distribute(h)
		a.report(err)
		return result(err)
	})
	fn("layerBounds", func(args []js.Value) any {
		if len(args) == 0 || args[0].Type() != js.TypeNumber {
			return js.Null()
		}
		i := args[0].Int()
		if i < 0 || i >= len(a.e.Doc.Layers) {
			return js.Null()
		}
		lo, hi, ok := a.e.Doc.Layers[i].Bounds()
		if !ok {
			return js.Null()
		}
		return map[string]any{"x0": lo.X, "y0": lo.Y, "x1": hi.X, "y1": hi.Y}
	})
}
