package gguf_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lamina-ml/lamina/gguf"
)

// expectedCases is a tokenizer fixture's expected.json (made by HF
// tokenizers).
type expectedCases struct {
	Cases []struct {
		Text    string  `json:"text"`
		IDs     []int32 `json:"ids"`
		Decoded string  `json:"decoded"`
	} `json:"cases"`
}

func readJSON(t testing.TB, path string, v any) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// truncateTokenizer keeps the ids below n of a BPE tokenizer.json (and the
// merges among them), giving a coherent vocabulary for a model with n
// embedding rows.
func truncateTokenizer(t testing.TB, data []byte, n int32) []byte {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	m := doc["model"].(map[string]any)
	vocab := map[string]any{}
	for k, v := range m["vocab"].(map[string]any) {
		if int32(v.(float64)) < n {
			vocab[k] = v
		}
	}
	var merges []any
	for _, mm := range m["merges"].([]any) {
		p := mm.([]any)
		a, b := p[0].(string), p[1].(string)
		_, okA := vocab[a]
		_, okB := vocab[b]
		_, okAB := vocab[a+b]
		if okA && okB && okAB {
			merges = append(merges, mm)
		}
	}
	m["vocab"], m["merges"] = vocab, merges
	var added []any
	for _, a := range doc["added_tokens"].([]any) {
		if int32(a.(map[string]any)["id"].(float64)) < n {
			added = append(added, a)
		}
	}
	doc["added_tokens"] = added
	out, _ := json.Marshal(doc)
	return out
}

// fixtureTokenizer is the tokenizer.json written into a fixture's GGUF:
// the fixtures' random weights come without one, and llama.cpp needs one
// of exactly vocab_size tokens. llama gets the SentencePiece-style BPE
// fixture cut to its 512 ids; qwen2 and gpt2 the small byte-level BPE,
// whose 272 ids the exporter pads with unused tokens.
func fixtureTokenizer(t testing.TB, name string) []byte {
	if name == "llama-tiny" {
		return truncateTokenizer(t, readJSON(t, filepath.Join(tokenizerFixtures, "llama-sp-bpe-bytefallback", "tokenizer.json"), nil), 512)
	}
	return readJSON(t, filepath.Join(tokenizerFixtures, "bytelevel-small", "tokenizer.json"), nil)
}

// exportFixtureTok is exportFixture with a tokenizer in the metadata.
func exportFixtureTok(t testing.TB, name string, typ gguf.TensorType) (*gguf.File, []byte) {
	t.Helper()
	dir := filepath.Join(modelFixtures, name)
	cfg := readJSON(t, filepath.Join(dir, "config.json"), nil)
	ts, err := gguf.ReadSafetensors(readJSON(t, filepath.Join(dir, "model.safetensors"), nil))
	if err != nil {
		t.Fatal(err)
	}
	w, err := gguf.ExportHF(cfg, ts, gguf.ExportOptions{Type: typ, Name: name, Tokenizer: fixtureTokenizer(t, name)})
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, w)
}

func writeFile(t testing.TB, w *gguf.Writer) (*gguf.File, []byte) {
	t.Helper()
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

// spTokenizerGGUF writes the SentencePiece-style fixture tokenizer (all
// 1500 ids) into llama metadata, the way llama.cpp stores such vocabularies:
// tokens, scores and token types, no merges.
func spTokenizerGGUF(t testing.TB) (*gguf.File, []byte) {
	cfg := readJSON(t, filepath.Join(modelFixtures, "llama-tiny", "config.json"), nil)
	tok := readJSON(t, filepath.Join(tokenizerFixtures, "llama-sp-bpe-bytefallback", "tokenizer.json"), nil)
	w, err := gguf.ExportHF(cfg, nil, gguf.ExportOptions{Type: gguf.F32, Tokenizer: tok})
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, w)
}

// The tokenizer rebuilt from GGUF metadata (merges derived from the
// scores) encodes and decodes the fixture texts as HF tokenizers does.
func TestTokenizerFromGGUFMatchesHF(t *testing.T) {
	f, _ := spTokenizerGGUF(t)
	if _, ok := f.Lookup("tokenizer.ggml.merges"); ok {
		t.Fatal("llama vocabulary written with merges; the test must exercise the score path")
	}
	tk, err := f.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	var exp expectedCases
	readJSON(t, filepath.Join(tokenizerFixtures, "llama-sp-bpe-bytefallback", "expected.json"), &exp)
	for _, c := range exp.Cases {
		got := tk.Encode(c.Text)
		if !slices.Equal(got, c.IDs) {
			t.Errorf("Encode(%q) = %v, HF %v (%q)", c.Text, got, c.IDs, tk.Tokens(got))
			continue
		}
		if d := tk.Decode(got); d != c.Decoded {
			t.Errorf("Decode(%q) = %q, HF %q", c.Text, d, c.Decoded)
		}
	}
}

// llama.cpp tokenizes the same GGUF vocabulary like HF tokenizers does,
// which shows the exported metadata is read as intended.
func TestLlamaCppTokenize(t *testing.T) {
	modules := llamaCpp(t)
	_, data := spTokenizerGGUF(t)
	path := filepath.Join(t.TempDir(), "tok.gguf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var exp expectedCases
	readJSON(t, filepath.Join(tokenizerFixtures, "llama-sp-bpe-bytefallback", "expected.json"), &exp)
	var texts []string
	for _, c := range exp.Cases {
		texts = append(texts, c.Text)
	}
	arg, _ := json.Marshal(texts)
	var got [][]int32
	if err := json.Unmarshal(runNode(t, modules, "tokenize", path, string(arg)), &got); err != nil {
		t.Fatal(err)
	}
	bad := 0
	for i, c := range exp.Cases {
		if !slices.Equal(got[i], c.IDs) {
			bad++
			t.Logf("llama.cpp tokenize(%q) = %v, HF %v", c.Text, got[i], c.IDs)
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d texts tokenized differently by llama.cpp", bad, len(exp.Cases))
	}
}
