//go:build js && wasm

// Command worker is lamina's Cloudflare Worker. Built for js/wasm by
// worker/build.sh and booted by worker/js/shim.mjs, it serves worker.Handler
// over the MODELS R2 bucket and keeps loaded models for the isolate's life.
// Built natively it is a plain HTTP server over a models folder (see
// main_other.go).
package main

import (
	"runtime/debug"

	"github.com/lamina-ml/lamina/worker"
	"github.com/lamina-ml/lamina/worker/cfworkers"
)

// modelsBinding is the R2 bucket binding's name in wrangler.toml.
const modelsBinding = "MODELS"

// goMemoryLimit is the Go heap's soft limit. An isolate has 128 MB for
// everything (JS heap and wasm memory, which never shrinks), so the GC has
// to work harder well before that instead of letting the heap double.
const goMemoryLimit = 96 << 20

func main() {
	debug.SetMemoryLimit(goMemoryLimit)
	h := worker.New(worker.Config{
		Store:   cfworkers.R2Store{Binding: modelsBinding},
		LoadLM:  worker.LoadCPU,
		LoadSVG: worker.LoadSVGCPU,
	})
	cfworkers.Serve(h)
}
