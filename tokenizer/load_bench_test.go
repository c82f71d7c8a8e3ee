package tokenizer

import "testing"

// BenchmarkLoadGPT2 parses the full GPT-2 tokenizer.json (50257 tokens,
// 50000 merges); Load time is what a browser page waits for.
func BenchmarkLoadGPT2(b *testing.B) {
	data := gpt2TokenizerJSON(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Load(data); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMergeForms: the legacy "a b" strings, [a, b] pairs and a mixture
// all load to the same merges.
func TestMergeForms(t *testing.T) {
	const vocab = `"vocab":{"a":0,"b":1,"c":2,"ab":3,"abc":4}`
	for _, merges := range []string{`["a b","ab c"]`, `[["a","b"],["ab","c"]]`, `["a b",["ab","c"]]`, ` [ ["a","b"], "ab c"]`} {
		tk, err := Load([]byte(`{"model":{"type":"BPE",` + vocab + `,"merges":` + merges + `}}`))
		if err != nil {
			t.Fatalf("%s: %v", merges, err)
		}
		if got := tk.Encode("abc"); len(got) != 1 || got[0] != 4 {
			t.Errorf("%s: Encode(abc) = %v, want [4]", merges, got)
		}
	}
}
