package tokenizer

import (
	"fmt"
	"strings"
)

// DecodeStream turns ids arriving one at a time into text chunks, as the
// Rust crate's DecodeStream (tokenizer/mod.rs step_decode_stream) does: a
// chunk is released only once the text no longer ends in an incomplete
// character (U+FFFD), and decoders that look at neighbouring tokens (e.g.
// Metaspace dropping the first space) see enough context.
type DecodeStream struct {
	t           *Tokenizer
	ids         []int32
	prefix      string
	prefixIndex int
}

// InvalidPrefixError reports a decoder whose output for a longer id
// sequence does not extend its output for the shorter one.
type InvalidPrefixError struct {
	ID      int32
	Prefix  string
	Decoded string
}

func (e *InvalidPrefixError) Error() string {
	return fmt.Sprintf("tokenizer: decode stream: id %d: %q does not start with %q", e.ID, e.Decoded, e.Prefix)
}

// NewDecodeStream starts an empty stream.
func (t *Tokenizer) NewDecodeStream() *DecodeStream { return &DecodeStream{t: t} }

// Step adds one id and returns the text it completes ("" while more ids
// are needed).
func (d *DecodeStream) Step(id int32) (string, error) {
	if d.prefix == "" && len(d.ids) > 0 {
		if p := d.t.Decode(d.ids); !strings.HasSuffix(p, "\uFFFD") {
			d.prefix, d.prefixIndex = p, len(d.ids)
		}
	}
	d.ids = append(d.ids, id)
	s := d.t.Decode(d.ids)
	if len(s) <= len(d.prefix) || strings.HasSuffix(s, "\uFFFD") {
		return "", nil
	}
	if !strings.HasPrefix(s, d.prefix) {
		return "", &InvalidPrefixError{ID: id, Prefix: d.prefix, Decoded: s}
	}
	text := s[len(d.prefix):]
	newIndex := len(d.ids) - d.prefixIndex
	d.ids = append(d.ids[:0:0], d.ids[d.prefixIndex:]...)
	d.prefix = d.t.Decode(d.ids)
	d.prefixIndex = newIndex
	return text, nil
}
