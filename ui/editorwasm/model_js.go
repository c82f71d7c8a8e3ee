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
	"testing/fstest"
	"time"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/ui"
)

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
