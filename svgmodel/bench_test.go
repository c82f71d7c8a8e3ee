package svgmodel

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/lamina-ml/lamina/tensor"
)

// shippedDir is the model the editor ships (10.5M params, f16, T=48 slots,
// d_model 256, 6 DiT blocks, a 3-layer caption encoder).
var shippedDir = filepath.Join("..", "models", "layered-emoji")

// loadShipped loads the shipped model on the CPU backend, or skips when the
// checkout lacks it.
func loadShipped(b *testing.B) *Model {
	return loadShippedOn(b, tensor.NewCPU())
}

// loadShippedOn loads models/layered-emoji onto be, skipping the benchmark
// when the checkout lacks it.
func loadShippedOn(b *testing.B, be tensor.Backend) *Model {
	b.Helper()
	if _, err := os.Stat(filepath.Join(shippedDir, "model.safetensors")); err != nil {
		b.Skipf("no shipped model: %v", err)
	}
	m, err := Load(os.DirFS(shippedDir), be)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(m.Close)
	return m
}

// BenchmarkVelocityLayeredEmoji times one DiT forward pass (T=48 slot
// tokens) on the CPU backend: a sample is 2·DefaultSteps of them. Under
// js/wasm it measures the browser's CPU fallback:
//
//	PATH=$PATH:$(go env GOROOT)/lib/wasm GOOS=js GOARCH=wasm \
//	    go test -run '^$' -bench LayeredEmoji -count 5 ./svgmodel
func BenchmarkVelocityLayeredEmoji(b *testing.B) {
	m := loadShipped(b)
	cap, err := m.EncodeCaption("red heart")
	if err != nil {
		b.Fatal(err)
	}
	defer cap.Free()
	n := m.Config.Slots * m.Config.Fields
	x, v := Noise(1, n), make([]float32, n)
	if err := m.Velocity(v, x, 0.5, cap); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := m.Velocity(v, x, 0.5, cap); err != nil {
			b.Fatal(err)
		}
	}
}

// benchCaptions encodes "red heart" and the empty caption (a guided step's two), freed at the
// end of the benchmark.
func benchCaptions(b *testing.B, m *Model) []*Caption {
	b.Helper()
	var caps []*Caption
	for _, p := range []string{"red heart", ""} {
		c, err := m.EncodeCaption(p)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(c.Free)
		caps = append(caps, c)
	}
	return caps
}

// BenchmarkSampleLayeredEmoji times one whole generation with the defaults (24 Euler steps with
// guidance: 24 DiT passes over the prompt and the empty caption, and two caption encodings),
// what the editor waits for per drawing. "batched" runs both captions through one pass per step
// (what Sample does on the CPU backend); "looped" is the baseline of one pass per caption (what
// Sample did before, and does on a backend without tensor.GroupedDiffusionOps). Both report
// s/sample (batched: the median of its samples) and batched the median ratio to looped, each
// batched sample timed next to a looped one (interleaved, as the machine's load varies):
//
//	go test -run '^$' -bench SampleLayeredEmoji -count 5 ./svgmodel
func BenchmarkSampleLayeredEmoji(b *testing.B) {
	m := loadShipped(b)
	n := m.Config.Slots * m.Config.Fields
	noise := Noise(1, n)
	grouped := m.grouped
	sample := func(b *testing.B, batched bool) float64 {
		m.grouped = nil
		if batched {
			m.grouped = grouped
		}
		defer func() { m.grouped = grouped }()
		start := time.Now()
		if _, err := m.Sample(context.Background(), noise, nil, nil, Options{Prompt: "red heart"}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start).Seconds()
	}
	// Warm both paths up first (under js/wasm V8 tiers hot code up while it runs: the first
	// sample of a process would be timed partly on baseline code).
	for _, batched := range []bool{true, false} {
		m.grouped = nil
		if batched {
			m.grouped = grouped
		}
		if _, err := m.Sample(context.Background(), noise, nil, nil, Options{Prompt: "red heart", Steps: 4}); err != nil {
			b.Fatal(err)
		}
		m.grouped = grouped
	}
	var looped []float64
	b.Run("looped", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			looped = append(looped, sample(b, false))
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/sample")
	})
	b.Run("batched", func(b *testing.B) {
		var ratios, secs []float64
		for i := 0; i < b.N; i++ {
			s := sample(b, true)
			l := sample(b, false) // the baseline, interleaved
			ratios, secs = append(ratios, l/s), append(secs, s)
		}
		b.ReportMetric(median(secs), "s/sample")
		b.ReportMetric(median(ratios), "x-vs-looped")
	})
}

// BenchmarkGenerateNLayeredEmoji times four candidates for one prompt (GenerateN) with 1, 2 and
// 4 candidates per DiT pass (batchCandidates; each candidate's guidance pair is one pass), every
// round timing each setting once (interleaved), and reports the median s/candidate of each:
//
//	go test -run '^$' -bench GenerateNLayeredEmoji -benchtime 3x ./svgmodel
func BenchmarkGenerateNLayeredEmoji(b *testing.B) {
	m := loadShipped(b)
	o := Options{Prompt: "red heart", Seed: 1}
	saved := batchCandidates
	defer func() { batchCandidates = saved }()
	if _, err := m.GenerateN(context.Background(), Options{Prompt: "red heart", Steps: 2}, 4); err != nil { // warm-up
		b.Fatal(err)
	}
	per := []int{1, 2, 4}
	secs := make([][]float64, len(per))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, p := range per {
			batchCandidates = p
			start := time.Now()
			if _, err := m.GenerateN(context.Background(), o, 4); err != nil {
				b.Fatal(err)
			}
			secs[j] = append(secs[j], time.Since(start).Seconds()/4)
		}
	}
	for j, p := range per {
		b.ReportMetric(median(secs[j]), fmt.Sprintf("s/candidate-%dperpass", p))
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
