package chattemplate

import (
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// Python's str.upper(), lower() and capitalize() use Unicode's full case
// mappings (ß → SS, ﬁ → FI, İ → i̇, ŉ → ʼN); strings.ToUpper/ToLower map
// one rune to one rune. x/text/cases implements the full mappings. A Caser
// keeps state, so each call makes its own (renders may run concurrently).

func pyUpper(s string) string { return cases.Upper(language.Und).String(s) }
func pyLower(s string) string { return cases.Lower(language.Und).String(s) }

// pyTitleRune title-cases one character, as capitalize() does to the first.
func pyTitleRune(r rune) string {
	return cases.Title(language.Und, cases.NoLower).String(string(r))
}
