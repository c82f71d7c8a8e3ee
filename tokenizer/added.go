package tokenizer

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// addedMatcher finds added tokens leftmost-longest, like the Aho-Corasick
// automaton (MatchKind::LeftmostLongest) in added_vocabulary.rs. Added
// vocabularies are small (hundreds), so candidates are bucketed by first byte
// and tried longest first.
type addedMatcher struct {
	byFirst [256][]AddedToken
}

func newAddedMatcher(tokens []AddedToken) *addedMatcher {
	if len(tokens) == 0 {
		return nil
	}
	m := &addedMatcher{}
	for _, a := range tokens {
		m.byFirst[a.Content[0]] = append(m.byFirst[a.Content[0]], a)
	}
	for i := range m.byFirst {
		b := m.byFirst[i]
		sort.SliceStable(b, func(x, y int) bool { return len(b[x].Content) > len(b[y].Content) })
	}
	return m
}

// next returns the leftmost-longest match starting at or after from.
func (m *addedMatcher) next(s string, from int) (start, end int, tok AddedToken, ok bool) {
	for i := from; i < len(s); i++ {
		for _, a := range m.byFirst[s[i]] {
			if strings.HasPrefix(s[i:], a.Content) {
				return i, i + len(a.Content), a, true
			}
		}
	}
	return 0, 0, AddedToken{}, false
}

type piece struct {
	s       string
	id      int32 // -1: ordinary text to normalize/pre-tokenize
	atStart bool  // begins at offset 0 of the original text (Metaspace prepend_scheme "first")
}

// findAdded splits s into text and added-token pieces (added_vocabulary.rs
// find_matches), honouring single_word, lstrip and rstrip.
func findAdded(m *addedMatcher, s string) []piece {
	if m == nil {
		return []piece{{s: s, id: -1}}
	}
	var out []piece
	startOffset := 0
	pos := 0
	for pos < len(s) {
		start, stop, a, ok := m.next(s, pos)
		if !ok {
			break
		}
		// Aho-Corasick iteration resumes after the match, whether or not
		// the match is then discarded.
		pos = stop
		if a.SingleWord {
			startSpace := start == 0 || !endsWithWordChar(s[:start])
			stopSpace := stop == len(s) || !startsWithWordChar(s[stop:])
			if !startSpace || !stopSpace {
				continue
			}
		}
		if a.LStrip {
			newStart := len(strings.TrimRightFunc(s[:start], unicode.IsSpace))
			start = max(newStart, startOffset)
		}
		if a.RStrip {
			stop += len(s[stop:]) - len(strings.TrimLeftFunc(s[stop:], unicode.IsSpace))
			pos = stop
		}
		if startOffset < start {
			out = append(out, piece{s: s[startOffset:start], id: -1})
		}
		out = append(out, piece{s: s[start:stop], id: a.ID})
		startOffset = stop
	}
	if startOffset < len(s) {
		out = append(out, piece{s: s[startOffset:], id: -1})
	}
	return out
}

// isWordChar is Unicode \w as in the Rust regex crate and Oniguruma (UTS #18
// "word"): letters, marks, decimal and letter numbers, connector
// punctuation and the joiners ZWNJ/ZWJ. Other numbers such as ² are not word
// characters.
func isWordChar(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.In(r, unicode.Nd, unicode.Nl, unicode.Pc) ||
		r == 0x200C || r == 0x200D
}

func endsWithWordChar(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return s != "" && isWordChar(r)
}

func startsWithWordChar(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return s != "" && isWordChar(r)
}

// splitAdded runs added_vocabulary.rs extract_and_normalize: split off
// non-normalized added tokens on the raw text, normalize the remaining
// pieces, then split off normalized added tokens. Empty pieces are dropped,
// as PreTokenizedString::split does.
func (t *Tokenizer) splitAdded(text string) []piece {
	var out []piece
	offset := 0
	for _, p := range findAdded(t.rawMatcher, text) {
		pieceStart := offset
		offset += len(p.s)
		if p.s == "" {
			continue
		}
		if p.id >= 0 {
			out = append(out, p)
			continue
		}
		norm := p.s
		if t.normalizer != nil {
			norm = t.normalizer.normalize(norm)
		}
		sub := 0
		for _, q := range findAdded(t.normMatcher, norm) {
			q.atStart = pieceStart == 0 && sub == 0
			sub += len(q.s)
			if q.s != "" {
				out = append(out, q)
			}
		}
	}
	return out
}
