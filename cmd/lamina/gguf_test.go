package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ggufFixture is the gguf package's mixed-type tiny llama (Q8_0, Q4_0,
// Q4_1, Q4_K, Q5_K, Q6_K matrices, tokenizer in the metadata) and what
// llama.cpp computed on it (gguf/testdata/llamacpp: log-probs of
// mixedInputIDs and 12 greedy ids after greedy_prompt).
const ggufFixture = "../../gguf/testdata/llamacpp/mixed-tiny"

type ggufRef struct {
	InputIDs     []int32     `json:"input_ids"`
	LogProbs     [][]float64 `json:"logprobs"`
	GreedyPrompt []int32     `json:"greedy_prompt"`
	GreedyIDs    []int32     `json:"greedy_ids"`
}

func loadGGUFRef(t *testing.T) *ggufRef {
	t.Helper()
	b, err := os.ReadFile(ggufFixture + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var r ggufRef
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// serveGGUF serves the fixture file with Range support (http.ServeContent)
// or, with ranges false, always whole with status 200.
func serveGGUF(t *testing.T, ranges bool) string {
	t.Helper()
	data, err := os.ReadFile(ggufFixture + ".gguf")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ranges {
			w.Write(data)
			return
		}
		http.ServeContent(w, r, "m.gguf", time.Time{}, bytes.NewReader(data))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/mixed-tiny.gguf"
}

// `lamina generate --model` takes a .gguf file, a URL of one served with
// Range requests and one served without: each gives llama.cpp's greedy ids.
func TestGenerateGGUF(t *testing.T) {
	ref := loadGGUFRef(t)
	for _, c := range []struct{ name, model string }{
		{"file", ggufFixture + ".gguf"},
		{"url-ranges", serveGGUF(t, true)},
		{"url-whole", serveGGUF(t, false)},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errs, code := capture(t, "generate", "--model", c.model, "--ids", joinIDs(ref.GreedyPrompt),
				"--max-new-tokens", fmt.Sprint(len(ref.GreedyIDs)), "--ignore-eos", "--json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var got struct {
				IDs []int32 `json:"ids"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got.IDs) != fmt.Sprint(ref.GreedyIDs) {
				t.Errorf("ids %v, llama.cpp %v", got.IDs, ref.GreedyIDs)
			}
		})
	}
	// --prompt uses the tokenizer from the GGUF metadata.
	if _, errs, code := capture(t, "generate", "--model", ggufFixture+".gguf", "--prompt", "hello", "--max-new-tokens", "2", "--json"); code != 0 {
		t.Errorf("--prompt: exit %d: %s", code, errs)
	}
}

// `lamina logits --model FILE.gguf` matches llama.cpp's log-probabilities
// (the gguf package's bound: llama.cpp rounds activations in quantized
// dot products).
func TestLogitsGGUF(t *testing.T) {
	ref := loadGGUFRef(t)
	out, errs, code := capture(t, "logits", "--model", ggufFixture+".gguf", "--ids", joinIDs(ref.InputIDs))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		Logits [][]float32 `json:"logits"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i, row := range got.Logits {
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, float64(v))
		}
		s := 0.0
		for _, v := range row {
			s += math.Exp(float64(v) - m)
		}
		for j, v := range row {
			if lp := ref.LogProbs[i][j]; lp > -30 {
				worst = math.Max(worst, math.Abs(float64(v)-m-math.Log(s)-lp))
			}
		}
	}
	t.Logf("max |Δ log p| vs llama.cpp %.3g", worst)
	if worst > 0.15 {
		t.Errorf("max |Δ log p| %.3g > 0.15", worst)
	}
}

// `lamina bench --model FILE.gguf` times the file's own weights and names
// their dtypes; an unsupported tensor type is an error naming it.
func TestBenchGGUF(t *testing.T) {
	out, errs, code := capture(t, "bench", "--model", ggufFixture+".gguf", "--prompt-len", "4", "--new-tokens", "4", "--reps", "1", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res benchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Q8×", "Q4×", "F16×"} {
		if !strings.Contains(res.DType, want) {
			t.Errorf("dtype %q lacks %s", res.DType, want)
		}
	}
	if _, errs, code := capture(t, "bench", "--model", ggufFixture+".gguf", "--dtype", "q8"); code == 0 || !strings.Contains(errs, "--dtype") {
		t.Errorf("--model with --dtype: exit %d, %q", code, errs)
	}
	data, err := os.ReadFile(ggufFixture + ".gguf")
	if err != nil {
		t.Fatal(err)
	}
	// blk.0.ffn_down.weight's info: name, n_dims, dims, type (Q6_K = 14).
	name := "blk.0.ffn_down.weight"
	i := bytes.Index(data, []byte(name))
	p := i + len(name) + 4 + 8*2
	if i < 0 || data[p] != 14 {
		t.Fatalf("fixture layout changed (type byte %d)", data[p])
	}
	data[p] = 6 // Q5_0
	bad := filepath.Join(t.TempDir(), "bad.gguf")
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code = capture(t, "generate", "--model", bad, "--ids", "1,2", "--max-new-tokens", "1")
	if code == 0 || !strings.Contains(errs, "Q5_0") || !strings.Contains(errs, name) {
		t.Errorf("unsupported type: exit %d, %q (want the type and tensor named)", code, errs)
	}
}
