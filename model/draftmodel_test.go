package model

import (
	"context"
	"slices"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

// oneLayer is cfg with a single decoder layer: a cheap draft model of the
// same vocabulary.
func oneLayer(cfg Config) Config {
	cfg.Layers = 1
	return cfg
}

// TestDraftModelGreedyIdentical checks that greedy decoding with a separate
// draft model returns exactly plain greedy decoding's ids, for drafts that
// agree always (the target itself), often (the target's own weights in
// other fixtures) and rarely (a random one-layer model), on the fused and
// the plain backend. With the target as its own draft every draft must be
// accepted: a stale or misaligned draft cache would show as rejections.
func TestDraftModelGreedyIdentical(t *testing.T) {
	ctx := context.Background()
	fixtures := map[string]*Model{}
	for _, name := range fixtureModels {
		m, _ := loadFixture(t, name)
		fixtures[name] = m
	}
	for _, p := range fusedPairs(t) {
		for _, m := range []*Model{p.fused, p.plain} {
			rnd, err := NewRandom(oneLayer(m.Config), tensor.NewCPU(), tensor.F32, 11)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(rnd.Close)
			drafts := map[string]*Model{"self": m, "random-1-layer": rnd}
			// One other fixture of the same vocabulary (a different model).
			for _, name := range fixtureModels {
				if f := fixtures[name]; f.Config.VocabSize == m.Config.VocabSize && name != p.name {
					drafts[name] = f
					break
				}
			}
			for _, n := range []int{1, 7, 20} {
				base := GenerateOptions{MaxNewTokens: n, IgnoreEOS: true}
				want, err := m.Generate(ctx, p.prompt, base, nil)
				if err != nil {
					t.Fatal(err)
				}
				for dname, dm := range drafts {
					for _, K := range []int{1, 3, 8} {
						o := base
						o.DraftModel, o.DraftTokens = dm, K
						var st SpecStats
						o.Stats = &st
						got, err := m.Generate(ctx, p.prompt, o, nil)
						if err != nil {
							t.Fatalf("%s draft %s K=%d: %v", p.name, dname, K, err)
						}
						if !slices.Equal(got, want) {
							t.Fatalf("%s draft %s K=%d n=%d: speculative %v, plain %v", p.name, dname, K, n, got, want)
						}
						if n > 2 && st.Drafted == 0 {
							t.Fatalf("%s draft %s K=%d: nothing drafted", p.name, dname, K)
						}
						if n := countTrue(st.FromDraft); len(st.FromDraft) != len(got) || n != st.Accepted {
							t.Fatalf("%s draft %s K=%d: FromDraft %v for %d tokens, %d accepted", p.name, dname, K, st.FromDraft, len(got), st.Accepted)
						}
						if dname == "self" && st.Accepted != st.Drafted {
							t.Fatalf("%s drafting with itself K=%d n=%d: %d of %d accepted", p.name, K, n, st.Accepted, st.Drafted)
						}
					}
				}
			}
		}
	}
}

// TestDraftModelStops checks EOS and callback stops with a draft model land
// where plain decoding's do.
func TestDraftModelStops(t *testing.T) {
	ctx := context.Background()
	m, ref := loadFixture(t, "llama-tiny")
	dm, _ := loadFixture(t, "qwen2-tiny")
	prompt := ref.GreedyPrompt
	full, err := m.Generate(ctx, prompt, GenerateOptions{MaxNewTokens: 24, IgnoreEOS: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for cut := 1; cut < len(full); cut++ {
		eos := []int32{full[cut]}
		want, _ := m.Generate(ctx, prompt, GenerateOptions{MaxNewTokens: 24, EOS: eos}, nil)
		for _, draft := range []*Model{m, dm} {
			for _, K := range []int{1, 4} {
				got, err := m.Generate(ctx, prompt, GenerateOptions{MaxNewTokens: 24, EOS: eos, DraftModel: draft, DraftTokens: K}, nil)
				if err != nil || !slices.Equal(got, want) {
					t.Fatalf("EOS %v K=%d: %v %v, want %v", eos, K, got, err, want)
				}
				seen := 0
				got, err = m.Generate(ctx, prompt, GenerateOptions{MaxNewTokens: 24, IgnoreEOS: true, DraftModel: draft, DraftTokens: K},
					func(int32) bool { seen++; return seen < cut })
				if err != nil || !slices.Equal(got, full[:cut]) {
					t.Fatalf("callback stop at %d K=%d: %v %v, want %v", cut, K, got, err, full[:cut])
				}
			}
		}
	}
}

func TestDraftModelOptionErrors(t *testing.T) {
	m, ref := loadFixture(t, "llama-tiny")
	cfg := oneLayer(m.Config)
	cfg.VocabSize = 300
	small, err := NewRandom(cfg, tensor.NewCPU(), tensor.F32, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	for i, o := range []GenerateOptions{
		{MaxNewTokens: 4, DraftModel: small},
		{MaxNewTokens: 4, DraftModel: m, DraftExit: 1},
		{MaxNewTokens: 4, DraftModel: m, DraftTokens: -1},
		{MaxNewTokens: 4, DraftModel: m, RepetitionPenalty: 1.2},
		{MaxNewTokens: 4, DraftModel: m, EarlyExitThreshold: 0.5},
	} {
		if _, err := m.Generate(context.Background(), ref.GreedyPrompt, o, nil); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
}

func countTrue(v []bool) int {
	n := 0
	for _, b := range v {
		if b {
			n++
		}
	}
	return n
}
