package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// randomQMatrix fills a matrix with random codes, scales and mins and
// returns it with the weights those stand for, computed here from the
// drawn integers (not through the matrix's own decoding).
func randomQMatrix(t *testing.T, rng *rand.Rand, bits, N, K, group int) (*QMatrix, []float32) {
	t.Helper()
	m, err := NewQMatrix(bits, N, K, group)
	if err != nil {
		t.Fatal(err)
	}
	G := group
	if G == 0 {
		G = K
	}
	ng := m.Groups()
	for i := range m.Scale {
		m.Scale[i] = float32(rng.Float64()*0.02 + 0.001)
		if bits == 4 {
			m.Min[i] = -m.Scale[i] * float32(rng.IntN(16))
		}
	}
	w := make([]float32, N*K)
	for n := 0; n < N; n++ {
		for k := 0; k < K; k++ {
			var q int
			if bits == 8 {
				q = rng.IntN(255) - 127
			} else {
				q = rng.IntN(16)
			}
			m.SetCode(n, k, q)
			g := n*ng + k/G
			v := float64(m.Scale[g]) * float64(q)
			if bits == 4 {
				v += float64(m.Min[g])
			}
			w[n*K+k] = float32(v)
		}
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	return m, w
}

func TestQMatrixDequantize(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, bits := range []int{8, 4} {
		for _, g := range []int{0, 32, 128} {
			m, w := randomQMatrix(t, rng, bits, 7, 201, g)
			got := m.Dequantize()
			for i := range w {
				if math.Abs(float64(got[i]-w[i])) > 1e-6*math.Abs(float64(w[i]))+1e-7 {
					t.Fatalf("bits %d group %d: w[%d] = %v, want %v", bits, g, i, got[i], w[i])
				}
			}
			for _, qk := range testQuantSets() {
				row := make([]float32, m.Kp())
				for n := 0; n < m.N; n++ {
					qk.dequantRow(m, n, row)
					for k := 0; k < m.K; k++ {
						// A rounding of the terms apart at most: the assembly fuses
						// scale·q + min into one FMA.
						if want := got[n*m.K+k]; math.Abs(float64(row[k]-want)) > 2e-7*math.Abs(float64(want))+1e-7 {
							t.Fatalf("%s dequantRow bits %d group %d (%d,%d) = %v, want %v", qk.name, bits, g, n, k, row[k], got[n*m.K+k])
						}
					}
				}
			}
		}
	}
}

// TestMatMulQMatchesReference checks the fused kernels of every set against
// the f32 reference product of the dequantized weights, on shapes that are
// not multiples of the 32-column block or of the group.
func TestMatMulQMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, ks := range testKernelSets() {
		for _, qk := range testQuantSets() {
			for _, bits := range []int{8, 4} {
				for _, g := range []int{0, 32, 128} {
					for _, sh := range [][3]int{{1, 1, 1}, {1, 31, 5}, {2, 33, 67}, {1, 200, 130}, {3, 100, 9}, {17, 384, 70}, {1, 1024, 300}} {
						T, K, N := sh[0], sh[1], sh[2]
						name := fmt.Sprintf("%s/%s/q%d/g%d/T%dK%dN%d", ks.name, qk.name, bits, g, T, K, N)
						w, x, want, got := quantCase(t, rng, ks, qk, false, bits, g, T, K, N)
						for tt := 0; tt < T; tt++ {
							for n := 0; n < N; n++ {
								var abs float64
								for k := 0; k < K; k++ {
									abs += math.Abs(float64(x[tt*K+k] * w[n*K+k]))
								}
								d := math.Abs(float64(got[tt*N+n] - want[tt*N+n]))
								if d > matmulSumTol*abs+1e-6 {
									t.Fatalf("%s: out[%d,%d] = %v, want %v (|x·w| sum %v)", name, tt, n, got[tt*N+n], want[tt*N+n], abs)
								}
							}
						}
					}
				}
			}
		}
	}
}

// quantCase draws a random (N,K) matrix and x (T,K) and returns x with
// the weights it stands for, the f32 reference product of those and the
// kernels' product.
func quantCase(t *testing.T, rng *rand.Rand, ks *kernelSet, qk *quantKernels, int8x bool, bits, g, T, K, N int) (w, x, want, got []float32) {
	m, w := randomQMatrix(t, rng, bits, N, K, g)
	x = make([]float32, T*K)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	want = make([]float32, T*N)
	matMulF32Ref(want, x, w, T, K, N)
	got = make([]float32, T*N)
	matMulQWith(ks, qk, int8x, got, x, m, T)
	return w, x, want, got
}

func TestQMatrixValidate(t *testing.T) {
	good, _ := NewQMatrix(4, 3, 40, 32)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]QMatrix{
		"bits":  {Bits: 5, N: 1, K: 32},
		"group": {Bits: 8, N: 1, K: 32, Group: 20, Q: make([]byte, 32), Scale: make([]float32, 2)},
		"codes": {Bits: 8, N: 1, K: 32, Q: make([]byte, 31), Scale: make([]float32, 1)},
		"scale": {Bits: 8, N: 1, K: 32, Q: make([]byte, 32)},
		"mins":  {Bits: 4, N: 1, K: 32, Q: make([]byte, 16), Scale: make([]float32, 1)},
	} {
		if err := m.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, m)
		}
	}
}

// TestQuantizeActs checks the activation quantizer on hand-worked blocks:
// max|x| = 127 gives step 1, halves round to even, and the Q4 order
// stores blocks 0 and 1 as a pair (low-nibble columns 0-7 and 16-23 of
// block 0, of block 1, then the high-nibble columns 8-15 and 24-31 of
// block 0, of block 1) and the unpaired block 2 as its low then high
// columns.
func TestQuantizeActs(t *testing.T) {
	x := make([]float32, 96)
	x[0], x[1], x[2], x[9], x[17], x[31] = 127, -63.5, 0.49, 2.5, -3, 1
	x[32] = -0.5 // block 1: step 0.5/127, so -0.5 → -127
	x[40] = 0.25 // 0.25·254 = 63.5 → 64
	x[64+9], x[64+20] = -127, 5
	xq, xd := make([]int8, 96), make([]float32, 3)
	if !quantizeActs(xq, xd, x, false) {
		t.Fatal("finite x refused")
	}
	if xd[0] != 1 || xd[1] != float32(0.5)/127 || xd[2] != 1 {
		t.Fatalf("scales %v, want [1 %v 1]", xd, float32(0.5)/127)
	}
	want := map[int]int8{0: 127, 1: -64, 2: 0, 9: 2, 17: -3, 31: 1, 32: -127, 40: 64, 73: -127, 84: 5}
	for k, v := range xq {
		if v != want[k] {
			t.Fatalf("xq[%d] = %d, want %d", k, v, want[k])
		}
	}
	quantizeActs(xq, xd, x, true)
	// Block 0: column 9 is hi(0)[1] at 32+1, 17 is lo(0)[9], 31 is
	// hi(0)[15]; block 1: column 0 is lo(1)[0] at 16, column 8 hi(1)[0]
	// at 48; block 2 (at 64): column 9 is hi[1] at 64+16+1, 20 lo[12].
	want = map[int]int8{0: 127, 1: -64, 33: 2, 9: -3, 47: 1, 16: -127, 48: 64, 81: -127, 76: 5}
	for k, v := range xq {
		if v != want[k] {
			t.Fatalf("Q4 order: xq[%d] = %d, want %d", k, v, want[k])
		}
	}
	for _, bad := range []float64{math.Inf(-1), math.NaN()} {
		x[5] = float32(bad)
		for _, qk := range testQuantSets() {
			if qk.quantActs(xq, xd, x, false) {
				t.Fatalf("%s: x holding %v was quantized", qk.name, bad)
			}
		}
	}
}

// TestQuantActsSetsAgree: every set's quantActs writes quantizeActs'
// bytes and scales, in both orders, zero blocks and ties included.
func TestQuantActsSetsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const nblk = 37
	x := make([]float32, nblk*32)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * math.Exp(rng.NormFloat64()))
	}
	clear(x[64:96])
	x[100], x[101], x[102] = 127, 0.5, -1.5 // block 3: step 1, ties
	for _, q4 := range []bool{false, true} {
		wq, wd := make([]int8, len(x)), make([]float32, nblk)
		quantizeActs(wq, wd, x, q4)
		for _, qk := range testQuantSets() {
			gq, gd := make([]int8, len(x)), make([]float32, nblk)
			if !qk.quantActs(gq, gd, x, q4) {
				t.Fatalf("%s refused finite x", qk.name)
			}
			for b := range wd {
				if gd[b] != wd[b] {
					t.Fatalf("%s q4 %v: xd[%d] = %v, want %v", qk.name, q4, b, gd[b], wd[b])
				}
			}
			for k := range wq {
				if gq[k] != wq[k] {
					t.Fatalf("%s q4 %v: xq[%d] = %d, want %d", qk.name, q4, k, gq[k], wq[k])
				}
			}
		}
	}
}

// TestMatMulQInt8Bound checks the int8-activation matvecs of every set
// against the f32 product of the dequantized weights. Quantizing x moves
// each x_k by at most half its block's step xd = max|x_block|/127, so the
// product moves by at most Σ_k |w_k|·xd_k/2 (the bound is computed here
// from x, not from the kernel's scales); on top of that the f32 sums may
// differ by matmulSumTol of Σ|x·w|. Shapes are off the block and group
// sizes, K up to 4000 (125 blocks, and a per-row group of odd length).
func TestMatMulQInt8Bound(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, qk := range testQuantSets() {
		for _, bits := range []int{8, 4} {
			for _, g := range []int{0, 32, 64, 128} {
				for _, sh := range [][3]int{{1, 1, 1}, {1, 31, 5}, {2, 33, 67}, {1, 200, 130}, {1, 1024, 300}, {2, 4000, 70}, {1, 384, 129}, {1, 416, 65}} {
					T, K, N := sh[0], sh[1], sh[2]
					name := fmt.Sprintf("%s/q%d/g%d/T%dK%dN%d", qk.name, bits, g, T, K, N)
					w, x, want, got := quantCase(t, rng, active, qk, true, bits, g, T, K, N)
					var worst float64
					for tt := 0; tt < T; tt++ {
						step := make([]float64, K) // xd of each column's block
						for b := 0; b*32 < K; b++ {
							var amax float64
							for k := b * 32; k < min(b*32+32, K); k++ {
								amax = math.Max(amax, math.Abs(float64(x[tt*K+k])))
							}
							for k := b * 32; k < min(b*32+32, K); k++ {
								step[k] = amax / 127
							}
						}
						for n := 0; n < N; n++ {
							var abs, bound float64
							for k := 0; k < K; k++ {
								wk := math.Abs(float64(w[n*K+k]))
								abs += math.Abs(float64(x[tt*K+k])) * wk
								bound += wk * step[k] / 2
							}
							d := math.Abs(float64(got[tt*N+n] - want[tt*N+n]))
							if d > bound*(1+1e-4)+matmulSumTol*abs+1e-6 {
								t.Fatalf("%s: out[%d,%d] = %v, f32 reference %v: |Δ| %.3g > bound %.3g", name, tt, n, got[tt*N+n], want[tt*N+n], d, bound)
							}
							worst = math.Max(worst, d/(bound+1e-30))
						}
					}
					// The bound is not slack: the errors fill a good part of it.
					if K >= 200 && worst < 0.02 {
						t.Fatalf("%s: largest error only %.3g of the bound: was x quantized at all?", name, worst)
					}
				}
			}
		}
	}
}

// TestMatMulQInt8SetsAgree: the assembly and pure-Go int8 kernels do the
// same integer sums, so they agree to f32 rounding of the block sums.
func TestMatMulQInt8SetsAgree(t *testing.T) {
	sets := testQuantSets()
	if len(sets) < 2 {
		t.Skip("only the pure-Go set runs here")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, bits := range []int{8, 4} {
		for _, g := range []int{0, 32, 64, 128} {
			for _, sh := range [][2]int{{31, 5}, {100, 9}, {4000, 70}, {1000, 130}, {384, 67}, {416, 9}, {200, 3}, {65, 1}} {
				K, N := sh[0], sh[1]
				m, _ := randomQMatrix(t, rng, bits, N, K, g)
				x := make([]float32, K)
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				ref := make([]float32, N)
				matMulQWith(active, sets[0], true, ref, x, m, 1)
				for _, qk := range sets[1:] {
					got := make([]float32, N)
					matMulQWith(active, qk, true, got, x, m, 1)
					for n := range got {
						if d := math.Abs(float64(got[n] - ref[n])); d > 1e-5*(1+math.Abs(float64(ref[n]))) {
							t.Fatalf("%s q%d g%d K%d: out[%d] = %v, pure Go %v", qk.name, bits, g, K, n, got[n], ref[n])
						}
					}
				}
			}
		}
	}
}

// TestQuantDotSwitch: MatMulQ follows SetExactQuantDot, and x holding an
// infinity takes the exact path (an infinite output, not garbage).
func TestQuantDotSwitch(t *testing.T) {
	defer SetExactQuantDot(SetExactQuantDot(true))
	rng := rand.New(rand.NewPCG(9, 10))
	m, w := randomQMatrix(t, rng, 8, 40, 300, 0)
	x := make([]float32, 300)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	want := make([]float32, 40)
	matMulF32Ref(want, x, w, 1, 300, 40)
	exact := make([]float32, 40)
	MatMulQ(exact, x, m, 1)
	if QuantDotName() != "f32" {
		t.Fatalf("QuantDotName %q after SetExactQuantDot(true)", QuantDotName())
	}
	SetExactQuantDot(false)
	approx := make([]float32, 40)
	MatMulQ(approx, x, m, 1)
	var dExact, dApprox float64
	for n := range want {
		dExact = math.Max(dExact, math.Abs(float64(exact[n]-want[n])))
		dApprox = math.Max(dApprox, math.Abs(float64(approx[n]-want[n])))
	}
	if dExact > 1e-4 || dApprox <= dExact {
		t.Fatalf("exact path off by %g, int8 path by %g: the switch did not switch", dExact, dApprox)
	}
	x[7] = float32(math.Inf(1))
	MatMulQ(approx, x, m, 1)
	for n, v := range approx {
		if !math.IsInf(float64(v), 0) && !math.IsNaN(float64(v)) && m.Code(n, 7) != 0 {
			t.Fatalf("out[%d] = %v with x[7] = +Inf", n, v)
		}
	}
}
