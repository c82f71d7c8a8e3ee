package worker

import (
	"net/http/httptest"
	"os"
	"testing"
)

// TestHandlerSuite runs the HTTP suite natively: the handler over the
// fixture models folder with the real CPU runtime, behind httptest.
func TestHandlerSuite(t *testing.T) {
	h := New(Config{Store: FSStore{FS: os.DirFS(modelsDir)}, LoadLM: LoadCPU, LoadSVG: LoadSVGCPU})
	srv := httptest.NewServer(h)
	defer srv.Close()
	runSuite(t, newSuite(srv.URL, false))
}

// TestWorkerSuite runs the same suite against a running worker, e.g.
//
//	LAMINA_WORKER_URL=http://127.0.0.1:8787 go test ./worker -run TestWorkerSuite -v
//
// worker/test/run.sh starts `wrangler dev` and does this.
func TestWorkerSuite(t *testing.T) {
	base := os.Getenv("LAMINA_WORKER_URL")
	if base == "" {
		t.Skip("LAMINA_WORKER_URL not set (worker/test/run.sh sets it)")
	}
	runSuite(t, newSuite(base, true))
}

// TestWorkerPerRequestMode measures syumai/workers' default behaviour — a
// fresh Go instance for every request — for comparison with the shim's
// persistent instance. It needs a worker started with
// `--var LAMINA_INSTANCE_MODE:per-request` at LAMINA_WORKER_PER_REQUEST_URL
// (worker/test/run.sh does that after the main suite).
func TestWorkerPerRequestMode(t *testing.T) {
	base := os.Getenv("LAMINA_WORKER_PER_REQUEST_URL")
	if base == "" {
		t.Skip("LAMINA_WORKER_PER_REQUEST_URL not set")
	}
	s := newSuite(base, true)
	s.perRequest(t)
}
