package gguf

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Conversion between llama.cpp's GGUF naming (gguf-py/gguf/constants.py
// MODEL_TENSORS, tensor_mapping.py) and the Hugging Face checkpoint names
// and config.json keys that lamina's model package reads.

// Arch is a GGUF general.architecture this package maps to HF.
type Arch string

// Architectures with a name and config mapping.
const (
	ArchLlama Arch = "llama"
	ArchQwen2 Arch = "qwen2"
	ArchQwen3 Arch = "qwen3"
	ArchOLMo2 Arch = "olmo2"
	// ArchSmolLM3 is llama.cpp's LLM_ARCH_SMOLLM3: llama's tensors (Q/K
	// permuted) with no RoPE on every 4th layer (a step llama.cpp fixes).
	ArchSmolLM3 Arch = "smollm3"
	// ArchGemma3 is llama.cpp's LLM_ARCH_GEMMA3, HF gemma3_text: norm
	// weights stored as 1+w (convert_hf_to_gguf.py adds the 1), Q/K not
	// permuted (NEOX RoPE), every 6th layer global.
	ArchGemma3 Arch = "gemma3"
	// ArchPhi3 is llama.cpp's LLM_ARCH_PHI3: fused attn_qkv and ffn_up
	// (gate|up), NEOX RoPE (no Q/K permutation). llama.cpp disables its
	// sliding window.
	ArchPhi3 Arch = "phi3"
	ArchGPT2 Arch = "gpt2"
)

// per-layer suffixes: GGUF "blk.N.<key>" ↔ HF "<prefix>N.<value>".
var (
	llamaLayerNames = map[string]string{
		"attn_norm.weight":   "input_layernorm.weight",
		"attn_q.weight":      "self_attn.q_proj.weight",
		"attn_q.bias":        "self_attn.q_proj.bias",
		"attn_k.weight":      "self_attn.k_proj.weight",
		"attn_k.bias":        "self_attn.k_proj.bias",
		"attn_v.weight":      "self_attn.v_proj.weight",
		"attn_v.bias":        "self_attn.v_proj.bias",
		"attn_output.weight": "self_attn.o_proj.weight",
		"attn_output.bias":   "self_attn.o_proj.bias",
		"ffn_norm.weight":    "post_attention_layernorm.weight",
		"ffn_gate.weight":    "mlp.gate_proj.weight",
		"ffn_gate.bias":      "mlp.gate_proj.bias",
		"ffn_up.weight":      "mlp.up_proj.weight",
		"ffn_up.bias":        "mlp.up_proj.bias",
		"ffn_down.weight":    "mlp.down_proj.weight",
		"ffn_down.bias":      "mlp.down_proj.bias",
	}
	// qwen3: llama's names plus the per-head q/k norms (llama.cpp
	// LLM_ARCH_QWEN3).
	qwen3LayerNames = withNames(llamaLayerNames, map[string]string{
		"attn_q_norm.weight": "self_attn.q_norm.weight",
		"attn_k_norm.weight": "self_attn.k_norm.weight",
	})
	// olmo2 (llama.cpp LLM_ARCH_OLMO2): no pre-norms; HF's
	// post_attention_layernorm is the norm after attention (not llama's
	// pre-MLP ffn_norm).
	olmo2LayerNames = map[string]string{
		"attn_q.weight":              "self_attn.q_proj.weight",
		"attn_k.weight":              "self_attn.k_proj.weight",
		"attn_v.weight":              "self_attn.v_proj.weight",
		"attn_output.weight":         "self_attn.o_proj.weight",
		"attn_q_norm.weight":         "self_attn.q_norm.weight",
		"attn_k_norm.weight":         "self_attn.k_norm.weight",
		"post_attention_norm.weight": "post_attention_layernorm.weight",
		"ffn_gate.weight":            "mlp.gate_proj.weight",
		"ffn_up.weight":              "mlp.up_proj.weight",
		"ffn_down.weight":            "mlp.down_proj.weight",
		"post_ffw_norm.weight":       "post_feedforward_layernorm.weight",
	}
	gemma3LayerNames = map[string]string{
		"attn_norm.weight":           "input_layernorm.weight",
		"attn_q.weight":              "self_attn.q_proj.weight",
		"attn_k.weight":              "self_attn.k_proj.weight",
		"attn_v.weight":              "self_attn.v_proj.weight",
		"attn_output.weight":         "self_attn.o_proj.weight",
		"attn_q_norm.weight":         "self_attn.q_norm.weight",
		"attn_k_norm.weight":         "self_attn.k_norm.weight",
		"post_attention_norm.weight": "post_attention_layernorm.weight",
		"ffn_norm.weight":            "pre_feedforward_layernorm.weight",
		"ffn_gate.weight":            "mlp.gate_proj.weight",
		"ffn_up.weight":              "mlp.up_proj.weight",
		"ffn_down.weight":            "mlp.down_proj.weight",
		"post_ffw_norm.weight":       "post_feedforward_layernorm.weight",
	}
	phi3LayerNames = map[string]string{
		"attn_norm.weight":   "input_layernorm.weight",
		"attn_qkv.weight":    "self_attn.qkv_proj.weight",
		"attn_output.weight": "self_attn.o_proj.weight",
		"ffn_norm.weight":    "post_attention_layernorm.weight",
		"ffn_up.weight":      "mlp.gate_up_proj.weight",
		"ffn_down.weight":    "mlp.down_proj.weight",
	}
	llamaGlobalNames = map[string]string{
		"token_embd.weight":  "model.embed_tokens.weight",
		"output_norm.weight": "model.norm.weight",
		"output.weight":      "lm_head.weight",
	}
	gpt2LayerNames = map[string]string{
		"attn_norm.weight":   "ln_1.weight",
		"attn_norm.bias":     "ln_1.bias",
		"attn_qkv.weight":    "attn.c_attn.weight",
		"attn_qkv.bias":      "attn.c_attn.bias",
		"attn_output.weight": "attn.c_proj.weight",
		"attn_output.bias":   "attn.c_proj.bias",
		"ffn_norm.weight":    "ln_2.weight",
		"ffn_norm.bias":      "ln_2.bias",
		"ffn_up.weight":      "mlp.c_fc.weight",
		"ffn_up.bias":        "mlp.c_fc.bias",
		"ffn_down.weight":    "mlp.c_proj.weight",
		"ffn_down.bias":      "mlp.c_proj.bias",
	}
	gpt2GlobalNames = map[string]string{
		"token_embd.weight":    "transformer.wte.weight",
		"position_embd.weight": "transformer.wpe.weight",
		"output_norm.weight":   "transformer.ln_f.weight",
		"output_norm.bias":     "transformer.ln_f.bias",
		"output.weight":        "lm_head.weight",
	}
)

func withNames(base, extra map[string]string) map[string]string {
	m := make(map[string]string, len(base)+len(extra))
	for k, v := range base {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func namesFor(arch Arch) (layer, global map[string]string, prefix string, err error) {
	switch arch {
	case ArchLlama, ArchQwen2, ArchSmolLM3:
		return llamaLayerNames, llamaGlobalNames, "model.layers.", nil
	case ArchQwen3:
		return qwen3LayerNames, llamaGlobalNames, "model.layers.", nil
	case ArchOLMo2:
		return olmo2LayerNames, llamaGlobalNames, "model.layers.", nil
	case ArchGemma3:
		return gemma3LayerNames, llamaGlobalNames, "model.layers.", nil
	case ArchPhi3:
		return phi3LayerNames, llamaGlobalNames, "model.layers.", nil
	case ArchGPT2:
		return gpt2LayerNames, gpt2GlobalNames, "transformer.h.", nil
	}
	return nil, nil, "", fmt.Errorf("gguf: architecture %q: %w", arch, ErrUnsupported)
}

// HFName maps a GGUF tensor name to the HF checkpoint name; ok is false
// for tensors without an HF counterpart (e.g. rope_freqs.weight).
func HFName(arch Arch, name string) (hf string, ok bool) {
	layer, global, prefix, err := namesFor(arch)
	if err != nil {
		return "", false
	}
	if h, ok := global[name]; ok {
		return h, true
	}
	n, suffix, ok := splitLayer(name, "blk.")
	if !ok {
		return "", false
	}
	h, ok := layer[suffix]
	if !ok {
		return "", false
	}
	return prefix + strconv.Itoa(n) + "." + h, true
}

// GGUFName maps an HF checkpoint name to its GGUF name. GPT-2 names are
// accepted with or without the "transformer." prefix.
func GGUFName(arch Arch, hf string) (name string, ok bool) {
	layer, global, prefix, err := namesFor(arch)
	if err != nil {
		return "", false
	}
	if arch == ArchGPT2 && !strings.HasPrefix(hf, "transformer.") && hf != "lm_head.weight" {
		hf = "transformer." + hf
	}
	for g, h := range global {
		if h == hf {
			return g, true
		}
	}
	n, suffix, ok := splitLayer(hf, prefix)
	if !ok {
		return "", false
	}
	for g, h := range layer {
		if h == suffix {
			return "blk." + strconv.Itoa(n) + "." + g, true
		}
	}
	return "", false
}

// splitLayer parses "<prefix>N.<suffix>".
func splitLayer(name, prefix string) (int, string, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, "", false
	}
	num, suffix, ok := strings.Cut(rest, ".")
	if !ok {
		return 0, "", false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || strconv.Itoa(n) != num {
		return 0, "", false
	}
	return n, suffix, true
}

// ropePermute reorders the rows of a Q or K projection (rows =
// heads·headDim, each of cols values) between HF's rotate_half layout
// (pairs (i, i+D/2) within a head) and the interleaved layout of ggml's
// "normal" RoPE (pairs (2i, 2i+1)) that llama.cpp uses for the llama
// architecture. toGGUF is convert_hf_to_gguf.py LlamaModel.permute:
// reshape (heads, 2, D/2, cols) → swap axes 1,2; the inverse undoes it.
// Qwen2 uses NeoX RoPE (rotate_half) in llama.cpp and is not permuted.
func ropePermute(w []float32, heads, cols int, toGGUF bool) ([]float32, error) {
	if heads <= 0 || cols <= 0 || len(w)%(heads*cols) != 0 {
		return nil, fmt.Errorf("gguf: cannot split %d values into %d heads of rows of %d", len(w), heads, cols)
	}
	hd := len(w) / heads / cols
	if hd%2 != 0 {
		return nil, fmt.Errorf("gguf: head dimension %d is odd", hd)
	}
	out := make([]float32, len(w))
	for h := range heads {
		for i := range hd / 2 {
			for j := range 2 {
				hfRow := h*hd + j*(hd/2) + i
				gRow := h*hd + 2*i + j
				src, dst := hfRow, gRow
				if !toGGUF {
					src, dst = gRow, hfRow
				}
				copy(out[dst*cols:(dst+1)*cols], w[src*cols:(src+1)*cols])
			}
		}
	}
	return out, nil
}

// transpose2D returns the (c, r) transpose of a row-major (r, c) matrix.
func transpose2D(w []float32, r, c int) []float32 {
	out := make([]float32, len(w))
	for i := range r {
		for j := range c {
			out[j*r+i] = w[i*c+j]
		}
	}
	return out
}

// HFTensor is a tensor in Hugging Face layout: Shape is the PyTorch shape
// (row-major, last dimension fastest), so Linear weights are (out, in) and
// GPT-2 Conv1D weights (in, out).
type HFTensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// isConv1D reports GPT-2 weights that HF stores as Conv1D (in, out) but
// llama.cpp as (out, in) (convert_hf_to_gguf.py GPT2Model transposes them).
func isConv1D(arch Arch, ggufName string) bool {
	if arch != ArchGPT2 {
		return false
	}
	for _, s := range []string{".attn_qkv.weight", ".attn_output.weight", ".ffn_up.weight", ".ffn_down.weight"} {
		if strings.HasSuffix(ggufName, s) {
			return true
		}
	}
	return false
}

// HFTensor reads, dequantizes and converts one GGUF tensor to its HF name
// and layout (undoing the llama Q/K RoPE permutation and the GPT-2 Conv1D
// transpose).
func (f *File) HFTensor(name string) (HFTensor, error) {
	a, err := f.Architecture()
	if err != nil {
		return HFTensor{}, err
	}
	arch := Arch(a)
	hf, ok := HFName(arch, name)
	if !ok {
		return HFTensor{}, fmt.Errorf("gguf: tensor %q has no Hugging Face name for architecture %q", name, arch)
	}
	data, t, err := f.Float32(name)
	if err != nil {
		return HFTensor{}, err
	}
	shape := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		shape[len(shape)-1-i] = int(d)
	}
	out := HFTensor{Name: hf, Shape: shape, Data: data}
	if arch == ArchLlama || arch == ArchSmolLM3 {
		isQ := strings.HasSuffix(name, ".attn_q.weight") || strings.HasSuffix(name, ".attn_q.bias")
		isK := strings.HasSuffix(name, ".attn_k.weight") || strings.HasSuffix(name, ".attn_k.bias")
		if isQ || isK {
			heads, err := f.metaInt(a + ".attention.head_count")
			if err != nil {
				return HFTensor{}, err
			}
			if isK {
				if heads, err = f.metaIntOr(a+".attention.head_count_kv", heads); err != nil {
					return HFTensor{}, err
				}
			}
			cols := 1
			if len(shape) == 2 {
				cols = shape[1]
			}
			if out.Data, err = ropePermute(data, heads, cols, false); err != nil {
				return HFTensor{}, fmt.Errorf("gguf: tensor %q: %w", name, err)
			}
		}
	}
	if isConv1D(arch, name) && len(shape) == 2 {
		out.Data = transpose2D(data, shape[0], shape[1])
		out.Shape = []int{shape[1], shape[0]}
	}
	if arch == ArchGemma3 && strings.HasSuffix(name, "norm.weight") {
		for i := range out.Data {
			out.Data[i]-- // the file holds 1+w
		}
	}
	return out, nil
}

// HFConfig builds the Hugging Face config.json that describes the model
// (the keys lamina's model.ParseConfig reads), from the GGUF metadata:
// {arch}.context_length → max_position_embeddings, embedding_length →
// hidden_size, block_count → num_hidden_layers, feed_forward_length →
// intermediate_size, attention.head_count(_kv) → num_attention_heads /
// num_key_value_heads, attention.key_length → head_dim, rope.freq_base →
// rope_theta, attention.layer_norm_rms_epsilon → rms_norm_eps (GPT-2:
// attention.layer_norm_epsilon → layer_norm_epsilon). vocab_size is the
// token embedding's row count. Weights come out as f32, so dtype is
// "float32".
func (f *File) HFConfig() ([]byte, error) {
	a, err := f.Architecture()
	if err != nil {
		return nil, err
	}
	arch := Arch(a)
	emb, ok := f.Tensor("token_embd.weight")
	if !ok || len(emb.Dims) != 2 {
		return nil, &MetadataError{Key: "token_embd.weight", Reason: "missing or not a matrix"}
	}
	vocab := int(emb.Dims[1])
	_, hasOutput := f.Tensor("output.weight")
	p := a + "."
	get := func(key string) int {
		if err != nil {
			return 0
		}
		var v int
		v, err = f.metaInt(p + key)
		return v
	}
	cfg := map[string]any{"dtype": "float32", "vocab_size": vocab, "tie_word_embeddings": !hasOutput}
	if v, ok := f.Lookup("tokenizer.ggml.bos_token_id"); ok {
		if u, ok := v.Uint(); ok {
			cfg["bos_token_id"] = u
		}
	}
	if v, ok := f.Lookup("tokenizer.ggml.eos_token_id"); ok {
		if u, ok := v.Uint(); ok {
			cfg["eos_token_id"] = u
		}
	}
	switch arch {
	case ArchLlama, ArchQwen2, ArchQwen3, ArchOLMo2, ArchSmolLM3, ArchGemma3, ArchPhi3:
		hidden, layers, heads := get("embedding_length"), get("block_count"), get("attention.head_count")
		inter, ctx := get("feed_forward_length"), get("context_length")
		if err != nil {
			return nil, err
		}
		if heads == 0 {
			return nil, &MetadataError{Key: p + "attention.head_count", Reason: "is zero"}
		}
		kv, err := f.metaIntOr(p+"attention.head_count_kv", heads)
		if err != nil {
			return nil, err
		}
		headDim, err := f.metaIntOr(p+"attention.key_length", hidden/heads)
		if err != nil {
			return nil, err
		}
		if rot, err := f.metaIntOr(p+"rope.dimension_count", headDim); err != nil {
			return nil, err
		} else if rot != headDim {
			return nil, &MetadataError{Key: p + "rope.dimension_count", Reason: fmt.Sprintf("partial rotary (%d of %d) is not supported", rot, headDim)}
		}
		eps, err := f.metaFloatOr(p+"attention.layer_norm_rms_epsilon", 1e-5)
		if err != nil {
			return nil, err
		}
		theta, err := f.metaFloatOr(p+"rope.freq_base", 10000)
		if err != nil {
			return nil, err
		}
		if _, ok := f.Tensor("rope_factors_long.weight"); ok {
			// Phi-3 LongRoPE as ExportHF writes it; reading it back into
			// rope_scaling is not implemented.
			return nil, &MetadataError{Key: "rope_factors_long.weight", Reason: "LongRoPE factors are not supported"}
		}
		if _, ok := f.Tensor("rope_freqs.weight"); ok {
			// Llama 3.1-style scaling is baked into per-frequency factors;
			// recovering rope_scaling from them is not implemented.
			return nil, &MetadataError{Key: "rope_freqs.weight", Reason: "precomputed RoPE frequency factors are not supported"}
		}
		_, qb := f.Tensor("blk.0.attn_q.bias")
		_, ob := f.Tensor("blk.0.attn_output.bias")
		_, mb := f.Tensor("blk.0.ffn_up.bias")
		cfg["model_type"] = a
		cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"] = hidden, layers, heads
		cfg["num_key_value_heads"], cfg["head_dim"], cfg["intermediate_size"] = kv, headDim, inter
		cfg["max_position_embeddings"], cfg["rms_norm_eps"], cfg["hidden_act"] = ctx, eps, "silu"
		rope := map[string]any{"rope_theta": theta, "rope_type": "default"}
		if st, ok := f.Lookup(p + "rope.scaling.type"); ok {
			s, _ := st.Str()
			switch s {
			case "", "none":
			case "linear":
				fac, err := f.metaFloatOr(p+"rope.scaling.factor", 1)
				if err != nil {
					return nil, err
				}
				rope = map[string]any{"rope_theta": theta, "rope_type": "linear", "factor": fac}
			default:
				return nil, &MetadataError{Key: p + "rope.scaling.type", Reason: fmt.Sprintf("%q is not supported", s)}
			}
		}
		cfg["rope_parameters"] = rope
		if arch == ArchLlama {
			cfg["architectures"] = []string{"LlamaForCausalLM"}
			cfg["attention_bias"], cfg["mlp_bias"] = qb && ob, mb
		} else if arch == ArchQwen2 {
			cfg["architectures"] = []string{"Qwen2ForCausalLM"}
			cfg["use_sliding_window"] = false
		} else if arch == ArchPhi3 {
			cfg["architectures"] = []string{"Phi3ForCausalLM"}
			cfg["sliding_window"] = nil // llama.cpp runs phi3 without one
		} else if arch == ArchGemma3 {
			win, err := f.metaInt(p + "attention.sliding_window")
			if err != nil {
				return nil, err
			}
			local, err := f.metaFloatOr(p+"rope.freq_base_swa", 10000)
			if err != nil {
				return nil, err
			}
			cfg["model_type"], cfg["architectures"] = "gemma3_text", []string{"Gemma3ForCausalLM"}
			cfg["hidden_activation"], cfg["query_pre_attn_scalar"] = "gelu_pytorch_tanh", headDim
			cfg["sliding_window"], cfg["sliding_window_pattern"], cfg["rope_local_base_freq"] = win, 6, local
			cfg["rope_theta"] = theta
			delete(cfg, "rope_parameters")
			delete(cfg, "hidden_act")
		} else if arch == ArchSmolLM3 {
			cfg["architectures"] = []string{"SmolLM3ForCausalLM"}
			cfg["attention_bias"], cfg["mlp_bias"] = qb && ob, mb
			cfg["no_rope_layer_interval"], cfg["use_sliding_window"] = 4, false // llama.cpp's fixed step
		} else if arch == ArchQwen3 {
			cfg["architectures"] = []string{"Qwen3ForCausalLM"}
			cfg["use_sliding_window"], cfg["attention_bias"] = false, qb
		} else {
			cfg["architectures"] = []string{"Olmo2ForCausalLM"}
			cfg["attention_bias"] = qb
		}
	case ArchGPT2:
		hidden, layers, heads, ctx := get("embedding_length"), get("block_count"), get("attention.head_count"), get("context_length")
		if err != nil {
			return nil, err
		}
		inter, err := f.metaIntOr(p+"feed_forward_length", 4*hidden)
		if err != nil {
			return nil, err
		}
		eps, err := f.metaFloatOr(p+"attention.layer_norm_epsilon", 1e-5)
		if err != nil {
			return nil, err
		}
		cfg["model_type"], cfg["architectures"] = "gpt2", []string{"GPT2LMHeadModel"}
		cfg["n_embd"], cfg["n_layer"], cfg["n_head"], cfg["n_positions"] = hidden, layers, heads, ctx
		cfg["n_inner"], cfg["layer_norm_epsilon"], cfg["activation_function"] = inter, eps, "gelu_new"
	default:
		return nil, fmt.Errorf("gguf: architecture %q: %w", a, ErrUnsupported)
	}
	return json.MarshalIndent(cfg, "", "  ")
}
