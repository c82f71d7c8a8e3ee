package main

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

// tinyLM is train/lm's random-weight export of the small LM's architecture with its real
// tokenizer (same repository), and the PyTorch references train/lm/parity.py wrote for it.
const tinyLM = "../../train/lm/testdata/tiny-random"

// pplLossTol bounds |lamina − PyTorch| on a mean loss: each token's loss is a logsumexp minus one
// logit, so logits within logitTol (the parity bound) move it by at most 2·logitTol, and the mean
// by no more; PyTorch's float32 sums of the per-window losses add a little.
const pplLossTol = 2*logitTol + 2e-5

func runPerplexityJSON(t *testing.T, args ...string) perplexityJSON {
	t.Helper()
	out, errOut, code := capture(t, append([]string{"perplexity"}, args...)...)
	if code != 0 {
		t.Fatalf("perplexity %v: exit %d: %s", args, code, errOut)
	}
	var r perplexityJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return r
}

// checkConsistent checks the parts of an answer that follow from each other.
func checkConsistent(t *testing.T, r perplexityJSON, layers int) {
	t.Helper()
	if len(r.Layers) != layers {
		t.Fatalf("%d layers, want %d", len(r.Layers), layers)
	}
	for i, l := range r.Layers {
		if l.Layer != i+1 || math.Abs(l.PPL-math.Exp(l.Loss)) > 1e-9*l.PPL {
			t.Errorf("layers[%d] = %+v", i, l)
		}
	}
	if r.Final != r.Layers[layers-1] {
		t.Errorf("final %+v is not layer %d's %+v", r.Final, layers, r.Layers[layers-1])
	}
}

// TestPerplexityMatchesEvalPy runs the command on text.txt and compares every exit's loss with
// train/lm/eval.py's per_layer_loss on the same model and text (testdata/perplexity/reference.json,
// written by make_reference.py there).
func TestPerplexityMatchesEvalPy(t *testing.T) {
	data, err := os.ReadFile("testdata/perplexity/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		IDs   []int32 `json:"ids"`
		Cases []struct {
			Window    int       `json:"window"`
			MaxTokens int       `json:"max_tokens"`
			Tokens    int       `json:"tokens"`
			Loss      []float64 `json:"loss"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	// The token stream must be the Python encoder's, BOS included, or nothing below compares.
	tok, err := loadTokenizer(tinyLM)
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile("testdata/perplexity/text.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.EncodeWithSpecial(string(text)); !slices.Equal(got, ref.IDs) {
		t.Fatalf("lamina's tokens differ from the Python encoder's:\n%v\n%v", got, ref.IDs)
	}
	for _, c := range ref.Cases {
		args := []string{"--model", tinyLM, "--text-file", "testdata/perplexity/text.txt"}
		if c.Window != 64 { // 64 is the model's context: the default
			args = append(args, "--window", strconv.Itoa(c.Window))
		}
		if c.MaxTokens > 0 {
			args = append(args, "--max-tokens", strconv.Itoa(c.MaxTokens))
		}
		r := runPerplexityJSON(t, args...)
		checkConsistent(t, r, len(c.Loss))
		if r.Tokens != c.Tokens || r.Window != c.Window || r.Stride != c.Window {
			t.Errorf("%v: %d tokens scored, window %d stride %d; eval.py scored %d with window %d", args, r.Tokens, r.Window, r.Stride, c.Tokens, c.Window)
		}
		worst := 0.0
		for i, want := range c.Loss {
			d := math.Abs(r.Layers[i].Loss - want)
			worst = math.Max(worst, d)
			if d > pplLossTol {
				t.Errorf("%v: layer %d loss %.6f, eval.py %.6f (diff %.2g > %.2g)", args, i+1, r.Layers[i].Loss, want, d, pplLossTol)
			}
		}
		t.Logf("window %d max-tokens %d: layer 1 loss %.5f … final %.5f (eval.py %.5f); max |diff| over layers %.2g", c.Window, c.MaxTokens, r.Layers[0].Loss, r.Final.Loss, c.Loss[len(c.Loss)-1], worst)
		// --final-only scores the same final loss from the model's own logits.
		f := runPerplexityJSON(t, append(args, "--final-only")...)
		if want := c.Loss[len(c.Loss)-1]; len(f.Layers) != 1 || math.Abs(f.Final.Loss-want) > pplLossTol || f.Tokens != c.Tokens {
			t.Errorf("%v --final-only: layers %+v, final loss %.6f, eval.py %.6f", args, f.Layers, f.Final.Loss, want)
		}
	}
}

// crossEntropyRef is −log softmax(row)[target], written out plainly for the tests.
func crossEntropyRef(row []float32, target int32) float64 {
	var z float64
	for _, v := range row {
		z += math.Exp(float64(v))
	}
	return math.Log(z) - float64(row[target])
}

// TestPerplexityPyTorchLogits checks the final loss of a text shorter than one window against the
// logits PyTorch computed for it (train/lm/testdata/tiny-random/reference.json, parity.py dump).
func TestPerplexityPyTorchLogits(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(tinyLM, "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Text        string  `json:"text"`
		InputIDs    []int32 `json:"input_ids"`
		LogitsFile  string  `json:"logits_file"`
		LogitsShape []int   `json:"logits_shape"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(tinyLM, ref.LogitsFile))
	if err != nil {
		t.Fatal(err)
	}
	T, V := ref.LogitsShape[0], ref.LogitsShape[1]
	if T != len(ref.InputIDs) || len(raw) != 4*T*V {
		t.Fatalf("reference shape %v for %d ids, %d bytes", ref.LogitsShape, len(ref.InputIDs), len(raw))
	}
	var nats float64
	for p := 0; p+1 < T; p++ {
		row := make([]float32, V)
		for j := range row {
			row[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(p*V+j):]))
		}
		nats += crossEntropyRef(row, ref.InputIDs[p+1])
	}
	want := nats / float64(T-1)
	file := filepath.Join(t.TempDir(), "text.txt")
	if err := os.WriteFile(file, []byte(ref.Text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{}, {"--window", "10"}, {"--window", "10", "--stride", "3"}} {
		r := runPerplexityJSON(t, append([]string{"--model", tinyLM, "--text-file", file}, args...)...)
		checkConsistent(t, r, 3)
		if r.Tokens != T-1 || r.TextTokens != T || r.Windows != 1 {
			t.Errorf("%v: tokens %d text_tokens %d windows %d, want %d %d 1", args, r.Tokens, r.TextTokens, r.Windows, T-1, T)
		}
		if d := math.Abs(r.Final.Loss - want); d > pplLossTol {
			t.Errorf("%v: final loss %.6f, from PyTorch's logits %.6f (diff %.2g)", args, r.Final.Loss, want, d)
		}
	}
}

// TestPerplexityStride checks --stride against losses computed by hand from Logits: 40 tokens,
// windows of 16 every 8 start at 0, 8 and 16 (16+16 ≤ 39 < 24+16); the first scores targets
// 1..16, the others their last 8 targets, 17..24 and 25..32; tokens 33..39 are not scored.
func TestPerplexityStride(t *testing.T) {
	m, err := model.LoadDir(tinyLM, tensor.NewCPU())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tok, err := loadTokenizer(tinyLM)
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile("testdata/perplexity/text.txt")
	if err != nil {
		t.Fatal(err)
	}
	ids := tok.EncodeWithSpecial(string(text))[:40]
	var nats float64
	for _, w := range []struct{ start, firstTarget, lastTarget int }{{0, 1, 16}, {8, 17, 24}, {16, 25, 32}} {
		logits, err := m.Logits(ids[w.start : w.start+16])
		if err != nil {
			t.Fatal(err)
		}
		for target := w.firstTarget; target <= w.lastTarget; target++ {
			nats += crossEntropyRef(logits[target-1-w.start], ids[target])
		}
	}
	want := nats / 32
	r := runPerplexityJSON(t, "--model", tinyLM, "--text-file", "testdata/perplexity/text.txt", "--window", "16", "--stride", "8", "--max-tokens", "40")
	checkConsistent(t, r, 3)
	if r.Tokens != 32 || r.Windows != 3 {
		t.Errorf("%d tokens in %d windows, want 32 in 3", r.Tokens, r.Windows)
	}
	// The same float32 logits; only the float64 summation order differs.
	if d := math.Abs(r.Final.Loss - want); d > 1e-9 {
		t.Errorf("final loss %.9f, by hand %.9f", r.Final.Loss, want)
	}
	f := runPerplexityJSON(t, "--model", tinyLM, "--text-file", "testdata/perplexity/text.txt", "--window", "16", "--stride", "8", "--max-tokens", "40", "--final-only")
	if d := math.Abs(f.Final.Loss - want); d > 1e-9 || f.Tokens != 32 || len(f.Layers) != 1 {
		t.Errorf("--final-only: loss %.9f over %d tokens (%d layers), by hand %.9f over 32", f.Final.Loss, f.Tokens, len(f.Layers), want)
	}
}

func TestPerplexityWindows(t *testing.T) {
	cases := []struct {
		n, w, s int
		want    []scoreWindow
	}{
		{0, 4, 4, nil},
		{1, 4, 4, nil},
		{2, 4, 4, []scoreWindow{{0, 1, 0}}},
		{5, 4, 4, []scoreWindow{{0, 4, 0}}},                        // exactly one window
		{6, 4, 4, []scoreWindow{{0, 4, 0}}},                        // eval.py: range(0, 2, 4)
		{9, 4, 4, []scoreWindow{{0, 4, 0}, {4, 4, 0}}},             // range(0, 5, 4)
		{12, 4, 4, []scoreWindow{{0, 4, 0}, {4, 4, 0}}},            // range(0, 8, 4): the tail is dropped
		{13, 4, 4, []scoreWindow{{0, 4, 0}, {4, 4, 0}, {8, 4, 0}}}, // range(0, 9, 4)
		{9, 4, 2, []scoreWindow{{0, 4, 0}, {2, 4, 2}, {4, 4, 2}}},  // strided
		{8, 4, 1, []scoreWindow{{0, 4, 0}, {1, 4, 3}, {2, 4, 3}, {3, 4, 3}}},
	}
	for _, c := range cases {
		if got := perplexityWindows(c.n, c.w, c.s); !reflect.DeepEqual(got, c.want) {
			t.Errorf("windows(n=%d, w=%d, s=%d) = %v, want %v", c.n, c.w, c.s, got, c.want)
		}
	}
}

func TestPerplexityErrors(t *testing.T) {
	text := "testdata/perplexity/text.txt"
	empty := filepath.Join(t.TempDir(), "empty.txt")
	os.WriteFile(empty, nil, 0o644)
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"--text-file", text}, "required"},
		{[]string{"--model", tinyLM}, "required"},
		{[]string{"--model", tinyLM, "--text-file", text, "--window", "65"}, "outside [1, 64]"},
		{[]string{"--model", tinyLM, "--text-file", text, "--window", "-1"}, "outside [1, 64]"},
		{[]string{"--model", tinyLM, "--text-file", text, "--window", "8", "--stride", "9"}, "--stride 9"},
		{[]string{"--model", tinyLM, "--text-file", text, "--stride", "-2"}, "--stride -2"},
		{[]string{"--model", tinyLM, "--text-file", text, "--max-tokens", "-1"}, "--max-tokens"},
		{[]string{"--model", tinyLM, "--text-file", text, "--max-tokens", "1"}, "at least 2"},
		{[]string{"--model", tinyLM, "--text-file", empty}, "at least 2"},
		{[]string{"--model", tinyLM, "--text-file", "testdata/perplexity/missing.txt"}, "no such file"},
		{[]string{"--model", fixtureDir + "/llama-tiny", "--text-file", text}, "no tokenizer.json"},
	}
	for _, c := range cases {
		out, errOut, code := capture(t, append([]string{"perplexity"}, c.args...)...)
		if code != 1 || out != "" || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", c.args, code, out, errOut, c.msg)
		}
	}
}
