//go:build js && wasm

package wasmsimd

import (
	"fmt"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

// BenchmarkMatMul times Engine.MatMul (copy x in, the kernel, copy out)
// for brown-20m's shapes; b.N products per run.
func BenchmarkMatMul(b *testing.B) {
	e, err := load(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range [][3]int{{1, 384, 1024}, {1, 1024, 384}, {1, 384, 128}, {128, 384, 1024}} {
		T, K, N := s[0], s[1], s[2]
		for _, dt := range []tensor.DType{tensor.F32, tensor.F16} {
			b.Run(fmt.Sprintf("%v/T%d_K%d_N%d", dt, T, K, N), func(b *testing.B) {
				w, err := e.Hold(dt, N, K, make([]float32, N*K), make([]uint16, N*K))
				if err != nil {
					b.Fatal(err)
				}
				defer e.Release(w)
				x, out := make([]float32, T*K), make([]float32, T*N)
				b.SetBytes(int64(N * K * dt.Size()))
				for b.Loop() {
					if err := e.MatMul(out, x, w, T); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
