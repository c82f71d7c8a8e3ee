// Package webgpu is lamina's WebGPU backend: a small Go binding to the
// browser's (or Dawn's) WebGPU over syscall/js, and a tensor.Backend whose
// ops run as WGSL compute kernels from package shaders.
//
// Use:
//
//	be, err := webgpu.NewBackend(ctx)              // tensor.Backend
//	be, err := webgpu.NewBackendWithOptions(ctx, webgpu.Options{PreferF16: true})
//
// Outside js/wasm NewBackend returns ErrUnavailable, so callers can fall
// back to tensor.NewCPU() with one code path. Under js/wasm it needs
// navigator.gpu (a browser with WebGPU, or Node with Dawn's navigator-like
// object installed as globalThis.navigator.gpu) and must be called from a
// goroutine that may block (never from inside a js.FuncOf callback): it
// waits on WebGPU promises.
//
// The backend keeps weights, activations and KV caches on the GPU, records
// every op into one command stream (replayed into one command encoder by a
// single JS call) and submits only at Read, ReadInts or Flush. Pipelines
// and bind groups are cached; per-call parameters live in a uniform ring
// bound with dynamic offsets, so a decode step creates no GPU objects.
// Weights larger than maxStorageBufferBindingSize are split by rows into
// several buffers (MatMul and Embedding take one dispatch per piece).
//
// Device loss: the backend implements LossNotifier; after the device is lost
// every Read fails with an error wrapping ErrDeviceLost, and the channel
// from Lost is closed, so a runtime can switch to the CPU backend.
package webgpu

import (
	"errors"

	"github.com/lamina-ml/lamina/tensor"
)

// ErrUnavailable means there is no WebGPU here: not js/wasm, no
// navigator.gpu, or no adapter. Fall back to the CPU backend.
var ErrUnavailable = errors.New("webgpu: WebGPU is not available")

// ErrDeviceLost wraps every error after the GPU device was lost.
var ErrDeviceLost = errors.New("webgpu: device lost")

// Options tune NewBackendWithOptions. The zero value is the default.
type Options struct {
	// PreferF16 reads F16 weights as native f16 when the adapter has the
	// shader-f16 feature. Without it (or when false) F16 weights are read as
	// packed u32 pairs and widened with unpack2x16float, which every
	// implementation supports. The stored bytes are the same either way.
	// Off by default: SwiftShader has no shader-f16, so the native path is
	// only exercised by the kernel tests on a real GPU (bench/gpu/run.sh).
	PreferF16 bool
	// PowerPreference is passed to requestAdapter ("high-performance",
	// "low-power" or "").
	PowerPreference string
	// MaxBindingSize, when > 0, splits weights (Upload) above this many
	// bytes as if the device's maxStorageBufferBindingSize were that small.
	// Tests use it to force the split-weight path on small tensors;
	// activations still use the real limit.
	MaxBindingSize int64
}

// LossNotifier is implemented by the WebGPU backend.
type LossNotifier interface {
	// Lost is closed when the device is lost; LostReason then says why.
	Lost() <-chan struct{}
	LostReason() string
}

// SampleParams configures Sample. Temperature must be > 0 (use Argmax for
// greedy decoding); TopK 0 means no top-k limit (capped at 256 candidates);
// TopP ≥ 1 disables nucleus sampling. Seed and Step feed a counter-based
// RNG, so the same (Seed, Step) always gives the same draw.
type SampleParams struct {
	Temperature float32
	TopK        int
	TopP        float32
	Seed        uint32
	Step        uint32
}

// FusedBackend is the optional set of fused ops the WebGPU backend offers on
// top of tensor.Backend. A batch-1 decode step is bound by the number of
// dispatches, not by memory bandwidth, so a forward pass that uses these
// (norm folded into the projections, SiLU·mul and residual adds folded into
// epilogues, RoPE and the KV-cache write in one kernel) runs several times
// faster. Each op equals the composition of plain ops given in its comment,
// and is tested against exactly that composition on the CPU backend.
type FusedBackend interface {
	tensor.Backend
	// MatMulNorm: out = RMSNorm(x, normW, eps)·wᵀ. x (T,K), normW (K),
	// w (N,K), out (T,N).
	MatMulNorm(out, x, normW, w tensor.Tensor, eps float32)
	// MatMulNormQKV: n = RMSNorm(x, normW, eps); q = n·wqᵀ, k = n·wkᵀ,
	// v = n·wvᵀ in one dispatch for T ≤ 4. x (T,K), normW (K), wq (Nq,K),
	// wk and wv (Nkv,K), q (T,Nq), k and v (T,Nkv).
	MatMulNormQKV(q, k, v, x, normW, wq, wk, wv tensor.Tensor, eps float32)
	// MatMulNormSiLU: out = SiLUMul(n·gateᵀ, n·upᵀ), n = RMSNorm(x, normW,
	// eps). x (T,K), normW (K), gate and up (N,K), out (T,N).
	MatMulNormSiLU(out, x, normW, gate, up tensor.Tensor, eps float32)
	// MatMulAcc: acc = acc + x·wᵀ. x (T,K), w (N,K), acc (T,N).
	MatMulAcc(acc, x, w tensor.Tensor)
	// RoPEKV: RoPE(q, invFreq, heads, headDim, pos0); RoPE(k, invFreq,
	// kvHeads, headDim, pos0) written to kCache rows pos0..pos0+T-1;
	// CopyRows(vCache, pos0, v, 0, T). q (T,H*D), k and v (T,G*D), caches
	// (S,G*D); k and v are left unchanged.
	RoPEKV(q, k, v, invFreq, kCache, vCache tensor.Tensor, heads, kvHeads, headDim, pos0 int)
	// EmbeddingAt: out (1,C) = row ids[at] of table (V,C); ids is an I32
	// tensor on the device, so a decode loop can feed the previous step's
	// argmax back without reading it.
	EmbeddingAt(out, table, ids tensor.Tensor, at int)
	// ArgmaxAt: out[at+t] = argmax of row t of x (T,N) (lowest index on
	// ties). out is I32.
	ArgmaxAt(out tensor.Tensor, at int, x tensor.Tensor)
	// Sample: out[at] = a token drawn from row `row` of logits x (T,V) with
	// temperature, top-k and top-p. out is I32.
	Sample(out tensor.Tensor, at int, x tensor.Tensor, row int, p SampleParams)
	// Flush submits the recorded work without waiting for it.
	Flush() error
}
