package ui

import (
	"context"
	"image/color"
	"math"
	"testing"

	"github.com/lamina-ml/lamina/vector"
)

// testView's stage is (32,32)+(336×236) (viewMargin 32 on each side); the 36-unit artboard
// fits its height: k0 = 236/36 pixels per unit, the artboard's left edge at 200 − 18·k0 = 82.
const testK0 = 236.0 / 36

func nearPx(a, b vector.Point, tol float64) bool { return a.Dist(b) <= tol }

func TestCameraZeroIsArtboardFit(t *testing.T) {
	vb := DefaultViewBox
	m := testView.Matrix(vb)
	for _, tc := range []struct{ doc, px vector.Point }{
		{vector.Point{}, vector.Point{X: 82, Y: 32}},
		{vector.Point{X: 36, Y: 36}, vector.Point{X: 82 + 36*testK0, Y: 32 + 36*testK0}},
		{vector.Point{X: 18, Y: 18}, vector.Point{X: 200, Y: 150}}, // the stage's center
	} {
		if got := m.Apply(tc.doc); !nearPx(got, tc.px, 1e-9) {
			t.Errorf("%v → %v, want %v", tc.doc, got, tc.px)
		}
	}
	if z := testView.ZoomLevel(vb); z != 1 {
		t.Errorf("zoom level %v, want 1", z)
	}
	// An explicit camera at zoom 1 on the artboard's center is the same fit.
	v := testView
	v.Cam = Camera{Zoom: 1, Center: vector.Point{X: 18, Y: 18}}
	if v.Matrix(vb) != m {
		t.Errorf("explicit fit %v, zero camera %v", v.Matrix(vb), m)
	}
}

func TestZoomAtKeepsThePointUnderTheCursor(t *testing.T) {
	vb := DefaultViewBox
	for _, tc := range []struct{ x, y, factor float64 }{
		{200, 150, 2}, {82, 32, 3}, {390, 10, 0.5}, {120.5, 250.25, 1.1},
	} {
		v := testView
		before := v.ToDoc(vb, tc.x, tc.y)
		v.Cam = v.ZoomAt(vb, tc.factor, tc.x, tc.y)
		if got := v.ToDoc(vb, tc.x, tc.y); !nearPx(got, before, 1e-9) {
			t.Errorf("zoom ×%v at (%v,%v): the point under it moved %v → %v", tc.factor, tc.x, tc.y, before, got)
		}
		if z := v.ZoomLevel(vb); math.Abs(z-tc.factor) > 1e-12 {
			t.Errorf("zoom level %v, want %v", z, tc.factor)
		}
		// Pixels per unit: factor × the fit's.
		if k := v.Matrix(vb).A; math.Abs(k-tc.factor*testK0) > 1e-9 {
			t.Errorf("scale %v, want %v", k, tc.factor*testK0)
		}
	}
	v := testView
	v.Cam = v.ZoomAt(vb, 1e6, 200, 150)
	if z := v.ZoomLevel(vb); z != maxZoom {
		t.Errorf("zoom clamps at %v, got %v", maxZoom, z)
	}
	v.Cam = v.ZoomAt(vb, 1e-12, 200, 150)
	if z := v.ZoomLevel(vb); z != minZoom {
		t.Errorf("zoom clamps at %v, got %v", minZoom, z)
	}
}

func TestZoomSteps(t *testing.T) {
	vb := DefaultViewBox
	level := func(z float64, in bool) float64 {
		v := testView
		v.Cam = Camera{Zoom: z, Center: vector.Point{X: 18, Y: 18}}
		v.Cam = v.ZoomStep(vb, in, 200, 150)
		return v.ZoomLevel(vb)
	}
	for _, tc := range []struct {
		from float64
		in   bool
		want float64
	}{
		{1, true, 1.5}, {1.5, true, 2}, {1, false, 0.75}, {1.2, true, 1.5}, {1.2, false, 1},
		{64, true, 64}, {0.05, false, 0.05}, {0.06, false, 0.05},
	} {
		if got := level(tc.from, tc.in); got != tc.want {
			t.Errorf("step in=%v from %v: %v, want %v", tc.in, tc.from, got, tc.want)
		}
	}
}

func TestPanByScrollsAndStaysNearTheDrawing(t *testing.T) {
	vb := DefaultViewBox
	lo, hi := vector.Point{X: 0, Y: 0}, vector.Point{X: 36, Y: 36}
	v := testView
	p := vector.Point{X: 10, Y: 10}
	before := v.Matrix(vb).Apply(p)
	// A wheel scrolled by 2 units' worth of pixels down and 1 right: the drawing moves up
	// and left by as much.
	v.Cam = v.PanBy(vb, testK0, 2*testK0, lo, hi)
	after := v.Matrix(vb).Apply(p)
	if want := (vector.Point{X: before.X - testK0, Y: before.Y - 2*testK0}); !nearPx(after, want, 1e-9) {
		t.Errorf("after pan %v, want %v", after, want)
	}
	// Far past the drawing: the center stops at its edge.
	v.Cam = v.PanBy(vb, 1e6, -1e6, lo, hi)
	if c := v.Cam.Center; c != (vector.Point{X: 36, Y: 0}) {
		t.Errorf("center %v, want clamped to (36, 0)", c)
	}
}

// onStage reports whether user-space box lo–hi maps inside testView's stage.
func onStage(v View, vb [4]float64, lo, hi vector.Point) bool {
	m := v.Matrix(vb)
	a, b := m.Apply(lo), m.Apply(hi)
	const tol = 1e-6
	return a.X >= 32-tol && a.Y >= 32-tol && b.X <= 368+tol && b.Y <= 268+tol
}

func TestFitAllShowsShapesBeyondTheArtboard(t *testing.T) {
	e := loadShapes(t)
	e.Select(id(e, 0), SelectReplace)
	if err := e.Nudge(40, -20); err != nil { // the rect (4,4)-(20,16) to (44,-16)-(60,-4)
		t.Fatal(err)
	}
	lo, hi := e.ContentBounds()
	if !nearPx(lo, vector.Point{X: 0, Y: -16}, geomTol) || !nearPx(hi, vector.Point{X: 60, Y: 36}, geomTol) {
		t.Fatalf("content bounds %v–%v, want (0,-16)–(60,36)", lo, hi)
	}
	v := testView
	if onStage(v, e.Doc.ViewBox, lo, hi) {
		t.Fatal("the moved rect should be off the fitted artboard's stage")
	}
	v.Cam = e.FitAll(v)
	if !onStage(v, e.Doc.ViewBox, lo, hi) {
		t.Errorf("after FitAll the content %v–%v is not on the stage", lo, hi)
	}
	// Tight: 60×52 units in a 336×236 stage is limited by the height, 236/52 px per unit.
	if k := v.Matrix(e.Doc.ViewBox).A; math.Abs(k-236.0/52) > 1e-3 {
		t.Errorf("fit scale %v px/unit, want %v", k, 236.0/52)
	}
}

func TestSelectAllRevealsItsHandles(t *testing.T) {
	e := loadShapes(t)
	e.Select(id(e, 1), SelectReplace)
	if err := e.Nudge(30, 0); err != nil { // the circle to x 43–61, past the stage's right edge
		t.Fatal(err)
	}
	e.SelectAll()
	v := testView
	if e.HandlesOnStage(v) {
		t.Fatal("handles should be off the stage before revealing")
	}
	c, moved := e.RevealSelection(v)
	if !moved {
		t.Fatal("RevealSelection kept the camera")
	}
	v.Cam = c
	if !e.HandlesOnStage(v) {
		t.Errorf("handles still off the stage at camera %+v", c)
	}
	if c.Zoom > 1 {
		t.Errorf("revealing zoomed in (%v)", c.Zoom)
	}
	// The handles can be grabbed: the SE corner is a scale handle at its position.
	hp, _ := e.handlePositions(v)
	if h := e.HandleAt(v, hp[HandleSE].X, hp[HandleSE].Y); h != HandleSE {
		t.Errorf("handle at the SE corner: %v", h)
	}
	// Already reachable: no change.
	if _, moved := e.RevealSelection(v); moved {
		t.Error("RevealSelection moved a camera whose handles were reachable")
	}
}

func TestPointerUnderZoom(t *testing.T) {
	e := loadShapes(t)
	v := testView
	// Zoomed 4× on the circle's right part: its center (22,20) is off-center on screen.
	v.Cam = Camera{Zoom: 4, Center: vector.Point{X: 26, Y: 20}}
	k := 4 * testK0
	x, y := 200+k*(22-26), 150+k*(20-20)
	if got := v.ToDoc(e.Doc.ViewBox, x, y); !nearPx(got, vector.Point{X: 22, Y: 20}, 1e-9) {
		t.Fatalf("ToDoc %v, want (22,20)", got)
	}
	if !e.PointerDown(v, x, y, SelectReplace) {
		t.Fatal("no gesture on the circle")
	}
	// Drag 2 units' worth of screen pixels: the circle moves 2 units, not 2·4.
	e.PointerMove(v, x+2*k, y, false)
	e.PointerUp()
	if got := e.Doc.Layers[1].Transform; math.Abs(got.E-2) > 1e-9 || got.F != 0 {
		t.Errorf("transform after the drag %+v, want a 2-unit move", got)
	}
}

func TestFrameShowsShapesBeyondTheArtboardUnderAVeil(t *testing.T) {
	e := loadShapes(t)
	e.Select(id(e, 0), SelectReplace)
	_ = e.Nudge(-10, 0) // the rect to x −6…10: 6 units hang off the artboard's left edge
	e.Deselect()
	img := e.Frame(testView).Rasterize()
	at := func(x, y float64) color.NRGBA { return img.NRGBAAt(int(82+x*testK0), int(32+y*testK0)) }
	// Outside, over the rect: 30 % rect blue under 70 % background (#3b82f6 under #e9ecf1).
	mix := func(a, b float64) uint8 { return uint8(0.3*a + 0.7*b + 0.5) }
	want := color.NRGBA{mix(0x3b, 0xe9), mix(0x82, 0xec), mix(0xf6, 0xf1), 255}
	if got := at(-3, 10); d(got.R, want.R) > 1 || d(got.G, want.G) > 1 || d(got.B, want.B) > 1 {
		t.Errorf("rect beyond the artboard %v, want %v", got, want)
	}
	if got := at(5, 10); got != (color.NRGBA{0x3b, 0x82, 0xf6, 255}) {
		t.Errorf("rect on the artboard %v", got)
	}
	if got := at(-3, 25); got != (color.NRGBA{0xe9, 0xec, 0xf1, 255}) {
		t.Errorf("background beyond the artboard, where nothing is: %v", got)
	}
}

// stubDrawer draws one fixed square, for the bookkeeping tests.
type stubDrawer struct{}

func (stubDrawer) Generate(context.Context, DrawOptions) (*vector.Document, error) {
	return &vector.Document{ViewBox: DefaultViewBox, Layers: []vector.Layer{{Fill: vector.RGBA{A: 1}, Subpaths: rect(4, 4, 8, 8)}}}, nil
}
func (s stubDrawer) GenerateN(ctx context.Context, o DrawOptions, n int) ([]Candidate, error) {
	d, _ := s.Generate(ctx, o)
	return []Candidate{{Seed: o.Seed, Doc: d}}, nil
}
func (stubDrawer) Edit(_ context.Context, d *vector.Document, _ EditOptions) (*vector.Document, error) {
	return d, nil
}

// TestReplacedCountsNewDrawings: the view fits a new drawing (an import, Generate, a picked
// candidate), not an edit or an undo.
func TestReplacedCountsNewDrawings(t *testing.T) {
	e := loadShapes(t) // one Load
	if e.Replaced != 1 {
		t.Fatalf("Replaced %d after a load", e.Replaced)
	}
	e.Select(id(e, 0), SelectReplace)
	_ = e.Nudge(1, 0)
	e.Undo()
	if e.Replaced != 1 {
		t.Errorf("an edit and its undo counted as new drawings: %d", e.Replaced)
	}
	// A loaded drawing starts with nothing selected, though its layer IDs repeat.
	e.Select(id(e, 1), SelectReplace)
	d := e.Doc.Clone()
	if err := e.Load(d, "Import"); err != nil || len(e.Selected()) != 0 {
		t.Errorf("after a load: %v, selected %v", err, e.Selected())
	}
	if err := e.Generate(context.Background(), stubDrawer{}, DrawOptions{Prompt: "x", Steps: 1}, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.GenerateCandidates(context.Background(), stubDrawer{}, DrawOptions{Prompt: "x", Steps: 1}, 1, nil); err != nil {
		t.Fatal(err)
	}
	if e.Replaced != 3 {
		t.Errorf("Generate: Replaced %d, want 3 (offering candidates is not a new drawing)", e.Replaced)
	}
	if err := e.PickCandidate(0); err != nil {
		t.Fatal(err)
	}
	if e.Replaced != 4 {
		t.Errorf("PickCandidate: Replaced %d, want 4", e.Replaced)
	}
}
