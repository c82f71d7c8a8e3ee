//go:build js && wasm

package webgpu

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"math"
	"slices"
	"testing"

	"github.com/lamina-ml/lamina/model"
)

// The fixture models (copies of model/testdata, checked by TestFixtureCopiesMatch: tiny random GPT-2, Llama,
// Qwen2 and a sharded f16 Llama, with transformers' outputs in
// reference.json). Embedded because the test runs in a browser, which has
// no file system.
//
//go:embed testdata/models
var fixtures embed.FS

// hfLogitTol is the bound for the browser runtime against
// transformers: max abs logit error ≤ 2e-4.
const hfLogitTol = 2e-4

type hfReference struct {
	InputIDs     []int32     `json:"input_ids"`
	Logits       [][]float32 `json:"logits"`
	GreedyPrompt []int32     `json:"greedy_prompt"`
	GreedyIDs    []int32     `json:"greedy_ids"`
}

// TestModelFixtures runs package model's forward pass, unchanged, on the
// WebGPU backend and compares with Hugging Face transformers: every logit
// of the reference prompt, and greedy generation token for token.
func TestModelFixtures(t *testing.T) {
	for _, name := range []string{"gpt2-tiny", "llama-tiny", "qwen2-tiny", "llama-tiny-sharded-f16"} {
		t.Run(name, func(t *testing.T) {
			sub, err := fs.Sub(fixtures, "testdata/models/"+name)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := fs.ReadFile(sub, "reference.json")
			if err != nil {
				t.Fatal(err)
			}
			var ref hfReference
			if err := json.Unmarshal(raw, &ref); err != nil {
				t.Fatal(err)
			}
			m, err := model.Load(sub, gpu)
			if err != nil {
				t.Fatalf("load on webgpu: %v", err)
			}
			defer m.Close()
			got, err := m.Logits(ref.InputIDs)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(ref.Logits) {
				t.Fatalf("%d rows of logits, want %d", len(got), len(ref.Logits))
			}
			worst := 0.0
			for i := range got {
				if len(got[i]) != len(ref.Logits[i]) {
					t.Fatalf("row %d: %d logits, want %d", i, len(got[i]), len(ref.Logits[i]))
				}
				for j := range got[i] {
					worst = math.Max(worst, math.Abs(float64(got[i][j])-float64(ref.Logits[i][j])))
				}
			}
			report("model/"+name+"/logits vs HF", 0, worst, worst <= hfLogitTol)
			t.Logf("logits: max abs error vs transformers %.3g", worst)
			if worst > hfLogitTol {
				t.Errorf("max abs logit error %.3g > %g", worst, hfLogitTol)
			}
			n := len(ref.GreedyIDs) - len(ref.GreedyPrompt)
			ids, err := m.Generate(context.Background(), ref.GreedyPrompt, model.GenerateOptions{MaxNewTokens: n, IgnoreEOS: true}, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := ref.GreedyIDs[len(ref.GreedyPrompt):]
			ok := slices.Equal(ids, want)
			report("model/"+name+"/greedy == HF", 0, 0, ok)
			if !ok {
				t.Errorf("greedy ids\n got %v\nwant %v", ids, want)
			}
		})
	}
}
