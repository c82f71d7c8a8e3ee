package model

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/lamina-ml/lamina/tensor"
)

// SpecPlan is PlanSpeculation's decision and what it rests on.
type SpecPlan struct {
	// DraftExit and DraftTokens are the chosen E and K; both 0 when
	// plain decoding is predicted to be faster.
	DraftExit   int `json:"draft_exit"`
	DraftTokens int `json:"draft_tokens"`
	// Speedup is the cost model's predicted decode speed of the chosen
	// (E, K) over plain decoding (1 for plain).
	Speedup float64 `json:"predicted_speedup"`
	// Probe is the measured agreement of each candidate exit's greedy
	// token with the full model's, over ProbePositions positions.
	Probe          []ExitAgreement `json:"probe"`
	ProbePositions int             `json:"probe_positions"`
	// Costs are the measured per-row costs the model used.
	Costs SpecCosts `json:"costs"`
	// Reason says in words why it speculates or not.
	Reason string `json:"reason"`
	// Seconds is how long the plan took (probe and timings).
	Seconds float64 `json:"plan_s"`
}

// ExitAgreement is one candidate exit layer's probed acceptance rate.
type ExitAgreement struct {
	Exit       int     `json:"exit"`
	Acceptance float64 `json:"acceptance"`
}

// SpecCosts are measured seconds: Layer, one row through one decoder
// layer; Head, one row through the final norm and lm_head; Verify[T], T
// rows through one layer in one pass, for T = 1 (= Layer) and T = K+1 of
// each K in AutoDraftTokens (0 where not measured).
type SpecCosts struct {
	Layer  float64   `json:"layer_s"`
	Head   float64   `json:"head_s"`
	Verify []float64 `json:"verify_s"`
}

// AutoDraftTokens are the draft lengths K PlanSpeculation weighs.
var AutoDraftTokens = []int{1, 2, 3, 4, 6, 8}

// autoMinSpeedup is the predicted speedup PlanSpeculation needs before it
// speculates: below it the measurement noise and the cost model's
// simplifications (acceptance independent of position, per-layer costs
// timed on a few layers whose weights stay in cache, no per-round
// overhead) could make speculation a slowdown. On lamina-brown-20m, one
// thread, the model predicted 1.26× for E=2 K=1 where bench-spec measured
// 0.94× in decode tokens per CPU second.
const autoMinSpeedup = 1.3

// autoProbeMin and autoProbeMax bound the positions the acceptance probe
// looks at: a prompt shorter than autoProbeMin is extended with plain greedy
// tokens, a longer one than autoProbeMax is probed on its last tokens only.
const autoProbeMin, autoProbeMax = 16, 64

// autoExits are the candidate exit layers of an L-layer model: fractions
// 1/6 .. 2/3 of the depth (a LayerSkip model is trained for its early
// exits; later ones save too little), deduplicated and inside [1, L).
func autoExits(L int) []int {
	var es []int
	for _, f := range []float64{1.0 / 6, 1.0 / 4, 1.0 / 3, 1.0 / 2, 2.0 / 3} {
		e := int(math.Round(f * float64(L)))
		if e >= 1 && e < L && !slices.Contains(es, e) {
			es = append(es, e)
		}
	}
	return es
}

// PlanSpeculation decides whether self-speculative decoding (DraftExit) pays
// for this model on this backend, and with which E and K, from two
// measurements and a cost model:
//
//   - Acceptance probe: one pass over the prompt (extended with plain
//     greedy tokens to autoProbeMin positions, cut to its last autoProbeMax)
//     applies the final norm and lm_head after each candidate exit layer E
//     (the logit lens, which is exactly the draft's head) and counts how
//     often its argmax equals the full model's. A model trained for early
//     exit (lamina-brown-20m) agrees often at its early exits; one that was
//     not (random weights, most released models) almost never, so no E
//     predicts a speedup and the plan is plain decoding.
//   - Costs: the seconds of one row through one layer, of T = K+1 rows
//     through one layer in one pass (the verify; a backend may or may not
//     batch rows cheaply) and of one lm_head row, timed on layer 0.
//
// With acceptance α per drafted token (taken as independent), a round
// yields 1 + Σ_{i=1..K} α^i tokens for K+1 draft rows through E layers, K
// draft heads, one T-row verify of L−E layers and 1 + Σα^i verify heads;
// plain decoding pays L layers and one head per token. The plan picks the
// (E, K) of the best predicted speedup, and speculates only if that reaches
// autoMinSpeedup. Greedy acceptance is what the probe measures; sampling
// accepts differently, so the plan is a greedy estimate.
func (m *Model) PlanSpeculation(ctx context.Context, prompt []int32) (plan SpecPlan, err error) {
	start := time.Now()
	defer func() { plan.Seconds = time.Since(start).Seconds() }()
	L := m.Config.Layers
	exits := autoExits(L)
	if len(exits) == 0 {
		plan.Reason = fmt.Sprintf("a %d-layer model has no early exit to draft with", L)
		return plan, nil
	}
	probe := prompt
	if len(probe) < autoProbeMin {
		more, err := m.Generate(ctx, prompt, GenerateOptions{MaxNewTokens: autoProbeMin - len(prompt), IgnoreEOS: true}, nil)
		if err != nil {
			return plan, err
		}
		probe = append(slices.Clone(prompt), more...)
	}
	if m.Config.MaxPositions > 0 && len(probe) > m.Config.MaxPositions {
		probe = probe[len(probe)-m.Config.MaxPositions:]
	}
	var acc []float64
	acc, err = m.exitAgreement(probe, exits, autoProbeMax)
	if err != nil {
		return plan, err
	}
	plan.ProbePositions = min(len(probe), autoProbeMax)
	for i, e := range exits {
		plan.Probe = append(plan.Probe, ExitAgreement{e, acc[i]})
	}
	if plan.Costs, err = m.measureSpecCosts(slices.Max(AutoDraftTokens) + 1); err != nil {
		return plan, err
	}
	plan.DraftExit, plan.DraftTokens, plan.Speedup = decideSpec(plan.Probe, L, plan.Costs)
	if plan.DraftExit == 0 {
		bestAcc := slices.MaxFunc(plan.Probe, func(a, b ExitAgreement) int { return cmpFloat(a.Acceptance, b.Acceptance) })
		plan.Reason = fmt.Sprintf("plain decoding: no exit and draft length is predicted to reach %.2f× plain (highest probed acceptance %.2f at exit %d)",
			autoMinSpeedup, bestAcc.Acceptance, bestAcc.Exit)
		return plan, nil
	}
	i := slices.IndexFunc(plan.Probe, func(ea ExitAgreement) bool { return ea.Exit == plan.DraftExit })
	plan.Reason = fmt.Sprintf("speculate: exit %d (probed acceptance %.2f) with %d drafted tokens, predicted %.2f× plain",
		plan.DraftExit, plan.Probe[i].Acceptance, plan.DraftTokens, plan.Speedup)
	return plan, nil
}

// decideSpec is PlanSpeculation's choice: the (E, K) of the best
// specSpeedup over the probed exits and AutoDraftTokens, or (0, 0, 1) when
// the best is under autoMinSpeedup.
func decideSpec(probe []ExitAgreement, L int, c SpecCosts) (E, K int, speedup float64) {
	speedup = 1
	for _, ea := range probe {
		for _, k := range AutoDraftTokens {
			if s := specSpeedup(ea.Acceptance, ea.Exit, k, L, c); s > speedup {
				speedup, E, K = s, ea.Exit, k
			}
		}
	}
	if speedup < autoMinSpeedup {
		return 0, 0, 1
	}
	return E, K, speedup
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// specSpeedup is the cost model of PlanSpeculation: the predicted decode
// speed of self-speculation with exit E and K drafts over plain decoding,
// for per-token acceptance alpha and measured costs c (c.Verify[K+1] must
// exist).
func specSpeedup(alpha float64, E, K, L int, c SpecCosts) float64 {
	var accepted, a float64 = 0, 1
	for range K {
		a *= alpha
		accepted += a
	}
	tokens := 1 + accepted
	round := float64((K+1)*E)*c.Layer + float64(K)*c.Head + float64(L-E)*c.Verify[K+1] + tokens*c.Head
	plain := float64(L)*c.Layer + c.Head
	return tokens * plain / round
}

// exitAgreement is, for each exit layer in exits, the fraction of the last
// min(len(ids), maxRows) positions of ids where the argmax of the final norm
// and lm_head after that layer (and its draft adapter, when the model has
// one for it) equals the full model's.
func (m *Model) exitAgreement(ids []int32, exits []int, maxRows int) ([]float64, error) {
	T, C, V := len(ids), m.Config.Hidden, m.Config.VocabSize
	R := min(T, maxRows)
	be := m.be
	rows, err := be.Zeros(R, C)
	if err != nil {
		return nil, err
	}
	defer be.Free(rows)
	h, err := be.Zeros(R, C)
	if err != nil {
		return nil, err
	}
	defer be.Free(h)
	lg, err := be.Zeros(R, V)
	if err != nil {
		return nil, err
	}
	defer be.Free(lg)
	L := m.Config.Layers
	argmaxes := map[int][]int32{}
	a, err := m.runFull(ids, func(i int, x tensor.Tensor) error {
		if i != L && !slices.Contains(exits, i) {
			return nil
		}
		be.CopyRows(rows, 0, x, T-R, R)
		if ad := m.adapters[i]; ad != nil && i != L {
			// The draft runs exit i's adapter before the head.
			s, err := m.newAdapterScratch(ad, R)
			if err != nil {
				return err
			}
			m.applyAdapter(ad, s, rows)
			s.free(be)
		}
		m.norm(h, rows, m.normW, m.normB) // h is (R,C)
		be.MatMul(lg, h, m.lmHead, nil)   // lg is (R,V)
		v, err := be.Read(lg, 0, -1)
		if err != nil {
			return err
		}
		am := make([]int32, R)
		for r := range R {
			am[r] = argmax(v[r*V : (r+1)*V])
		}
		argmaxes[i] = am
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.free()
	out := make([]float64, len(exits))
	for i, e := range exits {
		n := 0
		for r := range R {
			if argmaxes[e][r] == argmaxes[L][r] {
				n++
			}
		}
		out[i] = float64(n) / float64(R)
	}
	return out, nil
}

// specCostLayers is how many layers measureSpecCosts times a pass over (at
// most; the costs are per layer): enough work per timing to stand above a
// shared machine's noise.
const specCostLayers = 4

// measureSpecCosts times passes of 1 and K+1 rows (K in AutoDraftTokens,
// K+1 ≤ maxT) over the first layers and one lm_head row: the fastest of
// several runs each after a warm-up, per layer. A pass of more rows is
// taken to cost at least what one row does (a faster timing is noise).
func (m *Model) measureSpecCosts(maxT int) (SpecCosts, error) {
	c := SpecCosts{Verify: make([]float64, maxT+1)}
	kc, err := m.newCache(maxT)
	if err != nil {
		return c, err
	}
	defer kc.free(m.be)
	const reps = 5
	nl := min(specCostLayers, m.Config.Layers)
	ids := make([]int32, maxT)
	// fastest runs f reps+1 times and returns its fastest run after the first.
	fastest := func(f func() error) (float64, error) {
		best := math.Inf(1)
		for r := range reps + 1 {
			start := time.Now()
			if err := f(); err != nil {
				return 0, err
			}
			if d := time.Since(start).Seconds(); r > 0 {
				best = min(best, d)
			}
		}
		return best, nil
	}
	Ts := []int{1}
	for _, K := range AutoDraftTokens {
		if K+1 <= maxT {
			Ts = append(Ts, K+1)
		}
	}
	for _, T := range Ts {
		a, err := m.newActs(T)
		if err != nil {
			return c, err
		}
		d, err := fastest(func() error {
			if err := m.embedIDs(a, ids[:T]); err != nil {
				return err
			}
			if err := m.layerRange(a, kc, 0, 0, nl, nil, false); err != nil {
				return err
			}
			return m.syncBackend(a.x)
		})
		if err == nil && T == 1 {
			c.Head, err = m.timeHead(a, fastest)
		}
		a.free()
		if err != nil {
			return c, err
		}
		c.Verify[T] = d / float64(nl)
	}
	c.Layer = c.Verify[1]
	for _, T := range Ts {
		c.Verify[T] = max(c.Verify[T], c.Layer)
	}
	return c, nil
}

// timeHead times Session.headRow (the final norm and lm_head of one row)
// on a's row 0 with fastest.
func (m *Model) timeHead(a *acts, fastest func(func() error) (float64, error)) (float64, error) {
	s := &Session{m: m}
	var err error
	if s.last, err = m.be.Zeros(1, m.Config.Hidden); err != nil {
		return 0, err
	}
	defer m.be.Free(s.last)
	if s.logits, err = m.be.Zeros(1, m.Config.VocabSize); err != nil {
		return 0, err
	}
	defer m.be.Free(s.logits)
	return fastest(func() error {
		s.headRow(a, 0)
		return m.syncBackend(s.logits)
	})
}

// syncBackend waits for the work queued on t (a GPU backend runs
// asynchronously) by reading one value of it.
func (m *Model) syncBackend(t tensor.Tensor) error {
	_, err := m.be.Read(t, 0, 1)
	return err
}
