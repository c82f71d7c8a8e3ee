//go:build amd64

package kernels

//go:noescape
func dotQ8asm(x *float32, q *byte, scale *float32, nblk, bpg int) float32

//go:noescape
func dequantQ8asm(dst *float32, q *byte, scale *float32, nblk, bpg int)

//go:noescape
func dequantQ4asm(dst *float32, q *byte, scale, mins *float32, nblk, bpg int)

//go:noescape
func dotQ4asm(x *float32, q *byte, scale, mins, xsum *float32, nblk, bpg int) float32

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

// archQuant is the AVX2 set where the CPU has it (the same features the f16
// kernels need), else nil.
func archQuant(force string) *quantKernels {
	if hasAVX2FMAF16C() {
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
	return sets
}
