package vector

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// areaTol is the relative area tolerance: Area is exact for cubics, but circles are
// themselves cubic approximations (radius error ≤ 0.027 %, so area error ≤ ~0.03 %).
const areaTol = 3e-4

func mustParse(t *testing.T, svg string) *Document {
	t.Helper()
	d, err := ParseSVG([]byte(svg))
	if err != nil {
		t.Fatalf("ParseSVG: %v\n%s", err, svg)
	}
	return d
}

func svgDoc(body string) string {
	return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36">` + body + `</svg>`
}

func layerArea(l *Layer) float64 {
	a := 0.0
	for i := range l.Subpaths {
		a += l.Subpaths[i].Area()
	}
	return math.Abs(a)
}

func TestShapes(t *testing.T) {
	tests := []struct {
		el     string
		area   float64
		layers int
	}{
		{`<circle cx="18" cy="18" r="10"/>`, math.Pi * 100, 1},
		{`<ellipse cx="18" cy="18" rx="10" ry="4"/>`, math.Pi * 40, 1},
		{`<rect x="2" y="3" width="10" height="20"/>`, 200, 1},
		// Rounded corners remove (4 - π)·r² from the rectangle.
		{`<rect x="2" y="3" width="10" height="20" rx="2"/>`, 200 - (4-math.Pi)*4, 1},
		{`<rect x="2" y="3" width="10" height="20" rx="2" ry="3"/>`, 200 - (4-math.Pi)*6, 1},
		{`<rect x="0" y="0" width="10" height="10" rx="20"/>`, math.Pi * 25, 1}, // rx clamps to w/2
		{`<polygon points="0,0 10,0 10,10"/>`, 50, 1},
		{`<polyline points="0 0 10 0 10 10 0 10"/>`, 100, 1},
		{`<path d="M0 0h10v10H0z"/>`, 100, 1},
		{`<line x1="0" y1="0" x2="10" y2="10"/>`, 0, 0},
		{`<circle cx="18" cy="18" r="0"/>`, 0, 0},
		{`<rect width="0" height="5"/>`, 0, 0},
		{`<path d="M0 0h10"/>`, 0, 0}, // zero-area subpath fills nothing
	}
	for _, tc := range tests {
		d := mustParse(t, svgDoc(tc.el))
		if len(d.Layers) != tc.layers {
			t.Errorf("%s: %d layers, want %d", tc.el, len(d.Layers), tc.layers)
			continue
		}
		if tc.layers == 1 {
			if a := layerArea(&d.Layers[0]); math.Abs(a-tc.area) > areaTol*tc.area {
				t.Errorf("%s: area %v, want %v", tc.el, a, tc.area)
			}
		}
	}
}

func TestStyleInheritance(t *testing.T) {
	doc := func(groupOpacity string) string {
		return svgDoc(`
		<g fill="#00f"` + groupOpacity + ` transform="translate(10 0)">
			<path d="M0 0h1v1z"/>
			<g fill-opacity="0.5" fill-rule="evenodd" transform="scale(2)">
				<path fill="red" d="M0 0h1v1z"/>
				<path style="fill: #0f0; fill-rule: nonzero; opacity: 50%" d="M0 0h1v1z"/>
			</g>
		</g>
		<path fill="none" d="M0 0h1v1z"/>
		<path d="M0 0h1v1z"/>`)
	}
	d := mustParse(t, doc(""))
	type got struct {
		fill    RGBA
		evenOdd bool
		p       Point
	}
	want := []got{
		{RGBA{0, 0, 1, 1}, false, Point{11, 0}},
		{RGBA{1, 0, 0, 0.5}, true, Point{12, 0}},
		{RGBA{0, 1, 0, 0.25}, false, Point{12, 0}},
		{RGBA{0, 0, 0, 1}, false, Point{1, 0}}, // default fill black; fill=none drew nothing
	}
	if len(d.Layers) != len(want) {
		t.Fatalf("%d layers, want %d", len(d.Layers), len(want))
	}
	for i, w := range want {
		l := d.Layers[i]
		if l.Fill != w.fill || l.EvenOdd != w.evenOdd || !near(l.Subpaths[0].Segs[0].P, w.p, geomTol) {
			t.Errorf("layer %d: fill %v evenodd %v first vertex %v, want %v %v %v",
				i, l.Fill, l.EvenOdd, l.Subpaths[0].Segs[0].P, w.fill, w.evenOdd, w.p)
		}
	}
	// The same at group opacity ½: the group composites first (by hand, source-over): in the
	// small triangle blue, then red ½, then green ¼ give color (⅜, ¼, ⅜) at alpha 1; in the
	// rest of the large one red ½ then green ¼ give (0.6, 0.4, 0) at alpha ⅝; then × ½.
	d = mustParse(t, doc(` opacity=".5"`))
	img := Render(d, 360, 360)
	for _, tc := range []struct {
		x, y float64
		want [4]float64
	}{
		{10.8, 0.3, [4]float64{0.375, 0.25, 0.375, 0.5}},
		{11.8, 0.5, [4]float64{0.6, 0.4, 0, 0.3125}},
		{0.8, 0.3, [4]float64{0, 0, 0, 1}},
	} {
		p := img.Pix[4*(int(tc.y*10)*360+int(tc.x*10)):]
		for c := 0; c < 4; c++ {
			if math.Abs(float64(p[c])-tc.want[c]) > 1e-3 {
				t.Errorf("at %v,%v: %v, want %v", tc.x, tc.y, p[:4], tc.want)
				break
			}
		}
	}
}

func TestUnsupportedReported(t *testing.T) {
	// Gradients, clip paths and dashes are drawn now; a gradient without stops paints
	// nothing (SVG 1.1 §13.2.4), text is still not drawn and is reported per element.
	d := mustParse(t, svgDoc(`
		<defs><linearGradient id="g"/><clipPath id="c"><path d="M0 0h5v5z"/></clipPath></defs>
		<path fill="url(#g)" d="M0 0h1v1z"/>
		<g clip-path="url(#c)"><path d="M0 0h9v9z"/></g>
		<path fill="none" stroke="#000" stroke-dasharray="1 1" d="M0 0h1"/>
		<text id="t">hi</text>`))
	want := []string{"<text#t> not drawn (element not supported)"}
	if !reflect.DeepEqual(d.Unsupported, want) {
		t.Errorf("Unsupported = %q, want %q", d.Unsupported, want)
	}
	if len(d.Layers) != 2 { // the clipped square and the dashed stroke; defs content is not drawn
		t.Fatalf("%d layers, want 2", len(d.Layers))
	}
	// The clip triangle (0,0) (5,0) (5,5) inside the 9×9 square: area 12.5.
	if a := sum(Coverage(&d.Layers[0], d.ViewBox, 360, 360)) / 100; math.Abs(a-12.5) > 0.05 {
		t.Errorf("clipped area %v, want 12.5", a)
	}
}

func TestViewBox(t *testing.T) {
	d := mustParse(t, `<svg viewBox="-1,2 30 40"/>`)
	if d.ViewBox != [4]float64{-1, 2, 30, 40} {
		t.Errorf("viewBox %v", d.ViewBox)
	}
	d = mustParse(t, `<svg width="20px" height="10"/>`)
	if d.ViewBox != [4]float64{0, 0, 20, 10} {
		t.Errorf("viewBox from width/height %v", d.ViewBox)
	}
}

func TestParseSVGErrors(t *testing.T) {
	tests := []struct {
		name, svg string
		kind      error
	}{
		{"not xml", `<svg`, ErrSyntax},
		{"not svg", `<html/>`, ErrSyntax},
		{"empty", ``, ErrSyntax},
		{"no viewBox", `<svg/>`, ErrNoViewBox},
		{"bad viewBox", `<svg viewBox="0 0 1"/>`, ErrNoViewBox},
		{"zero viewBox", `<svg viewBox="0 0 0 10"/>`, ErrNoViewBox},
		{"deep nesting", svgDoc(strings.Repeat("<g>", MaxDepth) + strings.Repeat("</g>", MaxDepth)), ErrLimit},
		{"many elements", svgDoc(strings.Repeat("<g/>", MaxElements)), ErrLimit},
		{"huge document", svgDoc(strings.Repeat(" ", MaxSVGBytes)), ErrLimit},
	}
	for _, tc := range tests {
		_, err := ParseSVG([]byte(tc.svg))
		if !errors.Is(err, tc.kind) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.kind)
		}
	}
}

func TestClipPathWithoutEffect(t *testing.T) {
	tests := []struct {
		name, body string
		reported   bool
	}{
		{"clip is the viewBox", `<defs><clipPath id="a"><path d="M0 0h36v36H0z"/></clipPath></defs><g clip-path="url(#a)"><path d="M-5 -5h50v50h-50z"/></g>`, false},
		{"clip in the element's transformed user space", `<defs><clipPath id="a"><path d="M-10 10h36v-36h-36Z"/></clipPath></defs><path clip-path="url(#a)" transform="matrix(1 0 0 -1 10 10)" d="M0 0h5v5h-5z"/>`, false},
		{"diamond around a circle", `<clipPath id="d"><path d="M1 18 18 1l17 17-17 17z"/></clipPath><g clip-path="url(#d)"><circle cx="18" cy="18" r="11.9"/></g>`, false},
		{"diamond cutting a square (clipped exactly now)", `<clipPath id="d"><path d="M1 18 18 1l17 17-17 17z"/></clipPath><g clip-path="url(#d)"><rect x="4" y="4" width="28" height="28"/></g>`, false},
		{"unknown id", `<g clip-path="url(#nope)"><rect width="4" height="4"/></g>`, true},
		{"two shapes (their union)", `<clipPath id="a"><rect width="36" height="18"/><rect y="18" width="36" height="18"/></clipPath><rect clip-path="url(#a)" width="4" height="4"/>`, false},
	}
	for _, tc := range tests {
		d := mustParse(t, svgDoc(tc.body))
		got := strings.Contains(strings.Join(d.Unsupported, ";"), "clip-path")
		if got != tc.reported || len(d.Layers) != 1 {
			t.Errorf("%s: reported %v (%q), %d layers; want %v, 1", tc.name, got, d.Unsupported, len(d.Layers), tc.reported)
		}
	}
}

func TestStrokes(t *testing.T) {
	// A round cap is a polygon of capJoinSteps chords per half turn; a regular 16-gon has
	// 2.6 % less area than its circle.
	const roundTol = 0.03
	tests := []struct {
		name, el string
		area     float64
		tol      float64 // absolute
	}{
		{"butt line", `<path fill="none" stroke="#000" stroke-width="2" d="M10 18h16"/>`, 32, 1e-9},
		{"square caps", `<line stroke="#000" stroke-width="2" stroke-linecap="square" x1="10" y1="18" x2="26" y2="18"/>`, 36, 1e-9},
		{"round caps", `<line stroke="#000" stroke-width="2" stroke-linecap="round" x1="10" y1="18" x2="26" y2="18"/>`, 32 + math.Pi, roundTol * math.Pi},
		{"closed square ring", `<rect fill="none" stroke="#000" stroke-width="2" x="10" y="10" width="16" height="16"/>`, 18*18 - 14*14, 1e-9},
		{"miter corner", `<polyline fill="none" stroke="#000" stroke-width="2" points="10,10 26,10 26,26"/>`, 16*2 + 16*2, 1e-9},
		{"bevel corner", `<polyline fill="none" stroke="#000" stroke-width="2" stroke-linejoin="bevel" points="10,10 26,10 26,26"/>`, 16*2 + 16*2 - 0.5, 1e-9},
		{"scaled by transform", `<path transform="scale(2)" fill="none" stroke="#000" d="M5 9h8"/>`, 32, 1e-9},
	}
	for _, tc := range tests {
		d := mustParse(t, svgDoc(tc.el))
		if len(d.Layers) != 1 {
			t.Errorf("%s: %d layers, want 1 (the stroke)", tc.name, len(d.Layers))
			continue
		}
		// Compare coverage, not signed areas: inner joins overlap under nonzero.
		m := Coverage(&d.Layers[0], d.ViewBox, 360, 360)
		if a := sum(m) / 100; math.Abs(a-tc.area) > tc.tol+0.05 {
			t.Errorf("%s: covered area %v, want %v", tc.name, a, tc.area)
		}
	}
	// Paint order: fill, then stroke, in the stroke's color and opacity.
	d := mustParse(t, svgDoc(`<circle cx="18" cy="18" r="9" fill="#f00" stroke="#00f" stroke-opacity=".5" stroke-width="2"/>`))
	if len(d.Layers) != 2 || d.Layers[0].Fill != (RGBA{1, 0, 0, 1}) || d.Layers[1].Fill != (RGBA{0, 0, 1, 0.5}) {
		t.Errorf("layers %+v", d.Layers)
	}
}
