package model

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

// Real small checkpoints' config.json keys (values cut down to tiny
// sizes), e.g. Qwen/Qwen3-0.6B, allenai/OLMo-2-0425-1B,
// mistralai/Mistral-7B-v0.1.
func archJSON(mt, extra string) string {
	return `{"model_type":"` + mt + `","vocab_size":100,"hidden_size":64,"num_hidden_layers":2,
		"num_attention_heads":4,"num_key_value_heads":2,"intermediate_size":128` + extra + `}`
}

func TestParseConfigNewArchs(t *testing.T) {
	tests := []struct {
		name  string
		json  string
		check func(*Config) bool
	}{
		{"qwen3 defaults", archJSON("qwen3", ``), func(c *Config) bool {
			// Qwen3Config: head_dim 128, attention_bias false, per-head q/k norms.
			return c.Arch == Qwen3 && c.HeadDim == 128 && !c.QKVBias && !c.OutBias && c.QKNorm == QKNormHead &&
				!c.PostNorms && c.NormEps == 1e-6 && !c.TieWordEmbeddings
		}},
		{"qwen3 0.6B keys", archJSON("qwen3", `,"head_dim":32,"attention_bias":false,"tie_word_embeddings":true,
			"use_sliding_window":false,"sliding_window":null,"max_window_layers":28,"rope_theta":1000000,
			"rope_scaling":null,"layer_types":["full_attention","full_attention"],"torch_dtype":"bfloat16"`), func(c *Config) bool {
			return c.HeadDim == 32 && c.TieWordEmbeddings && c.RopeTheta == 1e6 && c.SlidingWindow == 0
		}},
		{"qwen3 attention_bias", archJSON("qwen3", `,"attention_bias":true`), func(c *Config) bool { return c.QKVBias && c.OutBias }},
		{"qwen3 sliding flag with every layer full", archJSON("qwen3", `,"use_sliding_window":true,"sliding_window":4096,"max_window_layers":2`),
			func(c *Config) bool { return c.SlidingWindow == 0 }},
		{"olmo2", archJSON("olmo2", `,"rope_theta":500000,"attention_bias":false,"rms_norm_eps":1e-6`), func(c *Config) bool {
			return c.Arch == OLMo2 && c.QKNorm == QKNormFull && c.PostNorms && c.HeadDim == 16 && c.NormEps == 1e-6
		}},
		{"olmo2 default eps", archJSON("olmo2", ``), func(c *Config) bool { return c.NormEps == 1e-5 }},
		{"mistral v0.1", archJSON("mistral", `,"sliding_window":4096,"rope_theta":10000`), func(c *Config) bool {
			return c.Arch == Mistral && c.SlidingWindow == 4096 && c.QKNorm == QKNormNone && !c.QKVBias
		}},
		{"smollm3 defaults", archJSON("smollm3", `,"num_hidden_layers":8`), func(c *Config) bool {
			// SmolLM3Config: NoPE every 4th layer, rope_theta 2e6, tied embeddings.
			want := []bool{false, false, false, true, false, false, false, true}
			return c.Arch == SmolLM3 && fmt.Sprint(c.NoRoPE) == fmt.Sprint(want) && c.RopeTheta == 2e6 &&
				c.TieWordEmbeddings && c.NormEps == 1e-6 && !c.QKVBias
		}},
		{"smollm3 3B keys", archJSON("smollm3", `,"no_rope_layers":[1,0],"no_rope_layer_interval":4,"use_sliding_window":false,
			"sliding_window":null,"max_window_layers":28,"layer_types":["full_attention","full_attention"],"rope_theta":5000000,
			"tie_word_embeddings":true,"attention_bias":false,"mlp_bias":false,"pad_token_id":128004`), func(c *Config) bool {
			return fmt.Sprint(c.NoRoPE) == "[false true]" && c.RopeTheta == 5e6
		}},
		{"smollm3 interval", archJSON("smollm3", `,"no_rope_layer_interval":2,"tie_word_embeddings":false`), func(c *Config) bool {
			return fmt.Sprint(c.NoRoPE) == "[false true]" && !c.TieWordEmbeddings
		}},
		{"gemma3 defaults", archJSON("gemma3_text", `,"num_hidden_layers":7`), func(c *Config) bool {
			// Gemma3TextConfig: head_dim 256, query_pre_attn_scalar 256,
			// window 4096, pattern 6, RoPE 1e6 global / 1e4 local, tied.
			want := []bool{true, true, true, true, true, false, true}
			return c.Arch == Gemma3 && c.HeadDim == 256 && c.AttnScale == 1.0/16 && c.SlidingWindow == 4096 &&
				fmt.Sprint(c.SlidingLayers) == fmt.Sprint(want) && c.RopeTheta == 1e6 && c.LocalRopeTheta == 1e4 &&
				c.TieWordEmbeddings && c.EmbedScale == 8 && c.GeGLU && c.SandwichNorms && c.QKNorm == QKNormHead && c.NormEps == 1e-6
		}},
		{"gemma3 270m keys", archJSON("gemma3_text", `,"head_dim":32,"query_pre_attn_scalar":64,"sliding_window":512,
			"layer_types":["sliding_attention","full_attention"],"rope_local_base_freq":10000.0,"rope_theta":1000000.0,
			"_sliding_window_pattern":6,"final_logit_softcapping":null,"attn_logit_softcapping":null,"rope_scaling":null,
			"use_bidirectional_attention":false,"hidden_activation":"gelu_pytorch_tanh","attention_bias":false,"max_position_embeddings":32768`), func(c *Config) bool {
			return c.HeadDim == 32 && c.AttnScale == 1.0/8 && c.SlidingWindow == 512 && fmt.Sprint(c.SlidingLayers) == "[true false]"
		}},
		{"gemma3 transformers 5 rope_parameters", archJSON("gemma3_text", `,"rope_parameters":{"full_attention":{"rope_type":"default","rope_theta":500000},
			"sliding_attention":{"rope_type":"default","rope_theta":20000}}`), func(c *Config) bool {
			return c.RopeTheta == 5e5 && c.LocalRopeTheta == 2e4
		}},
		{"phi3 mini-4k keys", archJSON("phi3", `,"hidden_act":"silu","sliding_window":2047,"rope_scaling":null,"rope_theta":10000.0,
			"original_max_position_embeddings":4096,"max_position_embeddings":4096,"rms_norm_eps":1e-05,"tie_word_embeddings":false,
			"resid_pdrop":0.0,"embd_pdrop":0.0,"attention_dropout":0.0,"pad_token_id":32000,"bos_token_id":1,"eos_token_id":32000`), func(c *Config) bool {
			return c.Arch == Phi3 && c.SlidingWindow == 2047 && c.HeadDim == 16 && !c.QKVBias && !c.MLPBias && c.NormEps == 1e-5
		}},
		{"phi3 no window", archJSON("phi3", `,"sliding_window":null`), func(c *Config) bool { return c.SlidingWindow == 0 }},
		{"mistral v0.3 null window", archJSON("mistral", `,"sliding_window":null,"head_dim":32`), func(c *Config) bool {
			return c.SlidingWindow == 0 && c.HeadDim == 32
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Errorf("unexpected config %+v", *c)
			}
		})
	}
}

func TestParseConfigNewArchsRefused(t *testing.T) {
	tests := []struct{ json, field string }{
		{archJSON("qwen3", `,"use_sliding_window":true,"sliding_window":4096,"max_window_layers":1`), "use_sliding_window"},
		{archJSON("qwen3", `,"layer_types":["full_attention","sliding_attention"]`), "layer_types"},
		{archJSON("olmo2", `,"clip_qkv":8`), "clip_qkv"},
		{archJSON("mistral", `,"attention_bias":true`), "attention_bias"},
		{archJSON("mistral", `,"mlp_bias":true`), "mlp_bias"},
		{archJSON("qwen3", `,"hidden_act":"gelu"`), "hidden_act"},
		{archJSON("olmo2", `,"rope_scaling":{"rope_type":"yarn","factor":4}`), "rope_scaling.rope_type"},
		{archJSON("phi3", `,"partial_rotary_factor":0.75`), "partial_rotary_factor"},
		{archJSON("phi3", `,"attention_bias":true`), "attention_bias"},
		{archJSON("gemma3_text", `,"final_logit_softcapping":30`), "final_logit_softcapping"},
		{archJSON("gemma3_text", `,"attn_logit_softcapping":50`), "attn_logit_softcapping"},
		{archJSON("gemma3_text", `,"rope_scaling":{"rope_type":"linear","factor":8}`), "rope_scaling"},
		{archJSON("gemma3_text", `,"rope_parameters":{"full_attention":{"rope_type":"linear","factor":8}}`), "rope_parameters.full_attention.rope_type"},
		{archJSON("gemma3_text", `,"hidden_activation":"gelu"`), "hidden_activation"},
		{archJSON("gemma3_text", `,"attention_bias":true`), "attention_bias"},
		{archJSON("gemma3_text", `,"use_bidirectional_attention":true`), "use_bidirectional_attention"},
		{archJSON("gemma3_text", `,"layer_types":["sliding_attention","chunked_attention"]`), "layer_types"},
		{archJSON("smollm3", `,"layer_types":["sliding_attention","full_attention"],"sliding_window":64`), "layer_types"},
		{archJSON("smollm3", `,"use_sliding_window":true,"sliding_window":64,"max_window_layers":0`), "use_sliding_window"},
	}
	for _, tc := range tests {
		_, err := ParseConfig([]byte(tc.json))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field || !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: err %v, want an unsupported ConfigError on %s", tc.json, err, tc.field)
		}
	}
	for _, bad := range []struct{ json, field string }{
		{archJSON("mistral", `,"sliding_window":-1`), "sliding_window"},
		{archJSON("smollm3", `,"no_rope_layers":[1,1,0]`), "no_rope_layers"},
		{archJSON("smollm3", `,"no_rope_layers":[1,2]`), "no_rope_layers"},
		{archJSON("smollm3", `,"no_rope_layer_interval":0`), "no_rope_layer_interval"},
		{archJSON("gemma3_text", `,"layer_types":["full_attention"]`), "layer_types"},
		{archJSON("gemma3_text", `,"sliding_window":0`), "sliding_window"},
		{archJSON("gemma3_text", `,"query_pre_attn_scalar":0`), "query_pre_attn_scalar"},
		{archJSON("gemma3_text", `,"sliding_window_pattern":0`), "sliding_window_pattern"},
	} {
		_, err := ParseConfig([]byte(bad.json))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != bad.field || errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: err %v, want a bad-field ConfigError on %s", bad.json, err, bad.field)
		}
	}
}

// noHeadNormBackend hides the CPU backend's RMSNormHeads (as a backend without it).
type noHeadNormBackend struct{ tensor.Backend }

func TestQwen3NeedsHeadNorm(t *testing.T) {
	c, err := ParseConfig([]byte(archJSON("qwen3", `,"head_dim":16`)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewRandom(*c, noHeadNormBackend{tensor.NewCPU()}, tensor.F32, 1)
	var ce *ConfigError
	if !errors.As(err, &ce) || !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "per-head") {
		t.Fatalf("err %v, want an unsupported ConfigError about per-head norms", err)
	}
	m, err := NewRandom(*c, tensor.NewCPU(), tensor.F32, 1)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
}

// One layer of sliding-window attention with RoPE (relative positions)
// makes the logits at position p a function of tokens p-W+1..p alone: they
// equal the last row of the same W tokens run from position 0. This
// property is independent of lamina's masking code; full causal attention
// (window 0, same weights) breaks it. Decoding token by token through a
// session gives the prefill's logits.
func TestMistralSlidingWindow(t *testing.T) {
	const W, N = 4, 14
	c, err := ParseConfig([]byte(`{"model_type":"mistral","vocab_size":100,"hidden_size":64,"num_hidden_layers":1,
		"num_attention_heads":4,"num_key_value_heads":2,"intermediate_size":128,"sliding_window":4}`))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int32, N)
	for i := range ids {
		ids[i] = int32((i*37 + 11) % 100)
	}
	windowed := func(cfg Config) float64 {
		m, err := NewRandom(cfg, tensor.NewCPU(), tensor.F32, 5)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		full, err := m.Logits(ids)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for p := W; p < N; p++ {
			part, err := m.Logits(ids[p-W+1 : p+1])
			if err != nil {
				t.Fatal(err)
			}
			worst = max(worst, maxAbsDiff(full[p], part[W-1]))
		}
		if cfg.SlidingWindow > 0 {
			checkDecodeEqualsPrefill(t, m, ids, full)
		}
		return worst
	}
	if d := windowed(*c); d > 1e-4 {
		t.Errorf("window %d: logits at p differ from those of tokens p-%d..p alone by %.3g", W, W-1, d)
	}
	nc := *c
	nc.SlidingWindow = 0
	if d := windowed(nc); d < 1e-2 {
		t.Errorf("full attention agrees with the window property (%.3g); the test cannot tell them apart", d)
	}
}

// Gemma 3 with a sliding layer and a global one: decode steps through a
// session, past the window, give the prefill's logits, and greedy
// Generate (which embeds on the device) follows the prefill's argmax.
func TestGemma3DecodeEqualsPrefill(t *testing.T) {
	c, err := ParseConfig([]byte(archJSON("gemma3_text", `,"head_dim":16,"query_pre_attn_scalar":16,"sliding_window":4,
		"layer_types":["sliding_attention","full_attention"]`)))
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewRandom(*c, tensor.NewCPU(), tensor.F32, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	const N = 12
	ids := make([]int32, N)
	for i := range ids {
		ids[i] = int32((i*29 + 5) % 100)
	}
	full, err := m.Logits(ids)
	if err != nil {
		t.Fatal(err)
	}
	checkDecodeEqualsPrefill(t, m, ids, full)
	gen, err := m.Generate(t.Context(), ids[:3], GenerateOptions{MaxNewTokens: 6, IgnoreEOS: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	seq := append([]int32{}, ids[:3]...)
	for _, g := range gen {
		rows, err := m.Logits(seq)
		if err != nil {
			t.Fatal(err)
		}
		best := 0
		for i, v := range rows[len(rows)-1] {
			if v > rows[len(rows)-1][best] {
				best = i
			}
		}
		if int32(best) != g {
			t.Fatalf("greedy %v: token %d is not the prefill argmax %d", gen, g, best)
		}
		seq = append(seq, g)
	}
}

// checkDecodeEqualsPrefill decodes ids one at a time through a session
// (a prefill of the first, then steps) and checks each step's logits are
// within 1e-4 of full, the logits of one prefill of all of ids.
func checkDecodeEqualsPrefill(t *testing.T, m *Model, ids []int32, full [][]float32) {
	t.Helper()
	s, err := m.NewSession(len(ids))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for p, id := range ids {
		var lg []float32
		if p == 0 {
			lg, err = s.Prefill(ids[:1])
		} else {
			lg, err = s.Step(id)
		}
		if err != nil {
			t.Fatal(err)
		}
		if d := maxAbsDiff(lg, full[p]); d > 1e-4 {
			t.Errorf("decode step %d: max |Δlogit| vs prefill %.3g", p, d)
		}
	}
}
