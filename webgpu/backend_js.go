//go:build js && wasm

package webgpu

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"syscall/js"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/promise"
	"github.com/lamina-ml/lamina/shaders"
	"github.com/lamina-ml/lamina/tensor"
)

const (
	// paramSlots is the capacity of the uniform ring in parameter blocks;
	// a command list that needs more is submitted early.
	paramSlots = 4096
	// hostIntsCap is the initial size (in u32) of the ring that carries
	// token ids of Embedding calls.
	hostIntsCap = 16384
	// matvecMaxRows: up to this many rows of x a matmul runs as matvecs
	// (decode); above it the tiled kernel wins.
	matvecMaxRows = 4
	// sampleMaxCandidates is the most tokens shaders/sample.wgsl draws
	// among: it sorts its candidates in one 256-thread workgroup.
	sampleMaxCandidates = 256
	// poolMaxBytes bounds the free buffers kept for reuse.
	poolMaxBytes = 256 << 20
	// argmaxChunk is the number of values one argmax1 workgroup reduces.
	argmaxChunk = 1024
)

// buffer is one GPU buffer in the JS registry.
type buffer struct {
	id   int // index in the registry
	js   js.Value
	size int // bytes (allocated, a multiple of 4)
	// poolable buffers (activations, temporaries) go back to the pool on
	// Free; uploaded ones (weights) are destroyed so a closed model's
	// memory is returned.
	poolable bool
	// uploaded buffers (Upload, UploadF32, UploadQuant) count in
	// Backend.UploadedBytes.
	uploaded bool
}

// gtensor is a WebGPU tensor: one buffer, or for weights too large for one
// storage binding, row-chunks of rowsPer rows each.
type gtensor struct {
	shape   []int
	dt      tensor.DType
	chunks  []*buffer
	rowsPer int
	freed   bool
	owner   *Backend
	// q is the row layout of a quantized (Q8, Q4) weight, nil otherwise.
	q *quantLayout
}

func (t *gtensor) Shape() []int        { return append([]int(nil), t.shape...) }
func (t *gtensor) DType() tensor.DType { return t.dt }
func (t *gtensor) cols() int {
	if len(t.shape) == 0 {
		return 1
	}
	return t.shape[len(t.shape)-1]
}
func (t *gtensor) rows() int {
	c := t.cols()
	if c == 0 {
		return 0
	}
	return tensor.NumElements(t.shape) / c
}
func (t *gtensor) n() int { return tensor.NumElements(t.shape) }

type kernelLayout struct {
	bgl, pl js.Value
	n       int
}

type bgKey struct {
	kernel string
	ids    [9]int // the largest layout (matvec3) has 9 bindings
}

// Backend is the WebGPU tensor.Backend (and tensor.FusedOps).
type Backend struct {
	d    *device
	opts Options

	reg     js.Value // JS array of GPU objects; Go refers to them by index
	regFree []int

	replay, mkBindGroup js.Value

	layouts    map[string]*kernelLayout
	pipelines  map[shaders.Key]int
	bindGroups map[bgKey]int
	bgByBuf    map[int][]bgKey

	paramBuf *buffer
	params   []byte
	hostBuf  *buffer
	hostInts []uint32
	cmds     []uint32
	cmdBytes []byte
	jsCmds   js.Value // Uint8Array mirror of cmds
	jsParams js.Value
	jsHost   js.Value
	dummy    *buffer

	pool      map[int][]*buffer
	poolBytes int
	doomed    []*buffer // destroyed after the next submit
	staging   map[int]*buffer

	err error

	uploadedBytes int64
}

var (
	_ tensor.Backend  = (*Backend)(nil)
	_ tensor.FusedOps = (*Backend)(nil)
	_ LossNotifier    = (*Backend)(nil)
	_ Device          = (*Backend)(nil)

	_ tensor.ReaderInto    = (*Backend)(nil)
	_ tensor.DiffusionOps  = (*Backend)(nil)
	_ tensor.QuantUploader = (*Backend)(nil)
)

// NewBackend opens the default WebGPU adapter and device with the adapter's
// limits and returns the WebGPU backend (Options' zero value). It returns an
// error wrapping ErrUnavailable when there is no WebGPU or no adapter.
func NewBackend(ctx context.Context) (tensor.Backend, error) {
	return NewBackendWithOptions(ctx, Options{})
}

// NewBackendWithOptions is NewBackend with Options.
func NewBackendWithOptions(ctx context.Context, o Options) (tensor.Backend, error) {
	d, err := openDevice(ctx, o)
	if err != nil {
		return nil, err
	}
	b := &Backend{
		d: d, opts: o,
		reg:        jsArray.New(),
		layouts:    map[string]*kernelLayout{},
		pipelines:  map[shaders.Key]int{},
		bindGroups: map[bgKey]int{},
		bgByBuf:    map[int][]bgKey{},
		pool:       map[int][]*buffer{},
		staging:    map[int]*buffer{},
	}
	b.replay = jsFunction.New("device", "queue", "reg", "cmds", "n", "pbuf", "pdata", "plen", "ibuf", "idata", "ilen", replaySource)
	b.mkBindGroup = jsFunction.New("device", "layout", "reg", "ids", "n", bindGroupSource)
	if b.paramBuf, err = b.newBuf(paramSlots*shaders.ParamStride, usageUniform|usageCopyDst, nil); err != nil {
		return nil, err
	}
	if b.hostBuf, err = b.newBuf(hostIntsCap*4, usageStorage|usageCopyDst, nil); err != nil {
		return nil, err
	}
	if b.dummy, err = b.newBuf(256, usageStorage, nil); err != nil {
		return nil, err
	}
	return b, nil
}

// Name reports "webgpu".
func (b *Backend) Name() string { return "webgpu" }

// AdapterInfo describes the adapter (vendor / architecture / device).
func (b *Backend) AdapterInfo() string { return b.d.adapterInfo }

// Adapter is what the adapter says about itself.
func (b *Backend) Adapter() AdapterInfo { return b.d.adapter }

// CheckBinding returns a *TooLargeError (ErrTooLarge) when a tensor of
// bytes that must be one storage binding (an activation: only weights are
// split) exceeds the device's limits; what names it in the error.
func (b *Backend) CheckBinding(what string, bytes int64) error {
	if bytes <= b.d.maxBinding {
		return nil
	}
	limit, max := b.d.limitFor(bytes)
	return &TooLargeError{Tensor: what, Bytes: bytes, Limit: limit, Max: max}
}

// MaxBufferSize is the largest buffer the backend creates: the device's
// maxBufferSize, or Options.MaxBufferSize when that is lower.
func (b *Backend) MaxBufferSize() int64 { return b.d.maxBuffer }

// HasFeature reports whether the device was created with a feature
// ("shader-f16", "subgroups").
func (b *Backend) HasFeature(f string) bool { return b.d.features[f] }

// MaxBindingSize is the largest storage binding the backend uses.
func (b *Backend) MaxBindingSize() int64 { return b.d.maxBinding }

// Lost implements LossNotifier.
func (b *Backend) Lost() <-chan struct{} { return b.d.lost }

// LostReason implements LossNotifier.
func (b *Backend) LostReason() string { return b.d.lostReason }

// Close destroys the device; the backend is unusable afterwards and Lost
// is closed (reason "destroyed").
func (b *Backend) Close() {
	b.d.dev.Call("destroy")
}

// Limits implements tensor.FusedOps: the fused kernels are matrix-vector
// kernels for up to matvecMaxRows rows (above that a fused op would fall
// back to a norm and a tiled matmul per projection, more dispatches than
// the plain path's one shared norm), and the sampler's workgroup holds
// sampleMaxCandidates candidates.
func (b *Backend) Limits() tensor.Limits {
	return tensor.Limits{FusedMaxRows: matvecMaxRows, SampleMaxCandidates: sampleMaxCandidates}
}

func (b *Backend) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

func (b *Backend) failf(format string, args ...any) {
	b.fail(fmt.Errorf("webgpu: "+format, args...))
}

// --- registry and buffers ---

func (b *Backend) put(v js.Value) int {
	if n := len(b.regFree); n > 0 {
		id := b.regFree[n-1]
		b.regFree = b.regFree[:n-1]
		b.reg.SetIndex(id, v)
		return id
	}
	id := b.reg.Length()
	b.reg.SetIndex(id, v)
	return id
}

func (b *Backend) release(id int) {
	b.reg.SetIndex(id, js.Undefined())
	b.regFree = append(b.regFree, id)
}

func (b *Backend) newBuf(size, usage int, data []byte) (*buffer, error) {
	v, err := b.d.newBuffer(size, usage, data)
	if err != nil {
		return nil, err
	}
	size = (size + 3) &^ 3
	if size == 0 {
		size = 4
	}
	return &buffer{id: b.put(v), js: v, size: size}, nil
}

const activationUsage = usageStorage | usageCopySrc | usageCopyDst

// poolSize rounds a request up so buffers of nearby sizes share a pool.
func poolSize(n int) int {
	if n <= 256 {
		return 256
	}
	return (n + 255) &^ 255
}

// activation returns a zero-filled buffer of at least n bytes: a fresh one
// (WebGPU zero-initialises) or a pooled one cleared by a recorded fill,
// which orders correctly after earlier recorded uses.
func (b *Backend) activation(n int) (*buffer, error) {
	if int64(n) > b.d.maxBinding {
		// An activation is one storage binding: it cannot be split.
		limit, max := b.d.limitFor(int64(n))
		return nil, &TooLargeError{Bytes: int64(n), Limit: limit, Max: max}
	}
	size := poolSize(n)
	if l := b.pool[size]; len(l) > 0 {
		buf := l[len(l)-1]
		b.pool[size] = l[:len(l)-1]
		b.poolBytes -= size
		b.fill(buf, size/4, 0)
		return buf, nil
	}
	buf, err := b.newBuf(size, activationUsage, nil)
	if err == nil {
		buf.poolable = true
	}
	return buf, err
}

func (b *Backend) countUpload(buf *buffer) {
	buf.uploaded = true
	b.uploadedBytes += int64(buf.size)
}

// UploadedBytes is the size of the GPU buffers that hold uploaded tensors
// (Upload, UploadF32, UploadQuant: a model's weights) not yet freed: a
// model's weight memory on the device.
func (b *Backend) UploadedBytes() int64 { return b.uploadedBytes }

func (b *Backend) destroyBuf(buf *buffer) {
	if buf.uploaded {
		buf.uploaded = false
		b.uploadedBytes -= int64(buf.size)
	}
	for _, k := range b.bgByBuf[buf.id] {
		if id, ok := b.bindGroups[k]; ok {
			b.release(id)
			delete(b.bindGroups, k)
		}
	}
	delete(b.bgByBuf, buf.id)
	buf.js.Call("destroy")
	b.release(buf.id)
}

// --- tensor construction ---

// naming fills in which tensor a *TooLargeError is about.
func naming(err error, dt tensor.DType, shape []int) error {
	var te *TooLargeError
	if errors.As(err, &te) && te.Tensor == "" {
		te.Tensor = fmt.Sprintf("%v %v", dt, shape)
	}
	return err
}

func (b *Backend) checkShape(shape []int) error {
	for _, s := range shape {
		if s < 0 {
			return fmt.Errorf("webgpu: negative dimension in shape %v", shape)
		}
	}
	return nil
}

// Upload copies host bytes into new buffers. Weights larger than the
// storage binding limit are split into row-chunks.
func (b *Backend) Upload(shape []int, dt tensor.DType, data []byte) (tensor.Tensor, error) {
	if err := b.checkShape(shape); err != nil {
		return nil, err
	}
	switch dt {
	case tensor.F32, tensor.F16, tensor.BF16, tensor.I32:
	default:
		return nil, fmt.Errorf("webgpu: upload of dtype %v is not supported", dt)
	}
	n := tensor.NumElements(shape)
	if len(data) != n*dt.Size() {
		return nil, fmt.Errorf("webgpu: upload of %v %v needs %d bytes, got %d", dt, shape, n*dt.Size(), len(data))
	}
	t := &gtensor{shape: append([]int(nil), shape...), dt: dt, owner: b}
	return b.uploadRows(t, t.cols()*dt.Size(), data)
}

// uploadRows fills t's buffers with data, rows of rowBytes each, split
// into row-chunks when it exceeds the binding limit.
func (b *Backend) uploadRows(t *gtensor, rowBytes int, data []byte) (tensor.Tensor, error) {
	dt, shape, rows := t.dt, t.shape, t.rows()
	t.rowsPer = rows
	if int64(len(data)) > b.d.weightChunk {
		if rowBytes == 0 || int64(rowBytes) > b.d.weightChunk {
			// Weights are split by rows, so one row is the smallest piece.
			te := &TooLargeError{Tensor: fmt.Sprintf("one row of %v %v", dt, shape), Bytes: int64(rowBytes), Limit: "Options.MaxBindingSize", Max: b.d.weightChunk}
			if int64(rowBytes) > b.d.maxBinding {
				te.Limit, te.Max = b.d.limitFor(int64(rowBytes))
			}
			return nil, te
		}
		t.rowsPer = int(b.d.weightChunk / int64(rowBytes))
	}
	if t.rowsPer == 0 {
		t.rowsPer = 1
	}
	for r := 0; r < rows || (r == 0 && rows == 0); r += t.rowsPer {
		hi := min(rows, r+t.rowsPer)
		buf, err := b.newBuf(max((hi-r)*rowBytes, 4), activationUsage, data[r*rowBytes:hi*rowBytes])
		if err != nil {
			b.freeChunks(t)
			return nil, naming(err, dt, shape)
		}
		b.countUpload(buf)
		t.chunks = append(t.chunks, buf)
		if rows == 0 {
			break
		}
	}
	return t, nil
}

// UploadQuant implements tensor.QuantUploader: w is kept quantized on the
// GPU, its codes packed in u32 words next to each row's scales (and mins)
// — the layout of quant.go, read by the q8/q4 weight formats of
// shaders/weights.wgsl — so the buffer is as large as w itself
// (QMatrix.Bytes), never widened. MatMul, the fused matmuls and Embedding
// take the tensor; Read dequantizes it on the host.
func (b *Backend) UploadQuant(w *kernels.QMatrix) (tensor.Tensor, error) {
	if w == nil {
		return nil, errors.New("webgpu: UploadQuant of a nil matrix")
	}
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("webgpu: %w", err)
	}
	l := layoutOf(w)
	dt := tensor.Q4
	if w.Bits == 8 {
		dt = tensor.Q8
	}
	t := &gtensor{shape: []int{w.N, w.K}, dt: dt, owner: b, q: &l}
	return b.uploadRows(t, l.rowBytes(), l.pack(w))
}

// UploadF32 copies f32 values into a new tensor.
func (b *Backend) UploadF32(shape []int, data []float32) (tensor.Tensor, error) {
	if err := b.checkShape(shape); err != nil {
		return nil, err
	}
	if n := tensor.NumElements(shape); len(data) != n {
		return nil, fmt.Errorf("webgpu: upload of F32 %v needs %d values, got %d", shape, n, len(data))
	}
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	if int64(len(raw)) > b.d.maxBinding {
		return b.Upload(shape, tensor.F32, raw)
	}
	buf, err := b.newBuf(len(raw), activationUsage, raw)
	if err != nil {
		return nil, naming(err, tensor.F32, shape)
	}
	b.countUpload(buf)
	t := &gtensor{shape: append([]int(nil), shape...), dt: tensor.F32, chunks: []*buffer{buf}, owner: b}
	t.rowsPer = t.rows()
	return t, nil
}

// Zeros allocates a zero-filled f32 tensor (from the buffer pool).
func (b *Backend) Zeros(shape ...int) (tensor.Tensor, error) {
	return b.zeros(tensor.F32, shape)
}

// ZerosI32 allocates a zero-filled I32 tensor of length n.
func (b *Backend) ZerosI32(n int) (tensor.Tensor, error) {
	return b.zeros(tensor.I32, []int{n})
}

func (b *Backend) zeros(dt tensor.DType, shape []int) (tensor.Tensor, error) {
	if err := b.checkShape(shape); err != nil {
		return nil, err
	}
	t := &gtensor{shape: append([]int(nil), shape...), dt: dt, owner: b}
	buf, err := b.activation(4 * t.n())
	if err != nil {
		return nil, naming(err, dt, shape)
	}
	t.chunks = []*buffer{buf}
	t.rowsPer = t.rows()
	return t, nil
}

// Free returns a tensor's buffers to the pool (or destroys them after the
// next submit when the pool is full or they are weight chunks).
func (b *Backend) Free(t tensor.Tensor) {
	g, ok := t.(*gtensor)
	if !ok || g.freed || g.owner != b {
		return
	}
	g.freed = true
	b.freeChunks(g)
}

func (b *Backend) freeChunks(g *gtensor) {
	for _, c := range g.chunks {
		if c.poolable && b.poolBytes+c.size <= poolMaxBytes {
			b.pool[c.size] = append(b.pool[c.size], c)
			b.poolBytes += c.size
			continue
		}
		if len(b.cmds) == 0 {
			// No recorded command uses it; WebGPU itself keeps it alive
			// for work already submitted (destroy is deferred until then).
			b.destroyBuf(c)
			continue
		}
		b.doomed = append(b.doomed, c)
	}
	g.chunks = nil
}

// --- recording ---

// tens validates a tensor argument of an op.
func (b *Backend) tens(t tensor.Tensor, op string) *gtensor {
	if b.err != nil {
		return nil
	}
	if t == nil {
		b.failf("%s: nil tensor", op)
		return nil
	}
	g, ok := t.(*gtensor)
	if !ok {
		b.failf("%s: %T is not a WebGPU tensor", op, t)
		return nil
	}
	if g.owner != b {
		b.failf("%s: tensor belongs to another backend", op)
		return nil
	}
	if g.freed {
		b.failf("%s: use of a freed tensor", op)
		return nil
	}
	return g
}

// act validates an f32, single-buffer tensor (an activation).
func (b *Backend) act(t tensor.Tensor, op string) *gtensor {
	g := b.tens(t, op)
	if g == nil {
		return nil
	}
	if g.dt != tensor.F32 {
		b.failf("%s needs an F32 tensor, got %v", op, g.dt)
		return nil
	}
	if len(g.chunks) != 1 {
		b.failf("%s: tensor %v is split over %d buffers; only MatMul and Embedding take split weights", op, g.shape, len(g.chunks))
		return nil
	}
	return g
}

func (b *Backend) buf(g *gtensor) int { return g.chunks[0].id }

func (b *Backend) kernelLayout(name string) (*kernelLayout, error) {
	if l, ok := b.layouts[name]; ok {
		return l, nil
	}
	bindings, ok := shaders.Kernels[name]
	if !ok {
		return nil, fmt.Errorf("webgpu: unknown kernel %q", name)
	}
	bgl, pl, err := b.d.layout(bindings)
	if err != nil {
		return nil, err
	}
	l := &kernelLayout{bgl: bgl, pl: pl, n: len(bindings)}
	b.layouts[name] = l
	return l, nil
}

func (b *Backend) pipeline(k shaders.Key) (int, *kernelLayout, error) {
	l, err := b.kernelLayout(k.Kernel)
	if err != nil {
		return 0, nil, err
	}
	if id, ok := b.pipelines[k]; ok {
		return id, l, nil
	}
	p, err := b.d.pipeline(k, l.pl)
	if err != nil {
		return 0, nil, err
	}
	id := b.put(p)
	b.pipelines[k] = id
	return id, l, nil
}

// bindGroup returns the cached bind group for kernel with buffers ids
// (bindings 1..); binding 0 is always the parameter ring. -1 binds the
// dummy buffer.
func (b *Backend) bindGroup(kernel string, l *kernelLayout, ids []int) (int, error) {
	var k bgKey
	k.kernel = kernel
	k.ids[0] = b.paramBuf.id
	for i := 1; i < l.n; i++ {
		id := b.dummy.id
		if i-1 < len(ids) && ids[i-1] >= 0 {
			id = ids[i-1]
		}
		k.ids[i] = id
	}
	if id, ok := b.bindGroups[k]; ok {
		return id, nil
	}
	u := jsUint32Array.New(l.n)
	for i := 0; i < l.n; i++ {
		u.SetIndex(i, k.ids[i])
	}
	var bg js.Value
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("webgpu: createBindGroup %s: %v", kernel, r)
			}
		}()
		bg = b.mkBindGroup.Invoke(b.d.dev, l.bgl, b.reg, u, l.n)
	}()
	if err != nil {
		return 0, err
	}
	id := b.put(bg)
	b.bindGroups[k] = id
	seen := map[int]bool{}
	for i := 0; i < l.n; i++ {
		if !seen[k.ids[i]] {
			seen[k.ids[i]] = true
			b.bgByBuf[k.ids[i]] = append(b.bgByBuf[k.ids[i]], k)
		}
	}
	return id, nil
}

// dispatch records one kernel launch. params are the 32-bit words of the
// kernel's Params struct; ids are the buffers of bindings 1.. (-1: dummy).
func (b *Backend) dispatch(k shaders.Key, ids []int, params []uint32, x, y, z int) {
	if b.err != nil {
		return
	}
	if x == 0 || y == 0 || z == 0 {
		return
	}
	pipe, l, err := b.pipeline(k)
	if err != nil {
		b.fail(err)
		return
	}
	bg, err := b.bindGroup(k.Kernel, l, ids)
	if err != nil {
		b.fail(err)
		return
	}
	if len(b.params)+shaders.ParamStride > paramSlots*shaders.ParamStride {
		if err := b.submit(); err != nil {
			b.fail(err)
			return
		}
	}
	off := len(b.params)
	b.params = append(b.params, make([]byte, shaders.ParamStride)...)
	for i, w := range params {
		binary.LittleEndian.PutUint32(b.params[off+4*i:], w)
	}
	b.cmds = append(b.cmds, opDispatch, uint32(pipe), uint32(bg), uint32(off), uint32(x), uint32(y), uint32(z))
}

// dispatch1D launches ceil(n/256) workgroups of 256 threads, folded into
// a 2-D grid when that exceeds maxComputeWorkgroupsPerDimension.
func (b *Backend) dispatch1D(k shaders.Key, ids []int, params []uint32, n int) {
	groups := (n + 255) / 256
	x, y := groups, 1
	if lim := b.d.maxWorkgroupsX; groups > lim {
		x = lim
		y = (groups + lim - 1) / lim
	}
	b.dispatch(k, ids, params, x, y, 1)
}

func f32bits(f float32) uint32 { return math.Float32bits(f) }

func (b *Backend) fill(buf *buffer, words int, v uint32) {
	b.dispatch1D(shaders.Key{Kernel: "fill"}, []int{-1, -1, buf.id}, []uint32{uint32(words), v}, words)
}

// copyWords records dst[dstOff..] = src[srcOff..] for n 32-bit words.
func (b *Backend) copyWords(dst *buffer, dstOff int, src *buffer, srcOff, n int) {
	if src.id == dst.id {
		tmp, err := b.activation(4 * n)
		if err != nil {
			b.fail(err)
			return
		}
		b.copyWords(tmp, 0, src, srcOff, n)
		b.copyWords(dst, dstOff, tmp, 0, n)
		b.recycle(tmp)
		return
	}
	b.dispatch1D(shaders.Key{Kernel: "copy"}, []int{src.id, -1, dst.id}, []uint32{uint32(n), uint32(srcOff), uint32(dstOff)}, n)
}

// recycle returns a temporary buffer to the pool; later users clear it with
// a recorded fill, so pending reads of it stay ordered.
func (b *Backend) recycle(buf *buffer) {
	b.pool[buf.size] = append(b.pool[buf.size], buf)
	b.poolBytes += buf.size
}

// temp is an activation buffer for an intermediate value.
func (b *Backend) temp(nFloats int) *buffer {
	buf, err := b.activation(4 * nFloats)
	if err != nil {
		b.fail(err)
		return nil
	}
	return buf
}

// submit sends the recorded commands to the queue.
func (b *Backend) submit() error {
	if b.d.isLost() {
		return fmt.Errorf("%w: %s", ErrDeviceLost, b.d.lostReason)
	}
	if len(b.cmds) > 0 || len(b.params) > 0 {
		plen := len(b.params)
		if plen > 0 {
			if b.jsParams.IsUndefined() || b.jsParams.Length() < plen {
				b.jsParams = jsUint8Array.New(paramSlots * shaders.ParamStride)
			}
			js.CopyBytesToJS(b.jsParams, b.params)
		}
		ilen := 4 * len(b.hostInts)
		if ilen > 0 {
			if ilen > b.hostBuf.size {
				return fmt.Errorf("webgpu: internal: %d host ints exceed the ring of %d bytes", len(b.hostInts), b.hostBuf.size)
			}
			raw := make([]byte, ilen)
			for i, v := range b.hostInts {
				binary.LittleEndian.PutUint32(raw[4*i:], v)
			}
			if b.jsHost.IsUndefined() || b.jsHost.Length() < ilen {
				b.jsHost = jsUint8Array.New(max(ilen, hostIntsCap*4))
			}
			js.CopyBytesToJS(b.jsHost, raw)
		}
		n := len(b.cmds)
		if cap(b.cmdBytes) < 4*n {
			b.cmdBytes = make([]byte, 4*n*2)
		}
		cb := b.cmdBytes[:4*n]
		for i, w := range b.cmds {
			binary.LittleEndian.PutUint32(cb[4*i:], w)
		}
		if b.jsCmds.IsUndefined() || b.jsCmds.Get("byteLength").Int() < 4*n {
			b.jsCmds = jsUint8Array.New(max(4*n*2, 4096))
		}
		js.CopyBytesToJS(b.jsCmds, cb)
		u32 := jsUint32Array.New(b.jsCmds.Get("buffer"), 0, n)
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("webgpu: submit: %v", r)
				}
			}()
			b.replay.Invoke(b.d.dev, b.d.queue, b.reg, u32, n, b.paramBuf.js, b.jsParams, plen, b.hostBuf.js, b.jsHost, ilen)
		}()
		b.cmds = b.cmds[:0]
		b.params = b.params[:0]
		b.hostInts = b.hostInts[:0]
		if err != nil {
			return err
		}
	}
	for _, buf := range b.doomed {
		b.destroyBuf(buf)
	}
	b.doomed = b.doomed[:0]
	if err := b.d.takeUncaptured(); err != nil {
		return err
	}
	return nil
}

// Flush submits the recorded work without waiting for it.
func (b *Backend) Flush() error {
	if b.err == nil {
		b.err = b.submit()
	}
	return b.takeErr()
}

// takeErr returns the first error recorded since the last synchronisation
// and forgets it, dropping the work recorded after it: ops have no error
// results, so a misuse surfaces at the next Read/ReadInts/Flush, and the
// backend stays usable afterwards.
func (b *Backend) takeErr() error {
	err := b.err
	if err != nil {
		b.err = nil
		b.cmds = b.cmds[:0]
		b.params = b.params[:0]
		b.hostInts = b.hostInts[:0]
	}
	return err
}

// hostIDs appends ids to the per-submit host-int ring and returns their
// offset (in u32) in it.
func (b *Backend) hostIDs(ids []int32) int {
	if len(ids) > b.hostBuf.size/4 {
		if err := b.submit(); err != nil {
			b.fail(err)
			return 0
		}
		nb, err := b.newBuf(4*len(ids)*2, usageStorage|usageCopyDst, nil)
		if err != nil {
			b.fail(err)
			return 0
		}
		b.doomed = append(b.doomed, b.hostBuf)
		b.hostBuf = nb
	} else if len(b.hostInts)+len(ids) > b.hostBuf.size/4 {
		if err := b.submit(); err != nil {
			b.fail(err)
			return 0
		}
	}
	off := len(b.hostInts)
	for _, id := range ids {
		b.hostInts = append(b.hostInts, uint32(id))
	}
	return off
}

// --- reading ---

func (b *Backend) stagingBuf(size int) (*buffer, error) {
	s := 256
	for s < size {
		s *= 2
	}
	if int64(s) > b.d.devMaxBuffer && int64(size) <= b.d.devMaxBuffer {
		s = (size + 3) &^ 3 // the power of two would not fit; the exact size does
	}
	if buf, ok := b.staging[s]; ok {
		return buf, nil
	}
	buf, err := b.newBuf(s, usageMapRead|usageCopyDst, nil)
	if err != nil {
		return nil, err
	}
	b.staging[s] = buf
	return buf, nil
}

// readBytes copies size bytes at off of buf back to the host.
func (b *Backend) readBytes(buf *buffer, off, size int) ([]byte, error) {
	out := make([]byte, size)
	if size == 0 {
		return out, b.Flush()
	}
	st, err := b.stagingBuf(size)
	if err != nil {
		return nil, err
	}
	b.cmds = append(b.cmds, opCopy, uint32(buf.id), uint32(off), uint32(st.id), 0, uint32(size))
	if err := b.Flush(); err != nil {
		return nil, err
	}
	p, err := jsCall(st.js, "mapAsync", mapModeRead, 0, size)
	if err != nil {
		return nil, err
	}
	if _, err := promise.Await(p); err != nil {
		if b.d.isLost() {
			return nil, fmt.Errorf("%w: %s", ErrDeviceLost, b.d.lostReason)
		}
		return nil, fmt.Errorf("webgpu: mapAsync: %v", err)
	}
	js.CopyBytesToGo(out, jsUint8Array.New(st.js.Call("getMappedRange", 0, size)))
	st.js.Call("unmap")
	if err := b.d.takeUncaptured(); err != nil {
		return nil, err
	}
	return out, nil
}

// Read waits for the recorded work and returns rows [from, from+n) of t as
// f32 (n < 0: to the end). F16, BF16 and I32 tensors are converted.
func (b *Backend) Read(t tensor.Tensor, from, n int) ([]float32, error) {
	if b.err != nil {
		return nil, b.takeErr()
	}
	g := b.tens(t, "Read")
	if g == nil {
		return nil, b.takeErr()
	}
	rows, cols := g.rows(), g.cols()
	if n < 0 {
		n = rows - from
	}
	if from < 0 || n < 0 || from+n > rows {
		return nil, fmt.Errorf("webgpu: read rows [%d,%d) of a tensor with %d rows", from, from+n, rows)
	}
	if g.q != nil {
		return b.readQuant(g, from, n)
	}
	out := make([]float32, 0, n*cols)
	es := g.dt.Size()
	for r := from; r < from+n; {
		ci := r / g.rowsPer
		hi := min(from+n, (ci+1)*g.rowsPer)
		lo := (r - ci*g.rowsPer) * cols * es
		size := (hi - r) * cols * es
		// Copies need 4-byte aligned offsets and sizes: widen, then trim.
		alo, ahi := lo&^3, (lo+size+3)&^3
		raw, err := b.readBytes(g.chunks[ci], alo, ahi-alo)
		if err != nil {
			return nil, err
		}
		raw = raw[lo-alo : lo-alo+size]
		for i := 0; i < size/es; i++ {
			switch g.dt {
			case tensor.F32:
				out = append(out, math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
			case tensor.I32:
				out = append(out, float32(int32(binary.LittleEndian.Uint32(raw[4*i:]))))
			case tensor.F16:
				out = append(out, kernels.F16ToF32(binary.LittleEndian.Uint16(raw[2*i:])))
			case tensor.BF16:
				out = append(out, kernels.BF16ToF32(binary.LittleEndian.Uint16(raw[2*i:])))
			}
		}
		r = hi
	}
	return out, nil
}

// readQuant reads rows [from, from+n) of a quantized tensor and widens
// them to f32 on the host.
func (b *Backend) readQuant(g *gtensor, from, n int) ([]float32, error) {
	K, rb := g.cols(), g.q.rowBytes()
	out := make([]float32, n*K)
	for r := from; r < from+n; {
		ci := r / g.rowsPer
		hi := min(from+n, (ci+1)*g.rowsPer)
		raw, err := b.readBytes(g.chunks[ci], (r-ci*g.rowsPer)*rb, (hi-r)*rb)
		if err != nil {
			return nil, err
		}
		for i := r; i < hi; i++ {
			g.q.dequantRow(out[(i-from)*K:(i-from+1)*K], raw[(i-r)*rb:(i-r+1)*rb])
		}
		r = hi
	}
	return out, nil
}

// ReadInto is Read into a caller-owned slice of exactly the right length
// (tensor.ReaderInto).
func (b *Backend) ReadInto(dst []float32, t tensor.Tensor, from, n int) error {
	v, err := b.Read(t, from, n)
	if err != nil {
		return err
	}
	if len(dst) != len(v) {
		return fmt.Errorf("webgpu: ReadInto needs %d values of room, got %d", len(v), len(dst))
	}
	copy(dst, v)
	return nil
}

// ReadInts waits for the recorded work and returns an I32 tensor's values.
func (b *Backend) ReadInts(t tensor.Tensor) ([]int32, error) {
	if b.err != nil {
		return nil, b.takeErr()
	}
	g := b.tens(t, "ReadInts")
	if g == nil {
		return nil, b.takeErr()
	}
	if g.dt != tensor.I32 {
		return nil, fmt.Errorf("webgpu: ReadInts of a %v tensor", g.dt)
	}
	raw, err := b.readBytes(g.chunks[0], 0, 4*g.n())
	if err != nil {
		return nil, err
	}
	out := make([]int32, g.n())
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out, nil
}
