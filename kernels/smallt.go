package kernels

// smallTMax is the largest T that the assembly sets run through
// matMulSmallHalf rather than the tiled gemm: decode (T=1) and the 2-8 rows
// of a speculative verification step. There the product is bound by
// reading the weights, and a 16- or 32-row tile would be mostly padding.
const smallTMax = 8

// smallTKernels are one weight format's kernels for matMulSmallHalf. mv
// computes out[n] = Σ_{j<k} x[j]·w[n*ldw+j] for n < rows, the whole row
// loop in one call; t4 (t2) computes out[t*ldo+n] for t < 4 (2) rows of x
// at stride ldx, widening each weight once for all of them. k is a multiple of 8, and all three sum an output in the
// same order.
type smallTKernels struct {
	mv     func(x []float32, w []uint16, ldw, k, rows int, out []float32)
	t4, t2 func(x []float32, ldx int, w []uint16, ldw, k, rows int, out []float32, ldo int)
}

// matMulSmallHalf computes out (T,N) = x (T,K) · wᵀ for T ≤ smallT with
// half-float weights (widen decodes one), reading each weight from memory
// once for all T rows: per chunk of matVecRowsPerChunk weight rows, x rows
// go four (t4), then two (t2), then one (mv) at a time over the chunk, so
// after the first group the chunk's weights come from cache. Every output is summed in the
// same order (the kernels' lanes over the first K&^7 columns, then the
// remaining columns in Go), so out row t equals the T=1 product of x row t
// bit for bit: a verification pass over draft tokens scores them exactly as
// decoding them one at a time would.
func matMulSmallHalf(sk *smallTKernels, widen func(uint16) float32, out, x []float32, w []uint16, T, K, N int) {
	if T == 0 || N == 0 {
		return
	}
	kMain := K &^ 7
	rows := func(lo, hi int) {
		nr := hi - lo
		wl := w[lo*K:]
		if kMain == 0 {
			for t := 0; t < T; t++ {
				clear(out[t*N+lo : t*N+hi])
			}
		} else {
			t := 0
			for ; t+4 <= T; t += 4 {
				sk.t4(x[t*K:], K, wl, K, kMain, nr, out[t*N+lo:], N)
			}
			if t+2 <= T {
				sk.t2(x[t*K:], K, wl, K, kMain, nr, out[t*N+lo:], N)
				t += 2
			}
			if t < T {
				sk.mv(x[t*K:], wl, K, kMain, nr, out[t*N+lo:])
			}
		}
		if kMain < K {
			for t := 0; t < T; t++ {
				xt := x[t*K+kMain : t*K+K]
				for n := lo; n < hi; n++ {
					s := out[t*N+n]
					for j, v := range xt {
						s += v * widen(w[n*K+kMain+j])
					}
					out[t*N+n] = s
				}
			}
		}
	}
	chunks := (N + matVecRowsPerChunk - 1) / matVecRowsPerChunk
	if chunks <= 1 || K*N < 1<<15 {
		rows(0, N)
		return
	}
	ParallelFor(chunks, func(c int) {
		rows(c*matVecRowsPerChunk, min((c+1)*matVecRowsPerChunk, N))
	})
}
