package model

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/lamina-ml/lamina/tokenizer"
)

// TextStream is the generation API's one streaming decoder and its one
// stop-string rule, shared by the CLI, the worker and the browser runtime:
// generated ids go in one at a time (not the EOS that ends a generation)
// and text comes out as soon as it is final.
//
// The stop-string rule (OpenAI's): the text ends just before the earliest
// occurrence of any stop string, and generation stops at the token that
// completed it (Generate's StopStrings check finds the same token).
//
// Text is held back while it could still change: an incomplete character
// (tokenizer.DecodeStream), a run of byte-fallback tokens (isByte; the
// decoder may still turn the whole run into U+FFFDs), and a tail that could
// grow into a stop string (it would be cut).
type TextStream struct {
	decode func([]int32) string
	isByte func(int32) bool
	stops  []string

	ds      *tokenizer.DecodeStream
	all     []int32 // every id pushed (for the fallback below)
	run     []int32 // trailing byte-fallback ids not yet decoded
	text    string  // decoded text, cut at a stop string once stopped
	sent    int     // bytes of text already returned
	stopped bool
}

// NewTextStream streams the text of decode; isByte (may be nil) tells
// byte-fallback tokens; empty stop strings are ignored.
func NewTextStream(decode func([]int32) string, isByte func(int32) bool, stops []string) *TextStream {
	s := &TextStream{decode: decode, isByte: isByte, ds: tokenizer.NewDecodeStreamFunc(decode)}
	for _, st := range stops {
		if st != "" {
			s.stops = append(s.stops, st)
		}
	}
	return s
}

// NewTokenizerStream is NewTextStream for a lamina tokenizer.
func NewTokenizerStream(t *tokenizer.Tokenizer, stops []string) *TextStream {
	return NewTextStream(t.Decode, t.IsByteToken, stops)
}

// Push adds a generated id and returns the text that became final, and
// whether a stop string has ended the text (generation should stop; later
// pushes are ignored).
func (s *TextStream) Push(id int32) (delta string, stop bool) {
	if s.stopped {
		return "", true
	}
	s.all = append(s.all, id)
	if s.isByte != nil && s.isByte(id) {
		s.run = append(s.run, id)
		if !s.stopInRun() {
			return "", false
		}
		// A stop string ends inside the run: the run is final now (generation ends at this
		// token, as Generate's StopStrings check would have it), so decode it to the end.
		s.step(s.run, true)
		s.run = nil
		if !s.stopped {
			// The streamed decode disagrees with the whole one: go on in the exact mode.
			s.ds = nil
			s.step(nil, false)
		}
		return s.release(false), s.stopped
	}
	s.step(append(s.run, id), false)
	s.run = s.run[:0]
	return s.release(false), s.stopped
}

// stopInRun reports whether the held-back byte run, decoded as if it ended here, completes a
// stop string: held-back text is kept from the stream, not from the stop rule. It decodes
// every id, as Generate's StopStrings check does, but only for byte tokens with stops set.
func (s *TextStream) stopInRun() bool {
	return len(s.stops) > 0 && FirstStop(s.decode(s.all), s.stops) >= 0
}

// Finish ends the stream and returns the text still held back.
func (s *TextStream) Finish() string {
	if !s.stopped {
		s.step(s.run, true)
		s.run = nil
	}
	return s.release(true)
}

// Text is all the text so far, held-back parts included (after Finish: the
// whole completion).
func (s *TextStream) Text() string { return s.text }

// Stopped reports whether a stop string ended the text.
func (s *TextStream) Stopped() bool { return s.stopped }

// step decodes ids (and at the end what the decode stream holds) into
// s.text and applies the stop rule.
func (s *TextStream) step(ids []int32, final bool) {
	var chunk string
	var err error
	if s.ds != nil {
		chunk, err = s.ds.StepIDs(ids...)
		if err == nil && final {
			var rest string
			rest, err = s.ds.Flush()
			chunk += rest
		}
	}
	var bad *tokenizer.InvalidPrefixError
	switch {
	case s.ds == nil || errors.As(err, &bad):
		// A decoder whose output for more ids does not extend its output
		// for fewer: decode everything each time (quadratic, but exact)
		// and keep what was already returned if it is still a prefix.
		s.ds = nil
		full := s.decode(s.all)
		if !strings.HasPrefix(full, s.text[:s.sent]) {
			full = s.text[:s.sent] + full[min(s.sent, len(full)):]
		}
		s.text = full
	default:
		s.text += chunk
	}
	if i := FirstStop(s.text, s.stops); i >= 0 {
		s.text, s.stopped = s.text[:i], true
	}
}

// release returns the part of s.text that can no longer change.
func (s *TextStream) release(final bool) string {
	end := len(s.text)
	if !final && !s.stopped {
		end = StreamableLen(s.text, s.stops)
	}
	if end <= s.sent {
		return ""
	}
	d := s.text[s.sent:end]
	s.sent = end
	return d
}

// FirstStop is the byte index of the earliest stop string in s, or -1: the
// stop-string rule of Generate and TextStream.
func FirstStop(s string, stops []string) int {
	best := -1
	for _, st := range stops {
		if st == "" {
			continue
		}
		if i := strings.Index(s, st); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	return best
}

// StreamableLen is how much of text can be streamed now: it holds back a
// tail that could still grow into a stop string (it would be cut) and an
// incomplete UTF-8 sequence or trailing U+FFFD (byte-level tokens split
// characters; decoders show them as U+FFFD until the rest arrives).
func StreamableLen(text string, stops []string) int {
	n := len(text)
	for _, st := range stops {
		for k := len(st) - 1; k > 0; k-- {
			if k <= len(text) && strings.HasSuffix(text, st[:k]) {
				if len(text)-k < n {
					n = len(text) - k
				}
				break
			}
		}
	}
	for n > 0 {
		r, size := utf8.DecodeLastRuneInString(text[:n])
		if r != utf8.RuneError || size > 1 {
			break
		}
		n -= size
	}
	if i := strings.LastIndex(text[:n], "\uFFFD"); i >= 0 && i+len("\uFFFD") == n {
		n = i
	}
	return n
}
