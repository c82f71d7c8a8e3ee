package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkMatVecQuant compares one decode matrix-vector product over f16,
// Q8 (per channel) and Q4 (group 32) weights of the same shape:
//
//	go test -run '^$' -bench MatVecQuant -count 3 ./kernels
//
// The shapes are SmolLM2-135M's MLP and lm_head, then lamina-brown-20m's
// (hidden 384): attention q/o, k/v, MLP up and down, and the tied lm_head.
func BenchmarkMatVecQuant(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, sh := range [][2]int{{576, 1536}, {1536, 576}, {576, 49152},
		{384, 384}, {384, 128}, {384, 1024}, {1024, 384}, {384, 4096}} {
		K, N := sh[0], sh[1]
		x := make([]float32, K)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		out := make([]float32, N)
		wf := make([]uint16, N*K)
		for i := range wf {
			wf[i] = F32ToF16(float32(rng.NormFloat64()) * 0.02)
		}
		b.Run(fmt.Sprintf("f16/K%dN%d", K, N), func(b *testing.B) {
			b.SetBytes(int64(2 * N * K))
			for i := 0; i < b.N; i++ {
				MatMulF16(out, x, wf, 1, K, N)
			}
		})
		for _, q := range []struct{ bits, group int }{{8, 0}, {4, 32}, {4, 128}} {
			m, err := NewQMatrix(q.bits, N, K, q.group)
			if err != nil {
				b.Fatal(err)
			}
			for i := range m.Q {
				m.Q[i] = byte(rng.IntN(256))
			}
			for i := range m.Scale {
				m.Scale[i] = 0.01
			}
			b.Run(fmt.Sprintf("q%dg%d/K%dN%d", q.bits, q.group, K, N), func(b *testing.B) {
				b.SetBytes(int64(m.Bytes()))
				for i := 0; i < b.N; i++ {
					MatMulQ(out, x, m, 1)
				}
			})
		}
	}
}
