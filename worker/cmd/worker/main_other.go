//go:build !(js && wasm)

// Command worker is lamina's Cloudflare Worker (built for js/wasm by
// worker/build.sh). Built natively it serves the same handler over a local
// models folder, which is handy to try the API without wrangler:
//
//	go run ./worker/cmd/worker -models /tmp/lamina-models -addr 127.0.0.1:8788
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"

	"github.com/lamina-ml/lamina/worker"
)

func main() {
	models := flag.String("models", "models", "models folder, one subfolder per model")
	addr := flag.String("addr", "127.0.0.1:8788", "listen address")
	flag.Parse()
	if _, err := os.Stat(*models); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
	h := worker.New(worker.Config{Store: worker.FSStore{FS: os.DirFS(*models)}, LoadLM: worker.LoadCPU, LoadSVG: worker.LoadSVGCPU})
	fmt.Fprintf(os.Stderr, "worker: serving %s on http://%s\n", *models, *addr)
	if err := http.ListenAndServe(*addr, h); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}
