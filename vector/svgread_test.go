package vector

import (
	"math"
	"strings"
	"testing"
	"time"
)

// coveredArea is the area (user units²) a layer covers, rasterized on a 36-unit viewBox at
// 10 px per unit.
func coveredArea(d *Document, i int) float64 {
	return sum(Coverage(&d.Layers[i], d.ViewBox, 360, 360)) / 100
}

func unsupported(d *Document) string { return strings.Join(d.Unsupported, "\n") }

// TestInvalidValuesDropTheProperty: the inputs that used to fail the whole document now
// drop the bad property (or draw path data up to its error), as browsers do, and say so.
func TestInvalidValuesDropTheProperty(t *testing.T) {
	tests := []struct {
		name, body string
		layers     int
		area       float64 // of layer 0
		fill       RGBA    // of layer 0
		report     string
	}{
		// path data up to the error: the square is drawn, the dangling L is not.
		{"bad path", `<path d="M0 0h4v4h-4z M10 10 L"/>`, 1, 16, RGBA{0, 0, 0, 1}, "path data error"},
		// fill="#12" is invalid: the inherited fill (red) is used.
		{"bad color", `<g fill="red"><path fill="#12" d="M0 0h2v2h-2z"/></g>`, 1, 4, RGBA{1, 0, 0, 1}, `fill="#12" invalid`},
		// an invalid transform is ignored (identity).
		{"bad transform", `<g transform="rotate(1 2)"><path d="M0 0h3v3h-3z"/></g>`, 1, 9, RGBA{0, 0, 0, 1}, "transform="},
		// r="1x" is invalid: r falls back to 0 and nothing is drawn.
		{"bad number", `<circle r="1x"/><rect width="2" height="3"/>`, 1, 6, RGBA{0, 0, 0, 1}, `r="1x" invalid`},
		{"huge number", `<circle r="1e999"/><rect width="2" height="3"/>`, 1, 6, RGBA{0, 0, 0, 1}, `r="1e999" invalid`},
	}
	for _, tc := range tests {
		d := mustParse(t, svgDoc(tc.body))
		if len(d.Layers) != tc.layers {
			t.Errorf("%s: %d layers, want %d", tc.name, len(d.Layers), tc.layers)
			continue
		}
		if a := coveredArea(d, 0); math.Abs(a-tc.area) > 0.05 {
			t.Errorf("%s: area %v, want %v", tc.name, a, tc.area)
		}
		if d.Layers[0].Fill != tc.fill {
			t.Errorf("%s: fill %v, want %v", tc.name, d.Layers[0].Fill, tc.fill)
		}
		if !strings.Contains(unsupported(d), tc.report) {
			t.Errorf("%s: unsupported %q lacks %q", tc.name, d.Unsupported, tc.report)
		}
	}
}

// TestLengthUnits: CSS units and percentages against the right viewport axis. The viewBox is
// 0 0 36 36, so 50% of the width is 18 and 1in = 96 user units.
func TestLengthUnits(t *testing.T) {
	tests := []struct {
		el   string
		area float64
	}{
		{`<rect width="50%" height="25%"/>`, 18 * 9},
		{`<rect width="0.1in" height="10"/>`, 9.6 * 10},
		{`<rect width="6pt" height="1pc"/>`, 8 * 16},
		{`<rect width="1em" height="0.5em"/>`, 16 * 8},
		{`<g font-size="20"><rect width="1em" height="1ex"/></g>`, 20 * 10},
		{`<rect width="0.254cm" height="2.54mm"/>`, 9.6 * 9.6},
	}
	for _, tc := range tests {
		d := mustParse(t, svgDoc(tc.el))
		if len(d.Layers) != 1 {
			t.Errorf("%s: %d layers", tc.el, len(d.Layers))
			continue
		}
		want := tc.area // the outline's box, not clipped to the view
		lo, hi := layerBounds(d.Layers[0].Subpaths)
		got := (hi.X - lo.X) * (hi.Y - lo.Y)
		if math.Abs(got-want) > 1e-6*want {
			t.Errorf("%s: area %v, want %v", tc.el, got, want)
		}
	}
	// circle r="50%" uses the normalized diagonal √((w²+h²)/2) = 36 on a square.
	d := mustParse(t, svgDoc(`<circle cx="18" cy="18" r="25%"/>`))
	lo, hi := layerBounds(d.Layers[0].Subpaths)
	if math.Abs(hi.X-lo.X-18) > 1e-6 {
		t.Errorf("r=25%% diameter %v, want 18", hi.X-lo.X)
	}
}

func TestColorsHSLCurrentColor(t *testing.T) {
	tests := []struct {
		in   string
		want RGBA
	}{
		{"hsl(120, 100%, 50%)", RGBA{0, 1, 0, 1}},
		{"hsl(0deg 100% 25% / 0.5)", RGBA{0.5, 0, 0, 0.5}},
		{"hsla(240, 100%, 50%, 0.25)", RGBA{0, 0, 1, 0.25}},
		{"hsl(0.5turn, 100%, 50%)", RGBA{0, 1, 1, 1}},
		{"CanvasText", RGBA{0, 0, 0, 1}},
	}
	for _, tc := range tests {
		c, ok, err := ParseColor(tc.in)
		if err != nil || !ok || math.Abs(c.R-tc.want.R)+math.Abs(c.G-tc.want.G)+math.Abs(c.B-tc.want.B)+math.Abs(c.A-tc.want.A) > 1e-9 {
			t.Errorf("ParseColor(%q) = %v %v %v, want %v", tc.in, c, ok, err, tc.want)
		}
	}
	d := mustParse(t, svgDoc(`<g color="#00f"><rect fill="currentColor" width="1" height="1"/><rect style="color: lime" fill="currentColor" width="1" height="1"/></g>`))
	if len(d.Layers) != 2 || d.Layers[0].Fill != (RGBA{0, 0, 1, 1}) || d.Layers[1].Fill != (RGBA{0, 1, 0, 1}) {
		t.Errorf("currentColor layers %+v", d.Layers)
	}
}

// TestStyleSheetCascade: presentation attribute < sheet (by specificity, then order) <
// style="", and the common selectors.
func TestStyleSheetCascade(t *testing.T) {
	d := mustParse(t, svgDoc(`
		<style>
			rect { fill: #f00 }
			.a { fill: #0f0 }
			#x { fill: #00f }
			g rect.b { fill: #ff0 }
			g > .c { fill: #0ff }
			rect.a { fill-opacity: 0.5 }
		</style>
		<rect width="1" height="1" fill="#000"/>
		<rect class="a" width="1" height="1"/>
		<rect id="x" class="a" width="1" height="1"/>
		<g><rect class="b" width="1" height="1"/></g>
		<g><g><rect class="c" width="1" height="1"/></g></g>
		<g><rect class="c" style="fill: #f0f" width="1" height="1"/></g>`))
	want := []RGBA{
		{1, 0, 0, 1},   // sheet beats the presentation attribute
		{0, 1, 0, 0.5}, // class beats type; rect.a adds fill-opacity
		{0, 0, 1, 0.5}, // id beats class
		{1, 1, 0, 1},   // descendant + class
		{0, 1, 1, 1},   // child combinator
		{1, 0, 1, 1},   // style="" beats the sheet
	}
	if len(d.Layers) != len(want) {
		t.Fatalf("%d layers, want %d", len(d.Layers), len(want))
	}
	for i, w := range want {
		if d.Layers[i].Fill != w {
			t.Errorf("layer %d fill %v, want %v", i, d.Layers[i].Fill, w)
		}
	}
}

// TestUseSymbolNestedSVG: <use> with x/y and transforms, nested uses, symbol viewBox, nested
// <svg> viewports with preserveAspectRatio and clipping.
func TestUseSymbolNestedSVG(t *testing.T) {
	d := mustParse(t, svgDoc(`
		<defs><rect id="r" width="2" height="2"/><g id="two"><use href="#r"/><use href="#r" x="4"/></g>
		<symbol id="s" viewBox="0 0 1 1"><rect width="1" height="1"/></symbol></defs>
		<use href="#r" x="10" y="20" transform="scale(2)"/>
		<use xlink:href="#two" y="30" xmlns:xlink="http://www.w3.org/1999/xlink"/>
		<use href="#s" x="30" y="0" width="4" height="4"/>
		<svg x="20" y="20" width="10" height="5" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>`))
	type box struct{ x0, y0, x1, y1 float64 }
	want := []box{
		{20, 40, 24, 44},     // scale(2) translate(10 20)
		{0, 30, 2, 32},       // nested use
		{4, 30, 6, 32},       // nested use with x
		{30, 0, 34, 4},       // symbol viewBox scaled to 4×4
		{22.5, 20, 27.5, 25}, // 10×10 viewBox meet into 10×5: scale .5, centred
	}
	if len(d.Layers) != len(want) {
		t.Fatalf("%d layers, want %d (%q)", len(d.Layers), len(want), d.Unsupported)
	}
	for i, w := range want {
		lo, hi := layerBounds(d.Layers[i].Subpaths)
		if math.Abs(lo.X-w.x0)+math.Abs(lo.Y-w.y0)+math.Abs(hi.X-w.x1)+math.Abs(hi.Y-w.y1) > 1e-6 {
			t.Errorf("layer %d box %v %v, want %v", i, lo, hi, w)
		}
	}
}

// TestUseCyclesAndBillionLaughs: cycles are rejected and reported; exponential <use>
// nesting stops at the instance cap.
func TestUseCyclesAndBillionLaughs(t *testing.T) {
	d := mustParse(t, svgDoc(`<g id="a"><use href="#b"/></g><g id="b"><use href="#a"/><rect width="1" height="1"/></g>`))
	if !strings.Contains(unsupported(d), "cycle") && !strings.Contains(unsupported(d), "ancestor") {
		t.Errorf("cycle not reported: %q", d.Unsupported)
	}
	var b strings.Builder
	b.WriteString(`<defs><rect id="l0" width="1" height="1"/>`)
	for i := 1; i <= 12; i++ {
		b.WriteString(`<g id="l` + itoa(i) + `">`)
		for j := 0; j < 10; j++ {
			b.WriteString(`<use href="#l` + itoa(i-1) + `"/>`)
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</defs><use href="#l12"/>`)
	start := time.Now()
	d, err := ParseSVG([]byte(svgDoc(b.String())))
	if err != nil {
		checkErr(t, err) // a typed limit error is fine too
	} else if !strings.Contains(unsupported(d), "after <use> expansion") {
		t.Errorf("expansion cap not reported: %q", d.Unsupported)
	}
	// The work is bounded by the instance cap, not by the 10^12 the nesting asks for: at
	// most MaxElements shapes come out. The clock only catches a runaway (natively this
	// takes ~0.2 s; a loaded machine under js/wasm has taken 1.3 s), not a speed target.
	if err == nil {
		n := 0
		for _, l := range d.Layers {
			n += len(l.Subpaths)
		}
		if n > MaxElements {
			t.Errorf("billion laughs drew %d subpaths, more than the %d-instance cap", n, MaxElements)
		}
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("billion laughs took %v: the expansion is not bounded", took)
	}
}

// TestDisplayVisibilitySwitch: display="none" removes a subtree, visibility="hidden" hides
// an element but a visible child still draws, <switch> draws the first matching child.
func TestDisplayVisibilitySwitch(t *testing.T) {
	d := mustParse(t, svgDoc(`
		<g display="none"><rect width="1" height="1"/></g>
		<g visibility="hidden"><rect width="2" height="2"/><rect visibility="visible" width="3" height="3"/></g>
		<switch><rect systemLanguage="fr" width="4" height="4"/><rect systemLanguage="en-US" width="5" height="5"/><rect width="6" height="6"/></switch>
		<rect systemLanguage="de" width="7" height="7"/>`))
	if len(d.Layers) != 2 {
		t.Fatalf("%d layers, want 2", len(d.Layers))
	}
	if a := coveredArea(d, 0); math.Abs(a-9) > 0.05 {
		t.Errorf("visible child area %v, want 9", a)
	}
	if a := coveredArea(d, 1); math.Abs(a-25) > 0.05 {
		t.Errorf("switch child area %v, want 25 (the en-US one)", a)
	}
}

// TestLinearGradientRaster: a red→blue userSpaceOnUse gradient across x ∈ [0, 36]: the
// pixel at x = 9 is a quarter of the way (0.75, 0, 0.25); pad beyond the ends; the writer's
// SVG reads back to the same paint.
func TestLinearGradientRaster(t *testing.T) {
	src := svgDoc(`<linearGradient id="g" gradientUnits="userSpaceOnUse" x1="0" y1="0" x2="36" y2="0">
		<stop offset="0" stop-color="#f00"/><stop offset="1" stop-color="#00f"/></linearGradient>
		<rect width="36" height="36" fill="url(#g)"/>`)
	d := mustParse(t, src)
	if len(d.Layers) != 1 || d.Layers[0].Paint == nil {
		t.Fatalf("layers %+v", d.Layers)
	}
	check := func(d *Document, what string) {
		img := Render(d, 36, 36)
		px := func(x, y int) []float32 { return img.Pix[4*(y*36+x) : 4*(y*36+x)+4] }
		// pixel 8 has its centre at x = 8.5: t = 8.5/36
		p := px(8, 10)
		tt := 8.5 / 36
		if math.Abs(float64(p[0])-(1-tt)) > 1e-3 || math.Abs(float64(p[2])-tt) > 1e-3 || p[3] < 0.999 {
			t.Errorf("%s: pixel (8,10) = %v, want (%v, 0, %v, 1)", what, p, 1-tt, tt)
		}
	}
	check(d, "parsed")
	// mean color reduction: the average of the ramp, (½, 0, ½)
	if f := d.Layers[0].Fill; math.Abs(f.R-0.5) > 0.01 || math.Abs(f.B-0.5) > 0.01 {
		t.Errorf("mean fill %v, want (0.5, 0, 0.5)", f)
	}
	back := mustParse(t, string(WriteSVG(d)))
	if len(back.Layers) != 1 || back.Layers[0].Paint == nil {
		t.Fatalf("written gradient did not read back: %s", WriteSVG(d))
	}
	check(back, "written")
}

// TestRadialGradientObjectBoundingBox: the default radial gradient on a 20×20 square has its
// centre colour at the middle and the last stop at the corners (pad).
func TestRadialGradientObjectBoundingBox(t *testing.T) {
	d := mustParse(t, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 20">
		<radialGradient id="g"><stop offset="0" stop-color="#fff"/><stop offset="1" stop-color="#000"/></radialGradient>
		<rect width="20" height="20" fill="url(#g)"/></svg>`)
	img := Render(d, 20, 20)
	c := img.Pix[4*(10*20+10):]
	// pixel (10,10) centre is (10.5,10.5): distance 0.707 of radius 10 → t = 0.0707
	if math.Abs(float64(c[0])-(1-0.0707)) > 2e-3 {
		t.Errorf("centre %v, want %v", c[0], 1-0.0707)
	}
	if corner := img.Pix[0]; corner > 1e-6 {
		t.Errorf("corner %v, want 0 (padded last stop)", corner)
	}
}

// TestGroupOpacityOverlap: two overlapping opaque squares in a group at opacity 0.5 composite
// as a group: the overlap shows the top square at alpha 0.5, not 0.75.
func TestGroupOpacityOverlap(t *testing.T) {
	d := mustParse(t, svgDoc(`<g opacity="0.5"><rect width="20" height="20" fill="#f00"/><rect x="10" y="10" width="20" height="20" fill="#00f"/></g>`))
	img := Render(d, 36, 36)
	p := img.Pix[4*(15*36+15):]
	if math.Abs(float64(p[3])-0.5) > 1e-3 || p[0] > 1e-3 {
		t.Errorf("overlap pixel %v, want blue at alpha 0.5", p[:4])
	}
	p = img.Pix[4*(5*36+5):]
	if math.Abs(float64(p[3])-0.5) > 1e-3 || p[0] < 0.999 {
		t.Errorf("red-only pixel %v, want red at alpha 0.5", p[:4])
	}
}

// TestGroupOpacityTranslucentOverlap: translucent squares (red, then blue, each at alpha ½)
// in a group at opacity ½. Worked by hand, source-over: the overlap is blue over red, alpha
// ½ + ½·½ = ¾, color (red·¼ + blue·½)/¾ = ⅓ red + ⅔ blue; the group's ½ then gives alpha ⅜
// there and ¼ where one square is alone, and nothing is reported.
func TestGroupOpacityTranslucentOverlap(t *testing.T) {
	d := mustParse(t, svgDoc(`<g opacity="0.5"><rect width="20" height="20" fill="#f00" fill-opacity="0.5"/><rect x="10" y="10" width="20" height="20" fill="#00f" fill-opacity="0.5"/></g>`))
	if len(d.Unsupported) != 0 {
		t.Errorf("unsupported %q", d.Unsupported)
	}
	img := Render(d, 36, 36)
	for _, tc := range []struct {
		x, y int
		want [4]float64
	}{
		{15, 15, [4]float64{1.0 / 3, 0, 2.0 / 3, 0.375}},
		{5, 5, [4]float64{1, 0, 0, 0.25}},
		{25, 25, [4]float64{0, 0, 1, 0.25}},
	} {
		p := img.Pix[4*(tc.y*36+tc.x):]
		for c := 0; c < 4; c++ {
			if math.Abs(float64(p[c])-tc.want[c]) > 1e-3 {
				t.Errorf("pixel %d,%d = %v, want %v", tc.x, tc.y, p[:4], tc.want)
				break
			}
		}
	}
}

// TestPatternStroke: a pattern on a thick stroke is tiled into the stroke's outline (whose
// inner joins overlap it, and whose edges here lie on the tile's cell edges), not reduced to
// its mean color. The checkerboard tile (20 units: grey at 0–10 × 0–10, green at 10–20 ×
// 10–20) on the square 20–60 stroked 20 wide (band 10–30 and 50–70) at stroke-opacity ½, by
// hand at pixel centres (one pixel per unit).
func TestPatternStroke(t *testing.T) {
	d := mustParse(t, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 80 80"><pattern id="p" patternUnits="userSpaceOnUse" width="20" height="20"><rect width="10" height="10" fill="#808080"/><rect x="10" y="10" width="10" height="10" fill="#008000"/></pattern><rect x="20" y="20" width="40" height="40" fill="none" stroke="url(#p)" stroke-opacity="0.5" stroke-width="20"/></svg>`)
	if len(d.Unsupported) != 0 {
		t.Errorf("unsupported %q", d.Unsupported)
	}
	img := Render(d, 80, 80)
	grey, green := 128.0/255, 128.0/255
	for _, tc := range []struct {
		x, y int
		want [4]float64
	}{
		{25, 25, [4]float64{grey, grey, grey, 0.5}}, // (5.5, 5.5) in the tile: grey
		{15, 15, [4]float64{0, green, 0, 0.5}},      // green
		{12, 22, [4]float64{0, 0, 0, 0}},            // (12.5, 2.5): empty
		{65, 45, [4]float64{grey, grey, grey, 0.5}}, // (5.5, 5.5): grey, on the right side
		{40, 40, [4]float64{0, 0, 0, 0}},            // inside the square, not stroked
		{5, 5, [4]float64{0, 0, 0, 0}},              // outside the stroke
	} {
		p := img.Pix[4*(tc.y*80+tc.x):]
		for c := 0; c < 4; c++ {
			if tc.want[3] == 0 && c < 3 {
				continue
			}
			if math.Abs(float64(p[c])-tc.want[c]) > 1e-3 {
				t.Errorf("pixel %d,%d = %v, want %v", tc.x, tc.y, p[:4], tc.want)
				break
			}
		}
	}
}

// TestPatternGradientTiles: a gradient inside a pattern tile repeats with every tile: the
// cell (the tile's whole 10 × 10) goes black to white along x, so at pixel centres 2.5,
// 12.5 and 22.5 of a 30-wide fill, each a quarter into its tile, the color is ¼ gray.
func TestPatternGradientTiles(t *testing.T) {
	d := mustParse(t, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 30 10"><linearGradient id="g"><stop offset="0" stop-color="#000"/><stop offset="1" stop-color="#fff"/></linearGradient><pattern id="p" patternUnits="userSpaceOnUse" width="10" height="10"><rect width="10" height="10" fill="url(#g)"/></pattern><rect width="30" height="10" fill="url(#p)"/></svg>`)
	if len(d.Unsupported) != 0 {
		t.Errorf("unsupported %q", d.Unsupported)
	}
	img := Render(d, 30, 10)
	for _, x := range []int{2, 12, 22} {
		p := img.Pix[4*(5*30+x):]
		if math.Abs(float64(p[0])-0.25) > 1e-3 || math.Abs(float64(p[3])-1) > 1e-3 {
			t.Errorf("pixel %d,5 = %v, want gray 0.25, opaque", x, p[:4])
		}
	}
}

// TestMaskLuminance: a mask of a white square over the left half and a 50%-gray one over the
// right keeps the content at alpha 1 and 0.5 × luminance(gray) there.
func TestMaskLuminance(t *testing.T) {
	d := mustParse(t, svgDoc(`<mask id="m" maskUnits="userSpaceOnUse" x="0" y="0" width="36" height="36">
		<rect width="18" height="36" fill="#fff"/><rect x="18" width="18" height="36" fill="#fff" fill-opacity="0.5"/></mask>
		<rect width="36" height="36" fill="#0f0" mask="url(#m)"/>`))
	img := Render(d, 36, 36)
	l, r := img.Pix[4*(10*36+5)+3], img.Pix[4*(10*36+30)+3]
	if math.Abs(float64(l)-1) > 1e-3 || math.Abs(float64(r)-0.5) > 1e-3 {
		t.Errorf("masked alpha left %v right %v, want 1 and 0.5", l, r)
	}
}

// TestMaskGradientRamp: a mask of a gradient from transparent white to opaque black has
// luminance × alpha = (1−t)·t, a parabola (peak ¼ at t = ½; times the shape's opacity ½),
// which the content must follow per pixel to well within an 8-bit level, as browsers
// compute masks per pixel.
func TestMaskGradientRamp(t *testing.T) {
	d := mustParse(t, svgDoc(`<linearGradient id="g"><stop offset="0" stop-color="white" stop-opacity="0"/><stop offset="1" stop-color="black"/></linearGradient>
		<mask id="m" maskUnits="userSpaceOnUse" x="0" y="0" width="36" height="36"><rect width="36" height="36" fill="url(#g)" opacity="0.5"/></mask>
		<rect width="36" height="36" fill="#0f0" mask="url(#m)"/>`))
	const w = 360
	img := Render(d, w, w)
	worst := 0.0
	for x := 0; x < w; x++ {
		tt := (float64(x) + 0.5) / w
		want := 0.5 * (1 - tt) * tt
		if e := math.Abs(float64(img.Pix[4*(180*w+x)+3]) - want); e > worst {
			worst = e
		}
	}
	if worst > 0.1/255 {
		t.Errorf("masked alpha off the parabola by %.2f/255", worst*255)
	}
}

// TestMaskGradientOverGradient: content painted with a gradient from opaque to transparent
// red (alpha 1−t) under a mask of a gradient on the same box from transparent white to
// black (strength (1−t)·t): the alpha is their product (1−t)²·t per pixel, within well
// under an 8-bit level, and nothing is reported.
func TestMaskGradientOverGradient(t *testing.T) {
	d := mustParse(t, svgDoc(`<linearGradient id="c"><stop offset="0" stop-color="red"/><stop offset="1" stop-color="red" stop-opacity="0"/></linearGradient>
		<linearGradient id="g"><stop offset="0" stop-color="white" stop-opacity="0"/><stop offset="1" stop-color="black"/></linearGradient>
		<mask id="m"><rect width="36" height="36" fill="url(#g)"/></mask>
		<rect width="36" height="36" fill="url(#c)" mask="url(#m)"/>`))
	if len(d.Unsupported) != 0 {
		t.Errorf("unsupported %q", d.Unsupported)
	}
	const w = 360
	img := Render(d, w, w)
	worst := 0.0
	for x := 0; x < w; x++ {
		tt := (float64(x) + 0.5) / w
		want := (1 - tt) * (1 - tt) * tt
		if e := math.Abs(float64(img.Pix[4*(180*w+x)+3]) - want); e > worst {
			worst = e
		}
	}
	if worst > 0.1/255 {
		t.Errorf("masked alpha off (1−t)²·t by %.2f/255", worst*255)
	}
}

// TestMarkers: a marker at each of a polyline's three vertices.
func TestMarkers(t *testing.T) {
	d := mustParse(t, svgDoc(`<marker id="m" markerWidth="2" markerHeight="2" refX="1" refY="1" markerUnits="userSpaceOnUse"><rect width="2" height="2" fill="#f00"/></marker>
		<polyline points="5,5 15,5 15,15" fill="none" stroke="#000" stroke-width="0.5" marker-start="url(#m)" marker-mid="url(#m)" marker-end="url(#m)"/>`))
	reds := 0
	for _, l := range d.Layers {
		if l.Fill == (RGBA{1, 0, 0, 1}) {
			reds++
			lo, hi := layerBounds(l.Subpaths)
			if math.Abs(hi.X-lo.X-2) > 1e-6 || math.Abs(hi.Y-lo.Y-2) > 1e-6 {
				t.Errorf("marker box %v %v, want 2×2", lo, hi)
			}
		}
	}
	if reds != 3 {
		t.Errorf("%d markers, want 3", reds)
	}
}

// TestStrokeDasharray: a 20-unit line dashed 4 on 1 off has dashes at 0–4, 5–9, 10–14, 15–19.
func TestStrokeDasharray(t *testing.T) {
	d := mustParse(t, svgDoc(`<path d="M0 10h20" stroke="#000" stroke-width="2" stroke-dasharray="4 1"/>`))
	if len(d.Layers) != 1 {
		t.Fatalf("%d layers", len(d.Layers))
	}
	if a := coveredArea(d, 0); math.Abs(a-32) > 0.1 {
		t.Errorf("dashed area %v, want 32 (16 units of dash × 2 wide)", a)
	}
}

// TestZeroLengthDashDots: "0 5" with round caps on a 20-unit line draws dots of the stroke
// width at 0, 5, 10, 15 and 20: five discs of radius 1, area 5π. At 10 px per unit the
// rasterizer's 4 sample rows per pixel cover a disc about 1 % short (a plain r=1 circle
// measures 3.108), hence the 1.5 % tolerance.
func TestZeroLengthDashDots(t *testing.T) {
	d := mustParse(t, svgDoc(`<path d="M5 10h20" stroke="#000" stroke-width="2" stroke-linecap="round" stroke-dasharray="0 5"/>`))
	if len(d.Layers) != 1 {
		t.Fatalf("%d layers", len(d.Layers))
	}
	if a := coveredArea(d, 0); math.Abs(a-5*math.Pi) > 0.015*5*math.Pi {
		t.Errorf("dots area %v, want 5π = %v", a, 5*math.Pi)
	}
}

// TestBillionLaughsWithPaintAndMask: the passes that measure bounding boxes (a <use>'s for its
// context paint, a masked group's) count against the expansion cap, so nesting uses that each
// carry a gradient, under a mask, still stops in bounded time.
func TestBillionLaughsWithPaintAndMask(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<linearGradient id="g"><stop offset="0" stop-color="red"/><stop offset="1" stop-color="blue"/></linearGradient><defs><rect id="l0" width="1" height="1" fill="context-fill"/>`)
	for i := 1; i <= 12; i++ {
		b.WriteString(`<g id="l` + itoa(i) + `">`)
		for j := 0; j < 10; j++ {
			b.WriteString(`<use href="#l` + itoa(i-1) + `" fill="url(#g)"/>`)
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</defs><mask id="m"><use href="#l12" fill="url(#g)"/></mask><use href="#l12" fill="url(#g)" mask="url(#m)"/>`)
	start := time.Now()
	d, err := ParseSVG([]byte(svgDoc(b.String())))
	if err != nil {
		checkErr(t, err)
	} else if !strings.Contains(unsupported(d), "after <use> expansion") {
		t.Errorf("expansion cap not reported: %q", d.Unsupported)
	}
	if took := time.Since(start); took > fuzzTimeLimit {
		t.Errorf("took %v", took)
	}
}
