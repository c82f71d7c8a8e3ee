package dataset

import (
	"bytes"
	"errors"
	"testing"
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
