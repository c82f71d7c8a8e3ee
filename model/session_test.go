package model

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

// kvTol bounds the difference between cached decoding and a full
// recompute. Both run the same f32 kernels, but attention sums over a
// different number of rows per call, so bits may differ slightly.
const kvTol = 1e-4

// randomConfigs are shapes no fixture has: head_dim ≠ hidden/heads, MQA,
// Llama-3 RoPE scaling, biases everywhere, GPT-2 with n_inner and unscaled
// attention, odd sizes that do not divide the parallel chunking.
func randomConfigs() map[string]struct {
	cfg Config
	dt  tensor.DType
} {
	return map[string]struct {
		cfg Config
		dt  tensor.DType
	}{
		"llama-gqa-headdim24-llama3-bias-f16": {Config{Arch: Llama, VocabSize: 301, Hidden: 48, Layers: 3, Heads: 6, KVHeads: 2,
			HeadDim: 24, Intermediate: 100, MaxPositions: 64, NormEps: 1e-5, RopeTheta: 500000,
			RopeScaling: RopeScaling{Type: "llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 16},
			QKVBias:     true, OutBias: true, MLPBias: true}, tensor.F16},
		"qwen2-mqa-tied-f32": {Config{Arch: Qwen2, VocabSize: 200, Hidden: 40, Layers: 2, Heads: 5, KVHeads: 1,
			HeadDim: 8, Intermediate: 72, MaxPositions: 64, NormEps: 1e-6, RopeTheta: 1e6, QKVBias: true,
			TieWordEmbeddings: true}, tensor.F32},
		"gpt2-odd-bf16": {Config{Arch: GPT2, VocabSize: 257, Hidden: 36, Layers: 3, Heads: 3, KVHeads: 3, HeadDim: 12,
			Intermediate: 100, MaxPositions: 40, NormEps: 1e-5, AttnScale: 1, TieWordEmbeddings: true,
			QKVBias: true, OutBias: true, MLPBias: true}, tensor.BF16},
		"llama-linear-untied-f32": {Config{Arch: Llama, VocabSize: 1000, Hidden: 64, Layers: 2, Heads: 4, KVHeads: 4,
			HeadDim: 16, Intermediate: 96, MaxPositions: 64, NormEps: 1e-5, RopeTheta: 10000,
			RopeScaling: RopeScaling{Type: "linear", Factor: 2}}, tensor.F32},
	}
}

func tokens(n, vocab int, seed uint64) []int32 {
	r := NewRNG(seed)
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32(r.Uint64() % uint64(vocab))
	}
	return ids
}

// TestKVCacheMatchesRecompute prefills part of a sequence, decodes the rest
// one token at a time, and compares every step's logits with a full
// recompute of the whole sequence.
func TestKVCacheMatchesRecompute(t *testing.T) {
	for name, rc := range randomConfigs() {
		t.Run(name, func(t *testing.T) {
			m, err := NewRandom(rc.cfg, tensor.NewCPU(), rc.dt, 7)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			ids := tokens(20, rc.cfg.VocabSize, 3)
			full, err := m.Logits(ids)
			if err != nil {
				t.Fatal(err)
			}
			for _, split := range []int{1, 5, 19} {
				s, err := m.NewSession(len(ids))
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.Prefill(ids[:split])
				if err != nil {
					t.Fatal(err)
				}
				if d := maxAbsDiff(got, full[split-1]); d > kvTol {
					t.Errorf("prefill %d: max abs err %.3g", split, d)
				}
				for p := split; p < len(ids); p++ {
					got, err := s.Step(ids[p])
					if err != nil {
						t.Fatal(err)
					}
					if d := maxAbsDiff(got, full[p]); d > kvTol {
						t.Errorf("split %d, step at %d: max abs err %.3g", split, p, d)
					}
				}
				if s.Pos() != len(ids) {
					t.Errorf("Pos %d, want %d", s.Pos(), len(ids))
				}
				// Chunked prefill: the rest of the sequence in one batch at
				// position split (attention with Pos > 0 and T > 1).
				s2, err := m.NewSession(len(ids))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s2.Prefill(ids[:split]); err != nil {
					t.Fatal(err)
				}
				got, err = s2.Prefill(ids[split:])
				if err != nil {
					t.Fatal(err)
				}
				if d := maxAbsDiff(got, full[len(ids)-1]); d > kvTol {
					t.Errorf("chunked prefill at %d: max abs err %.3g", split, d)
				}
				s2.Close()
				if _, err := s.Step(0); err == nil {
					t.Errorf("step past capacity succeeded")
				}
				// After Reset the session reproduces the first prefill, and
				// the argmax path agrees with the logits.
				s.Reset()
				id, err := s.PrefillArgmax(ids[:split])
				if err != nil {
					t.Fatal(err)
				}
				if want := argmax(full[split-1]); id != want {
					t.Errorf("PrefillArgmax %d, want %d", id, want)
				}
				s.Close()
			}
		})
	}
}

// TestLogitLensLastLayerIsLogits checks the lens against the model's own
// output: the last entry's top token and probability come from the logits.
func TestLogitLensLastLayerIsLogits(t *testing.T) {
	rc := randomConfigs()["llama-gqa-headdim24-llama3-bias-f16"]
	m, err := NewRandom(rc.cfg, tensor.NewCPU(), rc.dt, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ids := tokens(6, rc.cfg.VocabSize, 9)
	lens, err := m.LogitLens(ids, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(lens) != rc.cfg.Layers+1 {
		t.Fatalf("%d lens layers, want %d", len(lens), rc.cfg.Layers+1)
	}
	logits, err := m.Logits(ids)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := m.HiddenStates(ids)
	if err != nil {
		t.Fatal(err)
	}
	last := lens[len(lens)-1]
	for p := range ids {
		row := logits[p]
		id := argmax(row)
		var z float64
		for _, v := range row {
			z += math.Exp(float64(v - row[id]))
		}
		if last.Top[p][0].ID != id || math.Abs(float64(last.Top[p][0].Prob)-1/z) > 1e-5 {
			t.Errorf("pos %d: lens top %+v, logits argmax %d p=%.6f", p, last.Top[p][0], id, 1/z)
		}
		for k := 1; k < 3; k++ {
			if last.Top[p][k].Prob > last.Top[p][k-1].Prob {
				t.Errorf("pos %d: top-k not sorted: %+v", p, last.Top[p])
			}
		}
		// Entry 0's norm is the embedding's norm.
		var ss float64
		for _, v := range hs[0][p] {
			ss += float64(v) * float64(v)
		}
		if math.Abs(math.Sqrt(ss)-float64(lens[0].Norm[p])) > 1e-4 {
			t.Errorf("pos %d: lens norm %g, embedding norm %g", p, lens[0].Norm[p], math.Sqrt(ss))
		}
	}
}

func TestGenerateSampling(t *testing.T) {
	rc := randomConfigs()["qwen2-mqa-tied-f32"]
	m, err := NewRandom(rc.cfg, tensor.NewCPU(), rc.dt, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	prompt := tokens(4, rc.cfg.VocabSize, 11)
	ctx := context.Background()
	opts := GenerateOptions{MaxNewTokens: 12, Temperature: 8, TopK: 50, TopP: 0.95, RepetitionPenalty: 1.3, Seed: 42, IgnoreEOS: true}
	a, err := m.Generate(ctx, prompt, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Generate(ctx, prompt, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a, b) || len(a) != 12 {
		t.Errorf("same seed gave %v and %v", a, b)
	}
	differ := false
	for seed := uint64(1); seed < 6 && !differ; seed++ {
		opts.Seed = seed
		c, err := m.Generate(ctx, prompt, opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		differ = !slices.Equal(a, c)
	}
	if !differ {
		t.Errorf("five other seeds all reproduced %v; the seed is not used", a)
	}

	// Streaming callback sees every token and can stop early.
	var streamed []int32
	opts.Seed = 42
	got, err := m.Generate(ctx, prompt, opts, func(id int32) bool {
		streamed = append(streamed, id)
		return len(streamed) < 5
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, a[:5]) || !slices.Equal(streamed, a[:5]) {
		t.Errorf("stopped stream %v / %v, want %v", got, streamed, a[:5])
	}

	// EOS: making the 3rd sampled token an EOS id stops right after it.
	opts.EOS = []int32{a[2]}
	opts.IgnoreEOS = false
	got, err = m.Generate(ctx, prompt, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := a[:slices.Index(a, a[2])+1]; !slices.Equal(got, want) {
		t.Errorf("EOS stop: got %v, want %v", got, want)
	}

	// Stop strings through a Decode function.
	opts.EOS = nil
	opts.IgnoreEOS = true
	opts.StopStrings = []string{"<4>"}
	opts.Decode = func(ids []int32) string {
		s := ""
		for i := range ids {
			if i == 3 {
				s += "<4>"
			} else {
				s += "x"
			}
		}
		return s
	}
	got, err = m.Generate(ctx, prompt, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, a[:4]) {
		t.Errorf("stop string: got %v, want %v", got, a[:4])
	}

	// Cancellation.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Generate(cctx, prompt, opts, nil); err != context.Canceled {
		t.Errorf("cancelled context: err %v", err)
	}
}

// TestSamplerProcessors checks the logits processors on hand-made logits
// against values worked out by hand with transformers' definitions.
func TestSamplerProcessors(t *testing.T) {
	logits := []float32{2, -1, 0.5, 3, 3, -4}
	tests := []struct {
		name string
		opts GenerateOptions
		seen []int
		// allowed is the set of ids that may be sampled.
		allowed []int32
	}{
		{"greedy takes lowest id on ties", GenerateOptions{}, nil, []int32{3}},
		{"repetition penalty demotes seen max", GenerateOptions{RepetitionPenalty: 2}, []int{3}, []int32{4}},
		{"negative logits get multiplied", GenerateOptions{RepetitionPenalty: 10, Temperature: 1, TopK: 1}, []int{0, 3, 4}, []int32{2}},
		{"top-k 1 keeps ties", GenerateOptions{Temperature: 1, TopK: 1}, nil, []int32{3, 4}},
		{"top-k 3", GenerateOptions{Temperature: 1, TopK: 3}, nil, []int32{0, 3, 4}},
		// softmax: p(3)=p(4)≈0.41, p(0)≈0.15; top-p 0.5 keeps {3,4}.
		{"top-p", GenerateOptions{Temperature: 1, TopP: 0.5}, nil, []int32{3, 4}},
		{"cold temperature", GenerateOptions{Temperature: 0.01, TopP: 0.9}, nil, []int32{3, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for seed := uint64(0); seed < 50; seed++ {
				tc.opts.Seed = seed
				s := newSampler(tc.opts, len(logits))
				for _, id := range tc.seen {
					s.seen[id] = true
				}
				got := s.sample(logits)
				if !slices.Contains(tc.allowed, got) {
					t.Fatalf("seed %d sampled %d, allowed %v", seed, got, tc.allowed)
				}
			}
		})
	}
	// An unconstrained sampler at temperature 1 reaches every token with
	// probability above 1% in 2000 draws.
	s := newSampler(GenerateOptions{Temperature: 1, Seed: 3}, len(logits))
	counts := make([]int, len(logits))
	for range 2000 {
		counts[s.sample(logits)]++
	}
	for _, id := range []int{0, 1, 2, 3, 4} {
		if counts[id] == 0 {
			t.Errorf("token %d never sampled: %v", id, counts)
		}
	}
}

func TestRNGKnownValues(t *testing.T) {
	// SplitMix64 reference outputs for seed 1234567 (from the reference C
	// implementation by Vigna, splitmix64.c).
	r := NewRNG(1234567)
	want := []uint64{6457827717110365317, 3203168211198807973, 9817491932198370423}
	for i, w := range want {
		if got := r.Uint64(); got != w {
			t.Errorf("value %d: %d, want %d", i, got, w)
		}
	}
}

func TestTopProbs(t *testing.T) {
	logits := []float32{1, 5, 3, 5, -2, 3, 0}
	got := topProbs(logits, 4)
	wantIDs := []int32{1, 3, 2, 5} // descending, lower id first on ties
	var z float64
	for _, v := range logits {
		z += math.Exp(float64(v) - 5)
	}
	for i, tp := range got {
		if tp.ID != wantIDs[i] {
			t.Fatalf("top ids %+v, want %v", got, wantIDs)
		}
		if want := math.Exp(float64(logits[tp.ID])-5) / z; math.Abs(float64(tp.Prob)-want) > 1e-6 {
			t.Errorf("prob of %d = %g, want %g", tp.ID, tp.Prob, want)
		}
	}
	if all := topProbs(logits, len(logits)); all[len(all)-1].ID != 4 {
		t.Errorf("k = V: last %+v, want id 4", all[len(all)-1])
	}
}

// TestRunLayers: running the embeddings through layers [0,1) then [1,L)
// with the final norm gives HiddenStates' last entry, and [lo,lo) returns
// the input; gpt2 and ragged inputs are errors.
func TestRunLayers(t *testing.T) {
	rc := randomConfigs()["llama-gqa-headdim24-llama3-bias-f16"]
	m, err := NewRandom(rc.cfg, tensor.NewCPU(), rc.dt, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ids := tokens(7, rc.cfg.VocabSize, 3)
	hs, err := m.HiddenStates(ids)
	if err != nil {
		t.Fatal(err)
	}
	var emb []float32
	for _, row := range hs[0] {
		emb = append(emb, row...)
	}
	L := rc.cfg.Layers
	x1, err := m.RunLayers(emb, 0, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.RunLayers(x1, 1, L, true)
	if err != nil {
		t.Fatal(err)
	}
	C := rc.cfg.Hidden
	for p, row := range hs[L] {
		for i, v := range row {
			if d := math.Abs(float64(got[p*C+i] - v)); d > 1e-5*(1+math.Abs(float64(v))) {
				t.Fatalf("RunLayers final state [%d][%d] = %v, HiddenStates %v", p, i, got[p*C+i], v)
			}
		}
	}
	same, err := m.RunLayers(x1, 1, 1, false)
	if err != nil || !slices.Equal(same, x1) {
		t.Fatalf("RunLayers [1,1) changed its input (err %v)", err)
	}
	if _, err := m.RunLayers(emb[:C+1], 0, 1, false); err == nil {
		t.Error("ragged input accepted")
	}
	if _, err := m.RunLayers(emb, 0, L+1, false); err == nil {
		t.Error("layer range past the model accepted")
	}
}
