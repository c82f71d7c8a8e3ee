package vector

import (
	"math"
	"strings"
	"testing"
)

// TestContourMeasure: a line measures its exact length; a quarter circle measures a little
// short of its arc length πr/2 by Skia's chords (between the one-chord length r√2 and the arc),
// and converges to it as the tolerance shrinks.
func TestContourMeasure(t *testing.T) {
	budget := 1 << 20
	c, ok := newContour(Point{0, 0}, []Segment{line(Point{0, 0}, Point{3, 4})}, 0.5, &budget)
	if !ok || math.Abs(c.total-5) > 1e-12 {
		t.Fatalf("line: total %v ok %v, want 5", c.total, ok)
	}
	if p := c.at(2.5); p.Dist(Point{1.5, 2}) > 1e-12 {
		t.Errorf("line midpoint %v, want (1.5, 2)", p)
	}
	q := ellipse(0, 0, 100, 100) // four quarter arcs, radius 100
	arc := 2 * math.Pi * 100
	coarse, _ := newContour(q.Start, q.Segs, 0.5, &budget)
	fine, _ := newContour(q.Start, q.Segs, 1e-4, &budget)
	if !(coarse.total < fine.total && coarse.total > 4*100*math.Sqrt2) {
		t.Errorf("coarse total %v, fine %v: want chord sum between 4r√2 and the fine length", coarse.total, fine.total)
	}
	if rel := math.Abs(fine.total-arc) / arc; rel > 3e-4 { // the 4-cubic circle is 2.7e-4 r off at most
		t.Errorf("fine total %v vs 2πr %v (rel %v)", fine.total, arc, rel)
	}
	// A dash end at a quarter of the measured length lies on the circle, near the bottom.
	p := fine.at(fine.total / 4)
	if math.Abs(math.Hypot(p.X, p.Y)-100) > 0.03 || p.Dist(Point{0, 100}) > 0.05 {
		t.Errorf("quarter point %v, want ≈ (0, 100) on the circle", p)
	}
}

// TestMarkerBisectCusp: at a cusp (in −90°, out +90°, either way round) the marker turns to
// 180°, as Chromium and resvg draw it (expected values worked by hand from resvg's calc_angle:
// both angles in [0°, 360°), their mean, minus 180° when they are more than 180° apart);
// ordinary corners take the mean direction.
func TestMarkerBisectCusp(t *testing.T) {
	deg := func(a float64) float64 { return math.Mod(a*180/math.Pi+720, 360) }
	for _, tc := range []struct{ in, out, want float64 }{
		{-90, 90, 180}, {90, -90, 180}, {0, 90, 45}, {170, -170, 180}, {-20, 20, 0},
	} {
		got := deg(bisect(tc.in*math.Pi/180, tc.out*math.Pi/180))
		if d := math.Abs(got - tc.want); d > 1e-9 && math.Abs(d-360) > 1e-9 {
			t.Errorf("bisect(%v, %v) = %v°, want %v°", tc.in, tc.out, got, tc.want)
		}
	}
}

// TestZeroSizeRootDrawsNothing: width or height 0 (or negative) is no error; browsers draw
// nothing, and the report says why the document is empty.
func TestZeroSizeRootDrawsNothing(t *testing.T) {
	for _, head := range []string{`width="0" height="0"`, `width="-50" height="-100"`, `width="0" height="10" viewBox="0 0 10 10"`} {
		d := mustParse(t, `<svg xmlns="http://www.w3.org/2000/svg" `+head+`><rect width="5" height="5"/></svg>`)
		if len(d.Layers) != 0 || !strings.Contains(unsupported(d), "nothing drawn") || !(d.ViewBox[2] > 0 && d.ViewBox[3] > 0) {
			t.Errorf("%s: %d layers, viewBox %v, unsupported %q", head, len(d.Layers), d.ViewBox, d.Unsupported)
		}
	}
}

// TestPrefixedAttributes: an svg:-prefixed attribute is in the SVG namespace, not an SVG
// attribute (which have none), so svg:href does not link and svg:fill does not paint.
func TestPrefixedAttributes(t *testing.T) {
	d := mustParse(t, `<svg xmlns="http://www.w3.org/2000/svg" xmlns:svg="http://www.w3.org/2000/svg" viewBox="0 0 10 10">
		<rect width="5" height="5" fill="#00ff00" svg:fill="#ff0000"/></svg>`)
	if len(d.Layers) != 1 || d.Layers[0].Fill.G != 1 || d.Layers[0].Fill.R != 0 {
		t.Errorf("layers %+v", d.Layers)
	}
}

// TestContextPaintInUse: context-fill inside a <use> takes the use's gradient in the use's
// user space over the use's bounding box (here 0..30 × 0..10 from two rects, one shifted by a
// transform the gradient must not follow).
func TestContextPaintInUse(t *testing.T) {
	d := mustParse(t, svgDoc(`<linearGradient id="g"><stop offset="0" stop-color="red"/><stop offset="1" stop-color="blue"/></linearGradient>
		<defs><g id="a"><rect width="10" height="10" fill="context-fill"/><rect width="10" height="10" transform="translate(20 0)" fill="context-fill"/></g></defs>
		<use href="#a" fill="url(#g)"/>`))
	if len(d.Layers) != 2 {
		t.Fatalf("%d layers", len(d.Layers))
	}
	for i, l := range d.Layers {
		if l.Paint == nil {
			t.Fatalf("layer %d has no gradient", i)
		}
		// objectBoundingBox over the use's box: gradient space (0,0)-(1,0) maps to x 0..30.
		a, b := l.Paint.M.Apply(Point{0, 0}), l.Paint.M.Apply(Point{1, 1})
		if a.Dist(Point{0, 0}) > 1e-9 || b.Dist(Point{30, 10}) > 1e-9 {
			t.Errorf("layer %d: gradient box %v–%v, want (0,0)–(30,10)", i, a, b)
		}
	}
}
