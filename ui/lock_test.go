package ui

import (
	"bytes"
	"errors"
	"testing"

	"github.com/lamina-ml/lamina/vector"
)

// lockedFirst returns the shapes editor with layer 0 (the rect (4,4)-(20,16)) locked and
// then selected from the panel (Select), as a user who locked it and clicked its row.
func lockedFirst(t *testing.T) *Editor {
	t.Helper()
	e := loadShapes(t)
	if err := e.SetLocked(id(e, 0), true); err != nil {
		t.Fatal(err)
	}
	e.ResetHistory()
	e.Select(id(e, 0), SelectReplace)
	if !e.IsSelected(id(e, 0)) {
		t.Fatal("a locked layer cannot be selected from the panel")
	}
	return e
}

func TestLockRefusesEveryChange(t *testing.T) {
	tests := []struct {
		name string
		do   func(e *Editor) error
	}{
		{"delete", (*Editor).Delete},
		{"fill", func(e *Editor) error { return e.SetFill(vector.RGBA{R: 1, A: 1}) }},
		{"opacity", func(e *Editor) error { return e.SetOpacity(0.25) }},
		{"nudge", func(e *Editor) error { return e.Nudge(1, 0) }},
		{"transform", func(e *Editor) error { return e.SetTransform(id(e, 0), translate(3, 3)) }},
		{"delete key", func(e *Editor) error { e.Run(Shortcut{Action: ActDelete}); return e.Refusal }},
		{"arrow key", func(e *Editor) error { e.Run(Shortcut{Action: ActNudge, DX: 0, DY: 10}); return e.Refusal }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := lockedFirst(t)
			before := e.Doc.SVG()
			err := tc.do(e)
			if !errors.Is(err, ErrLocked) || !errors.Is(e.Refusal, ErrLocked) {
				t.Fatalf("err %v, Refusal %v, want ErrLocked", err, e.Refusal)
			}
			if !bytes.Equal(e.Doc.SVG(), before) || e.CanUndo() {
				t.Errorf("the locked layer changed (undo step recorded: %v)", e.CanUndo())
			}
		})
	}
}

func TestLockKeepsUnlockedChangesWorking(t *testing.T) {
	// control: the same calls on the unlocked rect do change it
	e := loadShapes(t)
	e.Select(id(e, 0), SelectReplace)
	if err := e.Nudge(1, 0); err != nil || e.Refusal != nil {
		t.Fatalf("nudge of an unlocked layer: %v, Refusal %v", err, e.Refusal)
	}
	if err := e.SetHidden(id(e, 0), true); err != nil {
		t.Fatal(err)
	}
	// hiding, renaming and unlocking a locked layer stay allowed
	e = lockedFirst(t)
	if err := e.Rename(id(e, 0), "Sky"); err != nil {
		t.Errorf("rename of a locked layer: %v", err)
	}
	if err := e.SetHidden(id(e, 0), true); err != nil {
		t.Errorf("hide of a locked layer: %v", err)
	}
	if err := e.SetLocked(id(e, 0), false); err != nil {
		t.Errorf("unlock: %v", err)
	}
}

func TestLockHidesHandlesAndRefusesDrags(t *testing.T) {
	// the rect's top-left corner (4,4) on the canvas is its NW handle while unlocked
	e := loadShapes(t)
	e.Select(id(e, 0), SelectReplace)
	nw := testView.Matrix(e.Doc.ViewBox).Apply(vector.Point{X: 4, Y: 4})
	if h := e.HandleAt(testView, nw.X, nw.Y); h != HandleNW {
		t.Fatalf("unlocked: handle at the corner %v, want NW", h)
	}
	e = lockedFirst(t)
	if h := e.HandleAt(testView, nw.X, nw.Y); h != HandleNone {
		t.Errorf("locked: handle at the corner %v, want none", h)
	}
	if _, ok := e.handlePositions(testView); ok {
		t.Error("locked: handles still drawn")
	}
	if e.PointerDown(testView, nw.X, nw.Y, SelectReplace) {
		t.Error("locked: a drag started on its corner")
	}
	// a mixed selection (locked rect + the circle) does not move when the circle is dragged
	e = lockedFirst(t)
	e.Select(id(e, 1), SelectToggle)
	before := e.Doc.SVG()
	c := testView.Matrix(e.Doc.ViewBox).Apply(vector.Point{X: 22, Y: 20})
	if e.PointerDown(testView, c.X, c.Y, SelectReplace) {
		e.PointerMove(testView, c.X+30, c.Y+30, false)
		e.PointerUp()
	}
	if !bytes.Equal(e.Doc.SVG(), before) || !errors.Is(e.Refusal, ErrLocked) {
		t.Errorf("a selection with a locked layer moved (Refusal %v)", e.Refusal)
	}
}
