package gguf

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// ExportOptions control ExportHF.
type ExportOptions struct {
	// Type is the encoding of 2-D weight matrices: F32, F16, BF16, Q8_0,
	// Q4_0, Q4_1, Q4_K, Q5_K or Q6_K. Matrices whose rows are not a whole number of blocks
	// fall back to F16 (as llama.cpp's quantizer falls back to a type that
	// fits). Norms, biases and other 1-D tensors are always F32.
	Type TensorType
	// Types overrides Type for single matrices, by HF tensor name (a mixed
	// file, as llama.cpp's Q4_K_M mixes Q4_K and Q6_K); the same fallback
	// to F16 applies.
	Types map[string]TensorType
	Name  string // general.name
	// Tokenizer is an HF tokenizer.json; nil writes no tokenizer metadata
	// (llama.cpp refuses such files).
	Tokenizer []byte
}

// fileType is llama.cpp's general.file_type (llama.h enum llama_ftype).
func fileType(t TensorType) uint32 {
	switch t {
	case F32:
		return 0
	case F16:
		return 1
	case Q4_0:
		return 2
	case Q4_1:
		return 3
	case Q8_0:
		return 7
	case BF16:
		return 32
	case Q4_K:
		return 15 // LLAMA_FTYPE_MOSTLY_Q4_K_M
	case Q5_K:
		return 17 // LLAMA_FTYPE_MOSTLY_Q5_K_M
	case Q6_K:
		return 18
	}
	return 0
}

// hfConfig holds the config.json keys the exporter reads.
type hfConfig struct {
	ModelType  string   `json:"model_type"`
	VocabSize  int      `json:"vocab_size"`
	Hidden     int      `json:"hidden_size"`
	Layers     int      `json:"num_hidden_layers"`
	Heads      int      `json:"num_attention_heads"`
	KVHeads    int      `json:"num_key_value_heads"`
	HeadDim    int      `json:"head_dim"`
	Inter      int      `json:"intermediate_size"`
	MaxPos     int      `json:"max_position_embeddings"`
	OrigMaxPos int      `json:"original_max_position_embeddings"` // phi3
	RMSEps     float64  `json:"rms_norm_eps"`
	RopeTheta  *float64 `json:"rope_theta"`
	RopeParams *struct {
		RopeTheta *float64 `json:"rope_theta"`
		RopeType  string   `json:"rope_type"`
	} `json:"rope_parameters"`
	RopeScaling json.RawMessage `json:"rope_scaling"`
	NoRope      []int           `json:"no_rope_layers"`
	NoRopeStep  *int            `json:"no_rope_layer_interval"`
	// gemma3_text
	SlidingWindow *int            `json:"sliding_window"`
	NEmbd         int             `json:"n_embd"`
	NLayer        int             `json:"n_layer"`
	NHead         int             `json:"n_head"`
	NInner        *int            `json:"n_inner"`
	NPositions    int             `json:"n_positions"`
	LNEps         float64         `json:"layer_norm_epsilon"`
	BOS           *int            `json:"bos_token_id"`
	EOS           json.RawMessage `json:"eos_token_id"`
}

// smolLM3NoRoPE refuses NoPE layouts llama.cpp cannot express: its
// smollm3 graph skips RoPE on layers i with (i+1) % 4 == 0, always.
func smolLM3NoRoPE(c hfConfig) error {
	if c.NoRopeStep != nil && *c.NoRopeStep != 4 && c.NoRope == nil {
		return fmt.Errorf("gguf: smollm3 no_rope_layer_interval %d (llama.cpp fixes 4): %w", *c.NoRopeStep, ErrUnsupported)
	}
	for i, v := range c.NoRope {
		if want := (i+1)%4 != 0; (v != 0) != want {
			return fmt.Errorf("gguf: smollm3 no_rope_layers[%d] = %d (llama.cpp skips RoPE on every 4th layer only): %w", i, v, ErrUnsupported)
		}
	}
	return nil
}

// gemma3Exportable refuses Gemma 3 configs a llama.cpp gemma3 GGUF
// cannot express: llama.cpp fixes the layer pattern (every 6th layer
// global), the local RoPE base (10000) and the query scale
// (1/sqrt(head_dim) below 27B), and has no key for the rest.
func gemma3Exportable(config []byte, c hfConfig) error {
	var g struct {
		HeadDim     *int            `json:"head_dim"`
		QueryScalar *float64        `json:"query_pre_attn_scalar"`
		Pattern     *int            `json:"sliding_window_pattern"`
		LayerTypes  []string        `json:"layer_types"`
		RopeLocal   *float64        `json:"rope_local_base_freq"`
		RopeParams  json.RawMessage `json:"rope_parameters"`
		FinalCap    *float64        `json:"final_logit_softcapping"`
		AttnCap     *float64        `json:"attn_logit_softcapping"`
	}
	if err := json.Unmarshal(config, &g); err != nil {
		return fmt.Errorf("gguf: config.json: %w", err)
	}
	hd := 256
	if g.HeadDim != nil {
		hd = *g.HeadDim
	}
	refuse := func(what string) error { return fmt.Errorf("gguf: gemma3_text %s export: %w", what, ErrUnsupported) }
	switch {
	case c.SlidingWindow == nil || *c.SlidingWindow <= 0:
		return refuse("without sliding_window")
	case g.QueryScalar == nil || *g.QueryScalar != float64(hd):
		return refuse("query_pre_attn_scalar other than head_dim")
	case g.Pattern != nil && *g.Pattern != 6:
		return refuse("sliding_window_pattern other than 6")
	case g.RopeLocal != nil && *g.RopeLocal != 10000:
		return refuse("rope_local_base_freq other than 10000")
	case len(g.RopeParams) > 0 && string(g.RopeParams) != "null":
		return refuse("rope_parameters")
	case g.FinalCap != nil || g.AttnCap != nil:
		return refuse("logit soft-capping")
	}
	for i, t := range g.LayerTypes {
		if want := map[bool]string{true: "full_attention", false: "sliding_attention"}[(i+1)%6 == 0]; t != want {
			return refuse(fmt.Sprintf("layer_types[%d] %q (llama.cpp: every 6th layer global)", i, t))
		}
	}
	return nil
}

// ExportHF converts an HF checkpoint (config.json bytes and its tensors)
// to a GGUF Writer laid out as llama.cpp's convert_hf_to_gguf.py would:
// llama.cpp tensor names, ggml dimension order, the llama Q/K RoPE
// permutation, GPT-2 Conv1D weights transposed to (out, in).
func ExportHF(config []byte, tensors []HFTensor, opts ExportOptions) (*Writer, error) {
	var c hfConfig
	if err := json.Unmarshal(config, &c); err != nil {
		return nil, fmt.Errorf("gguf: config.json: %w", err)
	}
	arch := Arch(c.ModelType)
	if c.ModelType == "mistral" {
		// convert_hf_to_gguf.py writes Mistral as llama (permuted Q/K).
		// The GGUF keeps no sliding_window (llama.cpp's llama graph has
		// none), so the file equals the checkpoint on sequences of at most
		// sliding_window positions only.
		arch = ArchLlama
	}
	// phi3 keeps its fused qkv_proj / gate_up_proj (attn_qkv, ffn_up). Like
	// mistral's, its sliding_window is not written (llama.cpp's phi3 graph
	// disables it), so the file equals the checkpoint on sequences of at
	// most sliding_window positions only.
	if c.ModelType == "gemma3_text" {
		arch = ArchGemma3
		if err := gemma3Exportable(config, c); err != nil {
			return nil, err
		}
	}
	if _, _, _, err := namesFor(arch); err != nil {
		return nil, err
	}
	if !CanQuantize(opts.Type) {
		return nil, &UnsupportedTypeError{Type: opts.Type}
	}
	w := &Writer{}
	p := string(arch) + "."
	set := func(k string, v any) {
		if err := w.Set(k, v); err != nil {
			panic(err) // only Go types toValue accepts are passed
		}
	}
	set("general.architecture", string(arch))
	if opts.Name != "" {
		set("general.name", opts.Name)
	}
	set("general.file_type", fileType(opts.Type))
	heads, kvHeads := 0, 0
	var ropeFactors []HFTensor // phi3 LongRoPE: tensors with no HF counterpart
	switch arch {
	case ArchLlama, ArchQwen2, ArchQwen3, ArchOLMo2, ArchSmolLM3, ArchGemma3, ArchPhi3:
		if c.Heads <= 0 || c.Hidden <= 0 {
			return nil, fmt.Errorf("gguf: config.json: hidden_size / num_attention_heads missing")
		}
		heads, kvHeads = c.Heads, c.KVHeads
		if kvHeads == 0 {
			kvHeads = heads
		}
		hd := c.HeadDim
		if hd == 0 {
			hd = c.Hidden / c.Heads
			if arch == ArchQwen3 {
				hd = 128 // Qwen3Config's default head_dim
			}
			if arch == ArchGemma3 {
				hd = 256 // Gemma3TextConfig's
			}
		}
		theta := 10000.0
		if arch == ArchGemma3 {
			theta = 1000000
			set(p+"attention.sliding_window", uint32(*c.SlidingWindow))
			set(p+"rope.freq_base_swa", float32(10000))
		}
		if arch == ArchSmolLM3 {
			theta = 2000000
			if err := smolLM3NoRoPE(c); err != nil {
				return nil, err
			}
		}
		if c.RopeTheta != nil {
			theta = *c.RopeTheta
		}
		if c.RopeParams != nil {
			if c.RopeParams.RopeTheta != nil {
				theta = *c.RopeParams.RopeTheta
			}
			if t := c.RopeParams.RopeType; t != "" && t != "default" {
				return nil, fmt.Errorf("gguf: rope_type %q export: %w", t, ErrUnsupported)
			}
		}
		if len(c.RopeScaling) > 0 && string(c.RopeScaling) != "null" {
			if arch != ArchPhi3 {
				return nil, fmt.Errorf("gguf: rope_scaling export: %w", ErrUnsupported)
			}
			var err error
			if ropeFactors, err = phi3LongRoPE(c, hd, set); err != nil {
				return nil, err
			}
		}
		set(p+"context_length", uint32(c.MaxPos))
		set(p+"embedding_length", uint32(c.Hidden))
		set(p+"block_count", uint32(c.Layers))
		set(p+"feed_forward_length", uint32(c.Inter))
		set(p+"attention.head_count", uint32(heads))
		set(p+"attention.head_count_kv", uint32(kvHeads))
		set(p+"attention.key_length", uint32(hd))
		set(p+"attention.value_length", uint32(hd))
		set(p+"rope.dimension_count", uint32(hd))
		set(p+"rope.freq_base", float32(theta))
		set(p+"attention.layer_norm_rms_epsilon", float32(c.RMSEps))
		set(p+"vocab_size", uint32(c.VocabSize))
	case ArchGPT2:
		inter := 4 * c.NEmbd
		if c.NInner != nil {
			inter = *c.NInner
		}
		set(p+"context_length", uint32(c.NPositions))
		set(p+"embedding_length", uint32(c.NEmbd))
		set(p+"block_count", uint32(c.NLayer))
		set(p+"feed_forward_length", uint32(inter))
		set(p+"attention.head_count", uint32(c.NHead))
		set(p+"attention.layer_norm_epsilon", float32(c.LNEps))
		set(p+"vocab_size", uint32(c.VocabSize))
	}
	if opts.Tokenizer != nil {
		if err := setTokenizerMetadata(w, arch, opts.Tokenizer, c); err != nil {
			return nil, err
		}
	}
	for _, t := range tensors {
		if ignoredHF(t.Name) {
			continue
		}
		name, ok := GGUFName(arch, t.Name)
		if !ok {
			return nil, fmt.Errorf("gguf: tensor %q has no GGUF name for architecture %q", t.Name, arch)
		}
		data, shape := t.Data, t.Shape
		if (arch == ArchLlama || arch == ArchSmolLM3) && (strings.HasSuffix(name, ".attn_q.weight") || strings.HasSuffix(name, ".attn_q.bias") ||
			strings.HasSuffix(name, ".attn_k.weight") || strings.HasSuffix(name, ".attn_k.bias")) {
			h := heads
			if strings.Contains(name, ".attn_k.") {
				h = kvHeads
			}
			cols := 1
			if len(shape) == 2 {
				cols = shape[1]
			}
			var err error
			if data, err = ropePermute(data, h, cols, true); err != nil {
				return nil, fmt.Errorf("gguf: tensor %q: %w", t.Name, err)
			}
		}
		if arch == ArchGemma3 && strings.HasSuffix(name, "norm.weight") {
			d := make([]float32, len(data))
			for i, v := range data {
				d[i] = v + 1 // Gemma3RMSNorm's 1+w, as convert_hf_to_gguf.py writes it
			}
			data = d
		}
		if isConv1D(arch, name) && len(shape) == 2 {
			data = transpose2D(data, shape[0], shape[1])
			shape = []int{shape[1], shape[0]}
		}
		dims := make([]uint64, len(shape))
		for i, d := range shape {
			dims[len(shape)-1-i] = uint64(d)
		}
		typ := F32
		if len(dims) == 2 {
			typ = opts.Type
			if o, ok := opts.Types[t.Name]; ok {
				if !CanQuantize(o) {
					return nil, &UnsupportedTypeError{Type: o, Tensor: t.Name}
				}
				typ = o
			}
			if dims[0]%uint64(typ.BlockLen()) != 0 {
				typ = F16
			}
		}
		if err := w.Add(name, dims, typ, data); err != nil {
			return nil, err
		}
	}
	for _, t := range ropeFactors {
		if err := w.Add(t.Name, []uint64{uint64(len(t.Data))}, F32, t.Data); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// ignoredHF names HF checkpoint entries that are buffers, not weights.
func ignoredHF(name string) bool {
	return strings.HasSuffix(name, ".attn.bias") && !strings.Contains(name, "c_attn") ||
		strings.HasSuffix(name, ".attn.masked_bias") || strings.HasSuffix(name, "rotary_emb.inv_freq")
}

// phi3LongRoPE writes Phi-3's LongRoPE ("longrope", or "su" in older
// configs) as convert_hf_to_gguf.py does: the per-frequency factors as the
// tensors rope_factors_long.weight and rope_factors_short.weight, the
// original context length, and the attention factor
// sqrt(1 + ln(s)/ln(original)) with s = max_position_embeddings/original.
// llama.cpp then takes the long factors for the whole context when the
// context it runs is longer than the original, where transformers switches
// per forward pass on its length: the two agree on a pass longer than the
// original.
func phi3LongRoPE(c hfConfig, headDim int, set func(string, any)) ([]HFTensor, error) {
	var rs struct {
		Type        string    `json:"type"`
		RopeType    string    `json:"rope_type"`
		ShortFactor []float64 `json:"short_factor"`
		LongFactor  []float64 `json:"long_factor"`
	}
	if err := json.Unmarshal(c.RopeScaling, &rs); err != nil {
		return nil, fmt.Errorf("gguf: rope_scaling: %w", err)
	}
	t := rs.Type
	if t == "" {
		t = rs.RopeType
	}
	if t != "longrope" && t != "su" {
		return nil, fmt.Errorf("gguf: phi3 rope_scaling type %q export: %w", t, ErrUnsupported)
	}
	if len(rs.ShortFactor) != headDim/2 || len(rs.LongFactor) != headDim/2 {
		return nil, fmt.Errorf("gguf: phi3 rope_scaling: short_factor and long_factor need head_dim/2 = %d values, got %d and %d", headDim/2, len(rs.ShortFactor), len(rs.LongFactor))
	}
	if c.OrigMaxPos <= 1 || c.MaxPos <= 0 {
		return nil, fmt.Errorf("gguf: phi3 rope_scaling needs original_max_position_embeddings > 1 and max_position_embeddings")
	}
	attn := 1.0
	if scale := float64(c.MaxPos) / float64(c.OrigMaxPos); scale > 1 {
		attn = math.Sqrt(1 + math.Log(scale)/math.Log(float64(c.OrigMaxPos)))
	}
	p := string(ArchPhi3) + "."
	set(p+"rope.scaling.original_context_length", uint32(c.OrigMaxPos))
	set(p+"rope.scaling.attn_factor", float32(attn))
	f32 := func(v []float64) []float32 {
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out
	}
	return []HFTensor{
		{Name: "rope_factors_long.weight", Shape: []int{headDim / 2}, Data: f32(rs.LongFactor)},
		{Name: "rope_factors_short.weight", Shape: []int{headDim / 2}, Data: f32(rs.ShortFactor)},
	}, nil
}
