package model

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

// fusedTol bounds |fused − plain| logits. The CPU fused ops are the plain
// ops composed, so the two paths agree exactly here; the bound leaves room
// for a CPU backend that fuses its loops.
const fusedTol = 1e-5

// plainOnly hides the CPU backend's FusedOps (and ReaderInto), so a model on
// it takes the plain path.
type plainOnly struct{ tensor.Backend }

// fusedCounter counts the fused ops a model calls, to check that the fused
// path is the one taken.
type fusedCounter struct {
	tensor.FusedOps
	calls map[string]int
}

func newFusedCounter() *fusedCounter {
	return &fusedCounter{FusedOps: tensor.NewCPU().(tensor.FusedOps), calls: map[string]int{}}
}

func (c *fusedCounter) MatMulNorm(out, x, nw, w tensor.Tensor, eps float32) {
	c.calls["MatMulNorm"]++
	c.FusedOps.MatMulNorm(out, x, nw, w, eps)
}

func (c *fusedCounter) MatMulNormQKV(q, k, v, x, nw, wq, wk, wv tensor.Tensor, eps float32) {
	c.calls["MatMulNormQKV"]++
	c.FusedOps.MatMulNormQKV(q, k, v, x, nw, wq, wk, wv, eps)
}

func (c *fusedCounter) MatMulNormSiLU(out, x, nw, g, u tensor.Tensor, eps float32) {
	c.calls["MatMulNormSiLU"]++
	c.FusedOps.MatMulNormSiLU(out, x, nw, g, u, eps)
}

func (c *fusedCounter) MatMulAcc(acc, x, w tensor.Tensor) {
	c.calls["MatMulAcc"]++
	c.FusedOps.MatMulAcc(acc, x, w)
}

func (c *fusedCounter) RoPEKV(q, k, v, f, kc, vc tensor.Tensor, h, g, d, pos int) {
	c.calls["RoPEKV"]++
	c.FusedOps.RoPEKV(q, k, v, f, kc, vc, h, g, d, pos)
}

func (c *fusedCounter) EmbeddingAt(out, table, ids tensor.Tensor, at int) {
	c.calls["EmbeddingAt"]++
	c.FusedOps.EmbeddingAt(out, table, ids, at)
}

func (c *fusedCounter) ArgmaxAt(out tensor.Tensor, at int, x tensor.Tensor) {
	c.calls["ArgmaxAt"]++
	c.FusedOps.ArgmaxAt(out, at, x)
}

func (c *fusedCounter) Sample(out tensor.Tensor, at int, x tensor.Tensor, row int, p tensor.SampleParams) {
	c.calls["Sample"]++
	c.FusedOps.Sample(out, at, x, row, p)
}

// Limits stands in for a GPU backend's (webgpu.Backend advertises these):
// fused passes of at most 4 rows, a sampler of at most 256 candidates, so
// the tests exercise both sides of each limit on the CPU.
func (c *fusedCounter) Limits() tensor.Limits {
	return tensor.Limits{FusedMaxRows: 4, SampleMaxCandidates: 256}
}

func (c *fusedCounter) logCalls(t *testing.T) { t.Logf("fused calls %v", c.calls) }

// fusedPair is one model loaded twice: on a counting fused backend and on a
// plain one.
type fusedPair struct {
	name         string
	fused, plain *Model
	counter      *fusedCounter
	prompt       []int32
	greedy       []int32 // transformers' greedy continuation; nil for random models
}

func fusedPairs(t *testing.T) []fusedPair {
	t.Helper()
	var pairs []fusedPair
	for _, name := range fixtureModels {
		_, ref := loadFixture(t, name)
		c := newFusedCounter()
		f, err := LoadDir(filepath.Join("testdata", name), c)
		if err != nil {
			t.Fatal(err)
		}
		p, err := LoadDir(filepath.Join("testdata", name), plainOnly{tensor.NewCPU()})
		if err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, fusedPair{name, f, p, c, ref.GreedyPrompt, ref.GreedyIDs[len(ref.GreedyPrompt):]})
	}
	for name, rc := range randomConfigs() {
		c := newFusedCounter()
		f, err := NewRandom(rc.cfg, c, rc.dt, 3)
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewRandom(rc.cfg, plainOnly{tensor.NewCPU()}, rc.dt, 3)
		if err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, fusedPair{name, f, p, c, tokens(6, rc.cfg.VocabSize, 1), nil})
	}
	for _, p := range pairs {
		t.Cleanup(p.fused.Close)
		t.Cleanup(p.plain.Close)
	}
	return pairs
}

// TestFusedMatchesPlain decodes every fixture and random config through the
// fused ops and through the plain ones: a long prefill (plain ops inside,
// fused head), a short one (fused), then single steps (fused).
func TestFusedMatchesPlain(t *testing.T) {
	for _, p := range fusedPairs(t) {
		t.Run(p.name, func(t *testing.T) {
			seq := append(tokens(9, p.fused.Config.VocabSize, 2), tokens(5, p.fused.Config.VocabSize, 3)...)
			for _, split := range []int{9, 3} {
				var logits [2][][]float32
				for i, m := range []*Model{p.fused, p.plain} {
					s, err := m.NewSession(len(seq))
					if err != nil {
						t.Fatal(err)
					}
					l, err := s.Prefill(seq[:split])
					if err != nil {
						t.Fatal(err)
					}
					logits[i] = append(logits[i], slices.Clone(l))
					for _, id := range seq[split:] {
						if l, err = s.Step(id); err != nil {
							t.Fatal(err)
						}
						logits[i] = append(logits[i], slices.Clone(l))
					}
					s.Close()
				}
				for j := range logits[0] {
					if d := maxAbsDiff(logits[0][j], logits[1][j]); d > fusedTol {
						t.Errorf("prefill %d, row %d: fused vs plain max abs diff %.3g > %g", split, j, d, fusedTol)
					}
				}
			}
			n := 8
			if p.greedy != nil {
				n = len(p.greedy)
			}
			opts := GenerateOptions{MaxNewTokens: n, IgnoreEOS: true}
			got, err := p.fused.Generate(context.Background(), p.prompt, opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, err := p.plain.Generate(context.Background(), p.prompt, opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("greedy ids: fused %v, plain %v", got, want)
			}
			if p.greedy != nil && !slices.Equal(got, p.greedy) {
				t.Errorf("greedy ids: fused %v, transformers %v", got, p.greedy)
			}
			// The fused path must be the one taken: every RMSNorm model
			// folds its MLP, every RoPE model appends through RoPEKV, and
			// greedy decode picks tokens on the backend.
			c, cfg := p.counter.calls, p.fused.Config
			p.counter.logCalls(t)
			check := map[string]bool{"ArgmaxAt": true, "EmbeddingAt": true,
				"MatMulNormSiLU": cfg.Arch != GPT2 && !cfg.MLPBias, "RoPEKV": cfg.Arch != GPT2,
				"MatMulNormQKV": cfg.Arch != GPT2 && !cfg.QKVBias, "MatMulNorm": cfg.Arch != GPT2,
				"MatMulAcc": !cfg.OutBias || !cfg.MLPBias}
			for op, want := range check {
				if want && c[op] == 0 {
					t.Errorf("%s never called", op)
				}
				if !want && c[op] != 0 && op != "MatMulAcc" {
					t.Errorf("%s called %d times on a model that cannot use it", op, c[op])
				}
			}
		})
	}
}

// sampleReference is an independent decode loop for the on-device sampler:
// logits from a plain session, tokens from tensor.SampleRow with the seed
// and step Generate documents.
func sampleReference(t *testing.T, m *Model, prompt []int32, o GenerateOptions) []int32 {
	t.Helper()
	s, err := m.NewSession(len(prompt) + o.MaxNewTokens)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	logits, err := s.Prefill(prompt)
	if err != nil {
		t.Fatal(err)
	}
	seed := uint32(o.Seed) ^ uint32(o.Seed>>32)
	var out []int32
	for i := range o.MaxNewTokens {
		id := tensor.SampleRow(logits, tensor.SampleParams{Temperature: o.Temperature, TopK: o.TopK, TopP: o.TopP, Seed: seed, Step: uint32(i)})
		out = append(out, id)
		if logits, err = s.Step(id); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestGenerateOnDeviceSampling(t *testing.T) {
	ctx := context.Background()
	for _, p := range fusedPairs(t) {
		t.Run(p.name, func(t *testing.T) {
			for _, o := range []GenerateOptions{
				{MaxNewTokens: 11, Temperature: 1.5, TopK: 40, TopP: 0.95, Seed: 1<<40 + 7, IgnoreEOS: true},
				{MaxNewTokens: 6, Temperature: 0.7, TopK: 256, Seed: 3, IgnoreEOS: true},
			} {
				before := p.counter.calls["Sample"]
				got, err := p.fused.Generate(ctx, p.prompt, o, nil)
				if err != nil {
					t.Fatal(err)
				}
				if n := p.counter.calls["Sample"] - before; n != o.MaxNewTokens {
					t.Errorf("%d Sample calls for %d tokens", n, o.MaxNewTokens)
				}
				if want := sampleReference(t, p.plain, p.prompt, o); !slices.Equal(got, want) {
					t.Errorf("%+v: on-device sampling %v, reference %v", o, got, want)
				}
			}
			// Options the on-device sampler cannot honour take the logits
			// path, which gives exactly the plain backend's tokens.
			for _, o := range []GenerateOptions{
				{MaxNewTokens: 7, Temperature: 1.2, Seed: 9, IgnoreEOS: true},
				{MaxNewTokens: 7, Temperature: 1.2, TopK: 300, Seed: 9, IgnoreEOS: true},
				{MaxNewTokens: 7, Temperature: 1.2, TopK: 20, RepetitionPenalty: 1.3, Seed: 9, IgnoreEOS: true},
				{MaxNewTokens: 7, RepetitionPenalty: 1.3, IgnoreEOS: true},
			} {
				before := p.counter.calls["Sample"] + p.counter.calls["ArgmaxAt"]
				got, err := p.fused.Generate(ctx, p.prompt, o, nil)
				if err != nil {
					t.Fatal(err)
				}
				if p.counter.calls["Sample"]+p.counter.calls["ArgmaxAt"] != before {
					t.Errorf("%+v chose tokens on the backend", o)
				}
				want, err := p.plain.Generate(ctx, p.prompt, o, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%+v: fused backend %v, plain %v", o, got, want)
				}
			}
		})
	}
}

// angleIDs is a Decode for stop strings: ids as "<1><2>".
func angleIDs(ids []int32) string {
	s := ""
	for _, id := range ids {
		s += fmt.Sprintf("<%d>", id)
	}
	return s
}

// TestGenerateOnDeviceStops checks that the batched id reads of the
// on-device loop stop exactly where the per-token loop does: at EOS, when
// onToken returns false, at a stop string, and on cancellation.
func TestGenerateOnDeviceStops(t *testing.T) {
	rc := randomConfigs()["llama-linear-untied-f32"]
	f, err := NewRandom(rc.cfg, tensor.NewCPU(), rc.dt, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := NewRandom(rc.cfg, plainOnly{tensor.NewCPU()}, rc.dt, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	prompt := tokens(5, rc.cfg.VocabSize, 8)
	full, err := p.Generate(ctx, prompt, GenerateOptions{MaxNewTokens: 12, IgnoreEOS: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, stopAt := range []int{0, 2, 3, 4, 5, 9} {
		eos := full[stopAt]
		if i := slices.Index(full, eos); i != stopAt {
			continue // an earlier copy of that id would stop first
		}
		want := full[:stopAt+1]
		for name, o := range map[string]GenerateOptions{
			"eos":  {MaxNewTokens: 12, EOS: []int32{eos}},
			"stop": {MaxNewTokens: 12, EOS: []int32{}, StopStrings: []string{fmt.Sprintf("<%d>", eos)}, Decode: angleIDs},
		} {
			got, err := f.Generate(ctx, prompt, o, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s at %d: got %v, want %v", name, stopAt, got, want)
			}
		}
		var streamed []int32
		got, err := f.Generate(ctx, prompt, GenerateOptions{MaxNewTokens: 12, IgnoreEOS: true}, func(id int32) bool {
			streamed = append(streamed, id)
			return len(streamed) <= stopAt
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || !slices.Equal(streamed, want) {
			t.Errorf("onToken stop after %d: got %v, streamed %v, want %v", stopAt+1, got, streamed, want)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if got, err := f.Generate(cctx, prompt, GenerateOptions{MaxNewTokens: 5}, nil); err != context.Canceled || len(got) != 0 {
		t.Errorf("cancelled: %v, %v", got, err)
	}
}

// TestOneSampler checks that the logits path (plain backend) and the device
// path (the CPU's fused ops, which take any number of candidates) draw the
// same tokens as the reference loop over tensor.SampleRow, with and without
// a top-k limit.
func TestOneSampler(t *testing.T) {
	ctx := context.Background()
	for name, rc := range randomConfigs() {
		plain, err := NewRandom(rc.cfg, plainOnly{tensor.NewCPU()}, rc.dt, 5)
		if err != nil {
			t.Fatal(err)
		}
		fused, err := NewRandom(rc.cfg, tensor.NewCPU(), rc.dt, 5)
		if err != nil {
			t.Fatal(err)
		}
		prompt := tokens(4, rc.cfg.VocabSize, 6)
		for _, o := range []GenerateOptions{
			{MaxNewTokens: 9, Temperature: 1.3, TopK: 40, TopP: 0.9, Seed: 5, IgnoreEOS: true},
			{MaxNewTokens: 9, Temperature: 2, Seed: 1<<40 + 3, IgnoreEOS: true},
			{MaxNewTokens: 9, Temperature: 0.9, TopK: 300, TopP: 0.7, Seed: 11, IgnoreEOS: true},
		} {
			want := sampleReference(t, plain, prompt, o)
			for path, m := range map[string]*Model{"logits": plain, "device": fused} {
				got, err := m.Generate(ctx, prompt, o, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s %s %+v: %v, reference %v", name, path, o, got, want)
				}
			}
		}
		plain.Close()
		fused.Close()
	}
}
