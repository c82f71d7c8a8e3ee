//go:build js && wasm

package wasmsimd

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/tensor"
)

// tolLogits bounds |simd − cpu| of brown-20m's logits (about ±20): the
// two backends differ only in the summation order of the products.
const tolLogits = 1e-4

// TestBrownParity runs models/lamina-brown-20m (f16 weights) on the CPU
// backend and on wasm-simd: the logits of every prompt position agree
// within tolLogits and greedy decoding gives the same ids.
func TestBrownParity(t *testing.T) {
	if testing.Short() {
		t.Skip("20M-parameter model")
	}
	dir := filepath.Join("..", "models", "lamina-brown-20m")
	e := loadEngine(t)
	ms := make([]*model.Model, 2)
	for i, be := range []tensor.Backend{tensor.NewCPU(), tensor.NewCPUWith(e)} {
		m, err := model.LoadDir(dir, be)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		ms[i] = m
	}
	prompt := []int32{0, 312, 95, 1012, 7, 45, 2203, 18, 640, 3, 77, 1500, 9, 260, 4000, 11, 2}
	var logits [2][][]float32
	for i, m := range ms {
		var err error
		if logits[i], err = m.Logits(prompt); err != nil {
			t.Fatal(err)
		}
	}
	worst := 0.0
	for p := range logits[0] {
		for v := range logits[0][p] {
			worst = math.Max(worst, math.Abs(float64(logits[0][p][v]-logits[1][p][v])))
		}
	}
	t.Logf("max |logit difference| %.3g over %d positions; kernel memory %d MB", worst, len(prompt), e.top>>20)
	// The products ran on the module: it holds every linear weight
	// (~18.5M f16 values with the tied lm_head).
	if e.top < 35<<20 {
		t.Errorf("the module holds only %d bytes of weights", e.top)
	}
	if worst > tolLogits || math.IsNaN(worst) {
		t.Errorf("logits differ by %g > %g", worst, tolLogits)
	}
	var ids [2][]int32
	for i, m := range ms {
		var err error
		ids[i], err = m.Generate(context.Background(), prompt, model.GenerateOptions{MaxNewTokens: 48, IgnoreEOS: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(ids[0]) != 48 || len(ids[1]) != 48 {
		t.Fatalf("generated %d and %d ids", len(ids[0]), len(ids[1]))
	}
	for i := range ids[0] {
		if ids[0][i] != ids[1][i] {
			t.Fatalf("greedy ids differ at %d: cpu %v, simd %v", i, ids[0], ids[1])
		}
	}
}

// tolSample bounds |simd − cpu| of a layered-emoji sample's values (fields
// in [-1, 1]) after 8 denoising steps, which carry the products' rounding
// differences from step to step.
const tolSample = 1e-3

// TestLayeredEmojiParity samples models/layered-emoji (the SVG model) with
// the same noise and prompt on the CPU backend and on wasm-simd.
func TestLayeredEmojiParity(t *testing.T) {
	if testing.Short() {
		t.Skip("diffusion sampling")
	}
	dir := filepath.Join("..", "models", "layered-emoji")
	e := loadEngine(t)
	var out [2][]float32
	for i, be := range []tensor.Backend{tensor.NewCPU(), tensor.NewCPUWith(e)} {
		m, err := svgmodel.Load(os.DirFS(dir), be)
		if err != nil {
			t.Fatal(err)
		}
		noise := svgmodel.Noise(1, m.Config.Slots*m.Config.Fields)
		out[i], err = m.Sample(context.Background(), noise, nil, nil, svgmodel.Options{Prompt: "red heart", Steps: 8})
		m.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	if e.top < 1<<20 {
		t.Errorf("the module holds only %d bytes of weights", e.top)
	}
	worst := 0.0
	for i := range out[0] {
		worst = math.Max(worst, math.Abs(float64(out[0][i]-out[1][i])))
	}
	t.Logf("max |difference| %.3g over %d values", worst, len(out[0]))
	if worst > tolSample || math.IsNaN(worst) {
		t.Errorf("samples differ by %g > %g", worst, tolSample)
	}
}
