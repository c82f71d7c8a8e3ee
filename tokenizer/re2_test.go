package tokenizer

import (
	"regexp"
	"strings"
	"testing"
)

// Go's RE2 serves as an independent reference for the backtracking engine
// on patterns without lookaround (backtrack_test.go). These helpers lived in
// the package while it ran such patterns on RE2; only the tests use them now.

type regexMatcher struct{ re *regexp.Regexp }

func (r regexMatcher) findAll(s string) [][2]int {
	idx := r.re.FindAllStringIndex(s, -1)
	out := make([][2]int, len(idx))
	for i, m := range idx {
		out[i] = [2]int{m[0], m[1]}
	}
	return out
}

// Unicode classes for Oniguruma's \s \d \w (UTF-8 mode), which RE2 reads as ASCII.
const (
	uniSpace = `\t\n\v\f\r \x{85}\p{Z}`
	uniDigit = `\p{Nd}`
	uniWord  = `\p{L}\p{M}\p{Nd}\p{Nl}\p{Pc}\x{200C}\x{200D}`
)

// oniguramaToRE2 rewrites \s \d \w (and negations outside classes) to the
// Unicode classes Oniguruma uses. Negated shorthands inside a class are left
// as RE2 reads them (ASCII).
func oniguramaToRE2(expr string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		if c == '\\' && i+1 < len(expr) {
			d := expr[i+1]
			var cls string
			switch d {
			case 's', 'S':
				cls = uniSpace
			case 'd', 'D':
				cls = uniDigit
			case 'w', 'W':
				cls = uniWord
			}
			switch {
			case cls != "" && inClass && d >= 'a':
				b.WriteString(cls)
			case cls != "" && !inClass && d >= 'a':
				b.WriteString("[" + cls + "]")
			case cls != "" && !inClass:
				b.WriteString("[^" + cls + "]")
			default:
				b.WriteByte(c)
				b.WriteByte(d)
			}
			i++
			continue
		}
		if c == '[' && !inClass {
			inClass = true
			b.WriteByte(c)
			// A leading ] or ^] is literal inside a class.
			if i+1 < len(expr) && expr[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(expr) && expr[i+1] == ']' {
				b.WriteByte(']')
				i++
			}
			continue
		}
		if c == ']' && inClass {
			inClass = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// BenchmarkRegexEngines compares the backtracking engine, which runs every
// pattern the scanners do not know, with RE2 on a lookaround-free
// pre-tokenizer pattern over English text:
// go test ./tokenizer/ -run '^$' -bench RegexEngines
func BenchmarkRegexEngines(b *testing.B) {
	const pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+`
	text := strings.Repeat("The quick brown fox, aged 12, jumped over 3 lazy dogs; it's   true!\n", 200)
	bt, err := compileBacktrack(pattern)
	if err != nil {
		b.Fatal(err)
	}
	re := regexMatcher{regexp.MustCompile("(?m)" + oniguramaToRE2(pattern))}
	for _, e := range []struct {
		name string
		m    matcher
	}{{"backtrack", bt}, {"re2", re}} {
		b.Run(e.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				e.m.findAll(text)
			}
		})
	}
}
