package jsonmode

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
)

// Patterns checked against Go's regexp (an independent implementation,
// RE2 syntax, which agrees with ECMA-262 on this subset).
var patternCases = []string{
	`^[a-z]{3}-\d{2,4}$`,
	`^(foo|bar)+baz?$`,
	`^\w+@\w+\.(com|org)$`,
	`^[^0-9"\\]*$`,
	`^\d{3}-\d{3}-\d{4}$`,
	`ab+c`,
	`^x`,
	`y$`,
	`^(?:[A-F0-9]{2}:){2}[A-F0-9]{2}$`,
	`^\s?\S+$`,
	`^"\\\/\t$`,
	`^é+ü?$`,
	`^.{2,5}$`,
	`^(?<year>\d{4})-(0[1-9]|1[0-2])$`,
	`^[-+]?(\d+|\d*\.\d+)$`,
	`^a*?b{0,}c{1,2}?$`,
	`^\x41[\x30-\x39]$`,
	`^$`,
	``,
}

func TestPatternManySeeds(t *testing.T) {
	v := testVocab()
	for _, pat := range patternCases {
		re := regexp.MustCompile(pat)
		schema, _ := json.Marshal(map[string]any{"type": "array", "items": map[string]any{"type": "string", "pattern": pat}, "minItems": 1, "maxItems": 3})
		g, err := Compile(schema)
		if err != nil {
			t.Fatalf("%s: %v", pat, err)
		}
		for seed := uint64(1); seed <= manySeeds/5; seed++ {
			maxTokens := g.MinLen() + int(seed%40)
			out, _ := run(t, g, v, seed, maxTokens)
			var items []string
			if err := json.Unmarshal([]byte(out), &items); err != nil {
				t.Fatalf("%s seed %d: %q: %v", pat, seed, out, err)
			}
			for _, s := range items {
				if !re.MatchString(s) {
					t.Fatalf("%s seed %d (max %d): %q does not match", pat, seed, maxTokens, out)
				}
			}
		}
	}
}

func TestPatternDocs(t *testing.T) {
	checkDocs(t, `{"type":"string","pattern":"^a(b|cd)$"}`, 4, []string{`"ab"`, `"acd"`}, []string{`"a`, `"ac`, `"acd`}, []string{`"abc"`, `"ad`, `""`, `"b`})
	// Unanchored: "x" anywhere.
	checkDocs(t, `{"type":"string","pattern":"x"}`, 3, []string{`"x"`, `"axb"`, `" x "`}, []string{`"ab`, `"`}, []string{`"ab"`})
	// An escape feeds the byte it stands for; \u is not written.
	checkDocs(t, `{"type":"string","pattern":"^\"\\n$"}`, 6, []string{`"\"\n"`}, []string{`"\`, `"\"`, `"\"\`}, []string{`"\u0022\n"`, `"\"n"`})
}

func TestPatternRefused(t *testing.T) {
	for _, tc := range []struct{ pat, want string }{
		{`(a)\1`, "pattern (backreference or octal escape \\1)"},
		{`a(?=b)`, "pattern (lookaround)"},
		{`(?<!a)b`, "pattern (lookaround)"},
		{`\bword`, "pattern (\\b (word boundary or backspace))"},
		{`(?i)abc`, "pattern ((? flags or other group syntax)"},
		{`\p{L}`, "pattern (\\p (Unicode property classes))"},
		{`^a|b$`, "pattern (^ or $ beside a top-level | (group the alternatives))"},
		{`a^b`, "pattern (^ or $ other than at the pattern's start and end)"},
		{`[é]`, "pattern (non-ASCII characters in a character class)"},
		{`a{,3}`, "pattern ({ not starting a quantifier (write \\{))"},
	} {
		_, err := Compile([]byte(`{"type":"string","pattern":` + mustJSON(tc.pat) + `}`))
		var ue *UnsupportedError
		if !errors.As(err, &ue) || strings.Join(ue.Keywords, ", ") != tc.want {
			t.Errorf("%s: got %v, want UnsupportedError naming %s", tc.pat, err, tc.want)
		}
	}
	for _, pat := range []string{`a(b`, `a)b`, `*a`, `a**`, `[b-a]`, `a{3,2}`, `[ab`, `a{1001}`, `\`} {
		_, err := Compile([]byte(`{"type":"string","pattern":` + mustJSON(pat) + `}`))
		var se *SchemaError
		if !errors.As(err, &se) {
			t.Errorf("%s: got %v, want SchemaError", pat, err)
		}
		if _, gerr := regexp.Compile(pat); gerr == nil && pat != `a{1001}` {
			t.Errorf("%s: Go's regexp accepts it", pat)
		}
	}
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// FuzzPattern: any pattern either fails with a typed error or compiles
// to a grammar whose random generations Go's regexp matches.
func FuzzPattern(f *testing.F) {
	for _, p := range patternCases {
		f.Add(p, uint64(1))
	}
	v := testVocab()
	f.Fuzz(func(t *testing.T, pat string, seed uint64) {
		pat = strings.ToValidUTF8(pat, "\uFFFD") // what a JSON schema can hold
		g, err := Compile([]byte(`{"type":"string","pattern":` + mustJSON(pat) + `}`))
		if err != nil {
			requireTyped(t, err)
			return
		}
		re, gerr := regexp.Compile(pat)
		if gerr != nil {
			t.Fatalf("%q compiled here, Go's regexp refuses it: %v", pat, gerr)
		}
		if g.MinLen() > 512 {
			return
		}
		compareMasks(t, g, v, seed, g.MinLen()+int(seed%32)) // the DFA fast path masks as the NFA walk does
		out, _ := run(t, g, v, seed, g.MinLen()+int(seed%32))
		var s string
		if err := json.Unmarshal([]byte(strings.TrimPrefix(out, " ")), &s); err != nil {
			t.Fatalf("%q seed %d: %q: %v", pat, seed, out, err)
		}
		if !re.MatchString(s) {
			t.Fatalf("%q seed %d: %q does not match", pat, seed, s)
		}
	})
}
