package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Benchmarks at SmolLM2-135M's matmul shapes (hidden 576, MLP 1536, vocab
// 49152). Decode (T=1) is bound by reading the weights, so it reports GB/s
// of weights; prefill (T=128) reports GFLOP/s. Run with
//
//	go test -run - -bench . ./kernels/
//
// and LAMINA_KERNELS=generic to compare the pure-Go kernels.

var benchShapes = []struct {
	name string
	K, N int
}{
	{"qo_576x576", 576, 576},
	{"up_1536x576", 576, 1536},
	{"down_576x1536", 1536, 576},
	{"lmhead_49152x576", 576, 49152},
}

func benchMatMul(b *testing.B, T int, dtype string) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range benchShapes {
		if T > 1 && s.N == 49152 && dtype != "f16" {
			continue // keep the run short: one lm_head prefill case is enough
		}
		b.Run(fmt.Sprintf("%s/T%d", s.name, T), func(b *testing.B) {
			x := randFloats(r, T*s.K)
			wf := randFloats(r, s.N*s.K)
			out := make([]float32, T*s.N)
			var run func()
			bytesPerElem := 2
			switch dtype {
			case "f32":
				bytesPerElem = 4
				run = func() { MatMulF32(out, x, wf, T, s.K, s.N) }
			case "f16", "bf16":
				h := make([]uint16, len(wf))
				for i, v := range wf {
					h[i] = F32ToF16(v)
				}
				if dtype == "f16" {
					run = func() { MatMulF16(out, x, h, T, s.K, s.N) }
				} else {
					run = func() { MatMulBF16(out, x, h, T, s.K, s.N) }
				}
			}
			run()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				run()
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(2*T*s.K*s.N)/sec/1e9, "GFLOP/s")
			b.ReportMetric(float64(bytesPerElem*s.K*s.N)/sec/1e9, "GB/s")
		})
	}
}

func BenchmarkMatVecF32(b *testing.B)  { benchMatMul(b, 1, "f32") }
func BenchmarkMatVecF16(b *testing.B)  { benchMatMul(b, 1, "f16") }
func BenchmarkMatVecBF16(b *testing.B) { benchMatMul(b, 1, "bf16") }
func BenchmarkGemmF32(b *testing.B)    { benchMatMul(b, 128, "f32") }
func BenchmarkGemmF16(b *testing.B)    { benchMatMul(b, 128, "f16") }
func BenchmarkGemmBF16(b *testing.B)   { benchMatMul(b, 128, "bf16") }

func BenchmarkDot64(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	x, y := randFloats(r, 64), randFloats(r, 64)
	var s float32
	for i := 0; i < b.N; i++ {
		s += Dot(x, y)
	}
	_ = s
}

func BenchmarkSiLUMul1536(b *testing.B) {
	r := rand.New(rand.NewPCG(11, 12))
	g, u := randFloats(r, 1536), randFloats(r, 1536)
	out := make([]float32, 1536)
	b.SetBytes(1536 * 4)
	for i := 0; i < b.N; i++ {
		SiLUMul(out, g, u)
	}
}
