package wasmsimd

import "math"

// Row-wise ops of the CPU backend in the module (tensor.NormEngine,
// tensor.RoPEEngine, tensor.FullAttentionEngine): LayerNorm, RoPE's rotation and the
// layered-SVG DiT's bidirectional attention.
//
//	ln(x, w, b, out, T, C, eps, hasB)  out (T,C) = LayerNorm of x's rows
//	    with weight w and, where hasB ≠ 0, bias b: the CPU backend's
//	    layerNormRows op for op (the mean and the biased variance summed
//	    in f64 in order, each value normalised in f64 — two f64x2 lanes at
//	    a time — then rounded to f32 and scaled in f32x4), so its bits;
//	    out may be x
//	rope(x, cos, sin, T, H, D)  rotates x (T,H·D) in place: for j < D/2,
//	    (x[j], x[j+D/2]) of every head of row t by cos and sin (T,D/2)
//	    (tensor's RoPE, its f32 products in its order: its bits)
//	rope_tab(f, cos, sin, T, half, pos0)  the cos and sin tables of rope
//	    for inverse frequencies f (half) at positions pos0.. (see
//	    emitRoPETab: tensor's RoPE's angles, cosines and sines, bit for bit)
//	attn_full(p, q, out, T, W, Np, scr, aux)  out (T,W) = softmax(q·kᵀ·
//	    scale)·v per head over every row of k and v (Tk,W), W = H·D, D a
//	    multiple of 4; p points at the i32 k, v, Tk, H, D and the f32
//	    scale; scr is scratch for D + Tk + 4 f32 (16-aligned). q is scaled
//	    first, like tensor's attentionFull; the dot products are f32x4
//	    partial sums, the softmax the causal attn's (exp4, summed lane by
//	    lane in key order), so the result is the reference's to rounding.
//	    Its signature is the matmuls' (Np and aux unused), so the threads'
//	    driver runs it (kind kindAttnFull) in chunks of query rows (mode 1:
//	    q and out move on by rows of W = Np·8 values).

// More opcodes of the row ops.
const (
	opI32Load = 0x28
	opF32Sub  = 0x93
	opF64Sub  = 0xa1

	vF64x2Splat     = 0x14
	vF64x2Extract   = 0x21
	vF32x4DemoteF64 = 0x5e // f32x4.demote_f64x2_zero
	vF64x2PromoteLo = 0x5f // f64x2.promote_low_f32x4
	vF64x2Sub       = 0xf1
	vF64x2Mul       = 0xf2
)

func (c *code) i32load(offset uint32) { c.op(opI32Load); c.mem(2, offset) }

// shuffle pushes i8x16.shuffle of the two v128 on the stack with lanes l.
func (c *code) shuffle(l [16]byte) {
	c.simd(vShuffle)
	c.b = append(c.b, l[:]...)
}

// f64c pushes the f64 constant v.
func (c *code) f64c(v float64) {
	b := math.Float64bits(v)
	c.b = append(c.b, 0x44)
	for i := 0; i < 8; i++ {
		c.b = append(c.b, byte(b>>(8*i)))
	}
}

// emitLayerNorm writes ln (see the top of the file).
func emitLayerNorm(m *module) {
	c, _ := m.add("ln", i32, i32, i32, i32, i32, i32, f32v, i32)
	const x, w, bb, out, tt, cc, eps, hasB = 0, 1, 2, 3, 4, 5, 6, 7
	t, i, xp, wp, bp, op, c4 := c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32)
	sum, mean, vs, inv, dv := c.local(f64v), c.local(f64v), c.local(f64v), c.local(f64v), c.local(f64v)
	y := c.local(f32v)
	v, lo, meanv, invv := c.local(v128), c.local(v128), c.local(v128), c.local(v128)
	// c4 = C &^ 3
	c.get(cc)
	c.i32c(-4)
	c.op(opI32And)
	c.set(c4)
	c.i32c(0)
	c.set(t)
	c.whileLt(t, tt)
	{
		// sum = Σ f64(v) in order
		c.f64c(0)
		c.set(sum)
		c.get(x)
		c.set(xp)
		c.i32c(0)
		c.set(i)
		c.whileLt(i, cc)
		c.get(sum)
		c.get(xp)
		c.f32load(0)
		c.op(opF64PromF32)
		c.op(opF64Add)
		c.set(sum)
		c.addI32(xp, 4)
		c.addI32(i, 1)
		c.endWhile()
		c.get(sum)
		c.get(cc)
		c.op(opF64CvtI32S)
		c.op(opF64Div)
		c.set(mean)
		// vs = Σ (f64(v) - mean)² in order
		c.f64c(0)
		c.set(vs)
		c.get(x)
		c.set(xp)
		c.i32c(0)
		c.set(i)
		c.whileLt(i, cc)
		c.get(vs)
		c.get(xp)
		c.f32load(0)
		c.op(opF64PromF32)
		c.get(mean)
		c.op(opF64Sub)
		c.tee(dv)
		c.get(dv)
		c.op(opF64Mul)
		c.op(opF64Add)
		c.set(vs)
		c.addI32(xp, 4)
		c.addI32(i, 1)
		c.endWhile()
		// inv = 1 / sqrt(vs/C + f64(eps))
		c.f64c(1)
		c.get(vs)
		c.get(cc)
		c.op(opF64CvtI32S)
		c.op(opF64Div)
		c.get(eps)
		c.op(opF64PromF32)
		c.op(opF64Add)
		c.op(opF64Sqrt)
		c.op(opF64Div)
		c.set(inv)
		c.get(mean)
		c.simd(vF64x2Splat)
		c.set(meanv)
		c.get(inv)
		c.simd(vF64x2Splat)
		c.set(invv)
		// out = f32((f64(v) - mean)·inv)·w (+ b), four at a time
		c.get(x)
		c.set(xp)
		c.get(w)
		c.set(wp)
		c.get(bb)
		c.set(bp)
		c.get(out)
		c.set(op)
		c.i32c(0)
		c.set(i)
		c.whileLt(i, c4)
		c.get(xp)
		c.vload(0)
		c.set(v)
		// lo = demote((promote(v[0:2]) - mean)·inv), lanes 0,1
		c.get(v)
		c.simd(vF64x2PromoteLo)
		c.get(meanv)
		c.simd(vF64x2Sub)
		c.get(invv)
		c.simd(vF64x2Mul)
		c.simd(vF32x4DemoteF64)
		c.set(lo)
		// the same of v[2:4], then lanes 0,1 of lo and of it
		c.get(lo)
		c.get(v)
		c.get(v)
		c.shuffle([16]byte{8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15})
		c.simd(vF64x2PromoteLo)
		c.get(meanv)
		c.simd(vF64x2Sub)
		c.get(invv)
		c.simd(vF64x2Mul)
		c.simd(vF32x4DemoteF64)
		c.shuffle([16]byte{0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23})
		c.get(wp)
		c.vload(0)
		c.simd(vF32x4Mul)
		c.set(v)
		c.get(hasB)
		c.b = append(c.b, opIf, blockVoid)
		c.get(v)
		c.get(bp)
		c.vload(0)
		c.simd(vF32x4Add)
		c.set(v)
		c.end()
		c.get(op)
		c.get(v)
		c.vstore(0)
		for _, p := range []uint32{xp, wp, bp, op} {
			c.addI32(p, 16)
		}
		c.addI32(i, 4)
		c.endWhile()
		// the last C%4 one at a time, the same ops in f64 and f32
		c.whileLt(i, cc)
		c.get(xp)
		c.f32load(0)
		c.op(opF64PromF32)
		c.get(mean)
		c.op(opF64Sub)
		c.get(inv)
		c.op(opF64Mul)
		c.op(opF32DemF64)
		c.get(wp)
		c.f32load(0)
		c.op(opF32Mul)
		c.set(y)
		c.get(hasB)
		c.b = append(c.b, opIf, blockVoid)
		c.get(y)
		c.get(bp)
		c.f32load(0)
		c.op(opF32Add)
		c.set(y)
		c.end()
		c.get(op)
		c.get(y)
		c.f32store(0)
		for _, p := range []uint32{xp, wp, bp, op} {
			c.addI32(p, 4)
		}
		c.addI32(i, 1)
		c.endWhile()
		// next row
		c.get(cc)
		c.i32c(4)
		c.op(opI32Mul)
		c.tee(i)
		c.get(x)
		c.op(opI32Add)
		c.set(x)
		c.get(out)
		c.get(i)
		c.op(opI32Add)
		c.set(out)
	}
	c.addI32(t, 1)
	c.endWhile()
}

// emitRoPE writes rope (see the top of the file).
func emitRoPE(m *module) {
	c, _ := m.add("rope", i32, i32, i32, i32, i32, i32)
	const x, cs, sn, tt, hh, dd = 0, 1, 2, 3, 4, 5
	t, h, j, half, h4, xr, cr, sr, xa, xb := c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32)
	a, b, cv, sv := c.local(v128), c.local(v128), c.local(v128), c.local(v128)
	fa, fb, fc, fs := c.local(f32v), c.local(f32v), c.local(f32v), c.local(f32v)
	// half = D/2 values; h4 = half &^ 3
	c.get(dd)
	c.i32c(1)
	c.op(opI32ShrU)
	c.tee(half)
	c.i32c(-4)
	c.op(opI32And)
	c.set(h4)
	c.get(x)
	c.set(xr)
	c.get(cs)
	c.set(cr)
	c.get(sn)
	c.set(sr)
	c.i32c(0)
	c.set(t)
	c.whileLt(t, tt)
	c.i32c(0)
	c.set(h)
	c.whileLt(h, hh)
	// xa, xb = the head's first and second half; j over them
	c.get(xr)
	c.set(xa)
	c.get(xr)
	c.get(half)
	c.i32c(4)
	c.op(opI32Mul)
	c.op(opI32Add)
	c.set(xb)
	c.i32c(0)
	c.set(j)
	c.whileLt(j, h4)
	for _, p := range [][2]uint32{{xa, a}, {xb, b}} {
		c.get(p[0])
		c.vload(0)
		c.set(p[1])
	}
	c.get(cr)
	c.get(j)
	c.i32c(4)
	c.op(opI32Mul)
	c.op(opI32Add)
	c.vload(0)
	c.set(cv)
	c.get(sr)
	c.get(j)
	c.i32c(4)
	c.op(opI32Mul)
	c.op(opI32Add)
	c.vload(0)
	c.set(sv)
	// xa = a·cos - b·sin; xb = b·cos + a·sin
	c.get(xa)
	c.get(a)
	c.get(cv)
	c.simd(vF32x4Mul)
	c.get(b)
	c.get(sv)
	c.simd(vF32x4Mul)
	c.simd(vF32x4Sub)
	c.vstore(0)
	c.get(xb)
	c.get(b)
	c.get(cv)
	c.simd(vF32x4Mul)
	c.get(a)
	c.get(sv)
	c.simd(vF32x4Mul)
	c.simd(vF32x4Add)
	c.vstore(0)
	c.addI32(xa, 16)
	c.addI32(xb, 16)
	c.addI32(j, 4)
	c.endWhile()
	// the last half%4 pairs one at a time
	c.whileLt(j, half)
	c.get(xa)
	c.f32load(0)
	c.set(fa)
	c.get(xb)
	c.f32load(0)
	c.set(fb)
	c.get(cr)
	c.get(j)
	c.i32c(4)
	c.op(opI32Mul)
	c.op(opI32Add)
	c.f32load(0)
	c.set(fc)
	c.get(sr)
	c.get(j)
	c.i32c(4)
	c.op(opI32Mul)
	c.op(opI32Add)
	c.f32load(0)
	c.set(fs)
	c.get(xa)
	c.get(fa)
	c.get(fc)
	c.op(opF32Mul)
	c.get(fb)
	c.get(fs)
	c.op(opF32Mul)
	c.op(opF32Sub)
	c.f32store(0)
	c.get(xb)
	c.get(fb)
	c.get(fc)
	c.op(opF32Mul)
	c.get(fa)
	c.get(fs)
	c.op(opF32Mul)
	c.op(opF32Add)
	c.f32store(0)
	c.addI32(xa, 4)
	c.addI32(xb, 4)
	c.addI32(j, 1)
	c.endWhile()
	// next head: xr += D·4
	c.get(xr)
	c.get(dd)
	c.i32c(4)
	c.op(opI32Mul)
	c.op(opI32Add)
	c.set(xr)
	c.addI32(h, 1)
	c.endWhile()
	// next row of cos and sin
	c.get(half)
	c.i32c(4)
	c.op(opI32Mul)
	c.tee(j)
	c.get(cr)
	c.op(opI32Add)
	c.set(cr)
	c.get(sr)
	c.get(j)
	c.op(opI32Add)
	c.set(sr)
	c.addI32(t, 1)
	c.endWhile()
}

// kindAttnFull is attn_full's kind in the threads' driver: it follows the
// matmuls in kernelNames.
const kindAttnFull = 6

// regVecs is the head dimension / 4 for which attn_full keeps a head's
// scaled q and its output in registers (the DiT's heads of 32) and takes
// four keys' scores at a time; its results are the generic loops' bits.
const regVecs = 8

// emitAttnFull writes attn_full (see the top of the file).
func emitAttnFull(m *module) {
	c, _ := m.add("attn_full", i32, i32, i32, i32, i32, i32, i32, i32)
	const p, q, out, tt, ww, scr = 0, 1, 2, 3, 4, 6
	k, v, tk, hh, d4, wb, qs, sc := c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32)
	t, h, j, d, qr, or, kr, sp := c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32)
	scale, mx, s, sum, inv := c.local(f32v), c.local(f32v), c.local(f32v), c.local(f32v), c.local(f32v)
	acc, x, fx, tmp, e, mxv := c.local(v128), c.local(v128), c.local(v128), c.local(v128), c.local(v128), c.local(v128)
	j4 := c.local(i32)
	var qv, ov [regVecs]uint32
	var ka [4]uint32
	for i := range qv {
		qv[i], ov[i] = c.local(v128), c.local(v128)
	}
	for u := range ka {
		ka[u] = c.local(v128)
	}

	for i, l := range []uint32{k, v, tk, hh, d4} {
		c.get(p)
		c.i32load(uint32(4 * i))
		c.set(l)
	}
	c.get(p)
	c.f32load(20)
	c.set(scale)
	c.get(d4)
	c.i32c(4)
	c.op(opI32Mul)
	c.set(d4)
	c.get(ww)
	c.i32c(4)
	c.op(opI32Mul)
	c.set(wb)
	// qs: the scaled q head (D f32), then sc: the scores
	c.get(scr)
	c.set(qs)
	c.get(scr)
	c.get(d4)
	c.op(opI32Add)
	c.set(sc)

	c.i32c(0)
	c.set(t)
	c.whileLt(t, tt)
	c.i32c(0)
	c.set(h)
	c.whileLt(h, hh)
	// or = t·wb + h·d4; qr = q + or; or = out + or
	c.get(t)
	c.get(wb)
	c.op(opI32Mul)
	c.get(h)
	c.get(d4)
	c.op(opI32Mul)
	c.op(opI32Add)
	c.set(or)
	c.binI32(qr, q, or, opI32Add)
	c.binI32(or, out, or, opI32Add)
	// qs = q head · scale
	c.get(scale)
	c.simd(vF32x4Splat)
	c.set(x)
	c.i32c(0)
	c.set(d)
	c.whileLt(d, d4)
	c.get(qs)
	c.get(d)
	c.op(opI32Add)
	c.get(qr)
	c.get(d)
	c.op(opI32Add)
	c.vload(0)
	c.get(x)
	c.simd(vF32x4Mul)
	c.vstore(0)
	c.addI32(d, 16)
	c.endWhile()
	// kr = k + h·d4 (then + j·wb)
	headStart := func(base uint32) {
		c.get(base)
		c.get(h)
		c.get(d4)
		c.op(opI32Mul)
		c.op(opI32Add)
		c.set(kr)
	}

	// D = 4·regVecs: qs in registers, four keys at a time (four
	// independent sums, each in the generic loop's order), then the rest.
	c.get(d4)
	c.i32c(16 * regVecs)
	c.op(opI32Eq)
	c.b = append(c.b, opIf, blockVoid)
	for i := range qv {
		c.get(qs)
		c.vload(uint32(16 * i))
		c.set(qv[i])
	}
	c.f32c(float32(math.Inf(-1)))
	c.set(mx)
	headStart(k)
	c.get(sc)
	c.set(sp)
	c.i32c(0)
	c.set(j)
	c.get(tk)
	c.i32c(-4)
	c.op(opI32And)
	c.set(j4)
	c.whileLt(j, j4)
	for u := range ka {
		c.vconst32(0)
		for i := range qv {
			c.get(qv[i])
			c.get(kr)
			if u > 0 {
				c.get(wb)
				c.i32c(int32(u))
				c.op(opI32Mul)
				c.op(opI32Add)
			}
			c.vload(uint32(16 * i))
			c.simd(vF32x4Mul)
			c.simd(vF32x4Add)
		}
		c.set(ka[u])
	}
	for u := range ka {
		c.hsum(ka[u])
		c.set(s)
		c.get(sp)
		c.get(s)
		c.f32store(uint32(4 * u))
		c.get(s)
		c.get(mx)
		c.get(s)
		c.get(mx)
		c.op(opF32Gt)
		c.op(opSelect)
		c.set(mx)
	}
	c.addI32(sp, 16)
	c.get(kr)
	c.get(wb)
	c.i32c(4)
	c.op(opI32Mul)
	c.op(opI32Add)
	c.set(kr)
	c.addI32(j, 4)
	c.endWhile()
	c.whileLt(j, tk)
	c.vconst32(0)
	for i := range qv {
		c.get(qv[i])
		c.get(kr)
		c.vload(uint32(16 * i))
		c.simd(vF32x4Mul)
		c.simd(vF32x4Add)
	}
	c.set(acc)
	c.hsum(acc)
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
	c.binI32(kr, kr, wb, opI32Add)
	c.addI32(j, 1)
	c.endWhile()
	c.op(opElse)
	// Scores sc[j] = Dot(qs, k row j), mx their maximum (a NaN never
	// becomes it, like the reference's x > mx).
	c.f32c(float32(math.Inf(-1)))
	c.set(mx)
	headStart(k)
	c.get(sc)
	c.set(sp)
	c.i32c(0)
	c.set(j)
	c.whileLt(j, tk)
	c.vconst32(0)
	c.set(acc)
	c.i32c(0)
	c.set(d)
	c.whileLt(d, d4)
	c.get(acc)
	c.get(qs)
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
	c.binI32(kr, kr, wb, opI32Add)
	c.addI32(j, 1)
	c.endWhile()
	c.end()
	softmaxScores(c, sc, sp, j, tk, mx, mxv, sum, x, fx, tmp, e, inv)

	// D = 4·regVecs: the out head in registers, the same sums.
	c.get(d4)
	c.i32c(16 * regVecs)
	c.op(opI32Eq)
	c.b = append(c.b, opIf, blockVoid)
	for i := range ov {
		c.vconst32(0)
		c.set(ov[i])
	}
	headStart(v)
	c.get(sc)
	c.set(sp)
	c.i32c(0)
	c.set(j)
	c.whileLt(j, tk)
	c.get(sp)
	c.f32load(0)
	c.get(inv)
	c.op(opF32Mul)
	c.simd(vF32x4Splat)
	c.set(x)
	for i := range ov {
		c.get(ov[i])
		c.get(x)
		c.get(kr)
		c.vload(uint32(16 * i))
		c.simd(vF32x4Mul)
		c.simd(vF32x4Add)
		c.set(ov[i])
	}
	c.addI32(sp, 4)
	c.binI32(kr, kr, wb, opI32Add)
	c.addI32(j, 1)
	c.endWhile()
	for i := range ov {
		c.get(or)
		c.get(ov[i])
		c.vstore(uint32(16 * i))
	}
	c.op(opElse)
	// out head = Σ_j (sc[j]·inv) · v row j, in j order.
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
	headStart(v)
	c.get(sc)
	c.set(sp)
	c.i32c(0)
	c.set(j)
	c.whileLt(j, tk)
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
	c.binI32(kr, kr, wb, opI32Add)
	c.addI32(j, 1)
	c.endWhile()

	c.end()
	c.addI32(h, 1)
	c.endWhile()
	c.addI32(t, 1)
	c.endWhile()
}

// More opcodes of rope_tab.
const (
	opI32GtU     = 0x4b
	opI32Or      = 0x72
	opI32Xor     = 0x73
	opF64Eq      = 0x61
	opF64Lt      = 0x63
	opF64Abs     = 0x99
	opF64Neg     = 0x9a
	opF32CvtI32S = 0xb2 // f32.convert_i32_s
	opF64CvtI32U = 0xb8 // f64.convert_i32_u
)

// ropeMaxAngle bounds the angles rope_tab takes: Go's math.Sin and
// math.Cos reduce larger ones (≥ 2²⁹) another way (Payne–Hanek), which the
// module does not have.
const ropeMaxAngle = 1 << 28

// sinCoef and cosCoef are math.Sin's and math.Cos's polynomials (Go's
// math/sin.go, Cephes).
var (
	sinCoef = [6]float64{1.58962301576546568060e-10, -2.50507477628578072866e-8, 2.75573136213857245213e-6, -1.98412698295895385996e-4, 8.33333333332211858878e-3, -1.66666666666666307295e-1}
	cosCoef = [6]float64{-1.13585365213876817300e-11, 2.08757008419747316778e-9, -2.75573141792967388112e-7, 2.48015872888517045348e-5, -1.38888888888730564116e-3, 4.16666666666665929218e-2}
)

// emitRoPETab writes rope_tab(f, cos, sin, T, half, pos0): cos and sin
// (T,half) of the angles f32(pos0+t)·f[j], as tensor's RoPE computes them:
// the f32 angle widened, then Go's math.Cos and math.Sin op for op (their
// Cody–Waite reduction for angles below ropeMaxAngle, the engine checks),
// rounded to f32.
func emitRoPETab(m *module) {
	c, _ := m.add("rope_tab", i32, i32, i32, i32, i32, i32)
	const f, cs, sn, tt, half, pos0 = 0, 1, 2, 3, 4, 5
	t, j, fp, cp, sp, oct, jj := c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32)
	p := c.local(f32v)
	x, ax, y, z, zz, ps, pc := c.local(f64v), c.local(f64v), c.local(f64v), c.local(f64v), c.local(f64v), c.local(f64v), c.local(f64v)
	poly := func(k [6]float64) {
		c.f64c(k[0])
		for _, v := range k[1:] {
			c.get(zz)
			c.op(opF64Mul)
			c.f64c(v)
			c.op(opF64Add)
		}
	}
	c.get(cs)
	c.set(cp)
	c.get(sn)
	c.set(sp)
	c.i32c(0)
	c.set(t)
	c.whileLt(t, tt)
	c.get(pos0)
	c.get(t)
	c.op(opI32Add)
	c.op(opF32CvtI32S)
	c.set(p)
	c.get(f)
	c.set(fp)
	c.i32c(0)
	c.set(j)
	c.whileLt(j, half)
	{
		// x = f64(p·f[j]); ax = |x|
		c.get(p)
		c.get(fp)
		c.f32load(0)
		c.op(opF32Mul)
		c.op(opF64PromF32)
		c.tee(x)
		c.op(opF64Abs)
		c.set(ax)
		// oct = uint(ax·(4/π)); y = f64(oct); odd: both one up
		c.get(ax)
		c.f64c(4 / math.Pi)
		c.op(opF64Mul)
		c.b = append(c.b, 0xfc, 0x03) // i32.trunc_sat_f64_u
		c.tee(oct)
		c.op(opF64CvtI32U)
		c.set(y)
		c.get(oct)
		c.i32c(1)
		c.op(opI32And)
		c.b = append(c.b, opIf, blockVoid)
		c.addI32(oct, 1)
		c.get(y)
		c.f64c(1)
		c.op(opF64Add)
		c.set(y)
		c.end()
		c.get(oct)
		c.i32c(7)
		c.op(opI32And)
		c.set(oct)
		// z = ((ax - y·PI4A) - y·PI4B) - y·PI4C; zz = z·z
		c.get(ax)
		for _, k := range []float64{7.85398125648498535156e-1, 3.77489470793079817668e-8, 2.69515142907905952645e-15} {
			c.get(y)
			c.f64c(k)
			c.op(opF64Mul)
			c.op(opF64Sub)
		}
		c.tee(z)
		c.get(z)
		c.op(opF64Mul)
		c.set(zz)
		// ps = z + z·zz·sinpoly; pc = 1 - 0.5·zz + zz·zz·cospoly
		c.get(z)
		c.get(z)
		c.get(zz)
		c.op(opF64Mul)
		poly(sinCoef)
		c.op(opF64Mul)
		c.op(opF64Add)
		c.set(ps)
		c.f64c(1)
		c.f64c(0.5)
		c.get(zz)
		c.op(opF64Mul)
		c.op(opF64Sub)
		c.get(zz)
		c.get(zz)
		c.op(opF64Mul)
		poly(cosCoef)
		c.op(opF64Mul)
		c.op(opF64Add)
		c.set(pc)
		// jj = oct&3; the sine's polynomial for cos where jj is 1 or 2
		c.get(oct)
		c.i32c(3)
		c.op(opI32And)
		c.set(jj)
		swap := func() { // pushes jj == 1 || jj == 2
			c.get(jj)
			c.i32c(1)
			c.op(opI32Eq)
			c.get(jj)
			c.i32c(2)
			c.op(opI32Eq)
			c.op(opI32Or)
		}
		// cos = ±(swap ? ps : pc), negative where (oct > 3) ≠ (jj > 1)
		c.get(cp)
		c.get(ps)
		c.get(pc)
		swap()
		c.op(opSelect)
		c.tee(y)
		c.op(opF64Neg)
		c.get(y)
		c.get(oct)
		c.i32c(3)
		c.op(opI32GtU)
		c.get(jj)
		c.i32c(1)
		c.op(opI32GtU)
		c.op(opI32Xor)
		c.op(opSelect)
		c.set(y)
		// NaN for a NaN or ±Inf angle
		c.get(y)
		c.f64c(math.NaN())
		c.get(ax)
		c.f64c(math.Inf(1))
		c.op(opF64Lt)
		c.op(opSelect)
		c.op(opF32DemF64)
		c.f32store(0)
		// sin = ±(swap ? pc : ps), negative where (x < 0) ≠ (oct > 3);
		// sin(±0) = ±0
		c.get(sp)
		c.get(pc)
		c.get(ps)
		swap()
		c.op(opSelect)
		c.tee(y)
		c.op(opF64Neg)
		c.get(y)
		c.get(x)
		c.f64c(0)
		c.op(opF64Lt)
		c.get(oct)
		c.i32c(3)
		c.op(opI32GtU)
		c.op(opI32Xor)
		c.op(opSelect)
		c.set(y)
		c.get(y)
		c.f64c(math.NaN())
		c.get(ax)
		c.f64c(math.Inf(1))
		c.op(opF64Lt)
		c.op(opSelect)
		c.set(y)
		c.get(x)
		c.get(y)
		c.get(x)
		c.f64c(0)
		c.op(opF64Eq)
		c.op(opSelect)
		c.op(opF32DemF64)
		c.f32store(0)
	}
	c.addI32(fp, 4)
	c.addI32(cp, 4)
	c.addI32(sp, 4)
	c.addI32(j, 1)
	c.endWhile()
	c.addI32(t, 1)
	c.endWhile()
}
