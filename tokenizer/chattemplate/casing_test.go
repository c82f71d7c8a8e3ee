package chattemplate

import (
	"encoding/json"
	"os"
	"testing"
	"unicode/utf8"
)

// casingRef is testdata/casing_ref.json: Python's str methods on every
// character and on some words (testdata/casing_ref.py).
type casingRef struct {
	Python, Unicode string
	Assigned        [][2]rune
	Cased           [][2]rune
	Ignorable       [][2]rune
	Maps            [][4]json.RawMessage // rune, upper, lower, title
	Strings         [][5]string          // s, upper, lower, title, capitalize
}

func loadCasingRef(t *testing.T) *casingRef {
	t.Helper()
	data, err := os.ReadFile("testdata/casing_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref casingRef
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	return &ref
}

func inRanges(rs [][2]rune, r rune) bool {
	for _, x := range rs {
		if r >= x[0] && r <= x[1] {
			return true
		}
	}
	return false
}

// TestCasingEveryCharacter compares each character's upper, lower and title
// case with Python's. Characters Python's Unicode does not assign are skipped
// (Go's tables may be a newer Unicode).
func TestCasingEveryCharacter(t *testing.T) {
	ref := loadCasingRef(t)
	mapped := map[rune][3]string{}
	for _, m := range ref.Maps {
		var r rune
		var u, l, ti string
		for i, p := range []any{&r, &u, &l, &ti} {
			if err := json.Unmarshal(m[i], p); err != nil {
				t.Fatal(err)
			}
		}
		mapped[r] = [3]string{u, l, ti}
	}
	if len(mapped) < 2500 {
		t.Fatalf("only %d mapped characters in the reference", len(mapped))
	}
	bad := 0
	for _, rg := range ref.Assigned {
		for r := rg[0]; r <= rg[1]; r++ {
			s := string(r)
			want, ok := mapped[r]
			if !ok {
				want = [3]string{s, s, s}
			}
			// A lone Σ is not at the end of a word: Python lowers it to σ, as pyLower does.
			got := [3]string{pyUpper(s), pyLower(s), pyTitle(s)}
			if got != want {
				if bad++; bad <= 10 {
					t.Errorf("%U: upper/lower/title %+q, Python %+q", r, got, want)
				}
			}
			if c := pyCapitalize(s); c != want[2] {
				if bad++; bad <= 10 {
					t.Errorf("%U: capitalize %+q, Python %+q", r, c, want[2])
				}
			}
			// The probe sees a character that is both cased and case-ignorable (ʰ) as
			// ignorable, as the final-sigma rule does.
			if got, want := isCased(r) && !isCaseIgnorable(r), inRanges(ref.Cased, r); got != want {
				if bad++; bad <= 10 {
					t.Errorf("%U: cased and not ignorable %v, Python %v", r, got, want)
				}
			}
			if got, want := isCaseIgnorable(r), inRanges(ref.Ignorable, r); got != want {
				if bad++; bad <= 10 {
					t.Errorf("%U: isCaseIgnorable %v, Python %v", r, got, want)
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d differences from Python %s (Unicode %s)", bad, ref.Python, ref.Unicode)
	}
}

// TestCasingWords covers the final-sigma context and multi-character
// mappings inside words.
func TestCasingWords(t *testing.T) {
	ref := loadCasingRef(t)
	for _, w := range ref.Strings {
		s := w[0]
		if !utf8.ValidString(s) {
			t.Fatalf("bad reference string %q", s)
		}
		got := [4]string{pyUpper(s), pyLower(s), pyTitle(s), pyCapitalize(s)}
		want := [4]string{w[1], w[2], w[3], w[4]}
		if got != want {
			t.Errorf("%q: upper/lower/title/capitalize\n got  %+q\n want %+q", s, got, want)
		}
	}
}
