package quant

import (
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

// TestQEPCorrectHandWorked: W = [1 2], H = [[1.5 1] [1 1.5]] (mean
// diagonal 1.5, so damp 1/3 adds 0.5: A = [[2 1] [1 2]], A⁻¹ = ⅓[[2 −1]
// [−1 2]]), D = [[1 0] [2 1]]: W·D = [5 2], W·D·A⁻¹ = ⅓[8 −1], and with
// α = 0.5 the corrected row is [1 + 4/3, 2 − 1/6] = [7/3, 11/6].
func TestQEPCorrectHandWorked(t *testing.T) {
	got, err := qepCorrect([]float32{1, 2}, 1, 2, []float64{1.5, 1, 1, 1.5}, []float64{1, 0, 2, 1}, 0.5, 1.0/3)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{7.0 / 3, 11.0 / 6}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-6 {
			t.Fatalf("corrected W = %v, want %v", got, want)
		}
	}
	// A dead input (H_ii = 0) zeroes its weight, as GPTQ does.
	got, err = qepCorrect([]float32{1, 2}, 1, 2, []float64{2, 0, 0, 0}, []float64{0, 0, 0, 0}, 0.5, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != 1 || got[1] != 0 {
		t.Fatalf("dead input: W = %v, want [1 0]", got)
	}
}

// TestQEPCorrectLeastSquares: with α = 1 and (almost) no damping the
// corrected W' solves the normal equations of min ‖W·X − W'·X̂‖² over
// the calibration rows, W'·Σx̂x̂ᵀ = W·Σx·x̂ᵀ, computed here directly
// from the rows rather than from H and D.
func TestQEPCorrectLeastSquares(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	T, K, N := 200, 12, 5
	x := randn(rng, T*K, 1)
	xq := make([]float32, T*K)
	for i := range x {
		xq[i] = x[i] + float32(0.2*rng.NormFloat64()) // the quantized prefix's error
	}
	w := randn(rng, N*K, 0.3)
	H := make([]float64, K*K)
	D := make([]float64, K*K)
	accumulateQEP(H, D, x, xq, K)
	wc, err := qepCorrect(w, N, K, H, D, 1, 1e-9)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < N; n++ {
		for j := 0; j < K; j++ {
			var lhs, rhs, scale float64
			for tt := 0; tt < T; tt++ {
				var yq, yf float64 // (W'·x̂_t)[n], (W·x_t)[n]
				for k := 0; k < K; k++ {
					yq += float64(wc[n*K+k]) * float64(xq[tt*K+k])
					yf += float64(w[n*K+k]) * float64(x[tt*K+k])
				}
				lhs += yq * float64(xq[tt*K+j])
				rhs += yf * float64(xq[tt*K+j])
				scale += math.Abs(yf * float64(xq[tt*K+j]))
			}
			if math.Abs(lhs-rhs) > 1e-4*scale {
				t.Fatalf("normal equation (%d,%d): W'Σx̂x̂ᵀ = %v, WΣxx̂ᵀ = %v", n, j, lhs, rhs)
			}
		}
	}
}

// TestQEPBeatsGPTQ quantizes the tiny random llama with GPTQ and with
// QEP (GPTQ on the corrected weights) at the same width and measures, on
// windows not used for calibration, the squared error of the quantized
// model's logits against the float model's: QEP's must be lower.
func TestQEPBeatsGPTQ(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	ids := func(n, T int) [][]int32 {
		out := make([][]int32, n)
		for i := range out {
			out[i] = make([]int32, T)
			for j := range out[i] {
				out[i][j] = int32(rng.IntN(4096))
			}
		}
		return out
	}
	calib, held := ids(16, 64), ids(6, 64)
	ref, err := model.LoadDir(tinyLM, tensor.NewCPU())
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	var want [][][]float32
	for _, w := range held {
		lg, err := ref.Logits(w)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, lg)
	}
	logitError := func(dir string) float64 {
		m, err := model.LoadDir(dir, tensor.NewCPU())
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		var e float64
		for i, w := range held {
			lg, err := m.Logits(w)
			if err != nil {
				t.Fatal(err)
			}
			for p := range lg {
				for v := range lg[p] {
					d := float64(lg[p][v] - want[i][p][v])
					e += d * d
				}
			}
		}
		return e
	}
	for _, s := range []Spec{{3, 32}, {4, 32}} {
		errs := map[string]float64{}
		for _, method := range []string{"gptq", "qep"} {
			out := filepath.Join(t.TempDir(), method)
			opt := Options{Spec: s, Method: method, Head: Spec{}}
			if _, err := QuantizeFolder(tinyLM, out, calib, opt, io.Discard); err != nil {
				t.Fatalf("%s: %v", method, err)
			}
			errs[method] = logitError(out)
		}
		t.Logf("%d-bit g%d: held-out logit squared error GPTQ %.4g, QEP %.4g (%.2fx)", s.Bits, s.Group, errs["gptq"], errs["qep"], errs["gptq"]/errs["qep"])
		if !(errs["qep"] < errs["gptq"]) {
			t.Errorf("%d-bit: QEP's logit error %v is not below GPTQ's %v", s.Bits, errs["qep"], errs["gptq"])
		}
	}
}
