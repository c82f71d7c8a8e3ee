package vector

import "math"

// Invert returns m⁻¹ (so m.Mul(m⁻¹) is the identity), false when m is singular or not
// finite. The editor maps screen points back into a layer's or the view's coordinates with it.
func (m Matrix) Invert() (Matrix, bool) {
	det := m.Det()
	if det == 0 || math.IsNaN(det) || math.IsInf(det, 0) {
		return Matrix{}, false
	}
	return Matrix{
		A: m.D / det, B: -m.B / det, C: -m.C / det, D: m.A / det,
		E: (m.C*m.F - m.D*m.E) / det, F: (m.B*m.E - m.A*m.F) / det,
	}, true
}
