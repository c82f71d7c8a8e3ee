package ui

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/lamina-ml/lamina/vector"
)

func hex(t *testing.T, s string) vector.RGBA {
	t.Helper()
	c, ok, err := vector.ParseColor(s)
	if err != nil || !ok {
		t.Fatalf("color %q: %v", s, err)
	}
	return c
}

// TestColorName: CSS named colours (CSS Color 4 §6.1) and Twemoji's palette get the colour
// word their names say.
func TestColorName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"black", "black"}, {"white", "white"}, {"gray", "gray"}, {"silver", "light gray"}, {"dimgray", "gray"},
		{"#333333", "dark gray"}, {"red", "red"}, {"crimson", "red"}, {"orange", "orange"}, {"darkorange", "orange"},
		{"gold", "yellow"}, {"yellow", "yellow"}, {"green", "green"}, {"lime", "green"}, {"forestgreen", "green"},
		{"teal", "teal"}, {"turquoise", "teal"}, {"blue", "blue"}, {"navy", "blue"}, {"royalblue", "blue"},
		{"purple", "purple"}, {"indigo", "purple"}, {"pink", "pink"}, {"hotpink", "pink"}, {"magenta", "pink"},
		{"saddlebrown", "brown"}, {"sienna", "brown"},
		// Twemoji: the face yellow, heart red, tree green, sky blue, the dark brown of eyes.
		{"#ffcc4d", "yellow"}, {"#dd2e44", "red"}, {"#77b255", "green"}, {"#55acee", "blue"}, {"#664500", "brown"},
		{"#3b82f6", "blue"}, {"#ef4444", "red"}, {"#22c55e", "green"},
	} {
		if got := ColorName(hex(t, tc.in)); got != tc.want {
			t.Errorf("ColorName(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// poly returns the closed polygon through pts as a subpath of straight segments.
func poly(pts ...vector.Point) vector.Subpath {
	sp := vector.Subpath{Start: pts[0]}
	for i := range pts {
		sp.Segs = append(sp.Segs, lineSeg(pts[i], pts[(i+1)%len(pts)]))
	}
	return sp
}

func ellipse(cx, cy, rx, ry float64) vector.Subpath {
	var pts []vector.Point
	for i := 0; i < 64; i++ {
		a := 2 * math.Pi * float64(i) / 64
		pts = append(pts, vector.Point{X: cx + rx*math.Cos(a), Y: cy + ry*math.Sin(a)})
	}
	return poly(pts...)
}

func TestDescribeLayer(t *testing.T) {
	P := func(x, y float64) vector.Point { return vector.Point{X: x, Y: y} }
	rot := func(sp vector.Subpath, deg float64) vector.Subpath {
		a := deg * math.Pi / 180
		c, s := math.Cos(a), math.Sin(a)
		return sp.Transform(translate(18, 18).Mul(vector.Matrix{A: c, B: s, C: -s, D: c}).Mul(translate(-18, -18)))
	}
	red, black := hex(t, "#dd2e44"), hex(t, "#292f33")
	for _, tc := range []struct {
		name string
		subs []vector.Subpath
		fill vector.RGBA
		want string
	}{
		{"circle", []vector.Subpath{ellipse(18, 18, 10, 10)}, red, "red circle"},
		{"oval", []vector.Subpath{ellipse(18, 18, 14, 6)}, red, "red oval"},
		{"square", []vector.Subpath{poly(P(4, 4), P(24, 4), P(24, 24), P(4, 24))}, red, "red square"},
		{"rectangle", []vector.Subpath{poly(P(4, 4), P(30, 4), P(30, 14), P(4, 14))}, red, "red rectangle"},
		{"diamond", []vector.Subpath{rot(poly(P(8, 8), P(28, 8), P(28, 28), P(8, 28)), 45)}, red, "red diamond"},
		{"triangle", []vector.Subpath{poly(P(6, 32), P(18, 6), P(30, 32))}, red, "red triangle"},
		{"line", []vector.Subpath{poly(P(2, 17), P(34, 17), P(34, 19), P(2, 19))}, black, "black line"},
		{"ring", []vector.Subpath{ellipse(18, 18, 12, 12), ellipse(18, 18, 8, 8)}, red, "red ring"},
		{"eyes", []vector.Subpath{ellipse(12, 14, 2, 3), ellipse(24, 14, 2, 3)}, black, "2 black ovals"},
		{"small", []vector.Subpath{ellipse(18, 18, 1.5, 1.5)}, black, "small black circle"},
		{"L-shape", []vector.Subpath{poly(P(4, 4), P(12, 4), P(12, 24), P(30, 24), P(30, 32), P(4, 32))}, red, "red shape"},
	} {
		l := Layer{Fill: tc.fill, Subpaths: tc.subs, Transform: vector.Identity, EvenOdd: tc.name == "ring"}
		if got := DescribeLayer(&l, DefaultViewBox); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	// The transform counts: a circle scaled 3× wide reads as an oval.
	l := Layer{Fill: red, Subpaths: []vector.Subpath{ellipse(6, 18, 4, 4)}, Transform: vector.Matrix{A: 3, D: 1}}
	if got := DescribeLayer(&l, DefaultViewBox); got != "red oval" {
		t.Errorf("stretched circle: %q", got)
	}
}

// TestLayerNamesFromTheDrawing: an import without names, or a generated drawing, names its
// layers by colour and shape, numbering repeats.
func TestLayerNamesFromTheDrawing(t *testing.T) {
	e := loadShapes(t)
	want := []string{"blue rectangle", "red circle", "green triangle"}
	for i, l := range e.Doc.Layers {
		if l.Name != want[i] {
			t.Errorf("layer %d named %q, want %q", i, l.Name, want[i])
		}
	}
	d, err := ImportSVG([]byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36">` +
		`<circle cx="10" cy="10" r="6" fill="red"/><circle cx="26" cy="26" r="6" fill="red"/><circle cx="26" cy="10" r="6" fill="red"/></svg>`))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"red circle", "red circle 2", "red circle 3"} {
		if got := d.Layers[i].Name; got != want {
			t.Errorf("repeat %d: %q, want %q", i, got, want)
		}
	}
}

// TestThumbnailFramesTheLayer: a layer's thumbnail is framed on its own bounds (the red
// circle at (22,20) r 9 spans 13–31 × 11–29), not on the artboard.
func TestThumbnailFramesTheLayer(t *testing.T) {
	e := loadShapes(t)
	vb := e.Doc.ThumbBox(1)
	if vb[2] != vb[3] {
		t.Errorf("not square: %v", vb)
	}
	if !(vb[0] <= 13 && vb[1] <= 11 && vb[0]+vb[2] >= 31 && vb[1]+vb[3] >= 29) {
		t.Errorf("frame %v does not hold the circle 13–31 × 11–29", vb)
	}
	if vb[2] > 18*1.2 {
		t.Errorf("frame side %v: more than 20 %% around an 18-unit circle", vb[2])
	}
	if !strings.Contains(e.Doc.LayerSVG(1), `viewBox="`+fmtNum(vb[0], 6)+" "+fmtNum(vb[1], 6)+" ") {
		t.Errorf("LayerSVG does not use the frame: %s", e.Doc.LayerSVG(1)[:120])
	}
	// A moved layer's frame follows it.
	e.Select(id(e, 1), SelectReplace)
	_ = e.Nudge(5, 0)
	if moved := e.Doc.ThumbBox(1); math.Abs(moved[0]-vb[0]-5) > geomTol {
		t.Errorf("frame after a 5-unit move %v, before %v", moved, vb)
	}
}

// recolorDrawer recolors every layer it may change blue (the model's Recolor, for the
// bookkeeping of names).
type recolorDrawer struct{ stubDrawer }

func (recolorDrawer) Edit(_ context.Context, d *vector.Document, o EditOptions) (*vector.Document, error) {
	keep := map[int]bool{}
	for _, k := range o.Keep {
		keep[k] = true
	}
	out := &vector.Document{ViewBox: d.ViewBox, Layers: append([]vector.Layer(nil), d.Layers...)}
	for i := range out.Layers {
		if !keep[i] {
			out.Layers[i].Fill = vector.RGBA{B: 1, A: 1}
		}
	}
	return out, nil
}

// TestAutoNamesFollowTheColour: an automatic name ("red circle") follows a fill change and
// the model's Recolor, numbered against the other layers; a name the user typed stays, and
// undo brings the old name back.
func TestAutoNamesFollowTheColour(t *testing.T) {
	e := loadShapes(t) // blue rectangle, red circle, green triangle
	names := func() []string {
		var s []string
		for _, l := range e.Doc.Layers {
			s = append(s, l.Name)
		}
		return s
	}
	e.Select(id(e, 1), SelectReplace)
	if err := e.SetFill(hex(t, "#22c55e")); err != nil {
		t.Fatal(err)
	}
	if got := names()[1]; got != "green circle" {
		t.Errorf("after a green fill: %q", got)
	}
	if err := e.SetOpacity(0.5); err != nil || names()[1] != "green circle" {
		t.Errorf("opacity renamed it: %q (%v)", names()[1], err)
	}
	e.Undo()
	e.Undo()
	if got := names()[1]; got != "red circle" {
		t.Errorf("after undo: %q", got)
	}
	// A typed name stays; a numbered automatic one follows, renumbered against the others.
	if err := e.Rename(id(e, 2), "Leaf"); err != nil {
		t.Fatal(err)
	}
	e.Select(id(e, 2), SelectReplace)
	_ = e.SetFill(hex(t, "red"))
	if got := names()[2]; got != "Leaf" {
		t.Errorf("a typed name changed to %q", got)
	}
	e.Deselect()
	if err := e.Edit(context.Background(), recolorDrawer{}, EditRecolor, 0, DrawOptions{Prompt: "x", Steps: 1}, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := names(), []string{"blue rectangle", "blue circle", "Leaf"}; !slices.Equal(got, want) {
		t.Errorf("after Recolor: %q, want %q", got, want)
	}
	d, err := ImportSVG([]byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36">` +
		`<circle cx="10" cy="10" r="6" fill="red"/><circle cx="26" cy="26" r="6" fill="blue"/><circle cx="26" cy="10" r="6" fill="red"/></svg>`))
	if err != nil {
		t.Fatal(err)
	}
	_ = e.Load(d, "Import")
	e.Select(id(e, 2), SelectReplace) // "red circle 2"
	_ = e.SetFill(hex(t, "blue"))
	if got, want := names(), []string{"red circle", "blue circle", "blue circle 2"}; !slices.Equal(got, want) {
		t.Errorf("a numbered name recolored: %q, want %q", got, want)
	}
	// A move is no new look: the name stays even where the shape would now read otherwise.
	_ = e.Nudge(3, 0)
	if got := names()[2]; got != "blue circle 2" {
		t.Errorf("after a move: %q", got)
	}
}

func TestIsAutoName(t *testing.T) {
	e := loadShapes(t)
	l := &e.Doc.Layers[1]
	vb := e.Doc.ViewBox
	for name, want := range map[string]bool{"red circle": true, "red circle 2": true, "red circle 12": true,
		"red circle 1": false, "red circle 02": false, "red circle x": false, "Red circle": false, "red circle copy": false, "circle": false} {
		if got := isAutoName(name, l, vb); got != want {
			t.Errorf("isAutoName(%q) = %v", name, got)
		}
	}
}
