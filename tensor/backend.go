// Package tensor holds lamina's backend interface and the pure-Go CPU
// backend that every other backend is tested against.
//
// The forward passes in package model are written once against Backend; the
// CPU backend (NewCPU) is the source of truth and the WebGPU backend
// (package webgpu) implements the same contract on WGSL kernels.
//
// Conventions used by every op comment below:
//
//	T  rows (tokens) of an activation, C  model width, K  inner dimension,
//	N  output features, V  vocabulary, H  query heads, G  key/value heads,
//	D  head dimension, S  cache capacity (positions).
//
// Activations are always f32 and row-major. Weights keep the dtype they were
// uploaded with (F32, F16 or BF16) and are converted to f32 inside the kernel.
// Linear weights are stored (N,K) — torch.nn.Linear's [out, in] layout —
// so GPT-2's Conv1D [in, out] weights are transposed by the loader before
// upload.
package tensor

import (
	"fmt"

	"github.com/lamina-ml/lamina/kernels"
)

// DType is the element type of a stored tensor.
type DType int

// The dtypes safetensors files carry that lamina reads.
const (
	F32 DType = iota
	F16
	BF16
	I8
	U8
	I32
	// Q8 and Q4 are quantized linear weights (kernels.QMatrix: int8 with
	// per-channel or grouped scales, 4-bit codes with grouped scales and
	// mins). They are made by QuantUploader.UploadQuant, never by Upload.
	Q8
	Q4
)

// Size is the byte size of one element.
func (d DType) Size() int {
	switch d {
	case F32, I32:
		return 4
	case F16, BF16:
		return 2
	case I8, U8:
		return 1
	case Q8, Q4:
		return 0 // packed: the size is kernels.QMatrix.Bytes
	}
	panic(fmt.Sprintf("tensor: unknown dtype %d", int(d)))
}

func (d DType) String() string {
	switch d {
	case F32:
		return "F32"
	case F16:
		return "F16"
	case BF16:
		return "BF16"
	case I8:
		return "I8"
	case U8:
		return "U8"
	case I32:
		return "I32"
	case Q8:
		return "Q8"
	case Q4:
		return "Q4"
	}
	return fmt.Sprintf("DType(%d)", int(d))
}

// Tensor is a backend-owned array. Only the backend that made it may use it.
type Tensor interface {
	Shape() []int
	DType() DType
}

// QuantUploader is implemented by backends that keep linear weights
// quantized in memory (the CPU backend; the WebGPU backend, packed in u32
// words). MatMul (and the fused matmuls) take
// such a tensor as w; Embedding takes it as a table; Read dequantizes it.
// A backend without it gets dequantized weights from the loader instead.
type QuantUploader interface {
	// UploadQuant makes a Q8 or Q4 tensor of shape (w.N, w.K) holding w
	// (which the backend may keep; the caller must not change it after).
	UploadQuant(w *kernels.QMatrix) (Tensor, error)
}

// NumElements is the product of a shape.
func NumElements(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// AttentionArgs describes one causal attention call over a KV cache.
//
// q is (T,H*D). kCache and vCache are (S,G*D) and already hold the keys and
// values of positions 0..Pos+T-1. Query row i sits at absolute position Pos+i
// and attends to cache rows 0..Pos+i (causal). Query head h reads key/value
// head h/(H/G) (grouped-query attention). Scale multiplies q·k (usually
// 1/sqrt(D)). out is (T,H*D).
//
// Window > 0 is sliding-window attention (Mistral): query row i attends
// only to cache rows Pos+i-Window+1..Pos+i. The CPU and WebGPU backends
// implement it.
//
// Ring > 0 says the caches are a ring of Ring rows holding a sliding
// window's recent keys: position p is at row p mod Ring, so a window-W layer
// keeps W rows however long the sequence grows. It needs Window > 0 and
// Window+T-1 ≤ Ring (every row a query reads is still held) and is read only
// by backends that implement RingAttention; the caller passes it to no
// other. Keys are visited in position order, so the result equals that of a
// linear cache holding the same rows.
type AttentionArgs struct {
	Heads, KVHeads, HeadDim int
	Pos                     int
	Scale                   float32
	Window                  int
	Ring                    int
}

// RingAttention is implemented by backends whose Attention reads
// AttentionArgs.Ring (the CPU and WebGPU backends). The others attend over linear
// caches only; the model copies a ring's rows into one for them.
type RingAttention interface {
	// RingAttention reports whether AttentionArgs.Ring is honoured.
	RingAttention() bool
}

// Backend is the set of ops a forward pass is written against.
//
// Ops are recorded in call order and may run asynchronously (the WebGPU
// backend records them into one command encoder); Read and ReadInts (and
// FusedOps.Flush) are the only synchronisation points. Out-of-place ops may
// not alias out with an input unless the comment says so.
//
// Error contract (every backend, the same): the methods that return an
// error (Upload, UploadF32, Zeros, ZerosI32, Read, ReadInts) report their
// own failures there — on WebGPU a tensor too large for the device is one.
// Ops have no error result: an op that cannot run (shapes that do not match,
// a freed tensor or one of another backend, a device failure) records the
// first such error, which the next Read, ReadInts or Flush returns and
// forgets; the backend stays usable afterwards. No op panics on misuse, so a
// caller checks the synchronisation point's error and nothing else.
type Backend interface {
	// Name is "cpu", "wasm-simd" (NewCPUWith a wasmsimd engine) or "webgpu".
	Name() string

	// Upload copies host bytes (little-endian, dtype dt, row-major) into a
	// new tensor. Used for weights; the backend may keep F16/BF16 as they are.
	Upload(shape []int, dt DType, data []byte) (Tensor, error)
	// UploadF32 copies f32 host values into a new f32 tensor.
	UploadF32(shape []int, data []float32) (Tensor, error)
	// Zeros allocates an f32 tensor filled with zeros.
	Zeros(shape ...int) (Tensor, error)
	// Free releases a tensor; using it afterwards is a bug.
	Free(t Tensor)

	// Read waits for all recorded work and returns t's values as f32
	// (rows [from, from+n) of a 2-D tensor; n < 0 means to the end).
	Read(t Tensor, from, n int) ([]float32, error)
	// ReadInts waits for all recorded work and returns an I32 tensor's values.
	ReadInts(t Tensor) ([]int32, error)

	// Embedding gathers rows: table (V,C), out (T,C), ids has T entries.
	// Ids outside [0,V) are an error reported by the caller, not here.
	Embedding(out, table Tensor, ids []int32)
	// MatMul computes out = x·wᵀ + bias: x (T,K), w (N,K), bias (N) or nil,
	// out (T,N).
	MatMul(out, x, w, bias Tensor)
	// RMSNorm: out[t,:] = x[t,:] / sqrt(mean(x[t,:]²) + eps) * w.
	// x, out (T,C); w (C). out may alias x.
	RMSNorm(out, x, w Tensor, eps float32)
	// LayerNorm: out[t,:] = (x - mean) / sqrt(var + eps) * w + b (biased
	// variance). x, out (T,C); w, b (C); b may be nil. out may alias x.
	LayerNorm(out, x, w, b Tensor, eps float32)
	// RoPE rotates x (T, heads*D) in place with the rotate-half (GPT-NeoX /
	// Llama) pairing: for j < D/2, (x[j], x[j+D/2]) is rotated by angle
	// (pos0+t)*invFreq[j]. invFreq is (D/2).
	RoPE(x, invFreq Tensor, heads, headDim, pos0 int)
	// CopyRows copies n rows of src starting at srcRow into dst starting at
	// dstRow. src and dst have the same row width.
	CopyRows(dst Tensor, dstRow int, src Tensor, srcRow, n int)
	// Attention: see AttentionArgs. out (T,H*D).
	Attention(out, q, kCache, vCache Tensor, a AttentionArgs)
	// Add: out = a + b, same shapes. out may alias a or b.
	Add(out, a, b Tensor)
	// GeluTanh: out = 0.5x(1+tanh(sqrt(2/π)(x+0.044715x³))). out may alias x.
	GeluTanh(out, x Tensor)
	// SiLUMul: out = silu(gate) * up, same shapes. out may alias gate or up.
	SiLUMul(out, gate, up Tensor)
	// Argmax writes, for every row of x (T,N), the index of its largest value
	// (lowest index on ties) into out, an I32 tensor of shape (T).
	Argmax(out, x Tensor)
	// ZerosI32 allocates an I32 tensor of the given length.
	ZerosI32(n int) (Tensor, error)
}
