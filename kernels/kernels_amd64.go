//go:build amd64

package kernels

// CPU feature detection: AVX2 and FMA for the arithmetic, F16C for
// VCVTPH2PS, and OS support for saving ymm registers (OSXSAVE and XCR0 bits
// 1-2), following Intel SDM vol. 1 §14.3 "Detection of AVX instructions".

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

func hasAVX2FMAF16C() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
		f16c    = 1 << 29
	)
	if ecx1&(fma|osxsave|avx|f16c) != fma|osxsave|avx|f16c {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const avx2 = 1 << 5
	return ebx7&avx2 != 0
}

//go:noescape
func dot4F32asm(x *float32, w *float32, ldw int, k int, o *[4]float32)

//go:noescape
func dot4F16asm(x *float32, w *uint16, ldw int, k int, o *[4]float32)

//go:noescape
func matVecF16asm(x *float32, w *uint16, ldw, k, rows int, out *float32)

//go:noescape
func dotT4F16asm(x *float32, ldx int, w *uint16, ldw, k, rows int, out *float32, ldo int)

//go:noescape
func dotT2F16asm(x *float32, ldx int, w *uint16, ldw, k, rows int, out *float32, ldo int)

//go:noescape
func matVecBF16asm(x *float32, w *uint16, ldw, k, rows int, out *float32)

//go:noescape
func dotT4BF16asm(x *float32, ldx int, w *uint16, ldw, k, rows int, out *float32, ldo int)

//go:noescape
func dotT2BF16asm(x *float32, ldx int, w *uint16, ldw, k, rows int, out *float32, ldo int)

// smallTAVX2 wraps one format's assembly for matMulSmallHalf. The wrappers
// index the last element each kernel reads (the prefetches past the end are
// hints that cannot fault).
func smallTAVX2(mv func(x *float32, w *uint16, ldw, k, rows int, out *float32),
	t4, t2 func(x *float32, ldx int, w *uint16, ldw, k, rows int, out *float32, ldo int)) smallTKernels {
	return smallTKernels{
		mv: func(x []float32, w []uint16, ldw, k, rows int, out []float32) {
			if rows == 0 {
				return
			}
			_, _, _ = x[k-1], w[(rows-1)*ldw+k-1], out[rows-1]
			mv(&x[0], &w[0], ldw, k, rows, &out[0])
		},
		t4: func(x []float32, ldx int, w []uint16, ldw, k, rows int, out []float32, ldo int) {
			if rows == 0 {
				return
			}
			_, _, _ = x[3*ldx+k-1], w[(rows-1)*ldw+k-1], out[3*ldo+rows-1]
			t4(&x[0], ldx, &w[0], ldw, k, rows, &out[0], ldo)
		},
		t2: func(x []float32, ldx int, w []uint16, ldw, k, rows int, out []float32, ldo int) {
			if rows == 0 {
				return
			}
			_, _, _ = x[ldx+k-1], w[(rows-1)*ldw+k-1], out[ldo+rows-1]
			t2(&x[0], ldx, &w[0], ldw, k, rows, &out[0], ldo)
		},
	}
}

var (
	smallF16AVX2  = smallTAVX2(matVecF16asm, dotT4F16asm, dotT2F16asm)
	smallBF16AVX2 = smallTAVX2(matVecBF16asm, dotT4BF16asm, dotT2BF16asm)
)

//go:noescape
func dot4BF16asm(x *float32, w *uint16, ldw int, k int, o *[4]float32)

//go:noescape
func tileAVX2asm(xp *float32, w *float32, ldw int, k int, c *float32)

//go:noescape
func tileAVX512asm(xp *float32, w *float32, ldw int, k int, c *float32)

//go:noescape
func cvtF16asm(dst *float32, src *uint16, n int)

//go:noescape
func cvtBF16asm(dst *float32, src *uint16, n int)

//go:noescape
func dotasm(x, y *float32, n int) float32

//go:noescape
func axpyasm(a float32, x, y *float32, n int)

//go:noescape
func dotRowsAsm(out *float32, x *float32, m *float32, stride, rows, n int)

//go:noescape
func axpyRowsAsm(y *float32, a *float32, m *float32, stride, rows, n int)

//go:noescape
func siluMulAsm(out, gate, up *float32, n int)

//go:noescape
func geluTanhAsm(out, x *float32, n int)

//go:noescape
func expSubSumAsm(x *float32, m float32, n int) float32

var avx2Kernels = kernelSet{
	name:       "avx2",
	maxMatVecT: matVecMaxT,
	kStep:      8,
	// The wrappers index the last element each kernel reads, so a driver
	// bug panics with a bounds error instead of reading out of bounds.
	dot4F32: func(x, w []float32, ldw, k int, o *[4]float32) {
		_, _ = x[k-1], w[3*ldw+k-1]
		dot4F32asm(&x[0], &w[0], ldw, k, o)
	},
	dot4F16: func(x []float32, w []uint16, ldw, k int, o *[4]float32) {
		_, _ = x[k-1], w[3*ldw+k-1]
		dot4F16asm(&x[0], &w[0], ldw, k, o)
	},
	smallF16:  &smallF16AVX2,
	smallBF16: &smallBF16AVX2,
	smallT:    smallTMax,
	dot4BF16: func(x []float32, w []uint16, ldw, k int, o *[4]float32) {
		_, _ = x[k-1], w[3*ldw+k-1]
		dot4BF16asm(&x[0], &w[0], ldw, k, o)
	},
	cvtF16: func(dst []float32, src []uint16) {
		n := len(src) &^ 7
		if n > 0 {
			_ = dst[n-1]
			cvtF16asm(&dst[0], &src[0], n)
		}
		cvtF16Go(dst[n:], src[n:])
	},
	cvtBF16: func(dst []float32, src []uint16) {
		n := len(src) &^ 7
		if n > 0 {
			_ = dst[n-1]
			cvtBF16asm(&dst[0], &src[0], n)
		}
		cvtBF16Go(dst[n:], src[n:])
	},
	tile: func(xp, w []float32, ldw, k int, c []float32) {
		if k == 0 {
			return
		}
		_, _, _ = xp[k*16-1], w[5*ldw+k-1], c[16*6-1]
		tileAVX2asm(&xp[0], &w[0], ldw, k, &c[0])
	},
	tileT: 16,
	tileN: 6,
	dot: func(x, y []float32) float32 {
		n := len(x) &^ 7
		var s float32
		if n > 0 {
			_ = y[n-1]
			s = dotasm(&x[0], &y[0], n)
		}
		for i := n; i < len(x); i++ {
			s += x[i] * y[i]
		}
		return s
	},
	siluMul: func(out, gate, up []float32) {
		n := len(out) &^ 7
		if n > 0 {
			_, _ = gate[n-1], up[n-1]
			siluMulAsm(&out[0], &gate[0], &up[0], n)
		}
		siluMulGo(out[n:], gate[n:], up[n:])
	},
	geluTanh: func(out, x []float32) {
		n := len(out) &^ 7
		if n > 0 {
			_ = x[n-1]
			geluTanhAsm(&out[0], &x[0], n)
		}
		geluTanhGo(out[n:], x[n:])
	},
	expSubSum: func(x []float32, m float32) float32 {
		n := len(x) &^ 7
		var s float32
		if n > 0 {
			s = expSubSumAsm(&x[0], m, n)
		}
		return s + expSubSumGo(x[n:], m)
	},
	axpy: func(a float32, x, y []float32) {
		n := len(x) &^ 7
		if n > 0 {
			_ = y[n-1]
			axpyasm(a, &x[0], &y[0], n)
		}
		for i := n; i < len(x); i++ {
			y[i] += a * x[i]
		}
	},
	// dotRows and axpyRows are dot and axpy over rows (the exported
	// wrappers checked the bounds), the columns past the last multiple of
	// 8 finished in Go as dot and axpy finish them.
	dotRows: func(out, x, m []float32, stride int) {
		n := len(x) &^ 7
		if n > 0 {
			dotRowsAsm(&out[0], &x[0], &m[0], stride, len(out), n)
		} else {
			clear(out)
		}
		for j := range out {
			s, row := out[j], m[j*stride:j*stride+len(x)]
			for i := n; i < len(x); i++ {
				s += x[i] * row[i]
			}
			out[j] = s
		}
	},
	axpyRows: func(y, a, m []float32, stride int) {
		n := len(y) &^ 7
		if n > 0 {
			axpyRowsAsm(&y[0], &a[0], &m[0], stride, len(a), n)
		}
		if n < len(y) {
			for j, aj := range a {
				row := m[j*stride : j*stride+len(y)]
				for i := n; i < len(y); i++ {
					y[i] += aj * row[i]
				}
			}
		}
	},
}

// hasAVX512F reports AVX-512 Foundation with the OS saving opmask and zmm
// state (XCR0 bits 5-7), on top of hasAVX2FMAF16C.
func hasAVX512F() bool {
	if !hasAVX2FMAF16C() {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&0xe6 != 0xe6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const avx512f = 1 << 16
	return ebx7&avx512f != 0
}

// avx512Kernels is avx2Kernels with a wider prefill micro-kernel: 32 rows
// of x (two 16-lane zmm registers) by 12 weight rows is 24 accumulators of
// the 32 zmm registers, twice the FMA width per instruction and twice the
// FMAs per broadcast weight. Decode is bound by memory, not arithmetic, so
// its matrix-vector kernels stay the AVX2 ones.
var avx512Kernels = func() kernelSet {
	ks := avx2Kernels
	ks.name = "avx512"
	ks.tileT, ks.tileN = 32, 12
	ks.tile = func(xp, w []float32, ldw, k int, c []float32) {
		if k == 0 {
			return
		}
		_, _, _ = xp[k*32-1], w[11*ldw+k-1], c[32*12-1]
		tileAVX512asm(&xp[0], &w[0], ldw, k, &c[0])
	}
	return ks
}()

// archKernels is the fastest assembly set the CPU supports, else nil.
// LAMINA_KERNELS=avx2 picks AVX2 on an AVX-512 machine (for comparisons).
func archKernels(force string) *kernelSet {
	switch {
	case force != "avx2" && hasAVX512F():
		return &avx512Kernels
	case hasAVX2FMAF16C():
		return &avx2Kernels
	}
	return nil
}

// testKernelSets lists every set this CPU can run, for the tests.
func testKernelSets() []*kernelSet {
	sets := []*kernelSet{&genericKernels}
	if hasAVX2FMAF16C() {
		sets = append(sets, &avx2Kernels)
	}
	if hasAVX512F() {
		sets = append(sets, &avx512Kernels)
	}
	return sets
}
