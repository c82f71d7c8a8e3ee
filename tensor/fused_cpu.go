package tensor

import (
	"fmt"
	"math"
	"slices"
	"sync"
)

// The CPU backend implements FusedOps as the exact composition of its plain
// ops named in each FusedOps comment, so a forward pass that takes the fused
// path gives bit-for-bit the logits of the plain one here, and the fused
// model code is tested natively.
var _ FusedOps = (*cpuBackend)(nil)

// fusedScratch holds the intermediate (T,C) tensors of the composed ops, so
// a decode step through them does not allocate.
var fusedScratch = sync.Pool{New: func() any { return &cpuTensor{dt: F32, shape: make([]int, 2)} }}

func scratchTensor(rows, cols int) *cpuTensor {
	t := fusedScratch.Get().(*cpuTensor)
	n := rows * cols
	if cap(t.f32) < n {
		t.f32 = make([]float32, n)
	}
	t.f32 = t.f32[:n]
	t.shape[0], t.shape[1] = rows, cols
	return t
}

// MatMulNorm: out = RMSNorm(x, normW, eps)·wᵀ. x (T,K), normW (K), w (N,K),
// out (T,N).
func (b *cpuBackend) MatMulNorm(out, x, normW, w Tensor, eps float32) {
	defer b.guard()
	xc := ct(x)
	n := scratchTensor(xc.rows(), xc.cols())
	defer fusedScratch.Put(n)
	b.RMSNorm(n, x, normW, eps)
	b.MatMul(out, n, w, nil)
}

// MatMulNormQKV: n = RMSNorm(x, normW, eps); q, k, v = n·wqᵀ, n·wkᵀ, n·wvᵀ.
// x (T,K), normW (K), wq (Nq,K), wk and wv (Nkv,K).
func (b *cpuBackend) MatMulNormQKV(q, k, v, x, normW, wq, wk, wv Tensor, eps float32) {
	defer b.guard()
	xc := ct(x)
	if fe := b.engineFused(xc, normW, wq, wk, wv); fe != nil {
		err := fe.NormQKV(f32Data(q, "MatMulNormQKV"), f32Data(k, "MatMulNormQKV"), f32Data(v, "MatMulNormQKV"), f32Data(x, "MatMulNormQKV"),
			f32Data(normW, "MatMulNormQKV"), eps, ct(wq).held, ct(wk).held, ct(wv).held, xc.rows())
		if err != nil {
			panic(fmt.Errorf("tensor: %s MatMulNormQKV: %w", b.engine.Name(), err))
		}
		return
	}
	n := scratchTensor(xc.rows(), xc.cols())
	defer fusedScratch.Put(n)
	b.RMSNorm(n, x, normW, eps)
	b.MatMul(q, n, wq, nil)
	b.MatMul(k, n, wk, nil)
	b.MatMul(v, n, wv, nil)
}

// MatMulNormSiLU: out = SiLUMul(n·gateᵀ, n·upᵀ), n = RMSNorm(x, normW, eps).
// x (T,K), normW (K), gate and up (N,K), out (T,N).
func (b *cpuBackend) MatMulNormSiLU(out, x, normW, gate, up Tensor, eps float32) {
	defer b.guard()
	xc, oc := ct(x), ct(out)
	if fe := b.engineFused(xc, normW, gate, up); fe != nil {
		err := fe.NormSiLU(f32Data(out, "MatMulNormSiLU"), f32Data(x, "MatMulNormSiLU"), f32Data(normW, "MatMulNormSiLU"), eps, ct(gate).held, ct(up).held, xc.rows())
		if err != nil {
			panic(fmt.Errorf("tensor: %s MatMulNormSiLU: %w", b.engine.Name(), err))
		}
		return
	}
	n := scratchTensor(xc.rows(), xc.cols())
	g := scratchTensor(oc.rows(), oc.cols())
	defer fusedScratch.Put(n)
	defer fusedScratch.Put(g)
	b.RMSNorm(n, x, normW, eps)
	b.MatMul(g, n, gate, nil)
	b.MatMul(out, n, up, nil)
	b.SiLUMul(out, g, out)
}

// MatMulAcc: acc = acc + x·wᵀ. x (T,K), w (N,K), acc (T,N).
func (b *cpuBackend) MatMulAcc(acc, x, w Tensor) {
	defer b.guard()
	ac := ct(acc)
	p := scratchTensor(ac.rows(), ac.cols())
	defer fusedScratch.Put(p)
	b.MatMul(p, x, w, nil)
	b.Add(acc, acc, p)
}

// RoPEKV: q (T,H*D) rotated in place; k (T,G*D) rotated into kCache rows
// pos0..; v (T,G*D) copied into vCache rows pos0..; caches (S,G*D).
func (b *cpuBackend) RoPEKV(q, k, v, invFreq, kCache, vCache Tensor, heads, kvHeads, headDim, pos0 int) {
	defer b.guard()
	kc := ct(k)
	T := kc.rows()
	if kcc := ct(kCache); pos0 < 0 || pos0+T > kcc.rows() || kcc.cols() != kc.cols() {
		panic(fmt.Sprintf("tensor: RoPEKV of k %v into cache %v at %d", kc.shape, kcc.shape, pos0))
	}
	rk := scratchTensor(T, kc.cols())
	defer fusedScratch.Put(rk)
	copy(rk.f32, f32Data(k, "RoPEKV"))
	b.RoPE(q, invFreq, heads, headDim, pos0)
	b.RoPE(rk, invFreq, kvHeads, headDim, pos0)
	b.CopyRows(kCache, pos0, rk, 0, T)
	b.CopyRows(vCache, pos0, v, 0, T)
}

// EmbeddingAt: out (1,C) = row ids[at] of table (V,C).
func (b *cpuBackend) EmbeddingAt(out, table, ids Tensor, at int) {
	defer b.guard()
	ic, tb := ct(ids), ct(table)
	o := f32Data(out, "EmbeddingAt")
	if ic.dt != I32 || at < 0 || at >= len(ic.i32) || len(o) != tb.cols() {
		panic(fmt.Sprintf("tensor: EmbeddingAt of table %v into out %v at %d of %v ids", tb.shape, ct(out).shape, at, ic.shape))
	}
	id := int(ic.i32[at])
	if id < 0 || id >= tb.rows() {
		panic(fmt.Sprintf("tensor: EmbeddingAt id %d outside table %v", id, tb.shape))
	}
	tableRow(o, tb, id)
}

// ArgmaxAt: out[at+t] = argmax of row t of x (T,N).
func (b *cpuBackend) ArgmaxAt(out Tensor, at int, x Tensor) {
	defer b.guard()
	oc, xc := ct(out), ct(x)
	if oc.dt != I32 || at < 0 || at+xc.rows() > len(oc.i32) {
		panic(fmt.Sprintf("tensor: ArgmaxAt of %v into %v at %d", xc.shape, oc.shape, at))
	}
	// Argmax into a view of out[at:at+T].
	T := xc.rows()
	b.Argmax(&cpuTensor{shape: []int{T}, dt: I32, i32: oc.i32[at : at+T]}, x)
}

// Limits: the CPU's fused ops are compositions of its plain ops, so they
// pay (and are exact) for any pass length, and SampleRow draws among any
// number of candidates.
func (b *cpuBackend) Limits() Limits {
	return Limits{FusedMaxRows: Unlimited, SampleMaxCandidates: Unlimited}
}

// Sample: out[at] = SampleRow(row `row` of x (T,V), p).
func (b *cpuBackend) Sample(out Tensor, at int, x Tensor, row int, p SampleParams) {
	defer b.guard()
	oc, xc := ct(out), ct(x)
	if oc.dt != I32 || at < 0 || at >= len(oc.i32) || row < 0 || row >= xc.rows() || xc.cols() == 0 || !(p.Temperature > 0) || p.TopK < 0 {
		panic(fmt.Sprintf("tensor: Sample row %d of %v into %v at %d with %+v", row, xc.shape, oc.shape, at, p))
	}
	N := xc.cols()
	oc.i32[at] = SampleRow(f32Data(x, "Sample")[row*N:row*N+N], p)
}

// Flush has nothing to submit (CPU ops have finished when they return); it
// reports and forgets the sticky error, as Read does.
func (b *cpuBackend) Flush() error { return b.takeErr() }

// pcgHash is the PCG-RXS-M-XS hash used as a counter-based RNG (Jarzynski &
// Olano, "Hash Functions for GPU Rendering", JCGT 2020), as in sample.wgsl.
func pcgHash(v uint32) uint32 {
	s := v*747796405 + 2891336453
	w := ((s >> ((s >> 28) + 4)) ^ s) * 277803737
	return (w >> 22) ^ w
}

// sampleCandidate is a (logit, token id) pair of SampleRow.
type sampleCandidate struct {
	v  float32
	id int32
}

// SampleRow is lamina's one token sampler, the reference every other
// implementation is tested against draw for draw (shaders/sample.wgsl on
// WebGPU; model.Generate's logits path calls it directly). It draws a token
// from logits x (V) in f32 arithmetic:
//
//  1. k = SampleCandidates(p, V); the candidates are the first k tokens in
//     (logit desc, id asc) order;
//  2. weights e_i = exp((x_i - max)/T); keep the shortest prefix whose mass
//     reaches TopP of the candidates' total (transformers' TopPLogitsWarper
//     rule);
//  3. u = (pcg(Seed ^ pcg(Step)) >> 8) / 2²⁴ · kept mass; pick the first
//     candidate whose running sum exceeds u.
//
// The candidates are found through the k-th largest logit (a size-k heap,
// O(V log k)); the kernel bisects for a threshold instead, which selects the
// same first k. Two differences can remain on a GPU: its exp may differ from
// Go's correctly rounded one by an ulp or two, which moves a draw only when
// u falls that close to a boundary; and when more logits than the kernel's
// workgroup holds tie at the threshold it keeps the first to arrive
// (scheduling order) where this keeps the lowest ids.
func SampleRow(x []float32, p SampleParams) int32 {
	N := len(x)
	topP := p.TopP
	if !(topP > 0) || topP > 1 {
		topP = 1
	}
	invTemp := 1 / p.Temperature
	mx := float32(-3.4e38)
	for _, v := range x {
		if v > mx {
			mx = v
		}
	}
	k := SampleCandidates(p, N)
	// Every logit ≥ the k-th largest is a candidate; sorting them and
	// keeping k settles ties at the threshold by id.
	lo := float32(math.Inf(-1))
	if k < N {
		lo = kthLargest(make([]float32, 0, k), x, k)
	}
	cand := make([]sampleCandidate, 0, k)
	for i, v := range x {
		if v >= lo {
			cand = append(cand, sampleCandidate{v, int32(i)})
		}
	}
	slices.SortFunc(cand, func(a, b sampleCandidate) int {
		switch {
		case a.v > b.v:
			return -1
		case a.v < b.v:
			return 1
		}
		return int(a.id) - int(b.id)
	})
	weight := func(i int) float32 { return float32(math.Exp(float64((cand[i].v - mx) * invTemp))) }
	var total float32
	for i := range k {
		total += weight(i)
	}
	keep := k
	var cum float32
	for i := range k {
		cum += weight(i)
		if cum >= topP*total {
			keep = i + 1
			break
		}
	}
	var kept float32
	for i := range keep {
		kept += weight(i)
	}
	u := float32(pcgHash(p.Seed^pcgHash(p.Step))>>8) / 16777216.0 * kept
	pick := cand[0].id
	var acc float32
	for i := range keep {
		acc += weight(i)
		if u < acc {
			pick = cand[i].id
			break
		}
	}
	return pick
}

// kthLargest returns the k-th largest value of w (1 ≤ k ≤ len(w)) using a
// size-k min-heap in h's storage: O(V log k) instead of sorting V values.
func kthLargest(h []float32, w []float32, k int) float32 {
	down := func(i int) {
		for {
			l, smallest := 2*i+1, i
			if l < len(h) && h[l] < h[smallest] {
				smallest = l
			}
			if r := l + 1; r < len(h) && h[r] < h[smallest] {
				smallest = r
			}
			if smallest == i {
				return
			}
			h[i], h[smallest] = h[smallest], h[i]
			i = smallest
		}
	}
	h = append(h, w[:k]...)
	for i := k/2 - 1; i >= 0; i-- {
		down(i)
	}
	for _, v := range w[k:] {
		if v > h[0] {
			h[0] = v
			down(0)
		}
	}
	return h[0]
}
