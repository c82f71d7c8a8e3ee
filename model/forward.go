package model

import (
	"fmt"

	"github.com/lamina-ml/lamina/tensor"
)

// acts are the activation buffers of a forward pass over T tokens.
type acts struct {
	T    int
	x    tensor.Tensor // (T,C) residual stream
	h    tensor.Tensor // (T,C) normed input to a sub-block
	q    tensor.Tensor // (T,H*D)
	k, v tensor.Tensor // (T,G*D)
	att  tensor.Tensor // (T,H*D)
	o    tensor.Tensor // (T,C) sub-block output
	up   tensor.Tensor // (T,I)
	gate tensor.Tensor // (T,I); nil for GPT-2
	pos  tensor.Tensor // (T,C) GPT-2 position embeddings; nil otherwise
	// ringK, ringV (W-1+T,G*D) are made on first use: the window's keys
	// and values in order, for a ring layer's attention (ringAttention).
	ringK, ringV tensor.Tensor
	posIDs       []int32
	// afterAttn, if non-nil, is called with layer i's residual stream x
	// between its attention and MLP sub-blocks (sublayer scores); it may
	// read x but not modify it.
	afterAttn func(i int, x tensor.Tensor) error
	all       []tensor.Tensor
	backend   tensor.Backend
}

func (m *Model) newActs(T int) (*acts, error) {
	c := &m.Config
	a := &acts{T: T, backend: m.be}
	QW, KW := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	for _, b := range []struct {
		dst   *tensor.Tensor
		width int
		skip  bool
	}{
		{&a.x, c.Hidden, false}, {&a.h, c.Hidden, false}, {&a.q, QW, false},
		{&a.k, KW, false}, {&a.v, KW, false}, {&a.att, QW, false}, {&a.o, c.Hidden, false},
		{&a.up, c.Intermediate, false}, {&a.gate, c.Intermediate, c.Arch == GPT2},
		{&a.pos, c.Hidden, c.Arch != GPT2},
	} {
		if b.skip {
			continue
		}
		t, err := m.be.Zeros(T, b.width)
		if err != nil {
			a.free()
			return nil, err
		}
		*b.dst = t
		a.all = append(a.all, t)
	}
	if c.Arch == GPT2 {
		a.posIDs = make([]int32, T)
	}
	return a, nil
}

func (a *acts) free() {
	for _, t := range a.all {
		a.backend.Free(t)
	}
	a.all = nil
}

// kvCache is per-layer key and value caches for S positions. A layer's
// caches are (S,G*D), or, for a sliding-window layer of window W in a
// ring cache (newRingCache), a ring of W+slack rows holding position p at
// row p mod (W+slack): memory stays bounded however long S is, and the
// last slack positions can still be dropped (crop) with the window of the
// new last position intact.
type kvCache struct {
	k, v  []tensor.Tensor
	S     int
	ring  []int // rows of layer i's ring; 0: a linear cache of S rows
	slack int
	end   int // one past the last position written (Session.crop)
}

func (m *Model) newCache(S int) (*kvCache, error) { return m.newRingCache(S, -1) }

// newRingCache is newCache with rings of W+slack rows for the
// sliding-window layers where that is less than S; slack < 0 means no
// rings.
func (m *Model) newRingCache(S, slack int) (*kvCache, error) {
	c := &m.Config
	kc := &kvCache{S: S, ring: make([]int, c.Layers), slack: max(slack, 0)}
	for i := range c.Layers {
		rows := S
		if _, w := m.layerRoPE(i); slack >= 0 && w > 0 && w+slack < S {
			rows = w + slack
			kc.ring[i] = rows
		}
		k, err := m.be.Zeros(rows, c.KVHeads*c.HeadDim)
		if err != nil {
			kc.free(m.be)
			return nil, err
		}
		kc.k = append(kc.k, k)
		v, err := m.be.Zeros(rows, c.KVHeads*c.HeadDim)
		if err != nil {
			kc.free(m.be)
			return nil, err
		}
		kc.v = append(kc.v, v)
	}
	return kc, nil
}

// hasRing reports whether some layer keeps a ring.
func (kc *kvCache) hasRing() bool {
	for _, r := range kc.ring {
		if r > 0 {
			return true
		}
	}
	return false
}

// ringSpans calls f for the (at most two) runs of ring rows that positions
// from..from+n-1 occupy in a ring of R rows: run j starts at ring row
// `row`, holds `cnt` positions, and its first is position from+off.
func ringSpans(R, from, n int, f func(row, off, cnt int)) {
	slot := from % R
	first := min(n, R-slot)
	f(slot, 0, first)
	if n > first {
		f(0, first, n-first)
	}
}

// write stores T rows of keys k and values v (T,G*D), positions
// pos..pos+T-1, in layer i's caches; a ring keeps the last of them.
func (kc *kvCache) write(be tensor.Backend, i int, k, v tensor.Tensor, pos, T int) {
	R := kc.ring[i]
	if R == 0 {
		be.CopyRows(kc.k[i], pos, k, 0, T)
		be.CopyRows(kc.v[i], pos, v, 0, T)
		return
	}
	from := max(pos, pos+T-R) // earlier rows of the chunk would be overwritten anyway
	ringSpans(R, from, pos+T-from, func(row, off, cnt int) {
		be.CopyRows(kc.k[i], row, k, from-pos+off, cnt)
		be.CopyRows(kc.v[i], row, v, from-pos+off, cnt)
	})
}

// read copies positions from..from+n-1 of ring layer i into k and v at rows
// at.. (linear, in position order).
func (kc *kvCache) read(be tensor.Backend, i int, k, v tensor.Tensor, at, from, n int) {
	if n == 0 {
		return
	}
	ringSpans(kc.ring[i], from, n, func(row, off, cnt int) {
		be.CopyRows(k, at+off, kc.k[i], row, cnt)
		be.CopyRows(v, at+off, kc.v[i], row, cnt)
	})
}

// readsRing reports whether the backend attends over a ring itself.
func (m *Model) readsRing() bool {
	ra, ok := m.be.(tensor.RingAttention)
	return ok && ra.RingAttention() && !m.linearRing
}

// ringAttention is layer i's attention over its ring (window args.Window)
// for a.T new keys and values in a.k and a.v at positions pos..: it stores
// them in the ring and leaves the attention output in a.att. A backend that
// reads AttentionArgs.Ring attends over the ring itself when it holds every
// key the chunk's queries read (T ≤ slack+1); otherwise the window's
// earlier keys and the chunk's are laid out in order in scratch caches
// (a.ringK, a.ringV) and attended there, with the positions shifted so
// that the window covers the same keys. Either way each query sees the
// same keys in the same order as over a linear cache.
func (m *Model) ringAttention(a *acts, kc *kvCache, i, pos int, args tensor.AttentionArgs) error {
	be, T, W, R := m.be, a.T, args.Window, kc.ring[i]
	if m.readsRing() && T <= R-W+1 {
		kc.write(be, i, a.k, a.v, pos, T)
		args.Ring = R
		be.Attention(a.att, a.q, kc.k[i], kc.v[i], args)
		return nil
	}
	if a.ringK == nil {
		KW := m.Config.KVHeads * m.Config.HeadDim
		var err error
		if a.ringK, err = be.Zeros(W-1+T, KW); err != nil {
			return err
		}
		a.all = append(a.all, a.ringK)
		if a.ringV, err = be.Zeros(W-1+T, KW); err != nil {
			return err
		}
		a.all = append(a.all, a.ringV)
	}
	lo := max(0, pos-(W-1)) // the first earlier position a query reads
	kc.read(be, i, a.ringK, a.ringV, 0, lo, pos-lo)
	be.CopyRows(a.ringK, pos-lo, a.k, 0, T)
	be.CopyRows(a.ringV, pos-lo, a.v, 0, T)
	args.Pos = pos - lo
	be.Attention(a.att, a.q, a.ringK, a.ringV, args)
	kc.write(be, i, a.k, a.v, pos, T)
	return nil
}

func (kc *kvCache) free(be tensor.Backend) {
	for _, t := range kc.k {
		be.Free(t)
	}
	for _, t := range kc.v {
		be.Free(t)
	}
	kc.k, kc.v = nil, nil
}

// checkIDs reports ids outside the vocabulary (Backend.Embedding leaves
// that to its caller).
func (m *Model) checkIDs(ids []int32) error {
	for i, id := range ids {
		if id < 0 || int(id) >= m.Config.VocabSize {
			return fmt.Errorf("model: token id %d at index %d outside vocabulary of %d", id, i, m.Config.VocabSize)
		}
	}
	return nil
}

// norm applies the architecture's normalisation: out, x (T,C).
func (m *Model) norm(out, x, w, b tensor.Tensor) {
	if m.Config.Arch == GPT2 {
		m.be.LayerNorm(out, x, w, b, m.Config.NormEps)
	} else {
		m.be.RMSNorm(out, x, w, m.Config.NormEps)
	}
}

// preNorm returns the input of a sub-block: x normed with w, b into a.h,
// or x itself for architectures without pre-norms (OLMo 2).
func (m *Model) preNorm(a *acts, x, w, b tensor.Tensor) tensor.Tensor {
	if m.Config.PostNorms {
		return x
	}
	m.norm(a.h, x, w, b)
	return a.h
}

// ropeLayer says whether layer i applies RoPE (not GPT-2, not a SmolLM3
// NoPE layer).
func (m *Model) ropeLayer(i int) bool {
	return m.invFreq != nil && !(i < len(m.Config.NoRoPE) && m.Config.NoRoPE[i])
}

// layerRoPE returns layer i's RoPE inverse frequencies (Gemma 3's
// sliding-window layers have their own) and attention window (0: full).
func (m *Model) layerRoPE(i int) (tensor.Tensor, int) {
	c := &m.Config
	if c.SlidingLayers == nil {
		return m.invFreq, c.SlidingWindow
	}
	if c.SlidingLayers[i] {
		if m.invFreqLocal != nil {
			return m.invFreqLocal, c.SlidingWindow
		}
		return m.invFreq, c.SlidingWindow
	}
	return m.invFreq, 0
}

// passRoPE is the inverse frequencies a pass ending before position end
// uses in a layer whose own are invFreq: LongRoPE's long factors when the
// pass reaches past the original context, as transformers chooses them per
// forward call from max(position_ids)+1 (keys cached by earlier passes keep
// the rotation they got). llama.cpp instead chooses once from the context
// size.
func (m *Model) passRoPE(invFreq tensor.Tensor, end int) tensor.Tensor {
	if m.invFreqLong != nil && invFreq == m.invFreq && end > m.Config.RopeScaling.OriginalMaxPositions {
		return m.invFreqLong
	}
	return invFreq
}

// qkNorm applies the q/k RMSNorms (Config.QKNorm) in place to q and k
// before RoPE; q may be nil (keys only).
func (m *Model) qkNorm(L *layerWeights, q, k tensor.Tensor) {
	c := &m.Config
	switch c.QKNorm {
	case QKNormHead:
		hn := m.be.(HeadRMSNormer) // checked at load (checkBackend)
		if q != nil {
			hn.RMSNormHeads(q, q, L.qNorm, c.NormEps)
		}
		hn.RMSNormHeads(k, k, L.kNorm, c.NormEps)
	case QKNormFull:
		if q != nil {
			m.be.RMSNorm(q, q, L.qNorm, c.NormEps)
		}
		m.be.RMSNorm(k, k, L.kNorm, c.NormEps)
	}
}

// forward runs len(ids) == a.T tokens at absolute positions pos.. through
// the decoder, appending their keys and values to kc at rows pos.., and
// leaves the residual stream after the last layer in a.x and its final
// norm in a.h. If layerOut is non-nil it is called with a.x after the
// embeddings (i = 0) and after every decoder layer (i = 1..Layers); it may
// read a.x but not modify it.
func (m *Model) forward(a *acts, kc *kvCache, ids []int32, pos int, layerOut func(i int, x tensor.Tensor) error) error {
	if err := m.embedIDs(a, ids); err != nil {
		return err
	}
	return m.decoder(a, kc, pos, layerOut, true)
}

// embedIDs checks ids and gathers their embeddings into a.x (T,C).
func (m *Model) embedIDs(a *acts, ids []int32) error {
	if len(ids) != a.T {
		return fmt.Errorf("model: forward of %d ids with buffers for %d", len(ids), a.T)
	}
	if err := m.checkIDs(ids); err != nil {
		return err
	}
	m.be.Embedding(a.x, m.embed, ids) // x is (T,C)
	if s := m.Config.EmbedScale; s != 0 {
		m.be.(GemmaOps).Scale(a.x, s) // checked at load (checkBackend)
	}
	return nil
}

// fusedHead returns the backend's fused ops when the final norm can fold
// into the lm_head projection (RMSNorm models), else nil.
func (m *Model) fusedHead() tensor.FusedOps {
	if f, ok := m.be.(tensor.FusedOps); ok && m.Config.Arch != GPT2 {
		return f
	}
	return nil
}

// decoder runs the token embeddings already in a.x (T,C) at positions
// pos.. through the decoder layers; see forward. With finalNorm false it
// leaves a.h unset (the caller folds the final norm into lm_head).
//
// When the backend offers tensor.FusedOps and T ≤ its Limits().FusedMaxRows, each
// sub-block takes the fused op that equals its plain sequence: the
// attention norm and q/k/v projections (MatMulNormQKV), RoPE and the cache
// append (RoPEKV), the output projection with its residual add (MatMulAcc),
// the MLP norm with gate, up and SiLU·mul (MatMulNormSiLU) and the down
// projection with its residual add (MatMulAcc). The fused ops have no
// biases and no LayerNorm, so a sub-block with a bias (Qwen2's q/k/v, all of
// GPT-2's) or a LayerNorm keeps the plain ops. q/k norms (Qwen3, OLMo 2)
// run between the projections and RoPE; OLMo 2's post-norms keep the
// plain ops.
func (m *Model) decoder(a *acts, kc *kvCache, pos int, layerOut func(i int, x tensor.Tensor) error, finalNorm bool) error {
	return m.layerRange(a, kc, pos, 0, len(m.layers), layerOut, finalNorm)
}

// layerRange is decoder over layers [lo, hi) only: with lo > 0, a.x (T,C)
// is taken as the residual stream entering layer lo (GPT-2's position
// embeddings were added when layer 0 ran), and only those layers' caches
// get rows pos..pos+T-1. Self-speculative decoding runs the draft as
// [0, E) and the verification as [E, L) over the draft's hidden states.
func (m *Model) layerRange(a *acts, kc *kvCache, pos, lo, hi int, layerOut func(i int, x tensor.Tensor) error, finalNorm bool) error {
	c := &m.Config
	if lo < 0 || hi > len(m.layers) || lo > hi {
		return fmt.Errorf("model: layer range [%d,%d) outside the %d layers", lo, hi, len(m.layers))
	}
	be := m.be
	T := a.T
	if pos < 0 || pos+T > kc.S {
		return fmt.Errorf("model: positions [%d,%d) exceed the KV cache of %d", pos, pos+T, kc.S)
	}
	kc.end = max(kc.end, pos+T)
	if c.Arch == GPT2 && lo == 0 {
		if pos+T > c.MaxPositions {
			return fmt.Errorf("model: position %d beyond GPT-2's %d learned positions", pos+T-1, c.MaxPositions)
		}
		for i := range a.posIDs {
			a.posIDs[i] = int32(pos + i)
		}
		be.Embedding(a.pos, m.posEmb, a.posIDs)
		be.Add(a.x, a.x, a.pos)
	}
	if layerOut != nil && lo == 0 {
		if err := layerOut(0, a.x); err != nil {
			return err
		}
	}
	// The backend says how long a pass its fused ops pay for.
	f, _ := be.(tensor.FusedOps)
	if f != nil && T > f.Limits().FusedMaxRows {
		f = nil
	}
	gemma := c.SandwichNorms // Gemma 3: plain ops, norms around both sub-blocks
	if gemma {
		f = nil
	}
	rms := c.Arch != GPT2
	post := c.PostNorms // OLMo 2: norms after the sub-blocks, none before
	eps := c.NormEps
	args := tensor.AttentionArgs{Heads: c.Heads, KVHeads: c.KVHeads, HeadDim: c.HeadDim, Pos: pos, Scale: c.AttnScale, Window: c.SlidingWindow}
	for i := lo; i < hi; i++ {
		L := &m.layers[i]
		// Attention block.
		if f != nil && rms && !post && L.qB == nil && L.kB == nil && L.vB == nil {
			f.MatMulNormQKV(a.q, a.k, a.v, a.x, L.norm1W, L.q, L.k, L.v, eps) // q (T,H*D), k and v (T,G*D)
		} else {
			in := m.preNorm(a, a.x, L.norm1W, L.norm1B)
			be.MatMul(a.q, in, L.q, L.qB) // q is (T,H*D)
			be.MatMul(a.k, in, L.k, L.kB) // k is (T,G*D)
			be.MatMul(a.v, in, L.v, L.vB) // v is (T,G*D)
		}
		m.qkNorm(L, a.q, a.k)
		rope := m.ropeLayer(i)
		invFreq, window := m.layerRoPE(i)
		invFreq = m.passRoPE(invFreq, pos+T)
		args.Window = window
		ring := kc.ring[i] > 0
		switch {
		case f != nil && rope && !ring:
			f.RoPEKV(a.q, a.k, a.v, invFreq, kc.k[i], kc.v[i], c.Heads, c.KVHeads, c.HeadDim, pos)
		case rope:
			be.RoPE(a.q, invFreq, c.Heads, c.HeadDim, pos)
			be.RoPE(a.k, invFreq, c.KVHeads, c.HeadDim, pos)
		}
		if ring {
			if err := m.ringAttention(a, kc, i, pos, args); err != nil { // att is (T,H*D)
				return err
			}
		} else {
			if f == nil || !rope {
				kc.write(be, i, a.k, a.v, pos, T)
			}
			be.Attention(a.att, a.q, kc.k[i], kc.v[i], args) // att is (T,H*D)
		}
		switch {
		case post || gemma:
			be.MatMul(a.o, a.att, L.o, L.oB) // o is (T,C)
			if post {
				be.RMSNorm(a.o, a.o, L.norm1W, eps)
			} else {
				be.RMSNorm(a.o, a.o, L.postAttn, eps)
			}
			be.Add(a.x, a.x, a.o)
		case f != nil && L.oB == nil:
			f.MatMulAcc(a.x, a.att, L.o) // x += att·oᵀ, (T,C)
		default:
			be.MatMul(a.o, a.att, L.o, L.oB) // o is (T,C)
			be.Add(a.x, a.x, a.o)
		}
		if a.afterAttn != nil {
			if err := a.afterAttn(i, a.x); err != nil {
				return err
			}
		}
		// MLP block.
		switch {
		case post:
			be.MatMul(a.gate, a.x, L.gate, L.gateB) // gate is (T,I)
			be.MatMul(a.up, a.x, L.up, L.upB)       // up is (T,I)
			be.SiLUMul(a.up, a.gate, a.up)
		case f != nil && rms && L.gate != nil && L.gateB == nil && L.upB == nil:
			f.MatMulNormSiLU(a.up, a.x, L.norm2W, L.gate, L.up, eps) // up is (T,I)
		case c.GeGLU:
			m.norm(a.h, a.x, L.norm2W, L.norm2B)
			be.MatMul(a.gate, a.h, L.gate, L.gateB) // gate is (T,I)
			be.MatMul(a.up, a.h, L.up, L.upB)       // up is (T,I)
			be.(GemmaOps).GeluTanhMul(a.up, a.gate, a.up)
		case c.Arch == GPT2:
			m.norm(a.h, a.x, L.norm2W, L.norm2B)
			be.MatMul(a.up, a.h, L.up, L.upB) // up is (T,I)
			be.GeluTanh(a.up, a.up)
		default:
			m.norm(a.h, a.x, L.norm2W, L.norm2B)
			be.MatMul(a.gate, a.h, L.gate, L.gateB) // gate is (T,I)
			be.MatMul(a.up, a.h, L.up, L.upB)       // up is (T,I)
			be.SiLUMul(a.up, a.gate, a.up)
		}
		switch {
		case post || gemma:
			be.MatMul(a.o, a.up, L.down, L.downB) // o is (T,C)
			if post {
				be.RMSNorm(a.o, a.o, L.norm2W, eps)
			} else {
				be.RMSNorm(a.o, a.o, L.postFFN, eps)
			}
			be.Add(a.x, a.x, a.o)
		case f != nil && L.downB == nil:
			f.MatMulAcc(a.x, a.up, L.down) // x += up·downᵀ, (T,C)
		default:
			be.MatMul(a.o, a.up, L.down, L.downB) // o is (T,C)
			be.Add(a.x, a.x, a.o)
		}
		if layerOut != nil {
			if err := layerOut(i+1, a.x); err != nil {
				return err
			}
		}
	}
	if finalNorm {
		m.norm(a.h, a.x, m.normW, m.normB)
	}
	return nil
}
