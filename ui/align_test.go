package ui

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

// box is a layer's bounds as {x0, y0, x1, y1}.
type box [4]float64

func layerBox(t *testing.T, e *Editor, i int) box {
	t.Helper()
	lo, hi, ok := e.Doc.Layers[i].Bounds()
	if !ok {
		t.Fatalf("layer %d has no bounds", i)
	}
	return box{lo.X, lo.Y, hi.X, hi.Y}
}

func checkBoxes(t *testing.T, e *Editor, want []box) {
	t.Helper()
	for i, w := range want {
		got := layerBox(t, e, i)
		for k := range w {
			if math.Abs(got[k]-w[k]) > 1e-9 {
				t.Errorf("layer %d: box %v, want %v", i, got, w)
				break
			}
		}
	}
}

func selectAllLayers(e *Editor) {
	for i := range e.Doc.Layers {
		mode := SelectToggle
		if i == 0 {
			mode = SelectReplace
		}
		e.Select(id(e, i), mode)
	}
}

// The shapes' boxes (loadShapes): rect (4,4)-(20,16), circle (13,11)-(31,29), triangle
// (6,20)-(22,32); all three together span (4,4)-(31,32), center (17.5, 18). Each expected
// box below is the original moved by hand: e.g. align left puts every left edge at 4, so
// the circle moves by -9 and the triangle by -2.
func TestAlignToSelection(t *testing.T) {
	tests := []struct {
		a    Align
		want []box
	}{
		{AlignLeft, []box{{4, 4, 20, 16}, {4, 11, 22, 29}, {4, 20, 20, 32}}},
		{AlignCenterH, []box{{9.5, 4, 25.5, 16}, {8.5, 11, 26.5, 29}, {9.5, 20, 25.5, 32}}},
		{AlignRight, []box{{15, 4, 31, 16}, {13, 11, 31, 29}, {15, 20, 31, 32}}},
		{AlignTop, []box{{4, 4, 20, 16}, {13, 4, 31, 22}, {6, 4, 22, 16}}},
		{AlignMiddle, []box{{4, 12, 20, 24}, {13, 9, 31, 27}, {6, 12, 22, 24}}},
		{AlignBottom, []box{{4, 20, 20, 32}, {13, 14, 31, 32}, {6, 20, 22, 32}}},
	}
	for _, tc := range tests {
		t.Run(tc.a.String(), func(t *testing.T) {
			e := loadShapes(t)
			selectAllLayers(e)
			before := e.Doc.SVG()
			if err := e.Align(tc.a); err != nil {
				t.Fatal(err)
			}
			checkBoxes(t, e, tc.want)
			if len(e.Selected()) != 3 {
				t.Errorf("selection %v after align, want all three", e.Selected())
			}
			// one undo step brings the drawing back exactly
			if !e.Undo() || !bytes.Equal(e.Doc.SVG(), before) || e.CanUndo() {
				t.Errorf("undo did not restore the drawing in one step")
			}
			if !e.Redo() {
				t.Fatal("no redo")
			}
			checkBoxes(t, e, tc.want)
		})
	}
}

// One layer is aligned to the artboard (viewBox 0 0 36 36): the circle (13,11)-(31,29).
func TestAlignSingleToArtboard(t *testing.T) {
	tests := []struct {
		a    Align
		want box
	}{
		{AlignLeft, box{0, 11, 18, 29}},
		{AlignCenterH, box{9, 11, 27, 29}},
		{AlignRight, box{18, 11, 36, 29}},
		{AlignTop, box{13, 0, 31, 18}},
		{AlignMiddle, box{13, 9, 31, 27}},
		{AlignBottom, box{13, 18, 31, 36}},
	}
	for _, tc := range tests {
		e := loadShapes(t)
		e.Select(id(e, 1), SelectReplace)
		if err := e.Align(tc.a); err != nil {
			t.Fatal(err)
		}
		checkBoxes(t, e, []box{{4, 4, 20, 16}, tc.want, {6, 20, 22, 32}})
	}
}

const distributeSVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36">
<rect x="20" y="1" width="4" height="2" fill="#000"/>
<rect x="0" y="30" width="2" height="5" fill="#000"/>
<rect x="3" y="8" width="5" height="4" fill="#000"/>
<rect x="10" y="20" width="1" height="1" fill="#000"/>
</svg>`

func loadSVG(t *testing.T, s string) *Editor {
	t.Helper()
	d, err := ImportSVG([]byte(s))
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

// Distribute on rects whose paint order differs from their order on the page.
// Horizontally, of the first three (x ranges [20,24], [0,2], [3,8]): widths 2+5+4 = 11 in
// the span 0..24, so the gap is (24-11)/2 = 6.5: [0,2], then [8.5,13.5], then [20,24].
// Vertically, of layers 0, 2, 3 (y ranges [1,3], [8,12], [20,21]): heights 2+4+1 = 7 in
// 1..21, gap (20-7)/2 = 6.5: [1,3], [9.5,13.5], [20,21].
func TestDistribute(t *testing.T) {
	e := loadSVG(t, distributeSVG)
	orig := []box{{20, 1, 24, 3}, {0, 30, 2, 35}, {3, 8, 8, 12}, {10, 20, 11, 21}}
	checkBoxes(t, e, orig)
	for i := 0; i < 3; i++ {
		e.Select(id(e, i), map[bool]SelectMode{true: SelectReplace, false: SelectToggle}[i == 0])
	}
	before := e.Doc.SVG()
	if err := e.Distribute(true); err != nil {
		t.Fatal(err)
	}
	checkBoxes(t, e, []box{{20, 1, 24, 3}, {0, 30, 2, 35}, {8.5, 8, 13.5, 12}, {10, 20, 11, 21}})
	if e.UndoLabel() != "Distribute horizontally" || !e.Undo() || !bytes.Equal(e.Doc.SVG(), before) || e.CanUndo() {
		t.Error("distribute is not one undo step")
	}

	e = loadSVG(t, distributeSVG)
	e.Select(id(e, 0), SelectReplace)
	e.Select(id(e, 2), SelectToggle)
	e.Select(id(e, 3), SelectToggle)
	if err := e.Distribute(false); err != nil {
		t.Fatal(err)
	}
	checkBoxes(t, e, []box{{20, 1, 24, 3}, {0, 30, 2, 35}, {3, 9.5, 8, 13.5}, {10, 20, 11, 21}})

	// four layers horizontally: x [20,24], [0,2], [3,8], [10,11]; widths 12 in 0..24,
	// gap 12/3 = 4: [0,2], [6,11], [15,16], [20,24].
	e = loadSVG(t, distributeSVG)
	selectAllLayers(e)
	if err := e.Distribute(true); err != nil {
		t.Fatal(err)
	}
	checkBoxes(t, e, []box{{20, 1, 24, 3}, {0, 30, 2, 35}, {6, 8, 11, 12}, {15, 20, 16, 21}})
}

func TestDistributeNeedsThree(t *testing.T) {
	e := loadSVG(t, distributeSVG)
	e.Select(id(e, 0), SelectReplace)
	e.Select(id(e, 1), SelectToggle)
	before := e.Doc.SVG()
	if err := e.Distribute(true); !errors.Is(err, ErrDistributeFew) {
		t.Errorf("two layers: err %v, want ErrDistributeFew", err)
	}
	if !bytes.Equal(e.Doc.SVG(), before) || e.CanUndo() {
		t.Error("a refused distribute changed the drawing")
	}
	e.Deselect()
	if err := e.Align(AlignLeft); !errors.Is(err, errNoSelection) {
		t.Errorf("align with nothing selected: %v", err)
	}
}

func TestAlignRefusesLocked(t *testing.T) {
	for _, do := range []func(e *Editor) error{
		func(e *Editor) error { return e.Align(AlignRight) },
		func(e *Editor) error { return e.Align(AlignLeft) }, // the rect is already leftmost
		func(e *Editor) error { return e.Distribute(true) },
	} {
		e := lockedFirst(t) // the rect, locked and selected from the panel
		e.Select(id(e, 1), SelectToggle)
		e.Select(id(e, 2), SelectToggle)
		before := e.Doc.SVG()
		err := do(e)
		if !errors.Is(err, ErrLocked) || !errors.Is(e.Refusal, ErrLocked) {
			t.Errorf("err %v, Refusal %v, want ErrLocked", err, e.Refusal)
		}
		if !bytes.Equal(e.Doc.SVG(), before) || e.CanUndo() {
			t.Error("a selection with a locked layer was aligned")
		}
	}
}

func TestAlignKeepsRotation(t *testing.T) {
	// a rotated layer moves by its rotated box; its transform's linear part stays
	e := loadShapes(t)
	e.Select(id(e, 0), SelectReplace)
	if err := e.RotateSelectionTo(90); err != nil {
		t.Fatal(err)
	}
	// the rect (4,4)-(20,16) turned 90° about its center (12,10): (6,2)-(18,18)
	checkBoxes(t, e, []box{{6, 2, 18, 18}})
	m := e.Doc.Layers[0].Transform
	if err := e.Align(AlignLeft); err != nil {
		t.Fatal(err)
	}
	checkBoxes(t, e, []box{{0, 2, 12, 18}})
	n := e.Doc.Layers[0].Transform
	if n.A != m.A || n.B != m.B || n.C != m.C || n.D != m.D {
		t.Errorf("align changed the rotation: %v → %v", m, n)
	}
}

func TestParseAlign(t *testing.T) {
	for _, s := range []string{"left", "center-h", "right", "top", "middle", "bottom"} {
		a, ok := ParseAlign(s)
		if !ok || a.String() != s {
			t.Errorf("ParseAlign(%q) = %v, %v", s, a, ok)
		}
	}
	if _, ok := ParseAlign("centre"); ok {
		t.Error("ParseAlign accepted an unknown name")
	}
}

func TestAlignShortcuts(t *testing.T) {
	tests := []struct {
		ev   KeyEvent
		mac  bool
		want Action
		al   Align
	}{
		{KeyEvent{Key: "a", Code: "KeyA", Alt: true}, false, ActAlign, AlignLeft},
		{KeyEvent{Key: "å", Code: "KeyA", Alt: true}, true, ActAlign, AlignLeft}, // Option+A on a Mac
		{KeyEvent{Key: "h", Code: "KeyH", Alt: true}, false, ActAlign, AlignCenterH},
		{KeyEvent{Key: "d", Code: "KeyD", Alt: true}, false, ActAlign, AlignRight},
		{KeyEvent{Key: "w", Code: "KeyW", Alt: true}, false, ActAlign, AlignTop},
		{KeyEvent{Key: "v", Code: "KeyV", Alt: true}, false, ActAlign, AlignMiddle},
		{KeyEvent{Key: "s", Code: "KeyS", Alt: true}, false, ActAlign, AlignBottom},
		{KeyEvent{Key: "H", Code: "KeyH", Alt: true, Shift: true}, false, ActDistributeH, 0},
		{KeyEvent{Key: "V", Code: "KeyV", Alt: true, Shift: true}, false, ActDistributeV, 0},
		{KeyEvent{Key: "a", Code: "KeyA"}, false, ActNone, 0},
		{KeyEvent{Key: "ś", Code: "KeyS", Alt: true, Ctrl: true}, false, ActNone, 0}, // AltGr+S types a character
		{KeyEvent{Key: "H", Code: "KeyH", Ctrl: true, Shift: true}, false, ActToggleHidden, 0},
	}
	for _, tc := range tests {
		got := ShortcutFor(tc.ev, tc.mac)
		if got.Action != tc.want || got.Align != tc.al {
			t.Errorf("%+v: %v %v, want %v %v", tc.ev, got.Action, got.Align, tc.want, tc.al)
		}
	}
	e := loadShapes(t)
	selectAllLayers(e)
	if !e.Run(ShortcutFor(KeyEvent{Key: "d", Code: "KeyD", Alt: true}, false)) {
		t.Fatal("Alt+D not used")
	}
	checkBoxes(t, e, []box{{15, 4, 31, 16}, {13, 11, 31, 29}, {15, 20, 31, 32}})
	e.Run(ShortcutFor(KeyEvent{Key: "V", Code: "KeyV", Alt: true, Shift: true}, false))
	// y: rect [4,16], circle [11,29], triangle [20,32]: heights 42 in 28, gap -7, so the
	// circle goes to [9,27] and the others stay
	checkBoxes(t, e, []box{{15, 4, 31, 16}, {13, 9, 31, 27}, {15, 20, 31, 32}})
}
