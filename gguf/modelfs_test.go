package gguf_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/lamina-ml/lamina/gguf"
	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

// The committed file testdata/llamacpp/mixed-tiny.gguf is a random
// one-layer llama (rows of 256, so the k-quants fit) whose matrices use a
// different GGUF type each, and mixed-tiny.json holds what llama.cpp
// (node-llama-cpp 3.21.1, CPU, 1 thread, F32 KV cache) computes on it.
// TestModelFSLlamaCppFixture loads the file through File.ModelFS (the path
// the CLI and the browser use) and compares. TestModelFSLlamaCppRegenerate
// rebuilds both files (LAMINA_NODE_LLAMA_CPP and
// LAMINA_WRITE_GGUF_FIXTURES=1, see testdata/llamacpp/arch/README.md for
// the install).

// mixedTypes is each matrix's type in mixed-tiny.gguf: what ModelFS keeps
// quantized (Q8_0, Q4_0) and what it dequantizes to F16 (the rest).
var mixedTypes = map[string]gguf.TensorType{
	"model.embed_tokens.weight":              gguf.Q4_0,
	"lm_head.weight":                         gguf.Q4_K,
	"model.layers.0.self_attn.q_proj.weight": gguf.Q8_0,
	"model.layers.0.self_attn.k_proj.weight": gguf.Q4_K,
	"model.layers.0.self_attn.v_proj.weight": gguf.Q5_K,
	"model.layers.0.self_attn.o_proj.weight": gguf.Q4_1,
	"model.layers.0.mlp.gate_proj.weight":    gguf.Q8_0,
	"model.layers.0.mlp.up_proj.weight":      gguf.Q4_0,
	"model.layers.0.mlp.down_proj.weight":    gguf.Q6_K,
}

var mixedInputIDs = []int32{1, 17, 300, 5, 77, 411, 128, 9, 250, 33}

var mixedGreedyPrompt = []int32{1, 212, 7}

const mixedGreedyN = 12

// mixedTol bounds max |Δ log p| lamina vs llama.cpp on mixed-tiny.gguf.
// llama.cpp rounds activations to Q8_0/Q8_K blocks in its quantized dot
// products (llamacpp_test.go: 0.05–0.1 per type on the synthetic llama);
// lamina reads the file's exact weights (F16 for the k-quants and Q4_1,
// ≤ 2^-11 relative). A wrong block layout or a wrong row order moves log
// p by ~1 (see llamaCppKTol).
const mixedTol = 0.15

func mixedPath(ext string) string { return filepath.Join("testdata", "llamacpp", "mixed-tiny"+ext) }

// mixedLlama builds the weights of mixed-tiny.gguf from a fixed seed.
func mixedLlama(t *testing.T) ([]byte, []gguf.HFTensor) {
	return randomLlama(256, 1.5, 11, 12)
}

// laminaMixed loads data through ModelFS and returns log-probs over
// mixedInputIDs and the greedy ids.
func laminaMixed(t *testing.T, f *gguf.File) ([][]float64, []int32, *model.Model) {
	t.Helper()
	fsys, err := f.ModelFS()
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(fsys, tensor.NewCPU())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	rows, err := m.Logits(mixedInputIDs)
	if err != nil {
		t.Fatal(err)
	}
	lp := make([][]float64, len(rows))
	for i, r := range rows {
		lp[i] = logSoftmax(r)
	}
	ids, err := m.Generate(t.Context(), mixedGreedyPrompt, model.GenerateOptions{MaxNewTokens: mixedGreedyN, IgnoreEOS: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return lp, ids, m
}

func compareMixed(t *testing.T, ref *archFixture, lp [][]float64, greedy []int32) {
	t.Helper()
	d := maxLogProbDiff(ref.LogProbs, lp)
	agree := 0
	for i := range lp {
		if argmax(lp[i]) == argmax(ref.LogProbs[i]) {
			agree++
		}
	}
	t.Logf("mixed-tiny: max |Δ log p| lamina vs llama.cpp %.3g; argmax agrees at %d/%d; greedy lamina %v llama.cpp %v", d, agree, len(lp), greedy, ref.GreedyIDs)
	if d > mixedTol {
		t.Errorf("max |Δ log p| = %.3g > %.3g", d, mixedTol)
	}
	if agree != len(lp) {
		t.Errorf("argmax differs at %d positions", len(lp)-agree)
	}
	if fmt.Sprint(greedy) != fmt.Sprint(ref.GreedyIDs) {
		t.Errorf("greedy ids: lamina %v, llama.cpp %v", greedy, ref.GreedyIDs)
	}
}

func readMixedFixture(t *testing.T) (*gguf.File, []byte, *archFixture) {
	t.Helper()
	data, err := os.ReadFile(mixedPath(".gguf"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(mixedPath(".json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref archFixture
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ref.InputIDs) != fmt.Sprint(mixedInputIDs) || fmt.Sprint(ref.GreedyPrompt) != fmt.Sprint(mixedGreedyPrompt) {
		t.Fatalf("fixture inputs %v / %v differ from the test's; regenerate it", ref.InputIDs, ref.GreedyPrompt)
	}
	return f, data, &ref
}

// TestModelFSLlamaCppFixture: the committed mixed-type file through
// ModelFS against llama.cpp's outputs on the same file, with Q8_0/Q4_0
// matrices held as lamina Q8/Q4 and the others as F16.
func TestModelFSLlamaCppFixture(t *testing.T) {
	f, _, ref := readMixedFixture(t)
	for _, ti := range f.Tensors {
		if len(ti.Dims) == 2 {
			if hf, _ := gguf.HFName(gguf.ArchLlama, ti.Name); ti.Type != mixedTypes[hf] {
				t.Fatalf("%s is %v in the file, the test expects %v", ti.Name, ti.Type, mixedTypes[hf])
			}
		}
	}
	lp, greedy, m := laminaMixed(t, f)
	compareMixed(t, ref, lp, greedy)
	// Which dtype each matrix got: Q8/Q4 for Q8_0/Q4_0, F16 otherwise.
	want := map[gguf.TensorType]tensor.DType{gguf.Q8_0: tensor.Q8, gguf.Q4_0: tensor.Q4, gguf.Q4_1: tensor.F16,
		gguf.Q4_K: tensor.F16, gguf.Q5_K: tensor.F16, gguf.Q6_K: tensor.F16}
	seen := 0
	for _, l := range m.Linears() {
		typ, ok := mixedTypes[l.Name]
		if !ok {
			continue
		}
		seen++
		if got := l.W.DType(); got != want[typ] {
			t.Errorf("%s (%v in the file) loaded as %v, want %v", l.Name, typ, got, want[typ])
		}
	}
	if seen < 7 {
		t.Errorf("only %d of the file's matrices are among the model's linears", seen)
	}
}

// TestModelFSMatchesHFDir: on the HF fixtures ModelFS gives the logits of
// HFDir's f32 folder (checked against transformers in
// model_parity_test.go): exactly the same weights for F32, Q8_0 and Q4_0
// (kept quantized), F16-rounded weights where the file's type is
// dequantized to F16 (Q4_1 here; GPT-2's Q8_0/Q4_0, which its loader
// reads only as floats).
func TestModelFSMatchesHFDir(t *testing.T) {
	tol := map[gguf.TensorType]float64{gguf.F32: 1e-5, gguf.F16: 1e-5, gguf.BF16: 1e-5, gguf.Q8_0: 2e-4, gguf.Q4_0: 2e-4, gguf.Q4_1: 2e-2}
	for _, name := range []string{"llama-tiny", "qwen2-tiny", "gpt2-tiny"} {
		for _, typ := range []gguf.TensorType{gguf.F32, gguf.F16, gguf.BF16, gguf.Q8_0, gguf.Q4_0, gguf.Q4_1} {
			t.Run(name+"/"+typ.String(), func(t *testing.T) {
				f, _ := exportFixtureTok(t, name, typ)
				ffs, err := f.HFDir()
				if err != nil {
					t.Fatal(err)
				}
				lfs, err := f.ModelFS()
				if err != nil {
					t.Fatal(err)
				}
				fm, err := model.Load(ffs, tensor.NewCPU())
				if err != nil {
					t.Fatal(err)
				}
				defer fm.Close()
				lm, err := model.Load(lfs, tensor.NewCPU())
				if err != nil {
					t.Fatal(err)
				}
				defer lm.Close()
				ids := loadReference(t, name).InputIDs
				want, err := fm.Logits(ids)
				if err != nil {
					t.Fatal(err)
				}
				got, err := lm.Logits(ids)
				if err != nil {
					t.Fatal(err)
				}
				worst := 0.0
				for i := range want {
					for j := range want[i] {
						worst = math.Max(worst, math.Abs(float64(got[i][j]-want[i][j])))
					}
				}
				t.Logf("%s %v: max |Δlogit| ModelFS vs HFDir %.3g", name, typ, worst)
				lim := tol[typ]
				if name == "gpt2-tiny" && (typ == gguf.Q8_0 || typ == gguf.Q4_0) {
					lim = tol[gguf.Q4_1] // not kept quantized for gpt2: the F16 copy
				}
				if worst > lim {
					t.Errorf("max |Δlogit| %.3g > %.3g", worst, lim)
				}
				if _, err := lfs.Open("tokenizer.json"); err != nil {
					t.Errorf("no tokenizer.json: %v", err)
				}
			})
		}
	}
}

// setTensorType rewrites the type field of the named tensor's info in a
// GGUF file (name, n_dims u32, dims u64 × n_dims, type u32).
func setTensorType(t *testing.T, data []byte, name string, typ uint32) []byte {
	t.Helper()
	key := binary.LittleEndian.AppendUint64(nil, uint64(len(name)))
	key = append(key, name...)
	i := bytes.Index(data, key)
	if i < 0 {
		t.Fatalf("no tensor info %q", name)
	}
	p := i + len(key)
	nd := int(binary.LittleEndian.Uint32(data[p:]))
	p += 4 + 8*nd
	out := bytes.Clone(data)
	binary.LittleEndian.PutUint32(out[p:], typ)
	return out
}

// A tensor of a type the package does not dequantize (Q5_0 = 6, and a
// number ggml does not define) fails ModelFS with an
// *UnsupportedTypeError naming the type and the tensor.
func TestModelFSUnsupportedType(t *testing.T) {
	_, data := exportFixtureTok(t, "llama-tiny", gguf.F32)
	for _, typ := range []uint32{6, 200} {
		bad := setTensorType(t, data, "blk.0.ffn_down.weight", typ)
		f, err := gguf.Open(bytes.NewReader(bad), int64(len(bad)))
		if err != nil {
			// An undefined type may already be refused by the reader.
			var ue *gguf.UnsupportedTypeError
			if !errors.As(err, &ue) && !errors.As(err, new(*gguf.FormatError)) {
				t.Fatalf("type %d: Open: %v", typ, err)
			}
			continue
		}
		_, err = f.ModelFS()
		var ue *gguf.UnsupportedTypeError
		if !errors.As(err, &ue) || ue.Tensor != "blk.0.ffn_down.weight" || uint32(ue.Type) != typ {
			t.Fatalf("type %d: err %v, want an UnsupportedTypeError naming it", typ, err)
		}
		t.Logf("type %d: %v", typ, err)
	}
}

// TestModelFSLlamaCppRegenerate writes mixed-tiny.gguf and runs llama.cpp
// on it (LAMINA_NODE_LLAMA_CPP), rewriting the fixture with
// LAMINA_WRITE_GGUF_FIXTURES=1.
func TestModelFSLlamaCppRegenerate(t *testing.T) {
	modules := llamaCpp(t)
	cfg, ts := mixedLlama(t)
	w, err := gguf.ExportHF(cfg, ts, gguf.ExportOptions{Type: gguf.F16, Types: mixedTypes, Name: "mixed-tiny", Tokenizer: fixtureTokenizer(t, "llama-tiny")})
	if err != nil {
		t.Fatal(err)
	}
	f, data := writeFile(t, w)
	path := filepath.Join(t.TempDir(), "mixed-tiny.gguf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ids, _ := json.Marshal(mixedInputIDs)
	var res struct {
		LogProbs [][]float64 `json:"logprobs"`
	}
	if err := json.Unmarshal(runNode(t, modules, "logits", path, string(ids)), &res); err != nil {
		t.Fatal(err)
	}
	greedyArg, _ := json.Marshal([]any{mixedGreedyPrompt, mixedGreedyN})
	var gres struct {
		IDs []int32 `json:"ids"`
	}
	if err := json.Unmarshal(runNode(t, modules, "greedy", path, string(greedyArg)), &gres); err != nil {
		t.Fatal(err)
	}
	ref := archFixture{Source: "llama.cpp via node-llama-cpp 3.21.1 (CPU, 1 thread, mixed-tiny.gguf, F32 KV cache)",
		InputIDs: mixedInputIDs, LogProbs: res.LogProbs, GreedyPrompt: mixedGreedyPrompt, GreedyIDs: gres.IDs}
	lp, greedy, _ := laminaMixed(t, f)
	compareMixed(t, &ref, lp, greedy)
	if os.Getenv("LAMINA_WRITE_GGUF_FIXTURES") == "1" {
		if err := os.WriteFile(mixedPath(".gguf"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		writeArchFixture(t, "../mixed-tiny", &ref)
	}
}

// The committed mixed-tiny.gguf is what mixedLlama and the exporter write,
// byte for byte, so TestModelFSLlamaCppRegenerate remakes the same file.
func TestMixedTinyMatchesItsGenerator(t *testing.T) {
	cfg, ts := mixedLlama(t)
	w, err := gguf.ExportHF(cfg, ts, gguf.ExportOptions{Type: gguf.F16, Types: mixedTypes, Name: "mixed-tiny", Tokenizer: fixtureTokenizer(t, "llama-tiny")})
	if err != nil {
		t.Fatal(err)
	}
	_, data := writeFile(t, w)
	want, err := os.ReadFile(mixedPath(".gguf"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want) {
		t.Fatalf("exporting mixedLlama gives %d bytes that differ from the committed %s (%d bytes)", len(data), mixedPath(".gguf"), len(want))
	}
}
