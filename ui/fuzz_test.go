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

// FuzzImportSVG: imported SVGs come from anywhere; ImportSVG must fail with an error, never
// panic, and a document it accepts must keep its hidden flags and names through export → import
// (when the re-import keeps every layer: the writer's rounding may drop a sliver).
func FuzzImportSVG(f *testing.F) {
	f.Add([]byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36"><path d="M0 0H4V4Z" display="none"/><path d="M1 1H5V5Z"/></svg>`))
	f.Add([]byte(`<svg viewBox="0 0 10 10"><g style="display:none" transform="rotate(10)"><rect width="3" height="2" stroke="red"/></g><g visibility="hidden"><circle r="2" visibility="visible"/></g></svg>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ImportSVG(data)
		if err != nil {
			return
		}
		again, err := ImportSVG(d.SVG())
		if err != nil || len(again.Layers) != len(d.Layers) {
			return
		}
		for i := range d.Layers {
			if again.Layers[i].Hidden != d.Layers[i].Hidden {
				t.Fatalf("layer %d hidden %v after export → import, was %v", i, again.Layers[i].Hidden, d.Layers[i].Hidden)
			}
			if again.Layers[i].Name != d.Layers[i].Name {
				t.Fatalf("layer %d named %q after export → import, was %q", i, again.Layers[i].Name, d.Layers[i].Name)
			}
		}
	})
}
