package tensor

import (
	"math"
	"slices"
	"testing"
)

// Scale and GeluTanhMul (model.GemmaOps) against float64 formulas:
// gelu_pytorch_tanh(g) = g/2·(1+tanh(√(2/π)·(g+0.044715g³))).
func TestGemmaOps(t *testing.T) {
	be := NewCPU()
	type ops interface {
		Scale(x Tensor, s float32)
		GeluTanhMul(out, gate, up Tensor)
	}
	o := be.(ops)
	const n = 64
	g, u := make([]float32, n), make([]float32, n)
	for i := range g {
		g[i] = float32(i-32) / 6
		u[i] = float32(math.Cos(float64(i)))
	}
	gt, _ := be.UploadF32([]int{1, n}, g)
	ut, _ := be.UploadF32([]int{1, n}, u)
	o.GeluTanhMul(ut, gt, ut)
	got, err := be.Read(ut, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	gelu := func(x float32) float64 {
		xf := float64(x)
		return 0.5 * xf * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(xf+0.044715*xf*xf*xf)))
	}
	for i, x := range g {
		want := gelu(x) * float64(u[i])
		if math.Abs(float64(got[i])-want) > 1e-5*(1+math.Abs(want)) {
			t.Fatalf("GeluTanhMul[%d] = %g, want %g", i, got[i], want)
		}
	}
	// The gate is left as it was; out = gate = up is gelu(x)·x.
	if gg, _ := be.Read(gt, 0, 1); !slices.Equal(gg, g) {
		t.Fatalf("GeluTanhMul changed its gate: %v", gg)
	}
	o.GeluTanhMul(gt, gt, gt)
	both, _ := be.Read(gt, 0, 1)
	for i, x := range g {
		if want := gelu(x) * float64(x); math.Abs(float64(both[i])-want) > 1e-5*(1+math.Abs(want)) {
			t.Fatalf("GeluTanhMul(x, x, x)[%d] = %g, want %g", i, both[i], want)
		}
	}
	xt, _ := be.UploadF32([]int{2, 3}, []float32{1, -2, 3, 0.5, 0, -8})
	o.Scale(xt, 8)
	sc, _ := be.Read(xt, 0, 2)
	for i, w := range []float32{8, -16, 24, 4, 0, -64} {
		if sc[i] != w {
			t.Fatalf("Scale: %v", sc)
		}
	}
}
