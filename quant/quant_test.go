package quant

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randn(rng *rand.Rand, n int, s float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64() * s)
	}
	return v
}

// TestRTNNearest: every RTN code is the nearest representable value of its
// group (checked by trying every code), and the codes fit their width.
func TestRTNNearest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, s := range []Spec{{8, 0}, {4, 32}, {4, 128}, {3, 32}} {
		N, K := 5, 150
		w := randn(rng, N*K, 0.05)
		m, err := RTN(w, N, K, s)
		if err != nil {
			t.Fatal(err)
		}
		deq := m.Dequantize()
		G := groupCols(s, K)
		for n := 0; n < N; n++ {
			for k := 0; k < K; k++ {
				gi := n*m.Groups() + k/G
				sc := float64(m.Scale[gi])
				var z float64
				lo, hi := -127, 127
				if s.Bits != 8 {
					z = -float64(m.Min[gi]) / sc
					lo, hi = 0, 1<<s.Bits-1
				}
				if c := m.Code(n, k); c < lo || c > hi {
					t.Fatalf("%+v: code %d outside [%d,%d]", s, c, lo, hi)
				}
				v := float64(w[n*K+k])
				best := math.Inf(1)
				for q := lo; q <= hi; q++ {
					best = math.Min(best, math.Abs(v-sc*(float64(q)-z)))
				}
				if got := math.Abs(v - float64(deq[n*K+k])); got > best+1e-6 {
					t.Fatalf("%+v: w[%d,%d]=%v → %v (error %v), nearest code has error %v", s, n, k, v, deq[n*K+k], got, best)
				}
			}
		}
	}
}

// outputError is Σ over calibration rows of ‖x·(w−ŵ)ᵀ‖².
func outputError(x []float32, T int, w, wq []float32, N, K int) float64 {
	var e float64
	for t := 0; t < T; t++ {
		for n := 0; n < N; n++ {
			var s float64
			for k := 0; k < K; k++ {
				s += float64(x[t*K+k]) * float64(w[n*K+k]-wq[n*K+k])
			}
			e += s * s
		}
	}
	return e
}

func hessian(x []float32, T, K int) []float64 {
	H := make([]float64, K*K)
	for t := 0; t < T; t++ {
		xr := x[t*K : t*K+K]
		for i, a := range xr {
			for j, b := range xr {
				H[i*K+j] += float64(a) * float64(b)
			}
		}
	}
	return H
}

// TestGPTQBeatsRTN: on correlated inputs GPTQ's output error is well below
// RTN's (the point of the method), and with H = I (no correlations, nothing
// to push the error along) GPTQ gives exactly RTN's codes.
func TestGPTQBeatsRTN(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	T, K, N := 400, 96, 24
	// x = z·A: strongly correlated features.
	z := randn(rng, T*K, 1)
	A := randn(rng, K*K, 1/math.Sqrt(float64(K)))
	for i := 0; i < K; i++ {
		A[i*K+i] += 1
	}
	x := make([]float32, T*K)
	for tt := 0; tt < T; tt++ {
		for j := 0; j < K; j++ {
			var s float32
			for i := 0; i < K; i++ {
				s += z[tt*K+i] * A[i*K+j]
			}
			x[tt*K+j] = s
		}
	}
	w := randn(rng, N*K, 0.1)
	H := hessian(x, T, K)
	for _, s := range []Spec{{4, 32}, {3, 32}, {8, 0}} {
		r, err := RTN(w, N, K, s)
		if err != nil {
			t.Fatal(err)
		}
		g, err := GPTQ(w, N, K, H, s, GPTQOptions{})
		if err != nil {
			t.Fatal(err)
		}
		er, eg := outputError(x, T, w, r.Dequantize(), N, K), outputError(x, T, w, g.Dequantize(), N, K)
		t.Logf("%+v: output error RTN %.4g, GPTQ %.4g (%.2fx)", s, er, eg, er/eg)
		if !(eg < 0.7*er) {
			t.Errorf("%+v: GPTQ output error %v not well below RTN's %v", s, eg, er)
		}
	}
	I := make([]float64, K*K)
	for i := 0; i < K; i++ {
		I[i*K+i] = 1
	}
	s := Spec{4, 32}
	r, _ := RTN(w, N, K, s)
	g, err := GPTQ(w, N, K, I, s, GPTQOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < N; n++ {
		for k := 0; k < K; k++ {
			if r.Code(n, k) != g.Code(n, k) {
				t.Fatalf("H=I: GPTQ code (%d,%d) = %d, RTN %d", n, k, g.Code(n, k), r.Code(n, k))
			}
		}
	}
}

// TestInvHessianFactor: Uᵀ·U·(H + damp) = I.
func TestInvHessianFactor(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	K, T := 40, 100
	x := randn(rng, T*K, 1)
	H := hessian(x, T, K)
	U, err := invHessianFactor(H, K, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	var mean float64
	for i := 0; i < K; i++ {
		mean += H[i*K+i] / float64(K)
	}
	for i := 0; i < K; i++ {
		for j := 0; j < K; j++ {
			var s float64
			for k := 0; k < K; k++ {
				var hinv float64 // (UᵀU)[i][k]
				for l := 0; l < K; l++ {
					hinv += float64(U[l*K+i]) * float64(U[l*K+k])
				}
				hk := H[k*K+j]
				if k == j {
					hk += 0.01 * mean
				}
				s += hinv * hk
			}
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(s-want) > 1e-4 {
				t.Fatalf("(UᵀU·H)[%d][%d] = %v, want %v", i, j, s, want)
			}
		}
		if U[i*K+(i+K-1)%K] != 0 && i > 0 {
			t.Fatalf("U not upper triangular at (%d,%d)", i, i-1)
		}
	}
	if _, err := invHessianFactor(make([]float64, 4), 2, 0.01); err == nil {
		t.Fatal("zero Hessian factored")
	}
}

// TestGPTQActOrder: with --act-order the codes come back in the stored
// column order (quantizing a column-permuted problem gives the same matrix
// permuted, per-row grids, where the order depends only on the Hessian's
// diagonal), group grids are the static ones (RTN's grids of the original
// weights, exactly), and on inputs with a few high-energy columns the
// output error is below RTN's and below plain GPTQ's.
func TestGPTQActOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	T, K, N := 300, 64, 16
	x := randn(rng, T*K, 1)
	// Correlated features with a few columns of much larger variance (the
	// outlier inputs act-order is for).
	for tt := 0; tt < T; tt++ {
		for k := 1; k < K; k++ {
			x[tt*K+k] += 0.6 * x[tt*K+k-1]
		}
		for _, k := range []int{5, 23, 41, 60} {
			x[tt*K+k] *= 8
		}
	}
	w := randn(rng, N*K, 0.1)
	H := hessian(x, T, K)
	act := GPTQOptions{ActOrder: true}

	// Permutation: column k of the permuted problem is column pi[k].
	pi := rng.Perm(K)
	wp := make([]float32, N*K)
	Hp := make([]float64, K*K)
	for n := 0; n < N; n++ {
		for k := 0; k < K; k++ {
			wp[n*K+k] = w[n*K+pi[k]]
		}
	}
	for i := 0; i < K; i++ {
		for j := 0; j < K; j++ {
			Hp[i*K+j] = H[pi[i]*K+pi[j]]
		}
	}
	for _, s := range []Spec{{8, 0}, {4, 0}} {
		a, err := GPTQ(w, N, K, H, s, act)
		if err != nil {
			t.Fatal(err)
		}
		b, err := GPTQ(wp, N, K, Hp, s, act)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < N; n++ {
			for k := 0; k < K; k++ {
				if a.Code(n, pi[k]) != b.Code(n, k) {
					t.Fatalf("%+v: act-order code (%d,%d) = %d, permuted problem's (%d,%d) = %d", s, n, pi[k], a.Code(n, pi[k]), n, k, b.Code(n, k))
				}
			}
		}
	}
	for _, s := range []Spec{{4, 32}, {3, 32}, {4, 0}} {
		g, err := GPTQ(w, N, K, H, s, GPTQOptions{})
		if err != nil {
			t.Fatal(err)
		}
		a, err := GPTQ(w, N, K, H, s, act)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := RTN(w, N, K, s)
		for i := range r.Scale {
			if a.Scale[i] != r.Scale[i] || a.Min[i] != r.Min[i] {
				t.Fatalf("%+v: act-order grid %d is (%v,%v), static (RTN's) is (%v,%v)", s, i, a.Scale[i], a.Min[i], r.Scale[i], r.Min[i])
			}
		}
		er, eg, ea := outputError(x, T, w, r.Dequantize(), N, K), outputError(x, T, w, g.Dequantize(), N, K), outputError(x, T, w, a.Dequantize(), N, K)
		t.Logf("%+v: output error RTN %.4g, GPTQ %.4g, GPTQ act-order %.4g", s, er, eg, ea)
		if !(ea < eg && ea < er) {
			t.Errorf("%+v: act-order error %v not below GPTQ's %v and RTN's %v", s, ea, eg, er)
		}
	}
}
