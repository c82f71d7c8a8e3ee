package model

import (
	"runtime"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

// decodeShape is big enough that matmuls and attention take the parallel
// path natively, small enough for a unit test.
var decodeShape = Config{Arch: Llama, VocabSize: 4096, Hidden: 256, Layers: 2, Heads: 4, KVHeads: 2,
	HeadDim: 64, Intermediate: 512, MaxPositions: 256, NormEps: 1e-5, RopeTheta: 10000}

// maxDecodeBytesPerToken bounds host allocation per decoded token. The
// activations, logits and KV cache are allocated once per session; what
// remains is goroutine bookkeeping of the parallel ops, a few hundred bytes
// per op (mostly in package kernels). A logits row alone would be 16 KiB here, so a regression that
// allocates activations or logits per token fails this.
const maxDecodeBytesPerToken = 12 << 10

func TestDecodeAllocations(t *testing.T) {
	m, err := NewRandom(decodeShape, tensor.NewCPU(), tensor.F16, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s, err := m.NewSession(200)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Prefill(tokens(8, decodeShape.VocabSize, 1)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		step func() error
	}{
		{"Step", func() error { _, err := s.Step(5); return err }},
		{"StepArgmax", func() error { _, err := s.StepArgmax(5); return err }},
	} {
		// Warm up pools, then measure TotalAlloc over a run of steps.
		const steps = 50
		for range 3 {
			if err := tc.step(); err != nil {
				t.Fatal(err)
			}
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range steps {
			if s.Pos() >= 199 {
				s.Reset()
			}
			if err := tc.step(); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		perToken := (after.TotalAlloc - before.TotalAlloc) / steps
		t.Logf("%s: %d B/token", tc.name, perToken)
		if perToken > maxDecodeBytesPerToken {
			t.Errorf("%s allocates %d bytes per token, want ≤ %d", tc.name, perToken, maxDecodeBytesPerToken)
		}
	}
}
