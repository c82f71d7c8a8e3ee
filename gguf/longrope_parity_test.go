package gguf_test

import (
	"errors"
	"os"
	"testing"

	"github.com/lamina-ml/lamina/gguf"
)

// Phi-3 LongRoPE against llama.cpp: the phi3 case of archCases with
// rope_scaling "longrope" (the factors of model/testdata/phi3-longrope's
// torch fixture; original context 8, 128 positions), exported with
// rope_factors_long/short and the scaling metadata, and run by llama.cpp
// with a 128-token context. Over archInputIDs (10 tokens, past the
// original 8) transformers, so lamina, takes the long factors for the
// pass, and llama.cpp takes them for any context longer than the
// original: the logits must agree. (Greedy decoding is not compared:
// transformers switches from short to long factors mid-generation without
// recomputing the cached keys, llama.cpp uses long ones throughout.)

func longRoPECase(long []float64) archCase {
	var ph archCase
	for _, c := range archCases() {
		if c.cfg["model_type"] == "phi3" {
			ph = c
		}
	}
	c := archCase{name: "phi3-longrope-tiny", cfg: map[string]any{}}
	for k, v := range ph.cfg {
		c.cfg[k] = v
	}
	c.cfg["original_max_position_embeddings"] = 8
	c.cfg["rope_scaling"] = map[string]any{"type": "longrope",
		"short_factor": []float64{1.0, 1.05, 1.1, 1.15, 1.2, 1.25, 1.3, 1.35},
		"long_factor":  long}
	return c
}

var longFactor = []float64{1.0, 1.9, 2.8, 3.7, 4.6, 5.5, 6.4, 7.3}

// TestPhi3LongRoPEReference (CI): lamina, from config.json + safetensors,
// against llama.cpp's committed log-probs; with the short factors in place
// of the long ones it must miss them (the fixture tells the two apart).
func TestPhi3LongRoPEReference(t *testing.T) {
	c := longRoPECase(longFactor)
	ref := readArchFixture(t, c.name)
	lp := longRoPELogProbs(t, c)
	d := maxLogProbDiff(ref.LogProbs, lp)
	t.Logf("phi3 LongRoPE: max |Δ log p| lamina vs llama.cpp %.3g over %d positions", d, len(lp))
	if len(lp) != len(ref.LogProbs) || d > archTol {
		t.Errorf("max |Δ log p| = %.3g > %.3g (%d rows, reference %d)", d, archTol, len(lp), len(ref.LogProbs))
	}
	short := longRoPECase([]float64{1.0, 1.05, 1.1, 1.15, 1.2, 1.25, 1.3, 1.35})
	if d := maxLogProbDiff(ref.LogProbs, longRoPELogProbs(t, short)); d < 1e-2 {
		t.Errorf("short factors give max |Δ log p| %.3g: the reference does not tell long from short", d)
	} else {
		t.Logf("with the short factors instead: %.3g", d)
	}
	// The file is not read back (rope_scaling is not recovered): a typed
	// error, not a model without its scaling.
	cfg, ts := archTensors(t, c)
	w, err := gguf.ExportHF(cfg, ts, gguf.ExportOptions{Type: gguf.F32})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := writeFile(t, w)
	var me *gguf.MetadataError
	if _, err := f.HFDir(); !errors.As(err, &me) {
		t.Errorf("HFDir of a LongRoPE file: %v, want a MetadataError", err)
	}
	for _, bad := range []map[string]any{
		{"type": "yarn", "factor": 2.0},
		{"type": "longrope", "short_factor": []float64{1}, "long_factor": []float64{1}},
	} {
		c := longRoPECase(longFactor)
		c.cfg["rope_scaling"] = bad
		cfg, ts := archTensors(t, c)
		if _, err := gguf.ExportHF(cfg, ts, gguf.ExportOptions{Type: gguf.F32}); err == nil {
			t.Errorf("rope_scaling %v exported", bad)
		}
	}
}

func longRoPELogProbs(t *testing.T, c archCase) [][]float64 {
	m := loadArchHF(t, c)
	defer m.Close()
	return archLogProbs(t, m)
}

// TestPhi3LongRoPELlamaCpp runs llama.cpp now (LAMINA_NODE_LLAMA_CPP) and
// rewrites the fixture with LAMINA_WRITE_ARCH_FIXTURES=1.
func TestPhi3LongRoPELlamaCpp(t *testing.T) {
	modules := llamaCpp(t)
	c := longRoPECase(longFactor)
	_, logProbs := llamaCppArch(t, modules, fixtureTokenizer(t, "qwen2-tiny"), c)
	lp := longRoPELogProbs(t, c)
	d := maxLogProbDiff(logProbs, lp)
	t.Logf("phi3 LongRoPE: max |Δ log p| lamina vs llama.cpp %.3g", d)
	if d > archTol {
		t.Errorf("max |Δ log p| = %.3g > %.3g", d, archTol)
	}
	if os.Getenv("LAMINA_WRITE_ARCH_FIXTURES") == "1" {
		writeArchFixture(t, c.name, &archFixture{Source: "llama.cpp via node-llama-cpp 3.21.1 (CPU, 1 thread, F32 GGUF, F32 KV cache, 128-token context)",
			InputIDs: archInputIDs, LogProbs: logProbs})
	}
}
