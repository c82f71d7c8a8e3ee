//go:build js && wasm

package wasmsimd

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/lamina-ml/lamina/promise"
)

// ErrNoThreads is loadThreads' error where memory cannot be shared between
// threads: no SharedArrayBuffer, a page that is not cross-origin isolated,
// or no Worker (worker_threads in Node). Load then takes one thread.
var ErrNoThreads = errors.New("wasmsimd: no threads here (a shared WebAssembly.Memory needs a cross-origin isolated page and Web Workers)")

// pool is an engine's threads: the driver's run on the calling thread and
// the workers, all over the shared memory.
type pool struct {
	threads int      // the calling one included
	ctrl    int      // offset of the control block
	run     js.Value // the driver's run on this thread
	canWait int      // 1 where this thread may Atomics.wait
	workers []js.Value
	// MinWork is the fewest multiply-adds (T·K·Np·8) a product needs to be
	// split; smaller ones (decode's small matvecs) run on the calling
	// thread alone, where dispatching would cost more than it saves.
	minWork int
	self    int // 1: this thread takes chunks too; 0 only in tests
}

// DefaultMinWork is the split threshold of a new threaded engine (see
// Engine.SetMinWork): 96K multiply-adds, a 256×384 f16 matvec.
const DefaultMinWork = 96 << 10

// WorkerSpin is how many times a worker of an engine loaded after it is
// set reads the job generation before it sleeps in Atomics.wait (a
// variable for benchmarks): decode's products come tens of microseconds
// apart, and a wake-up from a futex costs about as much, but a spinning
// worker takes CPU time the calling thread may want on a busy machine —
// on the loaded 2-core machine of bench/wasmsimd/RESULTS.md polling 2^16
// or 2^20 times made 2 threads slower than one; 0 and 2048 did not.
var WorkerSpin = 2048

// Threads is the number of threads the engine's products run on.
func (e *Engine) Threads() int {
	if e.pool == nil {
		return 1
	}
	return e.pool.threads
}

// SetMinWork sets the fewest multiply-adds (T·K·Np·8) a product needs to be
// split between the threads (for benchmarks; DefaultMinWork at first).
func (e *Engine) SetMinWork(n int) {
	if e.pool != nil {
		e.pool.minWork = n
	}
}

// Close stops the engine's workers; the engine runs on one thread after.
func (e *Engine) Close() {
	p := e.pool
	if p == nil {
		return
	}
	e.pool = nil
	p.run.Invoke(p.ctrl, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) // kind -1: quit
	for _, w := range p.workers {
		w.Call("terminate")
	}
}

// mul runs mm_<d> (see the package comment), split between the threads
// when the engine has them and the product is worth it; stride is the
// bytes of scratch each thread has (thread i's at scratch + i·stride), psz
// the bytes of one panel of w, aux the kernel's last argument.
func (e *Engine) mul(d dtype, w, x, out, T, K, np, scratch, stride, psz, aux int) {
	if p := e.pool; p != nil {
		if mode, chunk, n := plan(p.threads, T, K, np, p.minWork); n > 1 {
			p.run.Invoke(p.ctrl, int(d), w, x, out, T, K, np, scratch, stride, mode, chunk, psz, aux, n, p.canWait, p.self)
			return
		}
	}
	e.mm[d].Invoke(w, x, out, T, K, np, scratch, aux)
}

// workerJS is each worker's script: it instantiates the kernel and driver
// modules over the shared memory it is sent, says "ready", and runs the
// driver's work loop until the engine closes.
const workerJS = `"use strict";
const node = typeof self === "undefined";
const port = node ? require("worker_threads").parentPort : self;
const start = (m) => {
  try {
    const env = { memory: m.memory };
    const k = new WebAssembly.Instance(m.kern, { env }).exports;
    const d = new WebAssembly.Instance(m.drv, { env, k }).exports;
    port.postMessage("ready");
    d.work(m.ctrl, m.id, m.spin);
  } catch (e) {
    port.postMessage({ error: String(e && e.stack || e) });
  }
  if (!node) self.close();
};
if (node) port.once("message", start); else self.onmessage = (e) => start(e.data);
`

// loadThreads makes an engine on n threads, or fails with ErrNoThreads (or
// an instantiation error).
func loadThreads(ctx context.Context, n int) (*Engine, error) {
	g := js.Global()
	if jsWebAssembly.IsUndefined() || g.Get("SharedArrayBuffer").IsUndefined() {
		return nil, ErrNoThreads
	}
	if coi := g.Get("crossOriginIsolated"); coi.Type() == js.TypeBoolean && !coi.Bool() {
		return nil, ErrNoThreads
	}
	newWorker := workerMaker()
	if newWorker == nil {
		return nil, ErrNoThreads
	}
	shared, err := SharedModule(kernelsWasm)
	if err != nil {
		return nil, err
	}
	kern, err := compile(ctx, shared)
	if err != nil {
		return nil, err
	}
	drv, err := compile(ctx, driverWasm)
	if err != nil {
		return nil, err
	}
	mem, err := sharedMemory()
	if err != nil {
		return nil, err
	}
	env := js.ValueOf(map[string]any{"memory": mem})
	ki, err := promise.AwaitContext(ctx, jsWebAssembly.Call("instantiate", kern, js.ValueOf(map[string]any{"env": env})))
	if err != nil {
		return nil, fmt.Errorf("wasmsimd: instantiating the shared kernel module: %w", err)
	}
	ex := ki.Get("exports")
	// The driver imports its kernels (kernelNames) from the exports.
	di, err := promise.AwaitContext(ctx, jsWebAssembly.Call("instantiate", drv, js.ValueOf(map[string]any{"env": env, "k": ex})))
	if err != nil {
		return nil, fmt.Errorf("wasmsimd: instantiating the driver module: %w", err)
	}
	e := newEngine(ex)
	ctrl, err := e.alloc(ctrlSize)
	if err != nil {
		return nil, err
	}
	p := &pool{threads: n, ctrl: ctrl.off, run: di.Get("exports").Get("run"), canWait: canWait(), minWork: DefaultMinWork, self: 1}
	stop := func() {
		for _, w := range p.workers {
			w.Call("terminate")
		}
	}
	for id := 1; id < n; id++ {
		w, err := startWorker(ctx, newWorker, map[string]any{"kern": kern, "drv": drv, "memory": mem, "ctrl": ctrl.off, "id": id, "spin": WorkerSpin})
		if w.Truthy() {
			p.workers = append(p.workers, w)
		}
		if err != nil {
			stop()
			return nil, err
		}
	}
	e.pool = p
	return e, nil
}

func compile(ctx context.Context, b []byte) (js.Value, error) {
	arr := jsUint8Array.New(len(b))
	js.CopyBytesToJS(arr, b)
	m, err := promise.AwaitContext(ctx, jsWebAssembly.Call("compile", arr))
	if err != nil {
		return js.Value{}, fmt.Errorf("wasmsimd: compiling a threads module: %w", err)
	}
	return m, nil
}

// sharedMemory makes the shared memory (minPages, at most maxPages).
func sharedMemory() (mem js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrNoThreads, r)
		}
	}()
	return jsWebAssembly.Get("Memory").New(js.ValueOf(map[string]any{"initial": minPages, "maximum": maxPages, "shared": true})), nil
}

// canWait is 1 where this thread may block in Atomics.wait (not a
// browser's main thread), else 0.
func canWait() (ok int) {
	defer func() {
		if recover() != nil {
			ok = 0
		}
	}()
	a := js.Global().Get("Int32Array").New(js.Global().Get("SharedArrayBuffer").New(4))
	js.Global().Get("Atomics").Call("wait", a, 0, 1, 0) // "not-equal", or a TypeError
	return 1
}

// workerMaker returns how to start a worker running workerJS: a Web
// Worker on a blob: URL, or a worker_threads Worker in Node (unref'd, so
// that it does not keep the process alive); nil where there is neither.
func workerMaker() func() js.Value {
	g := js.Global()
	if w := g.Get("Worker"); !w.IsUndefined() && !g.Get("Blob").IsUndefined() && !g.Get("URL").IsUndefined() {
		blob := g.Get("Blob").New(js.ValueOf([]any{workerJS}), js.ValueOf(map[string]any{"type": "text/javascript"}))
		url := g.Get("URL").Call("createObjectURL", blob)
		return func() js.Value { return w.New(url) }
	}
	if req := g.Get("require"); req.Type() == js.TypeFunction {
		wt, err := tryCall(func() js.Value { return req.Invoke("worker_threads") })
		if err != nil || wt.Get("Worker").IsUndefined() {
			return nil
		}
		return func() js.Value {
			w := wt.Get("Worker").New(workerJS, js.ValueOf(map[string]any{"eval": true}))
			w.Call("unref")
			return w
		}
	}
	return nil
}

func tryCall(f func() js.Value) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return f(), nil
}

// startWorker starts one worker, sends it msg and waits for its "ready".
func startWorker(ctx context.Context, newWorker func() js.Value, msg map[string]any) (js.Value, error) {
	w, err := tryCall(newWorker)
	if err != nil {
		return js.Value{}, fmt.Errorf("%w: starting a worker: %v", ErrNoThreads, err)
	}
	done := make(chan error, 1)
	node := w.Get("on").Type() == js.TypeFunction
	onMsg := js.FuncOf(func(_ js.Value, a []js.Value) any {
		d := a[0]
		if !node {
			d = d.Get("data")
		}
		var err error
		if d.Type() != js.TypeString || d.String() != "ready" {
			err = fmt.Errorf("wasmsimd: worker: %s", promise.ErrorString(d.Get("error")))
		}
		select {
		case done <- err:
		default:
		}
		return nil
	})
	onErr := js.FuncOf(func(_ js.Value, a []js.Value) any {
		msg := "failed"
		if len(a) > 0 {
			if m := a[0].Get("message"); m.Type() == js.TypeString {
				msg = m.String()
			}
		}
		select {
		case done <- fmt.Errorf("%w: worker: %s", ErrNoThreads, msg):
		default:
		}
		return nil
	})
	defer onMsg.Release()
	defer onErr.Release()
	if node {
		w.Call("on", "message", onMsg)
		w.Call("on", "error", onErr)
		defer w.Call("off", "message", onMsg)
		defer w.Call("off", "error", onErr)
	} else {
		w.Set("onmessage", onMsg)
		w.Set("onerror", onErr)
		defer w.Set("onmessage", js.Null())
		defer w.Set("onerror", js.Null())
	}
	if _, err := tryCall(func() js.Value { w.Call("postMessage", js.ValueOf(msg)); return js.Undefined() }); err != nil {
		return w, fmt.Errorf("%w: sending the shared memory to a worker: %v", ErrNoThreads, err)
	}
	select {
	case err := <-done:
		return w, err
	case <-ctx.Done():
		return w, ctx.Err()
	}
}

// AutoThreads is lamina.mjs's threads: 'auto' on this thread:
// min(navigator.hardwareConcurrency, 4) where the page (or the worker's
// owner) is cross-origin isolated, else 1.
func AutoThreads() int {
	g := js.Global()
	if coi := g.Get("crossOriginIsolated"); coi.Type() != js.TypeBoolean || !coi.Bool() {
		return 1
	}
	n := 1
	if nav := g.Get("navigator"); nav.Truthy() {
		if hc := nav.Get("hardwareConcurrency"); hc.Type() == js.TypeNumber {
			n = hc.Int()
		}
	}
	return max(1, min(n, 4))
}
