//go:build js && wasm

package webgpu

import (
	"context"
	"fmt"
	"strings"
	"syscall/js"

	"github.com/lamina-ml/lamina/promise"
	"github.com/lamina-ml/lamina/shaders"
)

// JS constructors and globals, looked up once.
var (
	jsObject      = js.Global().Get("Object")
	jsArray       = js.Global().Get("Array")
	jsUint8Array  = js.Global().Get("Uint8Array")
	jsUint32Array = js.Global().Get("Uint32Array")
	jsFunction    = js.Global().Get("Function")
)

// WebGPU enum bits (https://www.w3.org/TR/webgpu/#buffer-usage,
// #shader-stage, #map-mode). Numeric so Dawn's Node object works without
// its globals installed.
const (
	usageMapRead  = 0x0001
	usageCopySrc  = 0x0004
	usageCopyDst  = 0x0008
	usageUniform  = 0x0040
	usageStorage  = 0x0080
	stageCompute  = 0x4
	mapModeRead   = 0x1
	opDispatch    = 1
	opCopy        = 2
	dispatchWords = 7
	copyWords     = 6
	// oomScopeBytes: buffers from this size on are created inside an
	// out-of-memory error scope, so running out of GPU memory on them is
	// an ErrTooLarge from the call that made them.
	oomScopeBytes = 32 << 20
)

// jsCall calls a method and turns a thrown JS exception into an error.
func jsCall(obj js.Value, method string, args ...any) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("webgpu: %s: %v", method, r)
		}
	}()
	return obj.Call(method, args...), nil
}

func obj(kv ...any) js.Value {
	o := jsObject.New()
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

func arr(items ...any) js.Value {
	a := jsArray.New(len(items))
	for i, it := range items {
		a.SetIndex(i, it)
	}
	return a
}

// device is an opened GPUDevice with the limits and features it was
// created with.
type device struct {
	dev, queue  js.Value
	adapter     AdapterInfo
	adapterInfo string
	features    map[string]bool
	// Limits actually granted (the adapter's, requested explicitly).
	devMaxBuffer   int64 // the device's maxBufferSize: no buffer is larger
	maxBuffer      int64 // tensors' limit: devMaxBuffer or Options.MaxBufferSize when lower
	maxBinding     int64 // min(maxStorageBufferBindingSize, maxBuffer)
	weightChunk    int64 // weights above this are split (maxBinding or Options.MaxBindingSize)
	maxWorkgroupsX int
	storageAlign   int

	lost       chan struct{}
	lostReason string
	uncaptured string // first uncaptured error since the last report
	// uncapturedOOM: that error was a GPUOutOfMemoryError (a buffer under
	// oomScopeBytes, or a pipeline, that did not fit).
	uncapturedOOM bool
	errFn         js.Func
}

// limitNames are the limits requested at the adapter's values instead of
// the WebGPU defaults (a default device gets 128 MiB storage bindings even
// on a GPU that allows 4 GiB).
var limitNames = []string{
	"maxStorageBufferBindingSize", "maxBufferSize", "maxComputeWorkgroupStorageSize",
	"maxComputeInvocationsPerWorkgroup", "maxComputeWorkgroupSizeX", "maxComputeWorkgroupSizeY",
	"maxComputeWorkgroupSizeZ", "maxComputeWorkgroupsPerDimension", "maxStorageBuffersPerShaderStage",
	"maxUniformBufferBindingSize", "maxBindGroups",
}

func openDevice(ctx context.Context, o Options) (*device, error) {
	nav := js.Global().Get("navigator")
	if nav.Type() != js.TypeObject {
		return nil, fmt.Errorf("%w: no navigator", ErrUnavailable)
	}
	gpu := nav.Get("gpu")
	if gpu.Type() != js.TypeObject {
		return nil, fmt.Errorf("%w: no navigator.gpu", ErrUnavailable)
	}
	ropts := jsObject.New()
	if o.PowerPreference != "" {
		ropts.Set("powerPreference", o.PowerPreference)
	}
	p, err := jsCall(gpu, "requestAdapter", ropts)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	adapter, err := promise.AwaitContext(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("%w: requestAdapter: %v", ErrUnavailable, err)
	}
	if adapter.Type() != js.TypeObject {
		return nil, fmt.Errorf("%w: requestAdapter returned no adapter", ErrUnavailable)
	}
	d := &device{features: map[string]bool{}, lost: make(chan struct{})}
	d.adapter = readAdapterInfo(adapter)
	d.adapterInfo = d.adapter.String()
	if o.RejectSoftware && d.adapter.Software() {
		return nil, &SoftwareAdapterError{Adapter: d.adapter}
	}
	limits := adapter.Get("limits")
	req := jsObject.New()
	for _, name := range limitNames {
		if v := limits.Get(name); v.Type() == js.TypeNumber {
			req.Set(name, v)
		}
	}
	if o.MaxBufferSize > 0 {
		for _, name := range []string{"maxBufferSize", "maxStorageBufferBindingSize"} {
			if v := req.Get(name); v.Type() == js.TypeNumber && int64(v.Float()) > o.MaxBufferSize {
				req.Set(name, o.MaxBufferSize)
			}
		}
	}
	feats := []any{}
	for _, f := range []string{"shader-f16", "subgroups"} {
		if adapter.Get("features").Call("has", f).Bool() {
			feats = append(feats, f)
			d.features[f] = true
		}
	}
	p, err = jsCall(adapter, "requestDevice", obj("requiredLimits", req, "requiredFeatures", arr(feats...)))
	if err != nil {
		return nil, err
	}
	dev, err := promise.AwaitContext(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("webgpu: requestDevice: %v", err)
	}
	d.dev = dev
	d.queue = dev.Get("queue")
	dl := dev.Get("limits")
	d.devMaxBuffer = int64(dl.Get("maxBufferSize").Float())
	d.maxBuffer = d.devMaxBuffer
	if o.MaxBufferSize > 0 && o.MaxBufferSize < d.maxBuffer {
		d.maxBuffer = o.MaxBufferSize
	}
	d.maxBinding = int64(dl.Get("maxStorageBufferBindingSize").Float())
	if d.maxBuffer < d.maxBinding {
		d.maxBinding = d.maxBuffer
	}
	d.weightChunk = d.maxBinding
	if o.MaxBindingSize > 0 && o.MaxBindingSize < d.maxBinding {
		d.weightChunk = o.MaxBindingSize
	}
	d.maxWorkgroupsX = dl.Get("maxComputeWorkgroupsPerDimension").Int()
	d.storageAlign = dl.Get("minStorageBufferOffsetAlignment").Int()

	d.errFn = js.FuncOf(func(this js.Value, args []js.Value) any {
		if d.uncaptured == "" && len(args) > 0 {
			e := args[0].Get("error")
			d.uncaptured = promise.ErrorString(e)
			d.uncapturedOOM = e.Get("constructor").Get("name").String() == "GPUOutOfMemoryError"
		}
		return nil
	})
	if dev.Get("addEventListener").Type() == js.TypeFunction {
		dev.Call("addEventListener", "uncapturederror", d.errFn)
	} else {
		dev.Set("onuncapturederror", d.errFn)
	}
	go func() {
		info, err := promise.Await(dev.Get("lost"))
		if err != nil {
			d.lostReason = err.Error()
		} else if info.Type() == js.TypeObject {
			d.lostReason = fmt.Sprintf("%s: %s", info.Get("reason").String(), info.Get("message").String())
		}
		close(d.lost)
		// A lost device reports no more errors (WebGPU §22.4), so the
		// handler can go.
		d.errFn.Release()
	}()
	return d, nil
}

// readAdapterInfo reads GPUAdapter.info (and the older
// GPUAdapter.isFallbackAdapter, which browsers had before info did).
func readAdapterInfo(adapter js.Value) AdapterInfo {
	var a AdapterInfo
	str := func(o js.Value, k string) string {
		if v := o.Get(k); v.Type() == js.TypeString {
			return v.String()
		}
		return ""
	}
	if info := adapter.Get("info"); info.Type() == js.TypeObject {
		a.Vendor, a.Architecture = str(info, "vendor"), str(info, "architecture")
		a.Device, a.Description = str(info, "device"), str(info, "description")
		a.IsFallbackAdapter = info.Get("isFallbackAdapter").Type() == js.TypeBoolean && info.Get("isFallbackAdapter").Bool()
	}
	if v := adapter.Get("isFallbackAdapter"); v.Type() == js.TypeBoolean && v.Bool() {
		a.IsFallbackAdapter = true
	}
	return a
}

// limitFor is the limit a piece of size bytes that must be one storage
// binding goes over (call it only when size > d.maxBinding).
func (d *device) limitFor(size int64) (string, int64) {
	if size > d.maxBuffer {
		return "maxBufferSize", d.maxBuffer
	}
	return "maxStorageBufferBindingSize", d.maxBinding
}

// takeUncaptured reports an uncaptured device error once.
func (d *device) takeUncaptured() error {
	if d.uncaptured == "" {
		return nil
	}
	err := fmt.Errorf("webgpu: %s", d.uncaptured)
	if d.uncapturedOOM {
		err = &TooLargeError{Tensor: "a buffer of the last commands", Limit: "GPU memory", Detail: d.uncaptured}
	}
	d.uncaptured, d.uncapturedOOM = "", false
	return err
}

func (d *device) isLost() bool {
	select {
	case <-d.lost:
		return true
	default:
		return false
	}
}

// newBuffer makes a buffer; with data it is filled through
// mappedAtCreation (no staging copy, no queue ordering concerns).
func (d *device) newBuffer(size int, usage int, data []byte) (js.Value, error) {
	size = (size + 3) &^ 3
	if size == 0 {
		size = 4
	}
	if int64(size) > d.devMaxBuffer {
		return js.Undefined(), &TooLargeError{Bytes: int64(size), Limit: "maxBufferSize", Max: d.devMaxBuffer}
	}
	mapped := data != nil
	// Only large buffers are created inside an out-of-memory error scope:
	// popErrorScope is a round trip to the GPU process (measured ~67 ms in
	// headless Chromium), and running out of memory on a small buffer
	// still surfaces, as an uncaptured error at the next submit.
	scoped := size >= oomScopeBytes
	if scoped {
		d.dev.Call("pushErrorScope", "out-of-memory")
	}
	b, err := d.createBuffer(size, usage, mapped)
	if scoped {
		oom, serr := promise.Await(d.dev.Call("popErrorScope"))
		if err == nil && serr == nil && oom.Type() == js.TypeObject {
			err = &TooLargeError{Bytes: int64(size), Limit: "GPU memory", Detail: promise.ErrorString(oom)}
		}
	}
	if err != nil {
		return js.Undefined(), err
	}
	if mapped {
		u8 := jsUint8Array.New(b.Call("getMappedRange"))
		if len(data) > 0 {
			js.CopyBytesToJS(u8, data)
		}
		b.Call("unmap")
	}
	return b, nil
}

// createBuffer calls GPUDevice.createBuffer. It throws a RangeError when
// mappedAtCreation cannot be honoured for lack of memory
// (https://www.w3.org/TR/webgpu/#dom-gpudevice-createbuffer): that is an
// ErrTooLarge; any other exception a plain error.
func (d *device) createBuffer(size, usage int, mapped bool) (b js.Value, err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if je, ok := r.(js.Error); ok && je.Value.Type() == js.TypeObject && je.Value.Get("name").String() == "RangeError" {
			err = &TooLargeError{Bytes: int64(size), Limit: "GPU memory", Detail: promise.ErrorString(je.Value)}
			return
		}
		err = fmt.Errorf("webgpu: createBuffer: %v", r)
	}()
	return d.dev.Call("createBuffer", obj("size", size, "usage", usage, "mappedAtCreation", mapped)), nil
}

// pipeline compiles a kernel variant with an explicit layout, surfacing
// WGSL compilation errors (getCompilationInfo) and pipeline errors (the
// rejected createComputePipelineAsync promise) as Go errors.
func (d *device) pipeline(k shaders.Key, layout js.Value) (js.Value, error) {
	src, err := shaders.Source(k)
	if err != nil {
		return js.Undefined(), err
	}
	return d.compile(k.String(), src, layout)
}

// compile builds a compute pipeline (entry point main) from WGSL source.
// Module and pipeline creation run inside a validation error scope, so a
// bad shader becomes this call's error instead of an uncaptured device
// error that would fail the next submit.
func (d *device) compile(label, src string, layout js.Value) (js.Value, error) {
	d.dev.Call("pushErrorScope", "validation")
	pipe, err := d.compileScoped(label, src, layout)
	scoped, serr := promise.Await(d.dev.Call("popErrorScope"))
	if err == nil && serr == nil && scoped.Type() == js.TypeObject {
		err = fmt.Errorf("webgpu: %s: %s", label, scoped.Get("message").String())
	}
	if err != nil {
		return js.Undefined(), err
	}
	return pipe, nil
}

func (d *device) compileScoped(label, src string, layout js.Value) (js.Value, error) {
	mod, err := jsCall(d.dev, "createShaderModule", obj("code", src, "label", label))
	if err != nil {
		return js.Undefined(), err
	}
	if mod.Get("getCompilationInfo").Type() == js.TypeFunction {
		info, err := promise.Await(mod.Call("getCompilationInfo"))
		if err == nil {
			msgs := info.Get("messages")
			var errs []string
			for i := 0; i < msgs.Length(); i++ {
				m := msgs.Index(i)
				if m.Get("type").String() == "error" {
					errs = append(errs, fmt.Sprintf("%d:%d: %s", m.Get("lineNum").Int(), m.Get("linePos").Int(), m.Get("message").String()))
				}
			}
			if len(errs) > 0 {
				return js.Undefined(), fmt.Errorf("webgpu: compile %s: %s", label, strings.Join(errs, "; "))
			}
		}
	}
	desc := obj("layout", layout, "compute", obj("module", mod, "entryPoint", "main"), "label", label)
	p, err := jsCall(d.dev, "createComputePipelineAsync", desc)
	if err != nil {
		return js.Undefined(), err
	}
	pipe, err := promise.Await(p)
	if err != nil {
		return js.Undefined(), fmt.Errorf("webgpu: pipeline %s: %v", label, err)
	}
	return pipe, nil
}

// layout makes the bind-group and pipeline layouts of one kernel.
func (d *device) layout(bindings []shaders.Binding) (bgl, pl js.Value, err error) {
	entries := jsArray.New(len(bindings))
	for i, b := range bindings {
		var buf js.Value
		switch b {
		case shaders.Uniform:
			buf = obj("type", "uniform", "hasDynamicOffset", true)
		case shaders.ReadOnly:
			buf = obj("type", "read-only-storage")
		default:
			buf = obj("type", "storage")
		}
		entries.SetIndex(i, obj("binding", i, "visibility", stageCompute, "buffer", buf))
	}
	bgl, err = jsCall(d.dev, "createBindGroupLayout", obj("entries", entries))
	if err != nil {
		return
	}
	pl, err = jsCall(d.dev, "createPipelineLayout", obj("bindGroupLayouts", arr(bgl)))
	return
}

// replaySource is the one JS function that turns the Go-side command list
// into a command encoder and submits it, so recording an op costs no JS
// calls at all. cmds holds opDispatch (pipeline, bindGroup, dynamic
// offset, x, y, z) and opCopy (src, srcOffset, dst, dstOffset, size)
// records; objects are indexes into reg.
const replaySource = `
if (plen > 0) queue.writeBuffer(pbuf, 0, pdata, 0, plen);
if (ilen > 0) queue.writeBuffer(ibuf, 0, idata, 0, ilen);
const enc = device.createCommandEncoder();
let pass = null, last = -1;
let i = 0;
while (i < n) {
  if (cmds[i] === 1) {
    if (pass === null) { pass = enc.beginComputePass(); last = -1; }
    if (cmds[i+1] !== last) { last = cmds[i+1]; pass.setPipeline(reg[last]); }
    // The sequence overload: every implementation has it (Dawn's Node
    // addon included); the Uint32Array one is rarer.
    pass.setBindGroup(0, reg[cmds[i+2]], [cmds[i+3]]);
    pass.dispatchWorkgroups(cmds[i+4], cmds[i+5], cmds[i+6]);
    i += 7;
  } else {
    if (pass !== null) { pass.end(); pass = null; }
    enc.copyBufferToBuffer(reg[cmds[i+1]], cmds[i+2], reg[cmds[i+3]], cmds[i+4], cmds[i+5]);
    i += 6;
  }
}
if (pass !== null) pass.end();
queue.submit([enc.finish()]);
`

// bindGroupSource creates a bind group from registry indexes; entry 0 is
// the parameter ring bound with a 256-byte window (dynamic offset).
const bindGroupSource = `
const entries = [{binding: 0, resource: {buffer: reg[ids[0]], offset: 0, size: 256}}];
for (let i = 1; i < n; i++) entries.push({binding: i, resource: {buffer: reg[ids[i]]}});
return device.createBindGroup({layout, entries});
`
