package model

import (
	"context"
	"slices"
	"testing"
)

// TestEarlyExit checks the two ends of the threshold on every fixture: at 1
// no token is confident enough (a softmax over hundreds of tokens stays
// below 1), so the ids are plain greedy decoding's with every exit layer L;
// at 1e-9 every token exits after layer 1, and since layer 0's cache rows
// are always computed in full, each token must be the logit lens's layer-1
// argmax (LensLogits, a separate full-sequence pass) of the sequence so far.
func TestEarlyExit(t *testing.T) {
	ctx := context.Background()
	for _, name := range fixtureModels {
		m, ref := loadFixture(t, name)
		prompt := ref.GreedyPrompt
		const n = 12
		want, err := m.Generate(ctx, prompt, GenerateOptions{MaxNewTokens: n, IgnoreEOS: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var st SpecStats
		got, err := m.Generate(ctx, prompt, GenerateOptions{MaxNewTokens: n, IgnoreEOS: true, EarlyExitThreshold: 1, Stats: &st}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s threshold 1: %v, want %v", name, got, want)
		}
		for _, l := range st.ExitLayers {
			if l != m.Config.Layers {
				t.Fatalf("%s threshold 1: exit layers %v", name, st.ExitLayers)
			}
		}
		st = SpecStats{}
		got, err = m.Generate(ctx, prompt, GenerateOptions{MaxNewTokens: n, IgnoreEOS: true, EarlyExitThreshold: 1e-9, Stats: &st}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n || len(st.ExitLayers) != n || st.ExitLayers[0] != m.Config.Layers || got[0] != want[0] {
			t.Fatalf("%s threshold 1e-9: %v exits %v", name, got, st.ExitLayers)
		}
		seq := append(slices.Clone(prompt), got...)
		V := m.Config.VocabSize
		if err := m.LensLogits(seq, func(layer int, lg []float32) error {
			if layer != 1 {
				return nil
			}
			for i := 1; i < n; i++ {
				at := len(prompt) + i - 1 // the position whose next token is got[i]
				if top := argmax(lg[at*V : (at+1)*V]); top != got[i] || st.ExitLayers[i] != 1 {
					t.Fatalf("%s token %d: %d (exit %d), lens layer 1 says %d", name, i, got[i], st.ExitLayers[i], top)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	m, ref := loadFixture(t, "llama-tiny")
	for _, o := range []GenerateOptions{
		{MaxNewTokens: 4, EarlyExitThreshold: 1.5},
		{MaxNewTokens: 4, EarlyExitThreshold: -0.5},
		{MaxNewTokens: 4, EarlyExitThreshold: 0.5, Temperature: 1},
		{MaxNewTokens: 4, EarlyExitThreshold: 0.5, DraftExit: 1},
	} {
		if _, err := m.Generate(ctx, ref.GreedyPrompt, o, nil); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}
