package ui

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/lamina-ml/lamina/vector"
)

// loadShapes returns an editor on testdata/shapes.svg: layer 0 a blue rect (4,4)-(20,16),
// layer 1 a red circle at (22,20) r 9, layer 2 a green triangle (6,32),(14,20),(22,32).
func loadShapes(t *testing.T) *Editor {
	t.Helper()
	data, err := os.ReadFile("testdata/shapes.svg")
	if err != nil {
		t.Fatal(err)
	}
	d, err := ImportSVG(data)
	if err != nil {
		t.Fatal(err)
	}
	e := New()
	if err := e.Load(d, "Import"); err != nil {
		t.Fatal(err)
	}
	e.ResetHistory()
	return e
}

// paths returns the <path …/> elements of an SVG, in document order.
func paths(svg []byte) []string {
	var out []string
	for _, line := range strings.Split(string(svg), "\n") {
		if strings.HasPrefix(line, "<path") {
			out = append(out, line)
		}
	}
	return out
}

func id(e *Editor, i int) int { return e.Doc.Layers[i].ID }

func TestCommandsUndoRedo(t *testing.T) {
	tests := []struct {
		name  string
		do    func(e *Editor) error
		check func(t *testing.T, e *Editor)
	}{
		{"hide", func(e *Editor) error { return e.SetHidden(id(e, 1), true) }, func(t *testing.T, e *Editor) {
			if !strings.Contains(paths(e.Doc.SVG())[1], `display="none"`) {
				t.Error("hidden layer not marked display=none")
			}
		}},
		{"lock deselects", func(e *Editor) error { e.Select(id(e, 1), SelectReplace); return e.SetLocked(id(e, 1), true) },
			func(t *testing.T, e *Editor) {
				if len(e.Selected()) != 0 || !e.Doc.Layers[1].Locked {
					t.Errorf("selected %v, locked %v", e.Selected(), e.Doc.Layers[1].Locked)
				}
			}},
		{"bring forward", func(e *Editor) error { e.Select(id(e, 0), SelectReplace); return e.BringForward() },
			func(t *testing.T, e *Editor) {
				if got := e.Doc.Layers[1].Fill.Hex(); got != "#3b82f6" {
					t.Errorf("layer 1 is %s, want the blue rect", got)
				}
			}},
		{"send backward at bottom is a no-op step", func(e *Editor) error { e.Select(id(e, 0), SelectReplace); return e.SendBackward() },
			func(t *testing.T, e *Editor) {
				if got := e.Doc.Layers[0].Fill.Hex(); got != "#3b82f6" {
					t.Errorf("layer 0 is %s", got)
				}
			}},
		{"move to top", func(e *Editor) error { return e.Move(id(e, 0), 2) }, func(t *testing.T, e *Editor) {
			var got []string
			for _, l := range e.Doc.Layers {
				got = append(got, l.Fill.Hex())
			}
			if want := "#ef4444 #22c55e #3b82f6"; strings.Join(got, " ") != want {
				t.Errorf("order %v, want %s", got, want)
			}
		}},
		{"duplicate", func(e *Editor) error { e.Select(id(e, 1), SelectReplace); return e.Duplicate() },
			func(t *testing.T, e *Editor) {
				if len(e.Doc.Layers) != 4 || e.Doc.Layers[2].Name != e.Doc.Layers[1].Name+" copy" {
					t.Fatalf("layers %d", len(e.Doc.Layers))
				}
				if sel := e.SelectedIndices(); len(sel) != 1 || sel[0] != 2 {
					t.Errorf("selection %v, want the copy [2]", sel)
				}
				if e.Doc.Layers[2].Transform.E != 1 {
					t.Errorf("copy offset %v, want 1 unit", e.Doc.Layers[2].Transform)
				}
			}},
		{"delete", func(e *Editor) error {
			e.Select(id(e, 0), SelectReplace)
			e.Select(id(e, 2), SelectToggle)
			return e.Delete()
		},
			func(t *testing.T, e *Editor) {
				if len(e.Doc.Layers) != 1 || e.Doc.Layers[0].Fill.Hex() != "#ef4444" {
					t.Errorf("left %d layers", len(e.Doc.Layers))
				}
			}},
		{"fill and opacity", func(e *Editor) error {
			e.Select(id(e, 2), SelectReplace)
			if err := e.SetFill(vector.RGBA{R: 1, G: 1, B: 0, A: 1}); err != nil {
				return err
			}
			return e.SetOpacity(0.5)
		}, func(t *testing.T, e *Editor) {
			p := paths(e.Doc.SVG())[2]
			if !strings.Contains(p, `fill="#ffff00" fill-opacity="0.5"`) {
				t.Errorf("got %s", p)
			}
		}},
		{"nudge", func(e *Editor) error { e.Select(id(e, 1), SelectReplace); return e.Nudge(10, -1) },
			func(t *testing.T, e *Editor) {
				if p := paths(e.Doc.SVG())[1]; !strings.Contains(p, `transform="matrix(1 0 0 1 10 -1)"`) {
					t.Errorf("got %s", p)
				}
			}},
		{"rename", func(e *Editor) error { return e.Rename(id(e, 0), `sky "box"`) }, func(t *testing.T, e *Editor) {
			if p := paths(e.Doc.SVG())[0]; !strings.Contains(p, `data-name="sky &quot;box&quot;"`) {
				t.Errorf("got %s", p)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := loadShapes(t)
			before := e.Doc.SVG()
			if err := tc.do(e); err != nil {
				t.Fatal(err)
			}
			after := e.Doc.SVG()
			tc.check(t, e)
			for e.CanUndo() {
				e.Undo()
			}
			if got := e.Doc.SVG(); !bytes.Equal(got, before) {
				t.Errorf("undo did not restore the SVG:\n%s\nwant\n%s", got, before)
			}
			for e.CanRedo() {
				e.Redo()
			}
			if got := e.Doc.SVG(); !bytes.Equal(got, after) {
				t.Errorf("redo did not restore the SVG:\n%s\nwant\n%s", got, after)
			}
		})
	}
}

func TestNoSelectionErrors(t *testing.T) {
	e := loadShapes(t)
	for name, f := range map[string]func() error{"delete": e.Delete, "duplicate": e.Duplicate, "forward": e.BringForward} {
		if err := f(); !errors.Is(err, errNoSelection) {
			t.Errorf("%s with nothing selected: %v", name, err)
		}
	}
	if e.CanUndo() {
		t.Error("failed commands recorded undo steps")
	}
}

// TestSelection checks the panel's click conventions: click selects only that row,
// Shift+click the rows from the anchor (last click without Shift), Mod+click toggles.
func TestSelection(t *testing.T) {
	type click struct {
		row  int
		mode SelectMode
	}
	tests := []struct {
		name   string
		clicks []click
		want   []int // selected paint indices
	}{
		{"click selects only that row", []click{{0, SelectReplace}, {2, SelectReplace}}, []int{2}},
		{"shift-click: range from the anchor", []click{{0, SelectReplace}, {2, SelectRange}}, []int{0, 1, 2}},
		{"shift-click downwards", []click{{2, SelectReplace}, {1, SelectRange}}, []int{1, 2}},
		{"a second shift-click redraws the range from the same anchor", []click{{1, SelectReplace}, {2, SelectRange}, {0, SelectRange}}, []int{0, 1}},
		{"shift-click with no anchor selects that row", []click{{1, SelectRange}}, []int{1}},
		{"mod-click adds", []click{{0, SelectReplace}, {2, SelectToggle}}, []int{0, 2}},
		{"mod-click removes", []click{{0, SelectReplace}, {2, SelectRange}, {1, SelectToggle}}, []int{0, 2}},
		{"mod-click moves the anchor", []click{{0, SelectReplace}, {2, SelectToggle}, {1, SelectRange}}, []int{1, 2}},
		{"click after a range selects one row", []click{{0, SelectReplace}, {2, SelectRange}, {1, SelectReplace}}, []int{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := loadShapes(t)
			for _, c := range tc.clicks {
				e.Select(id(e, c.row), c.mode)
			}
			if got := e.SelectedIndices(); !equalInts(got, tc.want) {
				t.Errorf("selected %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("select all skips locked; deselect", func(t *testing.T) {
		e := loadShapes(t)
		if err := e.SetLocked(id(e, 2), true); err != nil {
			t.Fatal(err)
		}
		e.SelectAll()
		if got := e.SelectedIndices(); !equalInts(got, []int{0, 1}) {
			t.Errorf("select all skips locked: %v", got)
		}
		e.Deselect()
		if len(e.Selected()) != 0 {
			t.Error("deselect")
		}
	})
}

// TestCanvasSelection: a canvas click selects the topmost unlocked shape under the pointer;
// Shift+click (SelectToggle) adds or removes it.
func TestCanvasSelection(t *testing.T) {
	const k = 236.0 / 36
	px := func(x, y float64) (float64, float64) { return 82 + x*k, 32 + y*k }
	type click struct {
		x, y float64 // user units
		mode SelectMode
	}
	rect, both, tri, empty := click{6, 6, SelectReplace}, click{18, 14, SelectReplace}, click{14, 28, SelectReplace}, click{33, 3, SelectReplace}
	shift := func(c click) click { c.mode = SelectToggle; return c }
	tests := []struct {
		name   string
		lock   int // paint index to lock first, -1 none
		clicks []click
		want   []int
	}{
		{"click selects the shape", -1, []click{rect}, []int{0}},
		{"topmost shape under the pointer", -1, []click{both}, []int{1}},
		{"a click replaces the selection", -1, []click{rect, tri}, []int{2}},
		{"shift-click adds", -1, []click{rect, shift(tri)}, []int{0, 2}},
		{"shift-click removes", -1, []click{rect, shift(tri), shift(rect)}, []int{2}},
		{"shift-click on empty canvas keeps the selection", -1, []click{rect, shift(empty)}, []int{0}},
		{"click on empty canvas clears", -1, []click{rect, empty}, nil},
		{"locked shapes let the click through", 1, []click{both}, []int{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := loadShapes(t)
			if tc.lock >= 0 {
				if err := e.SetLocked(id(e, tc.lock), true); err != nil {
					t.Fatal(err)
				}
			}
			for _, c := range tc.clicks {
				x, y := px(c.x, c.y)
				e.PointerDown(testView, x, y, c.mode)
				e.PointerUp()
			}
			if got := e.SelectedIndices(); !equalInts(got, tc.want) {
				t.Errorf("selected %v, want %v", got, tc.want)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHitTest(t *testing.T) {
	tests := []struct {
		p    vector.Point
		want int // paint index, -1 none
	}{
		{vector.Point{X: 6, Y: 6}, 0},     // rect only
		{vector.Point{X: 18, Y: 14}, 1},   // rect and circle: circle on top
		{vector.Point{X: 14, Y: 28}, 2},   // triangle over circle
		{vector.Point{X: 33, Y: 3}, -1},   // empty
		{vector.Point{X: 29.5, Y: 20}, 1}, // inside the circle near its edge
	}
	e := loadShapes(t)
	for _, tc := range tests {
		want := 0
		if tc.want >= 0 {
			want = id(e, tc.want)
		}
		if got := e.HitTest(tc.p); got != want {
			t.Errorf("HitTest(%v) = %d, want %d", tc.p, got, want)
		}
	}
	// Locked and hidden layers let clicks through to the layer below.
	_ = e.SetLocked(id(e, 1), true)
	if got := e.HitTest(vector.Point{X: 18, Y: 14}); got != id(e, 0) {
		t.Errorf("through locked circle: %d", got)
	}
	_ = e.SetHidden(id(e, 2), true)
	if got := e.HitTest(vector.Point{X: 14, Y: 28}); got != 0 {
		t.Errorf("through hidden triangle onto locked circle: %d", got)
	}
}

// testView is a 400×300 canvas: the 36-unit drawing is fit into 236 px (300 − 2·32 margin),
// so 1 unit = 236/36 px, the artboard starts at x = (400−236)/2 = 82, y = 32.
var testView = View{W: 400, H: 300, Scale: 1}

func TestGestures(t *testing.T) {
	const k = 236.0 / 36
	px := func(x, y float64) (float64, float64) { return 82 + x*k, 32 + y*k }
	t.Run("move", func(t *testing.T) {
		e := loadShapes(t)
		before := paths(e.Doc.SVG())
		x, y := px(22, 20)
		if !e.PointerDown(testView, x, y, SelectReplace) {
			t.Fatal("no gesture on the circle")
		}
		e.PointerMove(testView, x+k*3, y-k*2, false)
		e.PointerUp()
		after := paths(e.Doc.SVG())
		if !strings.Contains(after[1], `transform="matrix(1 0 0 1 3 -2)"`) {
			t.Errorf("moved circle: %s", after[1])
		}
		if after[0] != before[0] || after[2] != before[2] {
			t.Error("other layers changed")
		}
		e.Undo()
		if got := paths(e.Doc.SVG()); got[1] != before[1] {
			t.Error("undo of a drag")
		}
	})
	t.Run("scale from the SE corner", func(t *testing.T) {
		e := loadShapes(t)
		e.Select(id(e, 0), SelectReplace) // rect (4,4)-(20,16)
		x, y := px(20, 16)
		if h := e.HandleAt(testView, x, y); h != HandleSE {
			t.Fatalf("handle %v", h)
		}
		e.PointerDown(testView, x, y, SelectReplace)
		e.PointerMove(testView, x+16*k, y+12*k, false) // to (36,28): twice the size about (4,4)
		e.PointerUp()
		lo, hi, _ := e.Doc.Layers[0].Bounds()
		if !near(lo, vector.Point{X: 4, Y: 4}) || !near(hi, vector.Point{X: 36, Y: 28}) {
			t.Errorf("bounds %v %v", lo, hi)
		}
	})
	t.Run("rotate 90° with snapping", func(t *testing.T) {
		e := loadShapes(t)
		e.Select(id(e, 0), SelectReplace) // centre (12,10)
		hp, _ := e.handlePositions(testView)
		r := hp[HandleRotate]
		e.PointerDown(testView, r.X, r.Y, SelectReplace)
		cx, cy := px(12, 10)
		e.PointerMove(testView, cx+100, cy+3, true) // almost straight right of the centre: +90°, snapped
		e.PointerUp()
		lo, hi, _ := e.Doc.Layers[0].Bounds() // 16×12 rect turned: 12×16 about (12,10)
		if !near(lo, vector.Point{X: 6, Y: 2}) || !near(hi, vector.Point{X: 18, Y: 18}) {
			t.Errorf("bounds %v %v", lo, hi)
		}
	})
	t.Run("click on empty canvas deselects; Undo cancels a drag", func(t *testing.T) {
		e := loadShapes(t)
		e.Select(id(e, 0), SelectReplace)
		x, y := px(33, 3)
		if e.PointerDown(testView, x, y, SelectReplace) || len(e.Selected()) != 0 {
			t.Error("empty click")
		}
		before := e.Doc.SVG()
		x, y = px(6, 6)
		e.PointerDown(testView, x, y, SelectReplace)
		e.PointerMove(testView, x+30, y, false)
		e.Undo()
		if !bytes.Equal(e.Doc.SVG(), before) || e.Dragging() {
			t.Error("undo during a drag")
		}
	})
}

// geomTol is the tolerance of bounds after transforms (flattening is within 0.01 units).
const geomTol = 0.02

func near(a, b vector.Point) bool { return a.Dist(b) < geomTol }

func TestShortcuts(t *testing.T) {
	tests := []struct {
		ev   KeyEvent
		mac  bool
		want Action
		dx   float64
		dy   float64
	}{
		{KeyEvent{Key: "z", Ctrl: true}, false, ActUndo, 0, 0},
		{KeyEvent{Key: "z", Meta: true}, true, ActUndo, 0, 0},
		{KeyEvent{Key: "z", Ctrl: true}, true, ActNone, 0, 0}, // Ctrl+Z is not Mod on a Mac
		{KeyEvent{Key: "z", Meta: true}, false, ActNone, 0, 0},
		{KeyEvent{Key: "Z", Ctrl: true, Shift: true}, false, ActRedo, 0, 0},
		{KeyEvent{Key: "Z", Meta: true, Shift: true}, true, ActRedo, 0, 0},
		{KeyEvent{Key: "y", Ctrl: true}, false, ActRedo, 0, 0},
		{KeyEvent{Key: "Delete"}, false, ActDelete, 0, 0},
		{KeyEvent{Key: "Backspace"}, true, ActDelete, 0, 0},
		{KeyEvent{Key: "d", Ctrl: true}, false, ActDuplicate, 0, 0},
		{KeyEvent{Key: "]", Ctrl: true, Code: "BracketRight"}, false, ActBringForward, 0, 0},
		{KeyEvent{Key: "[", Meta: true, Code: "BracketLeft"}, true, ActSendBackward, 0, 0},
		{KeyEvent{Key: "8", Ctrl: true, Alt: true, Code: "BracketRight"}, false, ActBringForward, 0, 0}, // AltGr layouts
		{KeyEvent{Key: "a", Ctrl: true}, false, ActSelectAll, 0, 0},
		{KeyEvent{Key: "Escape"}, false, ActDeselect, 0, 0},
		{KeyEvent{Key: "H", Ctrl: true, Shift: true}, false, ActToggleHidden, 0, 0},
		{KeyEvent{Key: "L", Meta: true, Shift: true}, true, ActToggleLocked, 0, 0},
		{KeyEvent{Key: "ArrowLeft"}, false, ActNudge, -1, 0},
		{KeyEvent{Key: "ArrowDown", Shift: true}, true, ActNudge, 0, 10},
		{KeyEvent{Key: "ArrowUp", Ctrl: true}, false, ActNone, 0, 0},
		{KeyEvent{Key: "x"}, false, ActNone, 0, 0},
		{KeyEvent{Key: "=", Code: "Equal", Ctrl: true}, false, ActZoomIn, 0, 0},
		{KeyEvent{Key: "+", Code: "Equal", Ctrl: true, Shift: true}, false, ActZoomIn, 0, 0},
		{KeyEvent{Key: "+", Code: "NumpadAdd", Meta: true}, true, ActZoomIn, 0, 0},
		{KeyEvent{Key: "-", Code: "Minus", Ctrl: true}, false, ActZoomOut, 0, 0},
		{KeyEvent{Key: "0", Code: "Digit0", Ctrl: true}, false, ActZoomFit, 0, 0},
		{KeyEvent{Key: "0", Code: "Digit0", Ctrl: true}, true, ActNone, 0, 0}, // Ctrl is not Mod on a Mac
		{KeyEvent{Key: "1", Code: "Digit1", Meta: true}, true, ActZoom100, 0, 0},
		{KeyEvent{Key: "!", Code: "Digit1", Shift: true}, false, ActZoomFit, 0, 0},
		{KeyEvent{Key: "@", Code: "Digit2", Shift: true}, false, ActZoomSelection, 0, 0},
		{KeyEvent{Key: "2", Code: "Digit2"}, false, ActNone, 0, 0},
	}
	for _, tc := range tests {
		got := ShortcutFor(tc.ev, tc.mac)
		if got.Action != tc.want || got.DX != tc.dx || got.DY != tc.dy {
			t.Errorf("%+v mac=%v: %v (%v,%v), want %v (%v,%v)", tc.ev, tc.mac, got.Action, got.DX, got.DY, tc.want, tc.dx, tc.dy)
		}
	}
}

func TestShortcutsRun(t *testing.T) {
	e := loadShapes(t)
	before := e.Doc.SVG()
	e.Run(ShortcutFor(KeyEvent{Key: "a", Ctrl: true}, false))
	e.Run(ShortcutFor(KeyEvent{Key: "ArrowRight", Shift: true}, false))
	for _, p := range paths(e.Doc.SVG()) {
		if !strings.Contains(p, "matrix(1 0 0 1 10 0)") {
			t.Errorf("select all + shift-right: %s", p)
		}
	}
	e.Run(ShortcutFor(KeyEvent{Key: "z", Ctrl: true}, false))
	if !bytes.Equal(e.Doc.SVG(), before) {
		t.Error("Ctrl+Z")
	}
}

func TestAutosaveRoundTrip(t *testing.T) {
	e := loadShapes(t)
	e.Select(id(e, 1), SelectReplace)
	_ = e.Nudge(1.25, 2)
	_ = e.SetOpacity(0.3)
	_ = e.SetHidden(id(e, 0), true)
	_ = e.SetLocked(id(e, 2), true)
	_ = e.Rename(id(e, 2), "grass")
	want := e.Doc.SVG()
	d, err := UnmarshalDocument(MarshalDocument(e.Doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.SVG(); !bytes.Equal(got, want) {
		t.Errorf("round trip:\n%s\nwant\n%s", got, want)
	}
	if d.NextID != e.Doc.NextID || d.Layers[2].ID != e.Doc.Layers[2].ID || !d.Layers[2].Locked {
		t.Error("ids or flags lost")
	}
}

func TestAutosaveErrors(t *testing.T) {
	tests := []string{
		``,
		`{"version":2,"viewBox":[0,0,36,36],"layers":[]}`,
		`{"version":1,"viewBox":[0,0,0,36],"layers":[]}`,
		`{"version":1,"viewBox":[0,0,36,36],"layers":[{"id":0,"fill":"#fff","opacity":1,"transform":[1,0,0,1,0,0],"d":"M0 0L1 1L0 1Z"}]}`,
		`{"version":1,"viewBox":[0,0,36,36],"layers":[{"id":1,"fill":"#fff","opacity":1,"transform":[1,0,0,1,0,0],"d":""},{"id":1,"fill":"#fff","opacity":1,"transform":[1,0,0,1,0,0],"d":""}]}`,
		`{"version":1,"viewBox":[0,0,36,36],"layers":[{"id":1,"fill":"bogus","opacity":1,"transform":[1,0,0,1,0,0],"d":""}]}`,
		`{"version":1,"viewBox":[0,0,36,36],"layers":[{"id":1,"fill":"#fff","opacity":2,"transform":[1,0,0,1,0,0],"d":""}]}`,
		`{"version":1,"viewBox":[0,0,36,36],"layers":[{"id":1,"fill":"#fff","opacity":1,"transform":[1,0,0,1,0,0],"d":"M0 0 L"}]}`,
	}
	for _, s := range tests {
		if _, err := UnmarshalDocument([]byte(s)); !errors.Is(err, ErrAutosave) {
			t.Errorf("%.60s: %v, want ErrAutosave", s, err)
		}
	}
}

func TestImportErrors(t *testing.T) {
	for _, s := range []string{`<html/>`, `<svg viewBox="0 0 1 1"><path d="M0 0 L x"/></svg>`, `not xml`} {
		if _, err := ImportSVG([]byte(s)); err == nil {
			t.Errorf("%q imported", s)
		}
	}
	if _, err := ImportSVG([]byte(`<svg viewBox="0 0 10 10"></svg>`)); !errors.Is(err, ErrEmptyImport) {
		t.Error("empty drawing accepted")
	}
}
