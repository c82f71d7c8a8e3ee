package vector

import (
	"math"
	"testing"
)

// TestCompositeOver checks source-over against values worked by hand from Porter–Duff's
// formula (αo = αs + αd(1−αs), Co = (Cs·αs + Cd·αd(1−αs))/αo, straight alpha).
func TestCompositeOver(t *testing.T) {
	dst := make([]float32, 3*4)
	// Pixel 0 half-transparent red, full coverage; pixel 1 untouched (coverage 0); pixel 2
	// red at half coverage.
	CompositeOver(dst, []float32{1, 0, 0.5}, RGBA{R: 1, A: 0.5})
	// Then half-opaque blue at half coverage over all three.
	CompositeOver(dst, []float32{0.5, 0.5, 0.5}, RGBA{B: 1, A: 0.5})
	want := []float32{
		// sa=.25 over da=.5: αo=.25+.5·.75=.625, R=.5·.75/.625=.6, B=.25/.625=.4
		0.6, 0, 0.4, 0.625,
		// over nothing: blue at αo=.25
		0, 0, 1, 0.25,
		// red at α=.25, then sa=.25: αo=.25+.25·.75=.4375, R=.1875/.4375, B=.25/.4375
		0.1875 / 0.4375, 0, 0.25 / 0.4375, 0.4375,
	}
	for i := range want {
		if math.Abs(float64(dst[i]-want[i])) > 1e-6 {
			t.Fatalf("pixel %d channel %d: %v, want %v (all %v)", i/4, i%4, dst[i], want[i], dst)
		}
	}
}
