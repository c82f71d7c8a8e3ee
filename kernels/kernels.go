// Package kernels holds the CPU compute kernels behind the CPU backend:
// matrix products over f32, f16 and bf16 weights, and the half-float
// conversions they need. Every optimised variant (assembly, parallel) is
// tested against the plain reference loops in reference.go.
package kernels

// MatMulF32 computes out = x·wᵀ: x is (T,K), w is (N,K), out is (T,N).
func MatMulF32(out, x, w []float32, T, K, N int) {
	matMulF32Ref(out, x, w, T, K, N)
}

// MatMulF16 is MatMulF32 with w stored as IEEE binary16 bit patterns.
func MatMulF16(out, x []float32, w []uint16, T, K, N int) {
	matMulF16Ref(out, x, w, T, K, N)
}

// MatMulBF16 is MatMulF32 with w stored as bfloat16 bit patterns.
func MatMulBF16(out, x []float32, w []uint16, T, K, N int) {
	matMulBF16Ref(out, x, w, T, K, N)
}
