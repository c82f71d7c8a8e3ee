package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/lamina-ml/lamina/backend"
	"github.com/lamina-ml/lamina/gguf"
	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/tokenizer"
	"github.com/lamina-ml/lamina/webgpu"
)

// This file is the browser runtime without syscall/js: handles, backend
// choice with device-loss recovery, model loading from fetched bytes and
// generation with streaming. main_js.go binds it to JavaScript; the native
// tests exercise it directly.

// Error codes the JS side sees as LaminaError.code (see site/lamina.mjs).
const (
	codeBadInput    = "bad-input"
	codeBadModel    = "bad-model"
	codeUnsupported = "unsupported"
	codeTooLarge    = "too-large"
	codeNoTokenizer = "no-tokenizer"
	codeDeviceLost  = "device-lost"
	codeDisposed    = "disposed"
	codeNoWebGPU    = "no-webgpu"
	codeInternal    = "internal"
)

// codedError is an error with a code for JavaScript.
type codedError struct {
	code string
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

func coded(code string, format string, a ...any) error {
	return &codedError{code: code, err: fmt.Errorf(format, a...)}
}

// errorCode classifies an error for JavaScript.
func errorCode(err error) string {
	var ce *codedError
	var cfgErr *model.ConfigError
	var hdrErr *model.HeaderError
	var wErr *model.WeightError
	var tokFmt *tokenizer.FormatError
	var tokUnsup *tokenizer.UnsupportedError
	switch {
	case errors.As(err, &ce):
		return ce.code
	case errors.Is(err, model.ErrUnsupported), errors.Is(err, model.ErrUnsupportedDType), errors.As(err, &tokUnsup), errors.Is(err, gguf.ErrUnsupported):
		return codeUnsupported
	case errors.As(err, &cfgErr), errors.As(err, &hdrErr), errors.As(err, &wErr), errors.As(err, &tokFmt), errors.Is(err, fs.ErrNotExist),
		errors.As(err, new(*gguf.FormatError)), errors.As(err, new(*gguf.MetadataError)):
		return codeBadModel
	case gpuTooLarge(err):
		return codeTooLarge
	case gpuLost(err):
		return codeDeviceLost
	}
	return codeInternal
}

// Backend modes createRuntime accepts.
const (
	modeCPU    = string(backend.CPU)
	modeWebGPU = string(backend.WebGPU)
	modeAuto   = string(backend.Auto)
)

// runtime is one createRuntime(): a backend and the models loaded on it.
type runtime struct {
	// mu serialises all work on the runtime: under js/wasm goroutines
	// interleave whenever one awaits a JS Promise (every GPU readback), and
	// the backends are not safe for concurrent use.
	mu   sync.Mutex
	mode string
	be   tensor.Backend
	// adapter is the WebGPU adapter the runtime saw: the one it runs on,
	// or the software one an auto runtime turned down; nil when it did
	// not look (backend 'cpu') or there was none.
	adapter *webgpu.AdapterInfo
	models  map[int]*loadedModel
	// svgModels are the layered-SVG models loaded through this runtime
	// (svgmodel.go), whichever backend they run on.
	svgModels map[int]*svgModel
	// threads is how many threads the wasm-simd backend runs on (0 on
	// another backend).
	threads int
}

// loadedModel is a model with its tokenizer.
type loadedModel struct {
	rt   *runtime
	m    *model.Model
	tok  *tokenizer.Tokenizer // nil without tokenizer.json
	info modelInfo
	// files are kept only while an auto runtime runs on WebGPU, to reload
	// the weights onto the CPU after a device loss (a GGUF's ModelFS reads
	// them from the file again).
	files fs.FS
	chat  chatState
}

// modelInfo is what lm.info holds on the JS side.
type modelInfo struct {
	Architecture string  `json:"architecture"`
	VocabSize    int     `json:"vocabSize"`
	Hidden       int     `json:"hiddenSize"`
	Layers       int     `json:"layers"`
	Heads        int     `json:"heads"`
	KVHeads      int     `json:"kvHeads"`
	HeadDim      int     `json:"headDim"`
	MaxPositions int     `json:"maxPositions"`
	BOS          int32   `json:"bosTokenId"`
	EOS          []int32 `json:"eosTokenIds"`
	HasTokenizer bool    `json:"hasTokenizer"`
	// HasChatTemplate: tokenizer_config.json has a chat_template (lm.chat).
	HasChatTemplate bool   `json:"hasChatTemplate"`
	WeightBytes     int64  `json:"weightBytes"`
	Backend         string `json:"backend"`
}

// registry holds the JS-visible handles of one Go program.
type registry struct {
	mu         sync.Mutex
	next       int
	runtimes   map[int]*runtime
	models     map[int]*loadedModel
	tokenizers map[int]*tokenizer.Tokenizer
	svgModels  map[int]*svgModel
	// newGPU makes a WebGPU backend; nil where there is none (native).
	newGPU newGPUFunc
}

// newGPUFunc opens a WebGPU backend (webgpu.NewBackendWithOptions in the
// browser; fakes in tests).
type newGPUFunc func(ctx context.Context, o webgpu.Options) (tensor.Backend, error)

func newRegistry(newGPU newGPUFunc) *registry {
	return &registry{
		runtimes:   map[int]*runtime{},
		models:     map[int]*loadedModel{},
		tokenizers: map[int]*tokenizer.Tokenizer{},
		svgModels:  map[int]*svgModel{},
		newGPU:     newGPU,
	}
}

func (r *registry) add(put func(id int)) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	put(r.next)
	return r.next
}

// gpuLimits are createRuntime's limits option: WebGPU limits lowered to
// see what a smaller GPU would do (0: the adapter's own).
type gpuLimits struct {
	MaxBufferSize int64 `json:"maxBufferSize"`
}

// createRuntime picks the backend: 'auto' takes WebGPU when the adapter is
// a real GPU and the CPU when there is no adapter or device, or when the
// only adapter is a software one (SwiftShader, llvmpipe, WARP: there the
// CPU backend is faster than the emulated GPU); 'webgpu' takes whatever
// adapter there is.
func (r *registry) createRuntime(ctx context.Context, mode string) (int, string, error) {
	return r.createRuntimeWith(ctx, mode, gpuLimits{})
}

func (r *registry) createRuntimeWith(ctx context.Context, mode string, limits gpuLimits) (int, string, error) {
	m, err := backend.ParseMode(mode)
	if err != nil || mode == "" {
		return 0, "", coded(codeBadInput, "lamina: backend must be 'auto', 'webgpu', 'wasm-simd' or 'cpu', not %q", mode)
	}
	if m != backend.CPU && limits.MaxBufferSize < 0 {
		return 0, "", coded(codeBadInput, "lamina: limits.maxBufferSize must be a positive number of bytes, not %d", limits.MaxBufferSize)
	}
	var open backend.OpenGPU
	if r.newGPU != nil {
		open = backend.OpenGPU(r.newGPU)
	}
	c, err := backend.Open(ctx, m, webgpu.Options{MaxBufferSize: limits.MaxBufferSize}, open)
	if err != nil {
		var ce *codedError
		if !errors.As(err, &ce) {
			err = &codedError{code: codeNoWebGPU, err: err}
		}
		return 0, "", err
	}
	rt := &runtime{mode: mode, be: c.Backend, adapter: c.Adapter, models: map[int]*loadedModel{}, svgModels: map[int]*svgModel{}, threads: c.Threads}
	id := r.add(func(id int) { r.runtimes[id] = rt })
	return id, c.Backend.Name(), nil
}

func (r *registry) runtime(id int) (*runtime, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rt, ok := r.runtimes[id]
	if !ok {
		return nil, coded(codeDisposed, "lamina: runtime %d is disposed", id)
	}
	return rt, nil
}

func (r *registry) model(id int) (*loadedModel, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.models[id]
	if !ok {
		return nil, coded(codeDisposed, "lamina: model %d is disposed", id)
	}
	return m, nil
}

// threadCount is how many threads the runtime's wasm-simd backend runs on
// (0 on another backend).
func (rt *runtime) threadCount() int {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.threads
}

// backendName is what the runtime runs on now.
func (rt *runtime) backendName() string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.be.Name()
}

// loadModel loads a model from the files the page fetched.
func (r *registry) loadModel(rtID int, files memFS) (int, *loadedModel, error) {
	for name := range files {
		if !fs.ValidPath(name) || strings.Contains(name, "/") || name == "." {
			return 0, nil, coded(codeBadInput, "lamina: bad model file name %q", name)
		}
	}
	return r.loadFS(rtID, files, files.Size())
}

// loadGGUF loads a GGUF file of size bytes read through ra (the page's
// Range requests, or the bytes of a whole download) as gguf.File.ModelFS
// presents it: Q8_0/Q4_0 matrices kept as Q8/Q4 where the backend holds
// quantized weights, other quantized types as F16, the tokenizer from the
// metadata. It also returns that tokenizer.json (nil without one), which
// lamina.mjs needs for a tokenizer on the page.
func (r *registry) loadGGUF(rtID int, ra io.ReaderAt, size int64) (int, *loadedModel, []byte, error) {
	f, err := gguf.Open(ra, size)
	if err != nil {
		return 0, nil, nil, err
	}
	fsys, err := f.ModelFS()
	if err != nil {
		return 0, nil, nil, err
	}
	id, lm, err := r.loadFS(rtID, fsys, size)
	if err != nil {
		return 0, nil, nil, err
	}
	tok, err := fs.ReadFile(fsys, "tokenizer.json")
	if err != nil {
		tok = nil
	}
	return id, lm, tok, nil
}

// loadFS loads a model folder; weightBytes is what lm.info reports.
func (r *registry) loadFS(rtID int, files fs.FS, weightBytes int64) (int, *loadedModel, error) {
	rt, err := r.runtime(rtID)
	if err != nil {
		return 0, nil, err
	}
	lm := &loadedModel{rt: rt}
	if data, err := fs.ReadFile(files, "tokenizer.json"); err == nil {
		if lm.tok, err = tokenizer.Load(data); err != nil {
			return 0, nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, nil, err
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if lm.m, err = model.Load(files, rt.be); err != nil {
		return 0, nil, rt.tooLarge(err)
	}
	// A logits row is one GPU buffer: a vocabulary too large for it could
	// load but never run, so say so now rather than at the first token.
	if c, ok := rt.be.(webgpu.Device); ok {
		v := lm.m.Config.VocabSize
		if err := c.CheckBinding(fmt.Sprintf("one row of logits (F32 [%d])", v), int64(v)*4); err != nil {
			lm.m.Close()
			return 0, nil, rt.tooLarge(err)
		}
	}
	if rt.mode == modeAuto && rt.be.Name() == modeWebGPU {
		lm.files = files
	}
	c := lm.m.Config
	lm.info = modelInfo{
		Architecture: string(c.Arch), VocabSize: c.VocabSize, Hidden: c.Hidden, Layers: c.Layers,
		Heads: c.Heads, KVHeads: c.KVHeads, HeadDim: c.HeadDim, MaxPositions: c.MaxPositions,
		BOS: c.BOSTokenID, EOS: lm.m.EOS, HasTokenizer: lm.tok != nil, WeightBytes: weightBytes,
		Backend: rt.be.Name(),
	}
	if lm.info.EOS == nil {
		lm.info.EOS = []int32{}
	}
	lm.loadChat(files)
	id := r.add(func(id int) { r.models[id] = lm })
	rt.models[id] = lm
	return id, lm, nil
}

// tooLarge explains an ErrTooLarge from the GPU backend (code 'too-large')
// and passes other errors through.
func (rt *runtime) tooLarge(err error) error {
	if !gpuTooLarge(err) {
		return err
	}
	on := "this WebGPU device"
	if rt.adapter != nil {
		on = "this WebGPU device (" + rt.adapter.String() + ")"
	}
	return &codedError{code: codeTooLarge, err: fmt.Errorf("lamina: the model does not fit %s: %w; backend: 'cpu' can run it", on, err)}
}

// adapterInfo is what rt.adapter says on the JS side (nil: null).
func (rt *runtime) adapterInfo() *webgpu.AdapterInfo {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.adapter
}

// withRecovery runs op on the model; when an auto runtime's GPU device is
// lost it moves every model of the runtime onto the CPU (from the kept
// files) and runs op once more, so the page recovers without a reload.
// The caller holds rt.mu.
func (lm *loadedModel) withRecovery(op func() error) error {
	err := op()
	rt := lm.rt
	if err == nil || rt.mode != modeAuto || rt.be.Name() != modeWebGPU || !gpuLost(err) {
		return err
	}
	if rerr := rt.fallBackToCPU(); rerr != nil {
		return fmt.Errorf("lamina: GPU device lost (%v) and reloading on the CPU failed: %w", err, rerr)
	}
	return op()
}

// fallBackToCPU reloads every model of rt onto a new CPU backend.
func (rt *runtime) fallBackToCPU() error {
	cpu := tensor.NewCPU()
	reloaded := map[*loadedModel]*model.Model{}
	reloadedSVG := map[*svgModel]*svgmodel.Model{}
	fail := func(err error) error {
		for _, m := range reloaded {
			m.Close()
		}
		for _, m := range reloadedSVG {
			m.Close()
		}
		return err
	}
	for _, lm := range rt.models {
		m, err := model.Load(lm.files, cpu)
		if err != nil {
			return fail(err)
		}
		reloaded[lm] = m
	}
	for _, sm := range rt.svgModels {
		if !sm.shared {
			continue // already on a CPU backend of its own
		}
		m, err := svgmodel.Load(sm.files, cpu)
		if err != nil {
			return fail(err)
		}
		reloadedSVG[sm] = m
	}
	old := rt.be
	for lm, m := range reloaded {
		lm.m.Close() // frees the lost device's buffers
		lm.m, lm.files = m, nil
		lm.info.Backend = modeCPU
	}
	for sm, m := range reloadedSVG {
		sm.m.Close()
		sm.m, sm.files = m, nil
		sm.info.Backend = modeCPU
	}
	rt.be, rt.threads = cpu, 0
	backend.Close(old)
	return nil
}

func (lm *loadedModel) checkIDs(ids []int32) error {
	if len(ids) == 0 {
		return coded(codeBadInput, "lamina: ids is empty")
	}
	for i, id := range ids {
		if id < 0 || int(id) >= lm.info.VocabSize {
			return coded(codeBadInput, "lamina: token id %d at index %d is outside the vocabulary (size %d)", id, i, lm.info.VocabSize)
		}
	}
	if lm.learnedPositions() && len(ids) > lm.info.MaxPositions {
		return coded(codeBadInput, "lamina: %d tokens exceed the model's %d positions", len(ids), lm.info.MaxPositions)
	}
	return nil
}

// learnedPositions is true for GPT-2, whose position table ends at
// n_positions; RoPE models run past max_position_embeddings (quality
// drops, as in transformers, but it is not an error).
func (lm *loadedModel) learnedPositions() bool {
	return lm.m.Config.Arch == model.GPT2 && lm.info.MaxPositions > 0
}

// logits returns the (T,V) logits of ids, flattened row-major.
func (lm *loadedModel) logits(ids []int32) ([]float32, error) {
	if err := lm.checkIDs(ids); err != nil {
		return nil, err
	}
	lm.rt.mu.Lock()
	defer lm.rt.mu.Unlock()
	var rows [][]float32
	err := lm.withRecovery(func() (err error) {
		rows, err = lm.m.Logits(ids)
		return err
	})
	if err != nil {
		return nil, err
	}
	V := lm.info.VocabSize
	flat := make([]float32, len(rows)*V)
	for t, row := range rows {
		copy(flat[t*V:], row)
	}
	return flat, nil
}

// lensTopK is how many tokens per position and layer layers() reports.
const lensTopK = 5

// layers is the logit lens of ids as JSON: {"layers": [...]}, one entry
// for the embeddings and one per decoder layer (model.LensLayer).
func (lm *loadedModel) layers(ids []int32, topK int) ([]byte, error) {
	if err := lm.checkIDs(ids); err != nil {
		return nil, err
	}
	if topK <= 0 {
		topK = lensTopK
	}
	lm.rt.mu.Lock()
	defer lm.rt.mu.Unlock()
	var lens []model.LensLayer
	err := lm.withRecovery(func() (err error) {
		lens, err = lm.m.LogitLens(ids, topK)
		return err
	})
	if err != nil {
		return nil, err
	}
	type tokenText struct {
		ID   int32   `json:"id"`
		Prob float32 `json:"prob"`
		Text string  `json:"text,omitempty"`
	}
	type layerOut struct {
		Layer int           `json:"layer"`
		Norm  []float32     `json:"norm"`
		Top   [][]tokenText `json:"top"`
	}
	out := struct {
		IDs    []int32    `json:"ids"`
		Layers []layerOut `json:"layers"`
	}{IDs: ids}
	for _, l := range lens {
		lo := layerOut{Layer: l.Layer, Norm: l.Norm, Top: make([][]tokenText, len(l.Top))}
		for t, tops := range l.Top {
			for _, tp := range tops {
				tt := tokenText{ID: tp.ID, Prob: tp.Prob}
				if lm.tok != nil {
					tt.Text = lm.tok.Decode([]int32{tp.ID})
				}
				lo.Top[t] = append(lo.Top[t], tt)
			}
		}
		out.Layers = append(out.Layers, lo)
	}
	return json.Marshal(out)
}

// genRequest is lm.generate()'s options; nil means "use the default".
type genRequest struct {
	IDs               []int32
	MaxNewTokens      int
	Temperature       *float32
	TopK              *int
	TopP              *float32
	RepetitionPenalty *float32
	Seed              uint64
	EOS               []int32 // nil: the model's; empty: never stop early
	StopStrings       []string
	// DraftExit and DraftTokens turn on self-speculative decoding
	// (generate({speculative: {exitLayer, draftTokens}})); Stats, if
	// non-nil, receives its counts, FromDraft appended before each
	// onToken call.
	DraftExit, DraftTokens int
	// DraftModel, if non-nil, drafts instead of the first DraftExit
	// layers (generate({speculative: {draftModel, draftTokens}})): a
	// second model of the same runtime sharing the tokenizer's vocabulary.
	DraftModel *loadedModel
	Stats      *model.SpecStats
	constraint model.Constraint // lm.chat's response_format
}

// options resolves a request with the model's generation_config.json
// (model.ResolveOptions, as the CLI and the worker do).
func (lm *loadedModel) options(req genRequest) model.GenerateOptions {
	r := model.Request{Temperature: req.Temperature, TopK: req.TopK, TopP: req.TopP,
		RepetitionPenalty: req.RepetitionPenalty, Seed: req.Seed, EOS: req.EOS, StopStrings: req.StopStrings,
		DraftExit: req.DraftExit, DraftTokens: req.DraftTokens}
	if req.MaxNewTokens >= 0 {
		r.MaxNewTokens = &req.MaxNewTokens
	}
	o := lm.m.Options(r)
	o.Stats = req.Stats
	return o
}

// generate continues req.IDs. onToken gets every new id with the text it
// adds (model.TextStream: held back while it could still change, cut before
// a stop string; the last token's call carries all that is left);
// cancelled is polled before each token. It returns prompt+new ids.
func (lm *loadedModel) generate(req genRequest, onToken func(id int32, text string), cancelled func() bool) (ids []int32, wasCancelled bool, err error) {
	if err := lm.checkIDs(req.IDs); err != nil {
		return nil, false, err
	}
	if req.DraftExit < 0 || req.DraftExit >= lm.m.Config.Layers {
		return nil, false, coded(codeBadInput, "lamina: speculative.exitLayer %d must lie in [1, %d) (the model has %d layers)", req.DraftExit, lm.m.Config.Layers, lm.m.Config.Layers)
	}
	if d := req.DraftModel; d != nil {
		// One runtime: its lock (taken below) covers both models, and a
		// device loss reloads both.
		if d.rt != lm.rt {
			return nil, false, coded(codeBadInput, "lamina: speculative.draftModel must be loaded through the same runtime as the model")
		}
		if req.DraftExit != 0 {
			return nil, false, coded(codeBadInput, "lamina: speculative takes exitLayer or draftModel, not both")
		}
		if d.m.Config.VocabSize != lm.m.Config.VocabSize {
			return nil, false, coded(codeBadInput, "lamina: speculative.draftModel's vocabulary of %d differs from the model's %d (they must share the tokenizer)", d.m.Config.VocabSize, lm.m.Config.VocabSize)
		}
	}
	opts := lm.options(req)
	opts.Constraint = req.constraint
	if len(opts.StopStrings) > 0 && lm.tok == nil {
		return nil, false, coded(codeNoTokenizer, "lamina: stopStrings need a tokenizer.json")
	}
	if lm.learnedPositions() && len(req.IDs)+opts.MaxNewTokens > lm.info.MaxPositions {
		return nil, false, coded(codeBadInput, "lamina: %d prompt tokens + maxNewTokens %d exceed the model's %d positions", len(req.IDs), opts.MaxNewTokens, lm.info.MaxPositions)
	}
	// The stream applies the stop strings; Generate only needs to be told
	// to stop (onToken returning false).
	var ts *model.TextStream
	if lm.tok != nil {
		ts = model.NewTokenizerStream(lm.tok, opts.StopStrings)
	}
	opts.StopStrings = nil
	eos := lm.m.EOS
	if opts.EOS != nil {
		eos = opts.EOS
	}
	lm.rt.mu.Lock()
	defer lm.rt.mu.Unlock()
	if d := req.DraftModel; d != nil && !slices.Contains(slices.Collect(maps.Values(lm.rt.models)), d) {
		return nil, false, coded(codeDisposed, "lamina: speculative.draftModel is disposed")
	}

	var out []int32
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	step := func(id int32) bool {
		out = append(out, id)
		text, stopped := "", false
		if ts != nil {
			last := slices.Contains(eos, id) && !opts.IgnoreEOS
			if !last {
				text, stopped = ts.Push(id)
			}
			if last || stopped || len(out) == opts.MaxNewTokens {
				text += ts.Finish()
			}
		}
		onToken(id, text)
		if cancelled() {
			wasCancelled = true
			cancel()
			return false
		}
		return !stopped
	}
	if cancelled() {
		return append([]int32(nil), req.IDs...), true, nil
	}
	err = lm.withRecovery(func() error {
		// After a device loss this runs again: continue from what was
		// already produced instead of starting over.
		prompt := append(append([]int32(nil), req.IDs...), out...)
		o := opts
		if req.DraftModel != nil {
			o.DraftModel = req.DraftModel.m // read here: a device loss reloads it
		}
		o.MaxNewTokens -= len(out)
		if o.MaxNewTokens <= 0 {
			return nil
		}
		_, err := lm.m.Generate(ctx, prompt, o, step)
		return err
	})
	if wasCancelled {
		err = nil
	}
	if err != nil {
		return nil, false, err
	}
	return append(append([]int32(nil), req.IDs...), out...), wasCancelled, nil
}

// disposeModel frees the model's weights and its tokenizer handle.
func (r *registry) disposeModel(id int) {
	r.mu.Lock()
	lm, ok := r.models[id]
	delete(r.models, id)
	r.mu.Unlock()
	if !ok {
		return
	}
	lm.rt.mu.Lock()
	defer lm.rt.mu.Unlock()
	for k, v := range lm.rt.models {
		if v == lm {
			delete(lm.rt.models, k)
		}
	}
	lm.m.Close()
	r.mu.Lock()
	for k, t := range r.tokenizers {
		if t == lm.tok {
			delete(r.tokenizers, k)
		}
	}
	r.mu.Unlock()
}

func (r *registry) disposeRuntime(id int) {
	r.mu.Lock()
	rt, ok := r.runtimes[id]
	delete(r.runtimes, id)
	var ids, svgIDs []int
	for mid, lm := range r.models {
		if lm.rt == rt {
			ids = append(ids, mid)
		}
	}
	for mid, sm := range r.svgModels {
		if sm.rt == rt {
			svgIDs = append(svgIDs, mid)
		}
	}
	r.mu.Unlock()
	if !ok {
		return
	}
	for _, mid := range ids {
		r.disposeModel(mid)
	}
	for _, mid := range svgIDs {
		r.disposeSVGModel(mid)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	backend.Close(rt.be)
}

func (r *registry) loadTokenizer(data []byte) (int, error) {
	t, err := tokenizer.Load(data)
	if err != nil {
		return 0, err
	}
	return r.add(func(id int) { r.tokenizers[id] = t }), nil
}

// modelTokenizer registers a model's tokenizer as a tokenizer handle, or
// returns -1 when the model has none.
func (r *registry) modelTokenizer(modelID int) (int, error) {
	lm, err := r.model(modelID)
	if err != nil {
		return 0, err
	}
	if lm.tok == nil {
		return -1, nil
	}
	r.mu.Lock()
	for id, t := range r.tokenizers {
		if t == lm.tok {
			r.mu.Unlock()
			return id, nil
		}
	}
	r.mu.Unlock()
	return r.add(func(id int) { r.tokenizers[id] = lm.tok }), nil
}

func (r *registry) tokenizer(id int) (*tokenizer.Tokenizer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.tokenizers[id]
	if !ok {
		return nil, coded(codeDisposed, "lamina: tokenizer %d is disposed", id)
	}
	return t, nil
}

func (r *registry) disposeTokenizer(id int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.tokenizers, id)
}
