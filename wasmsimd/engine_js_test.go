//go:build js && wasm

package wasmsimd

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

func loadEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// halfBits is the f32 bit pattern of binary16 h, computed from the
// definition (IEEE 754-2008 §3.4) in float64: an independent reference for
// the module's widening. NaNs keep their payload in the top mantissa bits.
func halfBits(h uint16) uint32 {
	sign := uint32(h>>15) << 31
	exp := int(h>>10) & 31
	man := uint32(h) & 1023
	switch {
	case exp == 31:
		return sign | 0x7f800000 | man<<13
	case exp == 0:
		v := math.Ldexp(float64(man), -24)
		return sign | math.Float32bits(float32(v))
	}
	v := math.Ldexp(1+float64(man)/1024, exp-15)
	return sign | math.Float32bits(float32(v))
}

// TestWidenAllBitPatterns widens all 65,536 f16 and bf16 patterns in the
// module (the widening every f16/bf16 kernel inlines) and compares bits with
// the definition and with the CPU backend's Read of the same tensor (the Go
// kernels' conversion). Every non-NaN pattern must match bit for bit; a NaN
// must stay a NaN of the same sign and payload, the quiet bit possibly set
// (WebAssembly lets float ops quiet a signalling NaN; see widen8).
func TestWidenAllBitPatterns(t *testing.T) {
	e := loadEngine(t)
	all := make([]uint16, 1<<16)
	raw := make([]byte, 2<<16)
	for i := range all {
		all[i] = uint16(i)
		binary.LittleEndian.PutUint16(raw[2*i:], uint16(i))
	}
	cpu := tensor.NewCPU()
	for _, c := range []struct {
		d    dtype
		dt   tensor.DType
		want func(uint16) uint32
	}{
		{dF16, tensor.F16, halfBits},
		{dBF16, tensor.BF16, func(h uint16) uint32 { return uint32(h) << 16 }},
	} {
		got, err := e.widenBits(c.d, all)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := cpu.Upload([]int{1, 1 << 16}, c.dt, raw)
		if err != nil {
			t.Fatal(err)
		}
		cv, err := cpu.Read(ref, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		bad := 0
		for i, v := range got {
			w := c.want(uint16(i))
			g := math.Float32bits(v)
			if w&0x7f800000 == 0x7f800000 && w&0x7fffff != 0 && g|0x400000 == w|0x400000 {
				g = w // the same NaN, maybe quieted
			}
			if g != w || math.Float32bits(cv[i]) != w {
				if bad < 5 {
					t.Errorf("%v %#04x: module %#08x, CPU %#08x, want %#08x", c.d, i, math.Float32bits(v), math.Float32bits(cv[i]), w)
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%v: %d of 65536 patterns differ", c.d, bad)
		}
	}
}

// Tolerances of a product against the CPU backend, relative to Σ|x||w|
// (summation order differs; the products are the same f32 values).
const tolMatMul = 1e-5

func weightBytes(dt tensor.DType, v []float32) []byte {
	b := make([]byte, len(v)*dt.Size())
	for i, f := range v {
		switch dt {
		case tensor.F32:
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
		case tensor.F16:
			binary.LittleEndian.PutUint16(b[2*i:], f32ToF16(f))
		case tensor.BF16:
			binary.LittleEndian.PutUint16(b[2*i:], uint16(math.Float32bits(f)>>16))
		}
	}
	return b
}

// f32ToF16 truncates f (finite, |f| < 65504, or ±Inf/NaN) to binary16;
// the tests need any f16 values, not rounded ones.
func f32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	switch {
	case f != f:
		return sign | 0x7e00
	case math.IsInf(float64(f), 0):
		return sign | 0x7c00
	}
	a := math.Abs(float64(f))
	if a < math.Ldexp(1, -14) { // subnormal
		return sign | uint16(a/math.Ldexp(1, -24))
	}
	exp := int(b>>23&255) - 127 + 15
	return sign | uint16(exp)<<10 | uint16(b>>13&1023)
}

func classify(v float32) string {
	switch {
	case v != v:
		return "NaN"
	case math.IsInf(float64(v), 1):
		return "+Inf"
	case math.IsInf(float64(v), -1):
		return "-Inf"
	}
	return ""
}

// checkMatMul runs out = x·wᵀ + bias on the CPU backend and on one with the
// engine, and compares.
func checkMatMul(t *testing.T, simd, cpu tensor.Backend, dt tensor.DType, T, K, N int, x, w []float32) {
	t.Helper()
	wb := weightBytes(dt, w)
	bias := make([]float32, N)
	for i := range bias {
		bias[i] = float32(i%5) - 2
	}
	var outs [2][]float32
	for i, be := range []tensor.Backend{cpu, simd} {
		wt, err := be.Upload([]int{N, K}, dt, wb)
		if err != nil {
			t.Fatal(err)
		}
		xt, _ := be.UploadF32([]int{T, K}, x)
		bt, _ := be.UploadF32([]int{N}, bias)
		ot, _ := be.Zeros(T, N)
		be.MatMul(ot, xt, wt, bt)
		// A second call reuses the held weight.
		be.MatMul(ot, xt, wt, bt)
		if outs[i], err = be.Read(ot, 0, -1); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []tensor.Tensor{wt, xt, bt, ot} {
			be.Free(tt)
		}
	}
	// The scale of each output: Σ|x||w| with w as stored.
	wq, err := cpu.Upload([]int{N, K}, dt, wb)
	if err != nil {
		t.Fatal(err)
	}
	wv, _ := cpu.Read(wq, 0, -1)
	bad := 0
	for r := 0; r < T; r++ {
		for n := 0; n < N; n++ {
			g, c := outs[1][r*N+n], outs[0][r*N+n]
			if classify(g) != classify(c) {
				if bad < 5 {
					t.Errorf("%v T=%d K=%d N=%d [%d,%d]: simd %v, cpu %v", dt, T, K, N, r, n, g, c)
				}
				bad++
				continue
			}
			if classify(c) != "" {
				continue
			}
			var s float64
			for k := 0; k < K; k++ {
				s += math.Abs(float64(x[r*K+k]) * float64(wv[n*K+k]))
			}
			if d := math.Abs(float64(g - c)); d > tolMatMul*(s+1) {
				if bad < 5 {
					t.Errorf("%v T=%d K=%d N=%d [%d,%d]: simd %v, cpu %v (|Σ| %g)", dt, T, K, N, r, n, g, c, s)
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%v T=%d K=%d N=%d: %d outputs differ", dt, T, K, N, bad)
	}
}

func randVec(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// TestMatMul compares every kernel (f32/f16/bf16 weights; the one-row
// matvec and the tiled T ≥ 2 path) with the CPU backend on shapes off the
// vector width (K and N not multiples of 4 or 8, T not a multiple of the
// 4-row tile) and a large K.
func TestMatMul(t *testing.T) {
	e := loadEngine(t)
	simd, cpu := tensor.NewCPUWith(e), tensor.NewCPU()
	if simd.Name() != Name {
		t.Fatalf("backend name %q", simd.Name())
	}
	r := rand.New(rand.NewPCG(1, 2))
	shapes := [][3]int{ // T, K, N
		{1, 1, 1}, {1, 3, 7}, {1, 8, 8}, {1, 13, 9}, {1, 384, 1024}, {1, 1024, 385},
		{2, 5, 17}, {3, 7, 8}, {4, 16, 16}, {5, 33, 31}, {7, 64, 9}, {9, 100, 24}, {17, 129, 41},
		{2, 8191, 9}, {1, 16387, 3}, // large K
	}
	for _, dt := range []tensor.DType{tensor.F32, tensor.F16, tensor.BF16} {
		for _, s := range shapes {
			T, K, N := s[0], s[1], s[2]
			checkMatMul(t, simd, cpu, dt, T, K, N, randVec(r, T*K), randVec(r, N*K))
		}
	}
	if len(e.free) > 1 {
		t.Errorf("free list not merged: %v (top %d)", e.free, e.top)
	}
	// WidenHalf: the same products with f16/bf16 weights held as f32.
	w := loadEngine(t)
	w.WidenHalf = true
	wide := tensor.NewCPUWith(w)
	for _, dt := range []tensor.DType{tensor.F16, tensor.BF16} {
		for _, s := range [][3]int{{1, 13, 9}, {1, 384, 100}, {5, 33, 31}} {
			T, K, N := s[0], s[1], s[2]
			checkMatMul(t, wide, cpu, dt, T, K, N, randVec(r, T*K), randVec(r, N*K))
		}
	}
}

// TestMatMulNaNInf puts NaN in x and ±Inf in w: the same outputs must be
// NaN and ±Inf on both backends.
func TestMatMulNaNInf(t *testing.T) {
	e := loadEngine(t)
	simd, cpu := tensor.NewCPUWith(e), tensor.NewCPU()
	r := rand.New(rand.NewPCG(3, 4))
	inf := float32(math.Inf(1))
	for _, dt := range []tensor.DType{tensor.F32, tensor.F16, tensor.BF16} {
		for _, T := range []int{1, 6} {
			const K, N = 11, 13
			x, w := randVec(r, T*K), randVec(r, N*K)
			x[0*K+4] = float32(math.NaN()) // row 0: all NaN
			w[3*K+2] = inf                 // column 3: ±Inf by the sign of x[.,2]
			w[5*K+1] = -inf
			w[5*K+7] = inf // column 5: Inf - Inf = NaN
			checkMatMul(t, simd, cpu, dt, T, K, N, x, w)
		}
	}
}
