package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

// matmulSumTol bounds |got-want| relative to Σ|x_k·w_k| for one output: the
// kernels sum in a different order (vector lanes, fused multiply-adds) than
// the reference loop, and each reordering of K f32 additions moves the
// result by at most ~K·2⁻²⁴ of that sum; the shapes here have K ≤ 600.
const matmulSumTol = 4e-5

// dotTol is the same bound for Dot and Axpy.
const dotTol = 1e-5

// f16Value is an independent decoding of a binary16 pattern through float64
// arithmetic: (-1)^s · 2^(e-15) · (1 + m/1024), subnormals 2^-14 · m/1024.
func f16Value(h uint16) float64 {
	s := 1.0
	if h&0x8000 != 0 {
		s = -1
	}
	e := int(h>>10) & 0x1f
	m := float64(h & 0x3ff)
	switch e {
	case 0x1f:
		if m != 0 {
			return math.NaN()
		}
		return s * math.Inf(1)
	case 0:
		return s * math.Ldexp(m/1024, -14)
	}
	return s * math.Ldexp(1+m/1024, e-15)
}

func TestF16ToF32Exhaustive(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		got, want := F16ToF32(h), f16Value(h)
		if math.IsNaN(want) {
			if !math.IsNaN(float64(got)) {
				t.Fatalf("F16ToF32(%#04x) = %v, want NaN", h, got)
			}
			continue
		}
		if float64(got) != want || math.Signbit(float64(got)) != math.Signbit(want) {
			t.Fatalf("F16ToF32(%#04x) = %v, want %v", h, got, want)
		}
	}
}

func TestF32ToF16RoundTrip(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		if math.IsNaN(f16Value(h)) {
			if r := F32ToF16(F16ToF32(h)); r&0x7c00 != 0x7c00 || r&0x3ff == 0 {
				t.Fatalf("NaN %#04x came back as %#04x", h, r)
			}
			continue
		}
		if r := F32ToF16(F16ToF32(h)); r != h {
			t.Fatalf("F32ToF16(F16ToF32(%#04x)) = %#04x", h, r)
		}
	}
}

// TestF32ToF16Rounding checks every midpoint between neighbouring positive
// binary16 values: exactly halfway rounds to the even pattern, one f32 ulp
// either side rounds to the nearer one.
func TestF32ToF16Rounding(t *testing.T) {
	for h := uint16(0); h < 0x7c00; h++ {
		lo, hi := f16Value(h), f16Value(h+1) // h+1 = 0x7c00 is +Inf
		var mid float32
		if h == 0x7bff {
			mid = 65520 // max + half an ulp (2^4 at this exponent)
		} else {
			mid = float32((lo + hi) / 2) // exact: 12 significant bits
		}
		even := h
		if h&1 == 1 {
			even = h + 1
		}
		for _, c := range []struct {
			f    float32
			want uint16
		}{
			{mid, even},
			{math.Nextafter32(mid, 0), h},
			{math.Nextafter32(mid, float32(math.Inf(1))), h + 1},
		} {
			if got := F32ToF16(c.f); got != c.want {
				t.Fatalf("F32ToF16(%g) = %#04x, want %#04x", c.f, got, c.want)
			}
			if got := F32ToF16(-c.f); got != c.want|0x8000 {
				t.Fatalf("F32ToF16(%g) = %#04x, want %#04x", -c.f, got, c.want|0x8000)
			}
		}
	}
	for _, c := range []struct {
		f    float32
		want uint16
	}{
		{1, 0x3c00}, {-2, 0xc000}, {65504, 0x7bff}, {1e6, 0x7c00},
		{float32(math.Inf(-1)), 0xfc00}, {1e-10, 0}, {float32(math.Ldexp(1, -24)), 1},
	} {
		if got := F32ToF16(c.f); got != c.want {
			t.Errorf("F32ToF16(%g) = %#04x, want %#04x", c.f, got, c.want)
		}
	}
}

// TestConvertHalf checks each set's bulk conversions against the scalar ones
// over all 65536 patterns (NaNs by NaN-ness: VCVTPH2PS quiets them).
func TestConvertHalf(t *testing.T) {
	src := make([]uint16, 1<<16+5) // +5: a length that leaves a scalar tail
	for i := range src {
		src[i] = uint16(i)
	}
	for _, ks := range testSets() {
		for _, c := range []struct {
			name string
			cvt  func(dst []float32, src []uint16)
			scal func(uint16) float32
		}{{"f16", ks.cvtF16, F16ToF32}, {"bf16", ks.cvtBF16, BF16ToF32}} {
			dst := make([]float32, len(src))
			c.cvt(dst, src)
			for i, h := range src {
				want := c.scal(h)
				if math.IsNaN(float64(want)) {
					if !math.IsNaN(float64(dst[i])) {
						t.Fatalf("%s %s(%#04x) = %v, want NaN", ks.name, c.name, h, dst[i])
					}
				} else if math.Float32bits(dst[i]) != math.Float32bits(want) {
					t.Fatalf("%s %s(%#04x) = %v, want %v", ks.name, c.name, h, dst[i], want)
				}
			}
		}
	}
}

// matmulShapes cross every edge: T=1 and 2 (matrix-vector), 3 and 130 (the
// tile path with padded panels), K and N off the 8/16 vector widths and the
// 4-row and 6-row blocks, K=0, and sizes large enough to split over workers.
// For the generic set's rowGemm: odd T (the last x row alone), K off its
// 4-deep unroll, and several row chunks whose last one is short and not a
// multiple of 4 rows ({5,599,131} and {4,600,30}: 12-row chunks).
var matmulShapes = []struct{ T, K, N int }{
	{1, 1, 1}, {1, 7, 5}, {1, 17, 9}, {1, 33, 4}, {1, 576, 203}, {1, 600, 131},
	{2, 40, 10}, {3, 13, 7}, {3, 64, 6}, {5, 0, 3}, {16, 32, 12}, {17, 33, 13},
	{130, 37, 19}, {130, 70, 61}, {33, 576, 100}, {5, 599, 131}, {4, 600, 30},
}

type dtypeCase struct {
	name string
	// round maps a random f32 to the stored pattern and back.
	store func(w []float32) (wf []float32, run func(ks *kernelSet, out, x []float32, T, K, N int))
}

var dtypeCases = []dtypeCase{
	{"f32", func(w []float32) ([]float32, func(*kernelSet, []float32, []float32, int, int, int)) {
		return w, func(ks *kernelSet, out, x []float32, T, K, N int) { matMulF32With(ks, out, x, w, T, K, N) }
	}},
	{"f16", func(w []float32) ([]float32, func(*kernelSet, []float32, []float32, int, int, int)) {
		h := make([]uint16, len(w))
		wf := make([]float32, len(w))
		for i, v := range w {
			h[i] = F32ToF16(v)
			wf[i] = F16ToF32(h[i])
		}
		return wf, func(ks *kernelSet, out, x []float32, T, K, N int) { matMulF16With(ks, out, x, h, T, K, N) }
	}},
	{"bf16", func(w []float32) ([]float32, func(*kernelSet, []float32, []float32, int, int, int)) {
		h := make([]uint16, len(w))
		wf := make([]float32, len(w))
		for i, v := range w {
			h[i] = uint16(math.Float32bits(v) >> 16)
			wf[i] = BF16ToF32(h[i])
		}
		return wf, func(ks *kernelSet, out, x []float32, T, K, N int) { matMulBF16With(ks, out, x, h, T, K, N) }
	}},
}

func randFloats(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func TestMatMulMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const guard = 7 // extra out elements that must stay untouched
	for _, ks := range testSets() {
		for _, dc := range dtypeCases {
			for _, s := range matmulShapes {
				t.Run(fmt.Sprintf("%s/%s/T%dK%dN%d", ks.name, dc.name, s.T, s.K, s.N), func(t *testing.T) {
					x := randFloats(r, s.T*s.K)
					wf, run := dc.store(randFloats(r, s.N*s.K))
					want := make([]float32, s.T*s.N)
					matMulF32Ref(want, x, wf, s.T, s.K, s.N)
					out := make([]float32, s.T*s.N+guard)
					for i := range out {
						out[i] = float32(math.NaN())
					}
					run(ks, out, x, s.T, s.K, s.N)
					for i := s.T * s.N; i < len(out); i++ {
						if !math.IsNaN(float64(out[i])) {
							t.Fatalf("wrote past (T,N) at %d", i)
						}
					}
					for tt := 0; tt < s.T; tt++ {
						for n := 0; n < s.N; n++ {
							var abs float64
							for k := 0; k < s.K; k++ {
								abs += math.Abs(float64(x[tt*s.K+k] * wf[n*s.K+k]))
							}
							got, w := out[tt*s.N+n], want[tt*s.N+n]
							if d := math.Abs(float64(got - w)); !(d <= matmulSumTol*abs) {
								t.Fatalf("out[%d,%d] = %v, reference %v (|diff| %g, Σ|xw| %g)", tt, n, got, w, d, abs)
							}
						}
					}
				})
			}
		}
	}
}

// TestMatMulHalfReferences ties the f16/bf16 reference loops to the f32
// one on widened weights, so the test above compares against loops that
// are themselves checked.
func TestMatMulHalfReferences(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	T, K, N := 3, 19, 5
	x := randFloats(r, T*K)
	for _, dc := range dtypeCases[1:] {
		w := randFloats(r, N*K)
		wf, _ := dc.store(w)
		h := make([]uint16, len(w))
		for i, v := range wf {
			if dc.name == "f16" {
				h[i] = F32ToF16(v)
			} else {
				h[i] = uint16(math.Float32bits(v) >> 16)
			}
		}
		want := make([]float32, T*N)
		got := make([]float32, T*N)
		matMulF32Ref(want, x, wf, T, K, N)
		if dc.name == "f16" {
			matMulF16Ref(got, x, h, T, K, N)
		} else {
			matMulBF16Ref(got, x, h, T, K, N)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s reference out[%d] = %v, f32 reference %v", dc.name, i, got[i], want[i])
			}
		}
	}
}

func TestDotAxpy(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, ks := range testSets() {
		for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 64, 100, 1000} {
			x, y := randFloats(r, n), randFloats(r, n)
			var want, abs float64
			for i := range x {
				want += float64(x[i]) * float64(y[i])
				abs += math.Abs(float64(x[i] * y[i]))
			}
			if got := ks.dot(x, y); math.Abs(float64(got)-want) > dotTol*abs+1e-30 {
				t.Errorf("%s dot n=%d = %v, want %v", ks.name, n, got, want)
			}
			a := float32(r.NormFloat64())
			y2 := append([]float32(nil), y...)
			ks.axpy(a, x, y2)
			for i := range y {
				w := float64(y[i]) + float64(a)*float64(x[i])
				scale := math.Abs(float64(y[i])) + math.Abs(float64(a*x[i]))
				if math.Abs(float64(y2[i])-w) > dotTol*scale {
					t.Fatalf("%s axpy n=%d [%d] = %v, want %v", ks.name, n, i, y2[i], w)
				}
			}
		}
	}
}

func TestParallelForRunsEveryChunkOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 17, 1000} {
		seen := make([]int32, n)
		ParallelFor(n, func(i int) { seen[i]++ })
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("n=%d chunk %d ran %d times", n, i, c)
			}
		}
	}
}

// testSets is every kernel set this CPU runs, plus the generic set forced
// onto the tiled path (which it does not take by itself) so that the shared
// gemm driver and tileGo are tested on every architecture.
func testSets() []*kernelSet {
	tiled := genericKernels
	tiled.name = "generic-tiled"
	tiled.maxMatVecT = matVecMaxT
	tiled.dot2x4 = nil
	return append(testKernelSets(), &tiled)
}

// TestParallelForNested: a chunk may itself call ParallelFor (a backend op
// split across the pool that calls a matmul); every inner chunk still runs
// exactly once and nothing deadlocks.
func TestParallelForNested(t *testing.T) {
	const outer, inner = 9, 13
	var seen [outer * inner]atomic.Int32
	ParallelFor(outer, func(i int) {
		ParallelFor(inner, func(j int) { seen[i*inner+j].Add(1) })
	})
	for i := range seen {
		if c := seen[i].Load(); c != 1 {
			t.Fatalf("inner chunk %d ran %d times", i, c)
		}
	}
}

// TestDotRowsAxpyRows: DotRows and AxpyRows give every set's Dot and Axpy
// loops bit for bit (lengths on and off the 8-lane width, strides past
// the row length, 0 rows), and those agree with a float64 sum.
func TestDotRowsAxpyRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	defer func(ks *kernelSet) { active = ks }(active)
	for _, ks := range testKernelSets() {
		active = ks
		for _, n := range []int{1, 7, 8, 9, 64, 72, 100, 130} {
			for _, rows := range []int{0, 1, 3, 17} {
				stride := n + rng.IntN(20)
				m := make([]float32, rows*stride+n)
				for i := range m {
					m[i] = float32(rng.NormFloat64())
				}
				x, a := make([]float32, n), make([]float32, rows)
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				for i := range a {
					a[i] = float32(rng.NormFloat64())
				}
				got := make([]float32, rows)
				DotRows(got, x, m, stride)
				y0 := make([]float32, n)
				for i := range y0 {
					y0[i] = float32(rng.NormFloat64())
				}
				gy, wy := append([]float32(nil), y0...), append([]float32(nil), y0...)
				AxpyRows(gy, a, m, stride)
				for j := 0; j < rows; j++ {
					row := m[j*stride : j*stride+n]
					if want := Dot(x, row); got[j] != want {
						t.Fatalf("%s n%d rows%d: DotRows[%d] = %v, Dot %v", ks.name, n, rows, j, got[j], want)
					}
					var s float64
					for i := range x {
						s += float64(x[i]) * float64(row[i])
					}
					if math.Abs(s-float64(got[j])) > 1e-5*float64(n) {
						t.Fatalf("%s n%d: DotRows[%d] = %v, float64 sum %v", ks.name, n, j, got[j], s)
					}
					Axpy(a[j], row, wy)
				}
				for i := range wy {
					if gy[i] != wy[i] {
						t.Fatalf("%s n%d rows%d: AxpyRows y[%d] = %v, Axpy loop %v", ks.name, n, rows, i, gy[i], wy[i])
					}
					s := float64(y0[i])
					for j := 0; j < rows; j++ {
						s += float64(a[j]) * float64(m[j*stride+i])
					}
					if math.Abs(s-float64(gy[i])) > 1e-5*float64(rows+1) {
						t.Fatalf("%s n%d: AxpyRows y[%d] = %v, float64 sum %v", ks.name, n, i, gy[i], s)
					}
				}
			}
		}
	}
}
