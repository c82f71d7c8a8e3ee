package model

import (
	"context"
	"fmt"
	"math"
)

// checkEarlyExit validates GenerateOptions.EarlyExitThreshold.
func (m *Model) checkEarlyExit(opts GenerateOptions) error {
	th := opts.EarlyExitThreshold
	if th == 0 {
		return nil
	}
	if !(th > 0 && th <= 1) {
		return fmt.Errorf("model: early-exit threshold %g must lie in (0,1]", th)
	}
	if opts.DraftExit != 0 || opts.DraftModel != nil {
		return fmt.Errorf("model: early exit and speculative decoding do not combine")
	}
	if opts.Temperature != 0 {
		return fmt.Errorf("model: early exit is greedy only (temperature %g)", opts.Temperature)
	}
	if p := opts.RepetitionPenalty; p != 0 && p != 1 {
		return fmt.Errorf("model: early exit does not support a repetition penalty (%g)", p)
	}
	return nil
}

// generateEarlyExit is greedy Generate with CALM-style early exit (Schuster
// et al. 2022) in session s. It is NOT exact: tokens may differ from plain
// greedy decoding. The prompt runs through every layer; then each new token
// runs one layer at a time, and after layer l (1 ≤ l < L) the shared final
// norm and lm_head give next-token probabilities; once the largest reaches
// opts.EarlyExitThreshold the token is their argmax and the remaining layers
// are skipped. Their keys and values at this position, which later tokens
// attend to, come from the exited state (CALM's state propagation): layer i's
// k and v projections of the normed layer-l output. Stats.ExitLayers gets
// every token's exit layer (L for the first, which the prefill produced,
// and for tokens that never passed the threshold).
func (m *Model) generateEarlyExit(ctx context.Context, s *Session, prompt []int32, opts GenerateOptions, stop func(out []int32, next int32) bool) ([]int32, error) {
	be, c := m.be, &m.Config
	L := c.Layers
	th := float64(opts.EarlyExitThreshold)
	stats := opts.Stats
	if stats == nil {
		stats = &SpecStats{}
	}
	fused := m.fusedHead() != nil
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	y, err := s.PrefillArgmax(prompt)
	if err != nil {
		return nil, err
	}
	out := []int32{y}
	stats.ExitLayers = append(stats.ExitLayers, L)
	if stop(out, y) {
		return out, nil
	}
	a := s.dec
	for len(out) < opts.MaxNewTokens {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		pos := s.pos
		if pos+1 > s.cache.S {
			return out, fmt.Errorf("model: a token at position %d overflows the session's %d positions", pos, s.cache.S)
		}
		s.ids[0] = y
		if err := m.embedIDs(a, s.ids[:]); err != nil {
			return out, err
		}
		exit := L
		for l := 0; l < L; l++ {
			last := l == L-1
			if err := m.layerRange(a, s.cache, pos, l, l+1, nil, !fused); err != nil {
				return out, err
			}
			if last {
				break
			}
			s.head(a) // the layer-(l+1) exit: final norm and lm_head, logits (1,V)
			lg, err := s.readLogits()
			if err != nil {
				return out, err
			}
			if maxProb(lg) >= th {
				exit = l + 1
				break
			}
		}
		if exit < L {
			m.propagateKV(a, s.cache, pos, exit)
		} else {
			s.head(a)
		}
		be.Argmax(s.argmax, s.logits)
		v, err := be.ReadInts(s.argmax)
		if err != nil {
			return out, err
		}
		s.pos++
		y = v[0]
		out = append(out, y)
		stats.ExitLayers = append(stats.ExitLayers, exit)
		if stop(out, y) {
			break
		}
	}
	return out, nil
}

// propagateKV fills layers [from, L)'s cache rows at pos with the keys and
// values of a.x (1,C), the state an early exit left after layer from:
// each layer's attention norm, k and v projections (with biases) and RoPE.
func (m *Model) propagateKV(a *acts, kc *kvCache, pos, from int) {
	be, c := m.be, &m.Config
	for i := from; i < len(m.layers); i++ {
		L := &m.layers[i]
		in := m.preNorm(a, a.x, L.norm1W, L.norm1B)
		be.MatMul(a.k, in, L.k, L.kB) // k is (1,G*D)
		be.MatMul(a.v, in, L.v, L.vB) // v is (1,G*D)
		m.qkNorm(L, nil, a.k)
		if m.ropeLayer(i) {
			invFreq, _ := m.layerRoPE(i)
			be.RoPE(a.k, m.passRoPE(invFreq, pos+1), c.KVHeads, c.HeadDim, pos)
		}
		kc.write(be, i, a.k, a.v, pos, 1)
	}
}

// maxProb is the largest softmax probability of logits (f64 sums).
func maxProb(lg []float32) float64 {
	mx := lg[0]
	for _, v := range lg {
		if v > mx {
			mx = v
		}
	}
	var z float64
	for _, v := range lg {
		z += math.Exp(float64(v - mx))
	}
	return 1 / z
}
