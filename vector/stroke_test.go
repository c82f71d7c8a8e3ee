package vector

import (
	"math"
	"testing"
)

// TestSkiaShift: the chord counts Skia's anti-aliased scan converter picks, worked by hand
// from its rule (coordinates ×256, cheap distance max+min/2, (d+16)>>5, half its bit length).
func TestSkiaShift(t *testing.T) {
	for _, tc := range []struct {
		dev   Point
		shift int
	}{
		{Point{0.1, 0}, 0},  // 25.6 → 25; (25+16)>>5 = 1; len 1 → 0 (drawn as 2 chords)
		{Point{1, 0}, 2},    // 256; 272>>5 = 8; len 4 → 2
		{Point{0, -1}, 2},   // the sign does not matter
		{Point{1, 1}, 2},    // 256+128 = 384; 400>>5 = 12; len 4 → 2
		{Point{4, 0}, 3},    // 1024; 1040>>5 = 32; len 6 → 3
		{Point{100, 0}, 5},  // 25600; 25616>>5 = 800; len 10 → 5
		{Point{1000, 0}, 6}, // 256000; 256016>>5 = 8000; len 13 → 6
	} {
		if got := skiaShift(tc.dev); got != tc.shift {
			t.Errorf("skiaShift(%v) = %d, want %d", tc.dev, got, tc.shift)
		}
	}
}

// TestOffsetCubicCircle: the outer side of a quarter circle (radius 50, stroked 6 wide) at
// device scale 1 lies on the circle of radius 53: its vertices within the stroker's quarter
// pixel of it (plus the cubic's own 0.03 % circle error), its chords no more than Skia's
// chord error (about 1/8, at most 1/4 px) inside it, from the exact offset start to the
// exact offset end.
func TestOffsetCubicCircle(t *testing.T) {
	const k = 0.5522847498 * 50
	p0 := Point{50, 0}
	s := Segment{Point{50, k}, Point{k, 50}, Point{0, 50}} // clockwise on screen, centre 0,0
	budget := maxFlattenPoints
	for _, side := range []struct {
		sign, radius float64
	}{{1, 53}, {-1, 47}} {
		pts, ok := offsetCubic(p0, s, 3, side.sign, devMap{1, 0, 0, 1}, &budget)
		if !ok || len(pts) < 3 {
			t.Fatalf("offsetCubic: ok %v, %d points", ok, len(pts))
		}
		if pts[0].Dist(Point{50 + 3*side.sign, 0}) > 1e-9 || pts[len(pts)-1].Dist(Point{0, 50 + 3*side.sign}) > 1e-9 {
			t.Errorf("side %v: ends %v, %v", side.sign, pts[0], pts[len(pts)-1])
		}
		for i, p := range pts {
			if d := math.Hypot(p.X, p.Y) - side.radius; math.Abs(d) > 0.25+0.02 {
				t.Errorf("side %v: vertex %d %v is %.3f off the circle", side.sign, i, p, d)
			}
			if i > 0 {
				m := lerp(pts[i-1], p, 0.5)
				if d := math.Hypot(m.X, m.Y) - side.radius; d < -0.5 || d > 0.27 {
					t.Errorf("side %v: chord %d midpoint %.3f off the circle", side.sign, i, d)
				}
			}
		}
	}
}

// TestStrokeLineAsCurve: a cubic whose control points lie on its chord's line within Skia's
// slop is stroked as the line it is (resvg's painting/stroke/line-as-curve tests): the butt
// end is square to the diagonal, not to the curve's horizontal start tangent.
func TestStrokeLineAsCurve(t *testing.T) {
	d, err := ParseSVGWith([]byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200"><path fill="none" stroke="green" stroke-width="20" d="M 20 160 C 20.1 160 160 20 160.1 20"/></svg>`), ParseOptions{RenderWidth: 200})
	if err != nil || len(d.Layers) != 1 {
		t.Fatalf("%v, %d layers", err, len(d.Layers))
	}
	lo, hi := layerBounds(d.Layers[0].Subpaths)
	// The line (20,160)→(160.1,20): the corners are ±10 along its unit normal.
	dir := Point{140.1, -140}.Mul(1 / math.Hypot(140.1, 140))
	n := Point{-dir.Y, dir.X}.Mul(10)
	want := [4]float64{20 - math.Abs(n.X), 20 - math.Abs(n.Y), 160.1 + math.Abs(n.X), 160 + math.Abs(n.Y)}
	got := [4]float64{lo.X, lo.Y, hi.X, hi.Y}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 0.01 {
			t.Fatalf("stroke bounds %v, want %v", got, want)
		}
	}
}

// TestStrokeCusp: where a cubic's derivative vanishes (here at t = ½, point (50, 75)) the two
// offset sides swap over; like Skia, the stroke adds a disc of the stroke's radius there so
// that the cusp is covered all round.
func TestStrokeCusp(t *testing.T) {
	s := Segment{Point{100, 100}, Point{0, 100}, Point{100, 0}}
	if c, ok := cubicCusp(Point{0, 0}, s); !ok || math.Abs(c-0.5) > 1e-6 {
		t.Fatalf("cubicCusp = %v, %v; want 0.5", c, ok)
	}
	if _, ok := cubicCusp(Point{0, 0}, Segment{Point{30, 50}, Point{70, 50}, Point{100, 0}}); ok {
		t.Error("an arch has no cusp")
	}
	d, err := ParseSVGWith([]byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><path fill="none" stroke="#000" stroke-width="10" d="M0 0C100 100 0 100 100 0"/></svg>`), ParseOptions{RenderWidth: 100})
	if err != nil || len(d.Layers) != 1 {
		t.Fatalf("%v, %d layers", err, len(d.Layers))
	}
	m := Coverage(&d.Layers[0], d.ViewBox, 100, 100)
	for k := 0; k < 8; k++ {
		a := float64(k) * math.Pi / 4
		x, y := int(50+3.5*math.Cos(a)), int(75+3.5*math.Sin(a))
		if c := m[y*100+x]; c < 0.99 {
			t.Errorf("pixel %d,%d beside the cusp covered %.3f", x, y, c)
		}
	}
}
