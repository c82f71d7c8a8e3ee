//go:build js && wasm

package vector

import (
	"encoding/binary"
	"fmt"
	"math"
	"syscall/js"
)

// SubpathsToJS is PackSubpaths(nil, subs) as a new Float64Array.
func SubpathsToJS(subs []Subpath) js.Value {
	v := PackSubpaths(nil, subs)
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	u8 := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u8, b)
	return js.Global().Get("Float64Array").New(u8.Get("buffer"))
}

// SubpathsFromJS reads a Float64Array that SubpathsToJS (or PackSubpaths) wrote.
func SubpathsFromJS(v js.Value) ([]Subpath, error) {
	if !v.InstanceOf(js.Global().Get("Float64Array")) {
		return nil, fmt.Errorf("%w: not a Float64Array", ErrPacked)
	}
	n := v.Get("length").Int()
	b := make([]byte, 8*n)
	js.CopyBytesToGo(b, js.Global().Get("Uint8Array").New(v.Get("buffer"), v.Get("byteOffset"), 8*n))
	data := make([]float64, n)
	for i := range data {
		data[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return UnpackSubpaths(data)
}
