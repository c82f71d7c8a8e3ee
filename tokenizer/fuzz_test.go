package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"
)

// FuzzLoad: any input either loads or returns an error, never panics, and
// a loaded tokenizer encodes and decodes without panicking. Seeds live in
// testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"handmade", "bytelevel-llama3"} {
		data, err := os.ReadFile(filepath.Join("testdata", name, "tokenizer.json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := Load(data)
		if err != nil {
			if tk != nil {
				t.Fatal("non-nil tokenizer with error")
			}
			return
		}
		for _, s := range []string{"", "hello world 123", "<s> héllo\n\n  x's", "\xff\xfe"} {
			ids := tk.Encode(s)
			tk.Decode(ids)
			tk.EncodeWithSpecial(s)
		}
		tk.Decode([]int32{-1, 0, 1, 1 << 30})
	})
}

// FuzzEncodeDecode: byte-level BPE is lossless, so Decode(Encode(s)) == s
// for valid UTF-8, with the GPT-2 scanner (ByteLevel use_regex) and the
// Llama-3 scanner (Split + ByteLevel). Seeds live in testdata/fuzz/FuzzEncodeDecode.
func FuzzEncodeDecode(f *testing.F) {
	var tks []*Tokenizer
	for _, name := range []string{"bytelevel-small", "bytelevel-llama3"} {
		tks = append(tks, loadTestTokenizer(f, filepath.Join("testdata", name, "tokenizer.json")))
	}
	f.Add("Hello, world! It's 2024.\n\n  Done<|endoftext|>")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		for i, tk := range tks {
			ids := tk.Encode(s)
			if got := tk.Decode(ids); got != s {
				t.Fatalf("tokenizer %d: Decode(Encode(%q)) = %q (ids %v)", i, s, got, ids)
			}
			if again := tk.Encode(s); !slices.Equal(again, ids) {
				t.Fatalf("tokenizer %d: Encode not deterministic (cache): %v vs %v", i, ids, again)
			}
		}
	})
}
