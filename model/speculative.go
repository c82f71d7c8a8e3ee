package model

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/lamina-ml/lamina/tensor"
)

// DefaultDraftTokens is GenerateOptions.DraftTokens when DraftExit is set
// and DraftTokens is 0: K=1, the only draft length that matched or beat
// plain decoding on lamina-brown-20m with the small-T kernels (the E × K
// table in bench/LAYERWISE.md).
const DefaultDraftTokens = 1

// SpecStats counts what self-speculative decoding did.
type SpecStats struct {
	Rounds   int // draft-and-verify rounds
	Drafted  int // tokens drafted by layers [0, E)
	Accepted int // drafted tokens the full model accepted
	// ExitLayers is, with early exit, the layer each generated token
	// exited after (Config.Layers: it ran them all).
	ExitLayers []int
	// FromDraft is, with speculative decoding, whether each generated
	// token was a draft the full model accepted (false: the full model's
	// own token, the first one or a round's bonus). It is appended before
	// the token is handed to Generate's onToken.
	FromDraft []bool
}

// AcceptanceRate is Accepted / Drafted (0 when nothing was drafted).
func (s SpecStats) AcceptanceRate() float64 {
	if s.Drafted == 0 {
		return 0
	}
	return float64(s.Accepted) / float64(s.Drafted)
}

// checkSpeculative validates the speculative fields of opts.
func (m *Model) checkSpeculative(opts GenerateOptions) error {
	if dm := opts.DraftModel; dm != nil {
		if opts.DraftExit != 0 {
			return fmt.Errorf("model: a draft model and a draft exit (%d) do not combine", opts.DraftExit)
		}
		if dm.Config.VocabSize != m.Config.VocabSize {
			return fmt.Errorf("model: draft model's vocabulary of %d differs from the target's %d (they must share the tokenizer)", dm.Config.VocabSize, m.Config.VocabSize)
		}
	} else if opts.DraftExit == 0 {
		if opts.DraftTokens != 0 {
			return fmt.Errorf("model: DraftTokens %d without DraftExit", opts.DraftTokens)
		}
		return nil
	}
	if opts.DraftExit < 0 || opts.DraftExit >= m.Config.Layers {
		return fmt.Errorf("model: draft exit %d must lie in [1,%d) (the model has %d layers)", opts.DraftExit, m.Config.Layers, m.Config.Layers)
	}
	if opts.DraftTokens < 0 {
		return fmt.Errorf("model: DraftTokens %d is negative", opts.DraftTokens)
	}
	if p := opts.RepetitionPenalty; p != 0 && p != 1 {
		// The penalty depends on the tokens seen so far, which differ
		// between the draft's and the verifier's positions; not supported.
		return fmt.Errorf("model: speculative decoding does not support a repetition penalty (%g)", p)
	}
	return nil
}

// specSeedMix separates the speculative sampler's stream from other uses of
// the same seed.
const specSeedMix = 0x5bd1e9955bd1e995

// specPicker chooses tokens from a session's logits for speculative
// decoding: argmax on the backend when greedy, else a draw (from one seeded
// stream shared by draft and verifier) from the warped distribution, which
// is returned too.
type specPicker struct {
	opts   GenerateOptions
	greedy bool
	rng    *RNG
}

func (pk *specPicker) pick(s *Session) (int32, []float64, error) {
	if pk.greedy {
		s.m.be.Argmax(s.argmax, s.logits)
		v, err := s.m.be.ReadInts(s.argmax)
		if err != nil {
			return 0, nil, err
		}
		return v[0], nil, nil
	}
	lg, err := s.readLogits()
	if err != nil {
		return 0, nil, err
	}
	p := sampleProbs(lg, pk.opts)
	return drawFrom(p, pk.rng.Float64()), p, nil
}

// specDrafter proposes tokens for generateSpeculative and builds the
// verifier's input.
type specDrafter interface {
	// draft proposes k tokens after seq (prompt and output so far; its
	// last token y, at position P = len(seq)-1, is not in the target's
	// cache yet), appending them to drafts and, when sampling, their
	// draft distributions to qs.
	draft(seq []int32, k int, drafts []int32, qs [][]float64) ([]int32, [][]float64, error)
	// verify runs y, d1..dk at P..P+k through the target model into va
	// (T = k+1 rows), leaving what Session.headRow projects.
	verify(va *acts, P int, y int32, drafts []int32) error
	// keep says that y and the first accepted drafts are final: the
	// drafter's own cache past P+accepted is stale.
	keep(P, accepted int) error
	close()
}

// selfDrafter is LayerSkip's draft: layers [0, E) of the target itself and
// the shared final norm and lm_head. Each token's layer-E state is kept in
// hE so that the verifier runs only layers [E, L).
type selfDrafter struct {
	m  *Model
	s  *Session
	pk *specPicker
	E  int
	hE tensor.Tensor // (K+1,C) layer-E states of y, d1..dk
	// ad, when set, is exit E's draft adapter, run on each draft's
	// layer-E state (after it is saved in hE) before the head.
	ad  *draftAdapter
	adS *adapterScratch
}

func (d *selfDrafter) draft(seq []int32, k int, drafts []int32, qs [][]float64) ([]int32, [][]float64, error) {
	m, s := d.m, d.s
	fusedHead := m.fusedHead() != nil
	P := len(seq) - 1
	tok := seq[P]
	for j := 0; j <= k; j++ {
		s.ids[0] = tok
		if err := m.embedIDs(s.dec, s.ids[:]); err != nil {
			return drafts, qs, err
		}
		// The last drafted token only needs its layer-E state.
		if err := m.layerRange(s.dec, s.cache, P+j, 0, d.E, nil, !fusedHead && j < k); err != nil {
			return drafts, qs, err
		}
		m.be.CopyRows(d.hE, j, s.dec.x, 0, 1) // hE row j is (1,C)
		if j == k {
			break
		}
		if d.ad != nil {
			m.applyAdapter(d.ad, d.adS, s.dec.x)
			if !fusedHead {
				m.norm(s.dec.h, s.dec.x, m.normW, m.normB)
			}
		}
		s.head(s.dec)
		t, q, err := d.pk.pick(s)
		if err != nil {
			return drafts, qs, err
		}
		drafts = append(drafts, t)
		qs = append(qs, q)
		tok = t
	}
	return drafts, qs, nil
}

func (d *selfDrafter) verify(va *acts, P int, _ int32, _ []int32) error {
	d.m.be.CopyRows(va.x, 0, d.hE, 0, va.T) // x is (T,C)
	return d.m.layerRange(va, d.s.cache, P, d.E, d.m.Config.Layers, nil, d.m.fusedHead() == nil)
}

func (d *selfDrafter) keep(int, int) error { return nil } // the target's own crop covers layers [0, E)

func (d *selfDrafter) close() {
	d.m.be.Free(d.hE)
	if d.adS != nil {
		d.adS.free(d.m.be)
	}
}

// modelDrafter drafts with a separate, smaller model that shares the
// target's tokenizer, in its own session (Leviathan et al. 2023). Its cache
// lags the target's: after a round it holds y and the drafts it ran, cropped
// to what was accepted; the next round first feeds it what it lacks.
type modelDrafter struct {
	target        *Model
	targetSession *Session
	ds            *Session // the draft model's session
	pk            *specPicker
	ids           []int32
}

func (d *modelDrafter) draft(seq []int32, k int, drafts []int32, qs [][]float64) ([]int32, [][]float64, error) {
	// Catch up: the tokens since its cache's end, y last, in one pass.
	if err := d.ds.run(seq[d.ds.pos:]); err != nil {
		return drafts, qs, err
	}
	for j := 0; j < k; j++ {
		if j > 0 {
			d.ds.ids[0] = drafts[len(drafts)-1]
			if err := d.ds.run(d.ds.ids[:]); err != nil {
				return drafts, qs, err
			}
		}
		t, q, err := d.pk.pick(d.ds)
		if err != nil {
			return drafts, qs, err
		}
		drafts = append(drafts, t)
		qs = append(qs, q)
	}
	return drafts, qs, nil
}

func (d *modelDrafter) verify(va *acts, P int, y int32, drafts []int32) error {
	d.ids = append(append(d.ids[:0], y), drafts...)
	if err := d.target.embedIDs(va, d.ids); err != nil {
		return err
	}
	return d.target.layerRange(va, d.targetSession.cache, P, 0, d.target.Config.Layers, nil, d.target.fusedHead() == nil)
}

func (d *modelDrafter) keep(P, accepted int) error {
	return d.ds.crop(min(d.ds.pos, P+accepted+1))
}

func (d *modelDrafter) close() { d.ds.Close() }

// generateSpeculative is Generate with speculative decoding in session s
// (capacity len(prompt)+MaxNewTokens-1): LayerSkip self-speculation
// (Elhoushi et al. 2024) with opts.DraftExit, or a separate draft model with
// opts.DraftModel.
//
// Each round starts with y, the last generated token, not yet in the cache,
// at position P. Self-speculation drafts y, d1, …, dk one at a time through
// layers [0, E) (their keys and values land in those layers' caches at
// P..P+k), and the shared final norm and lm_head on the layer-E state give
// d1..dk; each token's layer-E state is kept in hE (k+1,C). Verify: layers
// [E, L) run once over hE's k+1 rows at P..P+k — the rows below E come from
// the draft, so the verifier does no work there — and the full model's next
// token after each row is compared with the draft's. A draft model instead
// proposes d1..dk from its own session, and the target verifies y, d1..dk
// through all its layers in one pass. The longest agreeing prefix d1..da is
// accepted, followed by the verifier's own token after da (the bonus). The
// cache is cropped by setting the position to P+a+1: rows past it in any
// layer are stale and get overwritten by the next round, so the crop costs
// no backend op.
//
// Greedy: the draft's layers and every lm_head projection are the ops of a
// plain decode step (one row; Session.headRow), and the verifier's layers
// compute the same function over k+1 rows. A backend may round a
// several-row product differently from a one-row one (the CPU kernels tile
// T > 2 rows), as plain decoding's own prefill does against its steps; the
// ids then equal plain greedy decoding's unless two logits tie to within
// that rounding. The tests check equality on the fixtures and
// lamina-brown-20m.
// Sampling: speculative sampling (Leviathan et al. 2023; Chen et al. 2023)
// accepts di with probability min(1, p(di)/q(di)) for the verifier's and
// draft's warped distributions p and q (temperature, top-k, top-p as
// tensor.SampleRow), and on rejection draws from max(0, p−q) normalised, so
// each token has the target model's distribution. Its uniforms come from
// NewRNG(Seed), so a seed reproduces on every platform, but the draws are not
// those of plain sampling with that seed.
func (m *Model) generateSpeculative(ctx context.Context, s *Session, prompt []int32, opts GenerateOptions, stop func(out []int32, next int32) bool) ([]int32, error) {
	be := m.be
	c := &m.Config
	K := opts.DraftTokens
	if K == 0 {
		K = DefaultDraftTokens
	}
	n := opts.MaxNewTokens
	greedy := opts.Temperature == 0
	pk := &specPicker{opts: opts, greedy: greedy, rng: NewRNG(opts.Seed ^ specSeedMix)}
	stats := opts.Stats
	if stats == nil {
		stats = &SpecStats{}
	}

	var dr specDrafter
	if dm := opts.DraftModel; dm != nil {
		ds, err := dm.newSession(s.MaxLen(), K)
		if err != nil {
			return nil, err
		}
		dr = &modelDrafter{target: m, ds: ds, pk: pk, targetSession: s}
	} else {
		hE, err := be.Zeros(K+1, c.Hidden)
		if err != nil {
			return nil, err
		}
		sd := &selfDrafter{m: m, s: s, pk: pk, E: opts.DraftExit, hE: hE}
		if ad := m.adapters[opts.DraftExit]; ad != nil && !opts.BareExit {
			if sd.adS, err = m.newAdapterScratch(ad, 1); err != nil {
				be.Free(hE)
				return nil, err
			}
			sd.ad = ad
		}
		dr = sd
	}
	defer dr.close()
	ver := map[int]*acts{} // verification buffers by row count
	defer func() {
		for _, a := range ver {
			a.free()
		}
	}()

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.run(prompt); err != nil {
		return nil, err
	}
	y, _, err := pk.pick(s)
	if err != nil {
		return nil, err
	}
	out := []int32{y}
	stats.FromDraft = append(stats.FromDraft, false)
	if stop(out, y) {
		return out, nil
	}
	seq := append(slices.Clone(prompt), y)
	drafts := make([]int32, 0, K)
	qs := make([][]float64, 0, K)
	for len(out) < n {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		// Never draft past what may still be emitted: k drafts and a
		// bonus make at most n-len(out) tokens, and rows P..P+k fit the
		// session.
		k := min(K, n-len(out)-1)
		P := s.pos
		if drafts, qs, err = dr.draft(seq, k, drafts[:0], qs[:0]); err != nil {
			return out, err
		}

		T := k + 1
		va := ver[T]
		if va == nil {
			if va, err = m.newActs(T); err != nil {
				return out, err
			}
			ver[T] = va
		}
		if err := dr.verify(va, P, y, drafts); err != nil {
			return out, err
		}
		accepted := 0
		var bonus int32
		for j := 0; j < T; j++ {
			s.headRow(va, j)
			t, p, err := pk.pick(s)
			if err != nil {
				return out, err
			}
			if j == k {
				bonus = t // every draft accepted: the full model's next token
				break
			}
			d := drafts[j]
			if greedy {
				if t == d {
					accepted++
					continue
				}
				bonus = t
				break
			}
			if q := qs[j]; pk.rng.Float64()*q[d] < p[d] { // u < p/q without dividing by a zero q
				accepted++
				continue
			}
			bonus = residualDraw(p, qs[j], pk.rng.Float64())
			break
		}
		stats.Rounds++
		stats.Drafted += k
		stats.Accepted += accepted
		if err := s.crop(P + accepted + 1); err != nil { // y and the accepted drafts stay
			return out, err
		}
		if err := dr.keep(P, accepted); err != nil {
			return out, err
		}
		for j, id := range append(drafts[:accepted:accepted], bonus) {
			out = append(out, id)
			seq = append(seq, id)
			stats.FromDraft = append(stats.FromDraft, j < accepted)
			if stop(out, id) {
				return out, nil
			}
		}
		y = bonus
	}
	return out, nil
}

// sampleProbs is the distribution tensor.SampleRow draws from for logits x
// (V) under opts (Temperature > 0): the first SampleCandidates tokens in
// (logit desc, id asc) order, the shortest prefix of them reaching TopP of
// their mass (judged in f32, as SampleRow does), weights exp((x−max)/T)
// normalised over what is kept. Every other token has probability 0.
func sampleProbs(x []float32, opts GenerateOptions) []float64 {
	sp := sampleParams(opts, 0)
	N := len(x)
	topP := sp.TopP
	if !(topP > 0) || topP > 1 {
		topP = 1
	}
	k := tensor.SampleCandidates(sp, N)
	idx := make([]int32, N)
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		switch {
		case x[a] > x[b]:
			return -1
		case x[a] < x[b]:
			return 1
		}
		return int(a) - int(b)
	})
	mx := x[idx[0]]
	invTemp := 1 / sp.Temperature
	w := make([]float32, k)
	var total float32
	for i := range k {
		w[i] = float32(math.Exp(float64((x[idx[i]] - mx) * invTemp)))
		total += w[i]
	}
	keep := k
	var cum float32
	for i := range k {
		cum += w[i]
		if cum >= topP*total {
			keep = i + 1
			break
		}
	}
	var kept float64
	for i := range keep {
		kept += float64(w[i])
	}
	p := make([]float64, N)
	for i := range keep {
		p[idx[i]] = float64(w[i]) / kept
	}
	return p
}

// drawFrom returns the first index whose running sum of p exceeds u·Σp
// (u in [0,1)); the last index with mass if rounding leaves u past the end.
func drawFrom(p []float64, u float64) int32 {
	var total float64
	last := 0
	for i, v := range p {
		total += v
		if v > 0 {
			last = i
		}
	}
	u *= total
	var acc float64
	for i, v := range p {
		acc += v
		if u < acc {
			return int32(i)
		}
	}
	return int32(last)
}

// residualDraw draws from max(0, p−q) normalised, speculative sampling's
// correction after a rejected draft. A rejection means q put more mass on
// the draft than p, so the residual has mass unless rounding ate it; then
// it draws from p.
func residualDraw(p, q []float64, u float64) int32 {
	r := make([]float64, len(p))
	var total float64
	for i := range p {
		if d := p[i] - q[i]; d > 0 {
			r[i] = d
			total += d
		}
	}
	if !(total > 0) {
		return drawFrom(p, u)
	}
	return drawFrom(r, u)
}
