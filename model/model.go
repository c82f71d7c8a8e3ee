// Package model loads Hugging Face causal language models (gpt2, llama,
// qwen2, qwen3, olmo2, mistral) from config.json + safetensors and runs them on any
// tensor.Backend: the forward pass with a KV cache, per-layer hidden states
// and the logit lens, sampling, and LayerSkip self-speculative decoding
// (GenerateOptions.DraftExit).
//
// The forward pass is written once against tensor.Backend, so the CPU
// reference backend and the WebGPU backend run the same code.
package model

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/tensor"
)

// Model is a loaded decoder-only transformer. Its weights live on the
// backend it was loaded with; Close frees them.
type Model struct {
	// Config is the parsed config.json. Treat it as read-only.
	Config Config
	// EOS are the token ids that end generation by default: those of
	// generation_config.json when it sets them, else config.json's.
	EOS []int32
	// Generation holds generation_config.json's sampling defaults (zero
	// without the file); Options applies them to a Request.
	Generation GenerationConfig

	be      tensor.Backend
	embed   tensor.Tensor // (V,C)
	posEmb  tensor.Tensor // (P,C), GPT-2 learned positions; nil otherwise
	layers  []layerWeights
	normW   tensor.Tensor // (C)
	normB   tensor.Tensor // (C) or nil
	lmHead  tensor.Tensor // (V,C); the embedding table when tied
	invFreq tensor.Tensor // (D/2) RoPE inverse frequencies; nil for GPT-2
	// invFreqLocal (Gemma 3) is the sliding-window layers' RoPE
	// (Config.LocalRopeTheta); nil otherwise.
	invFreqLocal tensor.Tensor
	// invFreqLong (LongRoPE) is the inverse frequencies with the long
	// factors, for passes reaching past the original context (passRoPE);
	// invFreq has the short ones. nil otherwise.
	invFreqLong tensor.Tensor
	owned       []tensor.Tensor
	// linearRing makes ring layers attend over scratch copies of the
	// window even on a backend that reads rings, the path every other
	// backend takes (tests run it on the CPU).
	linearRing bool
	// adapters are the draft adapters by exit layer (DraftAdapterFile);
	// adapterTensors owns their weights.
	adapters       map[int]*draftAdapter
	adapterTensors []tensor.Tensor
}

// layerWeights are one decoder layer's tensors. Linear weights are (N,K);
// biases are nil when the architecture has none. GPT-2's MLP uses up
// (c_fc) and down (c_proj) and no gate.
type layerWeights struct {
	norm1W, norm1B, norm2W, norm2B tensor.Tensor
	q, k, v, o                     tensor.Tensor
	qB, kB, vB, oB                 tensor.Tensor
	gate, up, down                 tensor.Tensor
	gateB, upB, downB              tensor.Tensor
	// qNorm, kNorm are the q/k RMSNorm weights (Config.QKNorm): (D) per
	// head, or (H·D) and (G·D) over the whole projection; nil without.
	qNorm, kNorm tensor.Tensor
	// postAttn, postFFN are Gemma 3's norms of the attention and MLP
	// outputs (Config.SandwichNorms); nil without.
	postAttn, postFFN tensor.Tensor
}

// Backend returns the backend the model's weights live on.
func (m *Model) Backend() tensor.Backend { return m.be }

// Close frees the model's weights. Sessions made from it must not be used
// afterwards.
func (m *Model) Close() {
	for _, t := range m.owned {
		m.be.Free(t)
	}
	m.owned = nil
	m.dropDraftAdapters()
}

// LoadDir loads a model directory from the local file system; see Load.
func LoadDir(dir string, be tensor.Backend) (*Model, error) {
	return Load(os.DirFS(dir), be)
}

// Load loads a Hugging Face model folder from fsys: config.json, optional
// generation_config.json, and either model.safetensors or
// model.safetensors.index.json with its shards. fsys may be an in-memory
// file system (fstest.MapFS, or one over browser-provided bytes).
//
// Tensors are read one at a time through io.ReaderAt (when the files
// support it) into one reused buffer and uploaded, so the weights never
// exist twice in host memory beyond one tensor. Weights keep their file
// dtype (F32, F16 or BF16); norms and biases are converted to F32.
func Load(fsys fs.FS, be tensor.Backend) (*Model, error) {
	cfgData, err := fs.ReadFile(fsys, "config.json")
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	cfg, err := ParseConfig(cfgData)
	if err != nil {
		return nil, err
	}
	eos := cfg.EOSTokenID
	var gen GenerationConfig
	if g, err := fs.ReadFile(fsys, "generation_config.json"); err == nil {
		var ids []int32
		if ids, gen, err = parseGeneration(g); err != nil {
			return nil, err
		}
		if ids != nil {
			eos = ids
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("model: %w", err)
	}
	src, err := OpenWeights(fsys)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	m := &Model{Config: *cfg, EOS: eos, Generation: gen, be: be}
	if err := m.loadWeights(src); err != nil {
		m.Close()
		return nil, err
	}
	if err := m.loadDraftAdapters(fsys); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// loader uploads tensors by name with shape checks, tracking ownership.
type loader struct {
	m   *Model
	src *Weights
}

func (l *loader) keep(t tensor.Tensor, err error) (tensor.Tensor, error) {
	return l.keepAs("", t, err)
}

// keepAs is keep naming the checkpoint tensor in an upload error (e.g. one too large for a
// GPU's buffer limits), which stays matchable with errors.Is.
func (l *loader) keepAs(name string, t tensor.Tensor, err error) (tensor.Tensor, error) {
	if err != nil {
		if name != "" {
			return nil, fmt.Errorf("model: tensor %q: %w", name, err)
		}
		return nil, err
	}
	l.m.owned = append(l.m.owned, t)
	return t, nil
}

// matrix uploads a 2-D weight of the given shape: in its file dtype, or
// quantized when the checkpoint holds it quantized (see QuantConfig) and
// the backend keeps quantized weights (else dequantized to F32).
func (l *loader) matrix(name string, shape ...int) (tensor.Tensor, error) {
	q, ok, err := l.src.QuantizedMatrix(l.m.Config.Quant, name, shape[0], shape[1])
	if err != nil {
		return nil, err
	}
	if ok {
		var t tensor.Tensor
		if qu, isQ := l.m.be.(tensor.QuantUploader); isQ {
			t, err = qu.UploadQuant(q)
		} else {
			t, err = l.m.be.UploadF32(shape, q.Dequantize())
		}
		return l.keepAs(name, t, err)
	}
	dt, b, err := l.src.Float(name, shape...)
	if err != nil {
		return nil, err
	}
	t, err := l.m.be.Upload(shape, dt, b)
	return l.keepAs(name, t, err)
}

// vector uploads a 1-D float tensor (norm weight or bias) as F32.
func (l *loader) vector(name string, n int) (tensor.Tensor, error) {
	dt, b, err := l.src.Float(name, n)
	if err != nil {
		return nil, err
	}
	t, err := l.m.be.UploadF32([]int{n}, DecodeF32(dt, b))
	return l.keepAs(name, t, err)
}

// rowBlocks reads a fused (sum of blocks, k) weight and uploads its row
// blocks as separate (n, k) matrices in its dtype (Phi-3's qkv_proj and
// gate_up_proj). Quantized fused weights are not split.
func (l *loader) rowBlocks(name string, k int, blocks ...int) ([]tensor.Tensor, error) {
	rows := 0
	for _, n := range blocks {
		rows += n
	}
	dt, b, err := l.src.Float(name, rows, k)
	if err != nil {
		return nil, err
	}
	es := dt.Size()
	var res []tensor.Tensor
	from := 0
	for _, n := range blocks {
		t, err := l.m.be.Upload([]int{n, k}, dt, b[from*k*es:(from+n)*k*es])
		if t, err = l.keepAs(name, t, err); err != nil {
			return nil, err
		}
		res = append(res, t)
		from += n
	}
	return res, nil
}

// normVector reads an RMSNorm weight: as vector, plus 1 for Gemma 3
// (Gemma3RMSNorm scales by 1+w).
func (l *loader) normVector(name string, n int) (tensor.Tensor, error) {
	if l.m.Config.Arch != Gemma3 {
		return l.vector(name, n)
	}
	dt, b, err := l.src.Float(name, n)
	if err != nil {
		return nil, err
	}
	v := DecodeF32(dt, b)
	for i := range v {
		v[i]++
	}
	t, err := l.m.be.UploadF32([]int{n}, v)
	return l.keepAs(name, t, err)
}

// conv1D reads a GPT-2 Conv1D weight stored [in, out] and uploads the
// column blocks [from, from+n) of it transposed to (n, in), keeping its
// dtype. Splitting c_attn's fused q/k/v this way gives three ordinary
// Linear weights.
func (l *loader) conv1D(name string, in, out int, blocks ...int) ([]tensor.Tensor, error) {
	dt, b, err := l.src.Float(name, in, out)
	if err != nil {
		return nil, err
	}
	es := dt.Size()
	var res []tensor.Tensor
	from := 0
	for _, n := range blocks {
		tr := make([]byte, n*in*es)
		for o := 0; o < n; o++ {
			for i := 0; i < in; i++ {
				copy(tr[(o*in+i)*es:(o*in+i+1)*es], b[(i*out+from+o)*es:(i*out+from+o+1)*es])
			}
		}
		t, err := l.m.be.Upload([]int{n, in}, dt, tr)
		t, err = l.keepAs(name, t, err)
		if err != nil {
			return nil, err
		}
		res = append(res, t)
		from += n
	}
	return res, nil
}

// biasBlocks reads a 1-D bias and uploads consecutive blocks as F32.
func (l *loader) biasBlocks(name string, blocks ...int) ([]tensor.Tensor, error) {
	total := 0
	for _, n := range blocks {
		total += n
	}
	dt, b, err := l.src.Float(name, total)
	if err != nil {
		return nil, err
	}
	v := DecodeF32(dt, b)
	var res []tensor.Tensor
	from := 0
	for _, n := range blocks {
		t, err := l.m.be.UploadF32([]int{n}, v[from:from+n])
		t, err = l.keepAs(name, t, err)
		if err != nil {
			return nil, err
		}
		res = append(res, t)
		from += n
	}
	return res, nil
}

func (m *Model) loadWeights(src *Weights) error {
	l := &loader{m: m, src: src}
	c := &m.Config
	if err := m.checkBackend(); err != nil {
		return err
	}
	if c.Arch == GPT2 {
		if err := l.loadGPT2(); err != nil {
			return err
		}
	} else if err := l.loadLlama(); err != nil {
		return err
	}
	return m.uploadRoPE()
}

func (l *loader) loadGPT2() error {
	m, c := l.m, &l.m.Config
	if c.Quant != nil {
		return unsupported("quantization_config", "quantized gpt2 checkpoints (lamina quantizes llama and qwen2)")
	}
	// Hub GPT-2 checkpoints come both with and without the "transformer."
	// prefix (GPT2LMHeadModel vs GPT2Model state dicts).
	p := "transformer."
	if !l.src.Has(p + "wte.weight") {
		p = ""
	}
	C, I := c.Hidden, c.Intermediate
	var err error
	if m.embed, err = l.matrix(p+"wte.weight", c.VocabSize, C); err != nil {
		return err
	}
	if m.posEmb, err = l.matrix(p+"wpe.weight", c.MaxPositions, C); err != nil {
		return err
	}
	m.layers = make([]layerWeights, c.Layers)
	for i := range m.layers {
		L := &m.layers[i]
		h := fmt.Sprintf("%sh.%d.", p, i)
		var ts []tensor.Tensor
		if L.norm1W, err = l.vector(h+"ln_1.weight", C); err != nil {
			return err
		}
		if L.norm1B, err = l.vector(h+"ln_1.bias", C); err != nil {
			return err
		}
		if ts, err = l.conv1D(h+"attn.c_attn.weight", C, 3*C, C, C, C); err != nil {
			return err
		}
		L.q, L.k, L.v = ts[0], ts[1], ts[2]
		if ts, err = l.biasBlocks(h+"attn.c_attn.bias", C, C, C); err != nil {
			return err
		}
		L.qB, L.kB, L.vB = ts[0], ts[1], ts[2]
		if ts, err = l.conv1D(h+"attn.c_proj.weight", C, C, C); err != nil {
			return err
		}
		L.o = ts[0]
		if L.oB, err = l.vector(h+"attn.c_proj.bias", C); err != nil {
			return err
		}
		if L.norm2W, err = l.vector(h+"ln_2.weight", C); err != nil {
			return err
		}
		if L.norm2B, err = l.vector(h+"ln_2.bias", C); err != nil {
			return err
		}
		if ts, err = l.conv1D(h+"mlp.c_fc.weight", C, I, I); err != nil {
			return err
		}
		L.up = ts[0]
		if L.upB, err = l.vector(h+"mlp.c_fc.bias", I); err != nil {
			return err
		}
		if ts, err = l.conv1D(h+"mlp.c_proj.weight", I, C, C); err != nil {
			return err
		}
		L.down = ts[0]
		if L.downB, err = l.vector(h+"mlp.c_proj.bias", C); err != nil {
			return err
		}
	}
	if m.normW, err = l.vector(p+"ln_f.weight", C); err != nil {
		return err
	}
	if m.normB, err = l.vector(p+"ln_f.bias", C); err != nil {
		return err
	}
	return l.loadLMHead("lm_head.weight")
}

func (l *loader) loadLlama() error {
	m, c := l.m, &l.m.Config
	C, I := c.Hidden, c.Intermediate
	QW, KW := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	var err error
	if m.embed, err = l.matrix("model.embed_tokens.weight", c.VocabSize, C); err != nil {
		return err
	}
	m.layers = make([]layerWeights, c.Layers)
	for i := range m.layers {
		L := &m.layers[i]
		h := fmt.Sprintf("model.layers.%d.", i)
		type mat struct {
			dst  *tensor.Tensor
			name string
			n, k int
		}
		mats := []mat{{&L.o, "self_attn.o_proj", C, QW}, {&L.down, "mlp.down_proj", C, I}}
		if c.Arch == Phi3 {
			// Phi-3's fused projections: rows q|k|v and gate|up.
			qkv, err := l.rowBlocks(h+"self_attn.qkv_proj.weight", C, QW, KW, KW)
			if err != nil {
				return err
			}
			L.q, L.k, L.v = qkv[0], qkv[1], qkv[2]
			gu, err := l.rowBlocks(h+"mlp.gate_up_proj.weight", C, I, I)
			if err != nil {
				return err
			}
			L.gate, L.up = gu[0], gu[1]
		} else {
			mats = append(mats, mat{&L.q, "self_attn.q_proj", QW, C}, mat{&L.k, "self_attn.k_proj", KW, C},
				mat{&L.v, "self_attn.v_proj", KW, C}, mat{&L.gate, "mlp.gate_proj", I, C}, mat{&L.up, "mlp.up_proj", I, C})
		}
		for _, w := range mats {
			if *w.dst, err = l.matrix(h+w.name+".weight", w.n, w.k); err != nil {
				return err
			}
		}
		type bias struct {
			dst  *tensor.Tensor
			name string
			n    int
		}
		var biases []bias
		if c.QKVBias {
			biases = append(biases, bias{&L.qB, "self_attn.q_proj", QW}, bias{&L.kB, "self_attn.k_proj", KW}, bias{&L.vB, "self_attn.v_proj", KW})
		}
		if c.OutBias {
			biases = append(biases, bias{&L.oB, "self_attn.o_proj", C})
		}
		if c.MLPBias {
			biases = append(biases, bias{&L.gateB, "mlp.gate_proj", I}, bias{&L.upB, "mlp.up_proj", I}, bias{&L.downB, "mlp.down_proj", C})
		}
		for _, b := range biases {
			if *b.dst, err = l.vector(h+b.name+".bias", b.n); err != nil {
				return err
			}
		}
		switch c.QKNorm {
		case QKNormHead:
			if L.qNorm, err = l.normVector(h+"self_attn.q_norm.weight", c.HeadDim); err != nil {
				return err
			}
			if L.kNorm, err = l.normVector(h+"self_attn.k_norm.weight", c.HeadDim); err != nil {
				return err
			}
		case QKNormFull:
			if L.qNorm, err = l.vector(h+"self_attn.q_norm.weight", QW); err != nil {
				return err
			}
			if L.kNorm, err = l.vector(h+"self_attn.k_norm.weight", KW); err != nil {
				return err
			}
		}
		// With PostNorms (OLMo 2) norm1 and norm2 are applied to the
		// attention and MLP outputs; HF names them post_attention_layernorm
		// and post_feedforward_layernorm. Otherwise they are the pre-norms.
		n1, n2 := "input_layernorm.weight", "post_attention_layernorm.weight"
		if c.PostNorms {
			n1, n2 = "post_attention_layernorm.weight", "post_feedforward_layernorm.weight"
		}
		if c.SandwichNorms {
			n2 = "pre_feedforward_layernorm.weight"
			if L.postAttn, err = l.normVector(h+"post_attention_layernorm.weight", C); err != nil {
				return err
			}
			if L.postFFN, err = l.normVector(h+"post_feedforward_layernorm.weight", C); err != nil {
				return err
			}
		}
		if L.norm1W, err = l.normVector(h+n1, C); err != nil {
			return err
		}
		if L.norm2W, err = l.normVector(h+n2, C); err != nil {
			return err
		}
	}
	if m.normW, err = l.normVector("model.norm.weight", C); err != nil {
		return err
	}
	return l.loadLMHead("lm_head.weight")
}

func (l *loader) loadLMHead(name string) error {
	m, c := l.m, &l.m.Config
	if c.TieWordEmbeddings {
		m.lmHead = m.embed
		return nil
	}
	var err error
	m.lmHead, err = l.matrix(name, c.VocabSize, c.Hidden)
	return err
}

// HeadRMSNormer is implemented by backends that can RMS-normalise each
// head of a (T, heads·D) tensor with one (D) weight, which Qwen3's q_norm
// and k_norm need (the CPU and WebGPU backends). tensor.Backend's RMSNorm normalises
// whole rows only.
type HeadRMSNormer interface {
	// RMSNormHeads: for every row t and head h, out[t, h·D:(h+1)·D] =
	// x[t, h·D:(h+1)·D] / sqrt(mean(x²) + eps) * w, with D = len(w).
	// out may alias x.
	RMSNormHeads(out, x, w tensor.Tensor, eps float32)
}

// GemmaOps is implemented by backends with the element-wise ops Gemma 3
// needs beyond tensor.Backend (the CPU and WebGPU backends).
type GemmaOps interface {
	// Scale: x *= s in place.
	Scale(x tensor.Tensor, s float32)
	// GeluTanhMul: out = gelu_tanh(gate) * up; out may alias either.
	GeluTanhMul(out, gate, up tensor.Tensor)
}

// checkBackend refuses architectures whose ops the backend lacks.
func (m *Model) checkBackend() error {
	if m.Config.GeGLU || m.Config.EmbedScale != 0 {
		if _, ok := m.be.(GemmaOps); !ok {
			return &ConfigError{Field: "model_type", Unsupported: true,
				Reason: fmt.Sprintf("unsupported %s on the %s backend (GeGLU and embedding scaling need model.GemmaOps)", m.Config.Arch, m.be.Name())}
		}
	}
	if m.Config.QKNorm == QKNormHead {
		if _, ok := m.be.(HeadRMSNormer); !ok {
			return &ConfigError{Field: "model_type", Unsupported: true,
				Reason: fmt.Sprintf("unsupported %s on the %s backend (per-head q/k RMSNorm needs model.HeadRMSNormer)", m.Config.Arch, m.be.Name())}
		}
	}
	return nil
}

// uploadRoPE computes RoPE inverse frequencies on the host, with the
// config's scaling, and uploads them once.
func (m *Model) uploadRoPE() error {
	if m.Config.Arch == GPT2 {
		return nil
	}
	t, err := m.be.UploadF32([]int{m.Config.HeadDim / 2}, ropeInvFreq(&m.Config))
	if err != nil {
		return err
	}
	m.invFreq = t
	m.owned = append(m.owned, t)
	if m.Config.RopeScaling.Type == "longrope" {
		if t, err = m.be.UploadF32([]int{m.Config.HeadDim / 2}, ropeInvFreqFactors(&m.Config, m.Config.RopeScaling.LongFactor)); err != nil {
			return err
		}
		m.invFreqLong = t
		m.owned = append(m.owned, t)
	}
	if m.Config.SlidingLayers != nil && m.Config.LocalRopeTheta > 0 {
		lc := m.Config
		lc.RopeTheta, lc.RopeScaling = lc.LocalRopeTheta, RopeScaling{}
		if t, err = m.be.UploadF32([]int{lc.HeadDim / 2}, ropeInvFreq(&lc)); err != nil {
			return err
		}
		m.invFreqLocal = t
		m.owned = append(m.owned, t)
	}
	return nil
}

// ropeInvFreqFactors is LongRoPE's inverse frequencies for the factors
// ext (the short or the long ones); see ropeInvFreq.
func ropeInvFreqFactors(c *Config, ext []float64) []float32 {
	lc := *c
	lc.RopeScaling.ShortFactor = ext
	return ropeInvFreq(&lc)
}

// ropeInvFreq returns inv_freq[j] = theta^(-2j/D), divided by LongRoPE's
// short factors, or adjusted by linear or Llama-3 scaling exactly as transformers' _compute_llama3_parameters:
// wavelengths longer than original_max/low_freq_factor are divided by
// factor, shorter than original_max/high_freq_factor kept, and the band in
// between interpolated smoothly.
func ropeInvFreq(c *Config) []float32 {
	D := c.HeadDim
	inv := make([]float64, D/2)
	for j := range inv {
		inv[j] = 1 / math.Pow(c.RopeTheta, float64(2*j)/float64(D))
	}
	s := c.RopeScaling
	switch s.Type {
	case "longrope": // the short factors (the long: ropeInvFreqFactors)
		for j := range inv {
			inv[j] /= s.ShortFactor[j]
		}
	case "linear":
		for j := range inv {
			inv[j] /= s.Factor
		}
	case "llama3":
		old := float64(s.OriginalMaxPositions)
		lowWave := old / s.LowFreqFactor
		highWave := old / s.HighFreqFactor
		for j, f := range inv {
			wave := 2 * math.Pi / f
			switch {
			case wave > lowWave:
				inv[j] = f / s.Factor
			case wave < highWave:
			default:
				smooth := (old/wave - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor)
				inv[j] = (1-smooth)*f/s.Factor + smooth*f
			}
		}
	}
	out := make([]float32, len(inv))
	for j, f := range inv {
		out[j] = float32(f)
		// transformers keeps inv_freq as a buffer in the model's dtype
		// when a checkpoint is loaded in its stored dtype (config "dtype"),
		// and upcasts it to f32 only in the forward; round the same way so
		// f16/bf16 checkpoints give transformers' numbers.
		switch c.DType {
		case "float16":
			out[j] = kernels.F16ToF32(kernels.F32ToF16(out[j]))
		case "bfloat16":
			out[j] = kernels.BF16ToF32(f32ToBF16(out[j]))
		}
	}
	return out
}
