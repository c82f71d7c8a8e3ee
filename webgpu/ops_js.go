//go:build js && wasm

package webgpu

import (
	"github.com/lamina-ml/lamina/shaders"
	"github.com/lamina-ml/lamina/tensor"
)

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// wformat is how a kernel reads one weight operand: the shader weight
// format, and for a quantized weight its row layout (Params words
// shaders.QParamWord and the next). Two operands one fused kernel reads
// through the same declarations must have equal wformats.
type wformat struct {
	w       string
	qg, qrw uint32 // columns per group, u32 words per row (quantized only)
}

// params appends the quantized layout to a kernel's parameter words.
func (f wformat) params(p []uint32) []uint32 {
	if f.qrw == 0 {
		return p
	}
	for len(p) < shaders.QParamWord {
		p = append(p, 0)
	}
	return append(p[:shaders.QParamWord], f.qg, f.qrw)
}

// wfmt is the shader weight format of a stored tensor.
func (b *Backend) wfmt(g *gtensor) (wformat, bool) {
	switch g.dt {
	case tensor.F32:
		return wformat{w: shaders.WF32}, true
	case tensor.F16:
		if b.opts.PreferF16 && b.d.features["shader-f16"] {
			return wformat{w: shaders.WF16}, true
		}
		return wformat{w: shaders.WF16P}, true
	case tensor.BF16:
		return wformat{w: shaders.WBF16}, true
	case tensor.Q8, tensor.Q4:
		w := shaders.WQ4
		if g.dt == tensor.Q8 {
			w = shaders.WQ8
		}
		return wformat{w: w, qg: uint32(g.q.groupCols), qrw: uint32(g.q.rowWords)}, true
	}
	return wformat{}, false
}

// weight validates a matrix operand (a float or quantized dtype, possibly
// split).
func (b *Backend) weight(t tensor.Tensor, op string) (*gtensor, wformat) {
	g := b.tens(t, op)
	if g == nil {
		return nil, wformat{}
	}
	f, ok := b.wfmt(g)
	if !ok {
		b.failf("%s: weight of dtype %v", op, g.dt)
		return nil, wformat{}
	}
	return g, f
}

func (b *Backend) ints(t tensor.Tensor, op string, need int) *gtensor {
	g := b.tens(t, op)
	if g == nil {
		return nil
	}
	if g.dt != tensor.I32 || len(g.chunks) != 1 {
		b.failf("%s needs an I32 tensor, got %v", op, g.dt)
		return nil
	}
	if g.n() < need {
		b.failf("%s: I32 tensor of %d entries, need %d", op, g.n(), need)
		return nil
	}
	return g
}

func same(a, b *gtensor) bool { return a.chunks[0].id == b.chunks[0].id }

// matmulShapes checks x (T,K), w (N,K), out (T,N) and returns T, K, N.
func (b *Backend) matmulShapes(op string, out, x, w *gtensor) (int, int, int, bool) {
	T, K, N := x.rows(), x.cols(), w.rows()
	if w.cols() != K || out.n() != T*N {
		b.failf("%s: x %v, w %v, out %v do not fit x (T,K), w (N,K), out (T,N)", op, x.shape, w.shape, out.shape)
		return 0, 0, 0, false
	}
	if same(out, x) {
		b.failf("%s: out may not alias x", op)
		return 0, 0, 0, false
	}
	return T, K, N, true
}

// MatMul: out = x·wᵀ + bias. x (T,K), w (N,K), bias (N) or nil, out (T,N).
func (b *Backend) MatMul(out, x, w, bias tensor.Tensor) {
	o, xg := b.act(out, "MatMul"), b.act(x, "MatMul")
	wg, wf := b.weight(w, "MatMul")
	if o == nil || xg == nil || wg == nil {
		return
	}
	T, K, N, ok := b.matmulShapes("MatMul", o, xg, wg)
	if !ok {
		return
	}
	biasID, hasBias := -1, uint32(0)
	if bias != nil {
		bg := b.act(bias, "MatMul bias")
		if bg == nil {
			return
		}
		if bg.n() != N {
			b.failf("MatMul: bias %v for N=%d", bg.shape, N)
			return
		}
		biasID, hasBias = b.buf(bg), 1
	}
	b.matmul(o, xg, wg, wf, biasID, hasBias, T, K, N)
}

func (b *Backend) matmul(o, xg, wg *gtensor, wf wformat, biasID int, hasBias uint32, T, K, N int) {
	vec4 := K%4 == 0
	for ci, c := range wg.chunks {
		n0 := ci * wg.rowsPer
		nc := min(wg.rowsPer, N-n0)
		p := wf.params([]uint32{uint32(T), uint32(nc), uint32(K), uint32(N), uint32(n0), hasBias})
		if T <= matvecMaxRows {
			k := shaders.Key{Kernel: "matvec", W: wf.w, Vec4: vec4, Bias: hasBias != 0}
			b.dispatch(k, []int{b.buf(xg), c.id, -1, biasID, -1, b.buf(o)}, p, ceilDiv(nc, 8), T, 1)
			continue
		}
		k := shaders.Key{Kernel: "matmul", W: wf.w, Vec4: vec4}
		b.dispatch(k, []int{b.buf(xg), c.id, biasID, b.buf(o)}, p, ceilDiv(nc, 128), ceilDiv(T, 128), 1)
	}
}

// MatMulNorm: out = RMSNorm(x, normW, eps)·wᵀ. x (T,K), normW (K), w (N,K),
// out (T,N).
func (b *Backend) MatMulNorm(out, x, normW, w tensor.Tensor, eps float32) {
	o, xg, ng := b.act(out, "MatMulNorm"), b.act(x, "MatMulNorm"), b.act(normW, "MatMulNorm")
	wg, wf := b.weight(w, "MatMulNorm")
	if o == nil || xg == nil || ng == nil || wg == nil {
		return
	}
	T, K, N, ok := b.matmulShapes("MatMulNorm", o, xg, wg)
	if !ok {
		return
	}
	if ng.n() != K {
		b.failf("MatMulNorm: norm weight %v for K=%d", ng.shape, K)
		return
	}
	if T > matvecMaxRows {
		tmp := b.tempLike(xg)
		if tmp == nil {
			return
		}
		b.RMSNorm(tmp, xg, ng, eps)
		b.matmul(o, tmp, wg, wf, -1, 0, T, K, N)
		b.recycleT(tmp)
		return
	}
	for ci, c := range wg.chunks {
		n0 := ci * wg.rowsPer
		nc := min(wg.rowsPer, N-n0)
		k := shaders.Key{Kernel: "matvec", W: wf.w, Vec4: K%4 == 0, Norm: true}
		p := wf.params([]uint32{uint32(T), uint32(nc), uint32(K), uint32(N), uint32(n0), 0, f32bits(eps)})
		b.dispatch(k, []int{b.buf(xg), c.id, -1, -1, b.buf(ng), b.buf(o)}, p, ceilDiv(nc, 8), T, 1)
	}
}

// MatMulNormQKV: see tensor.FusedOps. Falls back to three MatMulNorm calls for
// T > 4, split weights or mixed dtypes.
func (b *Backend) MatMulNormQKV(q, k, v, x, normW, wq, wk, wv tensor.Tensor, eps float32) {
	qg, kg, vg := b.act(q, "MatMulNormQKV"), b.act(k, "MatMulNormQKV"), b.act(v, "MatMulNormQKV")
	xg, ng := b.act(x, "MatMulNormQKV"), b.act(normW, "MatMulNormQKV")
	wqg, fq := b.weight(wq, "MatMulNormQKV")
	wkg, fk := b.weight(wk, "MatMulNormQKV")
	wvg, fv := b.weight(wv, "MatMulNormQKV")
	if qg == nil || kg == nil || vg == nil || xg == nil || ng == nil || wqg == nil || wkg == nil || wvg == nil {
		return
	}
	T, K := xg.rows(), xg.cols()
	Nq, Nkv := wqg.rows(), wkg.rows()
	if wqg.cols() != K || wkg.cols() != K || wvg.cols() != K || wvg.rows() != Nkv || ng.n() != K ||
		qg.n() != T*Nq || kg.n() != T*Nkv || vg.n() != T*Nkv {
		b.failf("MatMulNormQKV: x %v, norm %v, w %v %v %v, out %v %v %v do not fit", xg.shape, ng.shape, wqg.shape, wkg.shape, wvg.shape, qg.shape, kg.shape, vg.shape)
		return
	}
	if same(qg, xg) || same(kg, xg) || same(vg, xg) || same(qg, kg) || same(qg, vg) || same(kg, vg) {
		b.failf("MatMulNormQKV: outputs may not alias each other or x")
		return
	}
	if T > matvecMaxRows || fq != fk || fq != fv || len(wqg.chunks) != 1 || len(wkg.chunks) != 1 || len(wvg.chunks) != 1 {
		b.MatMulNorm(q, x, normW, wq, eps)
		b.MatMulNorm(k, x, normW, wk, eps)
		b.MatMulNorm(v, x, normW, wv, eps)
		return
	}
	key := shaders.Key{Kernel: "matvec3", W: fq.w, Vec4: K%4 == 0}
	p := fq.params([]uint32{uint32(T), uint32(Nq), uint32(Nkv), uint32(K), f32bits(eps)})
	b.dispatch(key, []int{b.buf(xg), wqg.chunks[0].id, wkg.chunks[0].id, wvg.chunks[0].id, b.buf(ng), b.buf(qg), b.buf(kg), b.buf(vg)},
		p, ceilDiv(Nq+2*Nkv, 8), T, 1)
}

// MatMulNormSiLU: out = silu(n·gateᵀ) * (n·upᵀ), n = RMSNorm(x, normW, eps).
// x (T,K), normW (K), gate and up (N,K), out (T,N).
func (b *Backend) MatMulNormSiLU(out, x, normW, gate, up tensor.Tensor, eps float32) {
	o, xg, ng := b.act(out, "MatMulNormSiLU"), b.act(x, "MatMulNormSiLU"), b.act(normW, "MatMulNormSiLU")
	gg, gf := b.weight(gate, "MatMulNormSiLU")
	ug, uf := b.weight(up, "MatMulNormSiLU")
	if o == nil || xg == nil || ng == nil || gg == nil || ug == nil {
		return
	}
	T, K, N, ok := b.matmulShapes("MatMulNormSiLU", o, xg, gg)
	if !ok {
		return
	}
	if ug.rows() != N || ug.cols() != K || ng.n() != K {
		b.failf("MatMulNormSiLU: up %v / norm %v do not match gate %v", ug.shape, ng.shape, gg.shape)
		return
	}
	if T <= matvecMaxRows && gf == uf && len(gg.chunks) == 1 && len(ug.chunks) == 1 {
		k := shaders.Key{Kernel: "matvec", W: gf.w, Vec4: K%4 == 0, Norm: true, SiLU: true}
		p := gf.params([]uint32{uint32(T), uint32(N), uint32(K), uint32(N), 0, 0, f32bits(eps)})
		b.dispatch(k, []int{b.buf(xg), gg.chunks[0].id, ug.chunks[0].id, -1, b.buf(ng), b.buf(o)}, p, ceilDiv(N, 8), T, 1)
		return
	}
	tmp, u := b.tempLike(xg), b.tempLike(o)
	if tmp == nil || u == nil {
		return
	}
	b.RMSNorm(tmp, xg, ng, eps)
	b.matmul(o, tmp, gg, gf, -1, 0, T, K, N)
	b.matmul(u, tmp, ug, uf, -1, 0, T, K, N)
	b.SiLUMul(o, o, u)
	b.recycleT(tmp)
	b.recycleT(u)
}

// MatMulAcc: acc = acc + x·wᵀ. x (T,K), w (N,K), acc (T,N).
func (b *Backend) MatMulAcc(acc, x, w tensor.Tensor) {
	o, xg := b.act(acc, "MatMulAcc"), b.act(x, "MatMulAcc")
	wg, wf := b.weight(w, "MatMulAcc")
	if o == nil || xg == nil || wg == nil {
		return
	}
	T, K, N, ok := b.matmulShapes("MatMulAcc", o, xg, wg)
	if !ok {
		return
	}
	if T > matvecMaxRows {
		tmp := b.tempLike(o)
		if tmp == nil {
			return
		}
		b.matmul(tmp, xg, wg, wf, -1, 0, T, K, N)
		b.Add(o, o, tmp)
		b.recycleT(tmp)
		return
	}
	for ci, c := range wg.chunks {
		n0 := ci * wg.rowsPer
		nc := min(wg.rowsPer, N-n0)
		k := shaders.Key{Kernel: "matvec", W: wf.w, Vec4: K%4 == 0, Accumulate: true}
		p := wf.params([]uint32{uint32(T), uint32(nc), uint32(K), uint32(N), uint32(n0), 0})
		b.dispatch(k, []int{b.buf(xg), c.id, -1, -1, -1, b.buf(o)}, p, ceilDiv(nc, 8), T, 1)
	}
}

// tempLike is a pooled f32 tensor with t's shape.
func (b *Backend) tempLike(t *gtensor) *gtensor {
	buf := b.temp(t.n())
	if buf == nil {
		return nil
	}
	return &gtensor{shape: t.shape, dt: tensor.F32, chunks: []*buffer{buf}, rowsPer: t.rows(), owner: b}
}

func (b *Backend) recycleT(t *gtensor) {
	b.recycle(t.chunks[0])
	t.chunks = nil
	t.freed = true
}

// inplaceIDs picks the variant for out = f(a, b) when out may alias a or b.
func (b *Backend) inplaceIDs(o, a, c *gtensor) (ids []int, inplace int, cleanup func()) {
	switch {
	case same(o, a) && same(o, c):
		tmp := b.tempLike(c)
		if tmp == nil {
			return nil, 0, nil
		}
		b.copyWords(tmp.chunks[0], 0, c.chunks[0], 0, c.n())
		return []int{-1, b.buf(tmp), b.buf(o)}, 1, func() { b.recycleT(tmp) }
	case same(o, a):
		return []int{-1, b.buf(c), b.buf(o)}, 1, func() {}
	case same(o, c):
		return []int{b.buf(a), -1, b.buf(o)}, 2, func() {}
	}
	return []int{b.buf(a), b.buf(c), b.buf(o)}, 0, func() {}
}

func (b *Backend) binary(kernel string, out, x, y tensor.Tensor) {
	o, a, c := b.act(out, kernel), b.act(x, kernel), b.act(y, kernel)
	if o == nil || a == nil || c == nil {
		return
	}
	if a.n() != c.n() || o.n() != a.n() {
		b.failf("%s: shapes %v, %v, out %v differ", kernel, a.shape, c.shape, o.shape)
		return
	}
	ids, ip, cleanup := b.inplaceIDs(o, a, c)
	if ids == nil {
		return
	}
	b.dispatch1D(shaders.Key{Kernel: kernel, InPlace: ip}, ids, []uint32{uint32(o.n())}, o.n())
	cleanup()
}

// Add: out = a + b. out may alias a or b.
func (b *Backend) Add(out, x, y tensor.Tensor) { b.binary("add", out, x, y) }

// SiLUMul: out = silu(gate) * up. out may alias gate or up.
func (b *Backend) SiLUMul(out, gate, up tensor.Tensor) { b.binary("silumul", out, gate, up) }

// GeluTanh: out = 0.5x(1+tanh(√(2/π)(x+0.044715x³))). out may alias x.
func (b *Backend) GeluTanh(out, x tensor.Tensor) {
	o, a := b.act(out, "GeluTanh"), b.act(x, "GeluTanh")
	if o == nil || a == nil {
		return
	}
	if o.n() != a.n() {
		b.failf("GeluTanh: shapes %v, out %v differ", a.shape, o.shape)
		return
	}
	ids, ip := []int{b.buf(a), -1, b.buf(o)}, 0
	if same(o, a) {
		ids, ip = []int{-1, -1, b.buf(o)}, 1
	}
	b.dispatch1D(shaders.Key{Kernel: "gelu", InPlace: ip}, ids, []uint32{uint32(o.n())}, o.n())
}

// GeluTanhMul (model.GemmaOps): out = gelu_tanh(gate) * up. out may alias
// gate or up.
func (b *Backend) GeluTanhMul(out, gate, up tensor.Tensor) { b.binary("gelumul", out, gate, up) }

// Scale (model.GemmaOps): x *= s in place.
func (b *Backend) Scale(x tensor.Tensor, s float32) {
	xg := b.act(x, "Scale")
	if xg == nil {
		return
	}
	b.dispatch1D(shaders.Key{Kernel: "scale"}, []int{-1, -1, b.buf(xg)}, []uint32{uint32(xg.n()), f32bits(s)}, xg.n())
}

// RMSNormHeads (model.HeadRMSNormer): every len(w)-wide chunk (head) of
// x's rows RMS-normalised and scaled by w: x, out (T,H·D); w (D). out may
// alias x.
func (b *Backend) RMSNormHeads(out, x, w tensor.Tensor, eps float32) {
	b.normRows("RMSNormHeads", "rmsnorm", out, x, w, nil, eps, true)
}

func (b *Backend) norm(kernel string, out, x, w, bias tensor.Tensor, eps float32) {
	b.normRows(kernel, kernel, out, x, w, bias, eps, false)
}

// normRows normalises the rows of x, or with heads each len(w)-wide
// chunk of them (one workgroup each).
func (b *Backend) normRows(op, kernel string, out, x, w, bias tensor.Tensor, eps float32, heads bool) {
	o, xg, wg := b.act(out, op), b.act(x, op), b.act(w, op)
	if o == nil || xg == nil || wg == nil {
		return
	}
	C, rows := xg.cols(), xg.rows()
	if heads && wg.n() > 0 && C%wg.n() == 0 {
		C, rows = wg.n(), xg.n()/wg.n()
	}
	if wg.n() != C || o.n() != xg.n() || rows > b.d.maxWorkgroupsX {
		b.failf("%s: x %v, w %v, out %v do not fit x, out (T,C), w (C) (at most %d rows)", op, xg.shape, wg.shape, o.shape, b.d.maxWorkgroupsX)
		return
	}
	biasID, hasBias := -1, uint32(0)
	if bias != nil {
		bg := b.act(bias, op)
		if bg == nil {
			return
		}
		if bg.n() != C {
			b.failf("%s: bias %v for C=%d", op, bg.shape, C)
			return
		}
		biasID, hasBias = b.buf(bg), 1
	}
	ids, ip := []int{b.buf(xg), b.buf(wg), biasID, b.buf(o)}, 0
	if same(o, xg) {
		ids[0], ip = -1, 1
	}
	b.dispatch(shaders.Key{Kernel: kernel, InPlace: ip}, ids, []uint32{uint32(C), hasBias, f32bits(eps)}, rows, 1, 1)
}

// RMSNorm: out = x / sqrt(mean(x²)+eps) * w. x, out (T,C); w (C).
func (b *Backend) RMSNorm(out, x, w tensor.Tensor, eps float32) {
	b.norm("rmsnorm", out, x, w, nil, eps)
}

// LayerNorm: out = (x-mean)/sqrt(var+eps)*w + bias. x, out (T,C); w, bias (C).
func (b *Backend) LayerNorm(out, x, w, bias tensor.Tensor, eps float32) {
	b.norm("layernorm", out, x, w, bias, eps)
}

// RoPE rotates x (T, heads*D) in place (rotate-half pairing).
func (b *Backend) RoPE(x, invFreq tensor.Tensor, heads, headDim, pos0 int) {
	xg, fg := b.act(x, "RoPE"), b.act(invFreq, "RoPE")
	if xg == nil || fg == nil {
		return
	}
	if heads <= 0 || headDim <= 0 || headDim%2 != 0 || xg.cols() != heads*headDim || fg.n() != headDim/2 || pos0 < 0 {
		b.failf("RoPE: x %v, invFreq %v for %d heads of %d", xg.shape, fg.shape, heads, headDim)
		return
	}
	T := xg.rows()
	b.dispatch1D(shaders.Key{Kernel: "rope"}, []int{b.buf(xg), b.buf(fg)},
		[]uint32{uint32(T), uint32(heads), uint32(headDim), uint32(pos0)}, T*heads*headDim/2)
}

// RoPEKV: see tensor.FusedOps.
func (b *Backend) RoPEKV(q, k, v, invFreq, kCache, vCache tensor.Tensor, heads, kvHeads, headDim, pos0 int) {
	qg, kg, vg, fg := b.act(q, "RoPEKV"), b.act(k, "RoPEKV"), b.act(v, "RoPEKV"), b.act(invFreq, "RoPEKV")
	kc, vc := b.act(kCache, "RoPEKV"), b.act(vCache, "RoPEKV")
	if qg == nil || kg == nil || vg == nil || fg == nil || kc == nil || vc == nil {
		return
	}
	T, D := qg.rows(), headDim
	if heads <= 0 || kvHeads <= 0 || D <= 0 || D%2 != 0 || qg.cols() != heads*D || kg.n() != T*kvHeads*D || vg.n() != T*kvHeads*D ||
		fg.n() != D/2 || kc.cols() != kvHeads*D || vc.cols() != kvHeads*D || kc.rows() < pos0+T || vc.rows() < pos0+T || pos0 < 0 {
		b.failf("RoPEKV: q %v, k %v, v %v, caches %v %v do not fit %d/%d heads of %d at %d", qg.shape, kg.shape, vg.shape, kc.shape, vc.shape, heads, kvHeads, D, pos0)
		return
	}
	n := T*(heads+kvHeads)*(D/2) + T*kvHeads*D
	b.dispatch1D(shaders.Key{Kernel: "ropecache"}, []int{b.buf(qg), b.buf(kg), b.buf(vg), b.buf(fg), b.buf(kc), b.buf(vc)},
		[]uint32{uint32(T), uint32(heads), uint32(kvHeads), uint32(D), uint32(pos0)}, n)
}

// CopyRows copies n rows of src from srcRow into dst from dstRow.
func (b *Backend) CopyRows(dst tensor.Tensor, dstRow int, src tensor.Tensor, srcRow, n int) {
	d, s := b.tens(dst, "CopyRows"), b.tens(src, "CopyRows")
	if d == nil || s == nil {
		return
	}
	if d.dt != s.dt || d.dt.Size() != 4 || len(d.chunks) != 1 || len(s.chunks) != 1 {
		b.failf("CopyRows: %v and %v tensors (need the same 32-bit dtype, unsplit)", d.dt, s.dt)
		return
	}
	W := s.cols()
	if d.cols() != W || n < 0 || srcRow < 0 || dstRow < 0 || srcRow+n > s.rows() || dstRow+n > d.rows() {
		b.failf("CopyRows: %d rows from %v row %d into %v row %d", n, s.shape, srcRow, d.shape, dstRow)
		return
	}
	if n == 0 || W == 0 {
		return
	}
	b.copyWords(d.chunks[0], dstRow*W, s.chunks[0], srcRow*W, n*W)
}

// Attention: causal grouped-query attention over a KV cache; see
// tensor.AttentionArgs. q, out (T,H*D); caches (S,G*D).
func (b *Backend) Attention(out, q, kCache, vCache tensor.Tensor, a tensor.AttentionArgs) {
	o, qg, kc, vc := b.act(out, "Attention"), b.act(q, "Attention"), b.act(kCache, "Attention"), b.act(vCache, "Attention")
	if o == nil || qg == nil || kc == nil || vc == nil {
		return
	}
	H, G, D := a.Heads, a.KVHeads, a.HeadDim
	T := qg.rows()
	// Without a ring, position p is row p and the caches hold 0..Pos+T-1;
	// a ring of R rows holds position p at row p mod R and must keep every
	// row a query reads (Window+T-1 ≤ R), as on the CPU backends.
	rowsOK := kc.rows() >= a.Pos+T && vc.rows() >= a.Pos+T
	if a.Ring > 0 {
		rowsOK = a.Window > 0 && a.Window+T-1 <= a.Ring && kc.rows() == a.Ring && vc.rows() == a.Ring
	}
	if H <= 0 || G <= 0 || H%G != 0 || D <= 0 || D > 256 || qg.cols() != H*D || o.n() != qg.n() ||
		kc.cols() != G*D || vc.cols() != G*D || !rowsOK || a.Pos < 0 || a.Window < 0 || a.Ring < 0 {
		b.failf("Attention: q %v, caches %v %v, out %v for H=%d G=%d D=%d (D ≤ 256) at %d, window %d, ring %d",
			qg.shape, kc.shape, vc.shape, o.shape, H, G, D, a.Pos, a.Window, a.Ring)
		return
	}
	if same(o, qg) || same(o, kc) || same(o, vc) {
		b.failf("Attention: out may not alias its inputs")
		return
	}
	b.dispatch(shaders.Key{Kernel: "attention", Vec4: D%4 == 0}, []int{b.buf(qg), b.buf(kc), b.buf(vc), b.buf(o)},
		[]uint32{uint32(T), uint32(H), uint32(G), uint32(D), uint32(a.Pos), f32bits(a.Scale), 0, uint32(a.Window), uint32(a.Ring)}, H, T, 1)
}

// RingAttention (tensor.RingAttention): the attention shader reads
// AttentionArgs.Ring, so the model attends over its ring caches in place.
func (b *Backend) RingAttention() bool { return true }

// AttentionFull (tensor.DiffusionOps): q (Tq,H*D), k and v (Tk,H*D), out
// (Tq,H*D); every query row attends to every key row.
func (b *Backend) AttentionFull(out, q, k, v tensor.Tensor, heads, headDim int, scale float32) {
	o, qg, kg, vg := b.act(out, "AttentionFull"), b.act(q, "AttentionFull"), b.act(k, "AttentionFull"), b.act(v, "AttentionFull")
	if o == nil || qg == nil || kg == nil || vg == nil {
		return
	}
	H, D := heads, headDim
	if H <= 0 || D <= 0 || D > 256 || qg.cols() != H*D || kg.cols() != H*D || vg.n() != kg.n() || o.n() != qg.n() {
		b.failf("AttentionFull: q %v, k %v, v %v, out %v for %d heads of %d (D ≤ 256)", qg.shape, kg.shape, vg.shape, o.shape, H, D)
		return
	}
	if same(o, qg) || same(o, kg) || same(o, vg) {
		b.failf("AttentionFull: out may not alias its inputs")
		return
	}
	Tq, Tk := qg.rows(), kg.rows()
	if Tq == 0 {
		return
	}
	if Tk == 0 {
		b.failf("AttentionFull: no keys")
		return
	}
	b.dispatch(shaders.Key{Kernel: "attention", Vec4: D%4 == 0}, []int{b.buf(qg), b.buf(kg), b.buf(vg), b.buf(o)},
		[]uint32{uint32(Tq), uint32(H), uint32(H), uint32(D), uint32(Tk), f32bits(scale), 1}, H, Tq, 1)
}

// AddScaled (tensor.DiffusionOps): out = a + s⊙b, s (C) broadcast over the
// rows of a, b, out (T,C). out may alias a.
func (b *Backend) AddScaled(out, a, s, bb tensor.Tensor) {
	o, ag, sg, bg := b.act(out, "AddScaled"), b.act(a, "AddScaled"), b.act(s, "AddScaled"), b.act(bb, "AddScaled")
	if o == nil || ag == nil || sg == nil || bg == nil {
		return
	}
	C := sg.n()
	if C == 0 || ag.n()%C != 0 || bg.n() != ag.n() || o.n() != ag.n() {
		b.failf("AddScaled: a %v, s %v, b %v, out %v", ag.shape, sg.shape, bg.shape, o.shape)
		return
	}
	if same(o, sg) || same(o, bg) {
		b.failf("AddScaled: out may alias only a")
		return
	}
	ids, ip := []int{b.buf(ag), b.buf(sg), b.buf(bg), b.buf(o)}, 0
	if same(o, ag) {
		ids[0], ip = -1, 1
	}
	b.dispatch1D(shaders.Key{Kernel: "addscaled", InPlace: ip}, ids, []uint32{uint32(o.n()), uint32(C)}, o.n())
}

// Embedding gathers rows of table (V,C) into out (T,C).
func (b *Backend) Embedding(out, table tensor.Tensor, ids []int32) {
	o := b.act(out, "Embedding")
	tg, tf := b.weight(table, "Embedding")
	if o == nil || tg == nil {
		return
	}
	C := tg.cols()
	if o.n() != len(ids)*C {
		b.failf("Embedding: out %v for %d ids of width %d", o.shape, len(ids), C)
		return
	}
	if len(ids) == 0 {
		return
	}
	off := b.hostIDs(ids)
	b.gather(o, tg, tf, b.hostBuf.id, off, len(ids))
}

func (b *Backend) gather(o, tg *gtensor, tf wformat, idsBuf, idsOff, T int) {
	C := tg.cols()
	if tf.w == shaders.WF16 {
		// Native f16 arrays need no vec4 variant; keep one code path.
		tf.w = shaders.WF16P
	}
	for ci, c := range tg.chunks {
		r0 := ci * tg.rowsPer
		rc := min(tg.rowsPer, tg.rows()-r0)
		b.dispatch(shaders.Key{Kernel: "embedding", W: tf.w}, []int{c.id, idsBuf, b.buf(o)},
			tf.params([]uint32{uint32(T), uint32(C), uint32(r0), uint32(rc), uint32(idsOff)}), ceilDiv(C, 256), T, 1)
	}
}

// EmbeddingAt: see tensor.FusedOps.
func (b *Backend) EmbeddingAt(out, table, ids tensor.Tensor, at int) {
	o := b.act(out, "EmbeddingAt")
	tg, tf := b.weight(table, "EmbeddingAt")
	ig := b.ints(ids, "EmbeddingAt", at+1)
	if o == nil || tg == nil || ig == nil {
		return
	}
	if o.n() != tg.cols() || at < 0 {
		b.failf("EmbeddingAt: out %v for table %v at %d", o.shape, tg.shape, at)
		return
	}
	b.gather(o, tg, tf, b.buf(ig), at, 1)
}

// Argmax writes the index of each row's largest value into out (T).
func (b *Backend) Argmax(out, x tensor.Tensor) { b.ArgmaxAt(out, 0, x) }

// ArgmaxAt: see tensor.FusedOps.
func (b *Backend) ArgmaxAt(out tensor.Tensor, at int, x tensor.Tensor) {
	xg := b.act(x, "Argmax")
	if xg == nil {
		return
	}
	T, N := xg.rows(), xg.cols()
	o := b.ints(out, "Argmax", at+T)
	if o == nil || at < 0 {
		return
	}
	if T == 0 {
		return
	}
	if N == 0 {
		b.failf("Argmax of empty rows")
		return
	}
	nChunks := ceilDiv(N, argmaxChunk)
	part := b.temp(2 * T * nChunks)
	if part == nil {
		return
	}
	p := []uint32{uint32(N), uint32(nChunks), uint32(at)}
	b.dispatch(shaders.Key{Kernel: "argmax1"}, []int{b.buf(xg), part.id}, p, nChunks, T, 1)
	b.dispatch(shaders.Key{Kernel: "argmax2"}, []int{part.id, b.buf(o)}, p, T, 1, 1)
	b.recycle(part)
}

// Sample: see tensor.FusedOps.
func (b *Backend) Sample(out tensor.Tensor, at int, x tensor.Tensor, row int, sp tensor.SampleParams) {
	xg := b.act(x, "Sample")
	o := b.ints(out, "Sample", at+1)
	if xg == nil || o == nil {
		return
	}
	if row < 0 || row >= xg.rows() || at < 0 || xg.cols() == 0 || !(sp.Temperature > 0) || sp.TopK < 0 {
		b.failf("Sample: row %d of %v at %d with temperature %v, topK %d", row, xg.shape, at, sp.Temperature, sp.TopK)
		return
	}
	if k := tensor.SampleCandidates(sp, xg.cols()); k > sampleMaxCandidates {
		b.failf("Sample: %d candidates (topK %d, vocabulary %d) exceed the kernel's %d (Limits().SampleMaxCandidates); sample the logits with tensor.SampleRow", k, sp.TopK, xg.cols(), sampleMaxCandidates)
		return
	}
	topP := sp.TopP
	if !(topP > 0) || topP > 1 {
		topP = 1
	}
	p := []uint32{uint32(xg.cols()), uint32(row), uint32(sp.TopK), uint32(at), f32bits(topP),
		f32bits(1 / sp.Temperature), sp.Seed, sp.Step}
	b.dispatch(shaders.Key{Kernel: "sample"}, []int{b.buf(xg), b.buf(o)}, p, 1, 1, 1)
}
