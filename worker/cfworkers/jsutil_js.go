//go:build js && wasm

package cfworkers

import (
	"io"
	"syscall/js"

	"github.com/lamina-ml/lamina/promise"
)

// JS classes, looked up once.
var (
	jsObject      = js.Global().Get("Object")
	jsResponse    = js.Global().Get("Response")
	jsUint8Array  = js.Global().Get("Uint8Array")
	jsError       = js.Global().Get("Error")
	jsReadable    = js.Global().Get("ReadableStream")
	jsFixedStream = js.Global().Get("FixedLengthStream")
)

// bytesToJS copies b into a new Uint8Array.
func bytesToJS(b []byte) js.Value {
	a := jsUint8Array.New(len(b))
	js.CopyBytesToJS(a, b)
	return a
}

// streamReader reads a JS ReadableStream from Go.
type streamReader struct {
	stream js.Value
	reader js.Value
	buf    []byte
	done   bool
}

func newStreamReader(stream js.Value) *streamReader { return &streamReader{stream: stream} }

func (r *streamReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.done {
			return 0, io.EOF
		}
		if r.reader.IsUndefined() {
			r.reader = r.stream.Call("getReader")
		}
		res, err := promise.Await(r.reader.Call("read"))
		if err != nil {
			return 0, err
		}
		if res.Get("done").Bool() {
			r.done = true
			return 0, io.EOF
		}
		chunk := res.Get("value")
		// Chunks may be any ArrayBufferView; view the bytes as Uint8Array.
		u8 := jsUint8Array.New(chunk.Get("buffer"), chunk.Get("byteOffset"), chunk.Get("byteLength"))
		r.buf = make([]byte, u8.Get("byteLength").Int())
		js.CopyBytesToGo(r.buf, u8)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// Close reads what is left of the stream (up to closeDrainLimit) before
// letting go of it. Cancelling an unread request body makes workerd drop
// the connection, so the client never sees the answer (a 405 or 413 sent
// without reading the body) and the next request on a kept-alive
// connection fails; draining keeps the connection usable.
func (r *streamReader) Close() error {
	if r.done {
		return nil
	}
	r.buf = nil
	n, _ := io.Copy(io.Discard, io.LimitReader(r, closeDrainLimit))
	if n >= closeDrainLimit && !r.done {
		if r.reader.IsUndefined() {
			r.stream.Call("cancel")
		} else {
			r.reader.Call("cancel")
		}
	}
	r.done = true
	return nil
}

// closeDrainLimit bounds the bytes Close reads and drops.
const closeDrainLimit = 16 << 20
