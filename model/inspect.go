package model

import (
	"fmt"
	"math"

	"github.com/lamina-ml/lamina/tensor"
)

// runFull runs ids at positions 0..T-1 with a fresh cache of exactly T
// rows, calling layerOut like forward does, and returns the activations
// (final-normed hidden states in a.h); the caller frees them.
func (m *Model) runFull(ids []int32, layerOut func(i int, x tensor.Tensor) error) (*acts, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("model: no tokens")
	}
	kc, err := m.newCache(len(ids))
	if err != nil {
		return nil, err
	}
	defer kc.free(m.be)
	a, err := m.newActs(len(ids))
	if err != nil {
		return nil, err
	}
	if err := m.forward(a, kc, ids, 0, layerOut); err != nil {
		a.free()
		return nil, err
	}
	return a, nil
}

// Logits returns the logits of every position of ids (T rows of V values)
// computed in one pass at positions 0..T-1 without a session.
func (m *Model) Logits(ids []int32) ([][]float32, error) {
	a, err := m.runFull(ids, nil)
	if err != nil {
		return nil, err
	}
	defer a.free()
	T, V := len(ids), m.Config.VocabSize
	lg, err := m.be.Zeros(T, V)
	if err != nil {
		return nil, err
	}
	defer m.be.Free(lg)
	m.be.MatMul(lg, a.h, m.lmHead, nil) // lg is (T,V)
	flat, err := m.be.Read(lg, 0, -1)
	if err != nil {
		return nil, err
	}
	rows := make([][]float32, T)
	for t := range rows {
		rows[t] = flat[t*V : (t+1)*V : (t+1)*V]
	}
	return rows, nil
}

// HiddenStates returns the residual stream of ids (positions 0..T-1)
// following transformers' output_hidden_states convention: Layers+1
// entries, entry 0 the embeddings, entry i the output of decoder layer i
// for i < Layers, and the last entry the output of the last layer after the
// final norm. Each entry is T rows of Hidden values.
func (m *Model) HiddenStates(ids []int32) ([][][]float32, error) {
	C := m.Config.Hidden
	var states [][][]float32
	a, err := m.runFull(ids, func(i int, x tensor.Tensor) error {
		if i == m.Config.Layers {
			return nil // replaced by the final-normed state below
		}
		flat, err := m.be.Read(x, 0, -1)
		if err != nil {
			return err
		}
		states = append(states, splitRows(flat, C))
		return nil
	})
	if err != nil {
		return nil, err
	}
	defer a.free()
	flat, err := m.be.Read(a.h, 0, -1)
	if err != nil {
		return nil, err
	}
	return append(states, splitRows(flat, C)), nil
}

func splitRows(flat []float32, w int) [][]float32 {
	rows := make([][]float32, len(flat)/w)
	for t := range rows {
		rows[t] = flat[t*w : (t+1)*w : (t+1)*w]
	}
	return rows
}

// TokenProb is a token id with its probability.
type TokenProb struct {
	ID   int32   `json:"id"`
	Prob float32 `json:"prob"`
}

// LensLayer is the logit lens at one depth of the residual stream.
type LensLayer struct {
	// Layer is 0 for the embeddings and i for the output of decoder
	// layer i (1-based), matching HiddenStates' indices.
	Layer int `json:"layer"`
	// Norm is the L2 norm of the raw residual stream (before the final
	// norm) at each position.
	Norm []float32 `json:"norm"`
	// Top is, per position, the topK most probable next tokens when the
	// final norm and lm_head are applied to this layer's residual stream,
	// most probable first (ties: lower id first).
	Top [][]TokenProb `json:"top"`
}

// LogitLens applies the final norm and lm_head to the residual stream after
// the embeddings and after every decoder layer ("logit lens", nostalgebraist
// 2020) for ids at positions 0..T-1. It returns Layers+1 entries; the last
// one equals the model's own next-token distribution.
func (m *Model) LogitLens(ids []int32, topK int) ([]LensLayer, error) {
	if topK <= 0 {
		return nil, fmt.Errorf("model: logit lens top-k %d must be positive", topK)
	}
	T, C, V := len(ids), m.Config.Hidden, m.Config.VocabSize
	topK = min(topK, V)
	be := m.be
	var h, lg tensor.Tensor
	var err error
	if T > 0 {
		if h, err = be.Zeros(T, C); err != nil {
			return nil, err
		}
		defer be.Free(h)
		if lg, err = be.Zeros(T, V); err != nil {
			return nil, err
		}
		defer be.Free(lg)
	}
	var out []LensLayer
	a, err := m.runFull(ids, func(i int, x tensor.Tensor) error {
		raw, err := be.Read(x, 0, -1)
		if err != nil {
			return err
		}
		m.norm(h, x, m.normW, m.normB)
		be.MatMul(lg, h, m.lmHead, nil) // lg is (T,V)
		logits, err := be.Read(lg, 0, -1)
		if err != nil {
			return err
		}
		ly := LensLayer{Layer: i, Norm: make([]float32, T), Top: make([][]TokenProb, T)}
		for t := 0; t < T; t++ {
			var ss float64
			for _, v := range raw[t*C : (t+1)*C] {
				ss += float64(v) * float64(v)
			}
			ly.Norm[t] = float32(math.Sqrt(ss))
			ly.Top[t] = topProbs(logits[t*V:(t+1)*V], topK)
		}
		out = append(out, ly)
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.free()
	return out, nil
}

// topProbs returns the k most probable tokens of a logits row under
// softmax, most probable first, lower id first on ties.
func topProbs(logits []float32, k int) []TokenProb {
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, float64(v))
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v) - mx)
	}
	// Keep the k best ids in order by insertion: one pass over V, and
	// only a few shifts since most logits lose to the current k-th.
	idx := make([]int32, 0, k)
	for i, v := range logits {
		if len(idx) == k && v <= logits[idx[k-1]] {
			continue // not better than the k-th (ties keep the lower id)
		}
		j := len(idx)
		if j < k {
			idx = append(idx, 0)
		} else {
			j = k - 1
		}
		for j > 0 && logits[idx[j-1]] < v {
			idx[j] = idx[j-1]
			j--
		}
		idx[j] = int32(i)
	}
	top := make([]TokenProb, k)
	for i := range top {
		id := idx[i]
		top[i] = TokenProb{ID: id, Prob: float32(math.Exp(float64(logits[id])-mx) / sum)}
	}
	return top
}

// RunLayers takes x, the residual stream entering decoder layer lo (T rows
// of Hidden values at positions 0..T-1, row-major), through layers
// [lo, hi) and returns the stream leaving layer hi-1; with finalNorm, after
// the model's final norm (the input of lm_head). lo = hi returns x itself
// (finalNorm applied or not). Layer-by-layer quantizers (QEP) keep a float
// and a quantized stream and advance both one layer at a time with it, so
// no layer runs twice for one stream. GPT-2 is not supported (its layer 0
// adds the position embeddings, which x does not carry).
func (m *Model) RunLayers(x []float32, lo, hi int, finalNorm bool) ([]float32, error) {
	C := m.Config.Hidden
	if m.Config.Arch == GPT2 {
		return nil, fmt.Errorf("model: RunLayers does not run gpt2 models")
	}
	if len(x) == 0 || len(x)%C != 0 {
		return nil, fmt.Errorf("model: RunLayers of %d values, not rows of %d", len(x), C)
	}
	T := len(x) / C
	if T > m.Config.MaxPositions {
		return nil, fmt.Errorf("model: %d tokens exceed the model's %d positions", T, m.Config.MaxPositions)
	}
	kc, err := m.newCache(T)
	if err != nil {
		return nil, err
	}
	defer kc.free(m.be)
	a, err := m.newActs(T)
	if err != nil {
		return nil, err
	}
	defer a.free()
	in, err := m.be.UploadF32([]int{T, C}, x)
	if err != nil {
		return nil, err
	}
	defer m.be.Free(in)
	m.be.CopyRows(a.x, 0, in, 0, T)
	if err := m.layerRange(a, kc, 0, lo, hi, nil, finalNorm); err != nil {
		return nil, err
	}
	out := a.x
	if finalNorm {
		out = a.h
	}
	return m.be.Read(out, 0, -1)
}
