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
	decode      func([]int32) string
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
func (t *Tokenizer) NewDecodeStream() *DecodeStream { return NewDecodeStreamFunc(t.Decode) }

// NewDecodeStreamFunc starts an empty stream over any decode function (a
// tokenizer behind an interface, a test double).
func NewDecodeStreamFunc(decode func([]int32) string) *DecodeStream {
	return &DecodeStream{decode: decode}
}

// Step adds one id and returns the text it completes ("" while more ids
// are needed).
func (d *DecodeStream) Step(id int32) (string, error) { return d.StepIDs(id) }

// StepIDs adds several ids at once and returns the text they complete. A
// run of byte-fallback tokens (IsByteToken) belongs in one call together
// with the token after it: the ByteFallback decoder turns a run that is not
// valid UTF-8 into one U+FFFD per byte, so text decoded from the middle of a
// run can still change when the run goes on.
func (d *DecodeStream) StepIDs(ids ...int32) (string, error) {
	if len(ids) == 0 {
		return "", nil
	}
	if d.prefix == "" && len(d.ids) > 0 {
		if p := d.decode(d.ids); !strings.HasSuffix(p, "\uFFFD") {
			d.prefix, d.prefixIndex = p, len(d.ids)
		}
	}
	d.ids = append(d.ids, ids...)
	s := d.decode(d.ids)
	if len(s) <= len(d.prefix) || strings.HasSuffix(s, "\uFFFD") {
		return "", nil
	}
	if !strings.HasPrefix(s, d.prefix) {
		return "", &InvalidPrefixError{ID: ids[len(ids)-1], Prefix: d.prefix, Decoded: s}
	}
	text := s[len(d.prefix):]
	newIndex := len(d.ids) - d.prefixIndex
	d.ids = append(d.ids[:0:0], d.ids[d.prefixIndex:]...)
	d.prefix = d.decode(d.ids)
	d.prefixIndex = newIndex
	return text, nil
}

// Flush returns the text still held back at the end of the ids (text that
// ends in U+FFFD because the last character never completed) and empties
// the stream.
func (d *DecodeStream) Flush() (string, error) {
	s := d.decode(d.ids)
	defer func() { d.ids, d.prefix, d.prefixIndex = nil, "", 0 }()
	if len(s) <= len(d.prefix) {
		return "", nil
	}
	if !strings.HasPrefix(s, d.prefix) {
		return "", &InvalidPrefixError{ID: -1, Prefix: d.prefix, Decoded: s}
	}
	return s[len(d.prefix):], nil
}

// IsByteToken reports SentencePiece byte-fallback tokens (<0xHH>), which
// the ByteFallback decoder joins into runs (see DecodeStream.StepIDs).
func (t *Tokenizer) IsByteToken(id int32) bool {
	tok, ok := t.IDToToken(id)
	return ok && len(tok) == 6 && strings.HasPrefix(tok, "<0x") && tok[5] == '>'
}
