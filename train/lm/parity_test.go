// Package lm holds the PyTorch training code of lamina's small language model (Python files) and
// this Go test, which checks that lamina loads the exported Hugging Face directories exactly:
// logits and per-layer hidden states against the PyTorch model that trained them, and the
// tokenizer against the Python BPE encoder that produced the training ids.
package lm

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/tokenizer"
)

const (
	// logitsTol is the bar: lamina's float32 logits vs PyTorch's on the same stored
	// weights; only the order of float32 summation differs.
	logitsTol = 1e-4
	// hiddenTolAbs/Rel bound hidden-state differences; the residual stream of a trained model can
	// reach magnitudes in the tens, so allow a relative part too.
	hiddenTolAbs = 1e-4
	hiddenTolRel = 1e-5
)

type tokenizerCase struct {
	Text    string  `json:"text"`
	IDs     []int32 `json:"ids"`
	Decoded string  `json:"decoded"`
}

// reference is written by `train/lm/parity.py dump` (PyTorch, float32 on the stored weights).
type reference struct {
	InputIDs            []int32         `json:"input_ids"`
	LogitsFile          string          `json:"logits_file"`
	LogitsShape         []int           `json:"logits_shape"`
	HiddenStatesLastPos [][]float32     `json:"hidden_states_last_pos"`
	TokenizerCases      []tokenizerCase `json:"tokenizer_cases"`
}

func readReference(t *testing.T, path string) (reference, []float32) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(path), ref.LogitsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(ref.LogitsShape) != 2 || len(raw) != 4*ref.LogitsShape[0]*ref.LogitsShape[1] {
		t.Fatalf("%s: %d bytes do not match shape %v", ref.LogitsFile, len(raw), ref.LogitsShape)
	}
	logits := make([]float32, len(raw)/4)
	for i := range logits {
		logits[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return ref, logits
}

// checkModelDir compares lamina on modelDir against the reference at refPath.
func checkModelDir(t *testing.T, modelDir, refPath string) {
	ref, want := readReference(t, refPath)
	m, err := model.LoadDir(modelDir, tensor.NewCPU())
	if err != nil {
		t.Fatalf("load %s: %v", modelDir, err)
	}
	defer m.Close()

	got, err := m.Logits(ref.InputIDs)
	if err != nil {
		t.Fatal(err)
	}
	T, V := ref.LogitsShape[0], ref.LogitsShape[1]
	if len(got) != T || len(got[0]) != V {
		t.Fatalf("logits shape %dx%d, want %dx%d", len(got), len(got[0]), T, V)
	}
	maxDiff := 0.0
	for i := 0; i < T; i++ {
		for j := 0; j < V; j++ {
			maxDiff = math.Max(maxDiff, math.Abs(float64(got[i][j]-want[i*V+j])))
		}
	}
	t.Logf("%s: logits max abs diff %.3g over %dx%d", modelDir, maxDiff, T, V)
	if maxDiff > logitsTol {
		t.Errorf("logits max abs diff %.3g > %g", maxDiff, logitsTol)
	}

	hs, err := m.HiddenStates(ref.InputIDs)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != len(ref.HiddenStatesLastPos) {
		t.Fatalf("%d hidden states, want %d", len(hs), len(ref.HiddenStatesLastPos))
	}
	for l, wantRow := range ref.HiddenStatesLastPos {
		gotRow := hs[l][len(ref.InputIDs)-1]
		for c, w := range wantRow {
			d := math.Abs(float64(gotRow[c] - w))
			if d > hiddenTolAbs+hiddenTolRel*math.Abs(float64(w)) {
				t.Errorf("hidden state %d, channel %d: got %g want %g", l, c, gotRow[c], w)
				break
			}
		}
	}

	tokData, err := os.ReadFile(filepath.Join(modelDir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(tokData)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range ref.TokenizerCases {
		ids := tok.Encode(tc.Text)
		if !equalIDs(ids, tc.IDs) {
			t.Errorf("Encode(%q) = %v, want %v", tc.Text, ids, tc.IDs)
		}
		if dec := tok.Decode(tc.IDs); dec != tc.Decoded {
			t.Errorf("Decode(%v) = %q, want %q", tc.IDs, dec, tc.Decoded)
		}
		// The post-processor prepends <|endoftext|> (id 0) as BOS, as the training data does.
		withBOS := tok.EncodeWithSpecial(tc.Text)
		if !equalIDs(withBOS, append([]int32{0}, tc.IDs...)) {
			t.Errorf("EncodeWithSpecial(%q) = %v, want BOS 0 then %v", tc.Text, withBOS, tc.IDs)
		}
	}
}

func equalIDs(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParity(t *testing.T) {
	cases := []struct{ name, modelDir, ref string }{
		{"tiny-random", "testdata/tiny-random", "testdata/tiny-random/reference.json"},
		// The shipped model: its PyTorch reference is committed with it (install_model.sh).
		{"lamina-brown-20m", "../../models/lamina-brown-20m", "testdata/lamina-brown-20m/reference.json"},
	}
	// check_parity.sh points these at a freshly exported directory and its reference.
	if dir := os.Getenv("LAMINA_LM_PARITY_DIR"); dir != "" {
		ref := os.Getenv("LAMINA_LM_PARITY_REF")
		if ref == "" {
			ref = filepath.Join(dir, "reference.json")
		}
		cases = append(cases, struct{ name, modelDir, ref string }{"env", dir, ref})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkModelDir(t, tc.modelDir, tc.ref) })
	}
}
