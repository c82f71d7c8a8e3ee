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

// TestCoverageCrisp: shape-rendering="crispEdges" draws whole pixels, those whose centres
// are inside (Skia's non-anti-aliased rule: x spans [round(x0), round(x1)), rows whose centre
// is in (y0, y1]). Worked by hand for the rectangle x 0.4–2.6, y 1.5–3.5 at one pixel per
// unit: columns 0–2 (centres 0.5, 1.5, 2.5), rows 2 and 3 (centre 1.5 is on the top edge,
// outside; 3.5 on the bottom edge, inside). It is inherited, geometricPrecision turns it off,
// and the writer keeps it.
func TestCoverageCrisp(t *testing.T) {
	d := mustParse(t, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><g shape-rendering="crispEdges"><rect x="0.4" y="1.5" width="2.2" height="2"/><rect x="4.4" y="1.5" width="2.2" height="2" shape-rendering="geometricPrecision"/></g></svg>`)
	if len(d.Layers) != 2 || !d.Layers[0].Crisp || d.Layers[1].Crisp || len(d.Unsupported) != 0 {
		t.Fatalf("layers %+v, unsupported %q", d.Layers, d.Unsupported)
	}
	m := Coverage(&d.Layers[0], d.ViewBox, 8, 8)
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			want := float32(0)
			if x <= 2 && (y == 2 || y == 3) {
				want = 1
			}
			if m[y*8+x] != want {
				t.Errorf("pixel %d,%d = %v, want %v", x, y, m[y*8+x], want)
			}
		}
	}
	if aa := Coverage(&d.Layers[1], d.ViewBox, 8, 8); math.Abs(float64(aa[1*8+4])-0.3) > covTol {
		t.Errorf("anti-aliased pixel 4,1 = %v, want 0.6 × 0.5", aa[1*8+4])
	}
	back, err := ParseSVG(WriteSVG(d))
	if err != nil || len(back.Layers) != 2 || !back.Layers[0].Crisp || back.Layers[1].Crisp {
		t.Errorf("written back: %v, %+v", err, back.Layers)
	}
}
