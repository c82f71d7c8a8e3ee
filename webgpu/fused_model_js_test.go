//go:build js && wasm

package webgpu

import (
	"context"
	"encoding/json"
	"io/fs"
	"slices"
	"testing"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

// TestSampleMatchesCPU draws tokens with the WGSL sampler and with
// tensor.SampleRow (the CPU backend's Sample) from the same logits rows and
// the same (seed, step)s: the algorithms are the same, so every draw must
// agree unless u lands within the GPU exp's rounding of a boundary.
func TestSampleMatchesCPU(t *testing.T) {
	const V, draws = 1000, 64
	logits := make([]float32, 2*V)
	r := model.NewRNG(17)
	for i := range logits {
		logits[i] = float32(r.Float64()*12 - 6)
	}
	x, err := gpu.UploadF32([]int{2, V}, logits)
	if err != nil {
		t.Fatal(err)
	}
	defer gpu.Free(x)
	out, err := gpu.ZerosI32(draws)
	if err != nil {
		t.Fatal(err)
	}
	defer gpu.Free(out)
	for _, p := range []tensor.SampleParams{
		{Temperature: 1, TopK: 40, TopP: 0.95, Seed: 7},
		// TopK 0 over V = 1000 exceeds the kernel's 256 candidates
		// (Limits); 200 is the widest draw here below it.
		{Temperature: 0.6, TopK: 200, TopP: 1, Seed: 1 << 31},
		{Temperature: 2.5, TopK: 256, TopP: 0.5, Seed: 3},
		{Temperature: 1, TopK: 3, Seed: 99},
	} {
		for i := range draws {
			q := p
			q.Step = uint32(i)
			gpu.Sample(out, i, x, i%2, q)
		}
		got, err := gpu.ReadInts(out)
		if err != nil {
			t.Fatal(err)
		}
		diff := 0
		for i := range draws {
			q := p
			q.Step = uint32(i)
			row := i % 2
			if want := tensor.SampleRow(logits[row*V:row*V+V], q); got[i] != want {
				diff++
				t.Logf("%+v: draw %d: gpu %d, cpu %d", q, i, got[i], want)
			}
		}
		report("Sample vs CPU SampleRow", 0, float64(diff), diff == 0)
		if diff != 0 {
			t.Errorf("%+v: %d of %d draws differ from the CPU sampler", p, diff, draws)
		}
	}
}

// TestModelFusedSampling runs model.Generate with sampling options the GPU
// sampler honours on every fixture, on the WebGPU backend (fused ops,
// tokens chosen on the GPU) and on the CPU backend (its FusedOps reference):
// the same seed must give the same tokens.
func TestModelFusedSampling(t *testing.T) {
	for _, name := range []string{"gpt2-tiny", "llama-tiny", "qwen2-tiny", "llama-tiny-sharded-f16"} {
		t.Run(name, func(t *testing.T) {
			sub, err := fs.Sub(fixtures, "testdata/models/"+name)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := fs.ReadFile(sub, "reference.json")
			if err != nil {
				t.Fatal(err)
			}
			var ref hfReference
			if err := json.Unmarshal(raw, &ref); err != nil {
				t.Fatal(err)
			}
			mg, err := model.Load(sub, gpu)
			if err != nil {
				t.Fatal(err)
			}
			defer mg.Close()
			mc, err := model.Load(sub, tensor.NewCPU())
			if err != nil {
				t.Fatal(err)
			}
			defer mc.Close()
			for _, o := range []model.GenerateOptions{
				{MaxNewTokens: 12, Temperature: 1.5, TopK: 40, TopP: 0.95, Seed: 7, IgnoreEOS: true},
				{MaxNewTokens: 9, Temperature: 0.8, TopK: 200, Seed: 1<<33 + 5, IgnoreEOS: true},
			} {
				got, err := mg.Generate(context.Background(), ref.GreedyPrompt, o, nil)
				if err != nil {
					t.Fatal(err)
				}
				want, err := mc.Generate(context.Background(), ref.GreedyPrompt, o, nil)
				if err != nil {
					t.Fatal(err)
				}
				ok := slices.Equal(got, want)
				report("model/"+name+"/sampled webgpu == cpu", 0, 0, ok)
				if !ok {
					t.Errorf("%+v:\nwebgpu %v\n   cpu %v", o, got, want)
				}
			}
		})
	}
}

// dispatches counts the kernel launches in b's recorded command list.
func dispatches(b *Backend) int {
	n := 0
	for i := 0; i < len(b.cmds); {
		switch b.cmds[i] {
		case opDispatch:
			n++
			i += 7
		case opCopy:
			i += 6
		default:
			return -1
		}
	}
	return n
}

// fusedCount is the WebGPU backend, fused ops included, noting how many
// dispatches were recorded when ReadInts submits them.
type fusedCount struct {
	*Backend
	last *int
}

func (c fusedCount) ReadInts(t tensor.Tensor) ([]int32, error) {
	*c.last = dispatches(c.Backend)
	return c.Backend.ReadInts(t)
}

// plainCount is the same without the fused ops (model sees only
// tensor.Backend), i.e. the plain decode step.
type plainCount struct {
	tensor.Backend
	b    *Backend
	last *int
}

func (c plainCount) ReadInts(t tensor.Tensor) ([]int32, error) {
	*c.last = dispatches(c.b)
	return c.Backend.ReadInts(t)
}

// smolLM2Layout is the SmolLM2-135M layout (HuggingFaceTB/SmolLM2-135M
// config.json: 30 layers, 9 query and 3 key/value heads, tied 49152-token
// vocabulary) with head_dim 8 instead of 64 and a narrower MLP. The
// dispatch count of a decode step depends only on the layout (as long as no
// weight exceeds maxStorageBufferBindingSize and is split), and SwiftShader
// takes ~20 s per step at the real widths. At the real widths
// (Hidden 576, HeadDim 64, Intermediate 1536, f16) this test counted the
// same 517 plain and 185 fused dispatches.
var smolLM2Layout = model.Config{Arch: model.Llama, VocabSize: 49152, Hidden: 72, Layers: 30, Heads: 9, KVHeads: 3,
	HeadDim: 8, Intermediate: 192, MaxPositions: 8192, NormEps: 1e-5, RopeTheta: 100000, TieWordEmbeddings: true}

// TestDecodeDispatches records one greedy decode step (Session.StepArgmax)
// of the SmolLM2-135M layout through the plain ops and through the fused
// ones, and counts the dispatches in the recorded command list.
func TestDecodeDispatches(t *testing.T) {
	var n int
	counts := map[string]int{}
	for _, c := range []struct {
		name string
		be   tensor.Backend
	}{{"plain", plainCount{gpu, gpu, &n}}, {"fused", fusedCount{gpu, &n}}} {
		m, err := model.NewRandom(smolLM2Layout, c.be, tensor.F16, 1)
		if err != nil {
			t.Fatal(err)
		}
		s, err := m.NewSession(64)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.PrefillArgmax([]int32{1, 2, 3, 4, 5, 6, 7, 8}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StepArgmax(9); err != nil {
			t.Fatal(err)
		}
		counts[c.name] = n
		t.Logf("SmolLM2-135M layout, %s decode step: %d dispatches", c.name, n)
		report("decode dispatches/"+c.name, 0, float64(n), n > 0)
		s.Close()
		m.Close()
	}
	if !(counts["fused"] > 0 && counts["fused"] < counts["plain"]) {
		t.Errorf("dispatches per decode step: fused %d, plain %d", counts["fused"], counts["plain"])
	}
}
