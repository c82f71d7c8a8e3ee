// Package kernels holds the CPU compute kernels behind the CPU backend:
// matrix products over f32, f16 and bf16 weights, and the half-float
// conversions they need. Every optimised variant (assembly, parallel) is
// tested against the plain reference loops in reference.go.
//
// On amd64 with AVX2, FMA and F16C the inner loops are assembly (with an
// AVX-512 prefill micro-kernel where the CPU has AVX-512F); elsewhere
// (js/wasm included) they are plain Go. The matmuls split their work over a
// persistent pool of GOMAXPROCS goroutines (see ParallelFor). Setting the
// environment variable LAMINA_KERNELS=generic (or =avx2) forces that set,
// which is how the benchmarks compare them. The quantized (Q8/Q4) kernels
// are AVX2, also on an AVX-512 machine, except that the Q4 group-32 matvec
// uses AVX-512 VNNI where the CPU has it (QuantKernelsName; not under
// LAMINA_KERNELS=avx2); their decode matvecs quantize x to int8 there
// unless LAMINA_QUANT_DOT=f32 (see SetExactQuantDot in quant.go).
package kernels

import "os"

// active is the kernel set every exported function uses.
var active = selectKernels(os.Getenv("LAMINA_KERNELS"))

// selectKernels picks the fastest supported set unless forced to "generic"
// (or, on amd64, to "avx2").
func selectKernels(force string) *kernelSet {
	if force == "generic" {
		return &genericKernels
	}
	if ks := archKernels(force); ks != nil {
		return ks
	}
	return &genericKernels
}

// Name is the active kernel set: "avx512", "avx2" or "generic".
func Name() string { return active.name }

// MatMulF32 computes out = x·wᵀ: x is (T,K), w is (N,K), out is (T,N).
// It runs on the worker pool; callers should pass the whole matrix rather
// than splitting it across goroutines themselves.
func MatMulF32(out, x, w []float32, T, K, N int) {
	matMulF32With(active, out, x, w, T, K, N)
}

// MatMulF16 is MatMulF32 with w stored as IEEE binary16 bit patterns.
func MatMulF16(out, x []float32, w []uint16, T, K, N int) {
	matMulF16With(active, out, x, w, T, K, N)
}

// MatMulBF16 is MatMulF32 with w stored as bfloat16 bit patterns.
func MatMulBF16(out, x []float32, w []uint16, T, K, N int) {
	matMulBF16With(active, out, x, w, T, K, N)
}

// ConvertBF16ToF32 widens len(src) bfloat16 values into dst.
func ConvertBF16ToF32(dst []float32, src []uint16) { active.cvtBF16(dst[:len(src)], src) }

// Dot returns Σ x[i]·y[i] over len(x); y must be at least as long. The
// summation order differs from a plain loop (several partial sums), so
// results agree with it to rounding, not bit for bit.
func Dot(x, y []float32) float32 { return active.dot(x, y[:len(x)]) }

// Axpy adds a·x to y element-wise over len(x): y[i] += a·x[i]. Each element
// is one multiply and one add (or one fused multiply-add with assembly).
func Axpy(a float32, x, y []float32) { active.axpy(a, x, y[:len(x)]) }

// DotRows sets out[j] = Dot(x, m[j·stride:]) for every j < len(out): x
// against len(out) rows of m, stride apart (attention's scores over a KV
// cache), bit for bit Dot's results, without a call per row.
func DotRows(out, x, m []float32, stride int) {
	if len(out) == 0 {
		return
	}
	if len(x) == 0 {
		clear(out)
		return
	}
	_ = m[(len(out)-1)*stride+len(x)-1]
	if f := active.dotRows; f != nil {
		f(out, x, m, stride)
		return
	}
	for j := range out {
		out[j] = active.dot(x, m[j*stride:j*stride+len(x)])
	}
}

// AxpyRows runs Axpy(a[j], m[j·stride:j·stride+len(y)], y) for j = 0, 1,
// …, len(a)-1 in turn (attention's weighted sum of V cache rows), bit for
// bit, without a call per row.
func AxpyRows(y, a, m []float32, stride int) {
	if len(a) == 0 || len(y) == 0 {
		return
	}
	_ = m[(len(a)-1)*stride+len(y)-1]
	if f := active.axpyRows; f != nil {
		f(y, a, m, stride)
		return
	}
	for j, aj := range a {
		active.axpy(aj, m[j*stride:j*stride+len(y)], y)
	}
}

// SiLUMul computes out[i] = silu(gate[i])·up[i] = gate[i]/(1+e^-gate[i])·up[i]
// over len(out) (the SwiGLU MLP's activation); out may alias gate or up.
// The assembly exp is Cephes' expf (about 2 ulp), so results match a
// float64-exp loop to a few ulp, not bit for bit.
func SiLUMul(out, gate, up []float32) { active.siluMul(out, gate[:len(out)], up[:len(out)]) }

// GeluTanh computes out[i] = 0.5·x·(1+tanh(sqrt(2/π)(x+0.044715x³))) over len(out), evaluated
// as x/(1+e^(-2·sqrt(2/π)(x+0.044715x³))) (the same function: 1+tanh(u) = 2·sigmoid(2u)); out
// may alias x. Accuracy as SiLUMul's.
func GeluTanh(out, x []float32) { active.geluTanh(out, x[:len(out)]) }

// ExpSubSum replaces x[i] with exp(x[i]-m) and returns their sum: the
// exponentiation step of a softmax whose maximum is m. Accuracy as SiLUMul's;
// inputs below m-87 give 0.
func ExpSubSum(x []float32, m float32) float32 { return active.expSubSum(x, m) }
