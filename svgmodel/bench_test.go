package svgmodel

import (
	"context"
	"os"
	"path/filepath"
	"testing"

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

// BenchmarkSampleLayeredEmoji times one whole generation with the defaults
// (24 Euler steps with guidance: 48 forward passes and two caption
// encodings), what the editor waits for per drawing.
func BenchmarkSampleLayeredEmoji(b *testing.B) {
	m := loadShipped(b)
	n := m.Config.Slots * m.Config.Fields
	noise := Noise(1, n)
	for i := 0; i < b.N; i++ {
		if _, err := m.Sample(context.Background(), noise, nil, nil, Options{Prompt: "red heart"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/sample")
}
