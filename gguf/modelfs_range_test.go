//go:build !(js && wasm)

package gguf_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lamina-ml/lamina/gguf"
)

// rangeServer serves data with http.ServeContent (Range support) or, with
// ranges false, always the whole body with status 200.
func rangeServer(t *testing.T, data []byte, ranges bool) (*httptest.Server, *int) {
	requests := new(int)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*requests++
		if !ranges {
			w.Write(data)
			return
		}
		http.ServeContent(w, r, "m.gguf", time.Time{}, bytes.NewReader(data))
	}))
	t.Cleanup(srv.Close)
	return srv, requests
}

// TestModelFSOverRange: the same file by URL through Range requests gives
// the same outputs, one request per tensor built (not one for the whole
// file); a server without Range support is reported as ErrNoRanges.
func TestModelFSOverRange(t *testing.T) {
	_, data, ref := readMixedFixture(t)
	srv, requests := rangeServer(t, data, true)
	f, rr, err := gguf.OpenURL(t.Context(), srv.Client(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	lp, greedy, _ := laminaMixed(t, f)
	compareMixed(t, ref, lp, greedy)
	n, got := rr.Stats()
	var tensorBytes int64
	for _, ti := range f.Tensors {
		tensorBytes += int64(ti.Size)
	}
	t.Logf("%d Range requests, %d bytes (file %d, tensor data %d, header %d)", n, got, len(data), tensorBytes, f.DataOffset)
	// The header is read in growing chunks (from 64 KiB), which may run
	// into the data; every tensor is then fetched once.
	if n > int64(len(f.Tensors))+8 || got-tensorBytes > 2*f.DataOffset+64<<10 {
		t.Errorf("%d requests for %d bytes: want about one per tensor, each tensor once", n, got)
	}
	if *requests != int(n) {
		t.Errorf("server saw %d requests, reader counted %d", *requests, n)
	}
	plain, _ := rangeServer(t, data, false)
	if _, _, err := gguf.OpenURL(t.Context(), plain.Client(), plain.URL); !errors.Is(err, gguf.ErrNoRanges) {
		t.Errorf("server without ranges: err %v, want ErrNoRanges", err)
	}
}
