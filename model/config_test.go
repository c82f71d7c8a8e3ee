package model

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseConfigFixtures(t *testing.T) {
	tests := []struct {
		dir  string
		want Config
	}{
		{"gpt2-tiny", Config{Arch: GPT2, VocabSize: 512, Hidden: 64, Layers: 2, Heads: 4, KVHeads: 4, HeadDim: 16,
			Intermediate: 256, MaxPositions: 128, NormEps: 1e-5, AttnScale: 0.25, TieWordEmbeddings: true,
			QKVBias: true, OutBias: true, MLPBias: true, DType: "float32", BOSTokenID: 50256, EOSTokenID: []int32{50256}}},
		{"llama-tiny", Config{Arch: Llama, VocabSize: 512, Hidden: 64, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 16,
			Intermediate: 172, MaxPositions: 128, NormEps: 1e-5, RopeTheta: 10000, AttnScale: 0.25,
			DType: "float32", BOSTokenID: 1, EOSTokenID: []int32{2}}},
		{"qwen2-tiny", Config{Arch: Qwen2, VocabSize: 512, Hidden: 64, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 16,
			Intermediate: 160, MaxPositions: 128, NormEps: 1e-6, RopeTheta: 1e6, AttnScale: 0.25, QKVBias: true,
			TieWordEmbeddings: true, DType: "float32", BOSTokenID: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tc.dir, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			c, err := ParseConfig(b)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fmt.Sprintf("%+v", *c), fmt.Sprintf("%+v", tc.want); got != want {
				t.Errorf("config\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestParseConfigVariants(t *testing.T) {
	llama := func(extra string) string {
		return `{"model_type":"llama","vocab_size":100,"hidden_size":64,"num_hidden_layers":2,
			"num_attention_heads":4,"intermediate_size":128` + extra + `}`
	}
	tests := []struct {
		name  string
		json  string
		check func(*Config) bool
	}{
		{"top-level rope_theta", llama(`,"rope_theta":500000`), func(c *Config) bool { return c.RopeTheta == 500000 }},
		{"rope_parameters wins", llama(`,"rope_theta":1,"rope_parameters":{"rope_theta":250000,"rope_type":"default"}`),
			func(c *Config) bool { return c.RopeTheta == 250000 }},
		{"default theta and kv heads", llama(``), func(c *Config) bool { return c.RopeTheta == 10000 && c.KVHeads == 4 && c.HeadDim == 16 }},
		{"head_dim override", llama(`,"head_dim":32,"num_key_value_heads":2`), func(c *Config) bool {
			return c.HeadDim == 32 && c.KVHeads == 2 && c.AttnScale == float32(1/math.Sqrt(32))
		}},
		{"llama3 rope_scaling", llama(`,"rope_scaling":{"rope_type":"llama3","factor":8,"low_freq_factor":1,"high_freq_factor":4,"original_max_position_embeddings":8192}`),
			func(c *Config) bool {
				return c.RopeScaling.Type == "llama3" && c.RopeScaling.Factor == 8 && c.RopeScaling.OriginalMaxPositions == 8192
			}},
		{"llama3 in rope_parameters", llama(`,"rope_parameters":{"rope_theta":500000,"rope_type":"llama3","factor":32,"low_freq_factor":1,"high_freq_factor":4,"original_max_position_embeddings":8192}`),
			func(c *Config) bool { return c.RopeScaling.Type == "llama3" && c.RopeTheta == 500000 }},
		{"eos list", llama(`,"eos_token_id":[5,7]`), func(c *Config) bool { return len(c.EOSTokenID) == 2 && c.EOSTokenID[1] == 7 }},
		{"attention bias", llama(`,"attention_bias":true`), func(c *Config) bool { return c.QKVBias && c.OutBias && !c.MLPBias }},
		{"qwen2 sliding window off", strings.Replace(llama(`,"use_sliding_window":false,"sliding_window":4096`), "llama", "qwen2", 1),
			func(c *Config) bool { return c.Arch == Qwen2 && c.QKVBias && !c.OutBias }},
		{"gpt2 defaults", `{"model_type":"gpt2"}`, func(c *Config) bool {
			return c.Hidden == 768 && c.Layers == 12 && c.Intermediate == 3072 && c.VocabSize == 50257 && c.TieWordEmbeddings
		}},
		{"gpt2 unscaled attention", `{"model_type":"gpt2","n_embd":32,"n_head":2,"n_layer":1,"scale_attn_weights":false}`,
			func(c *Config) bool { return c.AttnScale == 1 }},
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

func TestParseConfigErrors(t *testing.T) {
	llama := `{"model_type":"llama","vocab_size":100,"hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"intermediate_size":128`
	tests := []struct {
		name        string
		json        string
		field       string
		unsupported bool
	}{
		{"unknown model type", `{"model_type":"mamba"}`, "model_type", true},
		{"missing model type", `{}`, "model_type", false},
		{"sliding window in use", strings.Replace(llama, "llama", "qwen2", 1) + `,"use_sliding_window":true,"sliding_window":4096}`, "use_sliding_window", true},
		{"sliding layer type", llama + `,"layer_types":["full_attention","sliding_attention"]}`, "layer_types", true},
		{"partial rotary", llama + `,"partial_rotary_factor":0.5}`, "partial_rotary_factor", true},
		{"gelu act", llama + `,"hidden_act":"gelu"}`, "hidden_act", true},
		{"gpt2 exact gelu", `{"model_type":"gpt2","activation_function":"gelu"}`, "activation_function", true},
		{"yarn", llama + `,"rope_scaling":{"rope_type":"yarn","factor":4}}`, "rope_scaling.rope_type", true},
		{"llama3 incomplete", llama + `,"rope_scaling":{"rope_type":"llama3","factor":8}}`, "rope_scaling", false},
		{"kv heads do not divide", llama + `,"num_key_value_heads":3}`, "num_key_value_heads", false},
		{"missing hidden", `{"model_type":"llama","vocab_size":100}`, "hidden_size", false},
		{"zero layers", strings.Replace(llama, `"num_hidden_layers":2`, `"num_hidden_layers":0`, 1) + `}`, "num_hidden_layers", false},
		{"huge vocab", strings.Replace(llama, `"vocab_size":100`, `"vocab_size":1000000000000`, 1) + `}`, "vocab_size", false},
		{"bad eos", llama + `,"eos_token_id":"x"}`, "eos_token_id", false},
		{"negative eps", llama + `,"rms_norm_eps":-1}`, "rms_norm_eps", false},
		{"not json", `{"model_type":`, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.json))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err %v (%T), want *ConfigError", err, err)
			}
			if ce.Field != tc.field {
				t.Errorf("field %q, want %q (%v)", ce.Field, tc.field, err)
			}
			if errors.Is(err, ErrUnsupported) != tc.unsupported {
				t.Errorf("errors.Is(ErrUnsupported) = %v, want %v", !tc.unsupported, tc.unsupported)
			}
		})
	}
}

// TestRopeInvFreqLlama3 checks the Llama-3 scaling against values computed
// by hand from the formula in the Llama 3 paper's reference code: with
// theta 500000, D 8, factor 8, low 1, high 4, original 8192:
// inv_freq = [1, 500000^-0.25, 500000^-0.5, 500000^-0.75]
// wavelengths 2π/f = [6.28, 167.9, 4443, 118,000]; high_wave 2048,
// low_wave 8192: the first two are kept, the last divided by 8, and the
// third interpolated with smooth = (8192/4443 - 1)/3 = 0.2813.
func TestRopeInvFreqLlama3(t *testing.T) {
	c := &Config{HeadDim: 8, RopeTheta: 500000, RopeScaling: RopeScaling{Type: "llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 8192}}
	got := ropeInvFreq(c)
	f2 := math.Pow(500000, -0.5)
	smooth := (8192/(2*math.Pi/f2) - 1) / 3
	want := []float64{1, math.Pow(500000, -0.25), (1-smooth)*f2/8 + smooth*f2, math.Pow(500000, -0.75) / 8}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-6*want[i] {
			t.Errorf("inv_freq[%d] = %g, want %g", i, got[i], want[i])
		}
	}
}

// FuzzConfig: any input either parses into a valid config or returns a
// *ConfigError; never a panic.
func FuzzConfig(f *testing.F) {
	for _, dir := range fixtureModels {
		if b, err := os.ReadFile(filepath.Join("testdata", dir, "config.json")); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"model_type":"gpt2","n_embd":8,"n_head":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(b)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is %T, not *ConfigError", err, err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed config does not validate: %v", err)
		}
	})
}
