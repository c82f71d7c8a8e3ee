package kernels

// smallTMax is the largest T that the assembly sets run through
// matMulSmallF16 rather than the tiled gemm: decode (T=1) and the 2-8 rows
// of a speculative verification step. There the product is bound by
// reading the weights, and a 16- or 32-row tile would be mostly padding.
const smallTMax = 8

// matMulSmallF16 computes out (T,N) = x (T,K) · wᵀ for T ≤ smallT with f16
// weights, reading each weight from memory once for all T rows: per chunk
// of matVecRowsPerChunk weight rows, x rows go four (dotT4F16), then two
// (dotT2F16), then one (mvF16) at a time over the chunk, so after the first
// group the chunk's weights come from cache. Every output is summed in the
// same order (the kernels' lanes over the first K&^7 columns, then the
// remaining columns in Go), so out row t equals the T=1 product of x row t
// bit for bit: a verification pass over draft tokens scores them exactly as
// decoding them one at a time would.
func matMulSmallF16(ks *kernelSet, out, x []float32, w []uint16, T, K, N int) {
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
				ks.dotT4F16(x[t*K:], K, wl, K, kMain, nr&^1, out[t*N+lo:], N)
			}
			if t+2 <= T {
				ks.dotT2F16(x[t*K:], K, wl, K, kMain, nr&^1, out[t*N+lo:], N)
				t += 2
			}
			if t < T {
				ks.mvF16(x[t*K:], wl, K, kMain, nr, out[t*N+lo:])
			}
			if nr&1 == 1 { // the pair kernels left the chunk's last row
				for t := 0; t < T&^1; t++ {
					ks.mvF16(x[t*K:], w[(hi-1)*K:], K, kMain, 1, out[t*N+hi-1:])
				}
			}
		}
		if kMain < K {
			for t := 0; t < T; t++ {
				xt := x[t*K+kMain : t*K+K]
				for n := lo; n < hi; n++ {
					s := out[t*N+n]
					for j, v := range xt {
						s += v * F16ToF32(w[n*K+kMain+j])
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
