//go:build js && wasm

// Command lamina.wasm is lamina's browser runtime. site/lamina-engine.mjs
// starts it with argv[1] naming a global function, which main calls with
// the API object below and then keeps the program alive.
//
// Every function that computes returns a Promise and does its work in a
// goroutine: a js.FuncOf callback must never block, because the WebGPU
// backend awaits Promises, which resolve only once control is back in the
// JS event loop. The synchronous ones (tokenizer, handles) return an Error
// object instead of throwing, since a Go callback cannot throw.
package main

import (
	"context"
	"os"
	"syscall/js"
	"time"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/promise"
	"github.com/lamina-ml/lamina/wasmsimd"
	"github.com/lamina-ml/lamina/webgpu"
)

// JS globals looked up once.
var (
	jsObject       = js.Global().Get("Object")
	jsPromise      = js.Global().Get("Promise")
	jsError        = js.Global().Get("Error")
	jsUint8Array   = js.Global().Get("Uint8Array")
	jsInt32Array   = js.Global().Get("Int32Array")
	jsFloat32Array = js.Global().Get("Float32Array")
	jsMessageChan  = js.Global().Get("MessageChannel")
	jsSetTimeout   = js.Global().Get("setTimeout")
)

var reg = newRegistry(webgpu.NewBackendWithOptions)

// consoleError logs msg with console.error. (Writing to os.Stderr would put
// *os.File in an io.Writer and link os's file methods, internal/poll and
// syscall's file system: 4 KB of lamina.wasm's brotli download.)
func consoleError(msg string) { js.Global().Get("console").Call("error", msg) }

func main() {
	if len(os.Args) < 2 || js.Global().Get(os.Args[1]).Type() != js.TypeFunction {
		consoleError("lamina.wasm: start me through lamina.mjs (argv[1] must name the registration callback)")
		return
	}
	api := jsObject.New()
	// These js.Funcs live as long as the program, so they are never released.
	for name, fn := range map[string]func(args []js.Value) any{
		"createRuntime":    createRuntime,
		"runtimeBackend":   runtimeBackend,
		"loadModel":        loadModel,
		"loadGGUF":         loadGGUF,
		"logits":           logits,
		"layers":           layers,
		"generate":         generate,
		"chat":             chat,
		"disposeModel":     func(a []js.Value) any { reg.disposeModel(a[0].Int()); return nil },
		"disposeRuntime":   disposeRuntime,
		"loadTokenizer":    loadTokenizer,
		"modelTokenizer":   modelTokenizer,
		"encode":           encode,
		"decode":           decode,
		"disposeTokenizer": func(a []js.Value) any { reg.disposeTokenizer(a[0].Int()); return nil },
		"loadSVGModel":     loadSVGModel,
		"svgRun":           svgRun,
		"svgModelBackend":  svgModelBackend,
		"disposeSVGModel":  disposeSVGModel,
	} {
		api.Set(name, js.FuncOf(guard(name, fn)))
	}
	js.Global().Call(os.Args[1], api)
	select {} // serve calls until the page goes away
}

// guard turns a panic in a synchronous call (a bad argument type, say)
// into an Error result instead of letting it kill the Go program, which
// would break every later call.
func guard(name string, fn func(args []js.Value) any) func(js.Value, []js.Value) any {
	return func(_ js.Value, args []js.Value) (out any) {
		defer func() {
			if r := recover(); r != nil {
				out = newJSError(coded(codeBadInput, "lamina: %s: %v", name, r))
			}
		}()
		return fn(args)
	}
}

// newJSError makes an Error with .code for the JS side.
func newJSError(err error) js.Value {
	e := jsError.New(err.Error())
	e.Set("code", errorCode(err))
	return e
}

// async runs fn in a goroutine and returns a Promise of its result; errors reject it with
// an Error carrying .code, a panic as codeInternal.
func async(name string, fn func() (any, error)) js.Value {
	return promise.New(fn, func(err error) js.Value {
		if pe, ok := err.(*promise.PanicError); ok {
			err = coded(codeInternal, "lamina: %s: internal error: %v", name, pe.Value)
		}
		return newJSError(err)
	})
}

// yielder hands control back to the JS event loop from a goroutine, so
// that abort signals, worker messages and rendering get to run during a
// long CPU generation. A MessageChannel message is used instead of
// setTimeout(0), which browsers clamp to 4 ms once nested.
type yielder struct {
	port js.Value
	wake chan struct{}
	fn   js.Func
	last time.Time
}

// yieldEvery bounds how long Go keeps the event loop waiting.
const yieldEvery = 8 * time.Millisecond

func newYielder() *yielder {
	y := &yielder{wake: make(chan struct{}, 1), last: time.Now()}
	y.fn = js.FuncOf(func(js.Value, []js.Value) any {
		select {
		case y.wake <- struct{}{}:
		default:
		}
		return nil
	})
	if jsMessageChan.Type() == js.TypeFunction {
		ch := jsMessageChan.New()
		ch.Get("port1").Set("onmessage", y.fn)
		y.port = ch.Get("port2")
	}
	return y
}

// maybeYield yields when Go has held the event loop for yieldEvery.
func (y *yielder) maybeYield() {
	if time.Since(y.last) < yieldEvery {
		return
	}
	if y.port.Truthy() {
		y.port.Call("postMessage", nil)
	} else {
		jsSetTimeout.Invoke(y.fn, 0)
	}
	<-y.wake
	y.last = time.Now()
}

func (y *yielder) release() {
	if y.port.Truthy() {
		y.port.Call("close")
	}
	y.fn.Release()
}

// createRuntime(mode, limits {maxBufferSize} | undefined, threads | undefined)
// → Promise<{id, backend, adapter: JSON string | null, threads}>. threads is
// how many threads wasm-simd may run on (lamina-engine.mjs resolves
// 'auto'); the result's threads what it got (0 off wasm-simd).
func createRuntime(a []js.Value) any {
	mode := a[0].String()
	var limits gpuLimits
	if len(a) > 1 && a[1].Type() == js.TypeObject {
		if v := a[1].Get("maxBufferSize"); v.Type() == js.TypeNumber {
			limits.MaxBufferSize = int64(v.Float())
		}
	}
	ctx := context.Background()
	if len(a) > 2 && a[2].Type() == js.TypeNumber {
		ctx = wasmsimd.WithThreads(ctx, a[2].Int())
	}
	return async("createRuntime", func() (any, error) {
		id, backend, err := reg.createRuntimeWith(ctx, mode, limits)
		if err != nil {
			return nil, err
		}
		rt, err := reg.runtime(id)
		if err != nil {
			return nil, err
		}
		adapter := any(nil)
		if info := rt.adapterInfo(); info != nil {
			// software says why an auto runtime may run on the CPU.
			type jsAdapter struct {
				webgpu.AdapterInfo
				Software bool `json:"software"`
			}
			if adapter, err = jsonString(jsAdapter{*info, info.Software()}); err != nil {
				return nil, err
			}
		}
		return map[string]any{"id": id, "backend": backend, "adapter": adapter, "threads": rt.threadCount()}, nil
	})
}

func runtimeBackend(a []js.Value) any {
	rt, err := reg.runtime(a[0].Int())
	if err != nil {
		return newJSError(err)
	}
	return rt.backendName()
}

func disposeRuntime(a []js.Value) any {
	id := a[0].Int()
	// Freeing GPU buffers may wait on the device: not in the callback.
	return async("dispose", func() (any, error) {
		reg.disposeRuntime(id)
		return nil, nil
	})
}

// filesFromJS copies {name: Uint8Array} into Go.
func filesFromJS(v js.Value) (memFS, error) {
	files := memFS{}
	keys := jsObject.Call("keys", v)
	for i := 0; i < keys.Length(); i++ {
		name := keys.Index(i).String()
		f := v.Get(name)
		if !f.InstanceOf(jsUint8Array) {
			return nil, coded(codeBadInput, "lamina: file %q must be a Uint8Array", name)
		}
		b := make([]byte, f.Length())
		js.CopyBytesToGo(b, f)
		files[name] = b
	}
	return files, nil
}

// loadModel(runtimeID, {name: Uint8Array}) → Promise<{id, info}>.
func loadModel(a []js.Value) any {
	rtID := a[0].Int()
	files, err := filesFromJS(a[1])
	if err != nil {
		return jsPromise.Call("reject", newJSError(err))
	}
	return async("loadModel", func() (any, error) {
		id, lm, err := reg.loadModel(rtID, files)
		if err != nil {
			return nil, err
		}
		info, err := jsonString(lm.info)
		if err != nil {
			return nil, err
		}
		return map[string]any{"id": id, "info": info}, nil
	})
}

// idsFromJS reads an Int32Array (lamina-engine.mjs always passes one).
func idsFromJS(v js.Value) []int32 {
	if !v.InstanceOf(jsInt32Array) {
		panic("ids must be an Int32Array")
	}
	n := v.Length()
	u8 := jsUint8Array.New(v.Get("buffer"), v.Get("byteOffset"), n*4)
	b := make([]byte, n*4)
	js.CopyBytesToGo(b, u8)
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32(uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24)
	}
	return ids
}

func int32sToJS(ids []int32) js.Value {
	b := make([]byte, 4*len(ids))
	for i, v := range ids {
		u := uint32(v)
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	return typedFromBytes(jsInt32Array, b, len(ids))
}

func float32sToJS(v []float32) js.Value {
	b := float32Bytes(v)
	return typedFromBytes(jsFloat32Array, b, len(v))
}

// typedFromBytes copies little-endian bytes into a new typed array (wasm
// and every browser are little-endian).
func typedFromBytes(ctor js.Value, b []byte, n int) js.Value {
	u8 := jsUint8Array.New(len(b))
	js.CopyBytesToJS(u8, b)
	return ctor.New(u8.Get("buffer"), 0, n)
}

// logits(modelID, Int32Array) → Promise<Float32Array of T*V>.
func logits(a []js.Value) any {
	lm, err := reg.model(a[0].Int())
	if err != nil {
		return jsPromise.Call("reject", newJSError(err))
	}
	ids := idsFromJS(a[1])
	return async("logits", func() (any, error) {
		flat, err := lm.logits(ids)
		if err != nil {
			return nil, err
		}
		return float32sToJS(flat), nil
	})
}

// layers(modelID, Int32Array, topK?) → Promise<JSON string>.
func layers(a []js.Value) any {
	lm, err := reg.model(a[0].Int())
	if err != nil {
		return jsPromise.Call("reject", newJSError(err))
	}
	ids := idsFromJS(a[1])
	topK := 0
	if len(a) > 2 && a[2].Type() == js.TypeNumber {
		topK = a[2].Int()
	}
	return async("layers", func() (any, error) {
		b, err := lm.layers(ids, topK)
		if err != nil {
			return nil, err
		}
		return string(b), nil
	})
}

// generate(modelID, opts, onToken({id, text}), isCancelled() → bool)
// → Promise<{ids: Int32Array, cancelled}>.
func generate(a []js.Value) any {
	lm, err := reg.model(a[0].Int())
	if err != nil {
		return jsPromise.Call("reject", newJSError(err))
	}
	o, onToken, isCancelled := a[1], a[2], a[3]
	req := genRequestFromJS(o)
	if sp := o.Get("speculative"); sp.Truthy() {
		// {exitLayer, draftTokens}: self-speculative decoding; each token
		// event then says whether it was an accepted draft and which
		// layer's head chose it.
		if v := sp.Get("exitLayer"); v.Type() == js.TypeNumber {
			req.DraftExit = v.Int()
		}
		if v := sp.Get("draftTokens"); v.Type() == js.TypeNumber {
			req.DraftTokens = v.Int()
		}
		// {draftModel: id, draftTokens}: a second loaded model drafts
		// (lamina.mjs passes the LM's id).
		if v := sp.Get("draftModel"); v.Type() == js.TypeNumber {
			d, err := reg.model(v.Int())
			if err != nil {
				return jsPromise.Call("reject", newJSError(err))
			}
			req.DraftModel = d
		}
		if req.DraftExit > 0 || req.DraftModel != nil {
			req.Stats = &model.SpecStats{}
		}
	}
	return async("generate", func() (any, error) {
		y := newYielder()
		defer y.release()
		n := 0
		ids, cancelled, err := lm.generate(req,
			func(id int32, text string) {
				ev := map[string]any{"id": id, "text": text}
				if st := req.Stats; st != nil && n < len(st.FromDraft) {
					ev["drafted"] = st.FromDraft[n]
					ev["exitLayer"] = lm.m.Config.Layers
					if st.FromDraft[n] && req.DraftModel == nil {
						ev["exitLayer"] = req.DraftExit
					}
				}
				n++
				onToken.Invoke(ev)
			},
			func() bool {
				y.maybeYield()
				return isCancelled.Invoke().Truthy()
			})
		if err != nil {
			return nil, err
		}
		res := map[string]any{"ids": int32sToJS(ids), "cancelled": cancelled}
		if st := req.Stats; st != nil {
			res["stats"] = map[string]any{"drafted": st.Drafted, "accepted": st.Accepted, "rounds": st.Rounds}
		}
		return res, nil
	})
}

// genRequestFromJS reads generate's and chat's sampling options.
func genRequestFromJS(o js.Value) genRequest {
	req := genRequest{IDs: idsFromJS(o.Get("ids")), MaxNewTokens: -1}
	if v := o.Get("maxNewTokens"); v.Type() == js.TypeNumber {
		req.MaxNewTokens = v.Int()
	}
	req.Temperature = optFloat(o.Get("temperature"))
	req.TopP = optFloat(o.Get("topP"))
	req.RepetitionPenalty = optFloat(o.Get("repetitionPenalty"))
	if v := o.Get("topK"); v.Type() == js.TypeNumber {
		k := v.Int()
		req.TopK = &k
	}
	if v := o.Get("seed"); v.Type() == js.TypeNumber {
		req.Seed = uint64(v.Float())
	}
	if v := o.Get("eosTokenIds"); v.Truthy() {
		req.EOS = idsFromJS(v)
	}
	if v := o.Get("stopStrings"); v.Truthy() {
		for i := 0; i < v.Length(); i++ {
			req.StopStrings = append(req.StopStrings, v.Index(i).String())
		}
	}
	return req
}

// chat(modelID, opts {messages: JSON string, responseFormat: JSON string
// or undefined, tools: JSON string or undefined, ...generate's options},
// onToken, isCancelled) → Promise<{ids, promptTokens, finishReason,
// cancelled, toolCalls?: [{name, arguments}], content?}>.
func chat(a []js.Value) any {
	lm, err := reg.model(a[0].Int())
	if err != nil {
		return jsPromise.Call("reject", newJSError(err))
	}
	o, onToken, isCancelled := a[1], a[2], a[3]
	req := chatRequest{genRequest: genRequestFromJS(o), Messages: []byte(o.Get("messages").String())}
	if v := o.Get("responseFormat"); v.Type() == js.TypeString {
		req.ResponseFormat = []byte(v.String())
	}
	if v := o.Get("tools"); v.Type() == js.TypeString {
		req.Tools = []byte(v.String())
	}
	return async("chat", func() (any, error) {
		y := newYielder()
		defer y.release()
		res, err := lm.chatGenerate(req,
			func(id int32, text string) {
				onToken.Invoke(map[string]any{"id": id, "text": text})
			},
			func() bool {
				y.maybeYield()
				return isCancelled.Invoke().Truthy()
			})
		if err != nil {
			return nil, err
		}
		out := map[string]any{"ids": int32sToJS(res.IDs), "promptTokens": res.PromptTokens, "completionTokens": res.CompletionTokens, "finishReason": res.Finish, "cancelled": res.Cancelled}
		if res.ToolCalls != nil {
			calls := make([]any, len(res.ToolCalls))
			for i, c := range res.ToolCalls {
				calls[i] = map[string]any{"name": c.Name, "arguments": c.Arguments}
			}
			out["toolCalls"], out["content"] = calls, res.Content
		}
		return out, nil
	})
}

func optFloat(v js.Value) *float32 {
	if v.Type() != js.TypeNumber {
		return nil
	}
	f := float32(v.Float())
	return &f
}

func loadTokenizer(a []js.Value) any {
	v := a[0]
	if !v.InstanceOf(jsUint8Array) {
		return newJSError(coded(codeBadInput, "lamina: tokenizer.json must be a Uint8Array"))
	}
	b := make([]byte, v.Length())
	js.CopyBytesToGo(b, v)
	id, err := reg.loadTokenizer(b)
	if err != nil {
		return newJSError(err)
	}
	return id
}

func modelTokenizer(a []js.Value) any {
	id, err := reg.modelTokenizer(a[0].Int())
	if err != nil {
		return newJSError(err)
	}
	return id
}

func encode(a []js.Value) any {
	t, err := reg.tokenizer(a[0].Int())
	if err != nil {
		return newJSError(err)
	}
	return int32sToJS(t.Encode(a[1].String()))
}

func decode(a []js.Value) any {
	t, err := reg.tokenizer(a[0].Int())
	if err != nil {
		return newJSError(err)
	}
	return t.Decode(idsFromJS(a[1]))
}
