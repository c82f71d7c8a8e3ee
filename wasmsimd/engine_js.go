//go:build js && wasm

package wasmsimd

import (
	"context"
	"fmt"
	"sort"
	"syscall/js"
	"unsafe"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/promise"
	"github.com/lamina-ml/lamina/tensor"
)

var (
	jsWebAssembly = js.Global().Get("WebAssembly")
	jsUint8Array  = js.Global().Get("Uint8Array")
)

const pageSize = 64 << 10

// Engine is an instance of the kernel module: its memory holds the weights
// (uploaded once by Hold) and a scratch area for each call's activations.
// Like the CPU backend it is not safe for concurrent use.
type Engine struct {
	mem  js.Value
	mm   [nDriverF]js.Value // mm_<dtype> (kernelNames)
	cvt  [3]js.Value        // -, cvt_f16, cvt_bf16
	u8   js.Value           // Uint8Array over mem.buffer (renewed after a grow)
	size int                // bytes of memory

	free []block // free blocks below top, sorted by offset
	top  int     // end of the used memory

	scratch block // x, out and one widened panel of the current call
	stage   []byte

	exports js.Value            // the module instance's exports
	fns     map[string]js.Value // exports looked up (fn)
	attn    attnState           // attention (attention_js.go)
	rows    rowCalls            // row ops' calls (rowops_js.go)
	rowMin  rowMins             // the smallest row ops taken (rowops_js.go)

	// WidenHalf makes Hold store f16 and bf16 weights widened to f32 (the
	// module's own exact widening, once): twice the module memory, and
	// matvecs without the per-token widening. Off by default.
	WidenHalf bool

	pool *pool // the threads (threads_js.go); nil: one thread
}

type block struct{ off, size int }

// weight is a held weight.
type weight struct {
	b       block
	d       dtype
	N, K    int
	freed   bool
	widened bool       // f16/bf16 held as f32 (WidenHalf): ReadHeld cannot give the bits back
	q       quantShape // dQ8, dQ4 (quant.go)
}

// Load compiles and instantiates the kernel module (asynchronously, as
// browsers require on the main thread for modules over 4 KB), on the
// threads WithThreads asks for where they can be had (threads_js.go).
func Load(ctx context.Context) (tensor.MatMulEngine, error) {
	if n := threadsFrom(ctx); n > 1 {
		if e, err := loadThreads(ctx, n); err == nil {
			return e, nil
		}
	}
	return load(ctx)
}

func load(ctx context.Context) (*Engine, error) {
	if jsWebAssembly.IsUndefined() {
		return nil, ErrUnavailable
	}
	bin := kernelsWasm
	arr := jsUint8Array.New(len(bin))
	js.CopyBytesToJS(arr, bin)
	if !jsWebAssembly.Call("validate", arr).Bool() {
		return nil, ErrUnavailable
	}
	res, err := promise.AwaitContext(ctx, jsWebAssembly.Call("instantiate", arr))
	if err != nil {
		return nil, fmt.Errorf("wasmsimd: instantiating the kernel module: %w", err)
	}
	return newEngine(res.Get("instance").Get("exports")), nil
}

// newEngine is an engine on the kernel module instance exports ex.
func newEngine(ex js.Value) *Engine {
	e := &Engine{mem: ex.Get("memory"), top: 16, exports: ex, rowMin: defaultRowMins}
	for d, n := range kernelNames {
		e.mm[d] = ex.Get(n)
	}
	e.cvt[dF16], e.cvt[dBF16] = ex.Get("cvt_f16"), ex.Get("cvt_bf16")
	e.refresh()
	return e
}

func (e *Engine) refresh() {
	e.u8 = jsUint8Array.New(e.mem.Get("buffer"))
	e.size = e.u8.Get("byteLength").Int()
}

// Name implements tensor.MatMulEngine.
func (e *Engine) Name() string { return Name }

// alloc reserves n bytes (16-aligned), growing the memory when needed.
func (e *Engine) alloc(n int) (_ block, err error) {
	n = (max(n, 16) + 15) &^ 15
	for i, f := range e.free {
		if f.size >= n {
			b := block{f.off, n}
			if f.size == n {
				e.free = append(e.free[:i], e.free[i+1:]...)
			} else {
				e.free[i] = block{f.off + n, f.size - n}
			}
			return b, nil
		}
	}
	if e.top+n > e.size {
		pages := (e.top + n - e.size + pageSize - 1) / pageSize
		if e.size/pageSize+pages > 65536 {
			return block{}, fmt.Errorf("%w: %d bytes more than the 4 GiB of a wasm memory", ErrWeight, n)
		}
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%w: growing the kernel memory by %d pages: %v", ErrWeight, pages, r)
			}
		}()
		e.mem.Call("grow", pages)
		e.refresh()
	}
	b := block{e.top, n}
	e.top += n
	return b, nil
}

// release returns b to the free list, merging neighbours and the top.
func (e *Engine) release(b block) {
	if b.size == 0 {
		return
	}
	i := sort.Search(len(e.free), func(i int) bool { return e.free[i].off > b.off })
	e.free = append(e.free, block{})
	copy(e.free[i+1:], e.free[i:])
	e.free[i] = b
	// Merge with the next, then the previous.
	if i+1 < len(e.free) && e.free[i].off+e.free[i].size == e.free[i+1].off {
		e.free[i].size += e.free[i+1].size
		e.free = append(e.free[:i+1], e.free[i+2:]...)
	}
	if i > 0 && e.free[i-1].off+e.free[i-1].size == e.free[i].off {
		e.free[i-1].size += e.free[i].size
		e.free = append(e.free[:i], e.free[i+1:]...)
		i--
	}
	if last := e.free[len(e.free)-1]; last.off+last.size == e.top {
		e.top = last.off
		e.free = e.free[:len(e.free)-1]
	}
}

func (e *Engine) view(off, n int) js.Value { return e.u8.Call("subarray", off, off+n) }

func bytesOf[E float32 | uint16](v []E) []byte {
	if len(v) == 0 {
		return nil
	}
	var z E
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*int(unsafe.Sizeof(z)))
}

// Hold implements tensor.MatMulEngine: w (N,K) is repacked into panels and
// copied into the module's memory.
func (e *Engine) Hold(dt tensor.DType, N, K int, f32 []float32, u16 []uint16) (tensor.EngineWeight, error) {
	d, err := dtypeOf(dt)
	if err != nil {
		return nil, err
	}
	if N <= 0 || K <= 0 {
		return nil, fmt.Errorf("%w: empty (%d,%d)", ErrWeight, N, K)
	}
	n := panels(N) * 8 * K
	var src []byte
	if d == dF32 {
		if f32 == nil {
			f32 = make([]float32, N*K)
		}
		if len(f32) != N*K {
			return nil, fmt.Errorf("%w: %d values for (%d,%d)", ErrWeight, len(f32), N, K)
		}
		p := make([]float32, n)
		packPanels(p, f32, N, K)
		src = bytesOf(p)
	} else {
		if len(u16) != N*K {
			return nil, fmt.Errorf("%w: %d values for (%d,%d)", ErrWeight, len(u16), N, K)
		}
		p := make([]uint16, n)
		packPanels(p, u16, N, K)
		src = bytesOf(p)
		if d == dF16 && finiteHalves(u16) {
			d = dF16Finite
		}
	}
	if d != dF32 && e.WidenHalf {
		return e.holdWidened(d, src, N, K)
	}
	b, err := e.alloc(len(src))
	if err != nil {
		return nil, err
	}
	js.CopyBytesToJS(e.view(b.off, len(src)), src)
	return &weight{b: b, d: d, N: N, K: K}, nil
}

// holdWidened stores 16-bit panels src as f32 panels, widened by the
// module's cvt_ (the panels' length is a multiple of 8).
func (e *Engine) holdWidened(d dtype, src []byte, N, K int) (tensor.EngineWeight, error) {
	n := len(src) / 2
	b, err := e.alloc(4 * n)
	if err != nil {
		return nil, err
	}
	tmp, err := e.alloc(len(src))
	if err != nil {
		e.release(b)
		return nil, err
	}
	js.CopyBytesToJS(e.view(tmp.off, len(src)), src)
	if d == dF16Finite {
		d = dF16
	}
	e.cvt[d].Invoke(b.off, tmp.off, n)
	e.release(tmp)
	return &weight{b: b, d: dF32, N: N, K: K, widened: true}, nil
}

// HoldQuant implements tensor.QuantEngine: m is copied into the module as
// quantized panels (quant.go), codes and scales as the QMatrix has them.
func (e *Engine) HoldQuant(m *kernels.QMatrix) (tensor.EngineWeight, error) {
	src, s, err := packQuant(m)
	if err != nil {
		return nil, err
	}
	d := dQ8
	if m.Bits == 4 {
		d = dQ4
	}
	b, err := e.alloc(len(src))
	if err != nil {
		return nil, err
	}
	js.CopyBytesToJS(e.view(b.off, len(src)), src)
	return &weight{b: b, d: d, N: m.N, K: m.K, q: s}, nil
}

// Release implements tensor.MatMulEngine.
func (e *Engine) Release(h tensor.EngineWeight) {
	w, ok := h.(*weight)
	if !ok || w.freed {
		return
	}
	w.freed = true
	e.release(w.b)
}

// product is how one held weight's product of T tokens runs: its panels,
// the bytes of its output (T rows of np·8 f32), of a thread's panel
// scratch, of a panel of w, the kernel's aux, and the zero f32 x needs
// after its last row (quantized: up to Kp).
type product struct {
	w                    *weight
	np, on, pn, psz, aux int
	xpad                 int
}

func (e *Engine) product(h tensor.EngineWeight, T int) (product, error) {
	w, ok := h.(*weight)
	if !ok || w.freed {
		return product{}, fmt.Errorf("wasmsimd: %T is not a held weight", h)
	}
	np := panels(w.N)
	p := product{w: w, np: np, on: T * np * 32, pn: w.K * 32, psz: w.K * 8 * int(w.d.size())}
	if w.d.isQuant() {
		p.xpad, p.pn, p.psz, p.aux = w.q.kp-w.K, w.q.kp*32, w.q.psz, quantAux(w.q, T)
	}
	return p, nil
}

// scratchOf makes the scratch block at least need bytes.
func (e *Engine) scratchOf(need int) error {
	if e.scratch.size >= need {
		return nil
	}
	e.release(e.scratch)
	e.scratch = block{}
	b, err := e.alloc(need + need/2)
	if err != nil {
		return err
	}
	e.scratch = b
	return nil
}

// writeF32 copies v to off, followed by zeros up to n bytes.
func (e *Engine) writeF32(off int, v []float32, n int) {
	b := bytesOf(v)
	if len(b) < n {
		if cap(e.stage) < n {
			e.stage = make([]byte, n)
		}
		b = e.stage[:n]
		copy(b, bytesOf(v))
		clear(b[len(v)*4:])
	}
	js.CopyBytesToJS(e.view(off, n), b)
}

// run computes p's product of the T rows of x at xo into oo, the threads'
// panel scratch at po.
func (e *Engine) run(p product, xo, oo, po, T int) {
	e.mul(p.w.d, p.w.b.off, xo, oo, T, p.w.K, p.np, po, p.pn, p.psz, p.aux)
}

// readOut copies p's output at oo (rows of np·8) into out (T,N).
func (e *Engine) readOut(out []float32, p product, oo, T int) {
	N := p.w.N
	if p.np*8 == N {
		js.CopyBytesToGo(bytesOf(out), e.view(oo, p.on))
		return
	}
	if cap(e.stage) < p.on {
		e.stage = make([]byte, p.on)
	}
	st := e.stage[:p.on]
	js.CopyBytesToGo(st, e.view(oo, p.on))
	ob := bytesOf(out)
	for t := 0; t < T; t++ {
		copy(ob[t*N*4:(t+1)*N*4], st[t*p.np*32:])
	}
}

// MatMul implements tensor.MatMulEngine: out (T,N) = x (T,K) · wᵀ.
func (e *Engine) MatMul(out, x []float32, h tensor.EngineWeight, T int) error {
	p, err := e.product(h, T)
	if err != nil {
		return err
	}
	N, K := p.w.N, p.w.K
	if len(x) != T*K || len(out) != T*N {
		return fmt.Errorf("wasmsimd: MatMul x %d, out %d values for T=%d K=%d N=%d", len(x), len(out), T, K, N)
	}
	if T == 0 {
		return nil
	}
	xn := (T*K + p.xpad) * 4
	if err := e.scratchOf(xn + p.on + p.pn*e.Threads()); err != nil {
		return err
	}
	xo := e.scratch.off
	oo, po := xo+xn, xo+xn+p.on
	e.writeF32(xo, x, xn)
	e.run(p, xo, oo, po, T)
	e.readOut(out, p, oo, T)
	return nil
}

// widenBits runs the module's cvt_f16/cvt_bf16 on src (for the tests).
func (e *Engine) widenBits(d dtype, src []uint16) ([]float32, error) {
	n := (len(src) + 7) &^ 7
	in := make([]uint16, n)
	copy(in, src)
	b, err := e.alloc(n*2 + n*4)
	if err != nil {
		return nil, err
	}
	defer e.release(b)
	js.CopyBytesToJS(e.view(b.off, n*2), bytesOf(in))
	e.cvt[d].Invoke(b.off+n*2, b.off, n)
	out := make([]float32, n)
	js.CopyBytesToGo(bytesOf(out), e.view(b.off+n*2, n*4))
	return out[:len(src)], nil
}

// bytesAs views b (aligned, a whole number of E) as E values.
func bytesAs[E float32 | uint16](b []byte) []E {
	var z E
	return unsafe.Slice((*E)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/int(unsafe.Sizeof(z)))
}
