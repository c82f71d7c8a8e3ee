//go:build js && wasm

// Toolbar, file import/export, keyboard shortcuts and canvas pointer input.

package main

import (
	"strconv"
	"strings"
	"syscall/js"

	"github.com/lamina-ml/lamina/promise"
	"github.com/lamina-ml/lamina/ui"
	"github.com/lamina-ml/lamina/vector"
)

func (a *app) modKey(u js.Value) bool {
	if a.mac {
		return u.Get("metaKey").Bool()
	}
	return u.Get("ctrlKey").Bool()
}

func (a *app) wire() {
	statusSink = func(err error) { a.setStatus(err.Error(), true) }
	a.wireLayers()
	a.wireTabs()
	a.wireCanvas()
	a.wireKeys()
	a.wireZoom()
	a.wireSession()
	a.wireGeometry()
	a.wireAlign()
	a.onClick("undo", func() { a.e.Undo() })
	a.onClick("redo", func() { a.e.Redo() })
	a.onClick("duplicate", func() { a.report(a.e.Duplicate()) })
	a.onClick("delete", func() { a.report(a.e.Delete()) })
	a.onClick("forward", func() { a.report(a.e.BringForward()) })
	a.onClick("backward", func() { a.report(a.e.SendBackward()) })
	a.mr.ignore = js.FuncOf(func(js.Value, []js.Value) any { return nil })
	a.funcs = append(a.funcs, a.mr.ignore)
	a.onClick("generate", func() { a.modelClick(a.generate) })
	a.onClick("generate-options", func() { a.modelClick(a.generateOptions) })
	a.onClick("cancel", a.cancelModel)
	a.wireCandidates()
	a.onClick("regen-selected", func() {
		a.modelClick(func() js.Value { return a.edit(ui.EditRegenerateSelected, "Regenerating the selection") })
	})
	a.onClick("regen-unlocked", func() {
		a.modelClick(func() js.Value { return a.edit(ui.EditRegenerateUnlocked, "Regenerating unlocked layers") })
	})
	a.onClick("recolor", func() { a.modelClick(func() js.Value { return a.edit(ui.EditRecolor, "Recoloring") }) })
	a.onClick("add-layers", func() { a.modelClick(func() js.Value { return a.edit(ui.EditAddLayers, "Adding layers") }) })
	a.onClick("seed-dice", func() {
		input(byID("seed")).SetValue(strconv.Itoa(int(jsGlobal.Get("Math").Call("random").Float() * 1e6)))
	})
	a.on(byID("prompt"), "keydown", func(ev event) {
		if ev.Underlying().Get("key").String() == "Enter" {
			ev.PreventDefault()
			a.modelClick(a.generate)
		}
	})
	a.on(byID("fill"), "change", func(ev event) {
		c, ok, err := vector.ParseColor(input(byID("fill")).Value())
		if err == nil && ok {
			a.report(a.e.SetFill(c))
		}
		a.focusCanvas(ev)
	})
	a.on(byID("opacity"), "input", func(ev event) {
		byID("opacity-value").SetTextContent(input(byID("opacity")).Value() + "%")
	})
	a.on(byID("opacity"), "change", func(ev event) {
		v, err := strconv.ParseFloat(input(byID("opacity")).Value(), 64)
		if err == nil {
			a.report(a.e.SetOpacity(v / 100))
		}
		a.focusCanvas(ev)
	})
	a.onClick("export-svg", func() {
		jsGlobal.Get("laminaEditorHost").Call("download", "lamina.svg", "image/svg+xml", string(a.e.Doc.SVG()))
	})
	a.onClick("export-png", func() {
		bg := "#ffffff" // the artboard's white, as the canvas shows it
		if byID("png-transparent").Get("checked").Bool() {
			bg = ""
		}
		jsGlobal.Get("laminaEditorHost").Call("downloadPNG", "lamina.png", string(a.e.Doc.SVG()), 1024, bg)
	})
	a.onClick("copy-svg", func() {
		go func() {
			if _, err := promise.Await(jsGlobal.Get("laminaEditorHost").Call("copy", string(a.e.Doc.SVG()))); err != nil {
				a.setStatus("Could not copy: "+err.Error(), true)
				return
			}
			a.setStatus("SVG copied to the clipboard.", false)
		}()
	})
	a.on(byID("import-file"), "change", func(ev event) {
		files := ev.Target().Underlying().Get("files")
		if files.Get("length").Int() == 0 {
			return
		}
		f := files.Index(0)
		go func() {
			txt, err := promise.Await(f.Call("text"))
			if err != nil {
				a.report(err)
				return
			}
			a.importSVG(txt.String(), f.Get("name").String())
		}()
		ev.Target().Underlying().Set("value", "")
	})
	a.onClick("paste-svg", func() {
		go func() {
			txt, err := promise.Await(jsGlobal.Get("laminaEditorHost").Call("readClipboard"))
			if err != nil || !strings.Contains(txt.String(), "<svg") {
				a.setStatus("No SVG on the clipboard: copy an SVG's text, or press "+a.modName()+"+V on the canvas.", true)
				return
			}
			a.importSVG(txt.String(), "the clipboard")
		}()
	})
	a.on(document, "paste", func(ev event) {
		if isTextField(ev.Target()) {
			return
		}
		cd := ev.Underlying().Get("clipboardData")
		if !cd.Truthy() {
			return
		}
		txt := cd.Call("getData", "text/plain").String()
		if strings.Contains(txt, "<svg") {
			ev.PreventDefault()
			a.importSVG(txt, "the clipboard")
		}
	})
}

func (a *app) importSVG(text, from string) {
	d, unsupported, err := ui.ImportSVGWithReport([]byte(text))
	if err != nil {
		a.setStatus("Could not import "+from+": "+err.Error(), true)
		return
	}
	if err := a.e.Load(d, "Import"); err != nil {
		a.report(err)
		return
	}
	// What the reader approximated or left out is said, never dropped silently.
	a.setStatus(ui.ImportStatus(len(d.Layers), unsupported, from), false)
}

func isTextField(el element) bool {
	if el == nil {
		return false
	}
	switch strings.ToLower(el.TagName()) {
	case "input", "textarea", "select":
		return true
	}
	return el.Underlying().Get("isContentEditable").Bool()
}

func (a *app) wireKeys() {
	a.on(document, "keydown", func(ev event) {
		u := ev.Underlying()
		if isTextField(ev.Target()) {
			return
		}
		if k := u.Get("key").String(); k == "F2" {
			if sel := a.e.Selected(); len(sel) == 1 {
				ev.PreventDefault()
				a.startRename(sel[0])
			}
			return
		}
		s := ui.ShortcutFor(ui.KeyEvent{
			Key: u.Get("key").String(), Code: u.Get("code").String(),
			Meta: u.Get("metaKey").Bool(), Ctrl: u.Get("ctrlKey").Bool(),
			Shift: u.Get("shiftKey").Bool(), Alt: u.Get("altKey").Bool(),
		}, a.mac)
		if s.Action == ui.ActNone {
			return
		}
		ev.PreventDefault()
		if s.Action.IsView() {
			a.runView(s.Action)
			return
		}
		a.e.Run(s)
		if s.Action == ui.ActSelectAll {
			a.revealSelection()
		}
	})
}

func (a *app) canvasPoint(u js.Value) (float64, float64) {
	r := a.canvas.Call("getBoundingClientRect")
	s := dpr()
	return (u.Get("clientX").Float() - r.Get("left").Float()) * s, (u.Get("clientY").Float() - r.Get("top").Float()) * s
}

var handleCursors = map[ui.Handle]string{
	ui.HandleNW: "nwse-resize", ui.HandleSE: "nwse-resize", ui.HandleNE: "nesw-resize", ui.HandleSW: "nesw-resize",
	ui.HandleRotate: "grab",
}

func (a *app) wireCanvas() {
	c := wrap(a.canvas)
	a.on(c, "pointerdown", func(ev event) {
		u := ev.Underlying()
		if a.touchDown(u) {
			return // a second finger: a pinch
		}
		if b := u.Get("button").Int(); b == 1 || b == 0 && a.spaceDown {
			ev.PreventDefault() // no autoscroll
			a.startPan(u)
			return
		}
		if u.Get("button").Int() != 0 {
			return
		}
		x, y := a.canvasPoint(u)
		mode := ui.SelectReplace
		if u.Get("shiftKey").Bool() || a.modKey(u) {
			mode = ui.SelectToggle
		}
		if a.e.PointerDown(a.view(0, 0), x, y, mode) {
			a.canvas.Call("setPointerCapture", u.Get("pointerId"))
		}
	})
	a.on(c, "pointermove", func(ev event) {
		u := ev.Underlying()
		if a.touchMove(u) {
			return
		}
		x, y := a.canvasPoint(u)
		if a.panning {
			a.movePan(x, y)
		}
		a.pointerX, a.pointerY, a.pointerIn = x, y, true
		if a.panning || a.spaceDown {
			return
		}
		v := a.view(0, 0)
		if a.e.Dragging() {
			a.e.PointerMove(v, x, y, u.Get("shiftKey").Bool())
			return
		}
		cur := "default"
		if h := a.e.HandleAt(v, x, y); h != ui.HandleNone {
			cur = handleCursors[h]
		} else if a.e.HitTest(v.ToDoc(a.e.Doc.ViewBox, x, y)) != 0 {
			cur = "move"
		}
		if cur != a.cursor {
			a.cursor = cur
			a.canvas.Get("style").Set("cursor", cur)
		}
	})
	end := func(ev event) {
		if a.touchUp(ev.Underlying()) {
			return
		}
		if a.panning {
			a.panning = false
			a.cursor = ""
			a.canvas.Get("style").Set("cursor", map[bool]string{true: "grab", false: "default"}[a.spaceDown])
			return
		}
		a.e.PointerUp()
	}
	a.on(c, "pointerup", end)
	a.on(c, "pointercancel", end)
	a.on(c, "pointerleave", func(event) { a.pointerIn = false })
}

func wrap(v js.Value) element { return &domElem{v} }
