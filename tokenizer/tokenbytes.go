package tokenizer

import (
	"strconv"
	"strings"
)

// byteLevelDecoder and byteFallbackDecoder are named so that TokenBytes
// can run their byte-exact forms.
type byteLevelDecoder struct{}

func (byteLevelDecoder) decodeChain(t []string) []string { return byteLevelDecode(t) }

type byteFallbackDecoder struct{}

func (byteFallbackDecoder) decodeChain(t []string) []string { return byteFallbackDecode(t) }

// TokenBytes returns the bytes token id adds to a decoded text when it is
// not the first token: the decoder chain run on it alone, with byte-level
// and byte-fallback tokens giving their raw bytes (which may be part of a
// UTF-8 sequence, where Decode would write U+FFFD), Metaspace writing a
// space for every replacement character, and Strip (which only trims the
// start of the whole text) left out. Constrained decoding (model/jsonmode)
// matches these bytes against a grammar. ok is false for ids outside the
// vocabulary.
func (t *Tokenizer) TokenBytes(id int32) (b []byte, ok bool) {
	tok, ok := t.IDToToken(id)
	if !ok {
		return nil, false
	}
	if _, added := t.addedByID[id]; added && !t.IsByteToken(id) {
		return []byte(tok), true
	}
	toks := []string{tok}
	if t.decoder != nil {
		toks = rawDecodeChain(t.decoder, toks)
	}
	return []byte(strings.Join(toks, "")), true
}

func rawDecodeChain(d decoder, toks []string) []string {
	switch d := d.(type) {
	case seqDecoder:
		for _, x := range d {
			toks = rawDecodeChain(x, toks)
		}
		return toks
	case byteLevelDecoder:
		out := make([]string, len(toks))
		for i, t := range toks {
			var buf []byte
			for _, r := range t {
				b, found := runeToByte[r]
				if !found {
					buf = append(buf[:0], t...)
					break
				}
				buf = append(buf, b)
			}
			out[i] = string(buf)
		}
		return out
	case byteFallbackDecoder:
		out := make([]string, len(toks))
		for i, t := range toks {
			out[i] = t
			if len(t) == 6 && strings.HasPrefix(t, "<0x") && t[5] == '>' {
				if v, err := strconv.ParseUint(strings.TrimPrefix(t[3:5], "+"), 16, 8); err == nil {
					out[i] = string([]byte{byte(v)})
				}
			}
		}
		return out
	case stripDecoder:
		return toks
	case *metaspace:
		out := make([]string, len(toks))
		for i, t := range toks {
			out[i] = strings.ReplaceAll(t, d.replacement, " ")
		}
		return out
	}
	return d.decodeChain(toks)
}
