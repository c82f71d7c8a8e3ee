// Command workermem measures how much memory the edge worker needs to load
// and run a model, for the table in worker/README.md ("Which models fit"):
// Cloudflare gives an isolate 128 MB, the Go program's WebAssembly memory
// included, and WebAssembly memory never shrinks, so the Go runtime's Sys
// after loading the model and generating tokens through the worker's own
// handler is the high-water mark of the linear memory.
//
//	go run ./bench/workermem prepare --out DIR      # native: the model folders (run.sh)
//	GOOS=js GOARCH=wasm go run -exec go_js_wasm_exec ./bench/workermem probe --models DIR --model NAME
//
// bench/workermem/run.sh does both for every form and prints the table.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/lamina-ml/lamina/gguf"
	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/worker"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: workermem prepare --out DIR | probe --models DIR --model NAME")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "prepare":
		err = prepare(os.Args[2:])
	case "probe":
		err = probe(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "workermem:", err)
		os.Exit(1)
	}
}

// smolLM2Config is HuggingFaceTB/SmolLM2-135M's config.json (the shape of
// lamina bench --shape smollm2-135m); its weights here are random.
const smolLM2Config = `{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 49152,
 "hidden_size": 576, "intermediate_size": 1536, "num_hidden_layers": 30, "num_attention_heads": 9,
 "num_key_value_heads": 3, "head_dim": 64, "max_position_embeddings": 8192, "rms_norm_eps": 1e-05,
 "rope_theta": 100000.0, "tie_word_embeddings": true, "hidden_act": "silu", "bos_token_id": 0, "eos_token_id": 0}`

// prepare writes, under --out: smollm2-f16 (random f16 weights of the
// SmolLM2-135M shape) and, for it and for --brown (models/lamina-brown-20m),
// GGUF exports NAME-gguf-f16, NAME-gguf-q8_0 and NAME-gguf-q4_0 (each a
// folder holding one .gguf, as the worker serves it). The quantized
// safetensors folders come from `lamina quantize` (run.sh).
func prepare(args []string) error {
	fl := flag.NewFlagSet("prepare", flag.ContinueOnError)
	out := fl.String("out", "", "output folder")
	brown := fl.String("brown", "models/lamina-brown-20m", "the lamina-brown-20m folder")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out is required")
	}
	smol := filepath.Join(*out, "smollm2-f16")
	if err := writeRandomFolder(smol, []byte(smolLM2Config)); err != nil {
		return err
	}
	for name, dir := range map[string]string{"brown": *brown, "smollm2": smol} {
		cfg, err := os.ReadFile(filepath.Join(dir, "config.json"))
		if err != nil {
			return err
		}
		st, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
		if err != nil {
			return err
		}
		ts, err := gguf.ReadSafetensors(st)
		if err != nil {
			return err
		}
		tok, _ := os.ReadFile(filepath.Join(dir, "tokenizer.json")) // nil without one
		for _, typ := range []gguf.TensorType{gguf.F16, gguf.Q8_0, gguf.Q4_0} {
			w, err := gguf.ExportHF(cfg, ts, gguf.ExportOptions{Type: typ, Name: name, Tokenizer: tok})
			if err != nil {
				return err
			}
			d := filepath.Join(*out, name+"-gguf-"+strings.ToLower(typ.String()))
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
			f, err := os.Create(filepath.Join(d, "model.gguf"))
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
		}
	}
	return nil
}

// writeRandomFolder writes config.json and an f16 model.safetensors of
// uniform random weights (norms 1) for the llama config cfg.
func writeRandomFolder(dir string, cfgJSON []byte) error {
	cfg, err := model.ParseConfig(cfgJSON)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var ts []model.SafetensorsTensor
	f16 := func(name string, shape []int, scale float64, one bool) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		b := make([]byte, 2*n)
		for i := 0; i < n; i++ {
			v := float32((rng.Float64()*2 - 1) * scale)
			if one {
				v = 1
			}
			h := gguf.F32ToF16(v)
			b[2*i], b[2*i+1] = byte(h), byte(h>>8)
		}
		ts = append(ts, model.SafetensorsTensor{Name: name, DType: "F16", Shape: shape, Data: b})
	}
	C, I, V, D := cfg.Hidden, cfg.Intermediate, cfg.VocabSize, cfg.HeadDim
	s := 1 / math.Sqrt(float64(C))
	f16("model.embed_tokens.weight", []int{V, C}, 1, false)
	f16("model.norm.weight", []int{C}, 0, true)
	for l := 0; l < cfg.Layers; l++ {
		p := "model.layers." + strconv.Itoa(l) + "."
		f16(p+"input_layernorm.weight", []int{C}, 0, true)
		f16(p+"post_attention_layernorm.weight", []int{C}, 0, true)
		f16(p+"self_attn.q_proj.weight", []int{cfg.Heads * D, C}, s, false)
		f16(p+"self_attn.k_proj.weight", []int{cfg.KVHeads * D, C}, s, false)
		f16(p+"self_attn.v_proj.weight", []int{cfg.KVHeads * D, C}, s, false)
		f16(p+"self_attn.o_proj.weight", []int{C, cfg.Heads * D}, s, false)
		f16(p+"mlp.gate_proj.weight", []int{I, C}, s, false)
		f16(p+"mlp.up_proj.weight", []int{I, C}, s, false)
		f16(p+"mlp.down_proj.weight", []int{C, I}, 1/math.Sqrt(float64(I)), false)
	}
	st, err := model.WriteSafetensors(ts)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfgJSON, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "model.safetensors"), st, 0o644)
}

// probeResult is one line of probe's output.
type probeResult struct {
	Model      string  `json:"model"`
	FileMiB    float64 `json:"file_mib"`
	SysMiB     float64 `json:"sys_mib"`     // runtime.MemStats.Sys: the Go program's memory (linear memory under js/wasm)
	HeapMiB    float64 `json:"heap_mib"`    // HeapInuse after the run
	LoadS      float64 `json:"load_s"`      // first request, model load included
	Tokens     int     `json:"tokens"`      // generated
	Status     int     `json:"status"`      // HTTP status of /v1/completions
	GOOSGOARCH string  `json:"goos_goarch"` //
	Error      string  `json:"error,omitempty"`
}

// probe loads --model from --models through the worker's handler (the
// bucket read as FSStore, models loaded by worker.LoadCPU) with one
// /v1/completions request of 8 greedy tokens, and prints probeResult.
func probe(args []string) error {
	fl := flag.NewFlagSet("probe", flag.ContinueOnError)
	models := fl.String("models", "", "models folder")
	name := fl.String("model", "", "model (subfolder) name")
	if err := fl.Parse(args); err != nil {
		return err
	}
	var size int64
	entries, err := os.ReadDir(filepath.Join(*models, *name))
	if err != nil {
		return err
	}
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			size += fi.Size()
		}
	}
	h := worker.New(worker.Config{Store: worker.FSStore{FS: os.DirFS(*models)}, LoadLM: worker.LoadCPU})
	start := time.Now()
	rec := httptest.NewRecorder()
	body := fmt.Sprintf(`{"model":%q,"prompt":[1,2,3,4],"max_tokens":8,"temperature":0,"ignore_eos":true}`, *name)
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/completions", strings.NewReader(body)))
	res := probeResult{Model: *name, FileMiB: mib(uint64(size)), LoadS: time.Since(start).Seconds(), Status: rec.Code,
		GOOSGOARCH: runtime.GOOS + "/" + runtime.GOARCH}
	var resp struct {
		Usage struct {
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if rec.Code != 200 {
		res.Error = strings.TrimSpace(rec.Body.String())
	} else if err := json.Unmarshal(rec.Body.Bytes(), &resp); err == nil {
		res.Tokens = resp.Usage.CompletionTokens
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.SysMiB, res.HeapMiB = mib(ms.Sys), mib(ms.HeapInuse)
	return json.NewEncoder(os.Stdout).Encode(res)
}

func mib(n uint64) float64 { return math.Round(float64(n)/(1<<20)*10) / 10 }
