package model

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/tokenizer"
)

// TestSpeculativeGreedyIdentical checks that self-speculative greedy
// decoding returns exactly plain greedy decoding's ids for every draft exit
// and several draft lengths, on the fused and the plain backend, for the
// transformers fixtures (whose plain greedy ids TestFixtureGreedy checks
// against transformers) and the random configs.
func TestSpeculativeGreedyIdentical(t *testing.T) {
	ctx := context.Background()
	for _, p := range fusedPairs(t) {
		for _, m := range []*Model{p.fused, p.plain} {
			for _, n := range []int{1, 2, 7, 20} {
				base := GenerateOptions{MaxNewTokens: n, IgnoreEOS: true}
				want, err := m.Generate(ctx, p.prompt, base, nil)
				if err != nil {
					t.Fatal(err)
				}
				if p.greedy != nil && !slices.Equal(want, p.greedy[:min(n, len(p.greedy))]) && n <= len(p.greedy) {
					t.Fatalf("%s: plain greedy %v differs from transformers %v", p.name, want, p.greedy)
				}
				for E := 1; E < m.Config.Layers; E++ {
					for _, K := range []int{1, 2, 3, 5, 8} {
						o := base
						o.DraftExit, o.DraftTokens = E, K
						var st SpecStats
						o.Stats = &st
						got, err := m.Generate(ctx, p.prompt, o, nil)
						if err != nil {
							t.Fatalf("%s E=%d K=%d: %v", p.name, E, K, err)
						}
						if !slices.Equal(got, want) {
							t.Fatalf("%s E=%d K=%d n=%d: speculative %v, plain %v", p.name, E, K, n, got, want)
						}
						if n > 2 && st.Drafted == 0 {
							t.Fatalf("%s E=%d K=%d: nothing drafted", p.name, E, K)
						}
					}
				}
			}
		}
	}
}

// TestSpeculativeStops checks EOS and callback stops land where plain
// decoding's do, whether the stop token was drafted or the bonus.
func TestSpeculativeStops(t *testing.T) {
	ctx := context.Background()
	m, ref := loadFixture(t, "llama-tiny")
	prompt := ref.GreedyPrompt
	full, err := m.Generate(ctx, prompt, GenerateOptions{MaxNewTokens: 24, IgnoreEOS: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for cut := 1; cut < len(full); cut++ {
		eos := []int32{full[cut]}
		want, _ := m.Generate(ctx, prompt, GenerateOptions{MaxNewTokens: 24, EOS: eos}, nil)
		for _, K := range []int{1, 3, 6} {
			got, err := m.Generate(ctx, prompt, GenerateOptions{MaxNewTokens: 24, EOS: eos, DraftExit: 1, DraftTokens: K}, nil)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("EOS %v K=%d: %v %v, want %v", eos, K, got, err, want)
			}
			seen := 0
			got, err = m.Generate(ctx, prompt, GenerateOptions{MaxNewTokens: 24, IgnoreEOS: true, DraftExit: 1, DraftTokens: K},
				func(int32) bool { seen++; return seen < cut })
			if err != nil || !slices.Equal(got, full[:cut]) {
				t.Fatalf("callback stop at %d K=%d: %v %v, want %v", cut, K, got, err, full[:cut])
			}
		}
	}
}

func TestSpeculativeOptionErrors(t *testing.T) {
	m, ref := loadFixture(t, "llama-tiny")
	for _, o := range []GenerateOptions{
		{MaxNewTokens: 4, DraftExit: 3},
		{MaxNewTokens: 4, DraftExit: -1},
		{MaxNewTokens: 4, DraftExit: 1, DraftTokens: -2},
		{MaxNewTokens: 4, DraftTokens: 2},
		{MaxNewTokens: 4, DraftExit: 1, RepetitionPenalty: 1.3},
	} {
		if _, err := m.Generate(context.Background(), ref.GreedyPrompt, o, nil); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

// topKSoftmax is the exact distribution of temperature-1 top-k sampling,
// computed here in float64 independently of sampleProbs.
func topKSoftmax(logits []float32, k int) map[int32]float64 {
	idx := make([]int, len(logits))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return logits[idx[a]] > logits[idx[b]] })
	out := map[int32]float64{}
	var z float64
	for _, i := range idx[:k] {
		z += math.Exp(float64(logits[i] - logits[idx[0]]))
	}
	for _, i := range idx[:k] {
		out[int32(i)] = math.Exp(float64(logits[i]-logits[idx[0]])) / z
	}
	return out
}

// TestSpeculativeSamplingDistribution draws the first two generated tokens
// many times with speculative sampling (draft exit 1 of llama-tiny's 2
// layers, one drafted token, so the second token is an accepted draft or a
// residual draw) and bounds the total-variation distance of their joint
// frequencies from the exact target distribution p(t1)·p(t2|t1), enumerated
// with plain sessions. The test also checks that the draft's distribution is
// far enough from the target's that accepting every draft would fail it.
func TestSpeculativeSamplingDistribution(t *testing.T) {
	nativeOnly(t, "20,000 seeded draws")
	m, ref := loadFixture(t, "llama-tiny")
	// The draft's distribution after t1: layer 1's state through the
	// final norm and head.
	lens := func(ids []int32) map[int32]float64 {
		var q map[int32]float64
		err := m.LensLogits(ids, func(layer int, logits []float32) error {
			if layer == 1 {
				V := m.Config.VocabSize
				q = topKSoftmax(logits[(len(ids)-1)*V:], specTopK)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	checkSpeculativeSampling(t, m, ref.GreedyPrompt, GenerateOptions{DraftExit: 1}, lens)
}

// TestDraftModelSamplingDistribution is TestSpeculativeSamplingDistribution
// with a separate draft model: llama-tiny cut to its first layer (a second
// copy of the weights, as a pruned model would be), whose distribution comes
// from its own plain session. (The other fixtures and random models put
// their top-6 on other tokens entirely, so they would never be accepted.)
func TestDraftModelSamplingDistribution(t *testing.T) {
	nativeOnly(t, "20,000 seeded draws")
	m, ref := loadFixture(t, "llama-tiny")
	dm, _ := loadFixture(t, "llama-tiny")
	dm.layers, dm.Config.Layers = dm.layers[:1], 1
	draft := func(ids []int32) map[int32]float64 {
		s, err := dm.NewSession(len(ids))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		lg, err := s.Prefill(ids)
		if err != nil {
			t.Fatal(err)
		}
		return topKSoftmax(lg, specTopK)
	}
	checkSpeculativeSampling(t, m, ref.GreedyPrompt, GenerateOptions{DraftModel: dm}, draft)
}

// specTopK is the top-k of the sampling distribution checks.
const specTopK = 6

// checkSpeculativeSampling draws the first two generated tokens of m after
// prompt 20,000 times with speculative sampling (spec's draft, one drafted
// token per round) and bounds the total-variation distance of their joint
// frequencies from the exact target distribution; draftDist gives the
// draft's distribution of the token after ids.
func checkSpeculativeSampling(t *testing.T, m *Model, prompt []int32, spec GenerateOptions, draftDist func(ids []int32) map[int32]float64) {
	t.Helper()
	ctx := context.Background()
	const topK = specTopK
	s, err := m.NewSession(len(prompt) + 2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	lg, err := s.Prefill(prompt)
	if err != nil {
		t.Fatal(err)
	}
	p1 := topKSoftmax(lg, topK)
	exact := map[[2]int32]float64{}
	draftTV := 0.0
	for t1, pt1 := range p1 {
		s.Reset()
		if _, err := s.Prefill(prompt); err != nil {
			t.Fatal(err)
		}
		lg, err := s.Step(t1)
		if err != nil {
			t.Fatal(err)
		}
		p2 := topKSoftmax(lg, topK)
		for t2, pt2 := range p2 {
			exact[[2]int32{t1, t2}] = pt1 * pt2
		}
		q2 := draftDist(append(slices.Clone(prompt), t1))
		var tv float64
		for id := range 512 {
			tv += math.Abs(p2[int32(id)] - q2[int32(id)])
		}
		draftTV += pt1 * tv / 2
	}
	if draftTV < 0.2 {
		t.Fatalf("draft and target too close (TV %.3f) for the test to tell them apart", draftTV)
	}
	const N = 20000
	counts := map[[2]int32]int{}
	var st SpecStats
	for seed := range uint64(N) {
		o := spec
		o.MaxNewTokens, o.IgnoreEOS, o.Temperature, o.TopK, o.Seed, o.DraftTokens, o.Stats = 3, true, 1, topK, seed, 1, &st
		got, err := m.Generate(ctx, prompt, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		counts[[2]int32{got[0], got[1]}]++
	}
	var tv float64
	for k, p := range exact {
		tv += math.Abs(float64(counts[k])/N - p)
	}
	for k, c := range counts {
		if _, ok := exact[k]; !ok {
			tv += float64(c) / N
		}
	}
	tv /= 2
	t.Logf("TV(draws, exact) %.4f over %d cells; TV(draft, target) %.3f; acceptance %.3f", tv, len(exact), draftTV, st.AcceptanceRate())
	if tv > 0.03 {
		t.Fatalf("speculative sampling TV %.4f from the target distribution", tv)
	}
	if st.Accepted == 0 || st.Accepted == st.Drafted {
		t.Fatalf("stats %+v: the test needs both accepted and rejected drafts", st)
	}
}

// brownPrompts are realistic prompts for the shipped LayerSkip-trained model.
var brownPrompts = []string{
	"The old man walked down the road and",
	"She opened the letter and read it twice before she",
	"In the morning the town was quiet, and the children",
}

func loadBrown(t *testing.T) (*Model, *tokenizer.Tokenizer) {
	t.Helper()
	dir := filepath.Join("..", "models", "lamina-brown-20m")
	m, err := LoadDir(dir, tensor.NewCPU())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	data, err := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	return m, tok
}

// TestSpeculativeBrown checks, on models/lamina-brown-20m (12 layers,
// trained with early-exit loss), that speculative greedy output equals plain
// greedy output for realistic prompts, and that the acceptance count with one
// drafted token per round equals what the logit lens (LensLogits, a separate
// full-sequence pass) predicts from the greedy sequence: a round at token i
// accepts iff layer E's argmax at i equals the next greedy token.
func TestSpeculativeBrown(t *testing.T) {
	if testing.Short() {
		t.Skip("20M-parameter model")
	}
	nativeOnly(t, "a 20M-parameter model decoded 27 times")
	ctx := context.Background()
	m, tok := loadBrown(t)
	const n = 32
	for _, text := range brownPrompts {
		prompt := tok.EncodeWithSpecial(text)
		want, err := m.Generate(ctx, prompt, GenerateOptions{MaxNewTokens: n, IgnoreEOS: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, E := range []int{4, 8} {
			for _, K := range []int{1, 2, 4, 6} {
				var st SpecStats
				got, err := m.Generate(ctx, prompt, GenerateOptions{MaxNewTokens: n, IgnoreEOS: true, DraftExit: E, DraftTokens: K, Stats: &st}, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%q E=%d K=%d:\n got %v\nwant %v", text, E, K, got, want)
				}
				if K != 1 {
					continue
				}
				seq := append(slices.Clone(prompt), want...)
				V := m.Config.VocabSize
				var lensTop []int32
				if err := m.LensLogits(seq, func(layer int, lg []float32) error {
					if layer == E {
						for i := range len(seq) {
							lensTop = append(lensTop, argmax(lg[i*V:(i+1)*V]))
						}
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				// y is the first generated token, at sequence index len(prompt).
				acc, drafted := 0, 0
				for i := len(prompt); i < len(seq)-2; {
					drafted++
					if lensTop[i] == seq[i+1] {
						acc++
						i += 2
					} else {
						i++
					}
				}
				if st.Drafted != drafted || st.Accepted != acc {
					t.Fatalf("%q E=%d: stats %+v, lens predicts %d of %d", text, E, st, acc, drafted)
				}
				t.Logf("%q E=%d K=1: accepted %d of %d", text, E, acc, drafted)
			}
		}
	}
}

// nativeOnly skips a long test under js/wasm: the code it checks is the same pure Go there
// (TestSpeculativeGreedyIdentical covers the wasm build on the small fixtures), and in Node it
// would add minutes to the wasm stage.
func nativeOnly(t *testing.T, what string) {
	t.Helper()
	if runtime.GOOS == "js" {
		t.Skipf("%s: run natively (go test ./model), same code", what)
	}
}
