package model

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/lamina-ml/lamina/tensor"
)

// DefaultDraftTokens is GenerateOptions.DraftTokens when DraftExit is set
// and DraftTokens is 0.
const DefaultDraftTokens = 4

// SpecStats counts what self-speculative decoding did.
type SpecStats struct {
	Rounds   int // draft-and-verify rounds
	Drafted  int // tokens drafted by layers [0, E)
	Accepted int // drafted tokens the full model accepted
	// ExitLayers is, with early exit, the layer each generated token
	// exited after (Config.Layers: it ran them all).
	ExitLayers []int
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
	if opts.DraftExit == 0 {
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

// generateSpeculative is Generate with LayerSkip self-speculative decoding
// (Elhoushi et al. 2024) in session s (capacity len(prompt)+MaxNewTokens-1).
//
// Each round starts with y, the last generated token, not yet in the cache,
// at position P. Draft: y, d1, …, dk go one at a time through layers [0, E)
// (their keys and values land in those layers' caches at P..P+k), and the
// shared final norm and lm_head on the layer-E state give d1..dk; each
// token's layer-E state is kept in hE (k+1,C). Verify: layers [E, L) run once
// over hE's k+1 rows at P..P+k — the rows below E come from the draft, so the
// verifier does no work there — and the full model's next token after each
// row is compared with the draft's. The longest agreeing prefix d1..da is
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
	E, K := opts.DraftExit, opts.DraftTokens
	if K == 0 {
		K = DefaultDraftTokens
	}
	n := opts.MaxNewTokens
	greedy := opts.Temperature == 0
	rng := NewRNG(opts.Seed ^ specSeedMix)
	stats := opts.Stats
	if stats == nil {
		stats = &SpecStats{}
	}

	hE, err := be.Zeros(K+1, c.Hidden) // layer-E states of y, d1..dk
	if err != nil {
		return nil, err
	}
	defer be.Free(hE)
	ver := map[int]*acts{} // verification buffers by row count
	defer func() {
		for _, a := range ver {
			a.free()
		}
	}()

	// pick chooses a token from s.logits: argmax on the backend when
	// greedy, else a draw from the warped distribution, returned too.
	pick := func() (int32, []float64, error) {
		if greedy {
			be.Argmax(s.argmax, s.logits)
			v, err := be.ReadInts(s.argmax)
			if err != nil {
				return 0, nil, err
			}
			return v[0], nil, nil
		}
		lg, err := s.readLogits()
		if err != nil {
			return 0, nil, err
		}
		p := sampleProbs(lg, opts)
		return drawFrom(p, rng.Float64()), p, nil
	}

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.run(prompt); err != nil {
		return nil, err
	}
	y, _, err := pick()
	if err != nil {
		return nil, err
	}
	out := []int32{y}
	if stop(out, y) {
		return out, nil
	}
	fusedHead := m.fusedHead() != nil
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
		drafts, qs = drafts[:0], qs[:0]
		tok := y
		for j := 0; j <= k; j++ {
			s.ids[0] = tok
			if err := m.embedIDs(s.dec, s.ids[:]); err != nil {
				return out, err
			}
			// The last drafted token only needs its layer-E state.
			if err := m.layerRange(s.dec, s.cache, P+j, 0, E, nil, !fusedHead && j < k); err != nil {
				return out, err
			}
			be.CopyRows(hE, j, s.dec.x, 0, 1) // hE row j is (1,C)
			if j == k {
				break
			}
			s.head(s.dec)
			d, q, err := pick()
			if err != nil {
				return out, err
			}
			drafts = append(drafts, d)
			qs = append(qs, q)
			tok = d
		}

		T := k + 1
		va := ver[T]
		if va == nil {
			if va, err = m.newActs(T); err != nil {
				return out, err
			}
			ver[T] = va
		}
		be.CopyRows(va.x, 0, hE, 0, T) // x is (T,C)
		if err := m.layerRange(va, s.cache, P, E, c.Layers, nil, !fusedHead); err != nil {
			return out, err
		}
		accepted := 0
		var bonus int32
		for j := 0; j < T; j++ {
			s.headRow(va, j)
			t, p, err := pick()
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
			if q := qs[j]; rng.Float64()*q[d] < p[d] { // u < p/q without dividing by a zero q
				accepted++
				continue
			}
			bonus = residualDraw(p, qs[j], rng.Float64())
			break
		}
		stats.Rounds++
		stats.Drafted += k
		stats.Accepted += accepted
		s.pos = P + accepted + 1 // crop: y and the accepted drafts stay
		for _, id := range append(drafts[:accepted:accepted], bonus) {
			out = append(out, id)
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
