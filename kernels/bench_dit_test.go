package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkDiTF16 times f16 matmuls at the layered-SVG DiT's shapes
// (models/layered-emoji: T=48 slot tokens, d_model 256, MLP 1024): the
// products that dominate one sampling step, and the ones the js/wasm CPU
// fallback runs 48 times per sample per layer. Compare the kernel sets with
//
//	PATH=$PATH:$(go env GOROOT)/lib/wasm GOOS=js GOARCH=wasm \
//	    go test -run '^$' -bench DiT -count 5 ./kernels
//
// (natively, LAMINA_KERNELS=generic forces the pure-Go set).
func BenchmarkDiTF16(b *testing.B) {
	r := rand.New(rand.NewPCG(13, 14))
	// V8 first runs wasm on its baseline compiler and swaps in optimised
	// code in the background: warm both matmul paths for a while so the
	// first case is not timed partly on baseline code.
	{
		x, w, out := randFloats(r, 48*256), make([]uint16, 256*256), make([]float32, 48*256)
		for start := time.Now(); time.Since(start) < 300*time.Millisecond; {
			MatMulF16(out, x, w, 48, 256, 256)
			MatMulF16(out, x, w, 1, 256, 256)
		}
	}
	for _, s := range []struct {
		name    string
		T, K, N int
	}{
		{"qkv_256x256", 48, 256, 256},
		{"fc1_1024x256", 48, 256, 1024},
		{"fc2_256x1024", 48, 1024, 256},
		{"cfg_fc1_1024x256", 96, 256, 1024},
		{"ada_256x256", 1, 256, 256},
	} {
		b.Run(fmt.Sprintf("%s/T%d", s.name, s.T), func(b *testing.B) {
			x := randFloats(r, s.T*s.K)
			wf := randFloats(r, s.N*s.K)
			h := make([]uint16, len(wf))
			for i, v := range wf {
				h[i] = F32ToF16(v)
			}
			out := make([]float32, s.T*s.N)
			MatMulF16(out, x, h, s.T, s.K, s.N)
			checkAgainstRef(b, out, x, h, s.T, s.K, s.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				MatMulF16(out, x, h, s.T, s.K, s.N)
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(2*s.T*s.K*s.N)/sec/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkGenericSmallT picks the generic set's maxMatVecT: for small T it
// times rowGemm (the set as shipped) against T matrix-vector passes (the
// set with maxMatVecT forced to MaxInt). Run under js/wasm, where the
// generic set is what runs.
func BenchmarkGenericSmallT(b *testing.B) {
	r := rand.New(rand.NewPCG(15, 16))
	matVecOnly := genericKernels
	matVecOnly.maxMatVecT = math.MaxInt
	for _, K := range []int{256, 576} {
		N := K
		wf := randFloats(r, N*K)
		h := make([]uint16, len(wf))
		for i, v := range wf {
			h[i] = F32ToF16(v)
		}
		for _, T := range []int{1, 2, 3, 4, 8} {
			x := randFloats(r, T*K)
			out := make([]float32, T*N)
			for _, c := range []struct {
				name string
				ks   *kernelSet
			}{{"shipped", &genericKernels}, {"matvec", &matVecOnly}} {
				b.Run(fmt.Sprintf("K%d/T%d/%s", K, T, c.name), func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						matMulF16With(c.ks, out, x, h, T, K, N)
					}
					sec := b.Elapsed().Seconds() / float64(b.N)
					b.ReportMetric(float64(2*T*K*N)/sec/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// checkAgainstRef fails the benchmark when the timed kernel's output is not
// the reference loop's within matmulSumTol, so a fast wrong kernel cannot
// pass for a speedup.
func checkAgainstRef(b *testing.B, got, x []float32, w []uint16, T, K, N int) {
	b.Helper()
	want := make([]float32, T*N)
	matMulF16Ref(want, x, w, T, K, N)
	for t := 0; t < T; t++ {
		for n := 0; n < N; n++ {
			var abs float64
			for k := 0; k < K; k++ {
				abs += math.Abs(float64(x[t*K+k] * F16ToF32(w[n*K+k])))
			}
			if d := math.Abs(float64(got[t*N+n] - want[t*N+n])); !(d <= matmulSumTol*abs) {
				b.Fatalf("out[%d,%d] = %g, reference %g (|Δ| %g > %g·%g)", t, n, got[t*N+n], want[t*N+n], d, matmulSumTol, abs)
			}
		}
	}
}
