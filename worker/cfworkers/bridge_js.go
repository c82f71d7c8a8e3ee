//go:build js && wasm

package cfworkers

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall/js"

	"github.com/lamina-ml/lamina/promise"
	"github.com/syumai/workers"
)

// Serve makes h answer every request the shim passes to
// context.binding.handleRequest, then signals readiness and blocks forever:
// the instance (and everything h caches) lives until the isolate does.
func Serve(h http.Handler) {
	binding := js.Global().Get("context").Get("binding")
	handle := js.FuncOf(func(_ js.Value, args []js.Value) any {
		req := args[0]
		return promise.New(func() (any, error) { return serveOne(h, req) }, nil)
	})
	// syumai/workers' init registered its own handleRequest (single-use);
	// ours replaces it.
	binding.Set("handleRequest", handle)
	workers.Ready()
	select {}
}

func toRequest(jsReq js.Value) (*http.Request, error) {
	u, err := url.Parse(jsReq.Get("url").String())
	if err != nil {
		return nil, err
	}
	hdr := http.Header{}
	it := jsReq.Get("headers").Call("entries")
	for {
		n := it.Call("next")
		if n.Get("done").Bool() {
			break
		}
		kv := n.Get("value")
		hdr.Add(kv.Index(0).String(), kv.Index(1).String())
	}
	cl := int64(-1)
	if v := hdr.Get("Content-Length"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			cl = n
		}
	}
	var body io.ReadCloser = http.NoBody
	if b := jsReq.Get("body"); !b.IsNull() && !b.IsUndefined() {
		body = newStreamReader(b)
	} else {
		cl = 0
	}
	r := &http.Request{
		Method: jsReq.Get("method").String(), URL: u, Header: hdr, Body: body,
		ContentLength: cl, Host: u.Host, RequestURI: u.RequestURI(),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		RemoteAddr: hdr.Get("Cf-Connecting-Ip"),
	}
	return r, nil
}

// requestContext is cancelled when the client goes away: Request.signal
// fires "abort" for incoming requests with the enable_request_signal
// compatibility flag (wrangler.toml). release detaches the listener.
func requestContext(jsReq js.Value) (ctx context.Context, release func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sig := jsReq.Get("signal")
	if sig.Type() != js.TypeObject {
		return ctx, cancel
	}
	if sig.Get("aborted").Truthy() {
		cancel()
		return ctx, cancel
	}
	onAbort := js.FuncOf(func(js.Value, []js.Value) any {
		cancel()
		return nil
	})
	sig.Call("addEventListener", "abort", onAbort)
	return ctx, func() {
		sig.Call("removeEventListener", "abort", onAbort)
		onAbort.Release()
		cancel()
	}
}

// serveOne runs h for one JS Request and resolves with a JS Response as
// soon as the response head is known: when h returns (the body is sent as
// one buffer), when h flushes (SSE: the body becomes a stream fed as h
// writes), or when h hands over a JS stream (R2 object bodies).
func serveOne(h http.Handler, jsReq js.Value) (js.Value, error) {
	req, err := toRequest(jsReq)
	if err != nil {
		return js.Undefined(), err
	}
	ctx, release := requestContext(jsReq)
	req = req.WithContext(ctx)
	w := &responseWriter{header: http.Header{}, status: http.StatusOK, head: make(chan struct{}), method: req.Method}
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer release()
		defer req.Body.Close()
		defer func() {
			if r := recover(); r != nil {
				w.fail(r)
			}
		}()
		h.ServeHTTP(w, req)
		w.finish()
	}()
	select {
	case <-w.head:
	case <-finished:
	}
	return w.response(), nil
}

// responseWriter is an http.ResponseWriter that becomes a JS Response.
type responseWriter struct {
	header http.Header
	status int
	method string
	wrote  bool

	mu       sync.Mutex
	buf      bytes.Buffer
	headOnce sync.Once
	head     chan struct{} // closed when the Response can be built now
	pipe     *io.PipeWriter
	stream   js.Value // body as a JS ReadableStream, if not buf
}

// JSBodyWriter is implemented by the ResponseWriter Serve hands to the
// handler; a body that is already a JS ReadableStream (an R2 object) is
// passed through with WriteJSBody instead of being copied through Go.
type JSBodyWriter interface {
	WriteJSBody(stream js.Value)
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.mu.Lock()
	pw := w.pipe
	if pw == nil {
		w.buf.Write(p)
	}
	w.mu.Unlock()
	if pw != nil {
		return pw.Write(p)
	}
	return len(p), nil
}

// Flush switches to streaming: the Response goes out now and later writes
// flow into its body as the client reads.
func (w *responseWriter) Flush() {
	w.WriteHeader(http.StatusOK)
	w.mu.Lock()
	if w.pipe == nil && w.stream.IsUndefined() {
		pr, pw := io.Pipe()
		w.pipe = pw
		pending := append([]byte(nil), w.buf.Bytes()...)
		w.buf.Reset()
		w.stream = readerStream(io.MultiReader(bytes.NewReader(pending), pr), pr)
	}
	w.mu.Unlock()
	w.headOnce.Do(func() { close(w.head) })
}

func (w *responseWriter) WriteJSBody(stream js.Value) {
	w.WriteHeader(http.StatusOK)
	w.mu.Lock()
	w.stream = stream
	w.mu.Unlock()
	w.headOnce.Do(func() { close(w.head) })
}

func (w *responseWriter) finish() {
	w.mu.Lock()
	if w.pipe != nil {
		w.pipe.Close()
	}
	w.mu.Unlock()
}

func (w *responseWriter) fail(r any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pipe != nil {
		w.pipe.CloseWithError(io.ErrUnexpectedEOF)
		return
	}
	w.status = http.StatusInternalServerError
	w.header = http.Header{"Content-Type": {"application/json"}, "Access-Control-Allow-Origin": {"*"}}
	w.buf.Reset()
	w.buf.WriteString(`{"error":{"message":"internal error","type":"server_error","code":"panic"}}` + "\n")
}

func (w *responseWriter) response() js.Value {
	w.mu.Lock()
	defer w.mu.Unlock()
	init := jsObject.New()
	init.Set("status", w.status)
	hdrs := jsObject.New()
	for k, vs := range w.header {
		for _, v := range vs {
			// Content-Length of a buffered body is set by the runtime;
			// a stale one here would make it reject the Response.
			if http.CanonicalHeaderKey(k) == "Content-Length" && w.method != http.MethodHead && w.status != http.StatusNotModified {
				continue
			}
			if prev := hdrs.Get(k); !prev.IsUndefined() {
				v = prev.String() + ", " + v
			}
			hdrs.Set(k, v)
		}
	}
	init.Set("headers", hdrs)
	nullBody := w.method == http.MethodHead || w.status == http.StatusNoContent || w.status == http.StatusNotModified || w.status < 200
	var body js.Value
	switch {
	case nullBody:
		body = js.Null()
	case !w.stream.IsUndefined():
		body = w.stream
	default:
		body = bytesToJS(w.buf.Bytes())
	}
	return jsResponse.New(body, init)
}

// readerStream exposes r as a JS ReadableStream pulled on demand.
func readerStream(r io.Reader, c io.Closer) js.Value {
	buf := make([]byte, 32<<10)
	src := jsObject.New()
	var pull, cancel js.Func
	pull = js.FuncOf(func(_ js.Value, args []js.Value) any {
		ctrl := args[0]
		return promise.New(func() (any, error) {
			n, err := r.Read(buf)
			if n > 0 {
				ctrl.Call("enqueue", bytesToJS(buf[:n]))
			}
			if err != nil {
				if err == io.EOF {
					ctrl.Call("close")
				} else {
					ctrl.Call("error", jsError.New(err.Error()))
				}
				pull.Release()
				cancel.Release()
			}
			return js.Undefined(), nil
		}, nil)
	})
	cancel = js.FuncOf(func(js.Value, []js.Value) any {
		c.Close()
		return nil
	})
	src.Set("pull", pull)
	src.Set("cancel", cancel)
	return jsReadable.New(src)
}
