package vector

import (
	"math"
	"testing"
)

func TestMatrixInvert(t *testing.T) {
	// translate(10,20) scale(2,4): its inverse, worked by hand, is scale(1/2,1/4) translate(-10,-20).
	m := Matrix{A: 2, D: 4, E: 10, F: 20}
	inv, ok := m.Invert()
	if want := (Matrix{A: 0.5, D: 0.25, E: -5, F: -5}); !ok || inv != want {
		t.Fatalf("Invert(%v) = %v, %v; want %v", m, inv, ok, want)
	}
	// A rotation with skew and offset: m·m⁻¹ is the identity.
	m = Matrix{A: 0.6, B: 0.8, C: -0.8, D: 0.6, E: 3, F: -7}.Mul(Matrix{A: 1, C: 0.5, D: 1})
	inv, ok = m.Invert()
	id := m.Mul(inv)
	for _, v := range []struct{ got, want float64 }{{id.A, 1}, {id.B, 0}, {id.C, 0}, {id.D, 1}, {id.E, 0}, {id.F, 0}} {
		if !ok || math.Abs(v.got-v.want) > 1e-12 {
			t.Fatalf("m·m⁻¹ = %v, want the identity", id)
		}
	}
	for _, s := range []Matrix{{}, {A: 1, B: 2, C: 2, D: 4}, {A: math.NaN(), D: 1}, {A: math.Inf(1), D: 1}} {
		if _, ok := s.Invert(); ok {
			t.Errorf("Invert(%v) ok, want singular", s)
		}
	}
}
