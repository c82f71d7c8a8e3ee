package tensor

// SampleParams configures SampleRow and FusedOps.Sample. Temperature must be
// > 0 (use ArgmaxAt for greedy decoding); TopK 0 means no top-k limit (every
// token is a candidate); TopP ≤ 0 or ≥ 1 disables nucleus sampling. Seed and
// Step feed a counter-based RNG, so the same (Seed, Step) always gives the
// same draw on every backend.
type SampleParams struct {
	Temperature float32
	TopK        int
	TopP        float32
	Seed        uint32
	Step        uint32
}

// Limits are what a backend with fused ops advertises about them, so that
// callers choose a path by asking the backend rather than by mirroring its
// kernels' constants.
type Limits struct {
	// FusedMaxRows is the longest pass (rows T of x) for which the fused
	// ops pay: a forward pass over more rows takes the plain ops.
	FusedMaxRows int
	// SampleMaxCandidates is the most tokens Sample draws among: Sample may
	// only be called with 1 ≤ k ≤ SampleMaxCandidates, where k is TopK, or
	// the vocabulary V when TopK is 0. A caller with a larger k samples the
	// read-back logits with SampleRow instead, which gives the same draw.
	SampleMaxCandidates int
}

// Unlimited is a Limits value for "no limit".
const Unlimited = 1<<31 - 1

// SampleCandidates is the k of SampleParams p on a vocabulary of v tokens:
// TopK capped at v, or v when TopK is 0.
func SampleCandidates(p SampleParams, v int) int {
	if p.TopK > 0 && p.TopK < v {
		return p.TopK
	}
	return v
}

// FusedOps is the optional set of fused ops a backend may offer on top of
// Backend; model's decode loop uses them when be.(FusedOps) succeeds. A
// batch-1 decode step on a GPU is bound by the number of dispatches, not by
// memory bandwidth, so folding the norm into the projections, SiLU·mul and
// the residual adds into epilogues, and RoPE and the KV-cache write into one
// kernel makes it several times faster; ArgmaxAt, Sample and EmbeddingAt let
// the next token's id stay on the device, so decode never reads logits.
//
// Each op equals the composition of plain ops given in its comment (up to
// f32 rounding on a GPU); the CPU backend implements them as exactly that
// composition, and the WebGPU backend is tested against it.
type FusedOps interface {
	Backend
	// Limits says how far the fused ops reach (see Limits).
	Limits() Limits
	// MatMulNorm: out = RMSNorm(x, normW, eps)·wᵀ. x (T,K), normW (K),
	// w (N,K), out (T,N). out may not alias x.
	MatMulNorm(out, x, normW, w Tensor, eps float32)
	// MatMulNormQKV: n = RMSNorm(x, normW, eps); q = n·wqᵀ, k = n·wkᵀ,
	// v = n·wvᵀ. x (T,K), normW (K), wq (Nq,K), wk and wv (Nkv,K),
	// q (T,Nq), k and v (T,Nkv). The outputs may not alias x or each other.
	MatMulNormQKV(q, k, v, x, normW, wq, wk, wv Tensor, eps float32)
	// MatMulNormSiLU: out = SiLUMul(n·gateᵀ, n·upᵀ), n = RMSNorm(x, normW,
	// eps). x (T,K), normW (K), gate and up (N,K), out (T,N).
	MatMulNormSiLU(out, x, normW, gate, up Tensor, eps float32)
	// MatMulAcc: acc = acc + x·wᵀ (the residual add as an epilogue).
	// x (T,K), w (N,K), acc (T,N). acc may not alias x.
	MatMulAcc(acc, x, w Tensor)
	// RoPEKV: RoPE(q, invFreq, heads, headDim, pos0) in place; RoPE(k,
	// invFreq, kvHeads, headDim, pos0) written to kCache rows
	// pos0..pos0+T-1; CopyRows(vCache, pos0, v, 0, T). q (T,H*D), k and v
	// (T,G*D), invFreq (D/2), caches (S,G*D); k and v are left unchanged.
	RoPEKV(q, k, v, invFreq, kCache, vCache Tensor, heads, kvHeads, headDim, pos0 int)
	// EmbeddingAt: out (1,C) = row ids[at] of table (V,C); ids is an I32
	// tensor on the device, so a decode loop can feed the previous step's
	// token back without reading it. ids[at] must lie in [0,V) (ArgmaxAt and
	// Sample only write such ids).
	EmbeddingAt(out, table, ids Tensor, at int)
	// ArgmaxAt: out[at+t] = argmax of row t of x (T,N), lowest index on ties.
	// out is I32 with at least at+T entries.
	ArgmaxAt(out Tensor, at int, x Tensor)
	// Sample: out[at] = SampleRow(row `row` of logits x (T,V), p): the same
	// draw as the reference, on the device. out is I32. The candidates k
	// (SampleCandidates(p, V)) must not exceed Limits().SampleMaxCandidates.
	Sample(out Tensor, at int, x Tensor, row int, p SampleParams)
	// Flush submits the recorded work without waiting for it (a no-op on
	// the CPU, whose ops run when called).
	Flush() error
}
