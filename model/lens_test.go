package model

import (
	"errors"
	"math"
	"testing"
)

// lensProbTol bounds the difference between LogitLens's top-1 probability
// and the softmax of LensLogits' row: the same logits, summed in float64 by
// both, so only the float32 rounding of the stored probability differs.
const lensProbTol = 1e-6

// rowArgmax is the index of the largest value, the lower index on ties (as
// LogitLens orders them).
func rowArgmax(row []float32) (int32, float64) {
	best := 0
	for i, v := range row {
		if v > row[best] {
			best = i
		}
	}
	var z float64
	for _, v := range row {
		z += math.Exp(float64(v) - float64(row[best]))
	}
	return int32(best), 1 / z
}

func TestLensLogitsFixtures(t *testing.T) {
	for _, name := range fixtureModels {
		t.Run(name, func(t *testing.T) {
			m, ref := loadFixture(t, name)
			ids := ref.InputIDs
			T, V, L := len(ids), m.Config.VocabSize, m.Config.Layers
			lens, err := m.LogitLens(ids, 1)
			if err != nil {
				t.Fatal(err)
			}
			var layers []int
			var last []float32
			err = m.LensLogits(ids, func(layer int, logits []float32) error {
				layers = append(layers, layer)
				if len(logits) != T*V {
					t.Fatalf("layer %d: %d logits, want %d×%d", layer, len(logits), T, V)
				}
				for p := 0; p < T; p++ {
					id, prob := rowArgmax(logits[p*V : (p+1)*V])
					top := lens[layer].Top[p][0]
					if id != top.ID || math.Abs(prob-float64(top.Prob)) > lensProbTol {
						t.Errorf("layer %d pos %d: argmax %d p=%.7f, LogitLens top-1 %+v", layer, p, id, prob, top)
					}
				}
				last = append(last[:0], logits...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(layers) != L {
				t.Fatalf("called for layers %v, want 1..%d", layers, L)
			}
			for i, l := range layers {
				if l != i+1 {
					t.Fatalf("called for layers %v, want 1..%d in order", layers, L)
				}
			}
			// The last exit is the model itself: the same values as Logits
			// (the same ops), and within the fixture's bound of transformers'.
			want, err := m.Logits(ids)
			if err != nil {
				t.Fatal(err)
			}
			worstSelf, worstHF := 0.0, 0.0
			for p := 0; p < T; p++ {
				worstSelf = math.Max(worstSelf, maxAbsDiff(last[p*V:(p+1)*V], want[p]))
				worstHF = math.Max(worstHF, maxAbsDiff(last[p*V:(p+1)*V], ref.Logits[p]))
			}
			if worstSelf != 0 {
				t.Errorf("layer %d logits differ from Logits by %.3g", L, worstSelf)
			}
			if worstHF > logitTol {
				t.Errorf("layer %d logits differ from transformers' by %.3g > %g", L, worstHF, logitTol)
			}
		})
	}
}

func TestLensLogitsErrors(t *testing.T) {
	m, ref := loadFixture(t, "llama-tiny")
	nop := func(int, []float32) error { return nil }
	if err := m.LensLogits(nil, nop); err == nil {
		t.Error("no tokens: no error")
	}
	long := make([]int32, m.Config.MaxPositions+1)
	if err := m.LensLogits(long, nop); err == nil {
		t.Errorf("%d tokens for %d positions: no error", len(long), m.Config.MaxPositions)
	}
	stop := errors.New("stop")
	calls := 0
	err := m.LensLogits(ref.InputIDs, func(layer int, _ []float32) error {
		calls++
		if layer == 1 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("fn's error: got %v after %d calls, want %v after 1", err, calls, stop)
	}
}
