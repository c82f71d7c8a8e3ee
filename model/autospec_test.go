package model

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

// TestSpecSpeedup checks the cost model against values worked by hand.
func TestSpecSpeedup(t *testing.T) {
	free := SpecCosts{Layer: 1, Head: 0, Verify: []float64{0, 1, 1, 1, 1, 1}}
	linear := SpecCosts{Layer: 1, Head: 2, Verify: []float64{0, 1, 2, 3, 4, 5}}
	for _, tc := range []struct {
		alpha      float64
		E, K, L    int
		c          SpecCosts
		want       float64
		whyInWords string
	}{
		// Every draft accepted, verify rows free, no head: K+1 = 4 tokens
		// for 4·3 draft layers + 9 verify layers = 21 vs 4·12 = 48.
		{1, 3, 3, 12, free, 48.0 / 21, "all accepted, free batching"},
		// Nothing accepted: 1 token for 2·3 + 9 = 15 layers vs 12.
		{0, 3, 1, 12, free, 12.0 / 15, "nothing accepted"},
		// alpha 0.5, K 2: tokens 1.75; round = 3·4 layers + 2 heads·2 +
		// 8 layers·3 + 1.75·2 heads = 12+4+24+3.5 = 43.5; plain 12+2 = 14
		// per token: 1.75·14/43.5.
		{0.5, 4, 2, 12, linear, 1.75 * 14 / 43.5, "rows cost linearly"},
	} {
		if got := specSpeedup(tc.alpha, tc.E, tc.K, tc.L, tc.c); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: speedup %v, want %v", tc.whyInWords, got, tc.want)
		}
	}
}

// TestDecideSpec checks the choice over probed exits: low acceptance or
// costly verify passes give plain decoding; high acceptance with cheap
// verify rows the exit and K of the best speedup.
func TestDecideSpec(t *testing.T) {
	cheap := SpecCosts{Layer: 1, Head: 0.5, Verify: []float64{0, 1, 1, 1, 1, 1, 1, 1, 1, 1}}
	costly := SpecCosts{Layer: 1, Head: 0.5, Verify: []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}
	low := []ExitAgreement{{2, 0.02}, {4, 0.03}, {6, 0.05}}
	if E, K, s := decideSpec(low, 12, cheap); E != 0 || K != 0 || s != 1 {
		t.Errorf("acceptance near 0: E=%d K=%d speedup %v, want plain", E, K, s)
	}
	high := []ExitAgreement{{2, 0.1}, {4, 0.95}, {6, 0.97}}
	if E, K, s := decideSpec(high, 12, costly); E != 0 || s != 1 {
		t.Errorf("verify rows as dear as decode steps: E=%d K=%d speedup %v, want plain", E, K, s)
	}
	E, K, s := decideSpec(high, 12, cheap)
	// Brute force over the same grid by the formula worked by hand.
	bestS, bestE, bestK := 0.0, 0, 0
	for _, ea := range high {
		for _, k := range AutoDraftTokens {
			acc, a := 0.0, 1.0
			for range k {
				a *= ea.Acceptance
				acc += a
			}
			round := float64((k+1)*ea.Exit) + 0.5*float64(k) + float64(12-ea.Exit) + 0.5*(1+acc)
			if v := (1 + acc) * 12.5 / round; v > bestS {
				bestS, bestE, bestK = v, ea.Exit, k
			}
		}
	}
	if E != bestE || K != bestK || math.Abs(s-bestS) > 1e-12 || s < autoMinSpeedup {
		t.Errorf("cheap verify: E=%d K=%d speedup %v, want E=%d K=%d %v", E, K, s, bestE, bestK, bestS)
	}
}

// TestPlanSpeculation checks the plan on a random 12-layer model: the probe
// covers autoProbeMin positions (the 5-token prompt extended) at every
// candidate exit, and the decision is decideSpec's on what was measured.
func TestPlanSpeculation(t *testing.T) {
	cfg := Config{Arch: Llama, VocabSize: 2000, Hidden: 64, Layers: 12, Heads: 4, KVHeads: 2,
		HeadDim: 16, Intermediate: 160, MaxPositions: 128, NormEps: 1e-5, RopeTheta: 10000, TieWordEmbeddings: true}
	m, err := NewRandom(cfg, tensor.NewCPU(), tensor.F32, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	plan, err := m.PlanSpeculation(context.Background(), tokens(5, cfg.VocabSize, 3))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", plan)
	if plan.ProbePositions != autoProbeMin || len(plan.Probe) != len(autoExits(12)) || plan.Reason == "" {
		t.Fatalf("plan %+v: want a probe of %d positions over %d exits", plan, autoProbeMin, len(autoExits(12)))
	}
	if E, K, s := decideSpec(plan.Probe, 12, plan.Costs); E != plan.DraftExit || K != plan.DraftTokens || s != plan.Speedup {
		t.Fatalf("plan %+v, decideSpec on its measurements gives E=%d K=%d %v", plan, E, K, s)
	}
	if got := autoExits(12); !slices.Equal(got, []int{2, 3, 4, 6, 8}) {
		t.Errorf("autoExits(12) = %v", got)
	}
}

// TestPlanSpeculationBrown checks the probe on models/lamina-brown-20m,
// trained with early-exit loss: its exit-8 head agrees with the full model
// on most probe positions (TestSpeculativeBrown measured 0.80 acceptance at
// E=8 K=1 on generated text), far above a random model's. Whether it then
// speculates depends on this machine's measured costs, so that is logged,
// not checked.
func TestPlanSpeculationBrown(t *testing.T) {
	nativeOnly(t, "the 20M model")
	m, tok := loadBrown(t)
	for _, text := range brownPrompts {
		plan, err := m.PlanSpeculation(context.Background(), tok.EncodeWithSpecial(text))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%q: %s; probe %v; costs %+v", text, plan.Reason, plan.Probe, plan.Costs)
		for _, ea := range plan.Probe {
			if ea.Exit == 8 && ea.Acceptance < 0.5 {
				t.Errorf("%q: exit 8 agrees on %.2f of the probe", text, ea.Acceptance)
			}
		}
	}
}
