package svgmodel

import (
	"fmt"
	"math"

	"github.com/lamina-ml/lamina/tensor"
)

// Batching: VelocityBatch runs n samples under every caption (the prompt and, with guidance, the
// empty one) through one DiT pass when the backend has tensor.GroupedDiffusionOps. The
// activation rows are G caption groups of n samples of K slot rows: sample s of group g is rows
// [(g·n+s)·K, +K). The matmuls then see G·n·K rows instead of K (1.4× the f32 throughput of the
// DiT's shapes natively at 96 rows against 48, BenchmarkDiTF16) and the per-op overhead is paid
// once per pass; Sample batches each candidate's guidance pair (see batchCandidates). Every row
// is computed exactly as the one-sample pass computes it (the matmul kernels' per-element sums
// do not depend on the row count past the matrix-vector sizes, and the modulation products stay
// one row per caption), so a batched candidate is bit for bit the candidate sampled alone;
// TestGenerateNCandidates checks it against one Velocity pass per sample and caption.

// batchActs are the activation buffers of one batch shape (rows = G·n·K).
type batchActs struct {
	groups, per         int
	h, y, q, k, v, a, p tensor.Tensor // (R,D)
	m1                  tensor.Tensor // (R,4D)
	vout                tensor.Tensor // (R,F)
	slot                tensor.Tensor // (R,D): the slot embedding repeated per sample
	c                   []tensor.Tensor
	cs                  tensor.Tensor    // (G,D): the c rows stacked
	mods                [6]tensor.Tensor // (G,D)
	outMods             [2]tensor.Tensor // (G,D)
	owned               []tensor.Tensor
}

func (b *batchActs) free(be tensor.Backend) {
	for _, t := range b.owned {
		be.Free(t)
	}
	b.owned = nil
}

// batch returns the buffers for groups·per samples, reusing the last shape's.
func (m *Model) batch(groups, per int) (*batchActs, error) {
	if b := m.batched; b != nil && b.groups == groups && b.per == per {
		return b, nil
	}
	if m.batched != nil {
		m.batched.free(m.be)
		m.batched = nil
	}
	if widenModulation && !m.widened {
		if err := m.widenModulation(); err != nil {
			return nil, err
		}
	}
	c := &m.Config
	D, K, F := c.DModel, c.Slots, c.Fields
	R := groups * per * K
	b := &batchActs{groups: groups, per: per}
	var err error
	zeros := func(shape ...int) tensor.Tensor {
		if err != nil {
			return nil
		}
		var t tensor.Tensor
		if t, err = m.be.Zeros(shape...); err != nil {
			return nil
		}
		b.owned = append(b.owned, t)
		return t
	}
	b.h, b.y, b.q, b.k, b.v, b.a, b.p = zeros(R, D), zeros(R, D), zeros(R, D), zeros(R, D), zeros(R, D), zeros(R, D), zeros(R, D)
	b.m1, b.vout, b.slot = zeros(R, 4*D), zeros(R, F), zeros(R, D)
	for i := range b.mods {
		b.mods[i] = zeros(groups, D)
	}
	for i := range b.outMods {
		b.outMods[i] = zeros(groups, D)
	}
	for g := 0; g < groups; g++ {
		b.c = append(b.c, zeros(1, D))
	}
	b.cs = zeros(groups, D)
	if err != nil {
		b.free(m.be)
		return nil, err
	}
	for s := 0; s < groups*per; s++ {
		m.be.CopyRows(b.slot, s*K, m.slot, 0, K)
	}
	m.batched = b
	return b, nil
}

// widenModulation replaces the modulation weights (the adaLN products of every block and of
// the output) with f32 copies on a CPU backend; see widen_js.go.
func (m *Model) widenModulation() error {
	m.widened = true
	if m.be.Name() != "cpu" {
		return nil
	}
	widen := func(l *linear) error {
		if l.w.DType() == tensor.F32 {
			return nil
		}
		v, err := m.be.Read(l.w, 0, -1)
		if err != nil {
			return err
		}
		w, err := m.be.UploadF32(l.w.Shape(), v)
		if err != nil {
			return err
		}
		for i, t := range m.owned {
			if t == l.w {
				m.owned[i] = w
			}
		}
		m.be.Free(l.w)
		l.w = w
		return nil
	}
	for i := range m.blocks {
		for j := range m.blocks[i].ada {
			if err := widen(&m.blocks[i].ada[j]); err != nil {
				return err
			}
		}
	}
	for j := range m.adaOut {
		if err := widen(&m.adaOut[j]); err != nil {
			return err
		}
	}
	return nil
}

// VelocityBatch runs the DiT once over len(caps)·n samples: x holds, per caption g in order, n
// samples (K,F) at time t, all under caps[g]; v (same layout) gets their velocities. Without
// tensor.GroupedDiffusionOps it loops Velocity, one sample at a time.
func (m *Model) VelocityBatch(v, x []float32, t float32, caps []*Caption, n int) error {
	c := &m.Config
	D, K, F := c.DModel, c.Slots, c.Fields
	G := len(caps)
	if G == 0 || n < 1 || len(x) != G*n*K*F || len(v) != len(x) {
		return fmt.Errorf("svgmodel: VelocityBatch on %d values for %d captions × %d samples, want %d", len(x), G, n, G*n*K*F)
	}
	if m.grouped == nil || G*n == 1 {
		for g, cp := range caps {
			for s := 0; s < n; s++ {
				o := (g*n + s) * K * F
				if err := m.Velocity(v[o:o+K*F], x[o:o+K*F], t, cp); err != nil {
					return err
				}
			}
		}
		return nil
	}
	be, gr := m.be, m.grouped
	b, err := m.batch(G, n)
	if err != nil {
		return err
	}
	R := G * n * K
	xt, err := be.UploadF32([]int{R, F}, x)
	if err != nil {
		return err
	}
	defer be.Free(xt)
	tf, err := be.UploadF32([]int{1, c.TimeFeatures}, TimestepFeatures(t, c.TimeFeatures))
	if err != nil {
		return err
	}
	defer be.Free(tf)
	a := &m.act
	// Per caption, as Velocity: c = silu(t2(silu(t1(features))) + pool(pooled)).
	be.MatMul(a.c1, tf, m.t1.w, m.t1.b)
	be.SiLUMul(a.c1, a.c1, m.ones)
	for g, cp := range caps {
		be.MatMul(b.c[g], a.c1, m.t2.w, m.t2.b)
		be.Add(b.c[g], b.c[g], cp.pooled)
		be.SiLUMul(b.c[g], b.c[g], m.ones)
	}
	for g := range caps {
		be.CopyRows(b.cs, g, b.c[g], 0, 1)
	}
	// mod computes out (G,D) = cs·wᵀ + bias. With G ≤ 2 rows every kernel set computes each
	// row as the one-row product of a one-sample pass does (the assembly sets run T ≤ 2 as
	// matrix-vector products; the generic set's two-row block sums each output in k order,
	// as its matrix-vector kernel does), so the rows stay bit for bit those of Velocity.
	mod := func(out tensor.Tensor, l linear) {
		be.MatMul(out, b.cs, l.w, l.b)
	}

	be.MatMul(b.h, xt, m.inp.w, m.inp.b)
	be.Add(b.h, b.h, b.slot)
	hd := D / c.Heads
	scale := float32(1 / math.Sqrt(float64(hd)))
	for i, blk := range m.blocks {
		for j := range b.mods {
			mod(b.mods[j], blk.ada[j])
		}
		gr.LayerNormGroups(b.y, b.h, b.mods[1], b.mods[0], 1e-6)
		be.MatMul(b.q, b.y, blk.q.w, blk.q.b)
		be.MatMul(b.k, b.y, blk.k.w, blk.k.b)
		be.MatMul(b.v, b.y, blk.v.w, blk.v.b)
		for s := 0; s < G*n; s++ {
			gr.AttentionFullRows(b.a, b.q, b.k, b.v, s*K, K, s*K, K, c.Heads, hd, scale)
		}
		be.MatMul(b.p, b.a, blk.proj.w, blk.proj.b)
		gr.AddScaledGroups(b.h, b.h, b.mods[2], b.p)

		be.LayerNorm(b.y, b.h, blk.lnxw, blk.lnxb, 1e-5)
		be.MatMul(b.q, b.y, blk.xq.w, blk.xq.b)
		for g, cp := range caps {
			gr.AttentionFullRows(b.a, b.q, cp.keys[i], cp.values[i], g*n*K, n*K, 0, cp.L, c.Heads, hd, scale)
		}
		be.MatMul(b.p, b.a, blk.xp.w, blk.xp.b)
		be.Add(b.h, b.h, b.p)

		gr.LayerNormGroups(b.y, b.h, b.mods[4], b.mods[3], 1e-6)
		be.MatMul(b.m1, b.y, blk.fc1.w, blk.fc1.b)
		be.GeluTanh(b.m1, b.m1)
		be.MatMul(b.p, b.m1, blk.fc2.w, blk.fc2.b)
		gr.AddScaledGroups(b.h, b.h, b.mods[5], b.p)
	}
	mod(b.outMods[0], m.adaOut[0])
	mod(b.outMods[1], m.adaOut[1])
	gr.LayerNormGroups(b.y, b.h, b.outMods[1], b.outMods[0], 1e-6)
	be.MatMul(b.vout, b.y, m.out.w, m.out.b)
	if r, ok := be.(tensor.ReaderInto); ok {
		return r.ReadInto(v, b.vout, 0, -1)
	}
	out, err := be.Read(b.vout, 0, -1)
	if err != nil {
		return err
	}
	copy(v, out)
	return nil
}
