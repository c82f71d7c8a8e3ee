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
						m, w := randomQMatrix(t, rng, bits, N, K, g)
						x := make([]float32, T*K)
						for i := range x {
							x[i] = float32(rng.NormFloat64())
						}
						want := make([]float32, T*N)
						matMulF32Ref(want, x, w, T, K, N)
						got := make([]float32, T*N)
						matMulQWith(ks, qk, got, x, m, T)
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
