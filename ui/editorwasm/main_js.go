//go:build js && wasm

// Command editorwasm is the browser build of lamina's layer editor: ui.Editor holds the
// state, ebiten replays its display list on the canvas, and the panels are DOM built with
// syscall/js (through the small element/event wrappers of dom_js.go). The diffusion model runs
// in a Web Worker (lamina.mjs's runtime, workerdrawer_js.go), so the page stays responsive
// while it samples; without workers, or with ?drawer=page, it runs in this process. Either
// way on WebGPU or the CPU backend as package backend chooses (?backend=auto|webgpu|cpu).
//
// By concern: main_js.go (start-up, the ebiten game), dom_js.go (DOM helpers, status line,
// Promise bridge), model_js.go (the drawing model and its runs; drawer_js.go and
// workerdrawer_js.go: where it runs), panels_js.go (per-frame sync,
// autosave, layers and properties panels), wiring_js.go (toolbar, import, keys, canvas input),
// api_js.go (window.laminaEditor); the state machine itself is package ui, tested natively.
package main

import (
	"fmt"
	"math"
	"strings"
	"syscall/js"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/ui"
)

var (
	window   = &domElem{js.Global()}
	document = &domElem{js.Global().Get("document")}
	jsGlobal = js.Global()
)

// autosaveKey is the localStorage entry of the current document (editors before sessions,
// and the fallback when the session does not fit); sessionKey the session's
// (ui.SessionEncoder: the document, its undo history and the draw settings).
const (
	autosaveKey = "lamina.editor.autosave.v1"
	sessionKey  = "lamina.editor.session.v1"
)

type app struct {
	e      *ui.Editor
	model  *svgmodel.Model // the drawing model on this page (nil when it runs in a worker: mr)
	mr     modelRun
	canvas js.Value
	mac    bool
	embed  bool
	rp     replayer
	drawn  int // revision last drawn
	drawnW int
	drawnH int
	synced int // revision the panels and autosave last saw
	status element
	// statusRev is the revision the status line was set at (expireStatus replaces it after
	// the next edit).
	statusRev int
	funcs     []js.Func
	cursor    string
	dragRow   int // layer ID being dragged in the panel
	// renaming is the layer ID whose name box is open (0: none); the list is not re-rendered
	// meanwhile.
	renaming int
	// renderer is the WebGL renderer's name (it picks rp.Mode unless ?render= says).
	renderer string
	bench    chan *benchReq // benchRender requests, served by the next Draw
	stage    js.Value       // #stage: where the drawing goes
	stageKey string         // its last bounding box, to redraw when the layout changes
	// cam is the canvas's zoom and pan (zoom_js.go); drawnCam the one last drawn.
	cam, drawnCam ui.Camera
	camReplaced   int // the editor's Replaced count the camera was fitted for
	// The pointer's last canvas position (key zooms center there while it is over the
	// canvas) and the pan drag's state.
	pointerX, pointerY float64
	pointerIn          bool
	panning, spaceDown bool
	touches            map[int]touchPoint // fingers on the canvas, by pointer id
	pinch              *pinchState        // a two-finger pinch in progress
	session            ui.SessionEncoder
	saveFailed         bool      // a save was refused (said once)
	settingsEdited     time.Time // when a draw setting was last typed in or the view moved (zero: saved)
	statusAt           time.Time // when the status line was set (zero: it does not expire)
	statusErr          bool      // the status line shows an error
	warm               *warmUp   // the warm-up steps still to run (warm_js.go), nil when done
	frameStart         time.Time // when this frame's Update began
	preparing          int       // the editor's Replaced count whose layers are composited (prepare)
	estimateShown      bool      // a finished run's last estimate is over the canvas until it draws
}

func main() {
	a := &app{e: ui.New(), synced: -1, drawn: -1, bench: make(chan *benchReq, 1), warm: newWarmUp()}
	a.canvas = document.QuerySelector("body > canvas").Underlying()
	if !a.canvas.Call("hasAttribute", "tabindex").Bool() {
		a.canvas.Call("setAttribute", "tabindex", "-1") // focusable, so panel controls can hand the keys back
	}
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

// frameBudget is how much of a frame the editor's own work may take when it can be spread
// over frames (a new drawing's layers): the browser's commit of the canvas comes on top,
// and the whole task should stay under 100 ms on a loaded 2-core machine.
const frameBudget = 35 * time.Millisecond

func (g *game) Update() error {
	g.a.frameStart = time.Now()
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
	if a.warm != nil && !a.warm.step(a, screen) {
		a.warm = nil
	}
	r := a.stage.Call("getBoundingClientRect")
	key := fmt.Sprint(r.Get("left").Float(), r.Get("top").Float(), r.Get("right").Float(), r.Get("bottom").Float())
	if !clearEvery && a.drawn == a.e.Revision && a.drawnW == w && a.drawnH == h && key == a.stageKey && a.drawnCam == a.cam {
		return
	}
	t0 := time.Now()
	a.rp.Scale = 1
	a.rp.Live = a.e.Dragging()
	if a.e.Preview != nil {
		a.rp.Scale = previewScale
	}
	end := span("display list")
	dl := a.e.Frame(a.view(w, h))
	end()
	if a.preparing != a.e.Replaced && a.e.Preview == nil && !a.e.Dragging() {
		// A new drawing: its layers are composited over as many frames as that takes, each
		// within frameBudget of the frame's start; the canvas keeps what it showed (and the
		// model's last estimate stays over it) until they are all done.
		end := span("prepare")
		done := a.rp.prepare(dl, a.frameStart.Add(frameBudget))
		end()
		if !done {
			return
		}
		a.preparing = a.e.Replaced
	}
	a.stageKey, a.drawnCam = key, a.cam
	a.drawn, a.drawnW, a.drawnH = a.e.Revision, w, h
	end = span("replay")
	a.rp.replay(screen, dl)
	end()
	if a.estimateShown && a.e.Preview == nil && !a.mr.busy {
		a.estimateShown = false
		a.showEstimate("")
	}
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
	return ui.View{W: w, H: h, Inset: inset, Scale: s, Cam: a.cam}
}
