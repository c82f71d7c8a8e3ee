package tokenizer

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// testdata/handmade/tokenizer.json is a small file written for this test:
// ids 3..258 are the byte tokens <0x00>..<0xFF> (byte b has id 3+b),
// 259.. are ▁ h e l o ▁h el lo ▁hel ▁hello w r d 1 2 ▁w or ▁wor ld ▁world
// with merges (rank order) ▁+h, e+l, l+o, ▁h+el, ▁hel+lo, ▁+w, o+r, ▁w+or,
// l+d, ▁wor+ld. Pre-tokenizer: Split(\d, Isolated) then Metaspace(first).
// Added: [MASK]=279 (lstrip), <sep>=280 (rstrip), ell=281 (single_word).
// The expected ids below were worked out by hand from those rules.
func TestHandmadeTokenizer(t *testing.T) {
	tk := loadTestTokenizer(t, filepath.Join("testdata", "handmade", "tokenizer.json"))
	cases := []struct {
		name    string
		text    string
		ids     []int32
		decoded string
	}{
		// ▁hello merges fully; ▁world goes ▁w, or, ▁wor, ld, ▁world.
		{"merges", "hello world", []int32{268, 278}, "hello world"},
		// é is not in the vocabulary: bytes C3 A9 (ids 198, 172).
		{"byte fallback", "héllo", []int32{264, 198, 172, 262, 266}, "héllo"},
		// Digits isolated; only the first split gets the ▁ prefix; the
		// trailing space becomes its own ▁ (MergedWithNext); i is byte 0x69.
		{"split digits", "hi 12", []int32{264, 108, 259, 272, 273}, "hi 12"},
		{"digit first", "12", []int32{259, 272, 273}, "12"},
		// Text after a special token is not at offset 0: no ▁ prepended.
		{"special tokens", "<s>hello</s>", []int32{1, 260, 265, 266, 2}, "<s>hello</s>"},
		// lstrip swallows the spaces before [MASK].
		{"lstrip", "hello   [MASK] world", []int32{268, 279, 278}, "hello[MASK] world"},
		// rstrip swallows the spaces after <sep>; "world" then has no ▁.
		{"rstrip", "hello<sep>   world", []int32{268, 280, 269, 275, 277}, "hello<sep>world"},
		// "ell" inside "hello" is not a single word; the standalone one is.
		{"single word", "hello ell", []int32{268, 259, 281}, "hello ell"},
		{"empty", "", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := tk.Encode(c.text)
			if !slices.Equal(got, c.ids) {
				t.Errorf("Encode(%q) = %v, want %v", c.text, got, c.ids)
			}
			if d := tk.Decode(c.ids); d != c.decoded {
				t.Errorf("Decode(%v) = %q, want %q", c.ids, d, c.decoded)
			}
		})
	}
	if got, want := tk.EncodeWithSpecial("hello world"), []int32{1, 268, 278}; !slices.Equal(got, want) {
		t.Errorf("EncodeWithSpecial = %v, want %v", got, want)
	}
	if got := tk.Tokens([]int32{268, 198, 279, 99999}); !slices.Equal(got, []string{"▁hello", "<0xC3>", "[MASK]"}) {
		t.Errorf("Tokens = %q", got)
	}
	if id, ok := tk.TokenToID("[MASK]"); !ok || id != 279 {
		t.Errorf("TokenToID([MASK]) = %d, %v", id, ok)
	}
	if s, ok := tk.IDToToken(278); !ok || s != "▁world" {
		t.Errorf("IDToToken(278) = %q, %v", s, ok)
	}
	// 279 model tokens + [MASK], <sep>, ell (unk, <s>, </s> are in the vocab).
	if n := tk.VocabSize(); n != 282 {
		t.Errorf("VocabSize = %d, want 282", n)
	}
	var special []string
	for _, a := range tk.SpecialTokens() {
		special = append(special, a.Content)
	}
	if !slices.Equal(special, []string{"<unk>", "<s>", "</s>", "[MASK]"}) {
		t.Errorf("SpecialTokens = %q", special)
	}
}

func TestLoadErrors(t *testing.T) {
	const bpeModel = `"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":[]}`
	cases := []struct {
		name        string
		json        string
		unsupported string // expected UnsupportedError.Type; "" means FormatError
	}{
		{"not json", `{`, ""},
		{"no model", `{"normalizer":null}`, ""},
		{"unigram", `{"model":{"type":"Unigram","vocab":[]}}`, "Unigram"},
		{"precompiled", `{"normalizer":{"type":"Precompiled","precompiled_charsmap":""},` + bpeModel + `}`, "Precompiled"},
		{"unknown pre-tokenizer", `{"pre_tokenizer":{"type":"UnicodeScripts"},` + bpeModel + `}`, "UnicodeScripts"},
		{"unknown decoder", `{"decoder":{"type":"CTC"},` + bpeModel + `}`, "CTC"},
		{"unknown post-processor", `{"post_processor":{"type":"Mystery"},` + bpeModel + `}`, "Mystery"},
		{"backreference", `{"pre_tokenizer":{"type":"Split","pattern":{"Regex":"(a)\\1(?=b)"},"behavior":"Isolated","invert":false},` + bpeModel + `}`, "Regex"},
		{"bad regex", `{"normalizer":{"type":"Replace","pattern":{"Regex":"(?=a"},"content":""},` + bpeModel + `}`, "Regex"},
		{"bad merge token", `{"model":{"type":"BPE","vocab":{"a":0},"merges":["a b"]}}`, ""},
		{"merge result missing", `{"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":[["a","b"]]}}`, ""},
		{"merge not a pair", `{"model":{"type":"BPE","vocab":{"a":0},"merges":[["a"]]}}`, ""},
		{"unk not in vocab", `{"model":{"type":"BPE","vocab":{"a":0},"merges":[],"unk_token":"<unk>"}}`, ""},
		{"negative id", `{"model":{"type":"BPE","vocab":{"a":-1},"merges":[]}}`, ""},
		{"vocab not object", `{"model":{"type":"BPE","vocab":[1],"merges":[]}}`, ""},
		{"bad behavior", `{"pre_tokenizer":{"type":"Split","pattern":{"String":" "},"behavior":"Sideways","invert":false},` + bpeModel + `}`, "Split"},
		{"bad strip", `{"decoder":{"type":"Strip","content":"ab","start":1,"stop":0},` + bpeModel + `}`, ""},
		{"empty added", `{"added_tokens":[{"id":0,"content":""}],` + bpeModel + `}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load([]byte(c.json))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			var ue *UnsupportedError
			var fe *FormatError
			switch {
			case c.unsupported != "":
				if !errors.As(err, &ue) || ue.Type != c.unsupported {
					t.Fatalf("err = %v (%T), want UnsupportedError for %q", err, err, c.unsupported)
				}
			default:
				if !errors.As(err, &fe) {
					t.Fatalf("err = %v (%T), want *FormatError", err, err)
				}
			}
		})
	}
}

// TestLlama3Layout loads testdata/bytelevel-llama3 (byte ids = byte values;
// merges include h+e=257, 1+2=269, 12+3=270) with a Llama-3 style
// post_processor (Sequence of ByteLevel and TemplateProcessing adding
// <|begin_of_text|>). The splits themselves are covered by
// TestLookaheadScanners; with this small vocabulary the ids would be the
// same under GPT-2's split, so this test is about the file layout.
func TestLlama3Layout(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "bytelevel-llama3", "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["added_tokens"] = append(doc["added_tokens"].([]any), map[string]any{
		"id": 300, "content": "<|begin_of_text|>", "special": true, "normalized": false})
	doc["post_processor"] = map[string]any{"type": "Sequence", "processors": []any{
		map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
		map[string]any{"type": "TemplateProcessing",
			"single":         []any{map[string]any{"SpecialToken": map[string]any{"id": "<|begin_of_text|>", "type_id": 0}}, map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}}},
			"special_tokens": map[string]any{"<|begin_of_text|>": map[string]any{"id": "<|begin_of_text|>", "ids": []int{300}, "tokens": []string{"<|begin_of_text|>"}}}},
	}}
	data, _ = json.Marshal(doc)
	tk, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	// "the  123456": Llama-3 splits "the" " " " " "123" "456" (digits in
	// threes, the lone space before a digit stands alone); "he" merges to
	// 257, "123" to 270 via 1+2 then 12+3, "456" stays bytes 52 53 54.
	want := []int32{116, 257, 32, 32, 270, 52, 53, 54}
	if got := tk.Encode("the  123456"); !slices.Equal(got, want) {
		t.Errorf("Encode = %v, want %v", got, want)
	}
	if got := tk.EncodeWithSpecial("the  123456"); !slices.Equal(got, append([]int32{300}, want...)) {
		t.Errorf("EncodeWithSpecial = %v", got)
	}
	// 12345 splits 123|45; 45 has no merge and stays two bytes.
	if got, want := tk.Encode("12345"), []int32{270, 52, 53}; !slices.Equal(got, want) {
		t.Errorf("Encode(12345) = %v, want %v", got, want)
	}
	if got := tk.Decode(append([]int32{300}, want...)); got != "<|begin_of_text|>the  123456" {
		t.Errorf("Decode = %q", got)
	}
}
