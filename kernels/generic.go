package kernels

import (
	"math"
	"sync"
)

// The generic kernel set is plain Go: the fallback on every architecture
// without assembly (js/wasm included) and on amd64 CPUs without AVX2/FMA/F16C.

var genericKernels = kernelSet{
	name: "generic",
	// Go does not vectorise tileGo, and per row the four-row dot products
	// measured faster (bench/kernelcpu), so every T takes the
	// matrix-vector path; tileGo stays for the driver's tests on every
	// architecture.
	maxMatVecT: math.MaxInt,
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
	expSubSum:  expSubSumGo,
}

func dot4F32Go(x, w []float32, ldw, k int, o *[4]float32) {
	x = x[:k]
	w0, w1, w2, w3 := w[:k], w[ldw:ldw+k], w[2*ldw:2*ldw+k], w[3*ldw:3*ldw+k]
	var s0, s1, s2, s3 float32
	for i, v := range x {
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
	w0, w1, w2, w3 := w[:k], w[ldw:ldw+k], w[2*ldw:2*ldw+k], w[3*ldw:3*ldw+k]
	tab := f16Table()
	var s0, s1, s2, s3 float32
	for i, v := range x {
		s0 += v * tab[w0[i]]
		s1 += v * tab[w1[i]]
		s2 += v * tab[w2[i]]
		s3 += v * tab[w3[i]]
	}
	*o = [4]float32{s0, s1, s2, s3}
}

func dot4BF16Go(x []float32, w []uint16, ldw, k int, o *[4]float32) {
	x = x[:k]
	w0, w1, w2, w3 := w[:k], w[ldw:ldw+k], w[2*ldw:2*ldw+k], w[3*ldw:3*ldw+k]
	var s0, s1, s2, s3 float32
	for i, v := range x {
		s0 += v * BF16ToF32(w0[i])
		s1 += v * BF16ToF32(w1[i])
		s2 += v * BF16ToF32(w2[i])
		s3 += v * BF16ToF32(w3[i])
	}
	*o = [4]float32{s0, s1, s2, s3}
}

func cvtF16Go(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	tab := f16Table()
	for i, h := range src {
		dst[i] = tab[h]
	}
}

func cvtBF16Go(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = BF16ToF32(h)
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
	for i, v := range x {
		y[i] += a * v
	}
}

func siluMulGo(out, gate, up []float32) {
	gate, up = gate[:len(out)], up[:len(out)]
	for i, g := range gate {
		out[i] = g / (1 + float32(math.Exp(float64(-g)))) * up[i]
	}
}

func expSubSumGo(x []float32, m float32) float32 {
	var s float32
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		x[i] = e
		s += e
	}
	return s
}
