package tokenizer

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// matcher finds the non-overlapping matches of a Split/Replace pattern, in order.
type matcher interface {
	findAll(s string) [][2]int
}

type literalMatcher string

func (l literalMatcher) findAll(s string) [][2]int {
	if l == "" {
		return nil
	}
	var out [][2]int
	for i := 0; ; {
		k := strings.Index(s[i:], string(l))
		if k < 0 {
			return out
		}
		out = append(out, [2]int{i + k, i + k + len(l)})
		i += k + len(l)
	}
}

// Patterns with lookahead that Go's RE2 cannot run, recognised verbatim and
// served by hand-written scanners that reproduce Oniguruma's backtracking
// result (leftmost match, first alternative that succeeds).
const (
	gpt2Pattern   = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	qwen2Pattern  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// compileRegex turns a tokenizer.json regex into a matcher: a hand-written
// scanner for the known GPT-2/Llama-3/Qwen2 patterns, and the backtracking
// engine (backtrack.go) for every other one, with an UnsupportedError for
// syntax it does not handle (backreferences, class intersections, ...).
//
// Go's regexp is not used: tokenizers runs patterns on Oniguruma, whose
// backtracking the engine follows (Unicode \b, ^ and $ at line breaks),
// while RE2 differs there; and regexp with its Unicode tables is about 70 KB
// of the brotli'd lamina.wasm. backtrack_test.go checks the engine against
// RE2 on the patterns where the two agree.
func compileRegex(expr, component string) (matcher, error) {
	switch expr {
	case gpt2Pattern:
		return gpt2Scanner{}, nil
	case llama3Pattern:
		return llama3Scanner{maxDigits: 3}, nil
	case qwen2Pattern:
		return llama3Scanner{maxDigits: 1}, nil
	}
	bt, err := compileBacktrack(expr)
	if err != nil {
		return nil, &UnsupportedError{Component: component, Type: "Regex", Detail: fmt.Sprintf("%v in pattern %q", err, expr)}
	}
	return bt, nil
}

func parsePattern(p patternJSON, component string) (matcher, error) {
	switch {
	case p.String != nil:
		return literalMatcher(*p.String), nil
	case p.Regex != nil:
		return compileRegex(*p.Regex, component)
	}
	return nil, formatErr(component, "pattern needs String or Regex")
}

// Character classes shared by the scanners. isSpace is Oniguruma's Unicode
// \s (White_Space), which is exactly Go's unicode.IsSpace.
func isSpace(r rune) bool  { return unicode.IsSpace(r) }
func isLetter(r rune) bool { return unicode.IsLetter(r) }
func isNumber(r rune) bool { return unicode.IsNumber(r) }
func isOther(r rune) bool  { return !isSpace(r) && !isLetter(r) && !isNumber(r) } // [^\s\p{L}\p{N}]

// runeAt decodes the rune at byte i; invalid bytes read as U+FFFD (a symbol,
// so "other"), never panicking on non-UTF-8 input.
func runeAt(s string, i int) (rune, int) {
	if i >= len(s) {
		return -1, 0
	}
	return utf8.DecodeRuneInString(s[i:])
}

// spanWhile returns the end of the run of runes satisfying f starting at i.
func spanWhile(s string, i int, f func(rune) bool) int {
	for i < len(s) {
		r, n := runeAt(s, i)
		if !f(r) {
			break
		}
		i += n
	}
	return i
}

// contraction matches 's 't 're 've 'm 'll 'd at i (fold: case-insensitive,
// where Oniguruma's Unicode folding also maps ſ U+017F to s).
func contraction(s string, i int, fold bool) int {
	if i >= len(s) || s[i] != '\'' {
		return 0
	}
	lower := func(j int) (rune, int) {
		r, n := runeAt(s, j)
		if fold {
			if r == 'ſ' {
				r = 's'
			} else if r < utf8.RuneSelf {
				r = unicode.ToLower(r)
			}
		}
		return r, n
	}
	r1, n1 := lower(i + 1)
	switch r1 {
	case 's', 't', 'm', 'd':
		return 1 + n1
	case 'r', 'v':
		if r2, n2 := lower(i + 1 + n1); r2 == 'e' {
			return 1 + n1 + n2
		}
	case 'l':
		if r2, n2 := lower(i + 1 + n1); r2 == 'l' {
			return 1 + n1 + n2
		}
	}
	return 0
}

// whitespaceTail handles `\s+(?!\S)|\s+` at i, where s[i] is whitespace: the
// run minus its last character when a non-space follows and the run is
// longer than one character, else the whole run.
func whitespaceTail(s string, i int) int {
	end := spanWhile(s, i, isSpace)
	if end < len(s) {
		_, lastLen := utf8.DecodeLastRuneInString(s[:end])
		if end-lastLen > i {
			return end - lastLen
		}
	}
	return end
}

// gpt2Scanner runs gpt2Pattern.
type gpt2Scanner struct{}

func (gpt2Scanner) findAll(s string) [][2]int {
	var out [][2]int
	for i := 0; i < len(s); {
		n := gpt2Match(s, i)
		out = append(out, [2]int{i, i + n})
		i += n
	}
	return out
}

// gpt2Match returns the length of the match at i (always > 0: every
// character is whitespace, a letter, a number or "other").
func gpt2Match(s string, i int) int {
	if n := contraction(s, i, false); n > 0 {
		return n
	}
	r, n := runeAt(s, i)
	j := i
	if r == ' ' { // " ?" prefix of the next three alternatives
		r2, n2 := runeAt(s, i+n)
		if r2 >= 0 && !isSpace(r2) {
			j, r = i+n, r2
			n = n2
		}
	}
	switch {
	case isLetter(r):
		return spanWhile(s, j, isLetter) - i
	case isNumber(r):
		return spanWhile(s, j, isNumber) - i
	case isOther(r):
		return spanWhile(s, j, isOther) - i
	}
	return whitespaceTail(s, i) - i
}

// llama3Scanner runs llama3Pattern (maxDigits 3) and qwen2Pattern (maxDigits 1).
type llama3Scanner struct{ maxDigits int }

func (l llama3Scanner) findAll(s string) [][2]int {
	var out [][2]int
	for i := 0; i < len(s); {
		n := l.match(s, i)
		out = append(out, [2]int{i, i + n})
		i += n
	}
	return out
}

func isCRLF(r rune) bool { return r == '\r' || r == '\n' }

func (l llama3Scanner) match(s string, i int) int {
	// (?i:'s|'t|'re|'ve|'m|'ll|'d)
	if n := contraction(s, i, true); n > 0 {
		return n
	}
	r, n := runeAt(s, i)
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if isLetter(r) {
		return spanWhile(s, i, isLetter) - i
	}
	if !isCRLF(r) && !isNumber(r) {
		if r2, _ := runeAt(s, i+n); r2 >= 0 && isLetter(r2) {
			return spanWhile(s, i+n, isLetter) - i
		}
	}
	// \p{N}{1,maxDigits}
	if isNumber(r) {
		j := i
		for k := 0; k < l.maxDigits; k++ {
			rr, nn := runeAt(s, j)
			if rr < 0 || !isNumber(rr) {
				break
			}
			j += nn
		}
		return j - i
	}
	// " ?[^\s\p{L}\p{N}]+[\r\n]*"
	j := i
	if r == ' ' {
		if r2, _ := runeAt(s, i+n); r2 >= 0 && isOther(r2) {
			j = i + n
			r = r2
		}
	}
	if isOther(r) {
		j = spanWhile(s, j, isOther)
		return spanWhile(s, j, isCRLF) - i
	}
	// Only whitespace is left. \s*[\r\n]+ : the match ends after the last
	// \r or \n of the whitespace run, if it has one.
	end := spanWhile(s, i, isSpace)
	lastNL := -1
	for k := i; k < end; {
		rr, nn := runeAt(s, k)
		if isCRLF(rr) {
			lastNL = k + nn
		}
		k += nn
	}
	if lastNL > 0 {
		return lastNL - i
	}
	// \s+(?!\S)|\s+
	return whitespaceTail(s, i) - i
}
