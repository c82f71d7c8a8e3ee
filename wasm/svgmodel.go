package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/vector"
)

// This file is the layered-SVG diffusion model (package svgmodel) in the
// browser runtime: rt.loadSVGModel(url) → generate / edit / dispose, with
// the model's current estimate streamed as an SVG after every step. Like
// runtime.go it has no syscall/js; main_js.go binds it.

// svgBackend values loadSVGModel's backend option takes.
const (
	svgOnRuntime = ""    // the runtime's backend when it has the diffusion ops, else a CPU one
	svgOnCPU     = "cpu" // always a CPU backend of the model's own
)

// svgModel is one loaded layered-SVG model.
type svgModel struct {
	rt *runtime
	// shared is true while the model runs on rt.be; then rt.mu serialises
	// its work with the runtime's other models. On a CPU backend of its own
	// (rt.be lacks tensor.DiffusionOps, or backend 'cpu' was asked for) own
	// does, so an SVG generation does not hold up the language models.
	shared bool
	own    sync.Mutex
	m      *svgmodel.Model
	info   svgModelInfo
	// files are kept only while an auto runtime runs it on WebGPU, to
	// reload the weights onto the CPU after a device loss.
	files memFS
}

// svgModelInfo is what m.info holds on the JS side.
type svgModelInfo struct {
	ModelType    string  `json:"modelType"`
	Slots        int     `json:"slots"`
	Cubics       int     `json:"cubics"`
	DModel       int     `json:"dModel"`
	Layers       int     `json:"ditLayers"` // transformer blocks, not drawing layers
	DefaultSteps int     `json:"defaultSteps"`
	DefaultCFG   float32 `json:"defaultCFG"`
	MaxSteps     int     `json:"maxSteps"`
	WeightBytes  int64   `json:"weightBytes"`
	Backend      string  `json:"backend"`
}

// svgRequest is m.generate()'s and m.edit()'s options.
type svgRequest struct {
	Prompt  string
	Seed    uint64
	Steps   int     // 0: svgmodel.DefaultSteps
	CFG     float32 // 0: svgmodel.DefaultCFG
	Edit    bool
	SVG     []byte
	Keep    []int // nil: EditOptions' default for the other fields
	Recolor bool
	Add     int
	// N > 0 asks for N candidates (svgResult.Candidates, candidate i seeded Seed+i); 0 is one
	// drawing in svgResult's SVG and Layers.
	N int
	// Vary (with Edit) makes an SDEdit variation at Strength instead of a layer-wise edit.
	Vary     bool
	Strength float64
}

// svgResult is what generate and edit resolve to.
type svgResult struct {
	SVG        string               `json:"svg"`
	Layers     []svgmodel.LayerInfo `json:"layers"`
	Candidates []svgCandidate       `json:"candidates,omitempty"`
}

// svgCandidate is one of n results; Seed redraws it alone.
type svgCandidate struct {
	SVG    string               `json:"svg"`
	Layers []svgmodel.LayerInfo `json:"layers"`
	Seed   uint64               `json:"seed"`
}

// errSVGCancelled stops a sample when the page aborts.
var errSVGCancelled = errors.New("lamina: cancelled")

// loadSVGModel loads config.json and model.safetensors the page fetched.
func (r *registry) loadSVGModel(rtID int, files memFS, backend string) (int, *svgModel, error) {
	rt, err := r.runtime(rtID)
	if err != nil {
		return 0, nil, err
	}
	if backend != svgOnRuntime && backend != svgOnCPU {
		return 0, nil, coded(codeBadInput, "lamina: loadSVGModel backend must be 'auto' or 'cpu', not %q", backend)
	}
	for name := range files {
		if !fs.ValidPath(name) || strings.Contains(name, "/") || name == "." {
			return 0, nil, coded(codeBadInput, "lamina: bad model file name %q", name)
		}
	}
	if _, ok := files["config.json"]; !ok {
		return 0, nil, coded(codeBadModel, "lamina: no config.json among the files: not a model directory")
	}
	if _, ok := files["model.safetensors"]; !ok {
		return 0, nil, coded(codeBadModel, "lamina: no model.safetensors among the files (the layered-SVG model ships unsharded safetensors)")
	}
	sm := &svgModel{rt: rt}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	be := rt.be
	if _, ok := be.(tensor.DiffusionOps); ok && backend == svgOnRuntime {
		sm.shared = true
	} else {
		be = tensor.NewCPU()
	}
	if sm.m, err = svgmodel.Load(files, be); err != nil {
		return 0, nil, svgLoadError(rt.tooLarge(err))
	}
	if sm.shared && rt.mode == modeAuto && be.Name() == modeWebGPU {
		sm.files = files
	}
	c := sm.m.Config
	sm.info = svgModelInfo{
		ModelType: c.ModelType, Slots: c.Slots, Cubics: c.Cubics, DModel: c.DModel, Layers: c.Layers,
		DefaultSteps: svgmodel.DefaultSteps, DefaultCFG: svgmodel.DefaultCFG, MaxSteps: svgmodel.MaxSteps,
		WeightBytes: files.Size(), Backend: be.Name(),
	}
	id := r.add(func(id int) { r.svgModels[id] = sm })
	rt.svgModels[id] = sm
	return id, sm, nil
}

// svgLoadError gives svgmodel.Load's errors a code: a config.json or
// safetensors the model cannot use is a bad model.
func svgLoadError(err error) error {
	if errors.Is(err, svgmodel.ErrConfig) || errorCode(err) == codeBadModel || strings.HasPrefix(err.Error(), "svgmodel:") {
		return &codedError{code: codeBadModel, err: err}
	}
	return err
}

func (r *registry) svgModel(id int) (*svgModel, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.svgModels[id]
	if !ok {
		return nil, coded(codeDisposed, "lamina: SVG model %d is disposed", id)
	}
	return m, nil
}

// lock takes the lock that serialises the model's work (see shared).
func (sm *svgModel) lock() func() {
	sm.rt.mu.Lock()
	if sm.shared {
		return sm.rt.mu.Unlock
	}
	// Own backend: hold only own, so the runtime's other models go on.
	sm.rt.mu.Unlock()
	sm.own.Lock()
	return sm.own.Unlock
}

// backendName is what the model runs on now.
func (sm *svgModel) backendName() string {
	unlock := sm.lock()
	defer unlock()
	return sm.info.Backend
}

// run does one generation or edit. onStep, when not nil, gets the model's
// current estimate of the finished drawing as SVG after every step;
// cancelled is polled after every step (and before the first).
func (sm *svgModel) run(req svgRequest, onStep func(step, steps int, svg string) error, cancelled func() bool) (*svgResult, bool, error) {
	if req.Steps < 0 || req.Steps > svgmodel.MaxSteps {
		return nil, false, coded(codeBadInput, "lamina: steps %d outside [1, %d]", req.Steps, svgmodel.MaxSteps)
	}
	if req.CFG < 0 || req.CFG > 50 || req.CFG != req.CFG {
		return nil, false, coded(codeBadInput, "lamina: cfg %g outside [0, 50]", req.CFG)
	}
	if req.Add < 0 {
		return nil, false, coded(codeBadInput, "lamina: add %d < 0", req.Add)
	}
	if req.N < 0 || req.N > svgmodel.MaxCandidates {
		return nil, false, coded(codeBadInput, "lamina: n %d outside [1, %d]", req.N, svgmodel.MaxCandidates)
	}
	if req.Vary && (!req.Edit || req.Keep != nil || req.Recolor || req.Add != 0) {
		return nil, false, coded(codeBadInput, "lamina: strength makes a variation of the whole drawing; it does not combine with keep, recolor or add")
	}
	if req.Vary && !(req.Strength >= 0 && req.Strength <= 1) {
		return nil, false, coded(codeBadInput, "lamina: strength %g outside [0, 1]", req.Strength)
	}
	if req.Edit && !req.Vary && req.N > 1 {
		return nil, false, coded(codeBadInput, "lamina: n applies to generate and to a variation (edit with strength)")
	}
	// An edit's estimate is mapped into the edited drawing's viewBox, as
	// svgmodel.Edit maps its result.
	var dstBox *[4]float64
	var doc *vector.Document
	if req.Edit {
		// Reading and tokenizing an outside drawing needs path booleans, and in lamina.wasm the
		// reader itself lives in lamina-booleans.wasm (booleans_js.go); sampling alone needs
		// neither.
		var err error
		if doc, err = parseSVG(req.SVG); err != nil {
			return nil, false, err
		}
		dstBox = &doc.ViewBox
	}
	unlock := sm.lock()
	defer unlock()
	if cancelled() {
		return nil, true, nil
	}
	wasCancelled := false
	o := svgmodel.Options{Prompt: req.Prompt, Seed: req.Seed, Steps: req.Steps, CFG: req.CFG}
	kf := sm.m.Config.Slots * sm.m.Config.Fields
	o.OnStep = func(step, steps int, est []float32) error {
		if onStep != nil {
			// With n candidates, the estimate of the first.
			svg, err := sm.estimateSVG(est[:kf], dstBox)
			if err != nil {
				return err
			}
			if err := onStep(step, steps, svg); err != nil {
				return err
			}
		}
		if cancelled() {
			wasCancelled = true
			return errSVGCancelled
		}
		return nil
	}
	var res []*svgmodel.Result
	n := max(req.N, 1)
	err := sm.withRecovery(func() (err error) {
		wasCancelled = false
		ctx := context.Background()
		switch {
		case req.Vary:
			res, err = sm.m.VariationDocN(ctx, doc, svgmodel.VariationOptions{Options: o, Strength: req.Strength}, n)
		case req.Edit:
			var r *svgmodel.Result
			r, err = sm.m.EditDoc(ctx, doc, svgmodel.EditOptions{Options: o, Keep: req.Keep, Recolor: req.Recolor, Add: req.Add})
			res = []*svgmodel.Result{r}
		default:
			res, err = sm.m.GenerateN(ctx, o, n)
		}
		return err
	})
	if wasCancelled {
		return nil, true, nil
	}
	if err != nil {
		var ce *codedError
		if !errors.As(err, &ce) && (errors.Is(err, svgmodel.ErrOptions) || errors.Is(err, svgmodel.ErrDoesNotFit) || errors.Is(err, vector.ErrTokens)) {
			err = &codedError{code: codeBadInput, err: err}
		}
		return nil, false, err
	}
	out := &svgResult{SVG: string(res[0].SVG), Layers: res[0].Layers}
	if req.N > 0 {
		for i, r := range res {
			out.Candidates = append(out.Candidates, svgCandidate{SVG: string(r.SVG), Layers: r.Layers, Seed: svgmodel.CandidateSeed(req.Seed, i)})
		}
	}
	return out, false, nil
}

// estimateSVG writes an intermediate estimate (K,F) as SVG: decoded as the
// final result is, in the model's viewBox or mapped onto dst.
func (sm *svgModel) estimateSVG(est []float32, dst *[4]float64) (string, error) {
	doc, err := sm.m.TokensToDoc(est)
	if err != nil {
		return "", err
	}
	if dst != nil && *dst != doc.ViewBox {
		svgmodel.MapViewBox(doc, *dst)
	}
	return string(vector.WriteSVG(doc)), nil
}

// withRecovery is loadedModel.withRecovery for an SVG model: on an auto
// runtime's device loss every model moves to the CPU and op runs again.
// The caller holds the model's lock (rt.mu, since only shared models can
// lose a device).
func (sm *svgModel) withRecovery(op func() error) error {
	err := op()
	rt := sm.rt
	if err == nil || !sm.shared || rt.mode != modeAuto || rt.be.Name() != modeWebGPU || !gpuLost(err) {
		return err
	}
	if rerr := rt.fallBackToCPU(); rerr != nil {
		return fmt.Errorf("lamina: GPU device lost (%v) and reloading on the CPU failed: %w", err, rerr)
	}
	return op()
}

// disposeSVGModel frees the model's weights.
func (r *registry) disposeSVGModel(id int) {
	r.mu.Lock()
	sm, ok := r.svgModels[id]
	delete(r.svgModels, id)
	r.mu.Unlock()
	if !ok {
		return
	}
	unlock := sm.lock() // waits for a generation in progress
	defer unlock()
	if !sm.shared {
		sm.rt.mu.Lock()
		defer sm.rt.mu.Unlock()
	}
	for k, v := range sm.rt.svgModels {
		if v == sm {
			delete(sm.rt.svgModels, k)
		}
	}
	sm.m.Close()
}
