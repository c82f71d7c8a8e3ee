package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Arch is the family of a decoder-only transformer lamina can run.
type Arch string

// Supported architectures, named by their config.json model_type.
const (
	GPT2  Arch = "gpt2"
	Llama Arch = "llama"
	Qwen2 Arch = "qwen2"
	// Qwen3 is Qwen2 without q/k/v biases (attention_bias) and with an
	// RMSNorm over each head of q and k before RoPE (q_norm, k_norm).
	Qwen3 Arch = "qwen3"
	// OLMo2 has no pre-norms: RMSNorms over the whole q and k projections
	// (q_norm, k_norm) and after each sub-block, before its residual add
	// (post_attention_layernorm, post_feedforward_layernorm).
	OLMo2 Arch = "olmo2"
	// Mistral is Llama with sliding-window attention (sliding_window).
	Mistral Arch = "mistral"
	// SmolLM3 is Llama with NoPE layers: no RoPE on the layers
	// no_rope_layers marks 0 (by default every no_rope_layer_interval-th).
	SmolLM3 Arch = "smollm3"
	// Gemma3 is Gemma 3's text model (Gemma3ForCausalLM): GeGLU with
	// tanh-GELU, embeddings scaled by sqrt(hidden), RMSNorms with weight
	// 1+w before and after both sub-blocks, per-head q/k norms,
	// query_pre_attn_scalar, and sliding-window layers with their own
	// RoPE base between global ones.
	Gemma3 Arch = "gemma3_text"
	// Phi3 is Llama with fused projections (qkv_proj, gate_up_proj, split
	// at load) and an optional sliding window on every layer.
	Phi3 Arch = "phi3"
)

// QKNorm says whether and how q and k are RMS-normalised after their
// projections (before RoPE).
type QKNorm int

const (
	QKNormNone QKNorm = iota
	QKNormHead        // per head: weights (D), Qwen3
	QKNormFull        // over the whole projection: weights (H·D) and (G·D), OLMo 2
)

// RopeScaling is Llama-3 style frequency scaling ("rope_type": "llama3"),
// linear position interpolation ("linear") or LongRoPE ("longrope", which
// Phi-3's first configs call "su"). The zero value (Type "") means no
// scaling.
type RopeScaling struct {
	Type                          string  // "", "linear", "llama3" or "longrope"
	Factor                        float64 // linear, llama3; longrope's context ratio
	LowFreqFactor, HighFreqFactor float64 // llama3
	OriginalMaxPositions          int     // llama3, longrope: original_max_position_embeddings
	// LongRoPE (Ding et al. 2024, as transformers' _compute_longrope_parameters):
	// inverse frequency j is divided by ShortFactor[j] in a forward pass
	// whose positions all lie below OriginalMaxPositions, by LongFactor[j]
	// in one that reaches past it; AttnFactor (sqrt(1+ln(factor)/ln(orig))
	// unless the config sets attention_factor) multiplies RoPE's cos and
	// sin, so it scales q·k by its square (folded into Config.AttnScale).
	ShortFactor, LongFactor []float64
	AttnFactor              float64
}

// Config is a parsed config.json, normalised across architectures.
type Config struct {
	Arch         Arch
	VocabSize    int
	Hidden       int // C, the residual width
	Layers       int
	Heads        int // H, query heads
	KVHeads      int // G, key/value heads (GQA); equals Heads without GQA
	HeadDim      int // D; may differ from Hidden/Heads (config head_dim)
	Intermediate int // MLP width
	MaxPositions int // max_position_embeddings / n_positions

	NormEps float32 // rms_norm_eps or layer_norm_epsilon

	// RopeTheta is the RoPE base (Llama, Qwen2); 0 for GPT-2, which uses
	// learned absolute positions instead.
	RopeTheta   float64
	RopeScaling RopeScaling

	// AttnScale multiplies q·k; 1/sqrt(HeadDim) unless GPT-2's
	// scale_attn_weights is false.
	AttnScale float32

	TieWordEmbeddings bool
	QKVBias           bool // bias on q/k/v projections
	OutBias           bool // bias on the attention output projection
	MLPBias           bool // bias on the MLP projections

	// QKNorm is the q/k normalisation (Qwen3, OLMo 2); QKNormNone otherwise.
	QKNorm QKNorm
	// PostNorms (OLMo 2) replaces the pre-norms of both sub-blocks by
	// norms of their outputs before the residual add.
	PostNorms bool
	// SlidingWindow (Mistral) is the attention window W: position i sees
	// keys i-W+1..i (tensor.AttentionArgs.Window). 0 means full causal
	// attention. The KV cache still keeps every position (no ring buffer);
	// the WebGPU backend runs only sequences of at most W positions, where
	// the causal mask is the sliding one.
	SlidingWindow int
	// NoRoPE (SmolLM3) marks the layers that apply no rotary embedding;
	// nil or all false elsewhere. Its length is Layers when set.
	NoRoPE []bool
	// Gemma 3: EmbedScale multiplies the token embeddings (0: none);
	// SandwichNorms adds norms of both sub-blocks' outputs (weights
	// postAttn, postFFN) to the pre-norms; GeGLU is the gated MLP with
	// tanh-GELU for SiLU. SlidingLayers marks the layers that use
	// SlidingWindow (nil: all of them do, as Mistral) and LocalRopeTheta
	// is those layers' RoPE base. Norm weights are stored as w and used as
	// 1+w (loading adds the 1, as llama.cpp's converter does).
	EmbedScale     float32
	SandwichNorms  bool
	GeGLU          bool
	SlidingLayers  []bool
	LocalRopeTheta float64

	// DType is the checkpoint's declared dtype (config "dtype", formerly
	// "torch_dtype"): "float32", "float16", "bfloat16" or "" when absent.
	// Compute is f32 regardless; it only decides how RoPE frequencies are
	// rounded (see ropeInvFreq).
	DType string

	BOSTokenID int32   // -1 when unset
	EOSTokenID []int32 // may be empty

	// Quant is config.json's quantization_config (lamina's format, see
	// QuantConfig); nil for a float checkpoint.
	Quant *QuantConfig
}

// ConfigError is returned by ParseConfig for malformed or unsupported
// configs. Field names the config.json key at fault.
type ConfigError struct {
	Field  string
	Reason string
	// Unsupported is set when the config is well-formed but asks for a
	// feature lamina does not implement; such errors wrap ErrUnsupported.
	Unsupported bool
}

// Unwrap lets errors.Is(err, ErrUnsupported) find unsupported features.
func (e *ConfigError) Unwrap() error {
	if e.Unsupported {
		return ErrUnsupported
	}
	return nil
}

func (e *ConfigError) Error() string {
	if e.Field == "" {
		return "model: config.json: " + e.Reason
	}
	return fmt.Sprintf("model: config.json: %s: %s", e.Field, e.Reason)
}

// ErrUnsupported is wrapped by every ConfigError about a feature lamina
// does not implement (as opposed to a malformed file), so callers can use
// errors.Is(err, ErrUnsupported).
var ErrUnsupported = errors.New("unsupported")

func unsupported(field, format string, a ...any) error {
	return &ConfigError{Field: field, Reason: "unsupported " + fmt.Sprintf(format, a...), Unsupported: true}
}

func badField(field, format string, a ...any) error {
	return &ConfigError{Field: field, Reason: fmt.Sprintf(format, a...)}
}

// rawConfig holds every config.json key lamina reads, across architectures.
// Pointers distinguish "absent" from zero.
type rawConfig struct {
	ModelType  string  `json:"model_type"`
	DType      *string `json:"dtype"`
	TorchDType *string `json:"torch_dtype"`

	// Llama / Qwen2 names.
	VocabSize    *int             `json:"vocab_size"`
	HiddenSize   *int             `json:"hidden_size"`
	NumLayers    *int             `json:"num_hidden_layers"`
	NumHeads     *int             `json:"num_attention_heads"`
	NumKVHeads   *int             `json:"num_key_value_heads"`
	HeadDim      *int             `json:"head_dim"`
	Intermediate *int             `json:"intermediate_size"`
	MaxPos       *int             `json:"max_position_embeddings"`
	RMSNormEps   *float64         `json:"rms_norm_eps"`
	HiddenAct    *string          `json:"hidden_act"`
	RopeTheta    *float64         `json:"rope_theta"`
	RopeParams   *json.RawMessage `json:"rope_parameters"`
	RopeScaling  *json.RawMessage `json:"rope_scaling"`
	AttnBias     *bool            `json:"attention_bias"`
	MLPBias      *bool            `json:"mlp_bias"`
	PartialRot   *float64         `json:"partial_rotary_factor"`
	UseSliding   *bool            `json:"use_sliding_window"`
	SlidingWin   *int             `json:"sliding_window"`
	MaxWindow    *int             `json:"max_window_layers"`
	ClipQKV      *float64         `json:"clip_qkv"`
	LayerTypes   []string         `json:"layer_types"`
	NoRopeLayers []int            `json:"no_rope_layers"`
	NoRopeStep   *int             `json:"no_rope_layer_interval"`
	TieEmbed     *bool            `json:"tie_word_embeddings"`
	OrigMaxPos   *int             `json:"original_max_position_embeddings"` // Phi-3, beside rope_scaling
	HiddenActv   *string          `json:"hidden_activation"`
	QueryScalar  *float64         `json:"query_pre_attn_scalar"`
	SlidingPat   *int             `json:"sliding_window_pattern"`
	RopeLocal    *float64         `json:"rope_local_base_freq"`
	FinalSoftcap *float64         `json:"final_logit_softcapping"`
	AttnSoftcap  *float64         `json:"attn_logit_softcapping"`
	Bidi         *bool            `json:"use_bidirectional_attention"`
	Quant        *json.RawMessage `json:"quantization_config"`
	BOS          *json.RawMessage `json:"bos_token_id"`
	EOS          *json.RawMessage `json:"eos_token_id"`

	// GPT-2 names.
	NEmbd           *int     `json:"n_embd"`
	NLayer          *int     `json:"n_layer"`
	NHead           *int     `json:"n_head"`
	NInner          *int     `json:"n_inner"`
	NPositions      *int     `json:"n_positions"`
	LayerNormEps    *float64 `json:"layer_norm_epsilon"`
	ActivationFn    *string  `json:"activation_function"`
	ScaleAttn       *bool    `json:"scale_attn_weights"`
	ScaleByLayerIdx *bool    `json:"scale_attn_by_inverse_layer_idx"`
	AddCrossAttn    *bool    `json:"add_cross_attention"`
}

// ropeParams is rope_parameters (transformers ≥5) or rope_scaling (older).
type ropeParams struct {
	RopeTheta      *float64  `json:"rope_theta"`
	RopeType       *string   `json:"rope_type"`
	Type           *string   `json:"type"` // legacy spelling of rope_type
	Factor         *float64  `json:"factor"`
	LowFreqFactor  *float64  `json:"low_freq_factor"`
	HighFreqFactor *float64  `json:"high_freq_factor"`
	OrigMaxPos     *int      `json:"original_max_position_embeddings"`
	PartialRot     *float64  `json:"partial_rotary_factor"`
	ShortFactor    []float64 `json:"short_factor"`
	LongFactor     []float64 `json:"long_factor"`
	AttnFactor     *float64  `json:"attention_factor"`
}

// maxDim bounds every size in a config so that products of them cannot
// overflow int and a hostile config cannot request absurd allocations before
// the weights are even looked at.
const maxDim = 1 << 24

// ParseConfig parses a Hugging Face config.json for a gpt2, llama, qwen2,
// qwen3, olmo2 or mistral model. Unknown model types and features lamina does not implement
// (sliding-window attention in use, partial rotary embeddings, activations
// other than SiLU / tanh-GELU, unknown RoPE scaling) are errors that name
// the offending key; they wrap ErrUnsupported.
func ParseConfig(data []byte) (*Config, error) {
	var r rawConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&r); err != nil {
		return nil, &ConfigError{Reason: "invalid JSON: " + err.Error()}
	}
	var c *Config
	var err error
	switch Arch(r.ModelType) {
	case GPT2:
		c, err = parseGPT2(&r)
	case Llama, Qwen2, Qwen3, OLMo2, Mistral, SmolLM3, Phi3:
		c, err = parseLlama(&r)
	case Gemma3:
		c, err = parseGemma3(&r)
	case "":
		return nil, badField("model_type", "missing")
	default:
		return nil, unsupported("model_type", "model type %q (supported: gpt2, llama, qwen2, qwen3, olmo2, mistral, smollm3, gemma3_text, phi3)", r.ModelType)
	}
	if err != nil {
		return nil, err
	}
	c.DType = strOr(r.DType, strOr(r.TorchDType, ""))
	if c.BOSTokenID, err = parseBOS(r.BOS); err != nil {
		return nil, err
	}
	if c.EOSTokenID, err = parseTokenIDs("eos_token_id", r.EOS); err != nil {
		return nil, err
	}
	if r.Quant != nil {
		if c.Quant, err = ParseQuantConfig(*r.Quant); err != nil {
			return nil, err
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func parseGPT2(r *rawConfig) (*Config, error) {
	c := &Config{Arch: GPT2, TieWordEmbeddings: true, QKVBias: true, OutBias: true, MLPBias: true}
	c.VocabSize = intOr(r.VocabSize, 50257)
	c.Hidden = intOr(r.NEmbd, 768)
	c.Layers = intOr(r.NLayer, 12)
	c.Heads = intOr(r.NHead, 12)
	c.KVHeads = c.Heads
	if c.Heads > 0 {
		c.HeadDim = c.Hidden / c.Heads
	}
	c.Intermediate = 4 * c.Hidden
	if r.NInner != nil {
		c.Intermediate = *r.NInner
	}
	c.MaxPositions = intOr(r.NPositions, 1024)
	c.NormEps = float32(floatOr(r.LayerNormEps, 1e-5))
	// GPT-2's "gelu_new" is the tanh approximation, as is
	// "gelu_pytorch_tanh"; exact erf GELU is not implemented.
	switch act := strOr(r.ActivationFn, "gelu_new"); act {
	case "gelu_new", "gelu_pytorch_tanh", "gelu_fast":
	default:
		return nil, unsupported("activation_function", "activation %q", act)
	}
	if boolOr(r.ScaleByLayerIdx, false) {
		return nil, unsupported("scale_attn_by_inverse_layer_idx", "feature (true)")
	}
	if boolOr(r.AddCrossAttn, false) {
		return nil, unsupported("add_cross_attention", "feature (true)")
	}
	if c.Hidden%max(c.Heads, 1) != 0 {
		return nil, badField("n_embd", "%d is not divisible by n_head %d", c.Hidden, c.Heads)
	}
	c.AttnScale = 1
	if boolOr(r.ScaleAttn, true) && c.HeadDim > 0 {
		c.AttnScale = float32(1 / math.Sqrt(float64(c.HeadDim)))
	}
	if r.TieEmbed != nil {
		c.TieWordEmbeddings = *r.TieEmbed
	}
	return c, nil
}

func parseLlama(r *rawConfig) (*Config, error) {
	c := &Config{Arch: Arch(r.ModelType)}
	for _, f := range []struct {
		name string
		v    *int
		dst  *int
	}{
		{"vocab_size", r.VocabSize, &c.VocabSize},
		{"hidden_size", r.HiddenSize, &c.Hidden},
		{"num_hidden_layers", r.NumLayers, &c.Layers},
		{"num_attention_heads", r.NumHeads, &c.Heads},
		{"intermediate_size", r.Intermediate, &c.Intermediate},
	} {
		if f.v == nil {
			return nil, badField(f.name, "missing")
		}
		*f.dst = *f.v
	}
	c.KVHeads = intOr(r.NumKVHeads, c.Heads)
	if c.Heads > 0 {
		c.HeadDim = c.Hidden / c.Heads
	}
	if c.Arch == Qwen3 {
		c.HeadDim = 128 // Qwen3Config's default head_dim
	}
	if r.HeadDim != nil {
		c.HeadDim = *r.HeadDim
	}
	c.MaxPositions = intOr(r.MaxPos, 2048)
	epsDefault := 1e-6
	if c.Arch == OLMo2 || c.Arch == Mistral || c.Arch == Phi3 {
		epsDefault = 1e-5 // Olmo2Config's, MistralConfig's and Phi3Config's defaults
	}
	c.NormEps = float32(floatOr(r.RMSNormEps, epsDefault))
	if act := strOr(r.HiddenAct, "silu"); act != "silu" {
		return nil, unsupported("hidden_act", "activation %q (only silu)", act)
	}
	switch c.Arch {
	case Llama:
		c.QKVBias = boolOr(r.AttnBias, false)
		c.OutBias = c.QKVBias
		c.MLPBias = boolOr(r.MLPBias, false)
	case Qwen2:
		// Qwen2 always has q/k/v biases and none elsewhere.
		c.QKVBias = true
	case Qwen3:
		// Qwen3Attention: attention_bias on q, k, v and o alike.
		c.QKVBias = boolOr(r.AttnBias, false)
		c.OutBias = c.QKVBias
		c.QKNorm = QKNormHead
	case OLMo2:
		c.QKVBias = boolOr(r.AttnBias, false)
		c.OutBias = c.QKVBias
		c.QKNorm = QKNormFull
		c.PostNorms = true
	case SmolLM3:
		c.QKVBias = boolOr(r.AttnBias, false)
		c.OutBias = c.QKVBias
		c.MLPBias = boolOr(r.MLPBias, false)
		// SmolLM3Config: no_rope_layers[i] is 1 where layer i uses RoPE;
		// absent, every no_rope_layer_interval-th layer (default 4) has none.
		n := intOr(r.NumLayers, 0)
		if r.NoRopeLayers != nil {
			if len(r.NoRopeLayers) != n {
				return nil, badField("no_rope_layers", "has %d entries for %d layers", len(r.NoRopeLayers), n)
			}
			c.NoRoPE = make([]bool, n)
			for i, v := range r.NoRopeLayers {
				if v != 0 && v != 1 {
					return nil, badField("no_rope_layers", "entry %d is %d (0 or 1)", i, v)
				}
				c.NoRoPE[i] = v == 0
			}
		} else {
			step := intOr(r.NoRopeStep, 4)
			if step <= 0 {
				return nil, badField("no_rope_layer_interval", "%d must be positive", step)
			}
			if n >= 0 && n <= maxDim {
				c.NoRoPE = make([]bool, n)
				for i := range c.NoRoPE {
					c.NoRoPE[i] = (i+1)%step == 0
				}
			}
		}
	case Phi3:
		// Phi3Config has no bias options. LongRoPE ("longrope", "su") is
		// read with the other rope_scaling types below.
		for _, b := range []struct {
			name string
			v    *bool
		}{{"attention_bias", r.AttnBias}, {"mlp_bias", r.MLPBias}} {
			if boolOr(b.v, false) {
				return nil, unsupported(b.name, "feature (true) for phi3")
			}
		}
	case Mistral:
		// MistralConfig has no bias options; the projections have none.
		if boolOr(r.AttnBias, false) {
			return nil, unsupported("attention_bias", "feature (true) for mistral")
		}
		if boolOr(r.MLPBias, false) {
			return nil, unsupported("mlp_bias", "feature (true) for mistral")
		}
	}
	if r.ClipQKV != nil { // OLMo 1's option; no config of these archs should set it

		return nil, unsupported("clip_qkv", "q/k/v clipping (%g)", *r.ClipQKV)
	}
	c.TieWordEmbeddings = boolOr(r.TieEmbed, c.Arch == SmolLM3) // SmolLM3Config ties by default

	// Sliding-window attention changes the mask. Mistral always uses its
	// sliding_window (null means none) on every layer. Qwen2/3
	// use it only with use_sliding_window, and then only on layers from
	// max_window_layers on; refuse that rather than silently computing full
	// attention.
	if c.Arch == Mistral || c.Arch == Phi3 {
		if r.SlidingWin != nil && *r.SlidingWin > 0 {
			c.SlidingWindow = *r.SlidingWin
		} else if r.SlidingWin != nil && *r.SlidingWin < 0 {
			return nil, badField("sliding_window", "%d is negative", *r.SlidingWin)
		}
	} else if boolOr(r.UseSliding, false) && r.SlidingWin != nil && *r.SlidingWin > 0 &&
		(r.MaxWindow == nil || *r.MaxWindow < intOr(r.NumLayers, 0)) {
		return nil, unsupported("use_sliding_window", "sliding-window attention (sliding_window %d)", *r.SlidingWin)
	}
	for i, t := range r.LayerTypes {
		if t != "full_attention" {
			return nil, unsupported("layer_types", "layer %d type %q", i, t)
		}
	}
	if r.PartialRot != nil && *r.PartialRot != 1 {
		return nil, unsupported("partial_rotary_factor", "partial rotary embeddings (%g)", *r.PartialRot)
	}

	// RoPE: transformers 5 writes rope_parameters {rope_theta, rope_type,
	// ...}; older configs have top-level rope_theta and rope_scaling.
	thetaDefault := 10000.0
	if c.Arch == SmolLM3 {
		thetaDefault = 2000000 // SmolLM3Config's default
	}
	c.RopeTheta = floatOr(r.RopeTheta, thetaDefault)
	var scaling *ropeParams
	for _, src := range []struct {
		name string
		raw  *json.RawMessage
	}{{"rope_scaling", r.RopeScaling}, {"rope_parameters", r.RopeParams}} {
		if src.raw == nil || string(*src.raw) == "null" {
			continue
		}
		var p ropeParams
		if err := json.Unmarshal(*src.raw, &p); err != nil {
			return nil, badField(src.name, "%v", err)
		}
		if p.RopeTheta != nil {
			c.RopeTheta = *p.RopeTheta
		}
		if p.PartialRot != nil && *p.PartialRot != 1 {
			return nil, unsupported(src.name+".partial_rotary_factor", "partial rotary embeddings (%g)", *p.PartialRot)
		}
		scaling = &p
	}
	if scaling != nil {
		typ := strOr(scaling.RopeType, strOr(scaling.Type, "default"))
		switch typ {
		case "default":
		case "linear":
			c.RopeScaling = RopeScaling{Type: "linear", Factor: floatOr(scaling.Factor, 1)}
			if c.RopeScaling.Factor <= 0 {
				return nil, badField("rope_scaling.factor", "must be positive")
			}
		case "llama3":
			if scaling.Factor == nil || scaling.LowFreqFactor == nil || scaling.HighFreqFactor == nil || scaling.OrigMaxPos == nil {
				return nil, badField("rope_scaling", "llama3 needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings")
			}
			c.RopeScaling = RopeScaling{Type: "llama3", Factor: *scaling.Factor,
				LowFreqFactor: *scaling.LowFreqFactor, HighFreqFactor: *scaling.HighFreqFactor,
				OriginalMaxPositions: *scaling.OrigMaxPos}
			s := c.RopeScaling
			if s.Factor <= 0 || s.LowFreqFactor <= 0 || s.HighFreqFactor <= s.LowFreqFactor || s.OriginalMaxPositions <= 0 {
				return nil, badField("rope_scaling", "invalid llama3 parameters %+v", s)
			}
		case "longrope", "su":
			rs, err := longRoPE(c, r, scaling)
			if err != nil {
				return nil, err
			}
			c.RopeScaling = rs
		default:
			return nil, unsupported("rope_scaling.rope_type", "RoPE type %q", typ)
		}
	}
	if c.HeadDim > 0 {
		c.AttnScale = float32(1 / math.Sqrt(float64(c.HeadDim)))
		if s := c.RopeScaling; s.Type == "longrope" {
			c.AttnScale = float32(s.AttnFactor * s.AttnFactor / math.Sqrt(float64(c.HeadDim)))
		}
	}
	return c, nil
}

// parseGemma3 reads a Gemma3TextConfig (model_type gemma3_text) with its
// defaults. Options lamina does not compute (logit soft-capping, RoPE
// scaling, which Gemma 3 applies to global layers only, attention biases,
// other activations) are refused by name.
func parseGemma3(r *rawConfig) (*Config, error) {
	// Gemma3TextConfig's defaults (google/gemma-3-1b-pt and -270m set
	// all of these explicitly).
	def := func(p **int, v int) {
		if *p == nil {
			*p = &v
		}
	}
	def(&r.HeadDim, 256)
	def(&r.MaxPos, 131072)
	for _, f := range []struct {
		name string
		v    any
	}{{"attention_bias", r.AttnBias}, {"mlp_bias", r.MLPBias}} {
		if b, _ := f.v.(*bool); b != nil && *b {
			return nil, unsupported(f.name, "feature (true) for gemma3_text")
		}
	}
	act := strOr(r.HiddenActv, strOr(r.HiddenAct, "gelu_pytorch_tanh"))
	if act != "gelu_pytorch_tanh" {
		return nil, unsupported("hidden_activation", "activation %q (only gelu_pytorch_tanh)", act)
	}
	if r.FinalSoftcap != nil {
		return nil, unsupported("final_logit_softcapping", "final logit soft-capping (%g)", *r.FinalSoftcap)
	}
	if r.AttnSoftcap != nil {
		return nil, unsupported("attn_logit_softcapping", "attention logit soft-capping (%g)", *r.AttnSoftcap)
	}
	if boolOr(r.Bidi, false) {
		return nil, unsupported("use_bidirectional_attention", "bidirectional attention (EmbeddingGemma)")
	}
	if r.RopeScaling != nil && string(*r.RopeScaling) != "null" {
		return nil, unsupported("rope_scaling", "RoPE scaling on gemma3_text (global layers only)")
	}
	// transformers 5: rope_parameters per layer type.
	theta, local := floatOr(r.RopeTheta, 1000000), floatOr(r.RopeLocal, 10000)
	if r.RopeParams != nil && string(*r.RopeParams) != "null" {
		var byType map[string]ropeParams
		if err := json.Unmarshal(*r.RopeParams, &byType); err != nil {
			return nil, badField("rope_parameters", "%v", err)
		}
		for k, p := range byType {
			if typ := strOr(p.RopeType, strOr(p.Type, "default")); typ != "default" {
				return nil, unsupported("rope_parameters."+k+".rope_type", "RoPE type %q on gemma3_text", typ)
			}
			if p.PartialRot != nil && *p.PartialRot != 1 {
				return nil, unsupported("rope_parameters."+k+".partial_rotary_factor", "partial rotary embeddings (%g)", *p.PartialRot)
			}
			switch k {
			case "full_attention":
				theta = floatOr(p.RopeTheta, theta)
			case "sliding_attention":
				local = floatOr(p.RopeTheta, local)
			default:
				return nil, unsupported("rope_parameters", "layer type %q", k)
			}
		}
	}
	r.RopeParams, r.RopeTheta = nil, &theta
	lt, win := r.LayerTypes, r.SlidingWin
	r.LayerTypes, r.SlidingWin, r.UseSliding = nil, nil, nil
	hact := "silu"
	r.HiddenAct = &hact
	c, err := parseLlama(r)
	if err != nil {
		return nil, err
	}
	c.QKNorm, c.SandwichNorms, c.GeGLU = QKNormHead, true, true
	c.TieWordEmbeddings = boolOr(r.TieEmbed, true)
	c.EmbedScale = float32(math.Sqrt(float64(c.Hidden)))
	c.LocalRopeTheta = local
	c.AttnScale = float32(1 / math.Sqrt(floatOr(r.QueryScalar, 256)))
	if q := floatOr(r.QueryScalar, 256); !(q > 0) || math.IsInf(q, 0) {
		return nil, badField("query_pre_attn_scalar", "%g must be positive", q)
	}
	c.SlidingWindow = intOr(win, 4096)
	if c.SlidingWindow <= 0 {
		return nil, badField("sliding_window", "%d must be positive", c.SlidingWindow)
	}
	// Layer types: layer_types, else sliding_window_pattern (default 6:
	// every 6th layer global).
	if lt == nil && c.Layers >= 0 && c.Layers <= maxDim {
		pat := intOr(r.SlidingPat, 6)
		if pat <= 0 {
			return nil, badField("sliding_window_pattern", "%d must be positive", pat)
		}
		lt = make([]string, c.Layers)
		for i := range lt {
			lt[i] = "sliding_attention"
			if (i+1)%pat == 0 {
				lt[i] = "full_attention"
			}
		}
	}
	if len(lt) != c.Layers {
		return nil, badField("layer_types", "has %d entries for %d layers", len(lt), c.Layers)
	}
	c.SlidingLayers = make([]bool, len(lt))
	for i, t := range lt {
		switch t {
		case "sliding_attention":
			c.SlidingLayers[i] = true
		case "full_attention":
		default:
			return nil, unsupported("layer_types", "layer %d type %q", i, t)
		}
	}
	return c, nil
}

// Validate checks sizes for consistency. Configs built by hand (e.g. for
// NewRandom) should be validated before use; ParseConfig does it.
func (c *Config) Validate() error {
	switch c.Arch {
	case GPT2, Llama, Qwen2, Qwen3, OLMo2, Mistral, SmolLM3, Gemma3, Phi3:
	default:
		return unsupported("model_type", "model type %q", c.Arch)
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"vocab_size", c.VocabSize}, {"hidden_size", c.Hidden}, {"num_hidden_layers", c.Layers},
		{"num_attention_heads", c.Heads}, {"num_key_value_heads", c.KVHeads}, {"head_dim", c.HeadDim},
		{"intermediate_size", c.Intermediate}, {"max_position_embeddings", c.MaxPositions},
	} {
		if f.v <= 0 || f.v > maxDim {
			return badField(f.name, "%d out of range [1, %d]", f.v, maxDim)
		}
	}
	if c.Heads%c.KVHeads != 0 {
		return badField("num_key_value_heads", "%d does not divide num_attention_heads %d", c.KVHeads, c.Heads)
	}
	if c.HeadDim%2 != 0 && c.Arch != GPT2 {
		return badField("head_dim", "%d must be even for RoPE", c.HeadDim)
	}
	if int64(c.Heads)*int64(c.HeadDim) > maxDim {
		return badField("head_dim", "heads × head_dim too large")
	}
	if !(c.NormEps > 0) || math.IsInf(float64(c.NormEps), 0) {
		return badField("rms_norm_eps", "%g must be positive", c.NormEps)
	}
	if c.SlidingLayers != nil && len(c.SlidingLayers) != c.Layers {
		return badField("layer_types", "has %d entries for %d layers", len(c.SlidingLayers), c.Layers)
	}
	if c.SlidingLayers != nil && (!(c.LocalRopeTheta > 0) || math.IsInf(c.LocalRopeTheta, 0)) {
		return badField("rope_local_base_freq", "%g must be positive", c.LocalRopeTheta)
	}
	if math.IsNaN(float64(c.EmbedScale)) || math.IsInf(float64(c.EmbedScale), 0) {
		return badField("hidden_size", "embedding scale %g", c.EmbedScale)
	}
	if c.NoRoPE != nil && len(c.NoRoPE) != c.Layers {
		return badField("no_rope_layers", "has %d entries for %d layers", len(c.NoRoPE), c.Layers)
	}
	if c.SlidingWindow < 0 || c.SlidingWindow > maxDim {
		return badField("sliding_window", "%d out of range [0, %d]", c.SlidingWindow, maxDim)
	}
	if c.Arch != GPT2 && (!(c.RopeTheta > 0) || math.IsInf(c.RopeTheta, 0)) {
		return badField("rope_theta", "%g must be positive", c.RopeTheta)
	}
	return c.checkLongRoPE()
}

// longRoPE reads LongRoPE parameters as transformers does: the original
// context from rope_scaling (transformers 5) or beside it (Phi-3's
// original_max_position_embeddings), else max_position_embeddings; the
// factor from rope_scaling, else max_position_embeddings over the original
// context; attention_factor from rope_scaling, else sqrt(1 +
// ln(factor)/ln(original)) when factor > 1, else 1.
func longRoPE(c *Config, r *rawConfig, p *ropeParams) (RopeScaling, error) {
	s := RopeScaling{Type: "longrope", ShortFactor: p.ShortFactor, LongFactor: p.LongFactor}
	s.OriginalMaxPositions = c.MaxPositions
	if p.OrigMaxPos != nil {
		s.OriginalMaxPositions = *p.OrigMaxPos
	} else if r.OrigMaxPos != nil {
		s.OriginalMaxPositions = *r.OrigMaxPos
	}
	if s.OriginalMaxPositions <= 0 || s.OriginalMaxPositions > maxDim {
		return s, badField("original_max_position_embeddings", "%d out of range [1, %d]", s.OriginalMaxPositions, maxDim)
	}
	s.Factor = float64(c.MaxPositions) / float64(s.OriginalMaxPositions)
	if p.Factor != nil {
		s.Factor = *p.Factor
	}
	if !(s.Factor > 0) || math.IsInf(s.Factor, 0) {
		return s, badField("rope_scaling.factor", "%g must be positive", s.Factor)
	}
	switch {
	case p.AttnFactor != nil:
		s.AttnFactor = *p.AttnFactor
	case s.Factor <= 1:
		s.AttnFactor = 1
	case s.OriginalMaxPositions == 1:
		return s, badField("original_max_position_embeddings", "1 leaves LongRoPE's attention factor undefined (ln 1 = 0)")
	default:
		s.AttnFactor = math.Sqrt(1 + math.Log(s.Factor)/math.Log(float64(s.OriginalMaxPositions)))
	}
	return s, nil
}

// checkLongRoPE validates LongRoPE's per-dimension factors against D.
func (c *Config) checkLongRoPE() error {
	s := &c.RopeScaling
	if s.Type != "longrope" {
		return nil
	}
	for _, f := range []struct {
		name string
		v    []float64
	}{{"rope_scaling.short_factor", s.ShortFactor}, {"rope_scaling.long_factor", s.LongFactor}} {
		if len(f.v) != c.HeadDim/2 {
			return badField(f.name, "has %d entries for head_dim %d (want %d)", len(f.v), c.HeadDim, c.HeadDim/2)
		}
		for j, v := range f.v {
			if !(v > 0) || math.IsInf(v, 0) {
				return badField(f.name, "entry %d (%g) must be positive", j, v)
			}
		}
	}
	if s.OriginalMaxPositions <= 0 || !(s.AttnFactor > 0) || math.IsInf(s.AttnFactor, 0) {
		return badField("rope_scaling", "original_max_position_embeddings %d and attention_factor %g must be positive", s.OriginalMaxPositions, s.AttnFactor)
	}
	return nil
}

// parseTokenIDs reads a token id field that may be null, an int or a list.
func parseTokenIDs(field string, raw *json.RawMessage) ([]int32, error) {
	if raw == nil || string(*raw) == "null" {
		return nil, nil
	}
	var one int64
	if err := json.Unmarshal(*raw, &one); err == nil {
		if one < 0 || one > math.MaxInt32 {
			return nil, badField(field, "%d out of range", one)
		}
		return []int32{int32(one)}, nil
	}
	var many []int64
	if err := json.Unmarshal(*raw, &many); err != nil {
		return nil, badField(field, "want an integer or a list of integers")
	}
	ids := make([]int32, len(many))
	for i, v := range many {
		if v < 0 || v > math.MaxInt32 {
			return nil, badField(field, "%d out of range", v)
		}
		ids[i] = int32(v)
	}
	return ids, nil
}

func parseBOS(raw *json.RawMessage) (int32, error) {
	ids, err := parseTokenIDs("bos_token_id", raw)
	if err != nil || len(ids) == 0 {
		return -1, err
	}
	return ids[0], nil
}

// generationConfig is the part of generation_config.json lamina uses.
type generationConfig struct {
	EOS *json.RawMessage `json:"eos_token_id"`
	GenerationConfig
}

// parseGeneration returns the EOS ids of a generation_config.json (nil when
// the file does not set them) and its sampling defaults.
func parseGeneration(data []byte) ([]int32, GenerationConfig, error) {
	var g generationConfig
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, GenerationConfig{}, fmt.Errorf("model: generation_config.json: %w", err)
	}
	ids, err := parseTokenIDs("eos_token_id", g.EOS)
	return ids, g.GenerationConfig, err
}

func intOr(p *int, d int) int {
	if p == nil {
		return d
	}
	return *p
}

func floatOr(p *float64, d float64) float64 {
	if p == nil {
		return d
	}
	return *p
}

func strOr(p *string, d string) string {
	if p == nil {
		return d
	}
	return *p
}

func boolOr(p *bool, d bool) bool {
	if p == nil {
		return d
	}
	return *p
}
