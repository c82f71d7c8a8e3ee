package ui

import (
	"math"
	"strings"
	"testing"

	"github.com/lamina-ml/lamina/vector"
)

// roundTripTol is how far (user units) a point may move through export → import: the SVG
// writer keeps 3 decimals of coordinates and translations and 6 of the linear part of a
// transform, on a 36-unit drawing.
const roundTripTol = 2e-3

// renderTol is the largest per-channel difference allowed between renders of the original
// and the re-imported drawing (anti-aliased edges move by up to roundTripTol units).
const renderTol = 0.02

// TestImportRoundTrip edits a drawing (hide, lock, move, rotate, scale) and checks that
// exporting and importing it gives the same hidden flags and the same picture; transforms
// come back baked into the coordinates.
func TestImportRoundTrip(t *testing.T) {
	e := loadShapes(t)
	e.Select(id(e, 1), SelectReplace)
	if err := e.Nudge(3.25, -2.5); err != nil { // the circle moved
		t.Fatal(err)
	}
	rot := vector.Matrix{A: 0.8, B: 0.6, C: -0.6, D: 0.8, E: 10, F: -4} // rotated, moved
	if err := e.SetTransform(id(e, 2), rot.Mul(vector.Matrix{A: 1.5, D: 0.75})); err != nil {
		t.Fatal(err)
	}
	if err := e.SetHidden(id(e, 0), true); err != nil {
		t.Fatal(err)
	}
	if err := e.SetLocked(id(e, 2), true); err != nil {
		t.Fatal(err)
	}
	if err := e.Rename(id(e, 1), `Circle "big" <1> & co`); err != nil {
		t.Fatal(err)
	}
	orig := e.Doc
	got, err := ImportSVG(orig.SVG())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Layers) != len(orig.Layers) {
		t.Fatalf("%d layers, want %d", len(got.Layers), len(orig.Layers))
	}
	for i := range orig.Layers {
		o, g := &orig.Layers[i], &got.Layers[i]
		if g.Hidden != o.Hidden {
			t.Errorf("layer %d hidden %v, want %v", i, g.Hidden, o.Hidden)
		}
		if g.Name != o.Name {
			t.Errorf("layer %d name %q, want %q", i, g.Name, o.Name)
		}
		if g.Locked {
			t.Errorf("layer %d: import locked it (lock is editor state, not SVG)", i)
		}
		if g.Fill != o.Fill || g.EvenOdd != o.EvenOdd {
			t.Errorf("layer %d paint %v/%v, want %v/%v", i, g.Fill, g.EvenOdd, o.Fill, o.EvenOdd)
		}
		if g.Transform != vector.Identity {
			t.Errorf("layer %d transform %v: import bakes transforms", i, g.Transform)
		}
		if d := maxPointDist(o.transformed(), g.Subpaths); d > roundTripTol {
			t.Errorf("layer %d moved by %g units through export/import", i, d)
		}
	}
	// The same picture, hidden layers left out, at 4 px per unit.
	a, b := renderVisible(orig), renderVisible(got)
	worst := 0.0
	for i := range a.Pix {
		worst = math.Max(worst, math.Abs(float64(a.Pix[i]-b.Pix[i])))
	}
	if worst > renderTol {
		t.Errorf("renders differ by %g", worst)
	}
	// And a second round trip changes nothing more: the import is a fixed point of export.
	again, err := ImportSVG(got.SVG())
	if err != nil {
		t.Fatal(err)
	}
	if string(again.SVG()) != string(got.SVG()) {
		t.Error("second export → import changed the SVG")
	}
}

func renderVisible(d *Document) *vector.Image {
	v := d.ToVector()
	var keep []vector.Layer
	for i, l := range v.Layers {
		if !d.Layers[i].Hidden {
			keep = append(keep, l)
		}
	}
	v.Layers = keep
	return vector.Render(v, 144, 144)
}

// maxPointDist is the largest distance between corresponding points of two outlines with
// the same structure (+Inf if the structure differs).
func maxPointDist(a, b []vector.Subpath) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		if len(a[i].Segs) != len(b[i].Segs) {
			return math.Inf(1)
		}
		d = math.Max(d, a[i].Start.Dist(b[i].Start))
		for j, s := range a[i].Segs {
			u := b[i].Segs[j]
			d = math.Max(d, math.Max(s.C1.Dist(u.C1), math.Max(s.C2.Dist(u.C2), s.P.Dist(u.P))))
		}
	}
	return d
}

// TestImportHidden: the ways an SVG hides a shape, from other editors as well as ours.
func TestImportHidden(t *testing.T) {
	const sq = `d="M0 0H4V4H0Z"`
	tests := []struct {
		name string
		body string
		want []bool // hidden flag per layer
	}{
		{"nothing hidden", `<path ` + sq + `/><path ` + sq + ` fill="red"/>`, []bool{false, false}},
		{"display attribute (our export)", `<path ` + sq + `/><path ` + sq + ` display="none"/>`, []bool{false, true}},
		{"display in style", `<path ` + sq + ` style="fill:#f00; display : none"/><path ` + sq + `/>`, []bool{true, false}},
		{"visibility attribute", `<rect width="3" height="3" visibility="hidden"/><circle r="2" cx="5" cy="5"/>`, []bool{true, false}},
		{"hidden group (Inkscape layers)", `<g style="display:none"><path ` + sq + `/><circle r="1" cx="2" cy="2"/></g><path ` + sq + `/>`, []bool{true, true, false}},
		{"visibility inherited and overridden", `<g visibility="hidden"><path ` + sq + `/><path ` + sq + ` visibility="visible"/></g>`, []bool{true, false}},
		{"display=none is not undone by a child", `<g display="none"><path ` + sq + ` display="inline"/></g>`, []bool{true}},
		{"a hidden stroked shape gives two hidden layers", `<path ` + sq + ` stroke="#000" display="none"/><path ` + sq + `/>`, []bool{true, true, false}},
		{"transformed hidden group", `<g transform="scale(0.001) rotate(30)" display="none"><path ` + sq + `/></g>`, []bool{true}},
		{"hidden shapes in defs are not layers", `<defs><path id="p" ` + sq + ` display="none"/></defs><path ` + sq + `/>`, []bool{false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36">` + tc.body + `</svg>`
			d, err := ImportSVG([]byte(svg))
			if err != nil {
				t.Fatal(err)
			}
			var got []bool
			for _, l := range d.Layers {
				got = append(got, l.Hidden)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("hidden %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("hidden %v, want %v", got, tc.want)
				}
			}
			// What is hidden exports as display="none" and comes back hidden.
			again, err := ImportSVG(d.SVG())
			if err != nil {
				t.Fatal(err)
			}
			for i := range again.Layers {
				if again.Layers[i].Hidden != tc.want[i] {
					t.Errorf("after export: layer %d hidden %v", i, again.Layers[i].Hidden)
				}
			}
			if n := strings.Count(string(d.SVG()), `display="none"`); n != count(tc.want) {
				t.Errorf("export has %d display=none, want %d", n, count(tc.want))
			}
		})
	}
}

func count(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// TestImportNames: data-name names the layers a shape gives (a stroked shape gives two);
// unnamed shapes are named by what they draw.
func TestImportNames(t *testing.T) {
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36">` +
		`<path d="M0 0H4V4H0Z" stroke="#000" data-name="a"/>` +
		`<g transform="scale(2)"><circle r="2" cx="5" cy="5" data-name="b"/></g>` +
		`<rect x="9" y="9" width="3" height="3"/>` +
		`<g display="none"><rect x="1" width="3" height="3" data-name="d"/></g></svg>`
	d, err := ImportSVG([]byte(svg))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a", "a", "b", "small black square", "d"}
	if len(d.Layers) != len(want) {
		t.Fatalf("%d layers, want %d", len(d.Layers), len(want))
	}
	for i, l := range d.Layers {
		if l.Name != want[i] {
			t.Errorf("layer %d named %q, want %q", i, l.Name, want[i])
		}
	}
	if !d.Layers[4].Hidden || d.Layers[3].Hidden {
		t.Error("hidden flags")
	}
}

// TestImportReportsWhatItLeftOut is the editor case: a gradient rectangle, a stroked
// shape and a text. All shapes come in (the gradient as its mean color: a horizontal
// red→blue ramp over the whole rectangle averages to (½, 0, ½)), and the status line names
// the text that was not drawn.
func TestImportReportsWhatItLeftOut(t *testing.T) {
	src := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36">
		<linearGradient id="g"><stop offset="0" stop-color="#f00"/><stop offset="1" stop-color="#00f"/></linearGradient>
		<rect width="36" height="18" fill="url(#g)"/>
		<circle cx="18" cy="27" r="6" fill="#0f0" stroke="#000" stroke-width="2"/>
		<text id="caption" x="2" y="34">hello</text>
	</svg>`
	d, unsup, err := ImportSVGWithReport([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Layers) != 3 { // gradient rect, circle fill, circle stroke
		t.Fatalf("%d layers, want 3", len(d.Layers))
	}
	if f := d.Layers[0].Fill; math.Abs(f.R-0.5) > 0.03 || f.G > 0.01 || math.Abs(f.B-0.5) > 0.03 || f.A < 0.999 {
		t.Errorf("gradient layer fill %v, want about (0.5, 0, 0.5, 1)", f)
	}
	joined := strings.Join(unsup, "\n")
	if !strings.Contains(joined, "<text#caption> not drawn") || !strings.Contains(joined, "mean color") {
		t.Errorf("unsupported %q: want the text and the gradient approximation", unsup)
	}
	status := ImportStatus(len(d.Layers), unsup, "shapes.svg")
	if !strings.HasPrefix(status, "Imported 3 layers from shapes.svg. 2 things not drawn as in the file: ") || !strings.Contains(status, "<text#caption>") {
		t.Errorf("status %q", status)
	}
	if s := ImportStatus(2, nil, "the clipboard"); s != "Imported 2 layers from the clipboard." {
		t.Errorf("status without issues %q", s)
	}
}
