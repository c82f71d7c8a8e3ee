// Package promise bridges JavaScript Promises and goroutines under js/wasm: Await blocks a
// goroutine on a Promise, New settles a Promise with what a goroutine computes. The browser
// runtime (wasm), the WebGPU backend and the Cloudflare Worker bridge (worker/cfworkers)
// share it. A js.FuncOf callback must never block (a Promise settles only once control is
// back in the JS event loop), so Await is for goroutines only.
//
// Only promise_js.go has code; this file lets the package build (empty) natively.
package promise
