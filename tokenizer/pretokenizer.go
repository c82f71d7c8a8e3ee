package tokenizer

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// split is one piece of a PreTokenizedString.
type split struct {
	s       string
	atStart bool // starts at offset 0 of the original text
}

type preTokenizer interface {
	// preTokenize refines splits; empty results are dropped as in
	// PreTokenizedString::split.
	preTokenize(in []split) []split
}

// splitFunc adapts a per-piece function into a preTokenizer.
type splitFunc func(sp split) []split

func (f splitFunc) preTokenize(in []split) []split {
	out := make([]split, 0, len(in))
	for _, sp := range in {
		for _, p := range f(sp) {
			if p.s != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

type seqPreTokenizer []preTokenizer

func (s seqPreTokenizer) preTokenize(in []split) []split {
	for _, p := range s {
		in = p.preTokenize(in)
	}
	return in
}

// Split behaviours (tokenizer/normalizer.rs SplitDelimiterBehavior).
type splitBehavior int

const (
	behRemoved splitBehavior = iota
	behIsolated
	behMergedWithPrevious
	behMergedWithNext
	behContiguous
)

func parseBehavior(s, component string) (splitBehavior, error) {
	switch s {
	case "Removed":
		return behRemoved, nil
	case "Isolated":
		return behIsolated, nil
	case "MergedWithPrevious":
		return behMergedWithPrevious, nil
	case "MergedWithNext":
		return behMergedWithNext, nil
	case "Contiguous":
		return behContiguous, nil
	}
	return 0, &UnsupportedError{Component: component, Type: "Split", Detail: "behavior " + s}
}

type span struct {
	start, end int
	match      bool
}

// coverSpans turns matches into spans covering s (pattern.rs find_matches),
// flipping the match flag when invert is set.
func coverSpans(s string, matches [][2]int, invert bool) []span {
	if s == "" {
		return []span{{0, 0, invert}}
	}
	out := make([]span, 0, 2*len(matches)+1)
	prev := 0
	for _, m := range matches {
		if prev != m[0] {
			out = append(out, span{prev, m[0], invert})
		}
		out = append(out, span{m[0], m[1], !invert})
		prev = m[1]
	}
	if prev != len(s) {
		out = append(out, span{prev, len(s), invert})
	}
	return out
}

// splitBy applies a behaviour to spans (NormalizedString::split) and returns the kept pieces.
func splitBy(sp split, spans []span, b splitBehavior) []split {
	type keep struct {
		start, end int
		remove     bool
	}
	var ks []keep
	switch b {
	case behIsolated:
		for _, x := range spans {
			ks = append(ks, keep{x.start, x.end, false})
		}
	case behRemoved:
		for _, x := range spans {
			ks = append(ks, keep{x.start, x.end, x.match})
		}
	case behContiguous:
		prevMatch := false
		for _, x := range spans {
			if x.match == prevMatch && len(ks) > 0 {
				ks[len(ks)-1].end = x.end
			} else {
				ks = append(ks, keep{x.start, x.end, false})
			}
			prevMatch = x.match
		}
	case behMergedWithPrevious:
		prevMatch := false
		for _, x := range spans {
			if x.match && !prevMatch && len(ks) > 0 {
				ks[len(ks)-1].end = x.end
			} else {
				ks = append(ks, keep{x.start, x.end, false})
			}
			prevMatch = x.match
		}
	case behMergedWithNext:
		prevMatch := false
		for i := len(spans) - 1; i >= 0; i-- {
			x := spans[i]
			if x.match && !prevMatch && len(ks) > 0 {
				ks[len(ks)-1].start = x.start
			} else {
				ks = append(ks, keep{x.start, x.end, false})
			}
			prevMatch = x.match
		}
		for i, j := 0, len(ks)-1; i < j; i, j = i+1, j-1 {
			ks[i], ks[j] = ks[j], ks[i]
		}
	}
	out := make([]split, 0, len(ks))
	for _, k := range ks {
		if k.remove || k.start == k.end {
			continue
		}
		out = append(out, split{s: sp.s[k.start:k.end], atStart: sp.atStart && k.start == 0})
	}
	return out
}

// runeMatches returns one match per rune satisfying f (splitting on a char predicate).
func runeMatches(s string, f func(rune) bool) [][2]int {
	var out [][2]int
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if f(r) {
			out = append(out, [2]int{i, i + n})
		}
		i += n
	}
	return out
}

func predicateSplitter(f func(rune) bool, b splitBehavior) preTokenizer {
	return splitFunc(func(sp split) []split {
		return splitBy(sp, coverSpans(sp.s, runeMatches(sp.s, f), false), b)
	})
}

// isPunct is punctuation.rs is_punc: ASCII punctuation (which in Rust
// includes symbols such as $ + < = > ^ ` | ~) or Unicode category P.
func isPunct(r rune) bool {
	return unicode.IsPunct(r) || (r < utf8.RuneSelf && unicode.IsSymbol(r))
}

func parsePreTokenizer(raw json.RawMessage) (preTokenizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var t typed
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, &FormatError{Component: "pre_tokenizer", Msg: "want an object with a type", Err: err}
	}
	bad := func(err error) error {
		return &FormatError{Component: "pre_tokenizer", Msg: t.Type, Err: err}
	}
	switch t.Type {
	case "Sequence":
		var j struct {
			PreTokenizers []json.RawMessage `json:"pretokenizers"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, bad(err)
		}
		var seq seqPreTokenizer
		for _, r := range j.PreTokenizers {
			p, err := parsePreTokenizer(r)
			if err != nil {
				return nil, err
			}
			if p != nil {
				seq = append(seq, p)
			}
		}
		return seq, nil
	case "ByteLevel":
		j := struct {
			AddPrefixSpace bool `json:"add_prefix_space"`
			UseRegex       bool `json:"use_regex"`
		}{UseRegex: true}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, bad(err)
		}
		return byteLevelPre{addPrefixSpace: j.AddPrefixSpace, useRegex: j.UseRegex}, nil
	case "Split":
		var j struct {
			Pattern  patternJSON `json:"pattern"`
			Behavior string      `json:"behavior"`
			Invert   bool        `json:"invert"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, bad(err)
		}
		m, err := parsePattern(j.Pattern, "pre_tokenizer")
		if err != nil {
			return nil, err
		}
		b, err := parseBehavior(j.Behavior, "pre_tokenizer")
		if err != nil {
			return nil, err
		}
		return splitFunc(func(sp split) []split {
			return splitBy(sp, coverSpans(sp.s, m.findAll(sp.s), j.Invert), b)
		}), nil
	case "Metaspace":
		j := struct {
			Replacement    string  `json:"replacement"`
			PrependScheme  *string `json:"prepend_scheme"`
			AddPrefixSpace *bool   `json:"add_prefix_space"`
			Split          *bool   `json:"split"`
		}{Replacement: "▁"}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, bad(err)
		}
		m, err := newMetaspace(j.Replacement, j.PrependScheme, j.AddPrefixSpace, j.Split, "pre_tokenizer")
		if err != nil {
			return nil, err
		}
		return m, nil
	case "Digits":
		var j struct {
			Individual bool `json:"individual_digits"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, bad(err)
		}
		b := behContiguous
		if j.Individual {
			b = behIsolated
		}
		// digits.rs splits on char::is_numeric, i.e. General Category N.
		return predicateSplitter(unicode.IsNumber, b), nil
	case "Whitespace":
		// whitespace.rs: Split(Invert(\w+|[^\w\s]+), Removed) keeps the matches.
		return splitFunc(func(sp split) []split {
			return splitBy(sp, coverSpans(sp.s, wordOrPunctRuns(sp.s), true), behRemoved)
		}), nil
	case "WhitespaceSplit":
		return predicateSplitter(unicode.IsSpace, behRemoved), nil
	case "Punctuation":
		j := struct {
			Behavior string `json:"behavior"`
		}{Behavior: "Isolated"}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, bad(err)
		}
		b, err := parseBehavior(j.Behavior, "pre_tokenizer")
		if err != nil {
			return nil, err
		}
		return predicateSplitter(isPunct, b), nil
	case "BertPreTokenizer":
		// bert.rs: split on whitespace (removed), then isolate punctuation.
		return seqPreTokenizer{predicateSplitter(unicode.IsSpace, behRemoved), predicateSplitter(isPunct, behIsolated)}, nil
	case "CharDelimiterSplit":
		var j struct {
			Delimiter string `json:"delimiter"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, bad(err)
		}
		d, n := utf8.DecodeRuneInString(j.Delimiter)
		if n == 0 || n != len(j.Delimiter) {
			return nil, formatErr("pre_tokenizer", "CharDelimiterSplit delimiter must be one character")
		}
		return predicateSplitter(func(r rune) bool { return r == d }, behRemoved), nil
	case "":
		return nil, formatErr("pre_tokenizer", "missing type")
	default:
		return nil, &UnsupportedError{Component: "pre_tokenizer", Type: t.Type}
	}
}

// wordOrPunctRuns finds \w+|[^\w\s]+ with Unicode \w.
func wordOrPunctRuns(s string) [][2]int {
	var out [][2]int
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case isWordChar(r):
			j := spanWhile(s, i, isWordChar)
			out = append(out, [2]int{i, j})
			i = j
		case !unicode.IsSpace(r):
			j := spanWhile(s, i, func(r rune) bool { return !isWordChar(r) && !unicode.IsSpace(r) })
			out = append(out, [2]int{i, j})
			i = j
		default:
			i += n
		}
	}
	return out
}

// byteLevelPre is pre_tokenizers/byte_level.rs: optional leading space, the
// GPT-2 regex split, then bytes mapped to printable characters.
type byteLevelPre struct {
	addPrefixSpace bool
	useRegex       bool
}

func (b byteLevelPre) preTokenize(in []split) []split {
	n := len(in)
	for _, sp := range in {
		n += len(sp.s) / 4 // English averages a little over 4 bytes per word
	}
	out := make([]split, 0, n)
	for _, sp := range in {
		s := sp.s
		if b.addPrefixSpace && s != "" && s[0] != ' ' {
			s = " " + s
		}
		if !b.useRegex {
			if s != "" {
				out = append(out, split{s: byteLevelEncode(s), atStart: sp.atStart})
			}
			continue
		}
		for i := 0; i < len(s); {
			n := gpt2Match(s, i)
			out = append(out, split{s: byteLevelEncode(s[i : i+n]), atStart: sp.atStart && i == 0})
			i += n
		}
	}
	return out
}

// metaspace is pre_tokenizers/metaspace.rs (also its decoder).
type metaspace struct {
	replacement string
	repl        rune
	scheme      string // "always", "first", "never"
	split       bool
}

func newMetaspace(replacement string, scheme *string, addPrefixSpace, splitFlag *bool, component string) (*metaspace, error) {
	r, n := utf8.DecodeRuneInString(replacement)
	if n == 0 || n != len(replacement) {
		return nil, formatErr(component, "Metaspace replacement must be one character, got %q", replacement)
	}
	m := &metaspace{replacement: replacement, repl: r, scheme: "always", split: true}
	if scheme != nil {
		switch *scheme {
		case "always", "first", "never":
			m.scheme = *scheme
		default:
			return nil, formatErr(component, "Metaspace prepend_scheme %q", *scheme)
		}
	}
	// Older files carry add_prefix_space instead; false means never.
	if addPrefixSpace != nil && !*addPrefixSpace {
		m.scheme = "never"
	}
	if splitFlag != nil {
		m.split = *splitFlag
	}
	return m, nil
}

func (m *metaspace) preTokenize(in []split) []split {
	out := make([]split, 0, len(in))
	for _, sp := range in {
		s := strings.ReplaceAll(sp.s, " ", m.replacement)
		if s != "" && !strings.HasPrefix(s, m.replacement) &&
			(m.scheme == "always" || (m.scheme == "first" && sp.atStart)) {
			s = m.replacement + s
		}
		if !m.split {
			if s != "" {
				out = append(out, split{s: s, atStart: sp.atStart})
			}
			continue
		}
		parts := splitBy(split{s: s, atStart: sp.atStart},
			coverSpans(s, literalMatcher(m.replacement).findAll(s), false), behMergedWithNext)
		out = append(out, parts...)
	}
	return out
}

func (m *metaspace) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		var b strings.Builder
		for _, r := range t {
			if r == m.repl {
				if i == 0 && m.scheme != "never" {
					continue
				}
				b.WriteByte(' ')
				continue
			}
			b.WriteRune(r)
		}
		out[i] = b.String()
	}
	return out
}
