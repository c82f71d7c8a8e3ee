package wasmsimd

import "math"

// RMSNorm and SiLU·mul in the module (exports rms, silu), so that the
// fused ops of the CPU backend (tensor.FusedEngine: MatMulNormQKV,
// MatMulNormSiLU) copy their activations in once and out once instead of
// once per product, with the norm and the activation no longer in Go's
// scalar wasm between them. Both are the CPU backend's code op for op, so
// their results are its bits:
//
//	rms(x, w, out, T, C, eps)  out (T,C) = x·(1/√(Σx²/C + eps))·w per row,
//	    the sum of squares in f64 in order (tensor's RMSNorm); out may be x
//	silu(out, g, u, n)  out = g/(1+e^-g)·u over n (a multiple of 4) values,
//	    e^ being kernels' Cephes expf (exp4, with its overflow to +Inf)
//	gelu(out, x, n)  out = x/(1+e^(-2·√(2/π)·x·(1+0.044715x²))) over n (a
//	    multiple of 4) values: kernels' GeluTanh (tensor.ActivationEngine),
//	    its operations in its order; out may be x
//	bias(out, b, T, n)  out[t] += b per row t < T of n (a multiple of 4)
//	    values: a product's bias (tensor.BiasEngine), added before its output
//	    is copied out

// More opcodes of the fused ops.
const (
	f64v byte = 0x7c

	opF64Sqrt    = 0x9f
	opF64Add     = 0xa0
	opF64Mul     = 0xa2
	opF64Div     = 0xa3
	opF32DemF64  = 0xb6 // f32.demote_f64
	opF64CvtI32S = 0xb7 // f64.convert_i32_s
	opF64PromF32 = 0xbb // f64.promote_f32

	vF32x4Gt  = 0x44
	vF32x4Neg = 0xe1
	vF32x4Div = 0xe7
)

// emitRMS writes rms (see the top of the file).
func emitRMS(m *module) {
	c, _ := m.add("rms", i32, i32, i32, i32, i32, f32v)
	const x, w, out, tt, cc, eps = 0, 1, 2, 3, 4, 5
	t, i, xp, wp, op := c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32)
	ss := c.local(f64v)
	inv := c.local(f32v)
	c.i32c(0)
	c.set(t)
	c.whileLt(t, tt)
	{
		// ss = Σ f64(v)·f64(v), in order
		c.b = append(c.b, 0x44) // f64.const 0
		c.b = append(c.b, 0, 0, 0, 0, 0, 0, 0, 0)
		c.set(ss)
		c.get(x)
		c.set(xp)
		c.i32c(0)
		c.set(i)
		c.whileLt(i, cc)
		c.get(ss)
		c.get(xp)
		c.f32load(0)
		c.op(opF64PromF32)
		c.get(xp)
		c.f32load(0)
		c.op(opF64PromF32)
		c.op(opF64Mul)
		c.op(opF64Add)
		c.set(ss)
		c.addI32(xp, 4)
		c.addI32(i, 1)
		c.endWhile()
		// inv = f32(1 / sqrt(ss/C + eps))
		c.b = append(c.b, 0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f) // f64.const 1
		c.get(ss)
		c.get(cc)
		c.op(opF64CvtI32S)
		c.op(opF64Div)
		c.get(eps)
		c.op(opF64PromF32)
		c.op(opF64Add)
		c.op(opF64Sqrt)
		c.op(opF64Div)
		c.op(opF32DemF64)
		c.set(inv)
		// out[i] = x[i]·inv·w[i]
		c.get(x)
		c.set(xp)
		c.get(w)
		c.set(wp)
		c.get(out)
		c.set(op)
		c.i32c(0)
		c.set(i)
		c.whileLt(i, cc)
		c.get(op)
		c.get(xp)
		c.f32load(0)
		c.get(inv)
		c.op(opF32Mul)
		c.get(wp)
		c.f32load(0)
		c.op(opF32Mul)
		c.f32store(0)
		for _, l := range []uint32{xp, wp, op} {
			c.addI32(l, 4)
		}
		c.addI32(i, 1)
		c.endWhile()
		// next row
		for _, l := range []uint32{x, out} {
			c.get(l)
			c.get(cc)
			c.i32c(2)
			c.op(opI32Shl)
			c.op(opI32Add)
			c.set(l)
		}
		c.addI32(t, 1)
	}
	c.endWhile()
}

// emitSiLU writes silu (see the top of the file).
func emitSiLU(m *module) {
	c, _ := m.add("silu", i32, i32, i32, i32)
	const out, g, u, n = 0, 1, 2, 3
	gv, x, fx, tmp, e := c.local(v128), c.local(v128), c.local(v128), c.local(v128), c.local(v128)
	c.block()
	c.loop()
	c.get(n)
	c.i32c(1)
	c.op(opI32LtS)
	c.brIf(1)
	c.get(g)
	c.vload(0)
	c.tee(gv)
	c.simd(vF32x4Neg)
	c.set(x)
	exp4(c, x, fx, tmp, e)
	// e = x > 88.37626 ? +Inf : e (expf's overflow; exp4 leaves it out)
	c.vconstf(float32(math.Inf(1)))
	c.get(e)
	c.get(x)
	c.vconstf(88.37626)
	c.simd(vF32x4Gt)
	c.simd(vBitselect)
	c.set(e)
	// out = g / (1 + e) · u
	c.get(out)
	c.get(gv)
	c.vconstf(1)
	c.get(e)
	c.simd(vF32x4Add)
	c.simd(vF32x4Div)
	c.get(u)
	c.vload(0)
	c.simd(vF32x4Mul)
	c.vstore(0)
	for _, l := range []uint32{out, g, u} {
		c.addI32(l, 16)
	}
	c.addI32(n, -4)
	c.br(0)
	c.end()
	c.end()
}

// emitGelu writes gelu (see the top of the file).
func emitGelu(m *module) {
	c, _ := m.add("gelu", i32, i32, i32)
	const out, xp, n = 0, 1, 2
	v, x, fx, tmp, e := c.local(v128), c.local(v128), c.local(v128), c.local(v128), c.local(v128)
	c.block()
	c.loop()
	c.get(n)
	c.i32c(1)
	c.op(opI32LtS)
	c.brIf(1)
	// x = (c2·v)·(1 + (0.044715·v)·v), c2 = -2·√(2/π), as kernels' geluTanhGo
	c.get(xp)
	c.vload(0)
	c.tee(v)
	c.vconstf(float32(-2 * 0.7978845608028654))
	c.simd(vF32x4Mul)
	c.vconstf(1)
	c.get(v)
	c.vconstf(0.044715)
	c.simd(vF32x4Mul)
	c.get(v)
	c.simd(vF32x4Mul)
	c.simd(vF32x4Add)
	c.simd(vF32x4Mul)
	c.set(x)
	exp4(c, x, fx, tmp, e)
	// e = x > 88.37626 ? +Inf : e (expf's overflow; exp4 leaves it out)
	c.vconstf(float32(math.Inf(1)))
	c.get(e)
	c.get(x)
	c.vconstf(88.37626)
	c.simd(vF32x4Gt)
	c.simd(vBitselect)
	c.set(e)
	// out = v / (1 + e)
	c.get(out)
	c.get(v)
	c.vconstf(1)
	c.get(e)
	c.simd(vF32x4Add)
	c.simd(vF32x4Div)
	c.vstore(0)
	for _, l := range []uint32{out, xp} {
		c.addI32(l, 16)
	}
	c.addI32(n, -4)
	c.br(0)
	c.end()
	c.end()
}

// emitBias writes bias (see the top of the file).
func emitBias(m *module) {
	c, _ := m.add("bias", i32, i32, i32, i32)
	const out, b, tt, n = 0, 1, 2, 3
	t, i, bp := c.local(i32), c.local(i32), c.local(i32)
	c.i32c(0)
	c.set(t)
	c.whileLt(t, tt)
	{
		c.get(b)
		c.set(bp)
		c.i32c(0)
		c.set(i)
		c.whileLt(i, n)
		c.get(out)
		c.get(out)
		c.vload(0)
		c.get(bp)
		c.vload(0)
		c.simd(vF32x4Add)
		c.vstore(0)
		c.addI32(out, 16)
		c.addI32(bp, 16)
		c.addI32(i, 4)
		c.endWhile()
		c.addI32(t, 1)
	}
	c.endWhile()
}
