package gguf

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var fixtureModels = []string{"llama-tiny", "qwen2-tiny", "gpt2-tiny"}

func readFixture(t testing.TB, name string) (cfg []byte, ts []HFTensor) {
	t.Helper()
	dir := filepath.Join(modelFixtures, name)
	cfg, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if ts, err = ReadSafetensors(st); err != nil {
		t.Fatal(err)
	}
	return cfg, ts
}

func writeGGUF(t testing.TB, w *Writer) *File {
	t.Helper()
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// An F32 export read back gives every HF tensor bit for bit, with the
// RoPE permutation and Conv1D transposes undone, and a config with the
// same hyperparameters.
func TestExportImportRoundTrip(t *testing.T) {
	for _, name := range fixtureModels {
		t.Run(name, func(t *testing.T) {
			cfg, ts := readFixture(t, name)
			w, err := ExportHF(cfg, ts, ExportOptions{Type: F32})
			if err != nil {
				t.Fatal(err)
			}
			f := writeGGUF(t, w)
			arch, _ := f.Architecture()
			want := map[string]HFTensor{}
			for _, h := range ts {
				if !ignoredHF(h.Name) {
					want[h.Name] = h
				}
			}
			for _, ti := range f.Tensors {
				got, err := f.HFTensor(ti.Name)
				if err != nil {
					t.Fatal(err)
				}
				w, ok := want[got.Name]
				if !ok {
					t.Fatalf("%s → %s, not in the checkpoint", ti.Name, got.Name)
				}
				if !reflect.DeepEqual(got.Shape, w.Shape) || !reflect.DeepEqual(got.Data, w.Data) {
					t.Errorf("%s (%s): shape %v vs %v or data differ", got.Name, ti.Name, got.Shape, w.Shape)
				}
				delete(want, got.Name)
			}
			if len(want) != 0 {
				t.Errorf("not exported: %v", sortedKeys(want))
			}
			if arch == "llama" {
				// The stored q_proj really is permuted (not the identity).
				q, _, _ := f.Float32("blk.0.attn_q.weight")
				orig := findTensor(ts, "model.layers.0.self_attn.q_proj.weight")
				if reflect.DeepEqual(q, orig.Data) {
					t.Error("llama attn_q stored unpermuted")
				}
			}
			hcfg, err := f.HFConfig()
			if err != nil {
				t.Fatal(err)
			}
			var a, b map[string]any
			json.Unmarshal(cfg, &a)
			json.Unmarshal(hcfg, &b)
			keys := []string{"model_type", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
				"intermediate_size", "max_position_embeddings", "vocab_size", "tie_word_embeddings", "n_embd", "n_layer",
				"n_head", "n_positions", "head_dim"}
			for _, k := range keys {
				if av, ok := a[k]; ok && av != nil && !reflect.DeepEqual(av, b[k]) {
					t.Errorf("config %s = %v, want %v", k, b[k], av)
				}
			}
			for _, k := range []string{"rms_norm_eps", "layer_norm_epsilon"} {
				if av, ok := a[k].(float64); ok {
					if bv, _ := b[k].(float64); float32(bv) != float32(av) {
						t.Errorf("config %s = %v, want %v", k, b[k], av)
					}
				}
			}
			if rp, ok := a["rope_parameters"].(map[string]any); ok {
				if got := b["rope_parameters"].(map[string]any)["rope_theta"]; got != rp["rope_theta"] {
					t.Errorf("rope_theta = %v, want %v", got, rp["rope_theta"])
				}
			}
		})
	}
}

func findTensor(ts []HFTensor, name string) HFTensor {
	for _, t := range ts {
		if t.Name == name {
			return t
		}
	}
	return HFTensor{}
}

// The llama Q/K permutation is what makes ggml's interleaved ("normal")
// RoPE compute what HF's rotate_half RoPE computes: rotating the permuted
// vector with pairs (2i, 2i+1) equals permuting the vector rotated with
// pairs (i, i+D/2), for every position, so attention scores agree.
func TestRopePermutationMatchesRotateHalf(t *testing.T) {
	const heads, hd, base = 3, 16, 10000.0
	rng := rand.New(rand.NewPCG(3, 4))
	q := make([]float32, heads*hd)
	for i := range q {
		q[i] = float32(rng.NormFloat64())
	}
	angle := func(pos, i int) (float64, float64) {
		th := float64(pos) * math.Pow(base, -2*float64(i)/hd)
		return math.Cos(th), math.Sin(th)
	}
	// HF modeling_llama apply_rotary_pos_emb with rotate_half.
	ropeHF := func(x []float32, pos int) []float32 {
		y := make([]float32, len(x))
		for h := range heads {
			v := x[h*hd : (h+1)*hd]
			for i := range hd / 2 {
				c, s := angle(pos, i)
				a, b := float64(v[i]), float64(v[i+hd/2])
				y[h*hd+i] = float32(a*c - b*s)
				y[h*hd+i+hd/2] = float32(b*c + a*s)
			}
		}
		return y
	}
	// ggml rope "normal" mode (GGML_ROPE_TYPE_NORM): adjacent pairs.
	ropeGGML := func(x []float32, pos int) []float32 {
		y := make([]float32, len(x))
		for h := range heads {
			v := x[h*hd : (h+1)*hd]
			for i := range hd / 2 {
				c, s := angle(pos, i)
				a, b := float64(v[2*i]), float64(v[2*i+1])
				y[h*hd+2*i] = float32(a*c - b*s)
				y[h*hd+2*i+1] = float32(a*s + b*c)
			}
		}
		return y
	}
	pq, err := ropePermute(q, heads, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, pos := range []int{0, 1, 7, 100} {
		want, _ := ropePermute(ropeHF(q, pos), heads, 1, true)
		got := ropeGGML(pq, pos)
		for i := range got {
			if math.Abs(float64(got[i]-want[i])) > 1e-5 {
				t.Fatalf("pos %d element %d: ggml %v, HF %v", pos, i, got[i], want[i])
			}
		}
	}
	back, _ := ropePermute(pq, heads, 1, false)
	if !reflect.DeepEqual(back, q) {
		t.Error("inverse permutation does not restore q")
	}
}

func TestNameMapping(t *testing.T) {
	for _, c := range []struct {
		arch       Arch
		gguf, hf   string
		reversible bool
	}{
		{ArchLlama, "blk.12.attn_q.weight", "model.layers.12.self_attn.q_proj.weight", true},
		{ArchQwen2, "blk.0.attn_k.bias", "model.layers.0.self_attn.k_proj.bias", true},
		{ArchLlama, "blk.3.ffn_down.weight", "model.layers.3.mlp.down_proj.weight", true},
		{ArchLlama, "output_norm.weight", "model.norm.weight", true},
		{ArchGPT2, "blk.1.attn_qkv.weight", "transformer.h.1.attn.c_attn.weight", true},
		{ArchGPT2, "position_embd.weight", "transformer.wpe.weight", true},
		{ArchGPT2, "output.weight", "lm_head.weight", true},
		// llama.cpp's LLM_ARCH_QWEN3 and LLM_ARCH_OLMO2 tensor names
		// (src/llama-arch.cpp).
		{ArchQwen3, "blk.1.attn_q_norm.weight", "model.layers.1.self_attn.q_norm.weight", true},
		{ArchQwen3, "blk.0.attn_k_norm.weight", "model.layers.0.self_attn.k_norm.weight", true},
		{ArchQwen3, "blk.0.ffn_norm.weight", "model.layers.0.post_attention_layernorm.weight", true},
		{ArchOLMo2, "blk.0.attn_k_norm.weight", "model.layers.0.self_attn.k_norm.weight", true},
		{ArchOLMo2, "blk.2.post_attention_norm.weight", "model.layers.2.post_attention_layernorm.weight", true},
		{ArchOLMo2, "blk.2.post_ffw_norm.weight", "model.layers.2.post_feedforward_layernorm.weight", true},
		{ArchOLMo2, "output.weight", "lm_head.weight", true},
	} {
		if got, ok := HFName(c.arch, c.gguf); !ok || got != c.hf {
			t.Errorf("HFName(%s, %s) = %q, %v; want %q", c.arch, c.gguf, got, ok, c.hf)
		}
		if got, ok := GGUFName(c.arch, c.hf); !ok || got != c.gguf {
			t.Errorf("GGUFName(%s, %s) = %q, %v; want %q", c.arch, c.hf, got, ok, c.gguf)
		}
	}
	if g, ok := GGUFName(ArchGPT2, "h.0.ln_1.weight"); !ok || g != "blk.0.attn_norm.weight" {
		t.Errorf("unprefixed GPT-2 name → %q %v", g, ok)
	}
	for _, bad := range []string{"blk.0.attn_norm.weight", "blk.0.ffn_norm.weight", "blk.0.attn_q.bias"} {
		if _, ok := HFName(ArchOLMo2, bad); ok {
			t.Errorf("HFName(olmo2) accepted %q", bad)
		}
	}
	for _, bad := range []string{"blk.x.attn_q.weight", "blk.01.attn_q.weight", "rope_freqs.weight", "blk.0.nope"} {
		if _, ok := HFName(ArchLlama, bad); ok {
			t.Errorf("HFName accepted %q", bad)
		}
	}
}

// The tiny HF checkpoints and tokenizers are model's and tokenizer's committed fixtures (stored
// once in the tree); the GGUF tests read them from there.
const (
	modelFixtures     = "../model/testdata"
	tokenizerFixtures = "../tokenizer/testdata"
)
