package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/vector"
	"github.com/lamina-ml/lamina/webgpu"
)

// svgFixtureDir is svgmodel's tiny trained model (its own tests check it
// against PyTorch); the runtime is checked against svgmodel called directly,
// as `lamina svg generate` calls it.
const svgFixtureDir = "../svgmodel/testdata/tiny"

func readSVGModel(t *testing.T) memFS {
	t.Helper()
	files := memFS{}
	for _, name := range []string{"config.json", "model.safetensors"} {
		b, err := os.ReadFile(filepath.Join(svgFixtureDir, name))
		if err != nil {
			t.Fatalf("committed fixture %s missing: %v", name, err)
		}
		files[name] = b
	}
	return files
}

// nativeSVG is what svgmodel gives for the same request, on its own CPU backend.
func nativeSVG(t *testing.T, files memFS, req svgRequest) *svgmodel.Result {
	t.Helper()
	m, err := svgmodel.Load(files, tensor.NewCPU())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	o := svgmodel.Options{Prompt: req.Prompt, Seed: req.Seed, Steps: req.Steps, CFG: req.CFG}
	var res *svgmodel.Result
	if req.Edit {
		res, err = m.Edit(context.Background(), svgmodel.EditOptions{Options: o, SVG: req.SVG, Keep: req.Keep, Recolor: req.Recolor, Add: req.Add})
	} else {
		res, err = m.Generate(context.Background(), o)
	}
	if err != nil {
		t.Fatal(err)
	}
	return res
}

var pathRe = regexp.MustCompile(`<path[^>]*>`)

func TestSVGModelGenerate(t *testing.T) {
	files := readSVGModel(t)
	r := newRegistry(nil)
	rt := newCPURuntime(t, r)
	_, sm, err := r.loadSVGModel(rt, files, svgOnRuntime)
	if err != nil {
		t.Fatal(err)
	}
	if sm.info.Backend != "cpu" || !sm.shared || sm.info.Slots != 48 {
		t.Errorf("info %+v shared %v", sm.info, sm.shared)
	}
	for _, req := range []svgRequest{
		{Prompt: "red heart", Seed: 7, Steps: 6, CFG: 3},
		{Prompt: "smiling face", Seed: 1, Steps: 3, CFG: 1},
		{Prompt: "", Seed: 1 << 40, Steps: 2},
	} {
		t.Run(fmt.Sprintf("%q seed %d", req.Prompt, req.Seed), func(t *testing.T) {
			var steps []int
			var estimates []string
			res, cancelled, err := sm.run(req, func(step, n int, svg string) error {
				if n != req.Steps {
					t.Errorf("onStep steps %d, want %d", n, req.Steps)
				}
				steps = append(steps, step)
				estimates = append(estimates, svg)
				return nil
			}, func() bool { return false })
			if err != nil || cancelled {
				t.Fatal(err, cancelled)
			}
			want := nativeSVG(t, files, req)
			if res.SVG != string(want.SVG) {
				t.Errorf("SVG differs from svgmodel.Generate's:\n got %.300s\nwant %.300s", res.SVG, want.SVG)
			}
			if fmt.Sprint(res.Layers) != fmt.Sprint(want.Layers) {
				t.Errorf("layers %v, want %v", res.Layers, want.Layers)
			}
			if n := len(pathRe.FindAllString(res.SVG, -1)); n != len(res.Layers) {
				t.Errorf("%d <path> elements for %d layers", n, len(res.Layers))
			}
			if fmt.Sprint(steps) != fmt.Sprint(seq(1, req.Steps)) {
				t.Errorf("onStep steps %v", steps)
			}
			for i, s := range estimates {
				if _, err := vector.ParseSVG([]byte(s)); err != nil {
					t.Errorf("estimate %d does not parse: %v", i+1, err)
				}
			}
			// The first estimate (from pure noise) is not the finished drawing.
			if len(estimates) > 1 && estimates[0] == res.SVG {
				t.Error("the first step's estimate is already the result")
			}
			// Without onStep the result is the same.
			again, _, err := sm.run(req, nil, func() bool { return false })
			if err != nil || again.SVG != res.SVG {
				t.Errorf("second run without onStep: err %v, same %v", err, err == nil && again.SVG == res.SVG)
			}
		})
	}
}

// TestSVGModelCandidates: n candidates come back with their seeds, each the SVG svgmodel draws
// alone for that seed; a variation at strength 1 is generate with the same seed.
func TestSVGModelCandidates(t *testing.T) {
	files := readSVGModel(t)
	r := newRegistry(nil)
	rt := newCPURuntime(t, r)
	_, sm, err := r.loadSVGModel(rt, files, svgOnRuntime)
	if err != nil {
		t.Fatal(err)
	}
	never := func() bool { return false }
	req := svgRequest{Prompt: "red heart", Seed: 20, Steps: 4, N: 3}
	var estimates int
	res, _, err := sm.run(req, func(int, int, string) error { estimates++; return nil }, never)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Candidates) != 3 || estimates != 4 {
		t.Fatalf("%d candidates, %d estimates", len(res.Candidates), estimates)
	}
	for i, c := range res.Candidates {
		one := req
		one.N, one.Seed = 0, req.Seed+uint64(i)
		if want := nativeSVG(t, files, one); c.SVG != string(want.SVG) || c.Seed != one.Seed {
			t.Errorf("candidate %d (seed %d) differs from svgmodel.Generate with seed %d", i, c.Seed, one.Seed)
		}
	}
	if res.Candidates[0].SVG == res.Candidates[1].SVG {
		t.Error("two candidates are the same drawing")
	}
	vary, _, err := sm.run(svgRequest{Edit: true, Vary: true, Strength: 1, SVG: []byte(res.Candidates[2].SVG), Prompt: "red heart", Seed: 20, Steps: 4}, nil, never)
	if err != nil {
		t.Fatal(err)
	}
	if vary.SVG != res.Candidates[0].SVG || vary.Candidates != nil {
		t.Error("a variation at strength 1 differs from generate with the same seed")
	}
}

func seq(a, b int) []int {
	var s []int
	for i := a; i <= b; i++ {
		s = append(s, i)
	}
	return s
}

func TestSVGModelEdit(t *testing.T) {
	files := readSVGModel(t)
	r := newRegistry(nil)
	rt := newCPURuntime(t, r)
	_, sm, err := r.loadSVGModel(rt, files, svgOnCPU)
	if err != nil {
		t.Fatal(err)
	}
	if sm.shared {
		t.Error("backend 'cpu' shares the runtime's backend")
	}
	base, _, err := sm.run(svgRequest{Prompt: "red heart", Seed: 3, Steps: 4}, nil, func() bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	basePaths := pathRe.FindAllString(base.SVG, -1)
	if len(basePaths) < 2 {
		t.Fatalf("the tiny model drew %d layers for this seed; the keep check needs 2 (the fixture changed?)", len(basePaths))
	}
	keep := []int{0, len(basePaths) - 1}
	req := svgRequest{Edit: true, SVG: []byte(base.SVG), Keep: keep, Prompt: "blue star", Seed: 9, Steps: 4}
	nSteps := 0
	res, _, err := sm.run(req, func(step, n int, svg string) error {
		nSteps++
		doc, err := vector.ParseSVG([]byte(svg))
		if err != nil {
			return err
		}
		if doc.ViewBox != [4]float64{0, 0, 36, 36} {
			return fmt.Errorf("estimate viewBox %v", doc.ViewBox)
		}
		return nil
	}, func() bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	if nSteps != 4 {
		t.Errorf("%d steps reported", nSteps)
	}
	want := nativeSVG(t, files, req)
	if res.SVG != string(want.SVG) {
		t.Errorf("edit differs from svgmodel.Edit's:\n got %.300s\nwant %.300s", res.SVG, want.SVG)
	}
	got := pathRe.FindAllString(res.SVG, -1)
	kept := 0
	for _, l := range res.Layers {
		if l.Kept {
			kept++
			if l.Index >= len(got) {
				t.Fatalf("kept layer %d of %d paths", l.Index, len(got))
			}
		}
	}
	if kept != len(keep) {
		t.Errorf("%d layers marked kept, want %d: %+v", kept, len(keep), res.Layers)
	}
	// Kept layers come out byte-identical: the bottom one stays the bottom one.
	if len(got) == 0 || got[0] != basePaths[0] {
		t.Errorf("kept layer 0 changed:\n got %.200v\nwant %.200s", got, basePaths[0])
	}
	found := false
	for _, p := range got {
		found = found || p == basePaths[len(basePaths)-1]
	}
	if !found {
		t.Errorf("kept top layer %q is not in the result", basePaths[len(basePaths)-1])
	}
}

func TestSVGModelCancelAndErrors(t *testing.T) {
	files := readSVGModel(t)
	r := newRegistry(nil)
	rt := newCPURuntime(t, r)
	id, sm, err := r.loadSVGModel(rt, files, svgOnRuntime)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	res, cancelled, err := sm.run(svgRequest{Prompt: "cat", Steps: 10}, func(int, int, string) error { return nil },
		func() bool { n++; return n > 3 })
	if err != nil || !cancelled || res != nil {
		t.Errorf("cancel: res %v cancelled %v err %v", res, cancelled, err)
	}
	if n != 4 {
		t.Errorf("isCancelled polled %d times before stopping, want 4 (before the first step and after 3)", n)
	}
	stepErr := errors.New("page failed")
	if _, _, err := sm.run(svgRequest{Steps: 3}, func(int, int, string) error { return stepErr }, func() bool { return false }); !errors.Is(err, stepErr) {
		t.Errorf("onStep error: %v", err)
	}

	never := func() bool { return false }
	for _, c := range []struct {
		name string
		req  svgRequest
		code string
	}{
		{"steps", svgRequest{Steps: 1000}, codeBadInput},
		{"cfg", svgRequest{CFG: -1}, codeBadInput},
		{"not svg", svgRequest{Edit: true, SVG: []byte("hello")}, codeBadInput},
		{"keep range", svgRequest{Edit: true, SVG: []byte(`<svg viewBox="0 0 36 36"><path d="M1 1L9 1L9 9Z" fill="#f00"/></svg>`), Keep: []int{5}}, codeBadInput},
		{"add", svgRequest{Edit: true, SVG: []byte(`<svg viewBox="0 0 36 36"><path d="M1 1L9 1L9 9Z" fill="#f00"/></svg>`), Add: -1}, codeBadInput},
		{"n", svgRequest{N: 17}, codeBadInput},
		{"strength", svgRequest{Edit: true, Vary: true, Strength: 2, SVG: []byte(`<svg viewBox="0 0 36 36"><path d="M1 1L9 1L9 9Z" fill="#f00"/></svg>`)}, codeBadInput},
		{"strength with keep", svgRequest{Edit: true, Vary: true, Strength: 0.5, Keep: []int{0}, SVG: []byte(`<svg viewBox="0 0 36 36"><path d="M1 1L9 1L9 9Z" fill="#f00"/></svg>`)}, codeBadInput},
		{"n for a layer edit", svgRequest{Edit: true, N: 2, SVG: []byte(`<svg viewBox="0 0 36 36"><path d="M1 1L9 1L9 9Z" fill="#f00"/></svg>`)}, codeBadInput},
	} {
		_, _, err := sm.run(c.req, nil, never)
		if err == nil || errorCode(err) != c.code {
			t.Errorf("%s: err %v (code %q), want code %q", c.name, err, errorCode(err), c.code)
		}
	}

	for _, c := range []struct {
		name  string
		files memFS
		code  string
	}{
		{"no weights", memFS{"config.json": files["config.json"]}, codeBadModel},
		{"bad config", memFS{"config.json": []byte(`{"model_type":"llama"}`), "model.safetensors": files["model.safetensors"]}, codeBadModel},
		{"bad weights", memFS{"config.json": files["config.json"], "model.safetensors": []byte("not safetensors")}, codeBadModel},
		{"bad name", memFS{"../config.json": files["config.json"]}, codeBadInput},
	} {
		if _, _, err := r.loadSVGModel(rt, c.files, svgOnRuntime); err == nil || errorCode(err) != c.code {
			t.Errorf("load %s: %v (code %q), want %q", c.name, err, errorCode(err), c.code)
		}
	}
	if _, _, err := r.loadSVGModel(rt, files, "webgpu"); errorCode(err) != codeBadInput {
		t.Errorf("backend webgpu: %v", err)
	}

	r.disposeSVGModel(id)
	if _, err := r.svgModel(id); errorCode(err) != codeDisposed {
		t.Errorf("after dispose: %v", err)
	}
	// Disposing the runtime frees its SVG models.
	id2, _, err := r.loadSVGModel(rt, files, svgOnCPU)
	if err != nil {
		t.Fatal(err)
	}
	r.disposeRuntime(rt)
	if _, err := r.svgModel(id2); errorCode(err) != codeDisposed {
		t.Errorf("after disposeRuntime: %v", err)
	}
}

// plainBackend is a backend without tensor.DiffusionOps (the embedded
// interface promotes only tensor.Backend's methods).
type plainBackend struct{ tensor.Backend }

func (plainBackend) Name() string { return "webgpu" }

// lossyDiffusionBackend is lossyBackend with the CPU's diffusion ops.
type lossyDiffusionBackend struct {
	*lossyBackend
	tensor.DiffusionOps
}

func TestSVGModelBackendChoice(t *testing.T) {
	files := readSVGModel(t)
	ref := nativeSVG(t, files, svgRequest{Prompt: "red heart", Seed: 5, Steps: 3})

	// A GPU backend without the diffusion ops: the model runs on a CPU of its own.
	r := newRegistry(func(context.Context, webgpu.Options) (tensor.Backend, error) {
		return plainBackend{tensor.NewCPU()}, nil
	})
	rt, be, err := r.createRuntime(context.Background(), modeWebGPU)
	if err != nil || be != "webgpu" {
		t.Fatal(be, err)
	}
	_, sm, err := r.loadSVGModel(rt, files, svgOnRuntime)
	if err != nil {
		t.Fatal(err)
	}
	if sm.shared || sm.backendName() != "cpu" {
		t.Errorf("without diffusion ops: shared %v backend %q", sm.shared, sm.backendName())
	}

	// One with them: the model shares it, and an auto runtime's device
	// loss moves it to the CPU and finishes the request there.
	cpu := tensor.NewCPU()
	gpu := &lossyDiffusionBackend{&lossyBackend{Backend: cpu}, cpu.(tensor.DiffusionOps)}
	r2 := newRegistry(func(context.Context, webgpu.Options) (tensor.Backend, error) { return gpu, nil })
	rt2, be, err := r2.createRuntime(context.Background(), modeAuto)
	if err != nil || be != "webgpu" {
		t.Fatal(be, err)
	}
	_, sm2, err := r2.loadSVGModel(rt2, files, svgOnRuntime)
	if err != nil {
		t.Fatal(err)
	}
	if !sm2.shared || sm2.backendName() != "webgpu" || sm2.files == nil {
		t.Errorf("with diffusion ops: shared %v backend %q files kept %v", sm2.shared, sm2.backendName(), sm2.files != nil)
	}
	gpu.lost = true
	res, _, err := sm2.run(svgRequest{Prompt: "red heart", Seed: 5, Steps: 3}, nil, func() bool { return false })
	if err != nil {
		t.Fatalf("after device loss: %v", err)
	}
	if res.SVG != string(ref.SVG) {
		t.Errorf("after recovery the SVG differs from the CPU's")
	}
	if sm2.backendName() != "cpu" || sm2.files != nil {
		t.Errorf("after loss: backend %q, files kept %v", sm2.backendName(), sm2.files != nil)
	}
}
