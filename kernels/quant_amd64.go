//go:build amd64

package kernels

import "math"

//go:noescape
func dotQ8asm(x *float32, q *byte, scale *float32, nblk, bpg int) float32

//go:noescape
func dequantQ8asm(dst *float32, q *byte, scale *float32, nblk, bpg int)

//go:noescape
func dequantQ4asm(dst *float32, q *byte, scale, mins *float32, nblk, bpg int)

//go:noescape
func dotQ4asm(x *float32, q *byte, scale, mins, xsum *float32, nblk, bpg int) float32

//go:noescape
func dotQ8iasm(xq *int8, xd *float32, q *byte, scale *float32, out *float32, nrows, nblk, bpg int, cs *float32)

//go:noescape
func dotQ4iasm(xq *int8, xd *float32, q *byte, scale, mins, xsum, out *float32, nrows, nblk, bpg, ng int, cs *float32, mb, mg *int32)

//go:noescape
func dotQ4iVNNIasm(xq *int8, xd *float32, q *byte, scale, mins, xsum, out *float32, nrows, nblk int, mb *int32)

//go:noescape
func quantActsAsm(xq *int8, xd *float32, x *float32, nblk int, perm *[8]int32, pairs int) float32

// q4Masks[8-r:] starts with r lanes of ones then zeros: dotQ4iasm's
// masks for the last r < 8 scales, mins and sums of a row.
var q4Masks = [16]int32{-1, -1, -1, -1, -1, -1, -1, -1}

// actsPerm puts quantActsAsm's packed dwords (x0-3, x8-11, x16-19,
// x24-27, x4-7, …) back in column order, or in the Q4 order.
var actsPerm = [2][8]int32{{0, 4, 1, 5, 2, 6, 3, 7}, {0, 4, 2, 6, 1, 5, 3, 7}}

// avx2Quant widens codes in registers (VPMOVSXBD/VPMOVZXBD, VCVTDQ2PS) and
// multiply-adds them with x in f32, one group of blocks at a time, then
// scales each group's sum once. The wrappers index the last element each
// kernel reads, so a driver bug is a bounds panic, not a wild read.
var avx2Quant = quantKernels{
	name: "avx2",
	dotQ8: func(x []float32, q []byte, scale []float32, nblk, bpg int) float32 {
		if nblk == 0 {
			return 0
		}
		_, _, _ = x[nblk*32-1], q[nblk*32-1], scale[(nblk-1)/bpg]
		return dotQ8asm(&x[0], &q[0], &scale[0], nblk, bpg)
	},
	dotQ4: func(x []float32, q []byte, scale, mins, xsum []float32, nblk, bpg int) float32 {
		if nblk == 0 {
			return 0
		}
		g := (nblk - 1) / bpg
		_, _, _, _, _ = x[nblk*32-1], q[nblk*16-1], scale[g], mins[g], xsum[g]
		return dotQ4asm(&x[0], &q[0], &scale[0], &mins[0], &xsum[0], nblk, bpg)
	},
	rowsQ8i: func(out []float32, xq []int8, xd []float32, q []byte, scale []float32, nblk, bpg int) {
		ng := (nblk + bpg - 1) / bpg
		if nblk == 0 || len(out) == 0 {
			clear(out)
			return
		}
		r := len(out)
		_, _, _, _ = xq[nblk*32-1], xd[nblk-1], q[r*nblk*32-1], scale[r*ng-1]
		csp := getFloats(nblk)
		dotQ8iasm(&xq[0], &xd[0], &q[0], &scale[0], &out[0], r, nblk, bpg, &(*csp)[0])
		floatPool.Put(csp)
	},
	rowsQ4i: func(out []float32, xq []int8, xd []float32, q []byte, scale, mins, xsum []float32, nblk, bpg int) {
		ng := (nblk + bpg - 1) / bpg
		if nblk == 0 || len(out) == 0 {
			clear(out)
			return
		}
		r := len(out)
		_, _, _, _, _, _ = xq[nblk*32-1], xd[nblk-1], q[r*nblk*16-1], scale[r*ng-1], mins[r*ng-1], xsum[ng-1]
		csp := getFloats(nblk + 8)
		dotQ4iasm(&xq[0], &xd[0], &q[0], &scale[0], &mins[0], &xsum[0], &out[0], r, nblk, bpg, ng, &(*csp)[0],
			&q4Masks[8-nblk%8], &q4Masks[8-ng%8])
		floatPool.Put(csp)
	},
	quantActs: func(xq []int8, xd []float32, x []float32, q4Order bool) bool {
		nblk := len(xd)
		if nblk == 0 {
			return true
		}
		_, _ = xq[nblk*32-1], x[nblk*32-1]
		perm, pairs := &actsPerm[0], 0
		if q4Order {
			perm, pairs = &actsPerm[1], 1
		}
		s := quantActsAsm(&xq[0], &xd[0], &x[0], nblk, perm, pairs)
		return s <= math.MaxFloat32
	},
	dequantRow: func(m *QMatrix, n int, dst []float32) {
		Kp := m.Kp()
		nblk, ng := Kp/QuantBlock, m.Groups()
		if nblk == 0 {
			return
		}
		bpg := m.groupCols() / QuantBlock
		rb := m.RowBytes()
		q, sc := m.Q[n*rb:n*rb+rb], m.Scale[n*ng:n*ng+ng]
		_ = dst[Kp-1]
		if m.Bits == 8 {
			_ = q[Kp-1]
			dequantQ8asm(&dst[0], &q[0], &sc[0], nblk, bpg)
			return
		}
		mn := m.Min[n*ng : n*ng+ng]
		_ = q[Kp/2-1]
		dequantQ4asm(&dst[0], &q[0], &sc[0], &mn[0], nblk, bpg)
	},
}

// vnniQuant is avx2Quant with the Q4 group-32 matvec's row pairs on
// AVX-512 VNNI's VPDPBUSD (256-bit, so AVX512VL too): the same integer
// sums in fewer instructions, so the same outputs bit for bit; an odd
// last row and other groups take avx2Quant's kernel.
var vnniQuant = func() quantKernels {
	qk := avx2Quant
	qk.name = "avx2+vnni"
	qk.rowsQ4i = func(out []float32, xq []int8, xd []float32, q []byte, scale, mins, xsum []float32, nblk, bpg int) {
		r2 := len(out) &^ 1
		if bpg != 1 || nblk == 0 || r2 == 0 {
			avx2Quant.rowsQ4i(out, xq, xd, q, scale, mins, xsum, nblk, bpg)
			return
		}
		_, _, _, _, _, _ = xq[nblk*32-1], xd[nblk-1], q[r2*nblk*16-1], scale[r2*nblk-1], mins[r2*nblk-1], xsum[nblk-1]
		dotQ4iVNNIasm(&xq[0], &xd[0], &q[0], &scale[0], &mins[0], &xsum[0], &out[0], r2, nblk, &q4Masks[8-nblk%8])
		if r2 < len(out) {
			avx2Quant.rowsQ4i(out[r2:], xq, xd, q[r2*nblk*16:], scale[r2*nblk:], mins[r2*nblk:], xsum, nblk, bpg)
		}
	}
	return qk
}()

// hasAVX512VNNI reports AVX-512 VNNI and VL on top of hasAVX512F (which
// checks that the OS saves the AVX-512 state EVEX instructions need).
func hasAVX512VNNI() bool {
	if !hasAVX512F() {
		return false
	}
	_, ebx7, ecx7, _ := cpuid(7, 0)
	const avx512vl, avx512vnni = 1 << 31, 1 << 11
	return ebx7&avx512vl != 0 && ecx7&avx512vnni != 0
}

// archQuant is the AVX2 set where the CPU has it (the same features the f16
// kernels need), with VNNI where the CPU has that too and LAMINA_KERNELS
// is not "avx2", else nil.
func archQuant(force string) *quantKernels {
	switch {
	case force != "avx2" && hasAVX512VNNI():
		return &vnniQuant
	case hasAVX2FMAF16C():
		return &avx2Quant
	}
	return nil
}

// testQuantSets lists every quantized set this CPU can run, for the tests.
func testQuantSets() []*quantKernels {
	sets := []*quantKernels{&genericQuant}
	if hasAVX2FMAF16C() {
		sets = append(sets, &avx2Quant)
	}
	if hasAVX512VNNI() {
		sets = append(sets, &vnniQuant)
	}
	return sets
}
