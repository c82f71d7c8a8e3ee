package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lamina-ml/lamina/model"
)

// The model commands are tested in-process against the transformers
// fixtures kept in package model's testdata (same repository).
const fixtureDir = "../../model/testdata"

// logitTol is the bound on logits against transformers.
const logitTol = 1e-4

type reference struct {
	InputIDs     []int32     `json:"input_ids"`
	Logits       [][]float32 `json:"logits"`
	GreedyPrompt []int32     `json:"greedy_prompt"`
	GreedyIDs    []int32     `json:"greedy_ids"`
}

func loadReference(t *testing.T, name string) *reference {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name, "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// capture runs a command through runMain and returns stdout, stderr and the
// exit status.
func capture(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	old := stdout
	stdout = &out
	defer func() { stdout = old }()
	code := runMain(args, &errb)
	return out.String(), errb.String(), code
}

func joinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ",")
}

func TestLogitsCommand(t *testing.T) {
	for _, name := range []string{"gpt2-tiny", "llama-tiny", "qwen2-tiny", "llama-tiny-sharded-f16"} {
		t.Run(name, func(t *testing.T) {
			ref := loadReference(t, name)
			out, errs, code := capture(t, "logits", "--model", filepath.Join(fixtureDir, name), "--ids", joinIDs(ref.InputIDs))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var got struct {
				Logits [][]float32 `json:"logits"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Logits) != len(ref.Logits) {
				t.Fatalf("%d rows, want %d", len(got.Logits), len(ref.Logits))
			}
			for i := range got.Logits {
				if len(got.Logits[i]) != len(ref.Logits[i]) {
					t.Fatalf("row %d has %d values", i, len(got.Logits[i]))
				}
				for j := range got.Logits[i] {
					if d := math.Abs(float64(got.Logits[i][j] - ref.Logits[i][j])); d > logitTol {
						t.Fatalf("logits[%d][%d] off by %g", i, j, d)
					}
				}
			}
		})
	}
}

func TestGenerateCommandGreedy(t *testing.T) {
	ref := loadReference(t, "llama-tiny")
	want := ref.GreedyIDs[len(ref.GreedyPrompt):]
	dir := filepath.Join(fixtureDir, "llama-tiny")
	n := fmt.Sprint(len(want))

	// No tokenizer.json: the stream is the ids.
	out, errs, code := capture(t, "generate", "--model", dir, "--ids", joinIDs(ref.GreedyPrompt), "--max-new-tokens", n, "--ignore-eos")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if got := strings.Fields(out); strings.Join(got, ",") != joinIDs(want) {
		t.Errorf("streamed %q, want %v", out, want)
	}

	// --json stops at the EOS token (id 2 in generation_config.json) and
	// keeps it in ids, as transformers does.
	out, errs, code = capture(t, "generate", "--model", dir, "--ids", joinIDs(ref.GreedyPrompt), "--max-new-tokens", n, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res struct {
		IDs  []int32 `json:"ids"`
		Text string  `json:"text"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	eos := slices.Index(want, 2)
	if eos < 0 || !slices.Equal(res.IDs, want[:eos+1]) {
		t.Errorf("--json ids %v, want %v", res.IDs, want[:eos+1])
	}
}

// TestGenerateCommandDraftExit checks --draft-exit/--draft-tokens and
// --draft-model give transformers' greedy ids (the fixture's reference) and
// --json's stats.
func TestGenerateCommandDraftExit(t *testing.T) {
	ref := loadReference(t, "llama-tiny")
	want := ref.GreedyIDs[len(ref.GreedyPrompt):]
	dir := filepath.Join(fixtureDir, "llama-tiny")
	for _, flags := range [][]string{
		{"--draft-exit", "1", "--draft-tokens", "3"},
		{"--draft-model", filepath.Join(fixtureDir, "qwen2-tiny"), "--draft-tokens", "2"},
		{"--draft-model", dir, "--draft-tokens", "4"},
	} {
		args := append([]string{"generate", "--model", dir, "--ids", joinIDs(ref.GreedyPrompt), "--max-new-tokens", fmt.Sprint(len(want)),
			"--ignore-eos", "--temperature", "0", "--json"}, flags...)
		out, errs, code := capture(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", flags, code, errs)
		}
		var res struct {
			IDs   []int32 `json:"ids"`
			Stats *struct {
				Drafted, Accepted, Rounds int
				TokensPerS                float64 `json:"tokens_per_s"`
			} `json:"stats"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.IDs, want) {
			t.Errorf("%v: ids %v, want %v", flags, res.IDs, want)
		}
		if res.Stats == nil || res.Stats.Drafted == 0 || res.Stats.Rounds == 0 || res.Stats.Accepted > res.Stats.Drafted || !(res.Stats.TokensPerS > 0) {
			t.Errorf("%v: stats %+v in %s", flags, res.Stats, out)
		}
	}
}

// TestGenerateCommandDraftExitAuto checks --draft-exit auto keeps the
// greedy ids and reports its decision under "stats": "auto".
func TestGenerateCommandDraftExitAuto(t *testing.T) {
	ref := loadReference(t, "llama-tiny")
	want := ref.GreedyIDs[len(ref.GreedyPrompt):]
	dir := filepath.Join(fixtureDir, "llama-tiny")
	out, errs, code := capture(t, "generate", "--model", dir, "--ids", joinIDs(ref.GreedyPrompt), "--max-new-tokens", fmt.Sprint(len(want)),
		"--ignore-eos", "--temperature", "0", "--json", "--draft-exit", "auto")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res struct {
		IDs   []int32 `json:"ids"`
		Stats *struct {
			Drafted int
			Auto    *model.SpecPlan
		} `json:"stats"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.IDs, want) {
		t.Errorf("ids %v, want %v", res.IDs, want)
	}
	if res.Stats == nil || res.Stats.Auto == nil || res.Stats.Auto.Reason == "" || len(res.Stats.Auto.Probe) != 1 || res.Stats.Auto.Probe[0].Exit != 1 ||
		(res.Stats.Auto.DraftExit == 0) != (res.Stats.Drafted == 0) {
		t.Errorf("stats in %s", out)
	}
	_, errs, code = capture(t, "generate", "--model", dir, "--ids", "1", "--draft-exit", "some")
	if code == 0 || !strings.Contains(errs, "want a layer count or auto") {
		t.Errorf("--draft-exit some: exit %d, %s", code, errs)
	}
}

// byteTokenizerJSON is a byte-level BPE tokenizer.json with no merges: every
// byte is one token, id = byte value, so ids stay inside a 512-token vocab.
func byteTokenizerJSON() string {
	// GPT-2's bytes_to_unicode mapping.
	var printable []int
	for b := '!'; b <= '~'; b++ {
		printable = append(printable, int(b))
	}
	for b := 0xA1; b <= 0xAC; b++ {
		printable = append(printable, b)
	}
	for b := 0xAE; b <= 0xFF; b++ {
		printable = append(printable, b)
	}
	vocab := map[string]int{}
	n := 0
	for b := 0; b < 256; b++ {
		r := b
		if !slices.Contains(printable, b) {
			r = 256 + n
			n++
		}
		vocab[string(rune(r))] = b
	}
	v, _ := json.Marshal(vocab)
	return `{"version":"1.0","added_tokens":[],"normalizer":null,
		"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true},
		"post_processor":null,"decoder":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true},
		"model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,"end_of_word_suffix":null,
		"fuse_unk":false,"byte_fallback":false,"vocab":` + string(v) + `,"merges":[]}}`
}

// modelWithTokenizer copies a fixture model into a temporary folder and adds
// byteTokenizerJSON.
func modelWithTokenizer(t *testing.T, name string) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join(fixtureDir, name)
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "reference.json" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dst, "tokenizer.json"), []byte(byteTokenizerJSON()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestGenerateCommandPrompt(t *testing.T) {
	dir := modelWithTokenizer(t, "gpt2-tiny")
	// "Hi!" is bytes 72,105,33: the same ids through --prompt and --ids.
	a, errs, code := capture(t, "generate", "--model", dir, "--prompt", "Hi!", "--max-new-tokens", "8", "--json", "--temperature", "0.8", "--top-k", "40", "--top-p", "0.9", "--seed", "3", "--repetition-penalty", "1.2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b, _, _ := capture(t, "generate", "--model", dir, "--ids", "72,105,33", "--max-new-tokens", "8", "--json", "--temperature", "0.8", "--top-k", "40", "--top-p", "0.9", "--seed", "3", "--repetition-penalty", "1.2")
	if a != b {
		t.Errorf("--prompt and --ids differ:\n%s\n%s", a, b)
	}
	var res struct {
		IDs  []int32 `json:"ids"`
		Text string  `json:"text"`
	}
	if err := json.Unmarshal([]byte(a), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.IDs) != 8 {
		t.Errorf("%d ids, want 8", len(res.IDs))
	}
	// The text is the decoded ids (each id < 256 is its byte).
	var raw []byte
	for _, id := range res.IDs {
		if id < 256 {
			raw = append(raw, byte(id))
		}
	}
	if allBytes := len(raw) == len(res.IDs); allBytes && res.Text != string(bytes.ToValidUTF8(raw, []byte("\uFFFD"))) && res.Text != string(raw) {
		t.Errorf("text %q for ids %v", res.Text, res.IDs)
	}
	// Streaming prints the same text plus a newline.
	s, errs, code := capture(t, "generate", "--model", dir, "--prompt", "Hi!", "--max-new-tokens", "8", "--temperature", "0.8", "--top-k", "40", "--top-p", "0.9", "--seed", "3", "--repetition-penalty", "1.2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if s != res.Text+"\n" {
		t.Errorf("streamed %q, --json text %q", s, res.Text)
	}
}

func TestLayersCommand(t *testing.T) {
	ref := loadReference(t, "qwen2-tiny")
	ids := ref.InputIDs[:5]
	out, errs, code := capture(t, "layers", "--model", filepath.Join(fixtureDir, "qwen2-tiny"), "--ids", joinIDs(ids), "--top", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res layersJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Layers) != 3 { // embeddings + 2 layers
		t.Fatalf("%d layers, want 3", len(res.Layers))
	}
	last := res.Layers[len(res.Layers)-1]
	for p := range ids {
		// The last lens layer is the model's prediction: its top token is
		// the argmax of transformers' logits (fixture rows are for
		// positions of the same prefix, causal, so they apply).
		row := ref.Logits[p]
		best := 0
		for i, v := range row {
			if v > row[best] {
				best = i
			}
		}
		if got := last.Top[p][0].ID; got != int32(best) {
			t.Errorf("pos %d: lens top %d, reference argmax %d", p, got, best)
		}
		if len(last.Top[p]) != 3 || last.Norm[p] <= 0 {
			t.Errorf("pos %d: %d top tokens, norm %g", p, len(last.Top[p]), last.Norm[p])
		}
	}

	// With a tokenizer every candidate carries its text.
	dir := modelWithTokenizer(t, "qwen2-tiny")
	out, errs, code = capture(t, "layers", "--model", dir, "--prompt", "AB", "--top", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	res = layersJSON{}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.IDs, []int32{65, 66}) || !slices.Equal(res.Tokens, []string{"A", "B"}) {
		t.Errorf("ids %v tokens %q", res.IDs, res.Tokens)
	}
	for _, l := range res.Layers {
		for _, pos := range l.Top {
			for _, c := range pos {
				if c.Token == nil {
					t.Fatalf("layer %d: candidate %d without token text", l.Layer, c.ID)
				}
			}
		}
	}
}

func TestModelCommandErrors(t *testing.T) {
	gpt2 := filepath.Join(fixtureDir, "gpt2-tiny")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"logits", "--ids", "1"}, "--model and --ids are required"},
		{[]string{"logits", "--model", gpt2, "--ids", "1,x"}, "bad token id"},
		{[]string{"logits", "--model", gpt2, "--ids", "1,512"}, "outside vocabulary"},
		{[]string{"logits", "--model", t.TempDir(), "--ids", "1"}, "config.json"},
		{[]string{"generate", "--model", gpt2}, "exactly one of --prompt and --ids"},
		{[]string{"generate", "--model", gpt2, "--prompt", "hi"}, "tokenizer.json"},
		{[]string{"generate", "--model", gpt2, "--ids", "1", "--top-p", "2"}, "invalid sampling options"},
		{[]string{"generate", "--model", gpt2, "--ids", "1", "--draft-exit", "2"}, "draft exit 2 must lie in [1,2)"},
		{[]string{"generate", "--model", gpt2, "--ids", "1", "--draft-model", t.TempDir()}, "--draft-model"},
		{[]string{"layers", "--model", gpt2, "--ids", "1", "--top", "0"}, "must be positive"},
		{[]string{"nosuch"}, "unknown command"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, errs, code := capture(t, tc.args...)
			if code == 0 || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want failure mentioning %q", code, errs, tc.want)
			}
		})
	}
}

// TestBenchSpecCommand runs bench-spec briefly on the shipped model: it
// checks ids against plain decoding itself and prints a row per config.
func TestBenchSpecCommand(t *testing.T) {
	out, errs, code := capture(t, "bench-spec", "--model", filepath.Join("..", "..", "models", "lamina-brown-20m"),
		"--max-new-tokens", "6", "--reps", "1", "--exits", "8", "--draft-tokens", "1,3", "--draft-model", filepath.Join("..", "..", "models", "lamina-brown-20m"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, row := range []string{"plain", "E=8 K=1", "E=8 K=3", "draft K=1", "draft K=3"} {
		if !strings.Contains(out, row) {
			t.Errorf("no %q row in:\n%s", row, out)
		}
	}
}
