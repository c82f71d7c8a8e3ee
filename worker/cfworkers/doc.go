// Package cfworkers runs a worker.Handler inside Cloudflare Workers.
//
// It replaces syumai/workers' per-request Go instance with one that lives as
// long as the isolate: worker/js/shim.mjs instantiates the Go wasm module
// once, and Serve registers a handleRequest function that every later
// request calls. That is what keeps loaded model weights warm. syumai's
// own workers.Serve cannot be reused across requests: its handler closes a
// package-level channel when the first response body is closed
// (workers@v0.32.0 handler_js.go, appCloser.Close), so a second response
// would panic with "close of closed channel", and Serve returns — ending the
// Go program — after the first one.
//
// From syumai/workers it keeps the boot protocol (wasm_exec.js with its
// `context` global, the workers.ready import) and cloudflare.GetBinding for
// the R2 bucket. The bucket is read with its own small R2 client (R2Store)
// because syumai's r2 package has no ranged get and copies bodies through Go
// chunk by chunk; R2Store asks R2 for exactly the requested range and hands
// the object's ReadableStream straight to the Response without copying it
// through wasm memory.
//
// Everything here is js/wasm only; the handler it serves is tested natively
// in package worker.
package cfworkers
