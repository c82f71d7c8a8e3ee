package tensor

import (
	"fmt"
	"math"
	"sync"

	"github.com/lamina-ml/lamina/kernels"
)

// ReaderInto is implemented by backends that can read into a caller-owned
// slice (the CPU backend does). Decode loops use it, when present, to fetch
// a logits row per token without allocating; Backend.Read is the fallback.
type ReaderInto interface {
	ReadInto(dst []float32, t Tensor, from, n int) error
}

// parallelMinWork is the multiply-add count below which splitting an op
// across workers costs more than it saves.
const parallelMinWork = 1 << 16

// scratchPool holds attention score buffers, so decode does not allocate
// them per token.
var scratchPool = sync.Pool{New: func() any { return new([]float32) }}

// MatMul: x (T,K), w (N,K), bias (N) or nil, out (T,N).
//
// The kernels split the product across their worker pool themselves
// (package kernels asks callers to pass whole matrices), so this only
// dispatches on the weight dtype and adds the bias.
func (b *cpuBackend) MatMul(out, x, w, bias Tensor) {
	defer b.guard()
	o := f32Data(out, "MatMul")
	xc, wc := ct(x), ct(w)
	xv := f32Data(x, "MatMul")
	K := xc.cols()
	T := xc.rows()
	if len(wc.shape) != 2 || wc.shape[1] != K {
		panic(fmt.Sprintf("tensor: MatMul of x %v by w %v", xc.shape, wc.shape))
	}
	N := wc.shape[0]
	if len(o) != T*N {
		panic(fmt.Sprintf("tensor: MatMul out %v for (%d,%d)", ct(out).shape, T, N))
	}
	var bv []float32
	if bias != nil {
		bv = f32Data(bias, "MatMul bias")
		if len(bv) != N {
			panic(fmt.Sprintf("tensor: MatMul bias %v for N=%d", ct(bias).shape, N))
		}
		if be, ok := b.engine.(BiasEngine); ok && b.engineHold(wc, K, N) {
			if err := be.MatMulBias(o, xv, bv, wc.held, T); err != nil {
				panic(fmt.Errorf("tensor: %s MatMul: %w", b.engine.Name(), err))
			}
			return
		}
	}
	if !b.engineMatMul(o, xv, wc, T, K, N) {
		matmulChunk(o, xv, wc, T, K, 0, N)
	}
	if bias != nil {
		for t := 0; t < T; t++ {
			row := o[t*N : t*N+N]
			for i := range row {
				row[i] += bv[i]
			}
		}
	}
}

// matmulChunk computes out (T, hi-lo) = x (T,K) · w[lo:hi]ᵀ with the kernel
// for w's dtype.
func matmulChunk(out, x []float32, w *cpuTensor, T, K, lo, hi int) {
	w.restore()
	switch w.dt {
	case F32:
		kernels.MatMulF32(out, x, w.f32[lo*K:hi*K], T, K, hi-lo)
	case F16:
		kernels.MatMulF16(out, x, w.u16[lo*K:hi*K], T, K, hi-lo)
	case BF16:
		kernels.MatMulBF16(out, x, w.u16[lo*K:hi*K], T, K, hi-lo)
	case Q8, Q4:
		q := w.q
		if lo != 0 || hi != q.N {
			q = q.Rows(lo, hi)
		}
		kernels.MatMulQ(out, x, q, T)
	default:
		panic(fmt.Sprintf("tensor: MatMul weight of dtype %v", w.dt))
	}
}

// Attention: q (T,H*D), kCache and vCache (S,G*D), out (T,H*D); see
// AttentionArgs. Softmax is computed in f32 with the running maximum
// subtracted, like torch's eager softmax.
func (b *cpuBackend) Attention(out, q, kCache, vCache Tensor, a AttentionArgs) {
	defer b.guard()
	o, qv := f32Data(out, "Attention"), f32Peek(q, "Attention").f32
	kc, vc := f32Peek(kCache, "Attention"), f32Peek(vCache, "Attention")
	kv, vv := kc.f32, vc.f32
	H, G, D := a.Heads, a.KVHeads, a.HeadDim
	if H <= 0 || G <= 0 || D <= 0 || H%G != 0 || a.Window < 0 || a.Ring < 0 {
		panic(fmt.Sprintf("tensor: Attention (window %d, ring %d) with %d heads, %d kv heads, head dim %d", a.Window, a.Ring, H, G, D))
	}
	QW, KW := H*D, G*D
	T := len(qv) / QW
	S := ct(kCache).rows()
	if ct(kCache).cols() != KW || ct(vCache).cols() != KW || ct(vCache).rows() != S || len(o) != T*QW || a.Pos < 0 {
		panic(fmt.Sprintf("tensor: Attention q %v, caches %v/%v, out %v at pos %d", ct(q).shape, ct(kCache).shape, ct(vCache).shape, ct(out).shape, a.Pos))
	}
	R := a.Ring       // 0: position j is row j; else row j mod R
	span := a.Pos + T // most keys one query row reads
	switch {
	case a.Ring > 0:
		if a.Window == 0 || a.Window+T-1 > a.Ring || S != a.Ring {
			panic(fmt.Sprintf("tensor: Attention of %d rows with window %d over a ring of %d in caches %v", T, a.Window, a.Ring, ct(kCache).shape))
		}
		span = a.Window
	case a.Pos+T > S:
		panic(fmt.Sprintf("tensor: Attention q %v, caches %v/%v, out %v at pos %d", ct(q).shape, ct(kCache).shape, ct(vCache).shape, ct(out).shape, a.Pos))
	case a.Window > 0:
		span = min(span, a.Window)
	}
	// The engine's attention (wasm-simd) reads caches whose row j is
	// position j; ring caches stay on the Go code.
	if a.Ring == 0 && b.engineAttention(o, qv, kc, vc, a, T) {
		return
	}
	group := H / G
	// One chunk per (query row, head) pair on the kernels' worker pool.
	kernels.ParallelFor(T*H, func(th int) {
		sp := scratchPool.Get().(*[]float32)
		defer scratchPool.Put(sp)
		if cap(*sp) < span {
			*sp = make([]float32, span)
		}
		t, h := th/H, th%H
		n := a.Pos + t + 1
		j0 := 0 // first key position in the (sliding) window
		if a.Window > 0 && n > a.Window {
			j0 = n - a.Window
		}
		scores := (*sp)[:n-j0] // scores[j] is key position j0+j's
		qr := qv[t*QW+h*D : t*QW+h*D+D]
		koff := (h / group) * D
		mx := float32(math.Inf(-1))
		r0 := j0 // key position j0's row
		if R > 0 {
			r0 = j0 % R
		}
		// The keys are cache rows r0, r0+1, … (wrapping at R): one or two
		// runs of consecutive rows, each one DotRows / AxpyRows call,
		// which are Dot and Axpy per row bit for bit.
		cacheRuns(len(scores), r0, R, func(j, r, n int) {
			kernels.DotRows(scores[j:j+n], qr, kv[r*KW+koff:], KW)
		})
		for j, s := range scores {
			s *= a.Scale
			scores[j] = s
			if s > mx {
				mx = s
			}
		}
		// Vectorised exp (Cephes expf, a few ulp from float64 exp).
		inv := 1 / kernels.ExpSubSum(scores, mx)
		for j := range scores {
			scores[j] *= inv
		}
		or := o[t*QW+h*D : t*QW+h*D+D]
		clear(or)
		cacheRuns(len(scores), r0, R, func(j, r, n int) {
			kernels.AxpyRows(or, scores[j:j+n], vv[r*KW+koff:], KW)
		})
	})
}

// cacheRuns splits keys 0..n-1, held in cache rows r0, r0+1, … (row R
// wrapping to 0 when R > 0), into runs of consecutive rows: f(j, r, m)
// for keys j..j+m-1 in rows r..r+m-1.
func cacheRuns(n, r0, R int, f func(j, r, m int)) {
	for j := 0; j < n; {
		r, m := r0+j, n-j
		if R > 0 {
			r %= R
			m = min(m, R-r)
		}
		f(j, r, m)
		j += m
	}
}

// RingAttention: the CPU backends read AttentionArgs.Ring.
func (b *cpuBackend) RingAttention() bool { return true }
