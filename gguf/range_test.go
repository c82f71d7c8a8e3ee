//go:build !(js && wasm)

package gguf_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lamina-ml/lamina/gguf"
)

// rangeLog records the Range header of every request; requests without
// one (which would download the whole file) are counted separately.
type rangeLog struct {
	mu     sync.Mutex
	ranges []string
	whole  int
}

func serve(t *testing.T, data []byte, ranges bool) (*httptest.Server, *rangeLog) {
	log := &rangeLog{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.mu.Lock()
		if rg := r.Header.Get("Range"); rg != "" {
			log.ranges = append(log.ranges, rg)
		} else {
			log.whole++
		}
		log.mu.Unlock()
		if !ranges {
			r.Header.Del("Range")
		}
		http.ServeContent(w, r, "model.gguf", time.Time{}, bytes.NewReader(data))
	}))
	t.Cleanup(srv.Close)
	return srv, log
}

// Opening a GGUF by URL and reading one tensor fetches only byte ranges,
// and far fewer bytes than the file holds.
func TestOpenURLRanges(t *testing.T) {
	f0, data := exportFixtureTok(t, "llama-tiny", gguf.F32)
	srv, log := serve(t, data, true)
	f, rr, err := gguf.OpenURL(context.Background(), srv.Client(), srv.URL+"/model.gguf")
	if err != nil {
		t.Fatal(err)
	}
	if f.DataOffset != f0.DataOffset || len(f.Tensors) != len(f0.Tensors) || len(f.KV) != len(f0.KV) {
		t.Fatalf("header over HTTP differs: data offset %d vs %d", f.DataOffset, f0.DataOffset)
	}
	name := "blk.1.attn_norm.weight"
	got, _, err := f.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := f0.Float32(name)
	if !reflect.DeepEqual(got, want) {
		t.Fatal("tensor read over HTTP differs")
	}
	reqs, n := rr.Stats()
	t.Logf("%d Range requests, %d of %d bytes", reqs, n, len(data))
	if log.whole != 0 {
		t.Errorf("%d requests without a Range header", log.whole)
	}
	if int(reqs) != len(log.ranges) || n >= int64(len(data))/2 {
		t.Errorf("fetched %d of %d bytes in %d requests (server saw %v)", n, len(data), reqs, log.ranges)
	}
	for _, rg := range log.ranges {
		if !strings.HasPrefix(rg, "bytes=") || strings.Contains(rg, ",") {
			t.Errorf("unexpected Range %q", rg)
		}
	}
}

// A server that ignores Range (answers 200 with the whole file) is
// reported instead of being downloaded.
func TestOpenURLNoRanges(t *testing.T) {
	_, data := exportFixtureTok(t, "gpt2-tiny", gguf.F16)
	srv, _ := serve(t, data, false)
	_, _, err := gguf.OpenURL(context.Background(), srv.Client(), srv.URL)
	if !errors.Is(err, gguf.ErrNoRanges) {
		t.Fatalf("err = %v, want ErrNoRanges", err)
	}
}

func TestOpenURLNotFound(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	if _, _, err := gguf.OpenURL(context.Background(), srv.Client(), srv.URL); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("err = %v", err)
	}
}
