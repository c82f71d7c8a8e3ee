//go:build amd64

package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestQ4VNNIMatchesAVX2: the VNNI row pairs do the AVX2 kernel's integer
// sums and float steps, so their products agree bit for bit, on shapes
// off the 8-block step (tails of 1 to 7 blocks), odd and even row counts,
// and groups other than 32 (which take the AVX2 kernel).
func TestQ4VNNIMatchesAVX2(t *testing.T) {
	if !hasAVX512VNNI() {
		t.Skip("no AVX-512 VNNI here")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	for _, g := range []int{32, 64, 0} {
		for _, sh := range [][2]int{{32, 2}, {64, 3}, {96, 4}, {200, 7}, {256, 64}, {384, 129}, {416, 10}, {1000, 65}, {4000, 6}} {
			K, N := sh[0], sh[1]
			m, _ := randomQMatrix(t, rng, 4, N, K, g)
			x := make([]float32, K)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			want, got := make([]float32, N), make([]float32, N)
			matMulQWith(active, &avx2Quant, true, want, x, m, 1)
			matMulQWith(active, &vnniQuant, true, got, x, m, 1)
			for n := range want {
				if got[n] != want[n] {
					t.Fatalf("g%d K%d N%d: out[%d] = %v with VNNI, %v with AVX2", g, K, N, n, got[n], want[n])
				}
			}
		}
	}
}
