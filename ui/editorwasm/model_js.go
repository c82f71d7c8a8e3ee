//go:build js && wasm

// The drawing model: loading it, the generation controls, runs with progress, candidates
// and edits.

package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/lamina-ml/lamina/internal/memfs"
	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/ui"
	"github.com/lamina-ml/lamina/vector"
)

func (a *app) loadModel(base string) {
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	a.setStatus("Loading the drawing model…", false)
	name := strings.TrimSuffix(base[strings.LastIndex(strings.TrimSuffix(base, "/"), "/")+1:], "/")
	note := ""
	if workerWanted() {
		mode, n := workerMode()
		d, info, label, err := openWorkerDrawer(base, mode)
		if err == nil {
			d.show = a.showEstimate
			d.keep = func() { a.estimateShown = true }
			a.mr.worker = &d
			byID("model-info").SetTextContent(fmt.Sprintf("%s · %d×%d · %s", name, info.Get("ditLayers").Int(), info.Get("dModel").Int(), label))
			a.modelReady(n + "Ready on " + label + ".")
			return
		}
		// No module workers, or the worker runtime failed: sample on this page instead.
		jsGlobal.Get("console").Call("warn", "lamina editor: the drawing worker did not start, drawing on the page:", err.Error())
		note = "The drawing worker did not start (" + err.Error() + "), so the model runs on this page. "
	}
	files := memfs.FS{}
	for _, name := range []string{"config.json", "model.safetensors"} {
		b, err := fetchBytes(base + name)
		if err != nil {
			a.setStatus("No drawing model at "+base+" ("+err.Error()+"). Start the site with `lamina serve --models models`; editing and import still work.", true)
			return
		}
		files[name] = b
	}
	be, bnote := pickBackend(context.Background()) // ?backend=auto|webgpu|cpu (backend_js.go)
	m, be, bnote, err := loadOnBackend(files, be, note+bnote)
	note = bnote
	if err != nil {
		a.setStatus(note+"Could not load the drawing model: "+err.Error(), true)
		return
	}
	a.model = m
	show := func(m *svgmodel.Model, be tensor.Backend) {
		byID("model-info").SetTextContent(fmt.Sprintf("%s · %d×%d · %s", name, m.Config.Layers, m.Config.DModel, backendLabel(be)))
	}
	show(m, be)
	a.recoverOnLoss(files, be, show)
	a.modelReady(note + "Ready on " + backendLabel(be) + ".")
}

// modelReady says the model has loaded, and what to do next.
func (a *app) modelReady(ready string) {
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

// stepYield is how long each denoising step of an in-page run hands the page back to the
// browser, so the canvas shows the step and clicks get through (sampling on the page's own
// thread, when there is no worker, blocks it between steps).
const stepYield = 12 * time.Millisecond

// modelAction is one kind of model run: it calls the editor with m, the run's options and
// the progress callback.
type modelAction func(ctx context.Context, m ui.Drawer, o ui.DrawOptions, onStep func(int, int)) error

// runModel starts a model action on its own goroutine and returns a Promise for scripts: it
// resolves to the drawing's SVG, or to null when the run was cancelled (the drawing is then
// unchanged), and rejects with the error (also shown in the status line). While it runs the
// editor is busy (a.mr.busy is set here, before the goroutine starts, so a second click in
// the same turn is refused too), the model buttons are disabled and Cancel is offered.
func (a *app) runModel(label string, f modelAction) js.Value {
	fail := func(err error) js.Value { return newPromise(func() (any, error) { return nil, err }) }
	if a.mr.busy || a.e.Busy() {
		// Rejected without touching the status line, which shows the run in progress.
		return jsGlobal.Get("Promise").Call("reject", jsGlobal.Get("Error").New(ui.ErrBusy.Error()))
	}
	m := a.activeDrawer()
	if m == nil {
		return fail(errors.New("the drawing model is not loaded"))
	}
	so, err := a.options()
	if err != nil {
		return fail(err)
	}
	if so.Prompt == "" {
		return fail(errors.New("type what to draw first"))
	}
	o := drawOptions(so)
	ctx, cancel := context.WithCancel(context.Background())
	a.mr.cancel = cancel
	a.setModelBusy(true)
	start := time.Now()
	first := "" // the estimate before the first step, from the last run's pace
	if a.mr.perStep > 0 && o.Steps > 0 {
		first = " about " + roughDuration(a.mr.perStep*time.Duration(o.Steps))
	}
	a.setStatus(label+"…"+first, false)
	bar := byID("progress")
	return newPromise(func() (any, error) {
		var err error
		defer func() {
			cancel()
			a.mr.cancel = nil
			bar.Underlying().Get("style").Set("width", "0")
			a.setModelBusy(false)
			if a.estimateShown && err != nil { // the run's result was not taken: nothing to wait for
				a.estimateShown = false
				a.showEstimate("")
			}
			a.drawn = -1 // the next frame draws (and drops a kept estimate once it has)
		}()
		var t1 time.Time // when step 1 was shown: the pace is measured from there
		err = f(ctx, m, o, func(step, steps int) {
			now := time.Now()
			if debug {
				jsGlobal.Get("console").Call("log", "step", step, now.Sub(start).Milliseconds())
			}
			msg := fmt.Sprintf("%s… step %d of %d", label, step, steps)
			var per time.Duration
			switch {
			case step == 1:
				t1, per = now, now.Sub(start)
			case step > 1:
				per = now.Sub(t1) / time.Duration(step-1)
			}
			if per > 0 {
				a.mr.perStep = per
				if step < steps {
					msg += " · about " + roughDuration(per*time.Duration(steps-step)) + " left"
				}
			}
			a.setStatus(msg, false)
			bar.Underlying().Get("style").Set("width", fmt.Sprintf("%.1f%%", 100*float64(step)/float64(steps)))
			if a.mr.worker == nil {
				time.Sleep(stepYield)
			}
		})
		if err != nil && ctx.Err() != nil {
			a.setStatus(fmt.Sprintf("%s: cancelled after %.1f s; the drawing is unchanged.", label, time.Since(start).Seconds()), false)
			return js.Null(), nil
		}
		if err != nil {
			return nil, err
		}
		if n := len(a.e.Candidates); n > 0 {
			a.setStatus(fmt.Sprintf("%d options in %.1f s (seeds %d–%d). Click one to use it.", n, time.Since(start).Seconds(), a.e.Candidates[0].Seed, a.e.Candidates[n-1].Seed), false)
		} else {
			a.setStatus(fmt.Sprintf("%s: %d layers in %.1f s (seed %d). Click a shape to edit it.", label, len(a.e.Doc.Layers), time.Since(start).Seconds(), o.Seed), false)
		}
		defer span("result svg")()
		return string(a.e.Doc.SVG()), nil
	})
}

// roughDuration is d for a person: "4 s", "1 min 20 s".
func roughDuration(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	switch {
	case s < 1:
		return "1 s"
	case s < 60:
		return fmt.Sprintf("%d s", s)
	}
	return fmt.Sprintf("%d min %d s", s/60, s%60)
}

// cancelModel stops the run in progress, if any: the drawing stays as it was.
func (a *app) cancelModel() {
	if a.mr.cancel != nil {
		a.mr.cancel()
		a.setStatus("Cancelling…", false)
	}
}

// modelClick starts a model action from a button or a key. While one runs it says so
// instead of starting another; the action's errors are on the status line already, so its
// Promise's rejection is handled here (unhandled, it would be a page error).
func (a *app) modelClick(f func() js.Value) {
	if a.mr.busy || a.e.Busy() {
		a.setStatus("Still drawing: wait for it to finish, or press Cancel.", false)
		return
	}
	f().Call("catch", a.mr.ignore)
}

func (a *app) generate() js.Value {
	return a.runModel("Drawing", func(ctx context.Context, m ui.Drawer, o ui.DrawOptions, step func(int, int)) error {
		return a.e.Generate(ctx, spanDrawer{m}, o, step)
	})
}

// optionCount is how many candidates "4 options" draws (one sampling run, svgmodel.GenerateN).
const optionCount = 4

// generateOptions draws optionCount candidates to pick from (renderCandidates shows them).
func (a *app) generateOptions() js.Value {
	return a.runModel("Drawing 4 options", func(ctx context.Context, m ui.Drawer, o ui.DrawOptions, step func(int, int)) error {
		return a.e.GenerateCandidates(ctx, m, o, optionCount, step)
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
	a.on(byID("candidates"), "click", func(ev event) {
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
	return a.runModel(label, func(ctx context.Context, m ui.Drawer, o ui.DrawOptions, step func(int, int)) error {
		add := 0
		if kind == ui.EditAddLayers {
			n, err := strconv.Atoi(input(byID("add-count")).Value())
			if err != nil || n < 1 {
				return errors.New("number of layers to add must be ≥ 1")
			}
			add = n
		}
		err := a.e.Edit(ctx, m, kind, add, o, step)
		if err == nil {
			// The next edit gets a new seed, so pressing the button again gives something new.
			input(byID("seed")).SetValue(strconv.FormatUint(o.Seed+1, 10))
		}
		return err
	})
}

// spanDrawer times what the editor does with a drawing after the model returns it (?debug=1:
// the span "new drawing" runs from the model's return to the next span, see span).
type spanDrawer struct{ ui.Drawer }

func (d spanDrawer) Generate(ctx context.Context, o ui.DrawOptions) (*vector.Document, error) {
	doc, err := d.Drawer.Generate(ctx, o)
	if err == nil && debug {
		end := span("new drawing")
		go func() { end() }() // runs when this goroutine next yields: after FromVector and apply
	}
	return doc, err
}
