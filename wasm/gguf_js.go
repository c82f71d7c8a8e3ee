//go:build js && wasm

package main

import (
	"fmt"
	"io"
	"syscall/js"

	"github.com/lamina-ml/lamina/promise"
)

// codeNetwork is a failed read of the page's reader (lamina-engine.mjs's
// Range requests): the JS side's own 'network' code.
const codeNetwork = "network"

// jsReaderAt reads a file through a JS function read(offset, length) →
// Promise<Uint8Array> (lamina-engine.mjs: a Range request, or a slice of
// a whole download). ReadAt blocks its goroutine on the Promise, so it is
// called only from async work, never from a js.FuncOf callback.
type jsReaderAt struct {
	read js.Value
	size int64
}

func (r *jsReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("lamina: negative offset %d", off)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), r.size-off)
	v, err := promise.Await(r.read.Invoke(float64(off), float64(want)))
	if err != nil {
		return 0, coded(codeNetwork, "lamina: reading bytes %d-%d: %v", off, off+want-1, err)
	}
	if !v.InstanceOf(jsUint8Array) || int64(v.Length()) != want {
		return 0, coded(codeNetwork, "lamina: reading bytes %d-%d: got %d bytes", off, off+want-1, v.Length())
	}
	n := js.CopyBytesToGo(p[:want], v)
	if int64(n) < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

// loadGGUF(runtimeID, size, read) → Promise<{id, info, tokenizerJSON}>:
// a GGUF file of size bytes read through read(offset, length).
func loadGGUF(a []js.Value) any {
	rtID, size, read := a[0].Int(), int64(a[1].Float()), a[2]
	if read.Type() != js.TypeFunction || size <= 0 {
		return jsPromise.Call("reject", newJSError(coded(codeBadInput, "lamina: loadGGUF needs a size and a read function")))
	}
	return async("loadGGUF", func() (any, error) {
		id, lm, tok, err := reg.loadGGUF(rtID, &jsReaderAt{read: read, size: size}, size)
		if err != nil {
			return nil, err
		}
		info, err := jsonString(lm.info)
		if err != nil {
			return nil, err
		}
		out := map[string]any{"id": id, "info": info, "tokenizerJSON": nil}
		if tok != nil {
			u8 := jsUint8Array.New(len(tok))
			js.CopyBytesToJS(u8, tok)
			out["tokenizerJSON"] = u8
		}
		return out, nil
	})
}
