package tokenizer

import (
	"regexp"
	"slices"
	"testing"
)

func pieces(m matcher, s string) []string {
	var out []string
	for _, x := range m.findAll(s) {
		out = append(out, s[x[0]:x[1]])
	}
	return out
}

// TestLookaheadScanners checks the hand-written scanners against splits
// worked out from the regex semantics (leftmost match, first alternative
// that matches, greedy quantifiers with backtracking):
//   - \s+(?!\S) leaves the last whitespace of a run to the following word;
//   - Llama-3 takes digits in groups of up to 3, Qwen2 one at a time;
//   - Llama-3/Qwen2 contractions are case-insensitive, GPT-2's are not;
//   - [^\r\n\p{L}\p{N}]?\p{L}+ glues one leading non-letter (tab, $, ') to a word;
//   - \s*[\r\n]+ ends after the last newline of a whitespace run.
func TestLookaheadScanners(t *testing.T) {
	type tc struct {
		in   string
		want []string
	}
	tables := []struct {
		name    string
		pattern string
		cases   []tc
	}{
		{"gpt2", gpt2Pattern, []tc{
			{"Hello world", []string{"Hello", " world"}},
			{"a  b", []string{"a", " ", " b"}},
			{"a   b", []string{"a", "  ", " b"}},
			{"end   ", []string{"end", "   "}},
			{"I'M don't", []string{"I", "'", "M", " don", "'t"}},
			{"'sfoo", []string{"'s", "foo"}},
			{"1234567 12", []string{"1234567", " 12"}},
			{"\tword", []string{"\t", "word"}},
			{"x\n\n y", []string{"x", "\n\n", " y"}},
			{"x \n\n y", []string{"x", " \n\n", " y"}},
			{"$hello", []string{"$", "hello"}},
			{"  ...x", []string{" ", " ...", "x"}},
			{"naïve café", []string{"naïve", " café"}},
			{"", nil},
		}},
		{"llama3", llama3Pattern, []tc{
			{"Hello world", []string{"Hello", " world"}},
			{"I'M DON'T we'RE", []string{"I", "'M", " DON", "'T", " we", "'RE"}},
			{"'ll've", []string{"'ll", "'ve"}},
			{"1234567 12", []string{"123", "456", "7", " ", "12"}},
			{"a  b", []string{"a", " ", " b"}},
			{"end   ", []string{"end", "   "}},
			{"a \n\n b", []string{"a", " \n\n", " b"}},
			{"hello\n", []string{"hello", "\n"}},
			{"x\r\n\r\ny", []string{"x", "\r\n\r\n", "y"}},
			{"x\n  y", []string{"x", "\n", " ", " y"}},
			{"foo!!!\n\nbar", []string{"foo", "!!!\n\n", "bar"}},
			{"\tword", []string{"\tword"}},
			{"$hello", []string{"$hello"}},
			{"'hello", []string{"'hello"}},
			{"  ...x", []string{" ", " ...", "x"}},
			{"a 1", []string{"a", " ", "1"}},
			{"naïve café", []string{"naïve", " café"}},
			{"", nil},
		}},
		{"qwen2", qwen2Pattern, []tc{
			{"1234 x12", []string{"1", "2", "3", "4", " x", "1", "2"}},
			{"I'M fine", []string{"I", "'M", " fine"}},
			{"a \n\n b", []string{"a", " \n\n", " b"}},
		}},
	}
	for _, tb := range tables {
		m, err := compileRegex(tb.pattern, "pre_tokenizer")
		if err != nil {
			t.Fatal(err)
		}
		switch m.(type) {
		case gpt2Scanner, llama3Scanner:
		default:
			t.Fatalf("%s: pattern not recognised as one of the hand-scanned patterns (got %T)", tb.name, m)
		}
		for _, c := range tb.cases {
			if got := pieces(m, c.in); !slices.Equal(got, c.want) {
				t.Errorf("%s %q: got %q, want %q", tb.name, c.in, got, c.want)
			}
		}
	}
}

// TestScannersCoverInput: the pieces of every scanner concatenate back to
// the input, including invalid UTF-8, and no piece is empty.
func TestScannersCoverInput(t *testing.T) {
	inputs := []string{"", "\xff\xfe abc", "a\x80b  \n", "Ωμέγα 12345\r\n\t x's", "🏳️‍🌈 ok"}
	for _, p := range []string{gpt2Pattern, llama3Pattern, qwen2Pattern} {
		m, _ := compileRegex(p, "pre_tokenizer")
		for _, in := range inputs {
			got := ""
			for _, piece := range pieces(m, in) {
				if piece == "" {
					t.Errorf("empty piece for %q", in)
				}
				got += piece
			}
			if got != in {
				t.Errorf("pieces of %q join to %q", in, got)
			}
		}
	}
}

// TestRegexTranslation: patterns without lookaround run on RE2 with
// Oniguruma's Unicode meaning of \s \d \w.
func TestRegexTranslation(t *testing.T) {
	cases := []struct {
		expr, in string
		want     []string
	}{
		{`\s+`, "a\u00a0\u3000b c", []string{"\u00a0\u3000", " "}},
		{`\d+`, "x١٢٣y42", []string{"١٢٣", "42"}},
		{`\w+`, "héllo wörld_1", []string{"héllo", "wörld_1"}},
		{`\w+`, "x²y Ⅻz", []string{"x", "y", "Ⅻz"}}, // ² is No (not \w), Ⅻ is Nl
		{`[^\s\w]+`, "a, b!?", []string{",", "!?"}},
		{`\S+`, "ab\u00a0cd", []string{"ab", "cd"}},
		{`[\]x]+`, "a]x]b", []string{"]x]"}},
	}
	for _, c := range cases {
		m, err := compileRegex(c.expr, "pre_tokenizer")
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if got := pieces(m, c.in); !slices.Equal(got, c.want) {
			t.Errorf("%s on %q: got %q, want %q (RE2 form %s)", c.expr, c.in, got, c.want,
				regexp.QuoteMeta(oniguramaToRE2(c.expr)))
		}
	}
}

// TestSplitBehaviors checks NormalizedString::split's behaviours on the
// delimiter "-" (examples from tokenizers' normalizer.rs docs).
func TestSplitBehaviors(t *testing.T) {
	const in = "the-final--countdown"
	cases := []struct {
		b      splitBehavior
		invert bool
		want   []string
	}{
		{behRemoved, false, []string{"the", "final", "countdown"}},
		{behIsolated, false, []string{"the", "-", "final", "-", "-", "countdown"}},
		{behMergedWithPrevious, false, []string{"the-", "final-", "-", "countdown"}},
		{behMergedWithNext, false, []string{"the", "-final", "-", "-countdown"}},
		{behContiguous, false, []string{"the", "-", "final", "--", "countdown"}},
		{behRemoved, true, []string{"-", "-", "-"}},
	}
	for _, c := range cases {
		var got []string
		for _, p := range splitBy(split{s: in}, coverSpans(in, literalMatcher("-").findAll(in), c.invert), c.b) {
			got = append(got, p.s)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("behavior %d invert %v: got %q, want %q", c.b, c.invert, got, c.want)
		}
	}
}
