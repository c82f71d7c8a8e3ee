package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDecodeStream streams every case of the SentencePiece-style HF fixture
// id by id: the chunks join to HF's decoded text and never carry U+FFFD
// from a byte sequence cut in the middle (the fixture texts have none).
func TestDecodeStream(t *testing.T) {
	dir := filepath.Join("testdata", "llama-sp-bpe-bytefallback")
	tk := loadTestTokenizer(t, filepath.Join(dir, "tokenizer.json"))
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Cases []expectedCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	for _, c := range exp.Cases {
		ds := tk.NewDecodeStream()
		var b strings.Builder
		for _, id := range c.IDs {
			chunk, err := ds.Step(id)
			if err != nil {
				t.Fatalf("%q: %v", c.Text, err)
			}
			if strings.ContainsRune(chunk, '\uFFFD') {
				t.Errorf("%q: chunk %q has a replacement character", c.Text, chunk)
			}
			b.WriteString(chunk)
		}
		if b.String() != c.Decoded {
			t.Errorf("stream of %q = %q, want %q", c.Text, b.String(), c.Decoded)
		}
	}
}
