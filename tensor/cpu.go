package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"

	"github.com/lamina-ml/lamina/kernels"
)

// NewCPU returns the pure-Go reference backend. Ops run synchronously on the
// calling goroutine; large matrix products and attention are split across
// GOMAXPROCS goroutines (one under js/wasm, where GOMAXPROCS is 1).
func NewCPU() Backend { return &cpuBackend{} }

// guard is deferred by every op: a misuse (shapes that do not match, a
// freed tensor or one of another backend) panics inside the op, and guard
// turns it into the sticky error of Backend's error contract.
func (b *cpuBackend) guard() {
	if r := recover(); r != nil {
		err, ok := r.(error)
		if !ok {
			err = fmt.Errorf("%v", r)
		}
		b.mu.Lock()
		if b.err == nil {
			b.err = err
		}
		b.mu.Unlock()
	}
}

// guardErr is guard for the synchronisation points, which return the error.
func (b *cpuBackend) guardErr(err *error) {
	if r := recover(); r != nil {
		e, ok := r.(error)
		if !ok {
			e = fmt.Errorf("%v", r)
		}
		*err = e
	}
}

// takeErr returns the first error recorded since the last synchronisation
// and forgets it.
func (b *cpuBackend) takeErr() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	err := b.err
	b.err = nil
	return err
}

// cpuBackend is the reference implementation of Backend. Every tensor owns
// its memory; the backend only keeps the sticky error of the contract.
type cpuBackend struct {
	mu  sync.Mutex
	err error // first op failure since the last Read, ReadInts or Flush
	// engine, when set, runs the products by uploaded weights (NewCPUWith).
	engine MatMulEngine
}

// cpuTensor stores exactly one of its slices, chosen by dt: f32 for F32,
// u16 (bit patterns) for F16 and BF16, i32 for I32, raw for I8 and U8.
type cpuTensor struct {
	shape []int
	dt    DType
	f32   []float32
	u16   []uint16
	i32   []int32
	raw   []byte
	q     *kernels.QMatrix // Q8, Q4
	freed bool
	// weight marks a 2-D tensor made by Upload, which a MatMulEngine may
	// hold a copy of (held); engineFailed records that it turned it down.
	weight       bool
	held         EngineWeight
	engineFailed bool
	// reader is set once the engine holds the weight and the Go copy (f32
	// or u16) was freed: its values are read back from the engine.
	reader HeldReader
	// qreader is reader's counterpart for a quantized weight (q freed).
	qreader QuantEngine
	// mirror is an AttentionEngine's copy of a KV cache; its rows
	// [0, synced) equal the Go copy's (see engineAttention).
	mirror       EngineCache
	synced       int
	mirrorFailed bool
}

func (t *cpuTensor) Shape() []int { return t.shape }
func (t *cpuTensor) DType() DType { return t.dt }

// rows and cols view a tensor as 2-D: the last dimension is the row width
// and all leading ones are rows. A 1-D tensor is one row.
func (t *cpuTensor) cols() int {
	if len(t.shape) == 0 {
		return 1
	}
	return t.shape[len(t.shape)-1]
}

func (t *cpuTensor) rows() int {
	c := t.cols()
	if c == 0 {
		return 0
	}
	return NumElements(t.shape) / c
}

func (b *cpuBackend) Name() string {
	if b.engine != nil {
		return b.engine.Name()
	}
	return "cpu"
}

// ct converts a Tensor to the CPU type; a tensor from another backend or a
// freed one is a programming error, so it panics with a clear message.
func ct(t Tensor) *cpuTensor {
	c, ok := t.(*cpuTensor)
	if !ok {
		panic(fmt.Sprintf("tensor: %T is not a CPU tensor", t))
	}
	if c.freed {
		panic("tensor: use of a freed tensor")
	}
	return c
}

// f32Data returns an activation's values; ops on activations require F32.
// The op may write them, so an engine's mirror of the tensor is stale from
// here on (see engineAttention).
func f32Data(t Tensor, op string) []float32 {
	c := f32Peek(t, op)
	c.synced = 0
	return c.f32
}

// f32Peek is f32Data for an op that reads the values, or writes only rows
// it tells the mirror about (CopyRows).
func f32Peek(t Tensor, op string) *cpuTensor {
	c := ct(t)
	if c.dt != F32 {
		panic(fmt.Sprintf("tensor: %s needs an F32 tensor, got %v", op, c.dt))
	}
	c.restore()
	return c
}

func checkShape(shape []int) error {
	for _, s := range shape {
		if s < 0 {
			return fmt.Errorf("tensor: negative dimension in shape %v", shape)
		}
	}
	return nil
}

func (b *cpuBackend) Upload(shape []int, dt DType, data []byte) (Tensor, error) {
	if err := checkShape(shape); err != nil {
		return nil, err
	}
	switch dt {
	case F32, F16, BF16, I8, U8, I32:
	default:
		return nil, fmt.Errorf("tensor: upload of unknown dtype %v", dt)
	}
	n := NumElements(shape)
	if len(data) != n*dt.Size() {
		return nil, fmt.Errorf("tensor: upload of %v %v needs %d bytes, got %d", dt, shape, n*dt.Size(), len(data))
	}
	t := &cpuTensor{shape: append([]int(nil), shape...), dt: dt, weight: len(shape) == 2}
	switch dt {
	case F32:
		t.f32 = make([]float32, n)
		for i := range t.f32 {
			t.f32[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
	case F16, BF16:
		t.u16 = make([]uint16, n)
		for i := range t.u16 {
			t.u16[i] = binary.LittleEndian.Uint16(data[2*i:])
		}
	case I32:
		t.i32 = make([]int32, n)
		for i := range t.i32 {
			t.i32[i] = int32(binary.LittleEndian.Uint32(data[4*i:]))
		}
	case I8, U8:
		t.raw = append([]byte(nil), data...)
	}
	return t, nil
}

// UploadQuant implements QuantUploader: the tensor keeps w itself.
func (b *cpuBackend) UploadQuant(w *kernels.QMatrix) (Tensor, error) {
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("tensor: %w", err)
	}
	dt := Q4
	if w.Bits == 8 {
		dt = Q8
	}
	return &cpuTensor{shape: []int{w.N, w.K}, dt: dt, q: w, weight: true}, nil
}

func (b *cpuBackend) UploadF32(shape []int, data []float32) (Tensor, error) {
	if err := checkShape(shape); err != nil {
		return nil, err
	}
	if n := NumElements(shape); len(data) != n {
		return nil, fmt.Errorf("tensor: upload of F32 %v needs %d values, got %d", shape, n, len(data))
	}
	return &cpuTensor{shape: append([]int(nil), shape...), dt: F32, f32: append([]float32(nil), data...)}, nil
}

func (b *cpuBackend) Zeros(shape ...int) (Tensor, error) {
	if err := checkShape(shape); err != nil {
		return nil, err
	}
	return &cpuTensor{shape: append([]int(nil), shape...), dt: F32, f32: make([]float32, NumElements(shape))}, nil
}

func (b *cpuBackend) ZerosI32(n int) (Tensor, error) {
	if n < 0 {
		return nil, fmt.Errorf("tensor: negative length %d", n)
	}
	return &cpuTensor{shape: []int{n}, dt: I32, i32: make([]int32, n)}, nil
}

func (b *cpuBackend) Free(t Tensor) {
	defer b.guard()
	c := ct(t)
	if c.held != nil {
		b.engine.Release(c.held)
		c.held = nil
	}
	if c.mirror != nil {
		b.engine.(AttentionEngine).ReleaseCache(c.mirror)
		c.mirror = nil
	}
	c.f32, c.u16, c.i32, c.raw, c.q, c.reader, c.qreader = nil, nil, nil, nil, nil, nil, nil
	c.freed = true
}

// rowRange resolves Read's (from, n) against a tensor's rows.
func rowRange(c *cpuTensor, from, n int) (int, int, error) {
	rows := c.rows()
	if n < 0 {
		n = rows - from
	}
	if from < 0 || n < 0 || from+n > rows {
		return 0, 0, fmt.Errorf("tensor: read rows [%d,%d) of a tensor with %d rows", from, from+n, rows)
	}
	return from * c.cols(), (from + n) * c.cols(), nil
}

func (b *cpuBackend) Read(t Tensor, from, n int) (_ []float32, err error) {
	defer b.guardErr(&err)
	if err := b.takeErr(); err != nil {
		return nil, err
	}
	c := ct(t)
	lo, hi, err := rowRange(c, from, n)
	if err != nil {
		return nil, err
	}
	out := make([]float32, hi-lo)
	return out, readInto(out, c, lo, hi)
}

// ReadInto is Read into a caller-owned slice of exactly the right length, so
// a decode loop can fetch logits without allocating. It implements
// ReaderInto.
func (b *cpuBackend) ReadInto(dst []float32, t Tensor, from, n int) (err error) {
	defer b.guardErr(&err)
	if err := b.takeErr(); err != nil {
		return err
	}
	c := ct(t)
	lo, hi, err := rowRange(c, from, n)
	if err != nil {
		return err
	}
	if len(dst) != hi-lo {
		return fmt.Errorf("tensor: ReadInto needs %d values of room, got %d", hi-lo, len(dst))
	}
	return readInto(dst, c, lo, hi)
}

func readInto(out []float32, c *cpuTensor, lo, hi int) error {
	if c.freedGo() && hi > lo {
		K := c.cols()
		c, lo, hi = c.heldRows(lo/K, (hi-lo)/K), 0, hi-lo
	}
	switch c.dt {
	case F32:
		copy(out, c.f32[lo:hi])
	case F16:
		for i, h := range c.u16[lo:hi] {
			out[i] = kernels.F16ToF32(h)
		}
	case BF16:
		for i, h := range c.u16[lo:hi] {
			out[i] = kernels.BF16ToF32(h)
		}
	case I32:
		for i, v := range c.i32[lo:hi] {
			out[i] = float32(v)
		}
	case I8:
		for i, v := range c.raw[lo:hi] {
			out[i] = float32(int8(v))
		}
	case U8:
		for i, v := range c.raw[lo:hi] {
			out[i] = float32(v)
		}
	case Q8, Q4:
		// lo and hi are whole rows (rowRange).
		K := c.q.K
		if K > 0 {
			c.q.DequantizeRows(out, lo/K, hi/K)
		}
	}
	return nil
}

func (b *cpuBackend) ReadInts(t Tensor) (_ []int32, err error) {
	defer b.guardErr(&err)
	if err := b.takeErr(); err != nil {
		return nil, err
	}
	c := ct(t)
	if c.dt != I32 {
		return nil, fmt.Errorf("tensor: ReadInts of a %v tensor", c.dt)
	}
	return append([]int32(nil), c.i32...), nil
}

// tableRow widens row r of a (V,C) table of any float dtype into dst (C).
func tableRow(dst []float32, c *cpuTensor, r int) {
	C := c.cols()
	if c.freedGo() {
		c, r = c.heldRows(r, 1), 0
	}
	switch c.dt {
	case F32:
		copy(dst, c.f32[r*C:r*C+C])
	case F16:
		for i, h := range c.u16[r*C : r*C+C] {
			dst[i] = kernels.F16ToF32(h)
		}
	case BF16:
		for i, h := range c.u16[r*C : r*C+C] {
			dst[i] = kernels.BF16ToF32(h)
		}
	case Q8, Q4:
		c.q.DequantizeRows(dst[:C], r, r+1)
	default:
		panic(fmt.Sprintf("tensor: embedding table of dtype %v", c.dt))
	}
}

// Embedding: table (V,C), out (T,C), ids has T entries.
func (b *cpuBackend) Embedding(out, table Tensor, ids []int32) {
	defer b.guard()
	o := f32Data(out, "Embedding")
	tb := ct(table)
	C := tb.cols()
	if len(o) != len(ids)*C {
		panic(fmt.Sprintf("tensor: Embedding out %v for %d ids of width %d", ct(out).shape, len(ids), C))
	}
	for t, id := range ids {
		tableRow(o[t*C:t*C+C], tb, int(id))
	}
}

// RMSNorm: x, out (T,C); w (C).
func (b *cpuBackend) RMSNorm(out, x, w Tensor, eps float32) {
	defer b.guard()
	o, xv := f32Data(out, "RMSNorm"), f32Data(x, "RMSNorm")
	wv := f32Data(w, "RMSNorm")
	C := len(wv)
	for r := 0; r+C <= len(xv); r += C {
		row := xv[r : r+C]
		var ss float64
		for _, v := range row {
			ss += float64(v) * float64(v)
		}
		inv := float32(1 / math.Sqrt(ss/float64(C)+float64(eps)))
		orow := o[r : r+C]
		for i, v := range row {
			orow[i] = v * inv * wv[i]
		}
	}
}

// RMSNormHeads normalises every len(w)-wide chunk (head) of x's rows
// separately with the one weight w (Qwen3's q_norm and k_norm): x, out
// (T, H·D); w (D). out may alias x. It is model.HeadRMSNormer.
func (b *cpuBackend) RMSNormHeads(out, x, w Tensor, eps float32) {
	defer b.guard()
	o, xv := f32Data(out, "RMSNormHeads"), f32Data(x, "RMSNormHeads")
	wv := f32Data(w, "RMSNormHeads")
	if len(wv) == 0 || len(o) != len(xv) || len(x.Shape()) != 2 || x.Shape()[1]%len(wv) != 0 {
		panic(fmt.Sprintf("tensor: RMSNormHeads: x %v, w %v, out %v do not fit x, out (T,H·D), w (D)", x.Shape(), w.Shape(), out.Shape()))
	}
	b.RMSNorm(out, x, w, eps)
}

// LayerNorm: x, out (T,C); w, b (C).
func (b *cpuBackend) LayerNorm(out, x, w, bias Tensor, eps float32) {
	defer b.guard()
	o, xv := f32Data(out, "LayerNorm"), f32Data(x, "LayerNorm")
	wv := f32Data(w, "LayerNorm")
	var bv []float32
	if bias != nil {
		bv = f32Data(bias, "LayerNorm")
	}
	b.layerNormRows(o, xv, wv, bv, eps)
}

// layerNormRows runs layerNormRows on the engine when it is a
// NormEngine and the rows fit, else in Go.
func (b *cpuBackend) layerNormRows(o, xv, wv, bv []float32, eps float32) {
	if re, ok := b.engine.(NormEngine); ok && len(wv) > 0 && len(xv)%len(wv) == 0 && len(o) == len(xv) && (bv == nil || len(bv) == len(wv)) {
		done, err := re.LayerNorm(o, xv, wv, bv, eps)
		if err != nil {
			panic(fmt.Errorf("tensor: %s LayerNorm: %w", b.engine.Name(), err))
		}
		if done {
			return
		}
	}
	layerNormRows(o, xv, wv, bv, eps)
}

// RoPE rotates x (T, heads*D) in place; invFreq is (D/2).
func (b *cpuBackend) RoPE(x, invFreq Tensor, heads, headDim, pos0 int) {
	defer b.guard()
	xv := f32Data(x, "RoPE")
	fv := f32Data(invFreq, "RoPE")
	half := headDim / 2
	W := heads * headDim
	if len(fv) != half || len(xv)%W != 0 {
		panic(fmt.Sprintf("tensor: RoPE of x %v with %d heads of %d and invFreq %v", ct(x).shape, heads, headDim, ct(invFreq).shape))
	}
	T := len(xv) / W
	if re, ok := b.engine.(RoPEEngine); ok && half > 0 {
		done, err := re.RoPE(xv, fv, heads, headDim, pos0)
		if err != nil {
			panic(fmt.Errorf("tensor: %s RoPE: %w", b.engine.Name(), err))
		}
		if done {
			return
		}
	}
	for t := 0; t < T; t++ {
		p := float32(pos0 + t)
		for j := 0; j < half; j++ {
			// The angle is formed in f32 like transformers does
			// (inv_freq @ position_ids in float32), then cos/sin.
			ang := float64(p * fv[j])
			cos, sin := float32(math.Cos(ang)), float32(math.Sin(ang))
			for h := 0; h < heads; h++ {
				base := t*W + h*headDim
				a, c := xv[base+j], xv[base+j+half]
				xv[base+j] = a*cos - c*sin
				xv[base+j+half] = c*cos + a*sin
			}
		}
	}
}

// CopyRows copies n rows of src from srcRow into dst at dstRow.
func (b *cpuBackend) CopyRows(dst Tensor, dstRow int, src Tensor, srcRow, n int) {
	defer b.guard()
	dc := f32Peek(dst, "CopyRows")
	d, s := dc.f32, f32Peek(src, "CopyRows").f32
	dc.synced = min(dc.synced, max(dstRow, 0))
	W := ct(src).cols()
	if ct(dst).cols() != W {
		panic(fmt.Sprintf("tensor: CopyRows between widths %d and %d", ct(dst).cols(), W))
	}
	copy(d[dstRow*W:(dstRow+n)*W], s[srcRow*W:(srcRow+n)*W])
}

// Add: out = a + b.
func (b *cpuBackend) Add(out, a, bb Tensor) {
	defer b.guard()
	o, av, bv := f32Data(out, "Add"), f32Data(a, "Add"), f32Data(bb, "Add")
	if len(av) != len(o) || len(bv) != len(o) {
		panic("tensor: Add of different sizes")
	}
	for i := range o {
		o[i] = av[i] + bv[i]
	}
}

// GeluTanh: out = 0.5x(1+tanh(sqrt(2/π)(x+0.044715x³))).
func (b *cpuBackend) GeluTanh(out, x Tensor) {
	defer b.guard()
	o, xv := f32Data(out, "GeluTanh"), f32Data(x, "GeluTanh")
	if len(xv) != len(o) {
		panic(fmt.Sprintf("tensor: GeluTanh x %v, out %v", ct(x).shape, ct(out).shape))
	}
	if ae, ok := b.engine.(ActivationEngine); ok {
		if err := ae.GeluTanh(o, xv); err != nil {
			panic(fmt.Errorf("tensor: %s GeluTanh: %w", b.engine.Name(), err))
		}
		return
	}
	kernels.GeluTanh(o, xv)
}

// Scale: x *= s in place (Gemma 3's embedding scale). It is part of
// model.GemmaOps.
func (b *cpuBackend) Scale(x Tensor, s float32) {
	defer b.guard()
	for i, v := range f32Data(x, "Scale") {
		ct(x).f32[i] = v * s
	}
}

// GeluTanhMul: out = gelu_tanh(gate) * up (Gemma 3's GeGLU); out may alias
// gate or up. It is part of model.GemmaOps.
func (b *cpuBackend) GeluTanhMul(out, gate, up Tensor) {
	defer b.guard()
	o, g, u := f32Data(out, "GeluTanhMul"), f32Data(gate, "GeluTanhMul"), f32Data(up, "GeluTanhMul")
	if len(g) != len(o) || len(u) != len(o) {
		panic(fmt.Sprintf("tensor: GeluTanhMul gate %v, up %v, out %v", ct(gate).shape, ct(up).shape, ct(out).shape))
	}
	if len(o) > 0 && &o[0] == &u[0] {
		// out is up: gelu(gate) goes to scratch, leaving gate as it was.
		sp := scratchPool.Get().(*[]float32)
		defer scratchPool.Put(sp)
		if cap(*sp) < len(o) {
			*sp = make([]float32, len(o))
		}
		s := (*sp)[:len(o)]
		kernels.GeluTanh(s, g)
		for i := range o {
			o[i] = s[i] * u[i]
		}
		return
	}
	kernels.GeluTanh(o, g)
	for i := range o {
		o[i] *= u[i]
	}
}

// SiLUMul: out = silu(gate) * up.
func (b *cpuBackend) SiLUMul(out, gate, up Tensor) {
	defer b.guard()
	o, g, u := f32Data(out, "SiLUMul"), f32Data(gate, "SiLUMul"), f32Data(up, "SiLUMul")
	if len(g) != len(o) || len(u) != len(o) {
		panic(fmt.Sprintf("tensor: SiLUMul gate %v, up %v, out %v", ct(gate).shape, ct(up).shape, ct(out).shape))
	}
	kernels.SiLUMul(o, g, u)
}

// Argmax: x (T,N) → out I32 (T), lowest index on ties. NaN never wins.
func (b *cpuBackend) Argmax(out, x Tensor) {
	defer b.guard()
	oc := ct(out)
	if oc.dt != I32 {
		panic("tensor: Argmax output must be I32")
	}
	xc := ct(x)
	xv := f32Data(x, "Argmax")
	N := xc.cols()
	T := xc.rows()
	if len(oc.i32) != T {
		panic(fmt.Sprintf("tensor: Argmax of %d rows into %d", T, len(oc.i32)))
	}
	for t := 0; t < T; t++ {
		row := xv[t*N : t*N+N]
		best := 0
		for i, v := range row {
			if v > row[best] || (row[best] != row[best] && v == v) {
				best = i
			}
		}
		oc.i32[t] = int32(best)
	}
}
