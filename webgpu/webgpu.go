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
// Quantized weights (tensor.QuantUploader: Q8, Q4 from a `lamina quantize`
// folder) stay quantized on the GPU, their codes packed in u32 words next to
// each row's scales (quant.go), and are dequantized in registers by the
// matmul, matvec and embedding kernels (shaders/weights.wgsl).
//
// Limits: a tensor that does not fit the device (over maxBufferSize, a
// piece that cannot be split below maxStorageBufferBindingSize, or out of
// GPU memory) is an error matching ErrTooLarge, a *TooLargeError naming
// the tensor, its size and the limit. AdapterInfo.Software tells a CPU
// emulator (SwiftShader, llvmpipe, WARP) from a GPU; Options.RejectSoftware
// refuses one, which is how 'auto' runtimes pick the CPU backend there.
//
// Device loss: the backend implements LossNotifier; after the device is lost
// every Read fails with an error wrapping ErrDeviceLost, and the channel
// from Lost is closed, so a runtime can switch to the CPU backend.
package webgpu

import (
	"errors"
	"fmt"
	"strings"

	"github.com/lamina-ml/lamina/tensor"
)

// ErrUnavailable means there is no WebGPU here: not js/wasm, no
// navigator.gpu, or no adapter. Fall back to the CPU backend.
var ErrUnavailable = errors.New("webgpu: WebGPU is not available")

// ErrDeviceLost wraps every error after the GPU device was lost.
var ErrDeviceLost = errors.New("webgpu: device lost")

// ErrTooLarge is matched (errors.Is) by every error about a tensor that
// does not fit the device: a buffer over maxBufferSize, a piece that
// cannot be split below maxStorageBufferBindingSize (one weight row, an
// activation), or a createBuffer that ran out of GPU memory. The errors
// themselves are *TooLargeError, which says which tensor and which limit.
var ErrTooLarge = errors.New("webgpu: too large for the device")

// TooLargeError is a tensor that does not fit one of the device's limits.
type TooLargeError struct {
	// Tensor names what did not fit, e.g. "F32 [512 64]" or "one row of
	// F16 [151936 896]".
	Tensor string
	// Bytes is its size.
	Bytes int64
	// Limit is the limit's WebGPU name ("maxBufferSize",
	// "maxStorageBufferBindingSize") or "GPU memory" for an
	// out-of-memory error.
	Limit string
	// Max is the limit in bytes (0 for GPU memory, which WebGPU does not
	// report).
	Max int64
	// Detail is the browser's own message, when it gave one.
	Detail string
}

func (e *TooLargeError) Error() string {
	what := e.Tensor
	if what == "" {
		what = "a buffer"
	}
	if e.Max > 0 {
		return fmt.Sprintf("webgpu: %s is %d bytes, over the device's %s of %d bytes", what, e.Bytes, e.Limit, e.Max)
	}
	size := ""
	if e.Bytes > 0 {
		size = fmt.Sprintf(" (%d bytes)", e.Bytes)
	}
	msg := fmt.Sprintf("webgpu: %s%s does not fit in the device's %s", what, size, e.Limit)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// ErrSoftwareAdapter is matched (errors.Is) by the error NewBackendWithOptions
// returns with Options.RejectSoftware when the adapter is a software one;
// the error is a *SoftwareAdapterError that carries the adapter's info.
var ErrSoftwareAdapter = errors.New("webgpu: the adapter is a software (CPU-emulated) one")

// SoftwareAdapterError is the adapter Options.RejectSoftware turned down.
type SoftwareAdapterError struct{ Adapter AdapterInfo }

func (e *SoftwareAdapterError) Error() string {
	return fmt.Sprintf("webgpu: the only WebGPU adapter (%s) emulates a GPU on the CPU, slower than the CPU backend", e.Adapter)
}

// Is makes errors.Is(err, ErrSoftwareAdapter) true.
func (e *SoftwareAdapterError) Is(target error) bool { return target == ErrSoftwareAdapter }

// AdapterInfo is what the adapter says about itself (GPUAdapterInfo,
// https://www.w3.org/TR/webgpu/#gpuadapterinfo). Browsers may leave the
// strings empty for privacy.
type AdapterInfo struct {
	Vendor       string `json:"vendor"`
	Architecture string `json:"architecture"`
	Device       string `json:"device"`
	Description  string `json:"description"`
	// IsFallbackAdapter is GPUAdapterInfo.isFallbackAdapter: the
	// implementation's "significant performance caveats" adapter, a
	// software rasterizer in practice.
	IsFallbackAdapter bool `json:"isFallbackAdapter"`
}

// softwareRenderers are substrings (lower case) of the vendor, architecture
// or description of GPU emulators that run on the CPU, for browsers that
// hand one out without setting isFallbackAdapter: Chromium's SwiftShader
// (headless Chromium 156 reports vendor "google", architecture
// "swiftshader", isFallbackAdapter true), Mesa's llvmpipe / lavapipe /
// softpipe, and Windows' WARP ("Microsoft Basic Render Driver").
var softwareRenderers = []string{"swiftshader", "llvmpipe", "lavapipe", "softpipe", "basic render driver"}

// Software reports a CPU-emulated adapter: on one, lamina's CPU backend is
// faster than its WGSL kernels (measured: LM decode 0.4-1 tok/s on
// SwiftShader vs 38 on the CPU backend), so 'auto' runtimes skip it.
func (a AdapterInfo) Software() bool {
	if a.IsFallbackAdapter {
		return true
	}
	for _, s := range []string{a.Vendor, a.Architecture, a.Description} {
		s = strings.ToLower(s)
		for _, r := range softwareRenderers {
			if strings.Contains(s, r) {
				return true
			}
		}
	}
	return false
}

// String is "vendor / architecture / device / description" with the empty
// fields left out, plus ", fallback adapter" when it is one.
func (a AdapterInfo) String() string {
	parts := []string{}
	for _, s := range []string{a.Vendor, a.Architecture, a.Device, a.Description} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	s := strings.Join(parts, " / ")
	if s == "" {
		s = "unnamed adapter"
	}
	if a.IsFallbackAdapter {
		s += ", fallback adapter"
	}
	return s
}

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
	// MaxBufferSize, when > 0, lowers the device's maxBufferSize to this
	// many bytes, to see what a smaller GPU would do: it is requested as
	// requiredLimits.maxBufferSize (and maxStorageBufferBindingSize is
	// capped to it), which the device enforces when it is at least
	// WebGPU's default (256 MiB: browsers raise smaller requests to the
	// default); the backend itself enforces it either way, so weights are
	// split below it and anything that cannot be fails with ErrTooLarge.
	MaxBufferSize int64
	// RejectSoftware makes NewBackendWithOptions fail with a
	// *SoftwareAdapterError (ErrSoftwareAdapter) instead of opening a
	// device when the adapter is a software one (AdapterInfo.Software).
	RejectSoftware bool
}

// Device is the WebGPU backend's surface beyond tensor.Backend that
// runtimes holding a tensor.Backend ask for: the adapter it runs on, the
// storage-binding check for activations, and Close. *Backend implements it
// in both builds (backend_js.go, and backend_other.go where no value of it
// exists), so untagged code names it instead of sniffing method sets.
type Device interface {
	tensor.Backend
	Adapter() AdapterInfo
	CheckBinding(what string, bytes int64) error
	Close()
}

// LossNotifier is implemented by the WebGPU backend.
type LossNotifier interface {
	// Lost is closed when the device is lost; LostReason then says why.
	Lost() <-chan struct{}
	LostReason() string
}
