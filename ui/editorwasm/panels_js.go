//go:build js && wasm

// Per-frame sync of the DOM with the editor state: buttons, autosave, the layers panel,
// tabs and the properties of the selection.

package main

import (
	"fmt"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/lamina-ml/lamina/ui"
)

// sync runs every frame: when the document changed it rebuilds the layers panel, updates
// the properties and buttons and saves the document (not mid-drag: a drag saves at its end).
func (a *app) sync() {
	if err := a.e.Refusal; err != nil {
		a.e.Refusal = nil
		a.setStatus("That layer is locked: unlock it (the lock button in Layers) to move, resize, delete or recolor it.", true)
		a.synced = -1 // re-render the controls the refused change had moved
	}
	if !a.settingsEdited.IsZero() && time.Since(a.settingsEdited) > settingsSaveDelay && !a.e.Dragging() {
		a.settingsEdited = time.Time{}
		a.saveSession()
	}
	a.expireStatus()
	if a.camReplaced != a.e.Replaced { // a new drawing: back to the artboard's fit
		a.camReplaced = a.e.Replaced
		a.setCamera(ui.Camera{})
	}
	if a.synced == a.e.Revision || a.e.Dragging() || a.e.Busy() && a.e.Preview != nil {
		if a.e.Busy() {
			byID("empty-hint").Class().Add("hidden")
		}
		return
	}
	a.synced = a.e.Revision
	defer span("sync")()
	if a.renaming == 0 {
		end := span("layers panel")
		a.renderLayers()
		end()
	}
	end := span("properties")
	a.renderProperties()
	a.renderCandidates()
	a.refreshButtons()
	end()
	if len(a.e.Doc.Layers) == 0 {
		byID("empty-hint").Class().Remove("hidden")
	} else {
		byID("empty-hint").Class().Add("hidden")
	}
	a.saveSession()
	if a.embed && jsGlobal.Get("parent").Truthy() {
		msg := jsGlobal.Get("Object").New()
		msg.Set("type", "lamina-editor-change")
		msg.Set("svg", string(a.e.Doc.SVG()))
		jsGlobal.Get("parent").Call("postMessage", msg, "*")
	}
}

// settingFields are the draw settings a session keeps, by element id.
var settingFields = []string{"prompt", "seed", "steps", "cfg", "add-count"}

// settingsSaveDelay is how long typing in a settings field, or zooming and panning, pauses
// before the session is saved (not at every key or wheel event).
const settingsSaveDelay = 400 * time.Millisecond

// wireSession saves the session when a draw setting changes (setCamera: when the view
// moves) and when the page goes away.
func (a *app) wireSession() {
	for _, id := range settingFields {
		a.on(byID(id), "input", func(event) { a.settingsEdited = time.Now() })
	}
	a.on(window, "pagehide", func(event) { a.saveSession() })
}

// saveSession writes the document, its undo history and the draw settings to localStorage
// (ui.SessionEncoder bounds the history). A storage that refuses (full, or blocked) keeps
// the drawing alone under the older key, and the editor says so once.
func (a *app) saveSession() {
	defer span("save session")()
	ls := jsGlobal.Get("localStorage")
	if !ls.Truthy() {
		return
	}
	settings := map[string]string{}
	for _, id := range settingFields {
		settings[id] = input(byID(id)).Value()
	}
	if err := storageSet(ls, sessionKey, string(a.session.MarshalSession(a.e, settings, a.cam))); err != nil {
		if !a.saveFailed {
			a.saveFailed = true
			a.setStatus("Could not save the undo history in this browser ("+err.Error()+"); the drawing itself is saved.", true)
		}
		_ = storageSet(ls, autosaveKey, string(ui.MarshalDocument(a.e.Doc)))
		return
	}
	ls.Call("removeItem", autosaveKey)
}

// storageSet is localStorage.setItem, with its exceptions (QuotaExceededError,
// SecurityError) as errors rather than panics.
func storageSet(ls js.Value, key, val string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	ls.Call("setItem", key, val)
	return nil
}

// restore loads the saved session (the drawing, its undo history and the draw settings),
// or a drawing saved by an editor from before sessions.
func (a *app) restore() {
	ls := jsGlobal.Get("localStorage")
	if !ls.Truthy() {
		return
	}
	if s := ls.Call("getItem", sessionKey); s.Type() == js.TypeString {
		sess, err := a.e.RestoreSession([]byte(s.String()))
		if err != nil {
			a.setStatus("Could not restore the last session: "+err.Error(), true)
			return
		}
		for _, id := range settingFields {
			if v, ok := sess.Settings[id]; ok {
				input(byID(id)).SetValue(v)
			}
		}
		// The zoom and pan it was left at, not the new drawing's fit (sync fits the view
		// when Replaced moves on).
		a.camReplaced = a.e.Replaced
		a.showCamera(sess.Camera)
		return
	}
	s := ls.Call("getItem", autosaveKey)
	if s.IsNull() || s.IsUndefined() {
		return
	}
	d, err := ui.UnmarshalDocument([]byte(s.String()))
	if err != nil {
		a.setStatus("Could not restore the autosaved drawing: "+err.Error(), true)
		return
	}
	_ = a.e.Load(d, "Restore")
	a.e.ResetHistory()
}

func (a *app) refreshButtons() {
	busy := a.e.Busy() || a.mr.busy
	sel := len(a.e.Selected()) > 0
	has := len(a.e.Doc.Layers) > 0
	set := func(id string, enabled bool) {
		byID(id).Underlying().Set("disabled", !enabled)
	}
	set("undo", a.e.CanUndo())
	set("redo", a.e.CanRedo())
	byID("undo").SetAttribute("title", "Undo "+a.e.UndoLabel()+" ("+a.modName()+"+Z)")
	for _, id := range []string{"duplicate", "delete", "forward", "backward"} {
		set(id, sel && !busy)
	}
	modelOK := a.activeDrawer() != nil && !busy
	set("generate", modelOK)
	set("generate-options", modelOK)
	set("regen-selected", modelOK && sel)
	set("regen-unlocked", modelOK && has)
	set("recolor", modelOK && has)
	set("add-layers", modelOK && has)
	set("fill", sel && !busy)
	set("opacity", sel && !busy)
	for _, id := range geomFields {
		set(id, sel && !busy)
	}
	a.refreshAlign(busy)
	if busy {
		byID("generate").SetTextContent("Drawing…")
	} else {
		byID("generate").SetTextContent("Generate")
	}
}

func (a *app) modName() string {
	if a.mac {
		return "⌘"
	}
	return "Ctrl"
}

// ---- layers panel ----

const (
	iconEye    = `<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M1 12s4-7 11-7 11 7 11 7-4 7-11 7S1 12 1 12z"/><circle cx="12" cy="12" r="3"/></svg>`
	iconEyeOff = `<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 3l18 18M10.6 5.1A10 10 0 0 1 12 5c7 0 11 7 11 7a17 17 0 0 1-3.2 4M6.6 6.6A17 17 0 0 0 1 12s4 7 11 7a10 10 0 0 0 5.4-1.6"/></svg>`
	iconLock   = `<svg viewBox="0 0 24 24" aria-hidden="true"><rect x="4" y="11" width="16" height="10" rx="2"/><path d="M8 11V7a4 4 0 0 1 8 0v4"/></svg>`
	iconUnlock = `<svg viewBox="0 0 24 24" aria-hidden="true"><rect x="4" y="11" width="16" height="10" rx="2"/><path d="M8 11V7a4 4 0 0 1 7.7-1.5"/></svg>`
)

func (a *app) renderLayers() {
	d := a.e.Doc
	var b strings.Builder
	for i := len(d.Layers) - 1; i >= 0; i-- {
		l := &d.Layers[i]
		cls := "layer-row"
		if a.e.IsSelected(l.ID) {
			cls += " selected"
		}
		if l.Hidden {
			cls += " is-hidden"
		}
		if l.Locked {
			cls += " is-locked"
		}
		eye, eyeTitle := iconEye, "Hide"
		if l.Hidden {
			eye, eyeTitle = iconEyeOff, "Show"
		}
		lock, lockTitle := iconUnlock, "Lock"
		if l.Locked {
			lock, lockTitle = iconLock, "Unlock"
		}
		fmt.Fprintf(&b, `<li class="%s" data-testid="layer-row" data-layer-index="%d" data-layer-id="%d" draggable="true" aria-selected="%v">`+
			`<span class="thumb">%s</span><span class="name" data-testid="layer-name" title="Double-click or F2 to rename">%s</span>`+
			`<button class="icon" data-testid="layer-visibility" aria-pressed="%v" title="%s (%s+Shift+H)">%s</button>`+
			`<button class="icon" data-testid="layer-lock" aria-pressed="%v" title="%s (%s+Shift+L)">%s</button></li>`,
			cls, i, l.ID, a.e.IsSelected(l.ID), d.LayerSVG(i), html(l.Name), l.Hidden, eyeTitle, a.modName(), eye, l.Locked, lockTitle, a.modName(), lock)
	}
	byID("layer-list").SetInnerHTML(b.String())
	byID("layer-count").SetTextContent(strconv.Itoa(len(d.Layers)))
	byID("tab-layer-count").SetTextContent(strconv.Itoa(len(d.Layers)))
}

func html(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// rowOf returns the layer ID of the row containing el, or 0.
func rowOf(el element) (element, int) {
	if el == nil {
		return nil, 0
	}
	row := el.Closest(`[data-testid="layer-row"]`)
	if row == nil {
		return nil, 0
	}
	id, _ := strconv.Atoi(row.GetAttribute("data-layer-id"))
	return row, id
}

func (a *app) wireLayers() {
	list := byID("layer-list")
	a.on(list, "click", func(ev event) {
		t := ev.Target()
		_, id := rowOf(t)
		if id == 0 {
			return
		}
		// The second click of a double-click on the name renames: the first one selected
		// the row and re-rendered the list, so a dblclick event no longer has the row as
		// its target.
		if ev.Underlying().Get("detail").Int() == 2 && t.Closest(`[data-testid="layer-name"]`) != nil {
			a.startRename(id)
			return
		}
		l := &a.e.Doc.Layers[a.e.Doc.Index(id)]
		switch {
		case t.Closest(`[data-testid="layer-visibility"]`) != nil:
			a.report(a.e.SetHidden(id, !l.Hidden))
		case t.Closest(`[data-testid="layer-lock"]`) != nil:
			a.report(a.e.SetLocked(id, !l.Locked))
		default:
			u := ev.Underlying()
			mode := ui.SelectReplace
			if u.Get("shiftKey").Bool() {
				mode = ui.SelectRange
			} else if a.modKey(u) {
				mode = ui.SelectToggle
			}
			a.e.Select(id, mode)
		}
	})
	a.on(list, "dblclick", func(ev event) {
		_, id := rowOf(ev.Target())
		if id == 0 || ev.Target().Closest("button") != nil {
			return
		}
		if a.renaming == 0 {
			a.startRename(id)
		}
	})
	// Drag to reorder (HTML drag and drop): dropping on a row puts the dragged layer at that
	// row's paint index.
	a.on(list, "dragstart", func(ev event) {
		_, id := rowOf(ev.Target())
		a.dragRow = id
		if dt := ev.Underlying().Get("dataTransfer"); dt.Truthy() {
			dt.Set("effectAllowed", "move")
			dt.Call("setData", "text/plain", strconv.Itoa(id))
		}
	})
	a.on(list, "dragover", func(ev event) {
		if a.dragRow != 0 {
			ev.PreventDefault()
			for _, r := range list.QuerySelectorAll(".drop-target") {
				r.Class().Remove("drop-target")
			}
			if row, _ := rowOf(ev.Target()); row != nil {
				row.Class().Add("drop-target")
			}
		}
	})
	a.on(list, "drop", func(ev event) {
		ev.PreventDefault()
		row, _ := rowOf(ev.Target())
		if row != nil && a.dragRow != 0 {
			to, _ := strconv.Atoi(row.GetAttribute("data-layer-index"))
			a.report(a.e.Move(a.dragRow, to))
		}
		a.dragRow = 0
		a.synced = -1
	})
	a.on(list, "dragend", func(event) { a.dragRow = 0; a.synced = -1 })
}

// wireTabs switches the bottom sheet of narrow windows between the two panels; tapping the
// open tab folds the sheet away (more room for the drawing) and tapping again unfolds it.
func (a *app) wireTabs() {
	body := document.QuerySelector("body")
	tabs := map[string]element{"tab-draw": byID("tab-draw"), "tab-layers": byID("tab-layers")}
	for id := range tabs {
		a.onClick(id, func() {
			open := tabs[id].GetAttribute("aria-selected") == "true"
			if open {
				body.Class().Toggle("sheet-closed")
			} else {
				body.Class().Remove("sheet-closed")
			}
			for other, el := range tabs {
				el.SetAttribute("aria-selected", strconv.FormatBool(other == id))
			}
			if id == "tab-layers" {
				body.Class().Add("tab-layers")
			} else {
				body.Class().Remove("tab-layers")
			}
		})
	}
}

// ---- properties ----

// geomFields are the selection's number fields: X, Y, W, H and rotation.
var geomFields = []string{"geom-x", "geom-y", "geom-w", "geom-h", "geom-r"}

// fmtField writes a number for a field: two decimals at most, no trailing zeros.
func fmtField(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// wireGeometry applies an edited number field (on change: Enter, a spinner click or
// leaving the field) as one undo step, then gives the keys back to the canvas.
func (a *app) wireGeometry() {
	num := func(id string) (float64, bool) {
		v, err := strconv.ParseFloat(input(byID(id)).Value(), 64)
		return v, err == nil
	}
	for _, id := range geomFields {
		a.on(byID(id), "change", func(ev event) {
			g, ok := a.e.SelectionGeometry()
			v, okv := num(id)
			if ok && okv {
				switch id {
				case "geom-x":
					a.report(a.e.MoveSelectionTo(v, g.Y))
				case "geom-y":
					a.report(a.e.MoveSelectionTo(g.X, v))
				case "geom-w":
					a.report(a.e.ResizeSelection(v, g.H))
				case "geom-h":
					a.report(a.e.ResizeSelection(g.W, v))
				case "geom-r":
					a.report(a.e.RotateSelectionTo(v))
				}
			}
			a.synced = -1 // show what was applied (or the old value, when refused)
			a.focusCanvas(ev)
		})
	}
}

func (a *app) renderProperties() {
	idx := a.e.SelectedIndices()
	g, ok := a.e.SelectionGeometry()
	// A field being typed in keeps what the user typed: an update due from an earlier edit
	// (each edit re-renders the panel on the next frame) would otherwise overwrite a number
	// typed before Enter, and Enter would apply the old one. The change handler hands the
	// keys back to the canvas before its own re-render, so the applied value still shows.
	focused := document.Get("activeElement")
	for i, v := range []float64{g.X, g.Y, g.W, g.H, g.Rotation} {
		s := ""
		if ok {
			s = fmtField(v)
		}
		f := input(byID(geomFields[i]))
		if ok && f.Underlying().Equal(focused) {
			continue
		}
		f.SetValue(s)
	}
	if len(idx) == 0 {
		byID("selection-info").SetTextContent("Nothing selected — click a shape on the canvas or a row in Layers.")
		return
	}
	l := a.e.Doc.Layers[idx[len(idx)-1]]
	input(byID("fill")).SetValue(l.Fill.Hex())
	input(byID("opacity")).SetValue(strconv.Itoa(int(l.Fill.A*100 + 0.5)))
	byID("opacity-value").SetTextContent(strconv.Itoa(int(l.Fill.A*100+0.5)) + "%")
	if len(idx) == 1 {
		byID("selection-info").SetTextContent(l.Name)
	} else {
		byID("selection-info").SetTextContent(fmt.Sprintf("%d layers", len(idx)))
	}
}

// startRename puts a name box in layer id's row (double-click on the name, or F2). While it
// is open the list is not re-rendered (a re-render would wipe it); Enter or leaving the box
// commits one "Rename" undo step, Escape cancels.
func (a *app) startRename(id int) {
	if a.e.Doc.Index(id) < 0 {
		return
	}
	a.renderLayers() // the row as the document has it now, then the box in it
	row := byID("layer-list").QuerySelector(`[data-layer-id="` + strconv.Itoa(id) + `"]`)
	if row == nil {
		return
	}
	name := row.QuerySelector(".name")
	a.renaming = id
	l := a.e.Doc.Layers[a.e.Doc.Index(id)]
	name.SetInnerHTML(`<input class="rename" aria-label="Layer name" value="` + html(l.Name) + `">`)
	in := name.QuerySelector("input")
	in.Focus()
	in.Select()
	done := false
	commit := func(ok bool) {
		if done {
			return
		}
		done = true
		a.renaming = 0
		a.synced = -1 // re-render the row (a rename also bumps the revision)
		if ok && strings.TrimSpace(in.Value()) != "" && in.Value() != l.Name {
			a.report(a.e.Rename(id, strings.TrimSpace(in.Value())))
		}
	}
	in.AddEventListener("keydown", false, func(ev event) {
		switch ev.Underlying().Get("key").String() {
		case "Enter":
			commit(true)
		case "Escape":
			commit(false)
		}
		ev.StopPropagation()
	})
	in.AddEventListener("blur", false, func(event) { commit(true) })
}
