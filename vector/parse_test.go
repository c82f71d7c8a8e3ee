package vector

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// geomTol is the tolerance for coordinates computed in float64 from exact inputs.
const geomTol = 1e-9

func near(a, b Point, tol float64) bool { return math.Abs(a.X-b.X) <= tol && math.Abs(a.Y-b.Y) <= tol }

func TestParseColor(t *testing.T) {
	tests := []struct {
		in   string
		want RGBA
		ok   bool
	}{
		{"#f00", RGBA{1, 0, 0, 1}, true},
		{"#F008", RGBA{1, 0, 0, 0x88 / 255.0}, true},
		{"#336699", RGBA{0x33 / 255.0, 0x66 / 255.0, 0x99 / 255.0, 1}, true},
		{"#33669980", RGBA{0x33 / 255.0, 0x66 / 255.0, 0x99 / 255.0, 0x80 / 255.0}, true},
		{"rgb(255, 0, 51)", RGBA{1, 0, 0.2, 1}, true},
		{"rgba(0,0,255,.5)", RGBA{0, 0, 1, 0.5}, true},
		{"rgb(100%, 50%, 0%)", RGBA{1, 0.5, 0, 1}, true},
		{"rgb(0 0 0 / 25%)", RGBA{0, 0, 0, 0.25}, true},
		{"rgba(0%, 50%, 0%, 0.5)", RGBA{0, 0.5, 0, 0.5}, true},
		{"rgba(0, 127.5, 0, 50%)", RGBA{0, 0.5, 0, 0.5}, true},
		{"Red", RGBA{1, 0, 0, 1}, true},
		{"cornflowerblue", RGBA{100 / 255.0, 149 / 255.0, 237 / 255.0, 1}, true},
		{"none", RGBA{}, false},
	}
	for _, tc := range tests {
		got, ok, err := ParseColor(tc.in)
		if err != nil || ok != tc.ok {
			t.Errorf("ParseColor(%q) ok=%v err=%v, want ok=%v", tc.in, ok, err, tc.ok)
			continue
		}
		if math.Abs(got.R-tc.want.R)+math.Abs(got.G-tc.want.G)+math.Abs(got.B-tc.want.B)+math.Abs(got.A-tc.want.A) > geomTol {
			t.Errorf("ParseColor(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"#ab", "#abcde", "#ggg", "rgb(1,2)", "rgb(1,2,x)", "rgb(1,2,3", "rgba(0, 50%, 0, 0.5)", "rgb(10%, 2, 3)", "blorp", ""} {
		if _, _, err := ParseColor(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseColor(%q) err = %v, want ErrSyntax", bad, err)
		}
	}
}

func TestParseTransform(t *testing.T) {
	s2 := math.Sqrt2 / 2
	tests := []struct {
		in      string
		p, want Point
	}{
		{"matrix(1 2 3 4 5 6)", Point{1, 1}, Point{1 + 3 + 5, 2 + 4 + 6}},
		{"translate(3)", Point{1, 1}, Point{4, 1}},
		{"translate(3,-2)", Point{1, 1}, Point{4, -1}},
		{"scale(2)", Point{1, 3}, Point{2, 6}},
		{"scale(2 -1)", Point{1, 3}, Point{2, -3}},
		{"rotate(90)", Point{1, 0}, Point{0, 1}},
		{"rotate(45)", Point{1, 0}, Point{s2, s2}},
		{"rotate(180 10 10)", Point{0, 0}, Point{20, 20}},
		{"skewX(45)", Point{0, 1}, Point{1, 1}},
		{"skewY(45)", Point{1, 0}, Point{1, 1}},
		// Lists apply right to left: scale first, then translate.
		{"translate(10,0) scale(2)", Point{1, 1}, Point{12, 2}},
		{"scale(2),translate(10,0)", Point{1, 1}, Point{22, 2}},
		{"  ", Point{1, 2}, Point{1, 2}},
	}
	for _, tc := range tests {
		m, err := ParseTransform(tc.in)
		if err != nil {
			t.Errorf("ParseTransform(%q): %v", tc.in, err)
			continue
		}
		if got := m.Apply(tc.p); !near(got, tc.want, geomTol) {
			t.Errorf("ParseTransform(%q) maps %v to %v, want %v", tc.in, tc.p, got, tc.want)
		}
	}
	for _, bad := range []string{"translate", "translate(1", "scale()", "rotate(1 2)", "matrix(1 2 3)", "wobble(1)", "translate(1 2 3 4 5 6 7)", "(1)"} {
		if _, err := ParseTransform(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseTransform(%q) err = %v, want ErrSyntax", bad, err)
		}
	}
}

// ends returns the segment end points of every subpath, start first.
func ends(subs []Subpath) [][]Point {
	var out [][]Point
	for _, sp := range subs {
		pts := []Point{sp.Start}
		for _, s := range sp.Segs {
			pts = append(pts, s.P)
		}
		out = append(out, pts)
	}
	return out
}

func TestParsePathData(t *testing.T) {
	tests := []struct {
		name, d string
		want    [][]Point // vertices of each closed subpath, start first and last
	}{
		{"absolute lines", "M0 0 L10 0 L10 10 Z", [][]Point{{{0, 0}, {10, 0}, {10, 10}, {0, 0}}}},
		{"relative and implicit lineto after m", "m1 1 9 0 0 9z", [][]Point{{{1, 1}, {10, 1}, {10, 10}, {1, 1}}}},
		{"H V h v", "M0 0H4V3h-2v1z", [][]Point{{{0, 0}, {4, 0}, {4, 3}, {2, 3}, {2, 4}, {0, 0}}}},
		{"open subpath is closed", "M0 0 4 0 4 4", [][]Point{{{0, 0}, {4, 0}, {4, 4}, {0, 0}}}},
		{"m after z is relative to the subpath start", "M2 2h2v2zm5 0h2v2z",
			[][]Point{{{2, 2}, {4, 2}, {4, 4}, {2, 2}}, {{7, 2}, {9, 2}, {9, 4}, {7, 2}}}},
		{"compact numbers", "M.5.5-1-1e0 2E1,3z", [][]Point{{{0.5, 0.5}, {-1, -1}, {20, 3}, {0.5, 0.5}}}},
		{"implicit cubic repeat", "M0 0c1 1 2 1 3 0 1-1 2-1 3 0z", [][]Point{{{0, 0}, {3, 0}, {6, 0}, {0, 0}}}},
		{"lone moveto fills nothing", "M1 1 M2 2", nil},
	}
	for _, tc := range tests {
		subs, err := ParsePathData(tc.d)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		got := ends(subs)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d subpaths %v, want %v", tc.name, len(got), got, tc.want)
			continue
		}
		for i := range got {
			if len(got[i]) != len(tc.want[i]) {
				t.Errorf("%s: subpath %d vertices %v, want %v", tc.name, i, got[i], tc.want[i])
				continue
			}
			for j := range got[i] {
				if !near(got[i][j], tc.want[i][j], geomTol) {
					t.Errorf("%s: subpath %d vertex %d = %v, want %v", tc.name, i, j, got[i][j], tc.want[i][j])
				}
			}
		}
	}
}

func TestPathCurves(t *testing.T) {
	// Lines become cubics with controls at 1/3 and 2/3.
	subs, _ := ParsePathData("M0 0L3 6L0 0")
	if s := subs[0].Segs[0]; !near(s.C1, Point{1, 2}, geomTol) || !near(s.C2, Point{2, 4}, geomTol) {
		t.Errorf("line controls %v %v, want (1,2) (2,4)", s.C1, s.C2)
	}
	// S reflects the previous C's second control about the current point.
	subs, _ = ParsePathData("M0 0C0 1 1 2 2 2S4 1 4 0")
	if s := subs[0].Segs[1]; !near(s.C1, Point{3, 2}, geomTol) {
		t.Errorf("S first control %v, want (3,2)", s.C1)
	}
	// S after a non-curve uses the current point.
	subs, _ = ParsePathData("M0 0L2 0S4 1 4 0")
	if s := subs[0].Segs[1]; !near(s.C1, Point{2, 0}, geomTol) {
		t.Errorf("S after L first control %v, want (2,0)", s.C1)
	}
	// Q elevates to a cubic: controls at 2/3 toward the quadratic control; T reflects it.
	subs, _ = ParsePathData("M0 0Q3 3 6 0T12 0")
	q, tq := subs[0].Segs[0], subs[0].Segs[1]
	if !near(q.C1, Point{2, 2}, geomTol) || !near(q.C2, Point{4, 2}, geomTol) {
		t.Errorf("Q controls %v %v, want (2,2) (4,2)", q.C1, q.C2)
	}
	if !near(tq.C1, Point{8, -2}, geomTol) || !near(tq.C2, Point{10, -2}, geomTol) {
		t.Errorf("T controls %v %v, want (8,-2) (10,-2)", tq.C1, tq.C2)
	}
	// A half circle of radius 5 from (0,0) to (10,0): sweep=1 goes through (5,-5) (y down,
	// positive-angle direction), sweep=0 through (5,5). Points along it stay on the circle.
	for _, tc := range []struct {
		d   string
		mid Point
	}{{"M0 0A5 5 0 0 1 10 0", Point{5, -5}}, {"M0 0A5 5 0 0 0 10 0", Point{5, 5}}, {"M0 0a5 5 0 0110 0", Point{5, -5}}} {
		subs, err := ParsePathData(tc.d)
		if err != nil {
			t.Fatal(err)
		}
		arc := subs[0].Segs[:len(subs[0].Segs)-1] // drop the closing line
		if len(arc) != 2 {
			t.Fatalf("%s: %d arc pieces, want 2 (two quarter arcs)", tc.d, len(arc))
		}
		if !near(arc[0].P, tc.mid, 1e-9) || !near(arc[1].P, Point{10, 0}, 0) {
			t.Errorf("%s: pieces end %v %v, want %v (10,0)", tc.d, arc[0].P, arc[1].P, tc.mid)
		}
		// The cubic quarter-circle approximation deviates from the circle by < 0.03% of r.
		p0 := Point{0, 0}
		for _, s := range arc {
			for k := 1; k < 10; k++ {
				if r := bez(p0, s, float64(k)/10).Dist(Point{5, 0}); math.Abs(r-5) > 5*3e-4 {
					t.Errorf("%s: point at radius %v, want 5", tc.d, r)
				}
			}
			p0 = s.P
		}
	}
	// Radii too small are scaled up (F.6.6): a 1×1 arc across 10 units is a half circle of 5.
	subs, _ = ParsePathData("M0 0A1 1 0 0 1 10 0")
	if p := subs[0].Segs[0].P; !near(p, Point{5, -5}, 1e-9) {
		t.Errorf("scaled-up arc midpoint %v, want (5,-5)", p)
	}
	// Zero radius is a straight line.
	subs, _ = ParsePathData("M0 0A0 5 0 0 1 10 0L10 10z")
	if s := subs[0].Segs[0]; !near(s.C1, Point{10.0 / 3, 0}, geomTol) {
		t.Errorf("zero-radius arc %v, want a line", s)
	}
}

func TestParsePathDataErrors(t *testing.T) {
	tests := []struct {
		d    string
		kind error
	}{
		{"L1 2", ErrSyntax},
		{"M1", ErrSyntax},
		{"M1 2 L", ErrSyntax},
		{"M1 2 L3", ErrSyntax},
		{"M1 2 X3 4", ErrSyntax},
		{"M1 2 Z 3 4", ErrSyntax},
		{"M0 0 A1 1 0 2 0 1 1", ErrSyntax},
		{"M0 0 L1e999 0", ErrNonFinite},
		{"M0 0 L-1e400 0", ErrNonFinite},
		{"M0 0 LNaN 0", ErrSyntax},
		{"M0 0 LInf 0", ErrSyntax},
		{"M1e308 0 l1e308 0 l1e308 0", ErrNonFinite},
		{"M0 0" + strings.Repeat(" l1 1", MaxPathCommands), ErrLimit},
	}
	for _, tc := range tests {
		_, err := ParsePathData(tc.d)
		if !errors.Is(err, tc.kind) {
			t.Errorf("ParsePathData(%.40q) err = %v, want %v", tc.d, err, tc.kind)
		}
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Errorf("ParsePathData(%.40q) error %T is not *Error", tc.d, err)
		}
	}
}
