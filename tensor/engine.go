package tensor

import (
	"fmt"

	"github.com/lamina-ml/lamina/kernels"
)

// MatMulEngine runs MatMul for the weights it holds a copy of: the wasm
// SIMD kernel module (package wasmsimd) is one. A CPU backend made by
// NewCPUWith hands it every Upload'ed 2-D F32/F16/BF16 weight (and, for a
// QuantEngine, every UploadQuant'ed one) the first time MatMul uses it as
// w, and keeps the Go kernels for everything else
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

// QuantEngine is a MatMulEngine that also holds quantized weights (Q8, Q4
// tensors of UploadQuant) and runs MatMul on them. Like a HeldReader's
// float weights, a quantized weight then lives once, in the engine: the
// CPU backend frees its Go copy and reads rows back with ReadHeldQuant
// where an op needs them (Embedding of a tied quantized table, Read).
type QuantEngine interface {
	MatMulEngine
	// HoldQuant copies w into the engine; an error means the CPU kernels
	// serve it.
	HoldQuant(w *kernels.QMatrix) (EngineWeight, error)
	// ReadHeldQuant returns rows [from, from+n) of a held quantized weight
	// as a QMatrix of n rows, codes and scales exactly as HoldQuant took
	// them.
	ReadHeldQuant(w EngineWeight, from, n int) (*kernels.QMatrix, error)
}

// FusedEngine is a MatMulEngine that also runs the fused ops of a
// decoder layer whose products it holds: the activations go into its
// memory once, and the norm and SiLU·mul run there too. Results must be
// the unfused ops' (the CPU backend's RMSNorm and SiLUMul, the engine's
// MatMul) bit for bit.
type FusedEngine interface {
	MatMulEngine
	// NormQKV is MatMulNormQKV: n = RMSNorm(x, normW, eps) (K = len(normW)),
	// q, k, v = n·wqᵀ, n·wkᵀ, n·wvᵀ; x (T,K).
	NormQKV(q, k, v, x, normW []float32, eps float32, wq, wk, wv EngineWeight, T int) error
	// NormSiLU is MatMulNormSiLU: out = SiLU(n·gateᵀ)·(n·upᵀ).
	NormSiLU(out, x, normW []float32, eps float32, gate, up EngineWeight, T int) error
}

// ActivationEngine is a MatMulEngine that also runs elementwise
// activations: the CPU backend's GeluTanh goes to it. Results must be
// kernels.GeluTanh's (the Go code the wasm build runs) bit for bit.
type ActivationEngine interface {
	MatMulEngine
	// GeluTanh sets out = gelu_tanh(x); out may be x.
	GeluTanh(out, x []float32) error
}

// BiasEngine is a MatMulEngine that also adds a product's bias itself
// (MatMul with a bias by a weight it holds), before the output leaves its
// memory. Results must be MatMul's plus the bias in f32, bit for bit.
type BiasEngine interface {
	MatMulEngine
	// MatMulBias computes out (T,N) = x (T,K) · wᵀ + bias (N).
	MatMulBias(out, x, bias []float32, w EngineWeight, T int) error
}

// EngineWeight is a MatMulEngine's handle on one weight.
type EngineWeight interface{}

// HeldReader is a MatMulEngine that can give back the values of the weights
// it holds. The CPU backend then frees its own copy of a weight once the
// engine holds it (the weights live once, in the engine's memory) and reads
// rows back through ReadHeld where an op needs them: Embedding of a tied
// table, Read. An op that needs the whole weight as Go values again (a
// weight used as an activation) restores the Go copy for good.
type HeldReader interface {
	// CanReadHeld says whether ReadHeld can give back w's rows exactly.
	CanReadHeld(w EngineWeight) bool
	// ReadHeld copies rows [from, from+n) of w (N,K) into f32 (an F32
	// weight's values) or u16 (an F16 or BF16 weight's bit patterns), n·K
	// values, exactly as Hold took them.
	ReadHeld(w EngineWeight, from, n int, f32 []float32, u16 []uint16) error
}

// NewCPUWith returns a CPU backend whose matrix products by uploaded
// weights run on e. It is the reference backend in every other respect.
func NewCPUWith(e MatMulEngine) Backend { return &cpuBackend{engine: e} }

// engineMatMul runs out = x·wᵀ on the engine when w is a weight it holds
// (or takes now); false means the CPU kernels must do it.
func (b *cpuBackend) engineMatMul(out, x []float32, w *cpuTensor, T, K, N int) bool {
	if !b.engineHold(w, K, N) {
		return false
	}
	if err := b.engine.MatMul(out, x, w.held, T); err != nil {
		panic(fmt.Errorf("tensor: %s MatMul: %w", b.engine.Name(), err))
	}
	return true
}

// engineHold says whether the engine holds w (N,K), handing it over the
// first time.
func (b *cpuBackend) engineHold(w *cpuTensor, K, N int) bool {
	if b.engine == nil || !w.weight || w.engineFailed || len(w.shape) != 2 || w.shape[0] != N || w.shape[1] != K {
		return false
	}
	if w.held != nil {
		return true
	}
	var err error
	switch w.dt {
	case F32:
		w.held, err = b.engine.Hold(F32, N, K, w.f32, nil)
	case F16, BF16:
		w.held, err = b.engine.Hold(w.dt, N, K, nil, w.u16)
	case Q8, Q4:
		qe, ok := b.engine.(QuantEngine)
		if !ok {
			w.engineFailed = true
			return false
		}
		if w.held, err = qe.HoldQuant(w.q); err == nil && w.held != nil {
			w.q, w.qreader = nil, qe
		}
	default:
		return false
	}
	if err != nil || w.held == nil {
		w.held, w.engineFailed = nil, true
		return false
	}
	if r, ok := b.engine.(HeldReader); ok && w.q == nil && w.qreader == nil && r.CanReadHeld(w.held) {
		w.f32, w.u16, w.reader = nil, nil, r
	}
	return true
}

// engineFused returns the engine as a FusedEngine when it is one and holds
// every w (rows of K = len(normW) columns, x being (T,K)) — handing them
// over now if need be; nil means the unfused ops must run.
func (b *cpuBackend) engineFused(x *cpuTensor, normW Tensor, ws ...Tensor) FusedEngine {
	fe, ok := b.engine.(FusedEngine)
	if !ok || ct(normW).dt != F32 || x.dt != F32 || len(x.shape) != 2 {
		return nil
	}
	K := len(ct(normW).f32)
	if x.cols() != K {
		return nil
	}
	for _, w := range ws {
		wc := ct(w)
		if len(wc.shape) != 2 || !b.engineHold(wc, K, wc.shape[0]) {
			return nil
		}
	}
	return fe
}

// EngineCache is an AttentionEngine's handle on its copy of a KV cache.
type EngineCache interface{}

// AttentionEngine is a MatMulEngine that also runs Attention, over copies
// of the KV caches in its own memory. The CPU backend keeps its Go copy of
// a cache authoritative and brings the engine's copy up to date before each
// Attention: only the rows written since (CopyRows, RoPEKV), all of them
// after any other op wrote the cache.
type AttentionEngine interface {
	// Attends says whether the engine runs Attention with these arguments.
	Attends(a AttentionArgs) bool
	// MirrorCache makes an engine copy of an (S,W) f32 cache.
	MirrorCache(S, W int) (EngineCache, error)
	// WriteCacheRows copies rows (a whole number of W-value rows) into
	// rows row, row+1, … of c.
	WriteCacheRows(c EngineCache, row int, rows []float32) error
	// Attention is Backend.Attention: out (T,H*D) from q (T,H*D) and the
	// caches' rows [0, a.Pos+T).
	Attention(out, q []float32, k, v EngineCache, a AttentionArgs) error
	// ReleaseCache frees a cache copy.
	ReleaseCache(c EngineCache)
}

// engineAttention runs Attention on the engine when it is an
// AttentionEngine that takes these arguments, after bringing the
// engine's copies of the caches up to rows [0, a.Pos+T); false means the Go
// kernels must do it.
func (b *cpuBackend) engineAttention(out, q []float32, kc, vc *cpuTensor, a AttentionArgs, T int) bool {
	ae, ok := b.engine.(AttentionEngine)
	if !ok || kc.mirrorFailed || vc.mirrorFailed || !ae.Attends(a) {
		return false
	}
	need := a.Pos + T
	for _, c := range []*cpuTensor{kc, vc} {
		if c.mirror == nil {
			m, err := ae.MirrorCache(c.rows(), c.cols())
			if err != nil || m == nil {
				c.mirrorFailed = true
				return false
			}
			c.mirror, c.synced = m, 0
		}
		if c.synced < need {
			W := c.cols()
			if err := ae.WriteCacheRows(c.mirror, c.synced, c.f32[c.synced*W:need*W]); err != nil {
				panic(fmt.Errorf("tensor: %s cache write: %w", b.engine.Name(), err))
			}
			c.synced = need
		}
	}
	if err := ae.Attention(out, q, kc.mirror, vc.mirror, a); err != nil {
		panic(fmt.Errorf("tensor: %s Attention: %w", b.engine.Name(), err))
	}
	return true
}

// restore gives a weight whose Go copy was freed (see HeldReader) its Go
// values back, for good: an op needs all of them as Go memory.
func (c *cpuTensor) restore() {
	if c.qreader != nil {
		c.q, c.qreader = c.heldQuant(0, c.rows()), nil
		return
	}
	if c.reader == nil {
		return
	}
	n := NumElements(c.shape)
	var f32 []float32
	var u16 []uint16
	if c.dt == F32 {
		f32 = make([]float32, n)
	} else {
		u16 = make([]uint16, n)
	}
	if err := c.reader.ReadHeld(c.held, 0, c.rows(), f32, u16); err != nil {
		panic(fmt.Errorf("tensor: reading a held weight back: %w", err))
	}
	c.f32, c.u16, c.reader = f32, u16, nil
}

// heldRows returns rows [from, from+n) of a weight whose Go copy was freed,
// read back from the engine, as a tensor of its dtype (F32 values or F16/BF16
// bits) whose Go slices the callers read.
func (c *cpuTensor) heldRows(from, n int) *cpuTensor {
	r := &cpuTensor{shape: []int{n, c.cols()}, dt: c.dt}
	if c.qreader != nil {
		r.q = c.heldQuant(from, n)
		return r
	}
	if c.dt == F32 {
		r.f32 = make([]float32, n*c.cols())
	} else {
		r.u16 = make([]uint16, n*c.cols())
	}
	if err := c.reader.ReadHeld(c.held, from, n, r.f32, r.u16); err != nil {
		panic(fmt.Errorf("tensor: reading rows of a held weight: %w", err))
	}
	return r
}

// heldQuant reads rows [from, from+n) of a quantized weight whose Go copy
// was freed back from the engine.
func (c *cpuTensor) heldQuant(from, n int) *kernels.QMatrix {
	q, err := c.qreader.ReadHeldQuant(c.held, from, n)
	if err == nil && q == nil {
		err = fmt.Errorf("no matrix")
	} else if err == nil && (q.N != n || q.K != c.cols()) {
		err = fmt.Errorf("(%d,%d) for (%d,%d)", q.N, q.K, n, c.cols())
	}
	if err != nil {
		panic(fmt.Errorf("tensor: reading rows of a held quantized weight: %w", err))
	}
	return q
}

// freedGo says whether the tensor's Go copy was freed for the engine's.
func (c *cpuTensor) freedGo() bool { return c.reader != nil || c.qreader != nil }

// NormEngine is a MatMulEngine that also runs LayerNorm: the CPU
// backend's LayerNorm and LayerNormGroups go to it. Results must be the CPU
// backend's bit for bit (its f64 sums, in its order).
type NormEngine interface {
	MatMulEngine
	// LayerNorm normalises every len(w)-wide row of x into out as the CPU
	// backend's LayerNorm does; b is nil or len(w) long; out may be x.
	// false (and no error): it did not (too few values to pay for the
	// call), and the CPU backend's Go code must.
	LayerNorm(out, x, w, b []float32, eps float32) (bool, error)
}

// RoPEEngine is a MatMulEngine that also runs RoPE: the CPU backend's
// RoPE (and so RoPEKV) goes to it. Results must be the CPU backend's bit
// for bit: the same angles, cosines and sines, the same f32 rotation.
type RoPEEngine interface {
	MatMulEngine
	// RoPE rotates x (T, heads·headDim) in place as Backend.RoPE does with
	// invFreq (headDim/2) from position pos0. false (and no error): it
	// did not, and the CPU backend's Go code must (angles it cannot take,
	// or too few rows to pay for the call: a decode step's).
	RoPE(x, invFreq []float32, heads, headDim, pos0 int) (bool, error)
}

// FullAttentionEngine is a MatMulEngine that also runs the bidirectional
// attention of DiffusionOps (AttentionFull, AttentionFullRows). Results
// must be the CPU backend's up to rounding (the summation order of the
// products).
type FullAttentionEngine interface {
	MatMulEngine
	// AttendsFull says whether AttentionFull takes Tq query rows and Tk
	// key rows of heads of headDim. The rows of a batch (GroupedDiffusionOps)
	// must come out as they do alone, so an engine whose results differ
	// from the Go code's in rounding should not decide by Tq.
	AttendsFull(heads, headDim, Tq, Tk int) bool
	// AttentionFull: q, out (Tq, heads·headDim), k and v (Tk,
	// heads·headDim); every query row attends to every key row.
	AttentionFull(out, q, k, v []float32, heads, headDim int, scale float32) error
}
