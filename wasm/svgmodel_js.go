//go:build js && wasm

package main

import (
	"syscall/js"
)

// The layered-SVG model's JS bindings (svgmodel.go is the logic).

// loadSVGModel(runtimeID, {name: Uint8Array}, backend ” | 'cpu')
// → Promise<{id, info: JSON string}>.
func loadSVGModel(a []js.Value) any {
	rtID := a[0].Int()
	files, err := filesFromJS(a[1])
	if err != nil {
		return jsPromise.Call("reject", newJSError(err))
	}
	backend := ""
	if len(a) > 2 && a[2].Type() == js.TypeString {
		backend = a[2].String()
	}
	return async("loadSVGModel", func() (any, error) {
		id, sm, err := reg.loadSVGModel(rtID, files, backend)
		if err != nil {
			return nil, err
		}
		info, err := jsonString(sm.info)
		if err != nil {
			return nil, err
		}
		return map[string]any{"id": id, "info": info}, nil
	})
}

// svgModelBackend(modelID) → 'cpu' | 'webgpu' (or an Error).
func svgModelBackend(a []js.Value) any {
	sm, err := reg.svgModel(a[0].Int())
	if err != nil {
		return newJSError(err)
	}
	return sm.backendName()
}

func disposeSVGModel(a []js.Value) any {
	id := a[0].Int()
	return async("disposeSVGModel", func() (any, error) {
		reg.disposeSVGModel(id)
		return nil, nil
	})
}

// svgRun(modelID, opts, onStep(step, steps, svg) | null, isCancelled() → bool)
// → Promise<{result: JSON string {svg, layers}, cancelled, backend}>. opts: {prompt,
// seed, steps, cfg, n} and for an edit {edit: true, svg, keep: Int32Array |
// null, recolor, add, strength}; lamina-engine.mjs has checked the types.
func svgRun(a []js.Value) any {
	sm, err := reg.svgModel(a[0].Int())
	if err != nil {
		return jsPromise.Call("reject", newJSError(err))
	}
	o, onStep, isCancelled := a[1], a[2], a[3]
	req := svgRequest{Prompt: o.Get("prompt").String()}
	if v := o.Get("seed"); v.Type() == js.TypeNumber {
		req.Seed = uint64(v.Float())
	}
	if v := o.Get("steps"); v.Type() == js.TypeNumber {
		req.Steps = v.Int()
	}
	if v := o.Get("cfg"); v.Type() == js.TypeNumber {
		req.CFG = float32(v.Float())
	}
	if v := o.Get("n"); v.Type() == js.TypeNumber {
		req.N = v.Int()
	}
	if o.Get("edit").Truthy() {
		req.Edit = true
		req.SVG = []byte(o.Get("svg").String())
		if v := o.Get("keep"); v.Truthy() {
			req.Keep = []int{}
			for _, k := range idsFromJS(v) {
				req.Keep = append(req.Keep, int(k))
			}
		}
		req.Recolor = o.Get("recolor").Truthy()
		if v := o.Get("strength"); v.Type() == js.TypeNumber {
			req.Vary, req.Strength = true, v.Float()
		}
		if v := o.Get("add"); v.Type() == js.TypeNumber {
			req.Add = v.Int()
		}
	}
	var step func(step, steps int, svg string) error
	if onStep.Type() == js.TypeFunction {
		step = func(i, n int, svg string) error {
			onStep.Invoke(i, n, svg)
			return nil
		}
	}
	return async("svgRun", func() (any, error) {
		y := newYielder()
		defer y.release()
		res, cancelled, err := sm.run(req, step, func() bool {
			y.maybeYield()
			return isCancelled.Invoke().Truthy()
		})
		if err != nil {
			return nil, err
		}
		// backend: a device loss may have moved the model to the CPU.
		if cancelled {
			return map[string]any{"cancelled": true, "backend": sm.backendName()}, nil
		}
		s, err := jsonString(res)
		if err != nil {
			return nil, err
		}
		return map[string]any{"result": s, "cancelled": false, "backend": sm.backendName()}, nil
	})
}
