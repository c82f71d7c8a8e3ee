package tensor

import "fmt"

// DiffusionOps are the ops the layered-SVG diffusion transformer (package svgmodel) needs on top
// of Backend: bidirectional attention between two sequences and a broadcast, gated residual add
// (adaLN-Zero's x + gate·f(x), Peebles & Xie 2023). A backend advertises them by implementing
// this interface; the CPU backend does.
type DiffusionOps interface {
	// AttentionFull: q (Tq,H*D), k and v (Tk,H*D), out (Tq,H*D). Every query row attends to
	// every key row (no causal mask, no cache); softmax(q·kᵀ·scale)·v per head.
	AttentionFull(out, q, k, v Tensor, heads, headDim int, scale float32)
	// AddScaled: out[t,:] = a[t,:] + s[:]*b[t,:]; a, b, out (T,C); s (C) or (1,C) broadcast
	// over rows. out may alias a.
	AddScaled(out, a, s, b Tensor)
}

var _ DiffusionOps = (*cpuBackend)(nil)

// AttentionFull: q (Tq,H*D), k/v (Tk,H*D), out (Tq,H*D). Softmax in f32 with the row maximum
// subtracted, as in the causal Attention.
func (b *cpuBackend) AttentionFull(out, q, k, v Tensor, heads, headDim int, scale float32) {
	defer b.guard()
	o, qv := f32Data(out, "AttentionFull"), f32Data(q, "AttentionFull")
	kv, vv := f32Data(k, "AttentionFull"), f32Data(v, "AttentionFull")
	H, D := heads, headDim
	W := H * D
	if H <= 0 || D <= 0 || len(qv)%W != 0 || len(kv)%W != 0 || len(kv) != len(vv) || len(o) != len(qv) {
		panic(fmt.Sprintf("tensor: AttentionFull q %v, k %v, v %v, out %v with %d heads of %d", ct(q).shape, ct(k).shape, ct(v).shape, ct(out).shape, H, D))
	}
	b.attentionFull(o, qv, kv, vv, H, D, scale)
}

// AddScaled: out = a + s⊙b with s broadcast over the rows of a and b (T,C).
func (b *cpuBackend) AddScaled(out, a, s, bb Tensor) {
	defer b.guard()
	o, av, sv, bv := f32Data(out, "AddScaled"), f32Data(a, "AddScaled"), f32Data(s, "AddScaled"), f32Data(bb, "AddScaled")
	C := len(sv)
	if C == 0 || len(av)%C != 0 || len(bv) != len(av) || len(o) != len(av) {
		panic(fmt.Sprintf("tensor: AddScaled a %v, s %v, b %v, out %v", ct(a).shape, ct(s).shape, ct(bb).shape, ct(out).shape))
	}
	for r := 0; r < len(av); r += C {
		for i, g := range sv {
			o[r+i] = av[r+i] + g*bv[r+i]
		}
	}
}
