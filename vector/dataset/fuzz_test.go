package dataset

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/lamina-ml/lamina/vector"
)

// FuzzReadNPY: arbitrary bytes give a shape and data or an ErrNPY, never a panic or an
// allocation beyond maxNPYValues.
func FuzzReadNPY(f *testing.F) {
	var b bytes.Buffer
	WriteNPY(&b, []int{2, 2}, []float32{1, 2, 3, 4})
	f.Add(b.Bytes())
	f.Add([]byte("\x93NUMPY\x01\x00\x40\x00{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }"))
	f.Add([]byte("\x93NUMPY\x01\x00\x20\x00{'descr': '<f4', 'shape': (-1,)}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		shape, vals, err := ReadNPY(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrNPY) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		n := 1
		for _, s := range shape {
			n *= s
		}
		if n != len(vals) {
			t.Fatalf("shape %v but %d values", shape, len(vals))
		}
	})
}

// FuzzLoadIconify: arbitrary icons.json and chars.json give items (each SVG either parses or
// fails with a vector error) or an ErrIconSet, never a panic.
func FuzzLoadIconify(f *testing.F) {
	f.Add([]byte(`{"prefix":"x","width":36,"height":36,"icons":{"red-heart":{"body":"<path d='M0 0h9v9z'/>"}}}`), []byte(`{"2764":"red-heart"}`))
	f.Add([]byte(`{"icons":{"a":{"body":"</svg><svg>","width":-1}},"aliases":{"b":{"parent":"a"}}}`), []byte(`{"2764-fe0f":"a","2764":"a"}`))
	f.Add([]byte(`{"icons":[]}`), []byte(`[]`))
	meta := map[string]emojiInfo{"2764": {Label: "red heart"}, "1F600": {Label: "grinning face"}}
	f.Fuzz(func(t *testing.T, icons, chars []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "icons.json"), icons, 0o644)
		os.WriteFile(filepath.Join(dir, "chars.json"), chars, 0o644)
		for _, s := range []Set{{Name: "c"}, {Name: "n", ByName: true}, {Name: "d", ByName: true, NoDashes: true}} {
			rep := &SetReport{Dropped: map[string]int{}, Examples: map[string][]string{}}
			items, err := loadIconify(dir, s, 0, meta, map[string]string{"redheart": "2764"}, rep)
			if err != nil {
				if !errors.Is(err, ErrIconSet) {
					t.Fatalf("untyped error %v", err)
				}
				continue
			}
			for _, it := range items {
				if _, ok := meta[it.hex]; !ok && s.ByName {
					t.Fatalf("%s joined by name to unknown %s", it.name, it.hex)
				}
				vector.ParseSVG(it.svg) // must not panic
			}
		}
	})
}
