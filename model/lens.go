package model

import (
	"fmt"

	"github.com/lamina-ml/lamina/tensor"
)

// LensLogits runs ids (positions 0..T-1, T ≤ MaxPositions, no session) through the model once and,
// after every decoder layer l = 1..L, applies the shared final norm and lm_head to that layer's
// output h_l (the logit lens, the same computation as a LayerSkip early-exit head) and calls fn with
// the (T,V) logits row-major. Layer numbers match LogitLens's (which also reports layer 0, the
// embeddings; LensLogits does not), and layer L's logits are the model's own, as Logits returns
// them. logits may be reused between calls: fn must copy what it keeps. An error from fn stops the pass
// and is returned.
//
// Unlike LogitLens, which keeps only the top tokens, this hands over the whole distribution, for
// per-layer losses (perplexity of every early exit).
func (m *Model) LensLogits(ids []int32, fn func(layer int, logits []float32) error) error {
	T, C, V := len(ids), m.Config.Hidden, m.Config.VocabSize
	if T == 0 {
		return fmt.Errorf("model: no tokens")
	}
	if T > m.Config.MaxPositions {
		return fmt.Errorf("model: %d tokens exceed the model's %d positions", T, m.Config.MaxPositions)
	}
	be := m.be
	h, err := be.Zeros(T, C)
	if err != nil {
		return err
	}
	defer be.Free(h)
	lg, err := be.Zeros(T, V)
	if err != nil {
		return err
	}
	defer be.Free(lg)
	a, err := m.runFull(ids, func(i int, x tensor.Tensor) error {
		if i == 0 {
			return nil // the embeddings are no exit
		}
		m.norm(h, x, m.normW, m.normB)  // h is (T,C)
		be.MatMul(lg, h, m.lmHead, nil) // lg is (T,V)
		logits, err := be.Read(lg, 0, -1)
		if err != nil {
			return err
		}
		return fn(i, logits)
	})
	if err != nil {
		return err
	}
	a.free()
	return nil
}
