// Package wasmsimd writes, in Go, a WebAssembly module of SIMD128 matrix
// kernels, and (under js/wasm) runs it beside the Go program through
// syscall/js: Go's wasm target has no SIMD, so lamina's CPU path in the
// browser gets its vector kernels from this second module.
//
// The module owns its own linear memory. Weights are copied into it once
// (Engine.Hold), repacked into panels of 8 output rows: panel p holds, for
// k = 0..K-1, the 8 values w[8p+j][k] (j = 0..7) side by side, rows past N
// zero. A product then broadcasts one x value against 8 outputs at a time
// (two f32x4 lanes), so K needs no multiple of the vector width and no
// horizontal sums are needed; N is padded to a multiple of 8 in the panels
// and in the output rows the module writes (stride Np·8).
//
// Exports (pointers are byte offsets into the module's memory):
//
//	mm_f32(w, x, out, T, K, Np, scratch)   out (T, Np·8) = x (T,K) · wᵀ, w f32 panels
//	mm_f16(w, x, out, T, K, Np, scratch)   the same with f16 panels
//	mm_bf16(w, x, out, T, K, Np, scratch)  the same with bf16 panels
//	mm_f16fin(w, x, out, T, K, Np, scratch)  mm_f16 for panels without ±Inf/NaN
//	cvt_f16(dst, src, n), cvt_bf16(dst, src, n)  widen n (a multiple of 8) values to f32
//	attn(q, k, v, out, sc, T, H, G, D, pos, window, scale)  causal attention over KV
//	    caches in the module's memory (attention.go)
//	mm_q8, mm_q4(w, x, out, T, K, Np, scratch, aux)  quantized panels (quant.go)
//	rms(x, w, out, T, C, eps), silu(out, g, u, n)  RMSNorm and SiLU·mul (fused.go)
//	gelu(out, x, n), bias(out, b, T, n)  GELU-tanh and a product's bias (fused.go)
//	ln, rope, rope_tab, attn_full  LayerNorm, RoPE and the DiT's full
//	    attention (rowops.go)
//
// Every mm_ takes an 8th argument, aux: the quantized kernels' blocks per
// group and path; the float ones ignore it.
//
// scratch holds K·8 f32 (one widened panel): for T ≥ 2 the f16/bf16
// kernels widen each panel once and run the f32 tiles on it.
//
// f16 → f32 is exact for every value (IEEE 754-2008 binary16: normals,
// subnormals, ±0 and ±Inf bit for bit; a NaN stays a NaN of the same sign
// and payload, its quiet bit possibly set): the exponent/mantissa bits
// shifted into f32 position read as a value 2^-112 times the half's, so one
// multiply by 2^112 (exact: a power of two, and wasm keeps subnormals)
// gives normals and subnormals; Inf/NaN get the all-ones exponent before
// the multiply (see widen8).
//
// The engine is a tensor.HeldReader: once it holds a weight the CPU
// backend frees its Go copy, and reads rows back from the panels where it
// needs them (Embedding of a tied table), so a weight's bytes live once.
//
// On several threads (threads.go) the same module runs over a shared
// WebAssembly.Memory in the calling thread and Web Workers, a small driver
// module splitting each product into kernel calls on fewer panels or
// tokens. Attention runs in the module, on the calling thread, over
// mirrors of the KV caches (tensor.AttentionEngine); the fused decoder
// ops' RMSNorm and SiLU·mul run in the module with their products
// (tensor.FusedEngine); LayerNorm (tensor.NormEngine), RoPE
// (tensor.RoPEEngine) and the layered-SVG DiT's bidirectional attention
// (tensor.FullAttentionEngine, threaded in chunks of query rows) run in the
// module too; the other elementwise ops stay in Go.
package wasmsimd

// The f16 widening constants (i16 ones repeated in both halves of a lane).
const (
	f16Magic = 0x77800000 // 2^112 as f32 bits
	i16Abs   = 0x7fff7fff // the exponent and mantissa of a half
	i16Max   = 0x7bff7bff // above it (|h| as i16) the half is Inf/NaN
	i16Exp   = 0x70007000 // the f32 exponent bits a half's 5 cannot reach
	i16Hi    = 0x8fff8fff // keeps sign | em>>3 of h >>s 3
)

// dtype of a weight panel in the module.
type dtype int

const (
	dF32 dtype = iota
	dF16
	dBF16
	// dF16Finite is f16 panels without ±Inf or NaN (Hold checks): the
	// matvec then widens without the Inf/NaN fix-up, 4 of its 17 vector
	// ops per step. Its T ≥ 2 path widens with cvt_f16 like dF16's.
	dF16Finite
)

func (d dtype) size() int32 {
	if d == dF32 {
		return 4
	}
	return 2
}

func (d dtype) String() string { return [...]string{"f32", "f16", "bf16", "f16fin", "q8", "q4"}[d] }

// tileRows is how many x rows (tokens) one f32 tile computes at once:
// 4 rows × 8 outputs is 8 accumulators, which with the 2 weight vectors and
// the broadcast value stays within x86's 16 vector registers.
const tileRows = 4

// consts are v128 locals holding the widening constants of one function.
type consts struct{ magic, abs, max, exp, hi, zero uint32 }

func newConsts(c *code) consts {
	k := consts{c.local(v128), c.local(v128), c.local(v128), c.local(v128), c.local(v128), c.local(v128)}
	for _, p := range [][2]uint32{{k.magic, f16Magic}, {k.abs, i16Abs}, {k.max, i16Max}, {k.exp, i16Exp}, {k.hi, i16Hi}, {k.zero, 0}} {
		c.vconst32(p[1])
		c.set(p[0])
	}
	return k
}

// interleave pushes the i32x4 whose lane j is lo16[j+4·half] | hi16[j+4·half]<<16
// (i8x16.shuffle of the two i16x8 locals).
func interleave(c *code, lo, hi uint32, half int) {
	c.get(lo)
	c.get(hi)
	c.simd(vShuffle)
	for j := 0; j < 4; j++ {
		l := byte(2 * (j + 4*half))
		c.b = append(c.b, l, l+1, 16+l, 17+l)
	}
}

// widen8 turns the 8 16-bit patterns in local h (an i16x8) into two f32x4,
// set into w0 (lanes 0–3) and w1 (lanes 4–7); lo and hi are v128 scratch.
//
// bf16 is the pattern in the high half of the f32. For f16 the high half
// is sign | (exponent, mantissa) >> 3 and the low half the mantissa's last
// 3 bits << 13: the f32 sign | em << 13, which reads as 2^-112 times the
// half's value for normals and subnormals alike, so one multiply by 2^112
// (exact: a power of two, and wasm keeps subnormals) rebiases both. For
// Inf/NaN (|h| > 0x7bff) 0x7000 in the high half fills the f32 exponent
// before the multiply, which leaves ±Inf as it is and a NaN a NaN of the
// same sign and payload (x86 and ARM set the quiet bit of a signalling
// one, as WebAssembly lets any float op do).
func widen8(c *code, d dtype, k consts, h, lo, hi, w0, w1 uint32) {
	if d == dBF16 {
		interleave(c, k.zero, h, 0)
		c.set(w0)
		interleave(c, k.zero, h, 1)
		c.set(w1)
		return
	}
	// hi = (h >>s 3) & 0x8fff | ((h & 0x7fff) > 0x7bff) & 0x7000, the
	// Inf/NaN term left out for finite panels (dF16Finite)
	c.get(h)
	c.i32c(3)
	c.simd(vI16x8ShrS)
	c.get(k.hi)
	c.simd(vAnd)
	if d != dF16Finite {
		c.get(h)
		c.get(k.abs)
		c.simd(vAnd)
		c.get(k.max)
		c.simd(vI16x8GtS)
		c.get(k.exp)
		c.simd(vAnd)
		c.simd(vOr)
	}
	c.set(hi)
	// lo = h << 13
	c.get(h)
	c.i32c(13)
	c.simd(vI16x8Shl)
	c.set(lo)
	for half, w := range []uint32{w0, w1} {
		interleave(c, lo, hi, half)
		c.get(k.magic)
		c.simd(vF32x4Mul)
		c.set(w)
	}
}

// emitCvt writes cvt_<d>(dst, src, n): n (a multiple of 8) 16-bit values
// at src widened to f32 at dst.
func emitCvt(m *module, d dtype) uint32 {
	c, idx := m.add("cvt_"+d.String(), i32, i32, i32)
	const dst, src, n = 0, 1, 2
	k := newConsts(c)
	h, lo, hi, w0, w1 := c.local(v128), c.local(v128), c.local(v128), c.local(v128), c.local(v128)
	c.block()
	c.loop()
	c.get(n)
	c.i32c(8)
	c.op(opI32LtS)
	c.brIf(1)
	c.get(src)
	c.vload(0)
	c.set(h)
	widen8(c, d, k, h, lo, hi, w0, w1)
	c.get(dst)
	c.get(w0)
	c.vstore(0)
	c.get(dst)
	c.get(w1)
	c.vstore(16)
	c.addI32(dst, 32)
	c.addI32(src, 16)
	c.addI32(n, -8)
	c.br(0)
	c.end()
	c.end()
	return idx
}

// emitTile writes tile_<d>_<rows>(pw, px, po, K, ldx, ldo): for rows x rows
// starting at px (stride ldx bytes) and the one weight panel at pw, the 8
// outputs of each row at po (stride ldo bytes). With one row the k loop
// keeps 4 independent accumulator pairs (one per unrolled step), so the
// adds do not wait on each other; they are summed at the end.
func emitTile(m *module, d dtype, rows int) uint32 {
	c, idx := m.add("", i32, i32, i32, i32, i32, i32)
	const pw, px, po, kk, ldx, ldo = 0, 1, 2, 3, 4, 5
	const unroll = 4
	sets := 1
	if rows == 1 {
		sets = unroll
	}
	var k consts
	var h, lo, hi uint32
	if d != dF32 {
		k = newConsts(c)
		h, lo, hi = c.local(v128), c.local(v128), c.local(v128)
	}
	w := [2]uint32{c.local(v128), c.local(v128)}
	s := c.local(v128)
	acc := make([][][2]uint32, sets)
	for u := range acc {
		acc[u] = make([][2]uint32, rows)
		for r := range acc[u] {
			acc[u][r] = [2]uint32{c.local(v128), c.local(v128)}
		}
	}
	xr := make([]uint32, rows)
	for r := range xr {
		xr[r] = c.local(i32)
		c.get(px)
		if r > 0 {
			c.get(ldx)
			c.i32c(int32(r))
			c.op(opI32Mul)
			c.op(opI32Add)
		}
		c.set(xr[r])
	}
	cnt := c.local(i32)
	for u := range acc {
		for r := range acc[u] {
			for j := 0; j < 2; j++ {
				c.vconst32(0)
				c.set(acc[u][r][j])
			}
		}
	}
	wstep := 8 * d.size() // bytes of one k of a panel
	step := func(u int) {
		set := acc[u%sets]
		if d == dF32 {
			for j := 0; j < 2; j++ {
				c.get(pw)
				c.vload(uint32(int32(u)*wstep + int32(16*j)))
				c.set(w[j])
			}
		} else {
			c.get(pw)
			c.vload(uint32(int32(u) * wstep))
			c.set(h)
			widen8(c, d, k, h, lo, hi, w[0], w[1])
		}
		for r := 0; r < rows; r++ {
			c.get(xr[r])
			c.load32splat(uint32(4 * u))
			c.set(s)
			for j := 0; j < 2; j++ {
				c.get(set[r][j])
				c.get(s)
				c.get(w[j])
				c.simd(vF32x4Mul)
				c.simd(vF32x4Add)
				c.set(set[r][j])
			}
		}
	}
	loop := func(n int) {
		c.block()
		c.loop()
		c.get(cnt)
		c.op(opI32Eqz)
		c.brIf(1)
		for u := 0; u < n; u++ {
			step(u)
		}
		c.addI32(pw, int32(n)*wstep)
		for r := range xr {
			c.addI32(xr[r], int32(4*n))
		}
		c.addI32(cnt, -1)
		c.br(0)
		c.end()
		c.end()
	}
	c.get(kk)
	c.i32c(2)
	c.op(opI32ShrU)
	c.set(cnt)
	loop(unroll)
	c.get(kk)
	c.i32c(unroll - 1)
	c.op(0x71) // i32.and
	c.set(cnt)
	loop(1)
	for u := 1; u < sets; u++ {
		for r := 0; r < rows; r++ {
			for j := 0; j < 2; j++ {
				c.get(acc[0][r][j])
				c.get(acc[u][r][j])
				c.simd(vF32x4Add)
				c.set(acc[0][r][j])
			}
		}
	}
	for r := 0; r < rows; r++ {
		for j := 0; j < 2; j++ {
			c.get(po)
			if r > 0 {
				c.get(ldo)
				c.i32c(int32(r))
				c.op(opI32Mul)
				c.op(opI32Add)
			}
			c.get(acc[0][r][j])
			c.vstore(uint32(16 * j))
		}
	}
	return idx
}

// mmKernels are the functions a mm_ export calls: the f32 tiles, and
// either a widening (cvt) and 1-row tile of 16-bit panels, or the
// quantized matvec, dequantization and Σx of one width.
type mmKernels struct {
	f32Tile1, f32Tile4 uint32
	cvt, tile1         uint32
	qmv, qdq, qxs      uint32
}

// emitMatMul writes mm_<d>(w, x, out, T, K, Np, scratch, aux); see the
// package comment (and quant.go for the quantized ones, whose aux is the
// blocks per group; the float ones ignore it).
func emitMatMul(m *module, d dtype, ks mmKernels) {
	c, _ := m.add("mm_"+d.String(), i32, i32, i32, i32, i32, i32, i32, i32)
	const w, x, out, tt, kk, np, scratch, aux = 0, 1, 2, 3, 4, 5, 6, 7
	ldx, ldo, psz := c.local(i32), c.local(i32), c.local(i32)
	p, t, src, xp, op := c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32)
	bits := 0
	switch d {
	case dQ8:
		bits = 8
	case dQ4:
		bits = 4
	}
	c.get(kk)
	c.i32c(4)
	c.op(opI32Mul)
	c.set(ldx)
	c.get(np)
	c.i32c(32)
	c.op(opI32Mul)
	c.set(ldo)
	// The quantized kernels take the blocks per group and the path in aux
	// (quantAux).
	bpg, tiles := c.local(i32), c.local(i32)
	if bits != 0 {
		kp, rb, ng := c.local(i32), c.local(i32), c.local(i32)
		c.get(aux)
		c.i32c(quantTiles - 1)
		c.op(opI32And)
		c.set(bpg)
		c.get(aux)
		c.i32c(quantTiles)
		c.op(opI32And)
		c.set(tiles)
		quantLayout(c, bits, kk, bpg, kp, rb, ng)
		quantPanelBytes(c, bits, rb, ng)
		c.set(psz)
		if bits == 4 {
			// matvec: Σx per group into scratch, once.
			c.get(tiles)
			c.op(opI32Eqz)
			c.b = append(c.b, opIf, blockVoid)
			c.get(x)
			c.get(scratch)
			c.get(kk)
			c.get(bpg)
			c.call(ks.qxs)
			c.end()
		}
	} else {
		c.get(kk)
		c.i32c(8 * d.size())
		c.op(opI32Mul)
		c.set(psz)
	}
	c.i32c(0)
	c.set(p)
	// for p < Np
	c.block()
	c.loop()
	c.get(p)
	c.get(np)
	c.op(opI32GeS)
	c.brIf(1)
	// src = w + p*psz
	c.get(w)
	c.get(p)
	c.get(psz)
	c.op(opI32Mul)
	c.op(opI32Add)
	c.set(src)
	c.get(x)
	c.set(xp)
	c.get(out)
	c.get(p)
	c.i32c(32)
	c.op(opI32Mul)
	c.op(opI32Add)
	c.set(op)
	c.i32c(0)
	c.set(t)
	callTile := func(f uint32) {
		c.get(src)
		c.get(xp)
		c.get(op)
		c.get(kk)
		c.get(ldx)
		c.get(ldo)
		c.call(f)
	}
	// rowsLoop runs f over blocks of n rows while at least n rows are left.
	rowsLoop := func(f uint32, n int32) {
		c.block()
		c.loop()
		c.get(tt)
		c.get(t)
		c.op(opI32Sub)
		c.i32c(n)
		c.op(opI32LtS)
		c.brIf(1)
		callTile(f)
		c.addI32(t, n)
		for _, l := range []uint32{xp, op} {
			c.get(l)
			if l == xp {
				c.get(ldx)
			} else {
				c.get(ldo)
			}
			c.i32c(n)
			c.op(opI32Mul)
			c.op(opI32Add)
			c.set(l)
		}
		c.br(0)
		c.end()
		c.end()
	}
	if d == dF32 {
		rowsLoop(ks.f32Tile4, tileRows)
		rowsLoop(ks.f32Tile1, 1)
	} else {
		// T ≥ 2 (quantized: the tiles flag): widen (dequantize) the panel
		// once into scratch and run the f32 tiles.
		if bits != 0 {
			c.get(tiles)
		} else {
			c.get(tt)
			c.i32c(2)
			c.op(opI32GeS)
		}
		c.b = append(c.b, opIf, blockVoid)
		c.get(scratch)
		c.get(src)
		if bits != 0 {
			c.get(kk)
			c.get(bpg)
			c.call(ks.qdq)
		} else {
			c.get(kk)
			c.i32c(8)
			c.op(opI32Mul)
			c.call(ks.cvt)
		}
		c.get(scratch)
		c.set(src)
		rowsLoop(ks.f32Tile4, tileRows)
		rowsLoop(ks.f32Tile1, 1)
		c.op(opElse)
		if bits != 0 {
			// The fused matvec (T = 1).
			c.get(src)
			c.get(x)
			c.get(op)
			c.get(kk)
			c.get(bpg)
			c.get(scratch)
			c.call(ks.qmv)
		} else {
			rowsLoop(ks.tile1, 1)
		}
		c.end()
	}
	c.addI32(p, 1)
	c.br(0)
	c.end()
	c.end()
}

// Module returns the kernel module's bytes, written afresh on each call (a
// few kilobytes, in microseconds). The engine loads the copy written into
// kernels_gen.go at build time (kernelsWasm), so lamina.wasm ships the
// module's bytes and not the emitter: 21 KB less brotli.
func Module() []byte {
	var m module
	f32 := mmKernels{f32Tile1: emitTile(&m, dF32, 1), f32Tile4: emitTile(&m, dF32, tileRows)}
	emitMatMul(&m, dF32, f32)
	for _, d := range []dtype{dF16, dBF16} {
		ks := f32
		ks.cvt, ks.tile1 = emitCvt(&m, d), emitTile(&m, d, 1)
		emitMatMul(&m, d, ks)
		if d == dF16 {
			ks.tile1 = emitTile(&m, dF16Finite, 1)
			emitMatMul(&m, dF16Finite, ks)
		}
	}
	emitAttention(&m)
	emitRMS(&m)
	emitSiLU(&m)
	qxs := emitQuantXSum(&m)
	for _, q := range []struct {
		d    dtype
		bits int
	}{{dQ8, 8}, {dQ4, 4}} {
		ks := f32
		ks.qmv, ks.qdq, ks.qxs = emitQuantMatVec(&m, q.bits), emitQuantDequant(&m, q.bits), qxs
		emitMatMul(&m, q.d, ks)
	}
	emitGelu(&m)
	emitBias(&m)
	emitLayerNorm(&m)
	emitRoPE(&m)
	emitRoPETab(&m)
	emitAttnFull(&m)
	return m.bytes(minPages)
}

// minPages is the memory the module starts with (64 KiB pages); the
// engine grows it as weights arrive.
const minPages = 16
