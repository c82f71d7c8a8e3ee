package model

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestStreamableLen moved here from worker with the stop-string rule.
func TestStreamableLen(t *testing.T) {
	cases := []struct {
		text  string
		stops []string
		want  int
	}{
		{"hello", nil, 5},
		{"hello wo", []string{"world"}, 6},
		{"hello w", []string{"world", "xyz"}, 6},
		{"hello", []string{"lol"}, 3}, // "lo" could become "lol"
		{"hello", []string{"xl"}, 5},
		{"caf\xc3", nil, 3},
		{"caf\xc3\xa9", nil, 5},
		{"x\uFFFD", nil, 1},
		{"", []string{"a"}, 0},
	}
	for _, c := range cases {
		if got := StreamableLen(c.text, c.stops); got != c.want {
			t.Errorf("StreamableLen(%q, %q) = %d, want %d", c.text, c.stops, got, c.want)
		}
	}
}

// runDecode is a byte-fallback decoder like tokenizers' ByteFallback: ids
// >= 100 are the bytes id-100, a run of them that is not valid UTF-8 becomes
// one U+FFFD per byte; other ids are words[id].
func runDecode(ids []int32) string {
	words := []string{"Hel", "lo", " wor", "ld", "!"}
	var out []string
	for i := 0; i < len(ids); {
		if ids[i] < 100 {
			out = append(out, words[ids[i]])
			i++
			continue
		}
		j := i
		var run []byte
		for ; j < len(ids) && ids[j] >= 100; j++ {
			run = append(run, byte(ids[j]-100))
		}
		if !utf8.Valid(run) {
			run = []byte(strings.Repeat("\uFFFD", j-i))
		}
		out = append(out, string(run))
		i = j
	}
	return strings.Join(out, "")
}

func isRunByte(id int32) bool { return id >= 100 }

// TestTextStream checks the streamed pieces against the whole decode:
// pieces never change what was already streamed, add up to the text, stop
// before the earliest stop string, and hold a byte run until it ends.
func TestTextStream(t *testing.T) {
	const e1, e2 = 100 + 0xC3, 100 + 0xA9 // "é" in two byte tokens
	for _, c := range []struct {
		name      string
		ids       []int32
		stops     []string
		want      string
		stoppedAt int // index of the id that stops; -1: none
	}{
		{"plain", []int32{0, 1, 2, 3, 4}, nil, "Hello world!", -1},
		{"split character", []int32{0, e1, e2, 1}, nil, "Hel" + "é" + "lo", -1},
		{"run turned invalid", []int32{0, 100 + '=', 100 + 0xE4, 1}, nil, "Hel\uFFFD\uFFFDlo", -1},
		{"run at the end", []int32{0, e1}, nil, "Hel\uFFFD", -1},
		{"stop across tokens", []int32{0, 1, 2, 3}, []string{"lo w"}, "Hel", 2},
		{"earliest stop", []int32{0, 1, 2, 3, 4}, []string{"!", "ld"}, "Hello wor", 3},
		{"stop never seen", []int32{0, 1}, []string{"xyz", ""}, "Hello", -1},
		// A stop string completed by a byte-fallback token ends generation at that token, not
		// when the byte run ends (the run is held back from the stream, not from the rule).
		{"stop inside a byte run", []int32{0, 100 + 's', 100 + '>', 100 + 'C', 1}, []string{"s>"}, "Hel", 2},
		{"stop on a split character", []int32{0, e1, e2, 1}, []string{"lé"}, "He", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := NewTextStream(runDecode, isRunByte, c.stops)
			var streamed strings.Builder
			stoppedAt := -1
			for i, id := range c.ids {
				d, stop := s.Push(id)
				streamed.WriteString(d)
				if stop {
					stoppedAt = i
					break
				}
			}
			streamed.WriteString(s.Finish())
			if streamed.String() != c.want || s.Text() != c.want || stoppedAt != c.stoppedAt {
				t.Errorf("streamed %q, text %q, stopped at %d; want %q, %d", streamed.String(), s.Text(), stoppedAt, c.want, c.stoppedAt)
			}
		})
	}
}

// TestTextStreamUnstableDecoder: a decoder whose output for more ids does not
// extend the shorter one's (tokenizer.InvalidPrefixError) still gives the
// whole decode in the end, without changing what was streamed.
func TestTextStreamUnstableDecoder(t *testing.T) {
	decode := func(ids []int32) string {
		if len(ids) == 3 {
			return "ab!" // the second id's "c" turns into "b" once a third arrives
		}
		return "ac"[:len(ids)]
	}
	s := NewTextStream(decode, nil, nil)
	var got strings.Builder
	for _, id := range []int32{1, 2, 3} {
		d, _ := s.Push(id)
		got.WriteString(d)
	}
	got.WriteString(s.Finish())
	if !strings.HasPrefix(got.String(), "ac") || s.Text() != got.String() {
		t.Errorf("streamed %q, text %q", got.String(), s.Text())
	}
}
