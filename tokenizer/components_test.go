package tokenizer

import (
	"encoding/json"
	"slices"
	"testing"
)

// Expected values in this file follow the documented behaviour of each
// tokenizers component (docstrings and examples in tokenizers/src).

func TestNormalizers(t *testing.T) {
	cases := []struct {
		json, in, want string
	}{
		{`{"type":"NFKC"}`, "ﬁ①", "fi1"},
		{`{"type":"NFC"}`, "e\u0301", "é"},
		{`{"type":"NFD"}`, "é", "e\u0301"},
		{`{"type":"Lowercase"}`, "ÀB İ", "àb i\u0307"},
		{`{"type":"Strip","strip_left":true,"strip_right":true}`, "  x \t", "x"},
		{`{"type":"Strip","strip_left":false,"strip_right":true}`, "  x \t", "  x"},
		{`{"type":"Replace","pattern":{"Regex":"\\s+"},"content":" "}`, "a \t\n b", "a b"},
		{`{"type":"Replace","pattern":{"String":"ab"},"content":"$0"}`, "xaby", "x$0y"},
		{`{"type":"Prepend","prepend":"▁"}`, "", ""},
		{`{"type":"Sequence","normalizers":[{"type":"NFD"},{"type":"StripAccents"},{"type":"Lowercase"}]}`, "Héllo", "hello"},
		{`{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":true}`, "Héllo\t你\u0000", "hello  你 "},
	}
	for _, c := range cases {
		n, err := parseNormalizer(json.RawMessage(c.json))
		if err != nil {
			t.Fatalf("%s: %v", c.json, err)
		}
		if got := n.normalize(c.in); got != c.want {
			t.Errorf("%s on %q = %q, want %q", c.json, c.in, got, c.want)
		}
	}
}

func TestPreTokenizers(t *testing.T) {
	cases := []struct {
		json, in string
		want     []string
	}{
		{`{"type":"Digits","individual_digits":true}`, "ab123c", []string{"ab", "1", "2", "3", "c"}},
		{`{"type":"Digits","individual_digits":false}`, "ab123c", []string{"ab", "123", "c"}},
		{`{"type":"Whitespace"}`, "Hello, world! 12", []string{"Hello", ",", "world", "!", "12"}},
		{`{"type":"WhitespaceSplit"}`, " a  b\tc ", []string{"a", "b", "c"}},
		{`{"type":"Punctuation","behavior":"Isolated"}`, "a,b!!c", []string{"a", ",", "b", "!", "!", "c"}},
		{`{"type":"Punctuation","behavior":"Contiguous"}`, "a,b!!c", []string{"a", ",", "b", "!!", "c"}},
		{`{"type":"BertPreTokenizer"}`, "Hey, you!", []string{"Hey", ",", "you", "!"}},
		{`{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":false}`, "a b", []string{"▁a▁b"}},
		{`{"type":"Metaspace","replacement":"▁","prepend_scheme":"never","split":true}`, "a b", []string{"a", "▁b"}},
		{`{"type":"Metaspace","replacement":"▁","add_prefix_space":true}`, "Hey friend", []string{"▁Hey", "▁friend"}},
		{`{"type":"ByteLevel","add_prefix_space":true,"use_regex":true}`, "hello world", []string{"Ġhello", "Ġworld"}},
		{`{"type":"ByteLevel","add_prefix_space":false,"use_regex":false}`, "a b\n", []string{"aĠbĊ"}},
		{`{"type":"Split","pattern":{"String":" "},"behavior":"MergedWithPrevious","invert":false}`, "a b c", []string{"a ", "b ", "c"}},
		{`{"type":"CharDelimiterSplit","delimiter":"x"}`, "axbxxc", []string{"a", "b", "c"}},
		{`{"type":"Sequence","pretokenizers":[{"type":"WhitespaceSplit"},{"type":"Digits","individual_digits":true}]}`, "a12 b", []string{"a", "1", "2", "b"}},
	}
	for _, c := range cases {
		p, err := parsePreTokenizer(json.RawMessage(c.json))
		if err != nil {
			t.Fatalf("%s: %v", c.json, err)
		}
		var got []string
		for _, sp := range p.preTokenize([]split{{s: c.in, atStart: true}}) {
			got = append(got, sp.s)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s on %q = %q, want %q", c.json, c.in, got, c.want)
		}
	}
}

func TestDecoders(t *testing.T) {
	cases := []struct {
		json string
		in   []string
		want string
	}{
		// A valid byte run becomes text; an invalid one one U+FFFD per byte.
		{`{"type":"ByteFallback"}`, []string{"<0xE2>", "<0x82>", "<0xAC>", "x", "<0xFF>", "<0x41>"}, "€x\uFFFD\uFFFD"},
		{`{"type":"Strip","content":" ","start":1,"stop":1}`, []string{" a ", "  b"}, "a b"},
		{`{"type":"Metaspace","replacement":"▁","prepend_scheme":"always"}`, []string{"▁Hey", "▁friend", "▁"}, "Hey friend "},
		{`{"type":"Metaspace","replacement":"▁","prepend_scheme":"never"}`, []string{"▁Hey", "▁friend"}, " Hey friend"},
		{`{"type":"Replace","pattern":{"String":"▁"},"content":" "}`, []string{"▁a", "b▁"}, " ab "},
		// Cleanup runs per token (decoders/wordpiece.rs), so " do" + " not"
		// never becomes "don't" while " n't" inside one token does.
		{`{"type":"WordPiece","prefix":"##","cleanup":true}`, []string{"un", "##aff", "##able", ",", "do", "not", "do n't"}, "unaffable, do not don't"},
		{`{"type":"BPEDecoder","suffix":"</w>"}`, []string{"hi</w>", "the", "re</w>"}, "hi there"},
		{`{"type":"ByteLevel"}`, []string{"Hello", "Ġw", "orld", "Ċ", "<|endoftext|>"}, "Hello world\n<|endoftext|>"},
	}
	for _, c := range cases {
		d, err := parseDecoder(json.RawMessage(c.json))
		if err != nil {
			t.Fatalf("%s: %v", c.json, err)
		}
		if got := joinStrings(d.decodeChain(c.in), ""); got != c.want {
			t.Errorf("%s on %q = %q, want %q", c.json, c.in, got, c.want)
		}
	}
}

// TestLossyUTF8 follows Rust's String::from_utf8_lossy: one U+FFFD per
// maximal invalid subpart.
func TestLossyUTF8(t *testing.T) {
	cases := []struct {
		in   []byte
		want string
	}{
		{[]byte("Hello \xF0\x90\x80World"), "Hello \uFFFDWorld"},
		{[]byte{0xFF, 0xFE}, "\uFFFD\uFFFD"},
		{[]byte{0xE0, 0x80}, "\uFFFD\uFFFD"},
		{[]byte{0xED, 0xA0, 0x80}, "\uFFFD\uFFFD\uFFFD"},
		{[]byte{0xF0, 0x9F, 0x91, 'a'}, "\uFFFDa"},
		{[]byte("ok"), "ok"},
	}
	for _, c := range cases {
		if got := lossyUTF8(c.in); got != c.want {
			t.Errorf("lossyUTF8(%x) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestOtherModels(t *testing.T) {
	cases := []struct {
		name    string
		json    string
		text    string
		ids     []int32
		special []int32
		decoded string
	}{
		{
			// Greedy longest match: un ##aff ##able; world ##s.
			name: "wordpiece",
			json: `{"normalizer":{"type":"BertNormalizer","lowercase":true},"pre_tokenizer":{"type":"BertPreTokenizer"},
"post_processor":{"type":"BertProcessing","sep":["[SEP]",2],"cls":["[CLS]",1]},
"decoder":{"type":"WordPiece","prefix":"##","cleanup":true},
"model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,
"vocab":{"[UNK]":0,"[CLS]":1,"[SEP]":2,"un":3,"##aff":4,"##able":5,"hello":6,",":7,"!":8,"world":9,"##s":10}}}`,
			text: "Unaffable, Héllo worlds! xyz", ids: []int32{3, 4, 5, 7, 6, 9, 10, 8, 0},
			special: []int32{1, 3, 4, 5, 7, 6, 9, 10, 8, 0, 2}, decoded: "unaffable, hello worlds! [UNK]",
		},
		{
			// end_of_word_suffix: the last character is looked up as "i</w>".
			name: "bpe suffix",
			json: `{"pre_tokenizer":{"type":"WhitespaceSplit"},"decoder":{"type":"BPEDecoder","suffix":"</w>"},
"model":{"type":"BPE","end_of_word_suffix":"</w>","vocab":{"h":0,"i</w>":1,"hi</w>":2,"h</w>":3,"i":4},"merges":[["h","i</w>"]]}}`,
			text: "hi hi h", ids: []int32{2, 2, 3}, special: []int32{2, 2, 3}, decoded: "hi hi h",
		},
		{
			// continuing_subword_prefix: a + ##b merges to "ab"; no decoder joins with " ".
			name: "bpe prefix",
			json: `{"model":{"type":"BPE","continuing_subword_prefix":"##","vocab":{"a":0,"##b":1,"ab":2,"##c":3},"merges":["a ##b"]}}`,
			text: "abc", ids: []int32{2, 3}, special: []int32{2, 3}, decoded: "ab ##c",
		},
		{
			// fuse_unk: consecutive unknown characters become one <unk>.
			name: "bpe fuse unk",
			json: `{"model":{"type":"BPE","unk_token":"<unk>","fuse_unk":true,"vocab":{"<unk>":0,"a":1},"merges":[]}}`,
			text: "axyaz", ids: []int32{1, 0, 1, 0}, special: []int32{1, 0, 1, 0}, decoded: "a <unk> a <unk>",
		},
		{
			name: "bpe no fuse unk",
			json: `{"model":{"type":"BPE","unk_token":"<unk>","fuse_unk":false,"vocab":{"<unk>":0,"a":1},"merges":[]}}`,
			text: "axy", ids: []int32{1, 0, 0}, special: []int32{1, 0, 0}, decoded: "a <unk> <unk>",
		},
		{
			// ignore_merges: a word already in the vocabulary is one token
			// even though no merge builds it.
			name: "bpe ignore merges",
			json: `{"model":{"type":"BPE","ignore_merges":true,"vocab":{"a":0,"b":1,"ab":2},"merges":[]}}`,
			text: "ab", ids: []int32{2}, special: []int32{2}, decoded: "ab",
		},
		{
			name: "wordlevel",
			json: `{"pre_tokenizer":{"type":"Whitespace"},"model":{"type":"WordLevel","unk_token":"<unk>","vocab":{"<unk>":0,"hello":1,"!":2}},
"post_processor":{"type":"TemplateProcessing","single":[{"Sequence":{"id":"A","type_id":0}},{"SpecialToken":{"id":"!","type_id":0}}],"special_tokens":{"!":{"id":"!","ids":[2],"tokens":["!"]}}}}`,
			text: "hello there!", ids: []int32{1, 0, 2}, special: []int32{1, 0, 2, 2}, decoded: "hello <unk> !",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tk, err := Load([]byte(c.json))
			if err != nil {
				t.Fatal(err)
			}
			if got := tk.Encode(c.text); !slices.Equal(got, c.ids) {
				t.Errorf("Encode(%q) = %v, want %v", c.text, got, c.ids)
			}
			if got := tk.EncodeWithSpecial(c.text); !slices.Equal(got, c.special) {
				t.Errorf("EncodeWithSpecial(%q) = %v, want %v", c.text, got, c.special)
			}
			if got := tk.Decode(c.ids); got != c.decoded {
				t.Errorf("Decode(%v) = %q, want %q", c.ids, got, c.decoded)
			}
		})
	}
}
