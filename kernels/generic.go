package kernels

import (
	"math"
	"sync"
)

// The generic kernel set is plain Go: the fallback on every architecture
// without assembly (js/wasm included) and on amd64 CPUs without AVX2/FMA/F16C.

var genericKernels = kernelSet{
	name: "generic",
	// Go does not vectorise tileGo, so T > maxMatVecT runs rowGemm with
	// dot2x4Go; tileGo stays for the gemm driver's tests on every
	// architecture. Under js/wasm (BenchmarkGenericSmallT, Node 20) rowGemm
	// ties T matrix-vector passes at T=2 and beats them from T=3 (K=576,
	// T=4: ~2.8 against ~2.1 GFLOP/s; T=48: ~3x, BenchmarkDiTF16), so
	// only T=1 stays a matrix-vector product.
	maxMatVecT: 1,
	dot2x4:     dot2x4Go,
	kStep:      1,
	dot4F32:    dot4F32Go,
	dot4F16:    dot4F16Go,
	dot4BF16:   dot4BF16Go,
	cvtF16:     cvtF16Go,
	cvtBF16:    cvtBF16Go,
	tile:       tileGo,
	tileT:      tileGoT,
	tileN:      tileGoN,
	dot:        dotGo,
	axpy:       axpyGo,
	siluMul:    siluMulGo,
	geluTanh:   geluTanhGo,
	expSubSum:  expSubSumGo,
}

// The generic loops are unrolled 4 deep in k: under js/wasm each trip
// through a loop costs a branch through the function's dispatch loop, as
// much as several multiply-adds (unrolling made cvtF16Go about 2x faster
// there). The sums still run in k order, one accumulator per output.

func dot4F32Go(x []float32, w []float32, ldw, k int, o *[4]float32) {
	x = x[:k]
	w0, w1 := w[:k][:len(x)], w[ldw : ldw+k][:len(x)]
	w2, w3 := w[2*ldw : 2*ldw+k][:len(x)], w[3*ldw : 3*ldw+k][:len(x)]
	var s0, s1, s2, s3, v float32
	i := 3
	for ; i < len(x); i += 4 {
		v = x[i-3]
		s0 += v * w0[i-3]
		s1 += v * w1[i-3]
		s2 += v * w2[i-3]
		s3 += v * w3[i-3]
		v = x[i-2]
		s0 += v * w0[i-2]
		s1 += v * w1[i-2]
		s2 += v * w2[i-2]
		s3 += v * w3[i-2]
		v = x[i-1]
		s0 += v * w0[i-1]
		s1 += v * w1[i-1]
		s2 += v * w2[i-1]
		s3 += v * w3[i-1]
		v = x[i]
		s0 += v * w0[i]
		s1 += v * w1[i]
		s2 += v * w2[i]
		s3 += v * w3[i]
	}
	for i -= 3; i < len(x); i++ {
		v := x[i]
		s0 += v * w0[i]
		s1 += v * w1[i]
		s2 += v * w2[i]
		s3 += v * w3[i]
	}
	*o = [4]float32{s0, s1, s2, s3}
}

// f16Table maps every binary16 pattern to its f32 value (256 KiB, built on
// first use): without F16C, one indexed load is several times faster than
// F16ToF32's branches, which matters for the js/wasm CPU fallback.
var f16Table = sync.OnceValue(func() *[1 << 16]float32 {
	t := new([1 << 16]float32)
	for i := range t {
		t[i] = F16ToF32(uint16(i))
	}
	return t
})

func dot4F16Go(x []float32, w []uint16, ldw, k int, o *[4]float32) {
	x = x[:k]
	w0, w1 := w[:k][:len(x)], w[ldw : ldw+k][:len(x)]
	w2, w3 := w[2*ldw : 2*ldw+k][:len(x)], w[3*ldw : 3*ldw+k][:len(x)]
	tab := f16Table()
	var s0, s1, s2, s3, v float32
	i := 3
	for ; i < len(x); i += 4 {
		v = x[i-3]
		s0 += v * tab[w0[i-3]]
		s1 += v * tab[w1[i-3]]
		s2 += v * tab[w2[i-3]]
		s3 += v * tab[w3[i-3]]
		v = x[i-2]
		s0 += v * tab[w0[i-2]]
		s1 += v * tab[w1[i-2]]
		s2 += v * tab[w2[i-2]]
		s3 += v * tab[w3[i-2]]
		v = x[i-1]
		s0 += v * tab[w0[i-1]]
		s1 += v * tab[w1[i-1]]
		s2 += v * tab[w2[i-1]]
		s3 += v * tab[w3[i-1]]
		v = x[i]
		s0 += v * tab[w0[i]]
		s1 += v * tab[w1[i]]
		s2 += v * tab[w2[i]]
		s3 += v * tab[w3[i]]
	}
	for i -= 3; i < len(x); i++ {
		v := x[i]
		s0 += v * tab[w0[i]]
		s1 += v * tab[w1[i]]
		s2 += v * tab[w2[i]]
		s3 += v * tab[w3[i]]
	}
	*o = [4]float32{s0, s1, s2, s3}
}

func dot4BF16Go(x []float32, w []uint16, ldw, k int, o *[4]float32) {
	x = x[:k]
	w0, w1 := w[:k][:len(x)], w[ldw : ldw+k][:len(x)]
	w2, w3 := w[2*ldw : 2*ldw+k][:len(x)], w[3*ldw : 3*ldw+k][:len(x)]
	var s0, s1, s2, s3, v float32
	i := 3
	for ; i < len(x); i += 4 {
		v = x[i-3]
		s0 += v * BF16ToF32(w0[i-3])
		s1 += v * BF16ToF32(w1[i-3])
		s2 += v * BF16ToF32(w2[i-3])
		s3 += v * BF16ToF32(w3[i-3])
		v = x[i-2]
		s0 += v * BF16ToF32(w0[i-2])
		s1 += v * BF16ToF32(w1[i-2])
		s2 += v * BF16ToF32(w2[i-2])
		s3 += v * BF16ToF32(w3[i-2])
		v = x[i-1]
		s0 += v * BF16ToF32(w0[i-1])
		s1 += v * BF16ToF32(w1[i-1])
		s2 += v * BF16ToF32(w2[i-1])
		s3 += v * BF16ToF32(w3[i-1])
		v = x[i]
		s0 += v * BF16ToF32(w0[i])
		s1 += v * BF16ToF32(w1[i])
		s2 += v * BF16ToF32(w2[i])
		s3 += v * BF16ToF32(w3[i])
	}
	for i -= 3; i < len(x); i++ {
		v := x[i]
		s0 += v * BF16ToF32(w0[i])
		s1 += v * BF16ToF32(w1[i])
		s2 += v * BF16ToF32(w2[i])
		s3 += v * BF16ToF32(w3[i])
	}
	*o = [4]float32{s0, s1, s2, s3}
}

// dot2x4Go is the generic register block: 2 rows of x by 4 rows of w, 8
// accumulators, which with the operands fits Go's 16 float registers on
// wasm (a 4×4 block spills and measured slower there), unrolled 4 deep in k
// because the loop's own overhead (a branch through the function's dispatch
// loop on wasm) is as dear as several multiply-adds. Each output is one
// running sum in k order, as the reference loop.
func dot2x4Go(x []float32, ldx int, w []float32, ldw, k int, o *[8]float32) {
	x0 := x[:k]
	x1 := x[ldx : ldx+k][:len(x0)]
	w0 := w[:k][:len(x0)]
	w1 := w[ldw : ldw+k][:len(x0)]
	w2 := w[2*ldw : 2*ldw+k][:len(x0)]
	w3 := w[3*ldw : 3*ldw+k][:len(x0)]
	var s00, s01, s02, s03, s10, s11, s12, s13 float32
	i := 3
	for ; i < len(x0); i += 4 {
		a0, a1 := x0[i-3], x1[i-3]
		b := w0[i-3]
		s00 += a0 * b
		s10 += a1 * b
		b = w1[i-3]
		s01 += a0 * b
		s11 += a1 * b
		b = w2[i-3]
		s02 += a0 * b
		s12 += a1 * b
		b = w3[i-3]
		s03 += a0 * b
		s13 += a1 * b
		a0, a1 = x0[i-2], x1[i-2]
		b = w0[i-2]
		s00 += a0 * b
		s10 += a1 * b
		b = w1[i-2]
		s01 += a0 * b
		s11 += a1 * b
		b = w2[i-2]
		s02 += a0 * b
		s12 += a1 * b
		b = w3[i-2]
		s03 += a0 * b
		s13 += a1 * b
		a0, a1 = x0[i-1], x1[i-1]
		b = w0[i-1]
		s00 += a0 * b
		s10 += a1 * b
		b = w1[i-1]
		s01 += a0 * b
		s11 += a1 * b
		b = w2[i-1]
		s02 += a0 * b
		s12 += a1 * b
		b = w3[i-1]
		s03 += a0 * b
		s13 += a1 * b
		a0, a1 = x0[i], x1[i]
		b = w0[i]
		s00 += a0 * b
		s10 += a1 * b
		b = w1[i]
		s01 += a0 * b
		s11 += a1 * b
		b = w2[i]
		s02 += a0 * b
		s12 += a1 * b
		b = w3[i]
		s03 += a0 * b
		s13 += a1 * b
	}
	for i -= 3; i < len(x0); i++ {
		a0, a1 := x0[i], x1[i]
		s00 += a0 * w0[i]
		s10 += a1 * w0[i]
		s01 += a0 * w1[i]
		s11 += a1 * w1[i]
		s02 += a0 * w2[i]
		s12 += a1 * w2[i]
		s03 += a0 * w3[i]
		s13 += a1 * w3[i]
	}
	*o = [8]float32{s00, s01, s02, s03, s10, s11, s12, s13}
}

func cvtF16Go(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	tab := f16Table()
	i := 3
	for ; i < len(src); i += 4 {
		dst[i-3] = tab[src[i-3]]
		dst[i-2] = tab[src[i-2]]
		dst[i-1] = tab[src[i-1]]
		dst[i] = tab[src[i]]
	}
	for i -= 3; i < len(src); i++ {
		dst[i] = tab[src[i]]
	}
}

func cvtBF16Go(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	i := 3
	for ; i < len(src); i += 4 {
		dst[i-3] = BF16ToF32(src[i-3])
		dst[i-2] = BF16ToF32(src[i-2])
		dst[i-1] = BF16ToF32(src[i-1])
		dst[i] = BF16ToF32(src[i])
	}
	for i -= 3; i < len(src); i++ {
		dst[i] = BF16ToF32(src[i])
	}
}

// The Go tile is as wide as the AVX2 one; Go does not vectorise it, but the
// shared driver and its edge cases get tested on every architecture.
const tileGoT, tileGoN = 16, 6

func tileGo(xp, w []float32, ldw, k int, c []float32) {
	for n := 0; n < tileGoN; n++ {
		acc := *(*[tileGoT]float32)(c[n*tileGoT:])
		for j, wv := range w[n*ldw : n*ldw+k] {
			xv := (*[tileGoT]float32)(xp[j*tileGoT:])
			for t := range acc {
				acc[t] += wv * xv[t]
			}
		}
		copy(c[n*tileGoT:], acc[:])
	}
}

func dotGo(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func axpyGo(a float32, x, y []float32) {
	y = y[:len(x)]
	i := 3
	for ; i < len(x); i += 4 {
		y[i-3] += a * x[i-3]
		y[i-2] += a * x[i-2]
		y[i-1] += a * x[i-1]
		y[i] += a * x[i]
	}
	for i -= 3; i < len(x); i++ {
		y[i] += a * x[i]
	}
}

func siluMulGo(out, gate, up []float32) {
	gate, up = gate[:len(out)], up[:len(out)]
	for i, g := range gate {
		out[i] = g / (1 + expf(-g)) * up[i]
	}
}

// expf is Cephes' expf in float32, the same algorithm as the assembly EXP8 (about 2 ulp):
// n = round(x·log2e), r = x − n·ln2 (Cody–Waite, ln 2 in two parts), exp(r) ≈ 1 + r + r²·p(r)
// with p of degree 5, times 2ⁿ. Results below e^-87.34 flush to 0, above e^88.38 are +Inf, NaN
// stays NaN. Under js/wasm it is about 3x faster than float32(math.Exp(float64(x))), which
// handles the full float64 range.
func expf(x float32) float32 {
	switch {
	case x > 88.37626:
		return float32(math.Inf(1))
	case x < -87.33654:
		return 0
	case x != x:
		return x
	}
	n := float32(math.Floor(float64(x*1.44269504088896341 + 0.5)))
	r := x - n*0.693359375
	r -= n * -2.12194440e-4
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r*r + r + 1
	return y * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// geluTanhGo is GeluTanh as x·sigmoid(2u): 0.5x(1+tanh(u)) = x/(1+e^(-2u)) with
// u = sqrt(2/π)(x+0.044715x³), one exp instead of a tanh (half the time natively and under
// js/wasm, with expf) and no cancellation in 1+tanh(u) for negative x.
func geluTanhGo(out, x []float32) {
	x = x[:len(out)]
	const c2 = -2 * 0.7978845608028654 // -2·sqrt(2/π)
	for i, v := range x {
		out[i] = v / (1 + expf(c2*v*(1+0.044715*v*v)))
	}
}

func expSubSumGo(x []float32, m float32) float32 {
	var s float32
	for i, v := range x {
		e := expf(v - m)
		x[i] = e
		s += e
	}
	return s
}
