package model

import (
	"errors"
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
	}
	for _, tc := range tests {
		_, err := ParseConfig([]byte(tc.json))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field || !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: err %v, want an unsupported ConfigError on %s", tc.json, err, tc.field)
		}
	}
	_, err := ParseConfig([]byte(archJSON("mistral", `,"sliding_window":-1`)))
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "sliding_window" || errors.Is(err, ErrUnsupported) {
		t.Errorf("negative sliding_window: err %v", err)
	}
}

// noHeadNormBackend hides the CPU backend's RMSNormHeads (as WebGPU lacks it).
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

// Sessions longer than Mistral's window are refused (lamina computes the
// causal mask, which equals the sliding-window one only within W).
func TestMistralWindowLimit(t *testing.T) {
	c, err := ParseConfig([]byte(archJSON("mistral", `,"sliding_window":8`)))
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewRandom(*c, tensor.NewCPU(), tensor.F32, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s, err := m.NewSession(8)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = m.NewSession(9)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "sliding_window" || !errors.Is(err, ErrUnsupported) {
		t.Fatalf("session of 9 with window 8: err %v", err)
	}
	if _, err := m.Logits(make([]int32, 9)); !errors.As(err, &ce) {
		t.Fatalf("Logits of 9 ids with window 8: err %v", err)
	}
}
