// Command prep writes what bench/peers/run.sh feeds the peer runtimes: for
// one model, the Hugging Face folder lamina loads (models/lamina-brown-20m
// as it is, or a SmolLM2-135M-shaped folder of seeded random f16 weights),
// GGUF conversions of it for llama.cpp and wllama (F16, Q8_0, Q4_0, through
// package gguf's exporter) and the benchmark prompt (prompt.json: token
// ids). The ONNX conversion for transformers.js is bench/peers/to_onnx.py.
//
//	go run ./bench/peers/prep -model brown|smollm2 -out DIR [-prompt-len 128]
//
// Files already present are kept (delete DIR to redo them).
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/lamina-ml/lamina/gguf"
	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/model"
)

func main() {
	name := flag.String("model", "brown", "brown (models/lamina-brown-20m) or smollm2 (SmolLM2-135M shape, random weights)")
	out := flag.String("out", "", "output folder")
	promptLen := flag.Int("prompt-len", 128, "prompt tokens")
	flag.Parse()
	if err := run(*name, *out, *promptLen); err != nil {
		fmt.Fprintln(os.Stderr, "prep:", err)
		os.Exit(1)
	}
}

func run(name, out string, promptLen int) error {
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	hf := filepath.Join(out, "hf")
	switch name {
	case "brown":
		hf = "models/lamina-brown-20m"
	case "smollm2":
		if err := writeRandomSmolLM2(hf); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown -model %q (want brown or smollm2)", name)
	}
	cfgJSON, err := os.ReadFile(filepath.Join(hf, "config.json"))
	if err != nil {
		return err
	}
	var cfg struct {
		Vocab int `json:"vocab_size"`
	}
	if err := json.Unmarshal(cfgJSON, &cfg); err != nil {
		return fmt.Errorf("%s/config.json: %w", hf, err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	// The prompt `lamina bench` and bench/wasmsimd draw with seed 1.
	rng := rand.New(rand.NewPCG(1, 0))
	prompt := make([]int32, promptLen)
	for i := range prompt {
		prompt[i] = int32(rng.IntN(cfg.Vocab))
	}
	pj, _ := json.Marshal(prompt)
	if err := os.WriteFile(filepath.Join(out, "prompt.json"), pj, 0o644); err != nil {
		return err
	}
	hfPath, _ := filepath.Abs(hf)
	if err := os.WriteFile(filepath.Join(out, "hfdir"), []byte(hfPath+"\n"), 0o644); err != nil {
		return err
	}

	var tensors []gguf.HFTensor
	tok, err := os.ReadFile(filepath.Join(hf, "tokenizer.json"))
	if err != nil {
		return err
	}
	for _, t := range []struct {
		file string
		typ  gguf.TensorType
	}{{"model-f16.gguf", gguf.F16}, {"model-q8_0.gguf", gguf.Q8_0}, {"model-q4_0.gguf", gguf.Q4_0}} {
		path := filepath.Join(out, t.file)
		if _, err := os.Stat(path); err == nil {
			continue
		}
		if tensors == nil {
			st, err := os.ReadFile(filepath.Join(hf, "model.safetensors"))
			if err != nil {
				return err
			}
			if tensors, err = gguf.ReadSafetensors(st); err != nil {
				return err
			}
		}
		w, err := gguf.ExportHF(cfgJSON, tensors, gguf.ExportOptions{Type: t.typ, Name: name, Tokenizer: tok})
		if err != nil {
			return fmt.Errorf("%s: %w", t.file, err)
		}
		if err := writeTo(path, w); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "prep: wrote %s\n", path)
	}
	return nil
}

func writeTo(path string, w *gguf.Writer) error {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	if _, err := w.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// smolLM2Config is HuggingFaceTB/SmolLM2-135M's config.json (the keys
// lamina, the GGUF exporter and transformers.js read).
var smolLM2Config = map[string]any{
	"architectures": []string{"LlamaForCausalLM"}, "model_type": "llama",
	"vocab_size": 49152, "hidden_size": 576, "num_hidden_layers": 30, "num_attention_heads": 9,
	"num_key_value_heads": 3, "head_dim": 64, "intermediate_size": 1536,
	"max_position_embeddings": 8192, "rms_norm_eps": 1e-5, "rope_theta": 100000.0,
	"tie_word_embeddings": true, "bos_token_id": 0, "eos_token_id": 0, "hidden_act": "silu",
	"attention_bias": false, "mlp_bias": false, "torch_dtype": "float16", "use_cache": true,
}

// writeRandomSmolLM2 writes an HF folder of SmolLM2-135M's shape with
// seeded random f16 weights: linear weights uniform in ±1/sqrt(K) and norms
// near 1 as model.NewRandom makes them, but the (tied) embedding uniform in
// ±0.2 rather than ±1, so that the logits spread over a few units instead
// of a hundred (with ±1 one token takes all the probability and greedy
// decoding repeats it, which makes a weak check of the conversions), and
// lamina-brown-20m's tokenizer.json (4096 tokens: the exporter names the
// remaining ids [PADn]; the benchmark feeds token ids, never text).
func writeRandomSmolLM2(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cfg, _ := json.MarshalIndent(smolLM2Config, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		return err
	}
	tok, err := os.ReadFile("models/lamina-brown-20m/tokenizer.json")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), tok, 0o644); err != nil {
		return err
	}
	const V, C, L, H, G, D, I = 49152, 576, 30, 9, 3, 64, 1536
	rng := model.NewRNG(1)
	var ts []model.SafetensorsTensor
	add := func(name string, shape []int, center, scale float64) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		b := make([]byte, 2*n)
		for i := 0; i < n; i++ {
			v := float32(center + (2*rng.Float64()-1)*scale)
			binary.LittleEndian.PutUint16(b[2*i:], kernels.F32ToF16(v))
		}
		ts = append(ts, model.SafetensorsTensor{Name: name, DType: "F16", Shape: shape, Data: b})
	}
	lin := func(name string, n, k int) { add(name, []int{n, k}, 0, 1/math.Sqrt(float64(k))) }
	add("model.embed_tokens.weight", []int{V, C}, 0, 0.2)
	for l := 0; l < L; l++ {
		p := fmt.Sprintf("model.layers.%d.", l)
		add(p+"input_layernorm.weight", []int{C}, 1, 0.1)
		lin(p+"self_attn.q_proj.weight", H*D, C)
		lin(p+"self_attn.k_proj.weight", G*D, C)
		lin(p+"self_attn.v_proj.weight", G*D, C)
		lin(p+"self_attn.o_proj.weight", C, H*D)
		add(p+"post_attention_layernorm.weight", []int{C}, 1, 0.1)
		lin(p+"mlp.gate_proj.weight", I, C)
		lin(p+"mlp.up_proj.weight", I, C)
		lin(p+"mlp.down_proj.weight", C, I)
	}
	add("model.norm.weight", []int{C}, 1, 0.1)
	st, err := model.WriteSafetensors(ts)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "model.safetensors"), st, 0o644)
}
