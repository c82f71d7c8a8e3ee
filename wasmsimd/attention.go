package wasmsimd

import "math"

// Causal attention over a KV cache held in the module's memory (export
// attn), written op for op like the CPU backend's Attention under js/wasm
// (kernels' generic Dot, ExpSubSum and Axpy), so that its outputs are the
// reference's up to the order of the softmax sum's terms — which is kept
// too: the sum runs lane by lane, in j order.
//
//	attn(q, k, v, out, sc, T, H, G, D, pos, window, scale)
//
// q and out are (T,H·D) f32, k and v (S,G·D) f32 caches holding rows
// 0..pos+T-1; query row t (position pos+t) attends to rows j0..pos+t with
// j0 = pos+t+1-window when window > 0 cuts, else 0; head h reads kv head
// h/(H/G). sc is scratch for S+4 f32 (one row's scores). D must be a
// multiple of 4 (the engine checks): one f32x4 accumulator's lanes are
// exactly Dot's four partial sums s0..s3, summed (s0+s1)+(s2+s3).

// Value type and opcodes the attention kernel adds to asm.go's.
const (
	f32v byte = 0x7d // the f32 value type

	opSelect   = 0x1b
	opF32Load  = 0x2a
	opF32Store = 0x38
	opF32Const = 0x43
	opI32GtS   = 0x4a
	opF32Gt    = 0x5e
	opI32DivU  = 0x6e
	opI32And   = 0x71
	opF32Add   = 0x92
	opF32Mul   = 0x94
	opF32Div   = 0x95

	vF32x4Lt      = 0x43
	vF32x4Floor   = 0x68
	vI32x4Add     = 0xae
	vF32x4Sub     = 0xe5
	vI32x4TruncSF = 0xf8 // i32x4.trunc_sat_f32x4_s
)

func (c *code) f32c(v float32) {
	b := math.Float32bits(v)
	c.b = append(c.b, opF32Const, byte(b), byte(b>>8), byte(b>>16), byte(b>>24))
}
func (c *code) vconstf(v float32)      { c.vconst32(math.Float32bits(v)) }
func (c *code) f32load(offset uint32)  { c.op(opF32Load); c.mem(2, offset) }
func (c *code) f32store(offset uint32) { c.op(opF32Store); c.mem(2, offset) }

// binI32 sets dst = a op b for i32 locals a and b.
func (c *code) binI32(dst, a, b uint32, op byte) {
	c.get(a)
	c.get(b)
	c.op(op)
	c.set(dst)
}

// whileLt opens a loop that runs while local i < local n (signed); body
// follows, then endWhile. Inside, depth 1 leaves the loop and depth 0
// continues it.
func (c *code) whileLt(i, n uint32) {
	c.block()
	c.loop()
	c.get(i)
	c.get(n)
	c.op(opI32GeS)
	c.brIf(1)
}

func (c *code) endWhile() {
	c.br(0)
	c.end()
	c.end()
}

// hsum pushes (l0+l1)+(l2+l3) of f32x4 local v.
func (c *code) hsum(v uint32) {
	for _, pair := range [2][2]byte{{0, 1}, {2, 3}} {
		c.get(v)
		c.simd(vF32x4Extract)
		c.b = append(c.b, pair[0])
		c.get(v)
		c.simd(vF32x4Extract)
		c.b = append(c.b, pair[1])
		c.op(opF32Add)
	}
	c.op(opF32Add)
}

// exp4 sets e = expf of each lane of x, the Cephes expf of kernels'
// generic code step for step (0 below -87.33654, a NaN stays a NaN); t is
// v128 scratch. x ≤ 0 or NaN here (scores minus their maximum), so the
// overflow branch is never taken and left out.
// softmaxScores ends a row of scores: sp points just past the last of the n scores at sc, whose
// maximum is mx. It pads the last f32x4 with -Inf, writes sc[j] = expf(sc[j] - mx) summed in j
// order, and sets inv = 1/sum. mxv, x, fx, tmp and e are scratch; j is the loop counter.
func softmaxScores(c *code, sc, sp, j, n, mx, mxv, sum, x, fx, tmp, e, inv uint32) {
	// -Inf past the last score, to fill the last f32x4 (its exp is 0).
	for i := uint32(0); i < 3; i++ {
		c.get(sp)
		c.f32c(float32(math.Inf(-1)))
		c.f32store(4 * i)
	}

	// sc[j] = expf(sc[j] - mx), summed in j order.
	c.get(mx)
	c.simd(vF32x4Splat)
	c.set(mxv)
	c.f32c(0)
	c.set(sum)
	c.get(sc)
	c.set(sp)
	c.i32c(0)
	c.set(j)
	c.whileLt(j, n)
	c.get(sp)
	c.vload(0)
	c.get(mxv)
	c.simd(vF32x4Sub)
	c.set(x)
	exp4(c, x, fx, tmp, e)
	c.get(sp)
	c.get(e)
	c.vstore(0)
	for lane := byte(0); lane < 4; lane++ {
		c.get(sum)
		c.get(e)
		c.simd(vF32x4Extract)
		c.b = append(c.b, lane)
		c.op(opF32Add)
		c.set(sum)
	}
	c.addI32(sp, 16)
	c.addI32(j, 4)
	c.endWhile()
	c.f32c(1)
	c.get(sum)
	c.op(opF32Div)
	c.set(inv)
}

func exp4(c *code, x, fx, t, e uint32) {
	// fx = floor(x·log2(e) + 0.5)
	c.get(x)
	c.vconstf(1.44269504088896341)
	c.simd(vF32x4Mul)
	c.vconstf(0.5)
	c.simd(vF32x4Add)
	c.simd(vF32x4Floor)
	c.set(fx)
	// t = x - fx·0.693359375 - fx·-2.12194440e-4
	c.get(x)
	c.get(fx)
	c.vconstf(0.693359375)
	c.simd(vF32x4Mul)
	c.simd(vF32x4Sub)
	c.get(fx)
	c.vconstf(-2.12194440e-4)
	c.simd(vF32x4Mul)
	c.simd(vF32x4Sub)
	c.set(t)
	// e = p(t), Horner
	c.vconstf(1.9875691500e-4)
	for _, k := range []float32{1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1} {
		c.get(t)
		c.simd(vF32x4Mul)
		c.vconstf(k)
		c.simd(vF32x4Add)
	}
	// e = ((p·t)·t + t) + 1
	c.get(t)
	c.simd(vF32x4Mul)
	c.get(t)
	c.simd(vF32x4Mul)
	c.get(t)
	c.simd(vF32x4Add)
	c.vconstf(1)
	c.simd(vF32x4Add)
	// · 2^fx, built in the exponent bits
	c.get(fx)
	c.simd(vI32x4TruncSF)
	c.vconst32(127)
	c.simd(vI32x4Add)
	c.i32c(23)
	c.simd(vI32x4Shl)
	c.simd(vF32x4Mul)
	c.set(e)
	// e = x < -87.33654 ? 0 : e
	c.vconst32(0)
	c.get(e)
	c.get(x)
	c.vconstf(-87.33654)
	c.simd(vF32x4Lt)
	c.simd(vBitselect)
	c.set(e)
}

// emitAttention writes attn (see the top of this file).
func emitAttention(m *module) {
	c, _ := m.add("attn", i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, f32v)
	const q, k, v, out, sc, tt, hh, gg, dd, pos, window, scale = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	qw, kw, group, d4 := c.local(i32), c.local(i32), c.local(i32), c.local(i32)
	t, h, n, j0, j, cnt := c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32)
	qr, kr, sp, or, d := c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32)
	mx, s, sum, inv := c.local(f32v), c.local(f32v), c.local(f32v), c.local(f32v)
	acc, x, fx, tmp, e, mxv := c.local(v128), c.local(v128), c.local(v128), c.local(v128), c.local(v128), c.local(v128)

	mulI32 := func(dst, a uint32, by int32) {
		c.get(a)
		c.i32c(by)
		c.op(opI32Mul)
		c.set(dst)
	}
	mulI32(d4, dd, 4)
	c.binI32(qw, hh, d4, opI32Mul)
	c.binI32(kw, gg, d4, opI32Mul)
	c.binI32(group, hh, gg, opI32DivU)

	c.i32c(0)
	c.set(t)
	c.whileLt(t, tt)
	// n = pos + t + 1; j0 = window > 0 && n > window ? n - window : 0
	c.get(pos)
	c.get(t)
	c.op(opI32Add)
	c.i32c(1)
	c.op(opI32Add)
	c.set(n)
	c.get(n)
	c.get(window)
	c.op(opI32Sub)
	c.i32c(0)
	c.get(window)
	c.i32c(0)
	c.op(opI32GtS)
	c.get(n)
	c.get(window)
	c.op(opI32GtS)
	c.op(opI32And)
	c.op(opSelect)
	c.set(j0)
	c.binI32(cnt, n, j0, opI32Sub)

	c.i32c(0)
	c.set(h)
	c.whileLt(h, hh)
	// qr = q + t·qw + h·d4; or likewise in out
	c.get(t)
	c.get(qw)
	c.op(opI32Mul)
	c.get(h)
	c.get(d4)
	c.op(opI32Mul)
	c.op(opI32Add)
	c.set(or)
	c.binI32(qr, q, or, opI32Add)
	c.binI32(or, out, or, opI32Add)

	// rowStart sets l = base + j0·kw + (h/group)·d4.
	rowStart := func(l, base uint32) {
		c.get(base)
		c.get(j0)
		c.get(kw)
		c.op(opI32Mul)
		c.op(opI32Add)
		c.get(h)
		c.get(group)
		c.op(opI32DivU)
		c.get(d4)
		c.op(opI32Mul)
		c.op(opI32Add)
		c.set(l)
	}

	// Scores: sc[j-j0] = Dot(q row, k row j)·scale, mx their maximum
	// (a NaN score never becomes it, like the reference's s > mx).
	c.f32c(float32(math.Inf(-1)))
	c.set(mx)
	rowStart(kr, k)
	c.get(sc)
	c.set(sp)
	c.get(j0)
	c.set(j)
	c.whileLt(j, n)
	c.vconst32(0)
	c.set(acc)
	c.i32c(0)
	c.set(d)
	c.whileLt(d, d4)
	c.get(acc)
	c.get(qr)
	c.get(d)
	c.op(opI32Add)
	c.vload(0)
	c.get(kr)
	c.get(d)
	c.op(opI32Add)
	c.vload(0)
	c.simd(vF32x4Mul)
	c.simd(vF32x4Add)
	c.set(acc)
	c.addI32(d, 16)
	c.endWhile()
	c.hsum(acc)
	c.get(scale)
	c.op(opF32Mul)
	c.set(s)
	c.get(sp)
	c.get(s)
	c.f32store(0)
	c.get(s)
	c.get(mx)
	c.get(s)
	c.get(mx)
	c.op(opF32Gt)
	c.op(opSelect)
	c.set(mx)
	c.addI32(sp, 4)
	c.binI32(kr, kr, kw, opI32Add)
	c.addI32(j, 1)
	c.endWhile()
	softmaxScores(c, sc, sp, j, cnt, mx, mxv, sum, x, fx, tmp, e, inv)

	// out row = Σ_j (sc[j-j0]·inv) · v row j, in j order.
	c.i32c(0)
	c.set(d)
	c.whileLt(d, d4)
	c.get(or)
	c.get(d)
	c.op(opI32Add)
	c.vconst32(0)
	c.vstore(0)
	c.addI32(d, 16)
	c.endWhile()
	rowStart(kr, v)
	c.get(sc)
	c.set(sp)
	c.get(j0)
	c.set(j)
	c.whileLt(j, n)
	c.get(sp)
	c.f32load(0)
	c.get(inv)
	c.op(opF32Mul)
	c.simd(vF32x4Splat)
	c.set(x)
	c.i32c(0)
	c.set(d)
	c.whileLt(d, d4)
	c.get(or)
	c.get(d)
	c.op(opI32Add)
	c.get(or)
	c.get(d)
	c.op(opI32Add)
	c.vload(0)
	c.get(x)
	c.get(kr)
	c.get(d)
	c.op(opI32Add)
	c.vload(0)
	c.simd(vF32x4Mul)
	c.simd(vF32x4Add)
	c.vstore(0)
	c.addI32(d, 16)
	c.endWhile()
	c.addI32(sp, 4)
	c.binI32(kr, kr, kw, opI32Add)
	c.addI32(j, 1)
	c.endWhile()

	c.addI32(h, 1)
	c.endWhile()
	c.addI32(t, 1)
	c.endWhile()
}
