package tokenizer

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

type decoder interface {
	// decodeChain maps tokens to strings; the results are joined with "".
	decodeChain(tokens []string) []string
}

type decoderFunc func([]string) []string

func (f decoderFunc) decodeChain(t []string) []string { return f(t) }

type seqDecoder []decoder

func (s seqDecoder) decodeChain(t []string) []string {
	for _, d := range s {
		t = d.decodeChain(t)
	}
	return t
}

func parseDecoder(raw json.RawMessage) (decoder, error) {
	if isNull(raw) {
		return nil, nil
	}
	var t typed
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, &FormatError{Component: "decoder", Msg: "want an object with a type", Err: err}
	}
	bad := func(err error) error { return &FormatError{Component: "decoder", Msg: t.Type, Err: err} }
	switch t.Type {
	case "Sequence":
		var j struct {
			Decoders []json.RawMessage `json:"decoders"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, bad(err)
		}
		var seq seqDecoder
		for _, r := range j.Decoders {
			d, err := parseDecoder(r)
			if err != nil {
				return nil, err
			}
			if d != nil {
				seq = append(seq, d)
			}
		}
		return seq, nil
	case "ByteLevel":
		return byteLevelDecoder{}, nil
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
		return newMetaspace(j.Replacement, j.PrependScheme, j.AddPrefixSpace, j.Split, "decoder")
	case "Replace":
		return parseReplace(raw, "decoder")
	case "ByteFallback":
		return byteFallbackDecoder{}, nil
	case "Fuse":
		return decoderFunc(func(t []string) []string { return []string{strings.Join(t, "")} }), nil
	case "Strip":
		var j struct {
			Content string `json:"content"`
			Start   int    `json:"start"`
			Stop    int    `json:"stop"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, bad(err)
		}
		c, n := utf8.DecodeRuneInString(j.Content)
		if n == 0 || n != len(j.Content) || j.Start < 0 || j.Stop < 0 {
			return nil, formatErr("decoder", "Strip wants one content character and non-negative start/stop")
		}
		return stripDecoder{content: c, start: j.Start, stop: j.Stop}, nil
	case "WordPiece":
		j := struct {
			Prefix  string `json:"prefix"`
			Cleanup bool   `json:"cleanup"`
		}{Prefix: "##", Cleanup: true}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, bad(err)
		}
		return wordPieceDecoder{prefix: j.Prefix, cleanup: j.Cleanup}, nil
	case "BPEDecoder":
		j := struct {
			Suffix string `json:"suffix"`
		}{Suffix: "</w>"}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, bad(err)
		}
		return decoderFunc(func(t []string) []string {
			out := make([]string, len(t))
			for i, tok := range t {
				rep := " "
				if i == len(t)-1 {
					rep = ""
				}
				out[i] = strings.ReplaceAll(tok, j.Suffix, rep)
			}
			return out
		}), nil
	case "":
		return nil, formatErr("decoder", "missing type")
	default:
		return nil, &UnsupportedError{Component: "decoder", Type: t.Type}
	}
}

// replacer is the Replace normalizer and decoder (normalizers/replace.rs):
// every match of the pattern becomes content, literally.
type replacer struct {
	m       matcher
	content string
}

func parseReplace(raw json.RawMessage, component string) (*replacer, error) {
	var j struct {
		Pattern patternJSON `json:"pattern"`
		Content string      `json:"content"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, &FormatError{Component: component, Msg: "Replace", Err: err}
	}
	m, err := parsePattern(j.Pattern, component)
	if err != nil {
		return nil, err
	}
	return &replacer{m: m, content: j.Content}, nil
}

func (r *replacer) normalize(s string) string {
	if lit, ok := r.m.(literalMatcher); ok {
		if lit == "" {
			return s
		}
		return strings.ReplaceAll(s, string(lit), r.content)
	}
	matches := r.m.findAll(s)
	if len(matches) == 0 {
		return s
	}
	var b strings.Builder
	prev := 0
	for _, m := range matches {
		b.WriteString(s[prev:m[0]])
		b.WriteString(r.content)
		prev = m[1]
	}
	b.WriteString(s[prev:])
	return b.String()
}

func (r *replacer) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = r.normalize(t)
	}
	return out
}

// byteFallbackDecode is decoders/byte_fallback.rs: runs of "<0xNN>" tokens
// become their bytes if those form valid UTF-8, else one U+FFFD per byte.
func byteFallbackDecode(tokens []string) []string {
	out := make([]string, 0, len(tokens))
	var pending []byte
	flush := func() {
		if len(pending) == 0 {
			return
		}
		if utf8.Valid(pending) {
			out = append(out, string(pending))
		} else {
			for range pending {
				out = append(out, "\uFFFD")
			}
		}
		pending = pending[:0]
	}
	for _, t := range tokens {
		if len(t) == 6 && strings.HasPrefix(t, "<0x") && t[5] == '>' {
			// u8::from_str_radix accepts an optional leading '+'.
			if v, err := strconv.ParseUint(strings.TrimPrefix(t[3:5], "+"), 16, 8); err == nil {
				pending = append(pending, byte(v))
				continue
			}
		}
		flush()
		out = append(out, t)
	}
	flush()
	return out
}

// stripDecoder removes up to start leading and stop trailing content runes
// from each token (decoders/strip.rs).
type stripDecoder struct {
	content     rune
	start, stop int
}

func (d stripDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		rs := []rune(t)
		lo := 0
		for k := 0; k < d.start && k < len(rs) && rs[k] == d.content; k++ {
			lo = k + 1
		}
		hi := len(rs)
		for k := 0; k < d.stop && len(rs)-k-1 >= lo; k++ {
			idx := len(rs) - k - 1
			if rs[idx] != d.content {
				break
			}
			hi = idx
		}
		out[i] = string(rs[lo:hi])
	}
	return out
}

type wordPieceDecoder struct {
	prefix  string
	cleanup bool
}

// decodeChain is decoders/wordpiece.rs.
func (d wordPieceDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		if i != 0 {
			if strings.HasPrefix(t, d.prefix) {
				t = strings.Replace(t, d.prefix, "", 1)
			} else {
				t = " " + t
			}
		}
		if d.cleanup {
			t = cleanupSpaces(t)
		}
		out[i] = t
	}
	return out
}

// cleanupSpaces is the crate's clean_up_tokenization: remove spaces before
// punctuation and English contractions.

func cleanupSpaces(s string) string {
	for _, p := range [][2]string{
		{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
		{" n't", "n't"}, {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"},
		{" 've", "'ve"}, {" 're", "'re"},
	} {
		s = strings.ReplaceAll(s, p[0], p[1])
	}
	return s
}
