//go:build !(js && wasm)

package gguf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
)

// RangeReaderAt reads a remote file with HTTP Range requests (RFC 9110
// §14), so a GGUF header and then single tensors can be fetched from a URL
// without downloading the whole file. It is not built for js/wasm: net/http
// (with crypto/tls and the HTTP/2 client) would add about 350 KB brotli to
// lamina.wasm, whose budget is 1.5 MB, and the browser runtime reads a GGUF
// through fetch() Range requests of its own (wasm/gguf_js.go,
// site/lamina-engine.mjs openGGUF).
type RangeReaderAt struct {
	Client *http.Client
	URL    string
	ctx    context.Context
	size   int64

	requests, bytes atomic.Int64
}

// ErrNoRanges is returned when a server answers a Range request with the
// whole file (status 200) instead of the part asked for.
var ErrNoRanges = errors.New("gguf: server does not support HTTP Range requests")

// NewRangeReaderAt learns the file's size with a one-byte Range request
// (Content-Range "bytes 0-0/SIZE"); a nil client means http.DefaultClient.
func NewRangeReaderAt(ctx context.Context, client *http.Client, url string) (*RangeReaderAt, error) {
	if client == nil {
		client = http.DefaultClient
	}
	r := &RangeReaderAt{Client: client, URL: url, ctx: ctx}
	resp, err := r.get(0, 0)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1))
	resp.Body.Close()
	_, _, total, err := parseContentRange(resp.Header.Get("Content-Range"))
	if err != nil {
		return nil, err
	}
	if total < 0 {
		return nil, fmt.Errorf("gguf: %s: server did not say the file size (Content-Range %q)", url, resp.Header.Get("Content-Range"))
	}
	r.size = total
	return r, nil
}

// Size is the remote file's length.
func (r *RangeReaderAt) Size() int64 { return r.size }

// Stats reports how many Range requests were made and the bytes received.
func (r *RangeReaderAt) Stats() (requests, bytes int64) { return r.requests.Load(), r.bytes.Load() }

func (r *RangeReaderAt) get(first, last int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(r.ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", first, last))
	r.requests.Add(1)
	resp, err := r.Client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusPartialContent {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil, fmt.Errorf("%w (%s answered 200)", ErrNoRanges, r.URL)
		}
		return nil, fmt.Errorf("gguf: %s: HTTP %s", r.URL, resp.Status)
	}
	return resp, nil
}

// ReadAt fetches bytes [off, off+len(p)) with one Range request.
func (r *RangeReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("gguf: negative offset %d", off)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := int64(len(p))
	short := false
	if off+want > r.size {
		want, short = r.size-off, true
	}
	if want == 0 {
		return 0, nil
	}
	resp, err := r.get(off, off+want-1)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	first, last, _, err := parseContentRange(resp.Header.Get("Content-Range"))
	if err != nil {
		return 0, err
	}
	if first != off || last != off+want-1 {
		return 0, fmt.Errorf("gguf: %s: asked for bytes %d-%d, got %d-%d", r.URL, off, off+want-1, first, last)
	}
	n, err := io.ReadFull(resp.Body, p[:want])
	r.bytes.Add(int64(n))
	if err != nil {
		return n, err
	}
	if short {
		return n, io.EOF
	}
	return n, nil
}

// parseContentRange parses "bytes FIRST-LAST/TOTAL" (TOTAL may be "*",
// returned as -1).
func parseContentRange(s string) (first, last, total int64, err error) {
	bad := fmt.Errorf("gguf: bad Content-Range %q", s)
	rest, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, 0, 0, bad
	}
	span, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, 0, bad
	}
	a, b, ok := strings.Cut(span, "-")
	if !ok {
		return 0, 0, 0, bad
	}
	if first, err = strconv.ParseInt(a, 10, 64); err != nil || first < 0 {
		return 0, 0, 0, bad
	}
	if last, err = strconv.ParseInt(b, 10, 64); err != nil || last < first {
		return 0, 0, 0, bad
	}
	total = -1
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil || total <= last {
			return 0, 0, 0, bad
		}
	}
	return first, last, total, nil
}

// OpenURL parses the GGUF header at url through Range requests.
func OpenURL(ctx context.Context, client *http.Client, url string) (*File, *RangeReaderAt, error) {
	r, err := NewRangeReaderAt(ctx, client, url)
	if err != nil {
		return nil, nil, err
	}
	f, err := Open(r, r.Size())
	if err != nil {
		return nil, nil, err
	}
	return f, r, nil
}
