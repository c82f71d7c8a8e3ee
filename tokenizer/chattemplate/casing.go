package chattemplate

//go:generate /usr/bin/python3 casing_gen.py

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Python's str.upper(), lower(), title() and capitalize() use Unicode's full
// case mappings (ß → SS, ﬁ → FI, İ → i̇, ŉ → ʼN) and lower a capital sigma to
// ς at the end of a word; strings.ToUpper/ToLower map one rune to one rune.
// The one-rune mappings are Go's unicode tables; the hundred or so longer ones
// are casing_table.go, generated from Python (casing_gen.py). This replaces
// golang.org/x/text/cases, which cost lamina.wasm about 80 KB of its brotli
// download for the same result.

type specialCase struct {
	r                   rune
	upper, title, lower string // "" where the mapping is one rune
}

func lookupSpecial(r rune) *specialCase {
	if r < specialCases[0].r {
		return nil
	}
	i := sort.Search(len(specialCases), func(i int) bool { return specialCases[i].r >= r })
	if i < len(specialCases) && specialCases[i].r == r {
		return &specialCases[i]
	}
	return nil
}

func pyUpper(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if sc := lookupSpecial(r); sc != nil && sc.upper != "" {
			b.WriteString(sc.upper)
		} else {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

func pyLower(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		writeLower(&b, s, i, r)
	}
	return b.String()
}

// writeLower writes the lower case of r, which is at byte i of s.
func writeLower(b *strings.Builder, s string, i int, r rune) {
	switch {
	case r == 'Σ':
		if finalSigma(s, i) {
			b.WriteRune('ς')
		} else {
			b.WriteRune('σ')
		}
	case r == 'İ':
		b.WriteString("i\u0307")
	default:
		b.WriteRune(unicode.ToLower(r))
	}
}

// pyTitleRune title-cases one character, as capitalize() does to the first.
func pyTitleRune(r rune) string {
	if sc := lookupSpecial(r); sc != nil && sc.title != "" {
		return sc.title
	}
	return string(unicode.ToTitle(r))
}

// pyTitle is Python's str.title(): a character after a cased one is lowered,
// any other title-cased.
func pyTitle(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	prevCased := false
	for i, r := range s {
		if prevCased {
			writeLower(&b, s, i, r)
		} else {
			b.WriteString(pyTitleRune(r))
		}
		prevCased = isCased(r)
	}
	return b.String()
}

func pyCapitalize(s string) string {
	if s == "" {
		return s
	}
	r, sz := utf8.DecodeRuneInString(s)
	return pyTitleRune(r) + lowerFrom(s, sz)
}

// lowerFrom lowers s[from:], with the final-sigma context read from all of s,
// as Python's capitalize() does.
func lowerFrom(s string, from int) string {
	var b strings.Builder
	b.Grow(len(s) - from)
	for i, r := range s[from:] {
		writeLower(&b, s, from+i, r)
	}
	return b.String()
}

// finalSigma reports whether the Σ at byte i of s is at the end of a word in
// Unicode's sense (Final_Sigma, as Python's lower() reads it): a cased letter
// before it and none after it, skipping case-ignorable characters both ways.
func finalSigma(s string, i int) bool {
	j := i
	before := false
	for j > 0 {
		r, sz := utf8.DecodeLastRuneInString(s[:j])
		j -= sz
		if !isCaseIgnorable(r) {
			before = isCased(r)
			break
		}
	}
	if !before {
		return false
	}
	for _, r := range s[i+len("Σ"):] {
		if !isCaseIgnorable(r) {
			return !isCased(r)
		}
	}
	return true
}

// isCased is Unicode's Cased property: Lowercase, Uppercase or Lt.
func isCased(r rune) bool {
	return unicode.IsLower(r) || unicode.IsUpper(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

// isCaseIgnorable is Unicode's Case_Ignorable property: Mn, Me, Cf, Lm, Sk, or
// Word_Break MidLetter, MidNumLet or Single_Quote.
func isCaseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '\u00B7', '\u0387', '\u055F', '\u05F4', '\u2018', '\u2019', '\u2024',
		'\u2027', '\uFE13', '\uFE52', '\uFE55', '\uFF07', '\uFF0E', '\uFF1A':
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
