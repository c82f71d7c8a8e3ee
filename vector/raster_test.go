package vector

import (
	"math"
	"testing"
)

// covTol is the tolerance on a pixel's coverage: horizontal coverage is exact, vertical is
// sampled at subScanlines rows, so an edge crossing a pixel row is off by ≤ 1/(2·4).
const covTol = 1.0 / (2 * subScanlines)

func coverageOf(t *testing.T, svg string, size int) []float32 {
	t.Helper()
	d := mustParse(t, svg)
	if len(d.Layers) != 1 {
		t.Fatalf("%d layers, want 1", len(d.Layers))
	}
	return Coverage(&d.Layers[0], d.ViewBox, size, size)
}

func sum(m []float32) float64 {
	s := 0.0
	for _, v := range m {
		s += float64(v)
	}
	return s
}

func TestCoverageRules(t *testing.T) {
	const size = 36 // one pixel per unit
	outer, innerCW, innerCCW := "M6 6h24v24H6z", "M12 12h12v12H12z", "M12 12v12h12V12z"
	tests := []struct {
		name, el string
		area     float64 // covered pixels
		center   float32 // coverage at (18,18)
	}{
		{"square", `<path d="` + outer + `"/>`, 576, 1},
		{"nonzero same direction fills the inner square", `<path d="` + outer + innerCW + `"/>`, 576, 1},
		{"nonzero opposite direction makes a hole", `<path d="` + outer + innerCCW + `"/>`, 576 - 144, 0},
		{"evenodd makes a hole either way", `<path fill-rule="evenodd" d="` + outer + innerCW + `"/>`, 576 - 144, 0},
		{"half-pixel edges", `<path d="M0.5 0.5h2v1h-2z"/>`, 2, 0},
		{"circle", `<circle cx="18" cy="18" r="10"/>`, math.Pi * 100, 1},
	}
	for _, tc := range tests {
		m := coverageOf(t, svgDoc(tc.el), size)
		if s := sum(m); math.Abs(s-tc.area) > 0.01*tc.area+covTol {
			t.Errorf("%s: covered %v px, want %v", tc.name, s, tc.area)
		}
		if c := m[18*size+18]; math.Abs(float64(c-tc.center)) > covTol {
			t.Errorf("%s: center coverage %v, want %v", tc.name, c, tc.center)
		}
	}
	// x in [0.5, 2.5), y in [0, 1): exact horizontal coverage gives pixels 0 and 2 one half.
	m := coverageOf(t, svgDoc(`<path d="M0.5 0h2v1h-2z"/>`), size)
	for _, px := range []struct {
		i    int
		want float32
	}{{0, 0.5}, {1, 1}, {2, 0.5}, {3, 0}, {size, 0}} {
		if math.Abs(float64(m[px.i]-px.want)) > 1e-6 {
			t.Errorf("pixel %d coverage %v, want %v", px.i, m[px.i], px.want)
		}
	}
}

func TestRenderComposite(t *testing.T) {
	d := mustParse(t, svgDoc(`<rect width="36" height="36" fill="#f00"/><rect width="36" height="36" fill="#00f" fill-opacity=".5"/>`))
	img := Render(d, 4, 4)
	p := img.Pix[0:4] // blue at 50% over opaque red
	want := [4]float32{0.5, 0, 0.5, 1}
	for c := range want {
		if math.Abs(float64(p[c]-want[c])) > 1e-6 {
			t.Fatalf("pixel %v, want %v", p, want)
		}
	}
	n := img.NRGBA()
	if n.Pix[0] != 128 || n.Pix[2] != 128 || n.Pix[3] != 255 {
		t.Errorf("NRGBA pixel %v, want 128 0 128 255", n.Pix[:4])
	}
}
