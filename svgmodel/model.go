// Package svgmodel runs lamina's layered-SVG diffusion transformer: a DiT over the vector
// pipeline's K fixed-size layer tokens, conditioned on a caption by a small byte-level
// transformer text encoder, trained with rectified flow (train/svg/dit.py is the reference; every
// op here mirrors one there). The forward pass is written against tensor.Backend plus
// tensor.DiffusionOps, so it runs on the CPU backend and on any backend that adds those ops.
package svgmodel

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"unicode"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

// Config is config.json as train/svg/train.py writes it.
type Config struct {
	ModelType    string `json:"model_type"`
	DModel       int    `json:"d_model"`
	Heads        int    `json:"heads"`
	Layers       int    `json:"layers"`
	TextDModel   int    `json:"text_d_model"`
	TextLayers   int    `json:"text_layers"`
	TextHeads    int    `json:"text_heads"`
	TextMaxLen   int    `json:"text_max_len"`
	TimeFeatures int    `json:"time_features"`
	Slots        int    `json:"slots"`  // K
	Fields       int    `json:"fields"` // F
	Cubics       int    `json:"cubics"` // N
	Objective    string `json:"objective"`
	// TextTokenizer is "bytes" (the default: BOS 256 then UTF-8 bytes) or "words" (hashed
	// words, TextVocab rows); see CaptionIDs.
	TextTokenizer string `json:"text_tokenizer,omitempty"`
	TextVocab     int    `json:"text_vocab,omitempty"`
}

// vocab is the number of rows of the caption embedding.
func (c *Config) vocab() int {
	if c.TextTokenizer == "words" {
		return c.TextVocab
	}
	return textVocab
}

// ErrConfig is wrapped by every config.json validation error.
var ErrConfig = errors.New("svgmodel: bad config")

// ParseConfig reads and validates config.json.
func ParseConfig(data []byte) (*Config, error) {
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if c.ModelType != "lamina_layered_dit" {
		return nil, fmt.Errorf("%w: model_type %q is not lamina_layered_dit", ErrConfig, c.ModelType)
	}
	if c.Objective != "" && c.Objective != "rectified_flow" {
		return nil, fmt.Errorf("%w: objective %q is not supported", ErrConfig, c.Objective)
	}
	for _, p := range []struct {
		name string
		v    int
		max  int
	}{
		{"d_model", c.DModel, 4096}, {"heads", c.Heads, 64}, {"layers", c.Layers, 64},
		{"text_d_model", c.TextDModel, 4096}, {"text_layers", c.TextLayers, 64},
		{"text_heads", c.TextHeads, 64}, {"text_max_len", c.TextMaxLen, 4096},
		{"time_features", c.TimeFeatures, 4096}, {"slots", c.Slots, 1024},
		{"fields", c.Fields, 4096}, {"cubics", c.Cubics, 256},
	} {
		if p.v <= 0 || p.v > p.max {
			return nil, fmt.Errorf("%w: %s = %d outside [1, %d]", ErrConfig, p.name, p.v, p.max)
		}
	}
	if c.DModel%c.Heads != 0 || c.TextDModel%c.TextHeads != 0 || c.TimeFeatures%2 != 0 {
		return nil, fmt.Errorf("%w: widths %d/%d not divisible by heads %d/%d (or odd time_features)", ErrConfig, c.DModel, c.TextDModel, c.Heads, c.TextHeads)
	}
	switch c.TextTokenizer {
	case "", "bytes":
	case "words":
		if c.TextVocab < 2 || c.TextVocab > 1<<20 {
			return nil, fmt.Errorf("%w: text_vocab = %d outside [2, %d]", ErrConfig, c.TextVocab, 1<<20)
		}
	default:
		return nil, fmt.Errorf("%w: text_tokenizer %q is not bytes or words", ErrConfig, c.TextTokenizer)
	}
	if c.Fields != 8+6*c.Cubics {
		return nil, fmt.Errorf("%w: fields %d != 8 + 6·cubics (%d)", ErrConfig, c.Fields, c.Cubics)
	}
	return &c, nil
}

// linear is a torch.nn.Linear: w (N,K) in the stored dtype, b (N) f32.
type linear struct{ w, b tensor.Tensor }

type textBlock struct {
	ln1w, ln1b, ln2w, ln2b tensor.Tensor
	q, k, v, proj          linear
	fc1, fc2               linear
}

type ditBlock struct {
	q, k, v, proj  linear
	lnxw, lnxb     tensor.Tensor
	xq, xk, xv, xp linear
	fc1, fc2       linear
	ada            [6]linear // shift1, scale1+1, gate1, shift2, scale2+1, gate2
}

// Model is a loaded layered DiT. It is not safe for concurrent use: one generation at a time.
type Model struct {
	Config Config
	be     tensor.Backend
	ops    tensor.DiffusionOps
	// grouped, when the backend has it, runs many samples per DiT pass (batch.go).
	grouped tensor.GroupedDiffusionOps
	batched *batchActs
	widened bool // widenModulation ran (batch.go)

	tok, pos tensor.Tensor // (vocab,TD), (TextMaxLen,TD)
	text     []textBlock
	textLNw  tensor.Tensor
	textLNb  tensor.Tensor
	textProj linear
	pool     linear
	inp      linear
	slot     tensor.Tensor // (K,D) f32
	t1, t2   linear
	blocks   []ditBlock
	adaOut   [2]linear // shift, scale+1
	out      linear
	ones     tensor.Tensor // (1,D) ones, the "up" of SiLUMul for a plain SiLU
	act      activations
	owned    []tensor.Tensor
}

// activations are the per-step buffers, allocated once per model.
type activations struct {
	h, y, q, k, v, a, p tensor.Tensor // (K,D)
	m1                  tensor.Tensor // (K,4D)
	vout                tensor.Tensor // (K,F)
	tf                  tensor.Tensor // (1,TF)
	c1, c               tensor.Tensor // (1,D)
	mods                [6]tensor.Tensor
	outMods             [2]tensor.Tensor
}

// textVocab is the byte-level caption vocabulary: 256 bytes and BOS.
const (
	textVocab = 257
	bos       = 256
)

// Load reads config.json and model.safetensors from fsys onto be. be must implement
// tensor.DiffusionOps.
func Load(fsys fs.FS, be tensor.Backend) (*Model, error) {
	ops, ok := be.(tensor.DiffusionOps)
	if !ok {
		return nil, fmt.Errorf("svgmodel: the %s backend lacks the diffusion ops (full attention, gated add)", be.Name())
	}
	cb, err := fs.ReadFile(fsys, "config.json")
	if err != nil {
		return nil, fmt.Errorf("svgmodel: %w", err)
	}
	cfg, err := ParseConfig(cb)
	if err != nil {
		return nil, err
	}
	w, err := model.OpenWeights(fsys)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	m := &Model{Config: *cfg, be: be, ops: ops}
	m.grouped, _ = be.(tensor.GroupedDiffusionOps)
	if err := m.load(w); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// Close frees every backend tensor the model owns.
func (m *Model) Close() {
	if m.batched != nil {
		m.batched.free(m.be)
		m.batched = nil
	}
	for _, t := range m.owned {
		m.be.Free(t)
	}
	m.owned = nil
}

// Backend is the backend the model runs on.
func (m *Model) Backend() tensor.Backend { return m.be }

// loader uploads checkpoint tensors through model.Weights (which checks
// names, shapes and dtypes and names the tensor in its errors), keeping the
// first error so the long list of loads in load reads straight.
type loader struct {
	m   *Model
	w   *model.Weights
	err error
}

func (l *loader) keep(t tensor.Tensor, err error) tensor.Tensor {
	if err != nil {
		if l.err == nil {
			l.err = err
		}
		return nil
	}
	l.m.owned = append(l.m.owned, t)
	return t
}

// keepAs is keep naming the checkpoint tensor in an upload error (one too
// large for a GPU's buffers, say), which stays matchable with errors.Is.
func (l *loader) keepAs(name string, t tensor.Tensor, err error) tensor.Tensor {
	if err != nil {
		err = fmt.Errorf("svgmodel: tensor %q: %w", name, err)
	}
	return l.keep(t, err)
}

// raw returns a float tensor's bytes (valid until the next raw) and dtype,
// checking its shape.
func (l *loader) raw(name string, shape ...int) ([]byte, tensor.DType, bool) {
	if l.err != nil {
		return nil, 0, false
	}
	dt, b, err := l.w.Float(name, shape...)
	if err != nil {
		l.err = err
		return nil, 0, false
	}
	return b, dt, true
}

// vec loads a 1-D or 2-D tensor as f32 (norm weights, biases, position tables).
func (l *loader) vec(name string, shape ...int) tensor.Tensor {
	b, dt, ok := l.raw(name, shape...)
	if !ok {
		return nil
	}
	t, err := l.m.be.UploadF32(shape, model.DecodeF32(dt, b))
	return l.keepAs(name, t, err)
}

// linears loads a Linear (out,in) split into parts equal row blocks (torch's chunk along the
// output dimension), adding addBias[i] to part i's bias.
func (l *loader) linears(prefix string, out, in, parts int, addBias []float32) []linear {
	// The bias first: raw's bytes last only until the next read.
	bb, bdt, ok := l.raw(prefix+".bias", out)
	if !ok {
		return make([]linear, parts)
	}
	bias := model.DecodeF32(bdt, bb)
	wb, dt, ok := l.raw(prefix+".weight", out, in)
	if !ok {
		return make([]linear, parts)
	}
	n := out / parts
	rowBytes := in * dt.Size()
	res := make([]linear, parts)
	for i := range res {
		w, err := l.m.be.Upload([]int{n, in}, dt, wb[i*n*rowBytes:(i+1)*n*rowBytes])
		res[i].w = l.keepAs(prefix+".weight", w, err)
		b := append([]float32(nil), bias[i*n:(i+1)*n]...)
		if addBias != nil {
			for j := range b {
				b[j] += addBias[i]
			}
		}
		bt, err := l.m.be.UploadF32([]int{n}, b)
		res[i].b = l.keepAs(prefix+".bias", bt, err)
	}
	return res
}

func (l *loader) linear(prefix string, out, in int) linear {
	return l.linears(prefix, out, in, 1, nil)[0]
}

func (l *loader) table(name string, shape ...int) tensor.Tensor {
	b, dt, ok := l.raw(name, shape...)
	if !ok {
		return nil
	}
	t, err := l.m.be.Upload(shape, dt, b)
	return l.keepAs(name, t, err)
}

func (m *Model) load(w *model.Weights) error {
	c := &m.Config
	D, TD, K, F := c.DModel, c.TextDModel, c.Slots, c.Fields
	l := &loader{m: m, w: w}
	m.tok = l.table("text.tok.weight", c.vocab(), TD)
	m.pos = l.table("text.pos.weight", c.TextMaxLen, TD)
	for i := 0; i < c.TextLayers; i++ {
		p := fmt.Sprintf("text.blocks.%d.", i)
		qkv := l.linears(p+"qkv", 3*TD, TD, 3, nil)
		m.text = append(m.text, textBlock{
			ln1w: l.vec(p+"ln1.weight", TD), ln1b: l.vec(p+"ln1.bias", TD),
			ln2w: l.vec(p+"ln2.weight", TD), ln2b: l.vec(p+"ln2.bias", TD),
			q: qkv[0], k: qkv[1], v: qkv[2],
			proj: l.linear(p+"proj", TD, TD),
			fc1:  l.linear(p+"mlp.fc1", 4*TD, TD), fc2: l.linear(p+"mlp.fc2", TD, 4*TD),
		})
	}
	m.textLNw, m.textLNb = l.vec("text.ln.weight", TD), l.vec("text.ln.bias", TD)
	m.textProj = l.linear("text_proj", D, TD)
	m.pool = l.linear("pool", D, TD)
	m.inp = l.linear("inp", D, F)
	m.slot = l.vec("slot", K, D)
	m.t1 = l.linear("t1", D, c.TimeFeatures)
	m.t2 = l.linear("t2", D, D)
	for i := 0; i < c.Layers; i++ {
		p := fmt.Sprintf("blocks.%d.", i)
		qkv := l.linears(p+"qkv", 3*D, D, 3, nil)
		xkv := l.linears(p+"xkv", 2*D, D, 2, nil)
		// The modulated LayerNorm computes LN(x)·(1+scale)+shift as one LayerNorm whose weight
		// is the scale chunk with 1 added to its bias here, once.
		ada := l.linears(p+"ada", 6*D, D, 6, []float32{0, 1, 0, 0, 1, 0})
		b := ditBlock{
			q: qkv[0], k: qkv[1], v: qkv[2], proj: l.linear(p+"proj", D, D),
			lnxw: l.vec(p+"lnx.weight", D), lnxb: l.vec(p+"lnx.bias", D),
			xq: l.linear(p+"xq", D, D), xk: xkv[0], xv: xkv[1], xp: l.linear(p+"xproj", D, D),
			fc1: l.linear(p+"mlp.fc1", 4*D, D), fc2: l.linear(p+"mlp.fc2", D, 4*D),
		}
		copy(b.ada[:], ada)
		m.blocks = append(m.blocks, b)
	}
	copy(m.adaOut[:], l.linears("ada_out", 2*D, D, 2, []float32{0, 1}))
	m.out = l.linear("out", F, D)
	if l.err != nil {
		return l.err
	}
	ones := make([]float32, D)
	for i := range ones {
		ones[i] = 1
	}
	m.ones = l.keep(m.be.UploadF32([]int{1, D}, ones))
	a := &m.act
	zeros := func(shape ...int) tensor.Tensor { return l.keep(m.be.Zeros(shape...)) }
	a.vout = zeros(K, F)
	a.h, a.y, a.q, a.k, a.v, a.a, a.p = zeros(K, D), zeros(K, D), zeros(K, D), zeros(K, D), zeros(K, D), zeros(K, D), zeros(K, D)
	a.m1 = zeros(K, 4*D)
	a.tf, a.c1, a.c = zeros(1, c.TimeFeatures), zeros(1, D), zeros(1, D)
	for i := range a.mods {
		a.mods[i] = zeros(1, D)
	}
	for i := range a.outMods {
		a.outMods[i] = zeros(1, D)
	}
	return l.err
}

// Caption is an encoded caption: the projected text tokens (L,D), the pooled vector (1,D) and,
// per DiT block, the cross-attention keys and values (L,D), all on the backend.
type Caption struct {
	m            *Model
	L            int
	pooled       tensor.Tensor
	keys, values []tensor.Tensor
}

// Free releases the caption's backend tensors.
func (c *Caption) Free() {
	for _, t := range append(append([]tensor.Tensor{c.pooled}, c.keys...), c.values...) {
		if t != nil {
			c.m.be.Free(t)
		}
	}
	c.keys, c.values, c.pooled = nil, nil, nil
}

// CaptionIDs encodes a caption as c's tokenizer does (train/svg/dit.py encode_caption),
// truncated to TextMaxLen ids. bytes: BOS (256) then the lower-cased UTF-8 bytes. words: BOS
// (TextVocab-1) then, per run of letters and digits of the lower-cased text, FNV-1a 32 of its
// UTF-8 bytes mod TextVocab-1 — a hashed vocabulary, so unseen words still get an id.
func (c *Config) CaptionIDs(text string) []int32 {
	// Python's str.lower() and Go's strings.ToLower agree outside a few special cases (e.g.
	// U+0130), which captions of emoji names do not hit.
	text = strings.ToLower(text)
	var ids []int32
	if c.TextTokenizer == "words" {
		mod := uint32(c.TextVocab - 1)
		ids = append(ids, int32(mod))
		for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }) {
			h := uint32(0x811C9DC5)
			for _, b := range []byte(w) {
				h = (h ^ uint32(b)) * 0x01000193
			}
			ids = append(ids, int32(h%mod))
		}
	} else {
		ids = append(ids, bos)
		for _, b := range []byte(text) {
			ids = append(ids, int32(b))
		}
	}
	if len(ids) > c.TextMaxLen {
		ids = ids[:c.TextMaxLen]
	}
	return ids
}

// EncodeCaption runs the text encoder over a caption. A backend that cannot
// allocate its buffers (on WebGPU an error matching webgpu.ErrTooLarge) makes
// it return that error, wrapped, with nothing left allocated.
func (m *Model) EncodeCaption(text string) (cap *Caption, err error) {
	c := &m.Config
	be, D, TD := m.be, c.DModel, c.TextDModel
	ids := c.CaptionIDs(text)
	L := len(ids)
	// tmp are freed on return; kept are the caption's, freed too on error.
	var tmp, kept []tensor.Tensor
	var allocErr error
	zeros := func(list *[]tensor.Tensor, shape ...int) tensor.Tensor {
		if allocErr != nil {
			return nil
		}
		t, err := be.Zeros(shape...)
		if err != nil {
			allocErr = fmt.Errorf("svgmodel: encoding a caption of %d tokens: %w", L, err)
			return nil
		}
		*list = append(*list, t)
		return t
	}
	alloc := func(shape ...int) tensor.Tensor { return zeros(&tmp, shape...) }
	keep := func(shape ...int) tensor.Tensor { return zeros(&kept, shape...) }
	defer func() {
		for _, t := range tmp {
			be.Free(t)
		}
		if err != nil {
			for _, t := range kept {
				be.Free(t)
			}
			cap = nil
		}
	}()
	x, p, h := alloc(L, TD), alloc(L, TD), alloc(L, TD)
	q, k, v, a := alloc(L, TD), alloc(L, TD), alloc(L, TD), alloc(L, TD)
	m1 := alloc(L, 4*TD)
	proj := alloc(L, D)
	cap = &Caption{m: m, L: L}
	cap.pooled = keep(1, D)
	for range m.blocks {
		cap.keys = append(cap.keys, keep(L, D))
		cap.values = append(cap.values, keep(L, D))
	}
	// Every buffer is allocated before the first op, so a failed
	// allocation never reaches an op with a nil tensor.
	if allocErr != nil {
		return nil, allocErr
	}
	positions := make([]int32, L)
	for i := range positions {
		positions[i] = int32(i)
	}
	be.Embedding(x, m.tok, ids)
	be.Embedding(p, m.pos, positions)
	be.Add(x, x, p)
	hd := TD / c.TextHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	for _, b := range m.text {
		be.LayerNorm(h, x, b.ln1w, b.ln1b, 1e-5)
		be.MatMul(q, h, b.q.w, b.q.b)
		be.MatMul(k, h, b.k.w, b.k.b)
		be.MatMul(v, h, b.v.w, b.v.b)
		m.ops.AttentionFull(a, q, k, v, c.TextHeads, hd, scale)
		be.MatMul(p, a, b.proj.w, b.proj.b)
		be.Add(x, x, p)
		be.LayerNorm(h, x, b.ln2w, b.ln2b, 1e-5)
		be.MatMul(m1, h, b.fc1.w, b.fc1.b)
		be.GeluTanh(m1, m1)
		be.MatMul(p, m1, b.fc2.w, b.fc2.b)
		be.Add(x, x, p)
	}
	be.LayerNorm(x, x, m.textLNw, m.textLNb, 1e-5)
	// Masked mean over the caption's tokens (all of them are real here), on the host: it is
	// one small read per caption.
	xs, err := be.Read(x, 0, -1)
	if err != nil {
		return nil, err
	}
	mean := make([]float32, TD)
	for r := 0; r < L; r++ {
		for j := range mean {
			mean[j] += xs[r*TD+j]
		}
	}
	for j := range mean {
		mean[j] /= float32(L)
	}
	pm, err := be.UploadF32([]int{1, TD}, mean)
	if err != nil {
		return nil, fmt.Errorf("svgmodel: encoding a caption: %w", err)
	}
	tmp = append(tmp, pm)
	be.MatMul(cap.pooled, pm, m.pool.w, m.pool.b)
	be.MatMul(proj, x, m.textProj.w, m.textProj.b)
	for i, b := range m.blocks {
		be.MatMul(cap.keys[i], proj, b.xk.w, b.xk.b)
		be.MatMul(cap.values[i], proj, b.xv.w, b.xv.b)
	}
	return cap, nil
}

// TimestepFeatures are the sinusoidal features of t·1000: [cos(t·1000·f_i), sin(t·1000·f_i)],
// f_i = 10000^(-i/half), computed in f32 like the PyTorch reference.
func TimestepFeatures(t float32, dim int) []float32 {
	half := dim / 2
	out := make([]float32, dim)
	for i := 0; i < half; i++ {
		f := float32(math.Exp(float64(float32(-math.Log(10000.0)) * float32(i) / float32(half))))
		a := t * 1000 * f
		out[i] = float32(math.Cos(float64(a)))
		out[half+i] = float32(math.Sin(float64(a)))
	}
	return out
}

// Velocity runs the DiT once: x (K,F) at time t under caption cap → v (K,F), written to dst.
func (m *Model) Velocity(dst, x []float32, t float32, cap *Caption) error {
	c := &m.Config
	be, a := m.be, &m.act
	D, K, F := c.DModel, c.Slots, c.Fields
	if len(x) != K*F || len(dst) != K*F {
		return fmt.Errorf("svgmodel: Velocity on %d values, want K·F = %d", len(x), K*F)
	}
	xt, err := be.UploadF32([]int{K, F}, x)
	if err != nil {
		return err
	}
	defer be.Free(xt)
	tf, err := be.UploadF32([]int{1, c.TimeFeatures}, TimestepFeatures(t, c.TimeFeatures))
	if err != nil {
		return err
	}
	defer be.Free(tf)
	// c = silu(t2(silu(t1(features))) + pool(pooled)).
	be.MatMul(a.c1, tf, m.t1.w, m.t1.b)
	be.SiLUMul(a.c1, a.c1, m.ones)
	be.MatMul(a.c, a.c1, m.t2.w, m.t2.b)
	be.Add(a.c, a.c, cap.pooled)
	be.SiLUMul(a.c, a.c, m.ones)

	be.MatMul(a.h, xt, m.inp.w, m.inp.b)
	be.Add(a.h, a.h, m.slot)
	hd := D / c.Heads
	scale := float32(1 / math.Sqrt(float64(hd)))
	for i, b := range m.blocks {
		for j := range a.mods {
			be.MatMul(a.mods[j], a.c, b.ada[j].w, b.ada[j].b)
		}
		be.LayerNorm(a.y, a.h, a.mods[1], a.mods[0], 1e-6)
		be.MatMul(a.q, a.y, b.q.w, b.q.b)
		be.MatMul(a.k, a.y, b.k.w, b.k.b)
		be.MatMul(a.v, a.y, b.v.w, b.v.b)
		m.ops.AttentionFull(a.a, a.q, a.k, a.v, c.Heads, hd, scale)
		be.MatMul(a.p, a.a, b.proj.w, b.proj.b)
		m.ops.AddScaled(a.h, a.h, a.mods[2], a.p)

		be.LayerNorm(a.y, a.h, b.lnxw, b.lnxb, 1e-5)
		be.MatMul(a.q, a.y, b.xq.w, b.xq.b)
		m.ops.AttentionFull(a.a, a.q, cap.keys[i], cap.values[i], c.Heads, hd, scale)
		be.MatMul(a.p, a.a, b.xp.w, b.xp.b)
		be.Add(a.h, a.h, a.p)

		be.LayerNorm(a.y, a.h, a.mods[4], a.mods[3], 1e-6)
		be.MatMul(a.m1, a.y, b.fc1.w, b.fc1.b)
		be.GeluTanh(a.m1, a.m1)
		be.MatMul(a.p, a.m1, b.fc2.w, b.fc2.b)
		m.ops.AddScaled(a.h, a.h, a.mods[5], a.p)
	}
	be.MatMul(a.outMods[0], a.c, m.adaOut[0].w, m.adaOut[0].b)
	be.MatMul(a.outMods[1], a.c, m.adaOut[1].w, m.adaOut[1].b)
	be.LayerNorm(a.y, a.h, a.outMods[1], a.outMods[0], 1e-6)
	be.MatMul(a.vout, a.y, m.out.w, m.out.b)
	v, err := be.Read(a.vout, 0, -1)
	if err != nil {
		return err
	}
	copy(dst, v)
	return nil
}
