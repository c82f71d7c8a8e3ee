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

// SampleParams is tensor.SampleParams (kept so existing callers compile).
type SampleParams = tensor.SampleParams

// FusedBackend is tensor.FusedOps, the optional fused ops the WebGPU
// backend offers on top of tensor.Backend; see there for their semantics.
// The interface lives in package tensor so that package model can use it
// and the CPU backend can implement it as the reference.
type FusedBackend = tensor.FusedOps
