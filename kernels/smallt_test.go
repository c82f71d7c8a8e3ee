package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// smallTShapes cover matMulSmallHalf's edges: every T it takes (1-8: the
// 4-, 2- and 1-row groups and their mixes), K off the 8- and 16-column
// steps (K < 8 runs wholly in the Go tail), N off the 4-row blocks and the
// 2-row pairs, single and several worker chunks with a short, odd last one
// (N=131 with K*N ≥ 1<<15), and one large K.
var smallTShapes = []struct{ K, N int }{
	{1, 3}, {7, 5}, {8, 1}, {9, 2}, {15, 7}, {16, 4}, {17, 9}, {33, 6},
	{576, 64}, {600, 131}, {577, 130}, {4100, 19},
}

// halfFormat is a half-float weight format: its encoder and decoder (the
// scalar reference ones), its product and a set's small-T kernels for it.
type halfFormat struct {
	name   string
	encode func(float32) uint16
	decode func(uint16) float32
	matmul func(ks *kernelSet, out, x []float32, w []uint16, T, K, N int)
	small  func(ks *kernelSet) *smallTKernels
}

var halfFormats = []halfFormat{
	{"f16", F32ToF16, F16ToF32, matMulF16With, func(ks *kernelSet) *smallTKernels { return ks.smallF16 }},
	{"bf16", func(f float32) uint16 { return uint16(math.Float32bits(f) >> 16) }, BF16ToF32,
		matMulBF16With, func(ks *kernelSet) *smallTKernels { return ks.smallBF16 }},
}

// halfWeights returns n random weights in format f and their values.
func halfWeights(r *rand.Rand, f halfFormat, n int) ([]uint16, []float32) {
	h := make([]uint16, n)
	wf := make([]float32, n)
	for i := range h {
		h[i] = f.encode(float32(r.NormFloat64()))
		wf[i] = f.decode(h[i])
	}
	return h, wf
}

// TestMatMulSmallT checks every set's f16 and bf16 products for T=1..8
// against a float64 reference, within the reordering bound scaled to K.
func TestMatMulSmallT(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, ks := range testSets() {
		for _, f := range halfFormats {
			for _, s := range smallTShapes {
				h, wf := halfWeights(r, f, s.N*s.K)
				for T := 1; T <= smallTMax; T++ {
					x := randFloats(r, T*s.K)
					out := make([]float32, T*s.N+5)
					for i := range out {
						out[i] = float32(math.NaN())
					}
					f.matmul(ks, out, x, h, T, s.K, s.N)
					for i := T * s.N; i < len(out); i++ {
						if !math.IsNaN(float64(out[i])) {
							t.Fatalf("%s %s T%d K%d N%d: wrote past (T,N) at %d", ks.name, f.name, T, s.K, s.N, i)
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
								t.Fatalf("%s %s T%d K%d N%d out[%d,%d] = %v, want %v (Σ|xw| %g)",
									ks.name, f.name, T, s.K, s.N, tt, n, out[tt*s.N+n], want, abs)
							}
						}
					}
				}
			}
		}
	}
}

// TestMatMulSmallTMatchesDecode: where a set has the small-T kernels, each
// row of a T-row product equals the T=1 product of that row exactly, so
// speculative verification scores a token as decoding it would.
func TestMatMulSmallTMatchesDecode(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	tested := false
	for _, ks := range testSets() {
		for _, f := range halfFormats {
			if f.small(ks) == nil {
				continue
			}
			tested = true
			for _, s := range smallTShapes {
				h, _ := halfWeights(r, f, s.N*s.K)
				for T := 2; T <= smallTMax; T++ {
					x := randFloats(r, T*s.K)
					out := make([]float32, T*s.N)
					f.matmul(ks, out, x, h, T, s.K, s.N)
					one := make([]float32, s.N)
					for tt := 0; tt < T; tt++ {
						f.matmul(ks, one, x[tt*s.K:(tt+1)*s.K], h, 1, s.K, s.N)
						for n, v := range one {
							if got := out[tt*s.N+n]; math.Float32bits(got) != math.Float32bits(v) {
								t.Fatalf("%s %s T%d K%d N%d out[%d,%d] = %v, T=1 gives %v",
									ks.name, f.name, T, s.K, s.N, tt, n, got, v)
							}
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

// TestMatMulHalfNonFinite puts NaN and ±Inf in weights and in x: an output
// is NaN exactly where the float64 reference is, and otherwise equal to it
// when infinite (finite outputs are checked by the tests above). T=16 takes
// the tiled path.
func TestMatMulHalfNonFinite(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	const K, N = 37, 21
	for _, ks := range testSets() {
		for _, f := range halfFormats {
			for _, T := range []int{1, 2, 3, 4, 7, 8, 16} {
				t.Run(fmt.Sprintf("%s/%s/T%d", ks.name, f.name, T), func(t *testing.T) {
					h, wf := halfWeights(r, f, N*K)
					x := randFloats(r, T*K)
					// Weight row 1 has +Inf, row 2 NaN, row 3 +Inf and -Inf, row 4
					// -Inf; x row 0 has -Inf at column 5 (every product there is
					// ±Inf or NaN), x row 1 NaN at column 33.
					inf, ninf, nan := float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())
					for _, c := range []struct {
						i int
						v float32
					}{{1*K + 3, inf}, {2*K + 20, nan}, {3*K + 9, inf}, {3*K + 30, ninf}, {4*K + 36, ninf}} {
						h[c.i] = f.encode(c.v)
						wf[c.i] = f.decode(h[c.i])
					}
					x[5] = ninf
					if T > 1 {
						x[K+33] = nan
					}
					out := make([]float32, T*N)
					f.matmul(ks, out, x, h, T, K, N)
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
}
