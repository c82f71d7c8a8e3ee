//go:build js && wasm

package cfworkers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"syscall/js"

	"github.com/lamina-ml/lamina/promise"
	"github.com/lamina-ml/lamina/worker"
	"github.com/syumai/workers/cloudflare"
)

// R2Store is a worker.Store over an R2 bucket binding
// (https://developers.cloudflare.com/r2/api/workers/workers-api-reference/).
type R2Store struct {
	// Binding is the bucket's variable name in wrangler.toml.
	Binding string
}

var _ worker.Store = R2Store{}

// Get implements worker.Store with R2's ranged get: {range: {offset,
// length}} asks R2 for exactly the bytes needed.
func (s R2Store) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	bucket := cloudflare.GetBinding(s.Binding)
	if bucket.IsUndefined() {
		return nil, fmt.Errorf("no R2 binding %q in this worker's environment", s.Binding)
	}
	opts := jsObject.New()
	if off > 0 || n >= 0 {
		rng := jsObject.New()
		rng.Set("offset", off)
		if n >= 0 {
			rng.Set("length", n)
		}
		opts.Set("range", rng)
	}
	obj, err := promise.Await(bucket.Call("get", key, opts))
	if err != nil {
		return nil, fmt.Errorf("r2 get %s: %w", key, err)
	}
	if obj.IsNull() || obj.IsUndefined() {
		return nil, worker.ErrNotFound
	}
	return &r2Body{obj: obj}, nil
}

// r2Body is an R2ObjectBody. Read fetches the whole (ranged) body with one
// arrayBuffer() call — far fewer JS↔Go crossings than reading the stream
// chunk by chunk — and WriteTo passes the stream itself to a Response.
type r2Body struct {
	obj  js.Value
	data *bytes.Reader
	used bool
}

func (b *r2Body) Read(p []byte) (int, error) {
	if b.data == nil {
		if b.used {
			return 0, errors.New("r2 body already streamed")
		}
		b.used = true
		ab, err := promise.Await(b.obj.Call("arrayBuffer"))
		if err != nil {
			return 0, err
		}
		u8 := jsUint8Array.New(ab)
		buf := make([]byte, u8.Get("byteLength").Int())
		js.CopyBytesToGo(buf, u8)
		b.data = bytes.NewReader(buf)
	}
	return b.data.Read(p)
}

// WriteTo hands the body's ReadableStream to a JSBodyWriter untouched;
// io.Copy(responseWriter, body) uses it.
func (b *r2Body) WriteTo(w io.Writer) (int64, error) {
	if jw, ok := w.(JSBodyWriter); ok && !b.used && b.data == nil {
		b.used = true
		jw.WriteJSBody(b.obj.Get("body"))
		n := int64(b.obj.Get("size").Int())
		if r := b.obj.Get("range"); r.Type() == js.TypeObject && r.Get("length").Type() == js.TypeNumber {
			n = int64(r.Get("length").Int())
		}
		return n, nil
	}
	return io.Copy(w, onlyReader{b})
}

type onlyReader struct{ io.Reader }

func (b *r2Body) Close() error {
	if !b.used {
		// Release the unread stream.
		b.obj.Get("body").Call("cancel")
		b.used = true
	}
	return nil
}
