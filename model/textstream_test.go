package model

import "testing"

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

