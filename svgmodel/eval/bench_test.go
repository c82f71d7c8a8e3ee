package eval

import (
	"context"
	"os"
	"testing"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/tensor"
)

// BenchmarkSample times one generation (svgmodel.DefaultSteps Euler steps, guidance
// svgmodel.DefaultCFG) on the CPU backend, natively or under js/wasm (Node) with
//
//	PATH=$PATH:$(go env GOROOT)/lib/wasm GOOS=js GOARCH=wasm go test -run XXX -bench Sample ./svgmodel/eval
//
// LAMINA_EVAL_MODEL names the model folder (default: the tiny test model).
func BenchmarkSample(b *testing.B) {
	dir := os.Getenv("LAMINA_EVAL_MODEL")
	if dir == "" {
		dir = "../testdata/tiny"
	}
	m, err := svgmodel.Load(os.DirFS(dir), tensor.NewCPU())
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Generate(context.Background(), svgmodel.Options{Prompt: "red heart", Seed: uint64(i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/sample")
	b.ReportMetric(float64(m.Config.DModel), "d_model")
}
