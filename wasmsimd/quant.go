package wasmsimd

import (
	"fmt"
	"math"

	"github.com/lamina-ml/lamina/kernels"
)

// Quantized weights (kernels.QMatrix: Q8, Q4 with groups of a multiple of
// 32 columns, or one group per row) in the module, dequantized in
// registers.
//
// Layout: like the float weights, panels of 8 output rows, so the threads
// driver splits a quantized product exactly as a float one. Panel p holds
// rows 8p..8p+7 as the QMatrix stores them — each row's RowBytes of codes
// (int8, or the nibble order of kernels.QMatrix), the rows one after the
// other — then the 8 rows' scales (f32, ng per row, row by row), then for
// Q4 their mins (likewise). Rows past N are zero codes and zero scales.
//
//	mm_q8(w, x, out, T, K, Np, scratch, bpg)  out (T, Np·8) = x (T,K) · wᵀ
//	mm_q4(w, x, out, T, K, Np, scratch, bpg)  the same for Q4 panels
//
// aux is quantAux: the 32-column blocks per group (the row's block count
// for one group per row), and the path. The matvec path (T = 1 only: x must
// be followed by zeros up to Kp = K
// rounded up to 32 (the codes of those columns are zero, but 0·NaN is not),
// and each row is one fused dot product: codes widened to f32x4 in
// registers, four partial sums per group, scaled once per group (and for
// Q4 plus min·Σx over the group, the sums of x computed once per call into
// scratch, in order, as the CPU kernels do). On the tiles path, taken for
// every product of T ≥ 2, each panel is dequantized once into scratch (Kp·8
// f32) as f32 panels and the f32 tiles run on it, as the f16 kernels do.
// The path is the caller's (in aux), not T's: a product of T ≥ 2 split by
// tokens between threads gives chunks of one token too, which must take
// the same path as on one thread to give the same bits.

const (
	dQ8 dtype = iota + dF16Finite + 1
	dQ4
)

// quantTiles is aux's flag for the tiles path; the bits below it are the
// blocks per group.
const quantTiles = 1 << 16

// quantAux is the aux argument of mm_q8/mm_q4 for a product of T tokens.
func quantAux(s quantShape, T int) int {
	if T >= 2 {
		return s.bpg | quantTiles
	}
	return s.bpg
}

// isQuant says whether d is a quantized dtype.
func (d dtype) isQuant() bool { return d == dQ8 || d == dQ4 }

// More opcodes the quantized kernels use.
const (
	vLoad8x8S     = 0x01 // v128.load8x8_s: 8 bytes sign-extended to i16x8
	vLoad8x8U     = 0x02
	vStore32Lane  = 0x5a
	vI16x8ShrU    = 0x8d
	vI32x4ExtLoS  = 0xa7 // i32x4.extend_low_i16x8_s
	vI32x4ExtHiS  = 0xa8
	vF32x4CvtI32S = 0xfa // f32x4.convert_i32x4_s
)

// quantVecs is the f32 arrays per row of a panel: scales, and for Q4 mins.
func quantVecs(bits int) int32 {
	if bits == 4 {
		return 2
	}
	return 1
}

// quantShape is a QMatrix's layout in the module: Kp, the code bytes of a
// row, groups per row, blocks per group and the bytes of one panel; bits and
// group are the QMatrix's.
type quantShape struct{ kp, rb, ng, bpg, psz, bits, group int }

func quantShapeOf(bits, K, group int) quantShape {
	kp := (K + kernels.QuantBlock - 1) / kernels.QuantBlock * kernels.QuantBlock
	s := quantShape{kp: kp, rb: kp, bits: bits, group: group}
	if bits == 4 {
		s.rb = kp / 2
	}
	s.bpg = group / kernels.QuantBlock
	if group == 0 {
		s.bpg = kp / kernels.QuantBlock
	}
	if s.bpg > 0 {
		s.ng = (kp/kernels.QuantBlock + s.bpg - 1) / s.bpg
	}
	s.psz = 8*s.rb + 32*s.ng*int(quantVecs(bits))
	return s
}

// packQuant writes m as the module's quantized panels.
func packQuant(m *kernels.QMatrix) ([]byte, quantShape, error) {
	if err := m.Validate(); err != nil {
		return nil, quantShape{}, fmt.Errorf("%w: %v", ErrWeight, err)
	}
	s := quantShapeOf(m.Bits, m.K, m.Group)
	if m.N <= 0 || m.K <= 0 || s.bpg >= quantTiles || s.ng != m.Groups() || s.rb != m.RowBytes() {
		return nil, quantShape{}, fmt.Errorf("%w: quantized (%d,%d) group %d", ErrWeight, m.N, m.K, m.Group)
	}
	np := panels(m.N)
	out := make([]byte, np*s.psz)
	put := func(dst []byte, v []float32) {
		for i, f := range v {
			b := math.Float32bits(f)
			dst[4*i], dst[4*i+1], dst[4*i+2], dst[4*i+3] = byte(b), byte(b>>8), byte(b>>16), byte(b>>24)
		}
	}
	for p := 0; p < np; p++ {
		n0, n1 := 8*p, min(8*p+8, m.N)
		base := out[p*s.psz:]
		copy(base, m.Q[n0*s.rb:n1*s.rb])
		put(base[8*s.rb:], m.Scale[n0*s.ng:n1*s.ng])
		if m.Bits == 4 {
			put(base[8*s.rb+32*s.ng:], m.Min[n0*s.ng:n1*s.ng])
		}
	}
	return out, s, nil
}

// quantLayout sets locals rb, ng (from locals K and bpg) for bits; Kp is
// set into kp.
func quantLayout(c *code, bits int, kk, bpg, kp, rb, ng uint32) {
	c.get(kk)
	c.i32c(31)
	c.op(opI32Add)
	c.i32c(-32)
	c.op(opI32And)
	c.tee(kp)
	if bits == 4 {
		c.i32c(1)
		c.op(opI32ShrU)
	}
	c.set(rb)
	// ng = (Kp/32 + bpg - 1) / bpg
	c.get(kp)
	c.i32c(5)
	c.op(opI32ShrU)
	c.get(bpg)
	c.op(opI32Add)
	c.i32c(-1)
	c.op(opI32Add)
	c.get(bpg)
	c.op(opI32DivU)
	c.set(ng)
}

// quantPanelBytes pushes 8·rb + 32·ng·(1 or 2): the bytes of one panel.
func quantPanelBytes(c *code, bits int, rb, ng uint32) {
	c.get(rb)
	c.i32c(8)
	c.op(opI32Mul)
	c.get(ng)
	c.i32c(32 * quantVecs(bits))
	c.op(opI32Mul)
	c.op(opI32Add)
}

// codes16 pushes, for the 16 columns of codes at local q + off, the four
// f32x4 of their values (columns 0–3, 4–7, 8–11, 12–15), calling use(i)
// after each is pushed; v is v128 scratch.
func codes16(c *code, bits int, q uint32, off uint32, v uint32, use func(i int)) {
	if bits == 8 {
		for h := 0; h < 2; h++ {
			c.get(q)
			c.simd(vLoad8x8S)
			c.mem(0, off+uint32(8*h))
			c.set(v)
			for j, ext := range []uint32{vI32x4ExtLoS, vI32x4ExtHiS} {
				c.get(v)
				c.simd(ext)
				c.simd(vF32x4CvtI32S)
				use(2*h + j)
			}
		}
		return
	}
	// 8 bytes: column j in the low nibble of byte j, column 8+j in the high.
	c.get(q)
	c.simd(vLoad8x8U)
	c.mem(0, off)
	c.set(v)
	for h := 0; h < 2; h++ {
		for j, ext := range []uint32{vI32x4ExtLoU, vI32x4ExtHiU} {
			c.get(v)
			if h == 0 {
				c.vconst32(0x000f000f)
				c.simd(vAnd)
			} else {
				c.i32c(4)
				c.simd(vI16x8ShrU)
			}
			c.simd(ext)
			c.simd(vF32x4CvtI32S)
			use(2*h + j)
		}
	}
}

// blockCodeBytes is the code bytes of one 32-column block.
func blockCodeBytes(bits int) int32 { return int32(32 * bits / 8) }

// quantWalk is the row, group and block loops over one panel that the
// matvec and the dequantization share. q, sc and mn point at the current
// row's codes, scale and min; the hooks write what each level does.
type quantWalk struct {
	q, sc, mn, j uint32
	row, group   func() // at the start of a row, of a group
	block        func() // one 32-column block at q (q moves on after)
	groupEnd     func() // after a group's blocks (sc, mn move on after)
	rowEnd       func() // after a row's groups
}

// walkPanel writes the loops of w over the panel at local pw of a weight
// with K columns and bpg blocks per group (locals).
func walkPanel(c *code, bits int, pw, kk, bpg uint32, w *quantWalk) {
	kp, rb, ng := c.local(i32), c.local(i32), c.local(i32)
	left, bc, eight := c.local(i32), c.local(i32), c.local(i32)
	quantLayout(c, bits, kk, bpg, kp, rb, ng)
	c.get(pw)
	c.set(w.q)
	c.get(pw)
	c.get(rb)
	c.i32c(8)
	c.op(opI32Mul)
	c.op(opI32Add)
	c.tee(w.sc)
	c.get(ng)
	c.i32c(32)
	c.op(opI32Mul)
	c.op(opI32Add)
	c.set(w.mn)
	c.i32c(0)
	c.set(w.j)
	c.i32c(8)
	c.set(eight)
	c.whileLt(w.j, eight)
	w.row()
	c.get(kp)
	c.i32c(5)
	c.op(opI32ShrU)
	c.set(left)
	groupLoop(c, left, bc, bpg)
	w.group()
	// blocks of the group, bc ≥ 1 of them (bpg ≥ 1): a do-while, whose
	// one test per block matters with one-block groups (Q4 group 32)
	c.loop()
	w.block()
	c.addI32(w.q, blockCodeBytes(bits))
	c.get(bc)
	c.i32c(-1)
	c.op(opI32Add)
	c.tee(bc)
	c.brIf(0)
	c.end()
	w.groupEnd()
	c.addI32(w.sc, 4)
	if bits == 4 {
		c.addI32(w.mn, 4)
	}
	c.br(0)
	c.end()
	c.end()
	w.rowEnd()
	c.addI32(w.j, 1)
	c.endWhile()
}

// groupLoop opens the loop over the groups of a row: it leaves (depth 1)
// when no block is left, else takes n = min(bpg, left) blocks off left.
func groupLoop(c *code, left, n, bpg uint32) {
	c.block()
	c.loop()
	c.get(left)
	c.op(opI32Eqz)
	c.brIf(1)
	emitMin(c, n, bpg, left)
	c.get(left)
	c.get(n)
	c.op(opI32Sub)
	c.set(left)
}

func newQuantWalk(c *code) *quantWalk {
	return &quantWalk{q: c.local(i32), sc: c.local(i32), mn: c.local(i32), j: c.local(i32)}
}

// emitQuantMatVec writes qmv_<bits>(pw, x, po, K, bpg, xs): the 8 outputs
// of the panel at pw for x (Kp f32, zero past K) at po; xs holds Σx per
// group (Q4).
func emitQuantMatVec(m *module, bits int) uint32 {
	c, idx := m.add("", i32, i32, i32, i32, i32, i32)
	const pw, px, po, kk, bpg, xs = 0, 1, 2, 3, 4, 5
	w := newQuantWalk(c)
	xp, xsp := c.local(i32), c.local(i32)
	acc := [4]uint32{c.local(v128), c.local(v128), c.local(v128), c.local(v128)}
	tot, v := c.local(v128), c.local(v128)
	msum := c.local(f32v)
	w.row = func() {
		c.vconst32(0)
		c.set(tot)
		c.f32c(0)
		c.set(msum)
		c.get(px)
		c.set(xp)
		c.get(xs)
		c.set(xsp)
	}
	w.group = func() {
		for _, a := range acc {
			c.vconst32(0)
			c.set(a)
		}
	}
	w.block = func() {
		for h := 0; h < 2; h++ {
			codes16(c, bits, w.q, uint32(h)*uint32(blockCodeBytes(bits)/2), v, func(i int) {
				c.get(xp)
				c.vload(uint32(64*h + 16*i))
				c.simd(vF32x4Mul)
				c.get(acc[i])
				c.simd(vF32x4Add)
				c.set(acc[i])
			})
		}
		c.addI32(xp, 128)
	}
	w.groupEnd = func() {
		// tot += ((a0+a1)+(a2+a3))·scale
		c.get(acc[0])
		c.get(acc[1])
		c.simd(vF32x4Add)
		c.get(acc[2])
		c.get(acc[3])
		c.simd(vF32x4Add)
		c.simd(vF32x4Add)
		c.get(w.sc)
		c.load32splat(0)
		c.simd(vF32x4Mul)
		c.get(tot)
		c.simd(vF32x4Add)
		c.set(tot)
		if bits == 4 {
			c.get(msum)
			c.get(w.mn)
			c.f32load(0)
			c.get(xsp)
			c.f32load(0)
			c.op(opF32Mul)
			c.op(opF32Add)
			c.set(msum)
			c.addI32(xsp, 4)
		}
	}
	w.rowEnd = func() {
		// out[j] = hsum(tot) + msum
		c.get(po)
		c.get(w.j)
		c.i32c(2)
		c.op(opI32Shl)
		c.op(opI32Add)
		c.hsum(tot)
		if bits == 4 {
			c.get(msum)
			c.op(opF32Add)
		}
		c.f32store(0)
	}
	walkPanel(c, bits, pw, kk, bpg, w)
	return idx
}

// emitQuantDequant writes qdq_<bits>(dst, pw, K, bpg): the panel at pw as
// f32 panels at dst (Kp·8 f32: value (row j, column k) at (k·8 + j)·4).
func emitQuantDequant(m *module, bits int) uint32 {
	c, idx := m.add("", i32, i32, i32, i32)
	const dst, pw, kk, bpg = 0, 1, 2, 3
	w := newQuantWalk(c)
	dp := c.local(i32)
	v, s, mi, val := c.local(v128), c.local(v128), c.local(v128), c.local(v128)
	w.row = func() {
		c.get(dst)
		c.get(w.j)
		c.i32c(2)
		c.op(opI32Shl)
		c.op(opI32Add)
		c.set(dp)
	}
	w.group = func() {
		c.get(w.sc)
		c.load32splat(0)
		c.set(s)
		if bits == 4 {
			c.get(w.mn)
			c.load32splat(0)
			c.set(mi)
		}
	}
	w.block = func() {
		for h := 0; h < 2; h++ {
			codes16(c, bits, w.q, uint32(h)*uint32(blockCodeBytes(bits)/2), v, func(i int) {
				c.get(s)
				c.simd(vF32x4Mul)
				if bits == 4 {
					c.get(mi)
					c.simd(vF32x4Add)
				}
				c.set(val)
				for l := 0; l < 4; l++ {
					col := 16*h + 4*i + l
					c.get(dp)
					c.get(val)
					c.simd(vStore32Lane)
					c.mem(2, uint32(32*col))
					c.b = append(c.b, byte(l))
				}
			})
		}
		c.addI32(dp, 32*32)
	}
	w.groupEnd, w.rowEnd = func() {}, func() {}
	walkPanel(c, bits, pw, kk, bpg, w)
	return idx
}

// emitQuantXSum writes qxs(x, xs, K, bpg): xs[g] = Σ x over group g's
// columns (Kp of them in all; x zero past K), summed in order.
func emitQuantXSum(m *module) uint32 {
	c, idx := m.add("", i32, i32, i32, i32)
	const x, xs, kk, bpg = 0, 1, 2, 3
	left, n := c.local(i32), c.local(i32)
	s := c.local(f32v)
	c.get(kk)
	c.i32c(31)
	c.op(opI32Add)
	c.i32c(5)
	c.op(opI32ShrU)
	c.set(left)
	groupLoop(c, left, n, bpg)
	c.get(n)
	c.i32c(5)
	c.op(opI32Shl)
	c.set(n)
	c.f32c(0)
	c.set(s)
	c.block()
	c.loop()
	c.get(n)
	c.op(opI32Eqz)
	c.brIf(1)
	c.get(s)
	c.get(x)
	c.f32load(0)
	c.op(opF32Add)
	c.set(s)
	c.addI32(x, 4)
	c.addI32(n, -1)
	c.br(0)
	c.end()
	c.end()
	c.get(xs)
	c.get(s)
	c.f32store(0)
	c.addI32(xs, 4)
	c.br(0)
	c.end()
	c.end()
	return idx
}

// unpackQuant returns rows [from, from+n) of a quantized weight of shape
// s with K columns from its panels src, which start at panel from/8.
func unpackQuant(src []byte, s quantShape, K, from, n int) *kernels.QMatrix {
	m := &kernels.QMatrix{Bits: s.bits, N: n, K: K, Group: s.group,
		Q: make([]byte, n*s.rb), Scale: make([]float32, n*s.ng)}
	if s.bits == 4 {
		m.Min = make([]float32, n*s.ng)
	}
	get := func(dst []float32, b []byte) {
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24)
		}
	}
	p0 := from / 8
	for r := 0; r < n; r++ {
		row := from + r
		base := src[(row/8-p0)*s.psz:]
		j := row % 8
		copy(m.Q[r*s.rb:(r+1)*s.rb], base[j*s.rb:])
		get(m.Scale[r*s.ng:(r+1)*s.ng], base[8*s.rb+4*j*s.ng:])
		if s.bits == 4 {
			get(m.Min[r*s.ng:(r+1)*s.ng], base[8*s.rb+32*s.ng+4*j*s.ng:])
		}
	}
	return m
}
