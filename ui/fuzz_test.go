package ui

import (
	"bytes"
	"testing"
)

// FuzzUnmarshalDocument: saved documents come from browser storage; decoding must fail with
// an error, never panic, and whatever decodes must re-encode to the same SVG.
func FuzzUnmarshalDocument(f *testing.F) {
	f.Add([]byte(`{"version":1,"viewBox":[0,0,36,36],"nextId":2,"layers":[{"id":1,"name":"a","fill":"#ff0000","opacity":1,"transform":[1,0,0,1,0,0],"d":"M0 0C1 0 2 0 3 3Z"}]}`))
	f.Add([]byte(`{"version":1,"viewBox":[0,0,36,36],"layers":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := UnmarshalDocument(data)
		if err != nil {
			return
		}
		svg := d.SVG()
		d2, err := UnmarshalDocument(MarshalDocument(d))
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if !bytes.Equal(d2.SVG(), svg) {
			t.Fatal("round trip changed the SVG")
		}
	})
}
