package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

type expectedCase struct {
	Text    string   `json:"text"`
	IDs     []int32  `json:"ids"`
	Tokens  []string `json:"tokens"`
	Decoded string   `json:"decoded"`
}

func loadTestTokenizer(t testing.TB, path string) *Tokenizer {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := Load(data)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return tk
}

// TestHFFixtures checks every case produced by Hugging Face tokenizers 0.23.2
// (testdata/<name>/expected.json): ids, tokens and decode, exactly.
func TestHFFixtures(t *testing.T) {
	for _, name := range []string{"gpt2-bytelevel-bpe", "llama-sp-bpe-bytefallback"} {
		t.Run(name, func(t *testing.T) {
			tk := loadTestTokenizer(t, filepath.Join("testdata", name, "tokenizer.json"))
			raw, err := os.ReadFile(filepath.Join("testdata", name, "expected.json"))
			if err != nil {
				t.Fatal(err)
			}
			var exp struct {
				Cases []expectedCase `json:"cases"`
			}
			if err := json.Unmarshal(raw, &exp); err != nil {
				t.Fatal(err)
			}
			if len(exp.Cases) == 0 {
				t.Fatal("no cases")
			}
			for _, c := range exp.Cases {
				ids := tk.Encode(c.Text)
				if !slices.Equal(ids, c.IDs) && !(len(ids) == 0 && len(c.IDs) == 0) {
					t.Errorf("Encode(%q) = %v, want %v", c.Text, ids, c.IDs)
				}
				toks := tk.Tokens(c.IDs)
				if !slices.Equal(toks, c.Tokens) && !(len(toks) == 0 && len(c.Tokens) == 0) {
					t.Errorf("Tokens(%v) = %q, want %q", c.IDs, toks, c.Tokens)
				}
				if got := tk.Decode(c.IDs); got != c.Decoded {
					t.Errorf("Decode(%v) = %q, want %q", c.IDs, got, c.Decoded)
				}
			}
		})
	}
}
