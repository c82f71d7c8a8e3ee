package tokenizer

import (
	"encoding/json"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

type normalizer interface {
	normalize(s string) string
}

type typed struct {
	Type string `json:"type"`
}

// pattern is the {"String": "..."} / {"Regex": "..."} union used by
// Replace and Split.
type patternJSON struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

func parseNormalizer(raw json.RawMessage) (normalizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var t typed
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, &FormatError{Component: "normalizer", Msg: "want an object with a type", Err: err}
	}
	switch t.Type {
	case "Sequence":
		var j struct {
			Normalizers []json.RawMessage `json:"normalizers"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, &FormatError{Component: "normalizer", Msg: "Sequence", Err: err}
		}
		var seq seqNormalizer
		for _, r := range j.Normalizers {
			n, err := parseNormalizer(r)
			if err != nil {
				return nil, err
			}
			if n != nil {
				seq = append(seq, n)
			}
		}
		return seq, nil
	case "Prepend":
		var j struct {
			Prepend string `json:"prepend"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, &FormatError{Component: "normalizer", Msg: "Prepend", Err: err}
		}
		return prependNormalizer(j.Prepend), nil
	case "Replace":
		r, err := parseReplace(raw, "normalizer")
		if err != nil {
			return nil, err
		}
		return r, nil
	case "NFC":
		return unicodeNormalizer{norm.NFC}, nil
	case "NFD":
		return unicodeNormalizer{norm.NFD}, nil
	case "NFKC":
		return unicodeNormalizer{norm.NFKC}, nil
	case "NFKD":
		return unicodeNormalizer{norm.NFKD}, nil
	case "Lowercase":
		return lowercaseNormalizer{}, nil
	case "Strip":
		var j struct {
			Left  bool `json:"strip_left"`
			Right bool `json:"strip_right"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, &FormatError{Component: "normalizer", Msg: "Strip", Err: err}
		}
		return stripNormalizer{left: j.Left, right: j.Right}, nil
	case "StripAccents":
		return stripAccentsNormalizer{}, nil
	case "BertNormalizer":
		var j struct {
			CleanText          bool  `json:"clean_text"`
			HandleChineseChars bool  `json:"handle_chinese_chars"`
			StripAccents       *bool `json:"strip_accents"`
			Lowercase          bool  `json:"lowercase"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, &FormatError{Component: "normalizer", Msg: "BertNormalizer", Err: err}
		}
		// normalizers/bert.rs: strip_accents defaults to the lowercase flag.
		strip := j.Lowercase
		if j.StripAccents != nil {
			strip = *j.StripAccents
		}
		return bertNormalizer{clean: j.CleanText, chinese: j.HandleChineseChars, strip: strip, lower: j.Lowercase}, nil
	case "":
		return nil, formatErr("normalizer", "missing type")
	default:
		return nil, &UnsupportedError{Component: "normalizer", Type: t.Type}
	}
}

type seqNormalizer []normalizer

func (s seqNormalizer) normalize(x string) string {
	for _, n := range s {
		x = n.normalize(x)
	}
	return x
}

// prependNormalizer prepends only to non-empty strings (normalizers/prepend.rs).
type prependNormalizer string

func (p prependNormalizer) normalize(s string) string {
	if s == "" {
		return s
	}
	return string(p) + s
}

type unicodeNormalizer struct{ f norm.Form }

func (u unicodeNormalizer) normalize(s string) string { return u.f.String(s) }

type lowercaseNormalizer struct{}

// normalize lowercases rune by rune like Rust's char::to_lowercase, which
// maps U+0130 to "i̇" where Go's unicode.ToLower gives plain "i".
func (lowercaseNormalizer) normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r == 'İ' {
			b.WriteString("i\u0307")
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

type stripNormalizer struct{ left, right bool }

func (s stripNormalizer) normalize(x string) string {
	if s.left {
		x = strings.TrimLeftFunc(x, unicode.IsSpace)
	}
	if s.right {
		x = strings.TrimRightFunc(x, unicode.IsSpace)
	}
	return x
}

// stripAccentsNormalizer removes combining marks (Mn), as normalizers/strip.rs
// does; like HF it expects an NFD normalizer before it.
type stripAccentsNormalizer struct{}

func (stripAccentsNormalizer) normalize(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, s)
}

type bertNormalizer struct{ clean, chinese, strip, lower bool }

func isChineseChar(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) || (r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) || (r >= 0x2B920 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}

// normalize follows normalizers/bert.rs: drop control characters and map
// whitespace to ' ', pad CJK ideographs with spaces, NFD + strip marks, lowercase.
func (n bertNormalizer) normalize(s string) string {
	if n.clean {
		s = strings.Map(func(r rune) rune {
			if r == 0 || r == 0xFFFD {
				return -1
			}
			if r == '\t' || r == '\n' || r == '\r' {
				return ' '
			}
			if unicode.IsControl(r) || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) {
				return -1
			}
			if unicode.IsSpace(r) {
				return ' '
			}
			return r
		}, s)
	}
	if n.chinese {
		var b strings.Builder
		for _, r := range s {
			if isChineseChar(r) {
				b.WriteByte(' ')
				b.WriteRune(r)
				b.WriteByte(' ')
			} else {
				b.WriteRune(r)
			}
		}
		s = b.String()
	}
	if n.strip {
		s = stripAccentsNormalizer{}.normalize(norm.NFD.String(s))
	}
	if n.lower {
		s = lowercaseNormalizer{}.normalize(s)
	}
	return s
}
