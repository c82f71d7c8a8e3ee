package gguf_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/lamina-ml/lamina/gguf"
	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

// reference is the part of a fixture's reference.json (made by
// transformers) these tests use.
type reference struct {
	InputIDs     []int32     `json:"input_ids"`
	Logits       [][]float32 `json:"logits"`
	GreedyPrompt []int32     `json:"greedy_prompt"`
	GreedyIDs    []int32     `json:"greedy_ids"`
}

func loadReference(t testing.TB, name string) *reference {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(modelFixtures, name, "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// exportFixture writes the fixture as a GGUF of the given type and opens it.
func exportFixture(t testing.TB, name string, typ gguf.TensorType) (*gguf.File, []byte) {
	t.Helper()
	dir := filepath.Join(modelFixtures, name)
	cfg, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := gguf.ReadSafetensors(st)
	if err != nil {
		t.Fatal(err)
	}
	w, err := gguf.ExportHF(cfg, ts, gguf.ExportOptions{Type: typ, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return f, buf.Bytes()
}

// Tolerances on logits against transformers: F32 as model's own fixture
// test. F16 and Q8_0 weights are lossy; their bounds are the measured
// error (printed with -v: F16 ≤ 3.2e-3, Q8_0 ≤ 0.085 on these random
// tiny models) with headroom, so they catch a wrong layout, which moves
// logits by O(1). Q4_0 moves these logits by ~1 on its own (measured
// 1.05–1.6), so it is checked against llama.cpp on the same file instead
// (llamacpp_test.go).
var parityTol = map[gguf.TensorType]float64{gguf.F32: 1e-4, gguf.F16: 1e-2, gguf.Q8_0: 0.2}

// A GGUF written from each HF fixture, read back through HFDir into
// lamina's model loader, reproduces transformers' logits: this checks the
// export and import name/layout mapping and the config together.
func TestHFDirModelParity(t *testing.T) {
	for _, name := range []string{"llama-tiny", "qwen2-tiny", "gpt2-tiny"} {
		ref := loadReference(t, name)
		for _, typ := range []gguf.TensorType{gguf.F32, gguf.F16, gguf.Q8_0} {
			t.Run(name+"/"+typ.String(), func(t *testing.T) {
				f, _ := exportFixture(t, name, typ)
				fsys, err := f.HFDir()
				if err != nil {
					t.Fatal(err)
				}
				m, err := model.Load(fsys, tensor.NewCPU())
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				got, err := m.Logits(ref.InputIDs)
				if err != nil {
					t.Fatal(err)
				}
				worst := 0.0
				for i := range ref.Logits {
					for j := range ref.Logits[i] {
						worst = math.Max(worst, math.Abs(float64(got[i][j]-ref.Logits[i][j])))
					}
				}
				t.Logf("%s %v: max |Δlogit| vs transformers = %.3g", name, typ, worst)
				if worst > parityTol[typ] {
					t.Errorf("max |Δlogit| = %.3g > %.3g", worst, parityTol[typ])
				}
			})
		}
	}
}

// See fixtures_test.go: the same fixture folders for the external test package.
const (
	modelFixtures     = "../model/testdata"
	tokenizerFixtures = "../tokenizer/testdata"
)
