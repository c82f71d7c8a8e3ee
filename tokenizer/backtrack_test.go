package tokenizer

import (
	"math/rand"
	"regexp"
	"slices"
	"testing"
)

// The backtracking engine and the hand-written scanners are independent
// implementations of the same three patterns; they must agree.
func checkEngineVsScanners(t *testing.T, s string) {
	t.Helper()
	for _, p := range []string{gpt2Pattern, llama3Pattern, qwen2Pattern} {
		bt, err := compileBacktrack(p)
		if err != nil {
			t.Fatal(err)
		}
		sc, _ := compileRegex(p, "test")
		if got, want := pieces(bt, s), pieces(sc, s); !slices.Equal(got, want) {
			t.Fatalf("pattern %q on %q:\n engine  %q\n scanner %q", p, s, got, want)
		}
	}
}

func TestBacktrackMatchesScanners(t *testing.T) {
	const alphabet = "ab \n\r\t'sStTlLrRevmdD1234!?.,é你👍\u00a0\u2028"
	runes := []rune(alphabet)
	rng := rand.New(rand.NewSource(3))
	for n := 0; n < 3000; n++ {
		b := make([]rune, rng.Intn(24))
		for i := range b {
			b[i] = runes[rng.Intn(len(runes))]
		}
		checkEngineVsScanners(t, string(b))
	}
}

// FuzzRegexEngines compares the backtracking engine with the scanners.
func FuzzRegexEngines(f *testing.F) {
	f.Add("Hello  world's 12345\n\n  x")
	f.Fuzz(func(t *testing.T, s string) { checkEngineVsScanners(t, s) })
}

// TestBacktrackMatchesRE2: on lookaround-free patterns the engine agrees
// with Go's regexp (both leftmost-first), given the same Unicode classes.
func TestBacktrackMatchesRE2(t *testing.T) {
	patterns := []string{
		`\p{L}+|\p{N}{1,3}|[^\s\p{L}\p{N}]+|\s+`,
		`(?i:ab|a)c?`,
		`a*?b|a+`,
		`[a-c\d]{2,}`,
		`x(?:yz)*|.`,
		`\w+|[^\w\s]+`,
		`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+`,
		`^a|b$`,
		`\bab\b`,
	}
	inputs := []string{"", "abc ABc aac", "Hello, World 12345!", "xyzyzq aab\nb", "ÉtéCamel caseWORD", "ab abab ab"}
	// Every pattern the scanners do not know now runs on the engine, so it
	// is also compared on random strings over the patterns' alphabet.
	runes := []rune("abcxyzABC 12\n\t,!éÉ你\u00a0_")
	rng := rand.New(rand.NewSource(5))
	for n := 0; n < 400; n++ {
		b := make([]rune, rng.Intn(16))
		for i := range b {
			b[i] = runes[rng.Intn(len(runes))]
		}
		inputs = append(inputs, string(b))
	}
	for _, p := range patterns {
		bt, err := compileBacktrack(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		re := regexp.MustCompile("(?m)" + oniguramaToRE2(p))
		for _, in := range inputs {
			want := pieces(regexMatcher{re}, in)
			if got := pieces(bt, in); !slices.Equal(got, want) {
				t.Errorf("%s on %q: engine %q, RE2 %q", p, in, got, want)
			}
		}
	}
}

// TestBacktrackLookaround checks lookaround, atomic and possessive forms
// on hand-worked examples.
func TestBacktrackLookaround(t *testing.T) {
	cases := []struct {
		pattern, in string
		want        []string
	}{
		{`a(?=b)`, "ab ac ab", []string{"a", "a"}},
		{`a(?!b)`, "ab ac", []string{"a"}},
		{`(?<=x)y`, "xy zy xy", []string{"y", "y"}},
		{`(?<!x)y`, "xy zy", []string{"y"}},
		{`(?>a+)b`, "aaab", []string{"aaab"}},
		{`(?>a*)a`, "aaa", nil}, // the atomic group keeps every a
		{`a++a`, "aaa", nil},
		{`\d+(?=%)`, "10% of 20", []string{"10"}},
		{`(?i)hello`, "HeLLo hello", []string{"HeLLo", "hello"}},
	}
	for _, c := range cases {
		m, err := compileRegex(c.pattern, "test")
		if err != nil {
			t.Fatalf("%s: %v", c.pattern, err)
		}
		if got := pieces(m, c.in); !slices.Equal(got, c.want) {
			t.Errorf("%s on %q = %q, want %q", c.pattern, c.in, got, c.want)
		}
	}
}

// FuzzBacktrackCompile: the regex parser takes patterns from tokenizer.json,
// so any pattern must compile or fail cleanly, and matches must be ordered,
// non-overlapping, non-empty and inside the input.
func FuzzBacktrackCompile(f *testing.F) {
	f.Add(gpt2Pattern, "Hello  world's 12\n\n x")
	f.Add(`(?<=a)b(?!c)|(?>d+)e++|[^\p{L}\d]{2,3}?|\x{2581}|(?i:ſ)`, "ab abc ddde  ?! ▁S")
	f.Add(`[\]-a]|a{2,}|b{,2}|\bq\B|^x$|.`, "]a aaa bb qq x\n")
	f.Fuzz(func(t *testing.T, pattern, in string) {
		m, err := compileBacktrack(pattern)
		if err != nil {
			return
		}
		prev := 0
		for _, x := range m.findAll(in) {
			if x[0] < prev || x[1] <= x[0] || x[1] > len(in) {
				t.Fatalf("bad match %v after %d in %q (pattern %q)", x, prev, in, pattern)
			}
			prev = x[1]
		}
	})
}
