package tensor

import "fmt"

// MatMulEngine runs MatMul for the weights it holds a copy of: the wasm
// SIMD kernel module (package wasmsimd) is one. A CPU backend made by
// NewCPUWith hands it every Upload'ed 2-D F32/F16/BF16 weight the first
// time MatMul uses it as w, and keeps the Go kernels for everything else
// (activations as w, and weights the engine turned down).
//
// Tensors made by Upload are weights: ops never write into them, so a copy
// taken once stays valid until Free.
type MatMulEngine interface {
	// Name is the backend name the CPU backend reports ("wasm-simd").
	Name() string
	// Hold copies w (N,K) into the engine: f32 holds an F32 weight's
	// values, u16 an F16 or BF16 weight's bit patterns. An error means the
	// engine cannot hold it; the CPU kernels then serve that weight.
	Hold(dt DType, N, K int, f32 []float32, u16 []uint16) (EngineWeight, error)
	// MatMul computes out (T,N) = x (T,K) · wᵀ for a held weight.
	MatMul(out, x []float32, w EngineWeight, T int) error
	// Release frees a held weight.
	Release(w EngineWeight)
}

// EngineWeight is a MatMulEngine's handle on one weight.
type EngineWeight interface{}

// NewCPUWith returns a CPU backend whose matrix products by uploaded
// weights run on e. It is the reference backend in every other respect.
func NewCPUWith(e MatMulEngine) Backend { return &cpuBackend{engine: e} }

// engineMatMul runs out = x·wᵀ on the engine when w is a weight it holds
// (or takes now); false means the CPU kernels must do it.
func (b *cpuBackend) engineMatMul(out, x []float32, w *cpuTensor, T, K, N int) bool {
	if b.engine == nil || !w.weight || w.engineFailed {
		return false
	}
	if w.held == nil {
		var err error
		switch w.dt {
		case F32:
			w.held, err = b.engine.Hold(F32, N, K, w.f32, nil)
		case F16, BF16:
			w.held, err = b.engine.Hold(w.dt, N, K, nil, w.u16)
		default:
			return false
		}
		if err != nil || w.held == nil {
			w.held, w.engineFailed = nil, true
			return false
		}
	}
	if err := b.engine.MatMul(out, x, w.held, T); err != nil {
		panic(fmt.Errorf("tensor: %s MatMul: %w", b.engine.Name(), err))
	}
	return true
}
