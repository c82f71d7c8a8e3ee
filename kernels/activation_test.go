package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

const (
	// expRelTol bounds the relative error of the vector exp (Cephes expf,
	// about 2 ulp = 2.4e-7) after one more rounding in SiLU's divide and
	// multiply.
	expRelTol = 1e-6
	// expAbsTol covers results the vector exp flushes to zero or clamps:
	// exp below e^-87.3 (1.2e-38) and silu(g) for g < -88.
	expAbsTol = 1e-35
)

// activationInputs are edge values plus random ones of both moderate and
// large size; an odd count leaves a scalar tail after the vector loop.
func activationInputs(r *rand.Rand) []float32 {
	v := []float32{0, float32(math.Copysign(0, -1)), 1e-8, -1e-8, 0.5, -0.5, 1, -1, 5, -5, 20, -20,
		80, -80, 87, -87, 88, -88, 88.5, -88.5, 100, -100, 1e30, -1e30, float32(math.NaN())}
	for len(v) < 1003 {
		v = append(v, float32(r.NormFloat64()*4), float32(r.NormFloat64()*40))
	}
	return v
}

func TestSiLUMul(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	gate := activationInputs(r)
	up := randFloats(r, len(gate))
	for _, ks := range testSets() {
		out := make([]float32, len(gate))
		ks.siluMul(out, gate, up)
		for i, g := range gate {
			want := float64(g) / (1 + math.Exp(-float64(g))) * float64(up[i])
			if math.IsNaN(want) {
				if !math.IsNaN(float64(out[i])) {
					t.Fatalf("%s silu(NaN) = %g", ks.name, out[i])
				}
				continue
			}
			if d := math.Abs(float64(out[i]) - want); !(d <= expRelTol*math.Abs(want)+expAbsTol) {
				t.Fatalf("%s silu(%g)·%g = %g, want %g", ks.name, g, up[i], out[i], want)
			}
		}
		// In place over gate, as the CPU backend calls it.
		g2 := append([]float32(nil), gate...)
		ks.siluMul(g2, g2, up)
		for i := range g2 {
			if g2[i] != out[i] && !math.IsNaN(float64(out[i])) {
				t.Fatalf("%s in-place silu differs at %d: %g vs %g", ks.name, i, g2[i], out[i])
			}
		}
	}
}

func TestExpSubSum(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, ks := range testSets() {
		for _, n := range []int{0, 1, 7, 8, 9, 100, 1003} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.Float64()*110 - 100) // e^-100 .. e^10 before the shift
			}
			const m = 3.5
			want := make([]float64, n)
			var wantSum float64
			for i, v := range x {
				// The contract is exp of the f32 difference.
				want[i] = math.Exp(float64(v - m))
				wantSum += want[i]
			}
			got := append([]float32(nil), x...)
			sum := ks.expSubSum(got, m)
			for i := range got {
				if d := math.Abs(float64(got[i]) - want[i]); !(d <= expRelTol*want[i]+expAbsTol) {
					t.Fatalf("%s exp(%g-%g) = %g, want %g", ks.name, x[i], m, got[i], want[i])
				}
			}
			if d := math.Abs(float64(sum) - wantSum); !(d <= expRelTol*wantSum+expAbsTol) {
				t.Fatalf("%s n=%d sum %g, want %g", ks.name, n, sum, wantSum)
			}
		}
	}
}

// TestGeluTanh checks GeluTanh against the tanh form in float64. The bound adds to the relative
// one an absolute 1e-7·|x| (about one f32 ulp of x): for negative x the output is far smaller
// than x and the f32 rounding of the exp's argument (|2u|·2^-24) dominates its relative error;
// a float32 1+tanh(u), as PyTorch computes it, is only good to ulp(x) there. It also covers
// x below about -6, where 1+tanh(u) underflows float64 and the reference is 0.
func TestGeluTanh(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	x := activationInputs(r)
	for _, ks := range testSets() {
		out := make([]float32, len(x))
		ks.geluTanh(out, x)
		for i, v := range x {
			f := float64(v)
			want := 0.5 * f * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(f+0.044715*f*f*f)))
			if math.IsNaN(f) {
				if !math.IsNaN(float64(out[i])) {
					t.Fatalf("%s gelu(NaN) = %g", ks.name, out[i])
				}
				continue
			}
			if math.IsNaN(want) { // ±1e30: x³ overflows the reference; gelu is x or 0
				want = math.Max(f, 0)
			}
			if d := math.Abs(float64(out[i]) - want); !(d <= expRelTol*math.Abs(want)+1e-7*math.Abs(f)+expAbsTol) {
				t.Fatalf("%s gelu(%g) = %g, want %g", ks.name, v, out[i], want)
			}
		}
		x2 := append([]float32(nil), x...)
		ks.geluTanh(x2, x2)
		for i := range x2 {
			if x2[i] != out[i] && !math.IsNaN(float64(out[i])) {
				t.Fatalf("%s in-place gelu differs at %d: %g vs %g", ks.name, i, x2[i], out[i])
			}
		}
	}
}
