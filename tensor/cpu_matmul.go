package tensor

import (
	"fmt"
	"math"
	"runtime"
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
// across goroutines costs more than it saves (goroutine start-up is on the
// order of a microsecond; 64k multiply-adds take a few tens of them).
const parallelMinWork = 1 << 16

// parallelFor runs body over [0,n) in up to GOMAXPROCS contiguous chunks,
// each a multiple of align long (except the last), and waits for all of
// them. work is the total cost estimate used to decide whether to split.
func parallelFor(n, align, work int, body func(lo, hi int)) {
	p := runtime.GOMAXPROCS(0)
	if p <= 1 || work < parallelMinWork || n <= align {
		body(0, n)
		return
	}
	chunk := (n + p - 1) / p
	chunk = (chunk + align - 1) / align * align
	var wg sync.WaitGroup
	for lo := chunk; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			body(lo, hi)
		}()
	}
	body(0, min(chunk, n))
	wg.Wait()
}

// scratchPool holds per-chunk output buffers for multi-row matmuls split by
// output column, so prefill does not allocate per call after warm-up.
var scratchPool = sync.Pool{New: func() any { return new([]float32) }}

// MatMul: x (T,K), w (N,K), bias (N) or nil, out (T,N).
//
// The N output features are split across goroutines, so each one streams a
// disjoint slice of the weights (decode is bound by reading them). For T=1
// each chunk of out is contiguous; for T>1 a chunk is computed into scratch
// and scattered into its columns.
func (b *cpuBackend) MatMul(out, x, w, bias Tensor) {
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
	}
	// Chunks of 16 output features keep SIMD kernels on full tiles.
	parallelFor(N, 16, T*N*K, func(lo, hi int) {
		nc := hi - lo
		if T == 1 || nc == N {
			matmulChunk(o[lo*T:hi*T], xv, wc, T, K, lo, hi)
		} else {
			sp := scratchPool.Get().(*[]float32)
			if cap(*sp) < T*nc {
				*sp = make([]float32, T*nc)
			}
			s := (*sp)[:T*nc]
			matmulChunk(s, xv, wc, T, K, lo, hi)
			for t := 0; t < T; t++ {
				copy(o[t*N+lo:t*N+hi], s[t*nc:t*nc+nc])
			}
			scratchPool.Put(sp)
		}
		if bv != nil {
			for t := 0; t < T; t++ {
				row := o[t*N+lo : t*N+hi]
				for i := range row {
					row[i] += bv[lo+i]
				}
			}
		}
	})
}

// matmulChunk computes out (T, hi-lo) = x (T,K) · w[lo:hi]ᵀ with the kernel
// for w's dtype.
func matmulChunk(out, x []float32, w *cpuTensor, T, K, lo, hi int) {
	switch w.dt {
	case F32:
		kernels.MatMulF32(out, x, w.f32[lo*K:hi*K], T, K, hi-lo)
	case F16:
		kernels.MatMulF16(out, x, w.u16[lo*K:hi*K], T, K, hi-lo)
	case BF16:
		kernels.MatMulBF16(out, x, w.u16[lo*K:hi*K], T, K, hi-lo)
	default:
		panic(fmt.Sprintf("tensor: MatMul weight of dtype %v", w.dt))
	}
}

// Attention: q (T,H*D), kCache and vCache (S,G*D), out (T,H*D); see
// AttentionArgs. Softmax is computed in f32 with the running maximum
// subtracted, like torch's eager softmax.
func (b *cpuBackend) Attention(out, q, kCache, vCache Tensor, a AttentionArgs) {
	o, qv := f32Data(out, "Attention"), f32Data(q, "Attention")
	kv, vv := f32Data(kCache, "Attention"), f32Data(vCache, "Attention")
	H, G, D := a.Heads, a.KVHeads, a.HeadDim
	if H <= 0 || G <= 0 || D <= 0 || H%G != 0 {
		panic(fmt.Sprintf("tensor: Attention with %d heads, %d kv heads, head dim %d", H, G, D))
	}
	QW, KW := H*D, G*D
	T := len(qv) / QW
	S := ct(kCache).rows()
	if ct(kCache).cols() != KW || ct(vCache).cols() != KW || len(o) != T*QW || a.Pos+T > S {
		panic(fmt.Sprintf("tensor: Attention q %v, caches %v/%v, out %v at pos %d", ct(q).shape, ct(kCache).shape, ct(vCache).shape, ct(out).shape, a.Pos))
	}
	group := H / G
	work := T * H * (a.Pos + T) * D * 2
	parallelFor(T*H, 1, work, func(lo, hi int) {
		scores := make([]float32, a.Pos+T)
		for th := lo; th < hi; th++ {
			t, h := th/H, th%H
			n := a.Pos + t + 1
			qr := qv[t*QW+h*D : t*QW+h*D+D]
			koff := (h / group) * D
			mx := float32(math.Inf(-1))
			for j := 0; j < n; j++ {
				kr := kv[j*KW+koff : j*KW+koff+D]
				var s float32
				for d, qd := range qr {
					s += qd * kr[d]
				}
				s *= a.Scale
				scores[j] = s
				if s > mx {
					mx = s
				}
			}
			var sum float32
			for j := 0; j < n; j++ {
				e := float32(math.Exp(float64(scores[j] - mx)))
				scores[j] = e
				sum += e
			}
			inv := 1 / sum
			or := o[t*QW+h*D : t*QW+h*D+D]
			clear(or)
			for j := 0; j < n; j++ {
				p := scores[j] * inv
				vr := vv[j*KW+koff : j*KW+koff+D]
				for d, vd := range vr {
					or[d] += p * vd
				}
			}
		}
	})
}
