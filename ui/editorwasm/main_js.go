//go:build js && wasm

// Command editorwasm is the browser build of lamina's layer editor: ui.Editor holds the
// state, ebiten replays its display list on the canvas, and the panels are DOM built with
// honnef.co/go/js/dom/v2. The diffusion model runs in this process on the CPU backend.
package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"syscall/js"
	"testing/fstest"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"honnef.co/go/js/dom/v2"

	"github.com/lamina-ml/lamina/promise"
	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/ui"
	"github.com/lamina-ml/lamina/vector"
)

var (
	window   = dom.GetWindow()
	document = window.Document()
	jsGlobal = js.Global()
)

// autosaveKey is the localStorage entry of the current document.
const autosaveKey = "lamina.editor.autosave.v1"

type app struct {
	e       *ui.Editor
	model   *svgmodel.Model
	canvas  js.Value
	mac     bool
	embed   bool
	rp      replayer
	drawn   int // revision last drawn
	drawnW  int
	drawnH  int
	synced  int // revision the panels and autosave last saw
	status  dom.Element
	funcs   []js.Func
	cursor  string
	dragRow int // layer ID being dragged in the panel
	// renderer is the WebGL renderer's name (it picks rp.Mode unless ?render= says).
	renderer string
	bench    chan *benchReq // benchRender requests, served by the next Draw
	stage    js.Value       // #stage: where the drawing goes
	stageKey string         // its last bounding box, to redraw when the layout changes
}

func main() {
	a := &app{e: ui.New(), synced: -1, drawn: -1, bench: make(chan *benchReq, 1)}
	a.canvas = document.QuerySelector("body > canvas").Underlying()
	if !a.canvas.Truthy() {
		panic("editor: ebiten created no canvas")
	}
	a.canvas.Call("setAttribute", "data-testid", "canvas")
	a.canvas.Call("setAttribute", "aria-label", "drawing canvas")
	a.canvas.Call("setAttribute", "id", "canvas")
	nav := jsGlobal.Get("navigator")
	platform := nav.Get("platform").String()
	if ud := nav.Get("userAgentData"); ud.Truthy() && ud.Get("platform").Truthy() {
		platform = ud.Get("platform").String()
	}
	a.mac = strings.Contains(strings.ToLower(platform), "mac")
	params := jsGlobal.Get("URLSearchParams").New(window.Location().Get("search"))
	a.embed = params.Call("get", "embed").Truthy()
	a.rp.Mode, a.renderer = chooseRender(params.Call("get", "render"))
	a.status = byID("status")
	a.stage = byID("stage").Underlying()
	a.restore()
	a.wire()
	if p := params.Call("get", "prompt"); p.Truthy() {
		input(byID("prompt")).SetValue(p.String())
	}
	a.exposeAPI()
	go func() {
		base := "models/layered-emoji/"
		if m := params.Call("get", "model"); m.Truthy() {
			base = m.String()
		}
		a.loadModel(base)
		a.refreshButtons()
		jsGlobal.Get("laminaEditor").Call("_resolveReady")
	}()
	ebiten.SetRunnableOnUnfocused(true)
	debug = params.Call("get", "debug").String() == "1"
	clearEvery = params.Call("get", "clear").String() == "1"
	ebiten.SetScreenClearedEveryFrame(clearEvery)
	ebiten.SetWindowTitle("lamina editor")
	if err := ebiten.RunGame(&game{a}); err != nil {
		a.setStatus("The canvas stopped: "+err.Error(), true)
	}
}

// ---- ebiten game ----

type game struct{ a *app }

var clearEvery, debug bool

// previewScale is the raster resolution of the denoising animation: it changes every step
// and is replaced by the full-resolution drawing at the end.
const previewScale = 0.5

func (g *game) Update() error {
	g.a.sync()
	return nil
}

func (g *game) Draw(screen *ebiten.Image) {
	a := g.a
	w, h := screen.Bounds().Dx(), screen.Bounds().Dy()
	select {
	case req := <-a.bench:
		a.runBench(req, w, h)
	default:
	}
	r := a.stage.Call("getBoundingClientRect")
	key := fmt.Sprint(r.Get("left").Float(), r.Get("top").Float(), r.Get("right").Float(), r.Get("bottom").Float())
	if !clearEvery && a.drawn == a.e.Revision && a.drawnW == w && a.drawnH == h && key == a.stageKey {
		return
	}
	a.stageKey = key
	a.drawn, a.drawnW, a.drawnH = a.e.Revision, w, h
	t0 := time.Now()
	a.rp.Scale = 1
	a.rp.Live = a.e.Dragging()
	if a.e.Preview != nil {
		a.rp.Scale = previewScale
	}
	a.rp.replay(screen, a.e.Frame(a.view(w, h)))
	if debug {
		jsGlobal.Get("console").Call("log", "frame ms", time.Since(t0).Milliseconds())
	}
}

func (g *game) Layout(w, h int) (int, int) {
	s := dpr()
	return int(float64(w) * s), int(float64(h) * s)
}

func dpr() float64 {
	s := jsGlobal.Get("devicePixelRatio").Float()
	if !(s > 0) {
		return 1
	}
	return s
}

// view is the editor's view of a w×h device-pixel canvas.
func (a *app) view(w, h int) ui.View {
	s := dpr()
	if w == 0 {
		w, h = int(a.canvas.Get("clientWidth").Float()*s), int(a.canvas.Get("clientHeight").Float()*s)
	}
	// The drawing is centered in #stage, the area editor.css leaves free of panels (three
	// columns on wide windows, above the bottom sheet on narrow ones).
	// (editor.css makes the canvas that area too, so the insets are usually 0.)
	st, cr := a.stage.Call("getBoundingClientRect"), a.canvas.Call("getBoundingClientRect")
	side := func(r js.Value, k string) float64 { return r.Get(k).Float() }
	// Whole device pixels, so the artboard's edges stay crisp.
	inset := [4]float64{
		math.Round(max(0, side(st, "left")-side(cr, "left")) * s), math.Round(max(0, side(st, "top")-side(cr, "top")) * s),
		math.Round(max(0, side(cr, "right")-side(st, "right")) * s), math.Round(max(0, side(cr, "bottom")-side(st, "bottom")) * s),
	}
	return ui.View{W: w, H: h, Inset: inset, Scale: s}
}

// ---- helpers ----

func byID(id string) dom.Element {
	el := document.GetElementByID(id)
	if el == nil {
		panic("editor: editor.html lacks #" + id)
	}
	return el
}

func input(el dom.Element) *dom.HTMLInputElement { return el.(*dom.HTMLInputElement) }

// listener is anything events can be listened on (elements, the document).
type listener interface {
	AddEventListener(typ string, useCapture bool, listener func(dom.Event)) js.Func
}

func (a *app) on(el listener, typ string, f func(ev dom.Event)) {
	a.funcs = append(a.funcs, el.AddEventListener(typ, false, f))
}

func (a *app) onClick(id string, f func()) {
	a.on(byID(id), "click", func(dom.Event) { f() })
}

func (a *app) setStatus(msg string, isErr bool) {
	a.status.SetTextContent(msg)
	if isErr {
		a.status.Class().Add("error")
	} else {
		a.status.Class().Remove("error")
	}
}

func (a *app) report(err error) {
	if err != nil {
		a.setStatus(err.Error(), true)
	}
}

func fetchBytes(url string) ([]byte, error) {
	resp, err := promise.Await(jsGlobal.Call("fetch", url))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	if !resp.Get("ok").Bool() {
		return nil, fmt.Errorf("fetch %s: HTTP %d", url, resp.Get("status").Int())
	}
	buf, err := promise.Await(resp.Call("arrayBuffer"))
	if err != nil {
		return nil, err
	}
	u8 := jsGlobal.Get("Uint8Array").New(buf)
	b := make([]byte, u8.Get("length").Int())
	js.CopyBytesToGo(b, u8)
	return b, nil
}

// ---- model ----

func (a *app) loadModel(base string) {
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	a.setStatus("Loading the drawing model…", false)
	files := fstest.MapFS{}
	for _, name := range []string{"config.json", "model.safetensors"} {
		b, err := fetchBytes(base + name)
		if err != nil {
			a.setStatus("No drawing model at "+base+" ("+err.Error()+"). Start the site with `lamina serve --models models`; editing and import still work.", true)
			return
		}
		files[name] = &fstest.MapFile{Data: b}
	}
	be, note := pickBackend(context.Background()) // ?backend=auto|webgpu|cpu (backend_js.go)
	m, be, note, err := loadOnBackend(files, be, note)
	if err != nil {
		a.setStatus(note+"Could not load the drawing model: "+err.Error(), true)
		return
	}
	a.model = m
	show := func(m *svgmodel.Model, be tensor.Backend) {
		byID("model-info").SetTextContent(fmt.Sprintf("%s · %d×%d · %s", strings.TrimSuffix(base[strings.LastIndex(strings.TrimSuffix(base, "/"), "/")+1:], "/"), m.Config.Layers, m.Config.DModel, backendLabel(be)))
	}
	show(m, be)
	a.recoverOnLoss(files, be, show)
	ready := note + "Ready on " + backendLabel(be) + "."
	if len(a.e.Doc.Layers) == 0 {
		a.setStatus(ready+" Type what to draw and press Generate.", false)
	} else {
		a.setStatus(ready+" Restored your last drawing.", false)
	}
}

// options reads the generation controls.
func (a *app) options() (svgmodel.Options, error) {
	o := svgmodel.Options{Prompt: strings.TrimSpace(input(byID("prompt")).Value())}
	seed, err := strconv.ParseUint(strings.TrimSpace(input(byID("seed")).Value()), 10, 64)
	if err != nil {
		return o, fmt.Errorf("seed must be a whole number ≥ 0")
	}
	steps, err := strconv.Atoi(strings.TrimSpace(input(byID("steps")).Value()))
	if err != nil || steps < 1 || steps > svgmodel.MaxSteps {
		return o, fmt.Errorf("steps must be between 1 and %d", svgmodel.MaxSteps)
	}
	cfg, err := strconv.ParseFloat(strings.TrimSpace(input(byID("cfg")).Value()), 32)
	if err != nil || cfg < 0 || cfg > 50 {
		return o, fmt.Errorf("guidance must be between 0 and 50")
	}
	if cfg == 0 {
		cfg = 1e-6 // 0 means "default" to svgmodel; the user asked for no text at all
	}
	o.Seed, o.Steps, o.CFG = seed, steps, float32(cfg)
	return o, nil
}

// stepYield is how long each denoising step hands the page back to the browser, so the
// canvas shows the step and the page stays responsive (Go's wasm runs on the main thread).
const stepYield = 12 * time.Millisecond

// runModel runs a model action on its own goroutine; it returns a Promise for scripts.
func (a *app) runModel(label string, f func(o svgmodel.Options, onStep func(int, int)) error) js.Value {
	return newPromise(func() (any, error) {
		if a.model == nil {
			return nil, errors.New("the drawing model is not loaded")
		}
		if a.e.Busy() {
			return nil, ui.ErrBusy
		}
		o, err := a.options()
		if err != nil {
			return nil, err
		}
		if o.Prompt == "" {
			return nil, errors.New("type what to draw first")
		}
		bar := byID("progress")
		bar.Class().Add("active")
		a.refreshButtons()
		start := time.Now()
		err = f(o, func(step, steps int) {
			if debug {
				jsGlobal.Get("console").Call("log", "step", step, time.Since(start).Milliseconds())
			}
			a.setStatus(fmt.Sprintf("%s… step %d of %d", label, step, steps), false)
			bar.Underlying().Get("style").Set("width", fmt.Sprintf("%.1f%%", 100*float64(step)/float64(steps)))
			time.Sleep(stepYield)
		})
		bar.Class().Remove("active")
		bar.Underlying().Get("style").Set("width", "0")
		a.refreshButtons()
		if err != nil {
			return nil, err
		}
		if n := len(a.e.Candidates); n > 0 {
			a.setStatus(fmt.Sprintf("%d options in %.1f s (seeds %d–%d). Click one to use it.", n, time.Since(start).Seconds(), a.e.Candidates[0].Seed, a.e.Candidates[n-1].Seed), false)
		} else {
			a.setStatus(fmt.Sprintf("%s: %d layers in %.1f s (seed %d). Click a shape to edit it.", label, len(a.e.Doc.Layers), time.Since(start).Seconds(), o.Seed), false)
		}
		return string(a.e.Doc.SVG()), nil
	})
}

func (a *app) generate() js.Value {
	return a.runModel("Drawing", func(o svgmodel.Options, step func(int, int)) error {
		return a.e.Generate(context.Background(), drawer(a.model), drawOptions(o), step)
	})
}

// optionCount is how many candidates "4 options" draws (one sampling run, svgmodel.GenerateN).
const optionCount = 4

// generateOptions draws optionCount candidates to pick from (renderCandidates shows them).
func (a *app) generateOptions() js.Value {
	return a.runModel("Drawing 4 options", func(o svgmodel.Options, step func(int, int)) error {
		return a.e.GenerateCandidates(context.Background(), drawer(a.model), drawOptions(o), optionCount, step)
	})
}

// renderCandidates shows the candidates on offer as buttons under the prompt; clicking one
// makes it the drawing and sets the seed field to its seed (so Generate redraws it).
func (a *app) renderCandidates() {
	box := byID("candidates")
	if len(a.e.Candidates) == 0 {
		box.SetInnerHTML("")
		box.Class().Add("hidden")
		return
	}
	var b strings.Builder
	for i, c := range a.e.Candidates {
		fmt.Fprintf(&b, `<button class="candidate" data-testid="candidate" data-candidate="%d" title="Use this drawing (seed %d)"><img alt="candidate %d" src="data:image/svg+xml;charset=utf-8,%s"><span>seed %d</span></button>`,
			i, c.Seed, i+1, url.PathEscape(string(c.SVG)), c.Seed)
	}
	b.WriteString(`<button class="discard" data-testid="candidates-discard">Discard options</button>`)
	box.SetInnerHTML(b.String())
	box.Class().Remove("hidden")
}

func (a *app) wireCandidates() {
	a.on(byID("candidates"), "click", func(ev dom.Event) {
		t := ev.Target()
		if t.Closest(`[data-testid="candidates-discard"]`) != nil {
			a.e.DiscardCandidates()
			return
		}
		btn := t.Closest(`[data-candidate]`)
		if btn == nil {
			return
		}
		i, err := strconv.Atoi(btn.GetAttribute("data-candidate"))
		if err != nil || i >= len(a.e.Candidates) {
			return
		}
		seed := a.e.Candidates[i].Seed
		if err := a.e.PickCandidate(i); err != nil {
			a.report(err)
			return
		}
		input(byID("seed")).SetValue(strconv.FormatUint(seed, 10))
		a.setStatus(fmt.Sprintf("Using the drawing of seed %d. Click a shape to edit it.", seed), false)
	})
}

func (a *app) edit(kind ui.EditKind, label string) js.Value {
	return a.runModel(label, func(o svgmodel.Options, step func(int, int)) error {
		add := 0
		if kind == ui.EditAddLayers {
			n, err := strconv.Atoi(input(byID("add-count")).Value())
			if err != nil || n < 1 {
				return errors.New("number of layers to add must be ≥ 1")
			}
			add = n
		}
		err := a.e.Edit(context.Background(), drawer(a.model), kind, add, drawOptions(o), step)
		if err == nil {
			// The next edit gets a new seed, so pressing the button again gives something new.
			input(byID("seed")).SetValue(strconv.FormatUint(o.Seed+1, 10))
		}
		return err
	})
}

// statusSink shows a rejected promise's error in the status line.
var statusSink func(error)

// newPromise runs f on a goroutine and settles a JS Promise with its result; a rejection
// is also shown in the status line.
func newPromise(f func() (any, error)) js.Value {
	return promise.New(f, func(err error) js.Value {
		if statusSink != nil {
			statusSink(err)
		}
		return jsGlobal.Get("Error").New(err.Error())
	})
}

// ---- sync: panels, buttons, autosave ----

// sync runs every frame: when the document changed it rebuilds the layers panel, updates
// the properties and buttons and saves the document (not mid-drag: a drag saves at its end).
func (a *app) sync() {
	if a.synced == a.e.Revision || a.e.Dragging() || a.e.Busy() && a.e.Preview != nil {
		if a.e.Busy() {
			byID("empty-hint").Class().Add("hidden")
		}
		return
	}
	a.synced = a.e.Revision
	a.renderLayers()
	a.renderProperties()
	a.renderCandidates()
	a.refreshButtons()
	if len(a.e.Doc.Layers) == 0 {
		byID("empty-hint").Class().Remove("hidden")
	} else {
		byID("empty-hint").Class().Add("hidden")
	}
	ls := jsGlobal.Get("localStorage")
	if ls.Truthy() {
		ls.Call("setItem", autosaveKey, string(ui.MarshalDocument(a.e.Doc)))
	}
	if a.embed && jsGlobal.Get("parent").Truthy() {
		msg := jsGlobal.Get("Object").New()
		msg.Set("type", "lamina-editor-change")
		msg.Set("svg", string(a.e.Doc.SVG()))
		jsGlobal.Get("parent").Call("postMessage", msg, "*")
	}
}

// restore loads the autosaved document, if any.
func (a *app) restore() {
	ls := jsGlobal.Get("localStorage")
	if !ls.Truthy() {
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
	busy := a.e.Busy()
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
	modelOK := a.model != nil && !busy
	set("generate", modelOK)
	set("generate-options", modelOK)
	set("regen-selected", modelOK && sel)
	set("regen-unlocked", modelOK && has)
	set("recolor", modelOK && has)
	set("add-layers", modelOK && has)
	set("fill", sel && !busy)
	set("opacity", sel && !busy)
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
			`<span class="thumb">%s</span><span class="name" title="Double-click to rename">%s</span>`+
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
func rowOf(el dom.Element) (dom.Element, int) {
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
	a.on(list, "click", func(ev dom.Event) {
		t := ev.Target()
		_, id := rowOf(t)
		if id == 0 {
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
	a.on(list, "dblclick", func(ev dom.Event) {
		row, id := rowOf(ev.Target())
		if id == 0 || ev.Target().Closest("button") != nil {
			return
		}
		name := row.QuerySelector(".name")
		l := a.e.Doc.Layers[a.e.Doc.Index(id)]
		name.SetInnerHTML(`<input class="rename" aria-label="Layer name" value="` + html(l.Name) + `">`)
		in := name.QuerySelector("input").(*dom.HTMLInputElement)
		in.Focus()
		in.Select()
		done := false
		commit := func(ok bool) {
			if done {
				return
			}
			done = true
			if ok && strings.TrimSpace(in.Value()) != "" && in.Value() != l.Name {
				a.report(a.e.Rename(id, strings.TrimSpace(in.Value())))
			} else {
				a.synced = -1 // re-render the row
			}
		}
		in.AddEventListener("keydown", false, func(ev dom.Event) {
			switch ev.Underlying().Get("key").String() {
			case "Enter":
				commit(true)
			case "Escape":
				commit(false)
			}
			ev.StopPropagation()
		})
		in.AddEventListener("blur", false, func(dom.Event) { commit(true) })
	})
	// Drag to reorder (HTML drag and drop): dropping on a row puts the dragged layer at that
	// row's paint index.
	a.on(list, "dragstart", func(ev dom.Event) {
		_, id := rowOf(ev.Target())
		a.dragRow = id
		if dt := ev.Underlying().Get("dataTransfer"); dt.Truthy() {
			dt.Set("effectAllowed", "move")
			dt.Call("setData", "text/plain", strconv.Itoa(id))
		}
	})
	a.on(list, "dragover", func(ev dom.Event) {
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
	a.on(list, "drop", func(ev dom.Event) {
		ev.PreventDefault()
		row, _ := rowOf(ev.Target())
		if row != nil && a.dragRow != 0 {
			to, _ := strconv.Atoi(row.GetAttribute("data-layer-index"))
			a.report(a.e.Move(a.dragRow, to))
		}
		a.dragRow = 0
		a.synced = -1
	})
	a.on(list, "dragend", func(dom.Event) { a.dragRow = 0; a.synced = -1 })
}

// wireTabs switches the bottom sheet of narrow windows between the two panels; tapping the
// open tab folds the sheet away (more room for the drawing) and tapping again unfolds it.
func (a *app) wireTabs() {
	body := document.QuerySelector("body")
	tabs := map[string]dom.Element{"tab-draw": byID("tab-draw"), "tab-layers": byID("tab-layers")}
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

func (a *app) renderProperties() {
	idx := a.e.SelectedIndices()
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

// ---- wiring ----

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
	a.onClick("undo", func() { a.e.Undo() })
	a.onClick("redo", func() { a.e.Redo() })
	a.onClick("duplicate", func() { a.report(a.e.Duplicate()) })
	a.onClick("delete", func() { a.report(a.e.Delete()) })
	a.onClick("forward", func() { a.report(a.e.BringForward()) })
	a.onClick("backward", func() { a.report(a.e.SendBackward()) })
	a.onClick("generate", func() { a.generate() })
	a.onClick("generate-options", func() { a.generateOptions() })
	a.wireCandidates()
	a.onClick("regen-selected", func() { a.edit(ui.EditRegenerateSelected, "Regenerating the selection") })
	a.onClick("regen-unlocked", func() { a.edit(ui.EditRegenerateUnlocked, "Regenerating unlocked layers") })
	a.onClick("recolor", func() { a.edit(ui.EditRecolor, "Recoloring") })
	a.onClick("add-layers", func() { a.edit(ui.EditAddLayers, "Adding layers") })
	a.onClick("seed-dice", func() {
		input(byID("seed")).SetValue(strconv.Itoa(int(jsGlobal.Get("Math").Call("random").Float() * 1e6)))
	})
	a.on(byID("prompt"), "keydown", func(ev dom.Event) {
		if ev.Underlying().Get("key").String() == "Enter" {
			ev.PreventDefault()
			a.generate()
		}
	})
	a.on(byID("fill"), "change", func(ev dom.Event) {
		c, ok, err := vector.ParseColor(input(byID("fill")).Value())
		if err == nil && ok {
			a.report(a.e.SetFill(c))
		}
	})
	a.on(byID("opacity"), "input", func(ev dom.Event) {
		byID("opacity-value").SetTextContent(input(byID("opacity")).Value() + "%")
	})
	a.on(byID("opacity"), "change", func(ev dom.Event) {
		v, err := strconv.ParseFloat(input(byID("opacity")).Value(), 64)
		if err == nil {
			a.report(a.e.SetOpacity(v / 100))
		}
	})
	a.onClick("export-svg", func() {
		jsGlobal.Get("laminaEditorHost").Call("download", "lamina.svg", "image/svg+xml", string(a.e.Doc.SVG()))
	})
	a.onClick("export-png", func() {
		jsGlobal.Get("laminaEditorHost").Call("downloadPNG", "lamina.png", string(a.e.Doc.SVG()), 1024)
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
	a.on(byID("import-file"), "change", func(ev dom.Event) {
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
	a.on(document, "paste", func(ev dom.Event) {
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

func isTextField(el dom.Element) bool {
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
	a.on(document, "keydown", func(ev dom.Event) {
		u := ev.Underlying()
		if isTextField(ev.Target()) {
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
		a.e.Run(s)
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
	a.on(c, "pointerdown", func(ev dom.Event) {
		u := ev.Underlying()
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
	a.on(c, "pointermove", func(ev dom.Event) {
		u := ev.Underlying()
		x, y := a.canvasPoint(u)
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
	end := func(ev dom.Event) { a.e.PointerUp() }
	a.on(c, "pointerup", end)
	a.on(c, "pointercancel", end)
}

func wrap(v js.Value) dom.Element { return dom.WrapElement(v) }

// ---- window.laminaEditor ----

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
		o.Set("busy", a.e.Busy())
		o.Set("modelLoaded", a.model != nil)
		o.Set("canUndo", a.e.CanUndo())
		o.Set("status", a.status.TextContent())
		o.Set("revision", a.e.Revision)
		o.Set("drawn", a.drawn)
		o.Set("render", a.rp.Mode.String())
		o.Set("renderer", a.renderer)
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
