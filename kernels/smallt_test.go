package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// smallTShapes cover matMulSmallF16's edges: every T it takes (1-8: the
// 4-, 2- and 1-row groups and their mixes), K off the 8- and 16-column
// steps (K < 8 runs wholly in the Go tail), N off the 4-row blocks and the
// 2-row pairs, single and several worker chunks with a short, odd last one
// (N=131 with K*N ≥ 1<<15), and one large K.
var smallTShapes = []struct{ K, N int }{
	{1, 3}, {7, 5}, {8, 1}, {9, 2}, {15, 7}, {16, 4}, {17, 9}, {33, 6},
	{576, 64}, {600, 131}, {577, 130}, {8200, 37},
}

// halfWeights returns n random binary16 patterns and their values.
func halfWeights(r *rand.Rand, n int) ([]uint16, []float32) {
	h := make([]uint16, n)
	wf := make([]float32, n)
	for i := range h {
		h[i] = F32ToF16(float32(r.NormFloat64()))
		wf[i] = F16ToF32(h[i])
	}
	return h, wf
}

// TestMatMulSmallTF16 checks every set's f16 product for T=1..8 against
// a float64 reference, within the reordering bound scaled to K.
func TestMatMulSmallTF16(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, ks := range testSets() {
		for _, s := range smallTShapes {
			h, wf := halfWeights(r, s.N*s.K)
			for T := 1; T <= smallTMax; T++ {
				x := randFloats(r, T*s.K)
				out := make([]float32, T*s.N+5)
				for i := range out {
					out[i] = float32(math.NaN())
				}
				matMulF16With(ks, out, x, h, T, s.K, s.N)
				for i := T * s.N; i < len(out); i++ {
					if !math.IsNaN(float64(out[i])) {
						t.Fatalf("%s T%d K%d N%d: wrote past (T,N) at %d", ks.name, T, s.K, s.N, i)
					}
				}
				tol := matmulSumTol * max(1, float64(s.K)/600)
				for tt := 0; tt < T; tt++ {
					for n := 0; n < s.N; n++ {
						var want, abs float64
						for k := 0; k < s.K; k++ {
							p := float64(x[tt*s.K+k]) * float64(wf[n*s.K+k])
							want += p
							abs += math.Abs(p)
						}
						if d := math.Abs(float64(out[tt*s.N+n]) - want); !(d <= tol*abs+1e-30) {
							t.Fatalf("%s T%d K%d N%d out[%d,%d] = %v, want %v (Σ|xw| %g)",
								ks.name, T, s.K, s.N, tt, n, out[tt*s.N+n], want, abs)
						}
					}
				}
			}
		}
	}
}

// TestMatMulSmallTMatchesDecode: where a set has the small-T kernels, each
// row of a T-row f16 product equals the T=1 product of that row exactly,
// so speculative verification scores a token as decoding it would.
func TestMatMulSmallTMatchesDecode(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	tested := false
	for _, ks := range testSets() {
		if ks.mvF16 == nil {
			continue
		}
		tested = true
		for _, s := range smallTShapes {
			h, _ := halfWeights(r, s.N*s.K)
			for T := 2; T <= smallTMax; T++ {
				x := randFloats(r, T*s.K)
				out := make([]float32, T*s.N)
				matMulF16With(ks, out, x, h, T, s.K, s.N)
				one := make([]float32, s.N)
				for tt := 0; tt < T; tt++ {
					matMulF16With(ks, one, x[tt*s.K:(tt+1)*s.K], h, 1, s.K, s.N)
					for n, v := range one {
						if got := out[tt*s.N+n]; math.Float32bits(got) != math.Float32bits(v) {
							t.Fatalf("%s T%d K%d N%d out[%d,%d] = %v, T=1 gives %v", ks.name, T, s.K, s.N, tt, n, got, v)
						}
					}
				}
			}
		}
	}
	if !tested {
		t.Skip("no kernel set with small-T kernels on this CPU")
	}
}

// TestMatMulF16NonFinite puts NaN and ±Inf in weights and in x: an output
// is NaN exactly where the float64 reference is, and otherwise equal to it
// when infinite (a finite one is checked by the tests above).
func TestMatMulF16NonFinite(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	const K, N = 37, 21
	for _, ks := range testSets() {
		for _, T := range []int{1, 2, 3, 4, 7, 8, 16} {
			t.Run(fmt.Sprintf("%s/T%d", ks.name, T), func(t *testing.T) {
				h, wf := halfWeights(r, N*K)
				x := randFloats(r, T*K)
				// Weight row 1 has +Inf, row 2 NaN, row 3 +Inf and -Inf; x row 0
				// has -Inf at column 5 (every product there is ±Inf or NaN).
				for _, c := range []struct {
					i int
					h uint16
				}{{1*K + 3, 0x7c00}, {2*K + 20, 0x7e01}, {3*K + 9, 0x7c00}, {3*K + 30, 0xfc00}, {4*K + 36, 0xfc00}} {
					h[c.i], wf[c.i] = c.h, F16ToF32(c.h)
				}
				x[5] = float32(math.Inf(-1))
				if T > 1 {
					x[K+33] = float32(math.NaN())
				}
				out := make([]float32, T*N)
				matMulF16With(ks, out, x, h, T, K, N)
				for tt := 0; tt < T; tt++ {
					for n := 0; n < N; n++ {
						var want float64
						for k := 0; k < K; k++ {
							want += float64(x[tt*K+k]) * float64(wf[n*K+k])
						}
						got := float64(out[tt*N+n])
						if math.IsNaN(want) != math.IsNaN(got) || (math.IsInf(want, 0) && got != want) {
							t.Fatalf("out[%d,%d] = %v, want %v", tt, n, got, want)
						}
					}
				}
			})
		}
	}
}
