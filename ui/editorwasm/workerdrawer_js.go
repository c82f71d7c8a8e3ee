//go:build js && wasm

// The drawing model in a Web Worker: a ui.Drawer that forwards each run to the SVG model of
// lamina.mjs's runtime, which runs lamina.wasm in lamina-worker.js. Sampling then never
// runs on the page's thread, so the canvas, the panels and Cancel stay live; each step's
// estimate comes back as SVG text (the intermediate drawing) and Cancel aborts the run
// through an AbortSignal (the worker checks it between steps).

package main

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/lamina-ml/lamina/promise"
	"github.com/lamina-ml/lamina/ui"
	"github.com/lamina-ml/lamina/vector"
)

// workerDrawer is a ui.Drawer over m, an SVGModel of lamina.mjs (loaded by editor.js's
// laminaEditorHost.openDrawer in a worker runtime). Each step's estimate goes to show as
// SVG text ("" at the end), not to DrawOptions.OnStep as a document: parsing it and
// rasterizing it in Go took 100–600 ms of the page's thread a step (measured in
// worker.test.mjs), where an <img> of the SVG costs the page next to nothing.
//
// When a run succeeds its last estimate stays shown (keep) until the canvas draws the
// result: the page's first drawing of a new drawing can take several frames (prepare).
type workerDrawer struct {
	m    js.Value
	show func(svg string)
	keep func()
}

var _ ui.Drawer = workerDrawer{}

// openWorkerDrawer loads the model at base in a worker runtime on mode (auto, webgpu or
// cpu); info is the model's {ditLayers, dModel, backend} and label the backend's name for
// the status line.
func openWorkerDrawer(base string, mode string) (d workerDrawer, info js.Value, label string, err error) {
	host := jsGlobal.Get("laminaEditorHost")
	if !host.Truthy() || host.Get("openDrawer").Type() != js.TypeFunction {
		return d, info, "", errors.New("editor.js has no worker drawer")
	}
	r, err := promise.Await(host.Call("openDrawer", base, mode))
	if err != nil {
		return d, info, "", err
	}
	m := r.Get("model")
	label = "CPU"
	if m.Get("backend").String() == "webgpu" {
		label = "WebGPU"
		if ad := r.Get("adapter"); ad.Truthy() {
			name := ""
			for _, k := range []string{"description", "vendor", "architecture"} {
				if v := ad.Get(k); v.Type() == js.TypeString && v.String() != "" {
					name = v.String()
					break
				}
			}
			if name == "" {
				name = "adapter"
			}
			label += " (" + name + ")"
		}
	}
	return workerDrawer{m: m}, m.Get("info"), label + ", in a worker", nil
}

// stepEvent is one onStep call of the runtime: step k of n and the estimate's SVG.
type stepEvent struct {
	step, steps int
	svg         string
}

// call runs m[method](opts) and waits for it on this goroutine (never inside a js.FuncOf
// callback): step events go to show and onStep here, newest first — a step that arrives
// while the previous one is still being shown replaces the waiting one, so a slow page
// skips frames rather than falling behind the worker. ctx's end aborts the run and returns
// at once: the worker stops at its next step boundary (it checks the signal between steps;
// a step takes 0.1–0.5 s on a CPU), and the runtime runs the next request after it.
func (d workerDrawer) call(ctx context.Context, method string, opts js.Value, onStep func(step, steps int, est *vector.Document) error) (js.Value, error) {
	ac := jsGlobal.Get("AbortController").New()
	opts.Set("signal", ac.Get("signal"))
	steps := make(chan stepEvent, 1)
	var cb js.Func
	if onStep != nil {
		cb = js.FuncOf(func(_ js.Value, args []js.Value) any {
			ev := stepEvent{step: args[0].Get("step").Int(), steps: args[0].Get("steps").Int(), svg: args[0].Get("svg").String()}
			for {
				select {
				case steps <- ev:
					return nil
				default:
					select { // drop the step nobody has shown yet
					case <-steps:
					default:
					}
				}
			}
		})
		opts.Set("onStep", cb)
	}
	type result struct {
		v   js.Value
		err error
	}
	done := make(chan result, 1)
	p, err := callMethod(d.m, method, opts)
	if err != nil {
		if onStep != nil {
			cb.Release()
		}
		return js.Undefined(), err
	}
	go func() {
		v, err := promise.Await(p)
		if onStep != nil {
			cb.Release() // only now: the worker may post steps until its run has ended
		}
		done <- result{v, err}
	}()
	abort := func() { ac.Call("abort") }
	kept := false
	if d.show != nil {
		defer func() {
			if !kept {
				d.show("")
			}
		}()
	}
	var stepErr error
	for {
		select {
		case r := <-done:
			if stepErr != nil {
				return js.Undefined(), stepErr
			}
			if err := ctx.Err(); err != nil {
				return js.Undefined(), err
			}
			if r.err == nil && d.keep != nil {
				kept = true
				d.keep()
			}
			return r.v, r.err
		case <-ctx.Done():
			abort()
			return js.Undefined(), ctx.Err()
		case ev := <-steps:
			if stepErr != nil || ctx.Err() != nil {
				continue
			}
			if d.show != nil {
				d.show(ev.svg)
			}
			if err := onStep(ev.step, ev.steps, nil); err != nil {
				stepErr = err
				abort()
			}
		}
	}
}

// callMethod is v[method](args...), with a JS exception (lamina.mjs checks the options
// before it returns its Promise) as an error.
func callMethod(v js.Value, method string, args ...any) (p js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			if je, ok := r.(js.Error); ok {
				err = errors.New(promise.ErrorString(je.Value))
				return
			}
			panic(r)
		}
	}()
	return v.Call(method, args...), nil
}

func runOptions(o ui.DrawOptions) js.Value {
	opts := jsGlobal.Get("Object").New()
	opts.Set("prompt", o.Prompt)
	opts.Set("seed", float64(o.Seed))
	if o.Steps > 0 {
		opts.Set("steps", o.Steps)
	}
	if o.CFG > 0 {
		opts.Set("cfg", float64(o.CFG))
	}
	return opts
}

// parseResult reads a run's {svg} into a document.
func parseResult(v js.Value) (*vector.Document, []byte, error) {
	s := v.Get("svg")
	if s.Type() != js.TypeString {
		return nil, nil, errors.New("the drawing worker returned no SVG")
	}
	b := []byte(s.String())
	doc, err := vector.ParseSVG(b)
	if err != nil {
		return nil, nil, fmt.Errorf("the drawing worker's SVG: %w", err)
	}
	return doc, b, nil
}

func (d workerDrawer) Generate(ctx context.Context, o ui.DrawOptions) (*vector.Document, error) {
	v, err := d.call(ctx, "generate", runOptions(o), o.OnStep)
	if err != nil {
		return nil, err
	}
	defer span("parse result")()
	doc, _, err := parseResult(v)
	return doc, err
}

func (d workerDrawer) GenerateN(ctx context.Context, o ui.DrawOptions, n int) ([]ui.Candidate, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: %d candidates", ui.ErrBadEdit, n)
	}
	opts := runOptions(o)
	opts.Set("n", n)
	v, err := d.call(ctx, "generate", opts, o.OnStep)
	if err != nil {
		return nil, err
	}
	cs := make([]ui.Candidate, v.Length())
	for i := range cs {
		c := v.Index(i)
		doc, svg, err := parseResult(c)
		if err != nil {
			return nil, err
		}
		cs[i] = ui.Candidate{Doc: doc, SVG: svg, Seed: uint64(c.Get("seed").Float())}
	}
	return cs, nil
}

func (d workerDrawer) Edit(ctx context.Context, doc *vector.Document, o ui.EditOptions) (*vector.Document, error) {
	opts := runOptions(o.DrawOptions)
	opts.Set("svg", string(vector.WriteSVG(doc)))
	if o.Keep != nil {
		keep := jsGlobal.Get("Array").New()
		for _, k := range o.Keep {
			keep.Call("push", k)
		}
		opts.Set("keep", keep)
	}
	opts.Set("recolor", o.Recolor)
	if o.Add > 0 {
		opts.Set("add", o.Add)
	}
	v, err := d.call(ctx, "edit", opts, o.OnStep)
	if err != nil {
		return nil, err
	}
	res, _, err := parseResult(v)
	return res, err
}
