package tensor

// SampleParams configures FusedOps.Sample. Temperature must be > 0 (use
// ArgmaxAt for greedy decoding); TopK 0 means no top-k limit, and every
// draw considers at most SampleMaxCandidates tokens; TopP ≤ 0 or ≥ 1
// disables nucleus sampling. Seed and Step feed a counter-based RNG, so the
// same (Seed, Step) always gives the same draw on every backend.
type SampleParams struct {
	Temperature float32
	TopK        int
	TopP        float32
	Seed        uint32
	Step        uint32
}

// SampleMaxCandidates is the most tokens Sample draws from: the WGSL
// sampler sorts its candidates in one 256-thread workgroup
// (shaders/sample.wgsl). A caller that needs exact top-k above it, or no
// top-k limit at all, samples from read-back logits instead.
const SampleMaxCandidates = 256

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
	// Sample: out[at] = a token drawn from row `row` of logits x (T,V) with
	// temperature, top-k and top-p; see SampleParams and SampleRow for the
	// exact algorithm. out is I32.
	Sample(out Tensor, at int, x Tensor, row int, p SampleParams)
	// Flush submits the recorded work without waiting for it (a no-op on
	// the CPU, whose ops run when called).
	Flush() error
}
