package svgmodel

import (
	"testing"
	"time"

	"github.com/lamina-ml/lamina/tensor"
)

// timedCPU is the CPU backend with wall time summed per op kind, to show
// where one DiT forward spends its time (matmuls against the rest).
type timedCPU struct {
	tensor.Backend
	ops tensor.DiffusionOps
	gr  tensor.GroupedDiffusionOps
	t   map[string]time.Duration
}

func (b *timedCPU) since(op string, s time.Time) { b.t[op] += time.Since(s) }

func (b *timedCPU) MatMul(out, x, w, bias tensor.Tensor) {
	defer b.since("matmul", time.Now())
	b.Backend.MatMul(out, x, w, bias)
}
func (b *timedCPU) LayerNorm(out, x, w, bb tensor.Tensor, eps float32) {
	defer b.since("layernorm", time.Now())
	b.Backend.LayerNorm(out, x, w, bb, eps)
}
func (b *timedCPU) GeluTanh(out, x tensor.Tensor) {
	defer b.since("gelu", time.Now())
	b.Backend.GeluTanh(out, x)
}
func (b *timedCPU) Add(out, x, y tensor.Tensor) {
	defer b.since("add", time.Now())
	b.Backend.Add(out, x, y)
}
func (b *timedCPU) AttentionFull(out, q, k, v tensor.Tensor, heads, headDim int, scale float32) {
	defer b.since("attention", time.Now())
	b.ops.AttentionFull(out, q, k, v, heads, headDim, scale)
}
func (b *timedCPU) AddScaled(out, a, s, bb tensor.Tensor) {
	defer b.since("addscaled", time.Now())
	b.ops.AddScaled(out, a, s, bb)
}

func (b *timedCPU) AttentionFullRows(out, q, k, v tensor.Tensor, qRow, qRows, kRow, kRows, heads, headDim int, scale float32) {
	defer b.since("attention", time.Now())
	b.gr.AttentionFullRows(out, q, k, v, qRow, qRows, kRow, kRows, heads, headDim, scale)
}
func (b *timedCPU) LayerNormGroups(out, x, w, bb tensor.Tensor, eps float32) {
	defer b.since("layernorm", time.Now())
	b.gr.LayerNormGroups(out, x, w, bb, eps)
}
func (b *timedCPU) AddScaledGroups(out, a, s, bb tensor.Tensor) {
	defer b.since("addscaled", time.Now())
	b.gr.AddScaledGroups(out, a, s, bb)
}
func (b *timedCPU) ReadInto(dst []float32, t tensor.Tensor, from, n int) error {
	return b.Backend.(tensor.ReaderInto).ReadInto(dst, t, from, n)
}

// BenchmarkVelocityOpsLayeredEmoji times one guided sampling step (the prompt and the empty
// caption in one batched DiT pass, as Sample runs it) with the time per op kind reported as
// ms/op-kind metrics (the rest: uploads, reads, SiLU, the Go glue).
func BenchmarkVelocityOpsLayeredEmoji(b *testing.B) {
	cpu := tensor.NewCPU()
	be := &timedCPU{Backend: cpu, ops: cpu.(tensor.DiffusionOps), gr: cpu.(tensor.GroupedDiffusionOps), t: map[string]time.Duration{}}
	m := loadShippedOn(b, be)
	caps := benchCaptions(b, m)
	n := m.Config.Slots * m.Config.Fields
	x := append(Noise(1, n), Noise(1, n)...)
	v := make([]float32, len(x))
	if err := m.VelocityBatch(v, x, 0.5, caps, 1); err != nil {
		b.Fatal(err)
	}
	clear(be.t)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := m.VelocityBatch(v, x, 0.5, caps, 1); err != nil {
			b.Fatal(err)
		}
	}
	for op, d := range be.t {
		b.ReportMetric(d.Seconds()*1e3/float64(b.N), "ms-"+op)
	}
}
