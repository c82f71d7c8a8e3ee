package ui

import (
	"errors"
	"math"
	"testing"

	"github.com/lamina-ml/lamina/vector"
)

func TestSelectionGeometryFields(t *testing.T) {
	e := loadShapes(t)
	if _, ok := e.SelectionGeometry(); ok {
		t.Fatal("geometry with nothing selected")
	}
	e.Select(id(e, 0), SelectReplace) // the rect (4,4)-(20,16)
	g, _ := e.SelectionGeometry()
	if !approx(g.X, 4) || !approx(g.Y, 4) || !approx(g.W, 16) || !approx(g.H, 12) || g.Rotation != 0 {
		t.Fatalf("rect geometry %+v", g)
	}
	if err := e.MoveSelectionTo(10, 2); err != nil {
		t.Fatal(err)
	}
	if g, _ = e.SelectionGeometry(); !approx(g.X, 10) || !approx(g.Y, 2) || !approx(g.W, 16) || !approx(g.H, 12) {
		t.Errorf("after moving to (10,2): %+v", g)
	}
	if err := e.ResizeSelection(8, 24); err != nil {
		t.Fatal(err)
	}
	if g, _ = e.SelectionGeometry(); !approx(g.X, 10) || !approx(g.Y, 2) || !approx(g.W, 8) || !approx(g.H, 24) {
		t.Errorf("after resizing to 8×24: %+v", g)
	}
	// Rotating a 8×24 box by 90° about its center (14,14) gives a 24×8 box around it.
	if err := e.RotateSelectionTo(90); err != nil {
		t.Fatal(err)
	}
	g, _ = e.SelectionGeometry()
	if !approx(g.Rotation, 90) || !approx(g.W, 24) || !approx(g.H, 8) || !approx(g.X+g.W/2, 14) || !approx(g.Y+g.H/2, 14) {
		t.Errorf("after rotating to 90°: %+v", g)
	}
	// On screen (y down) a positive rotation turns clockwise: the box's top-left corner
	// (10,2) goes to the top-right, (26,10).
	p := e.Doc.Layers[0].Transform.Apply(vector.Point{X: 4, Y: 4}) // the rect's own top-left
	if !approx(p.X, 26) || !approx(p.Y, 10) {
		t.Errorf("the rect's corner went to %v, want (26,10)", p)
	}
	if err := e.RotateSelectionTo(-45); err != nil {
		t.Fatal(err)
	}
	if g, _ = e.SelectionGeometry(); !approx(g.Rotation, -45) {
		t.Errorf("rotation %v, want −45", g.Rotation)
	}
	// Four steps, each undoable.
	for i := 0; i < 4; i++ {
		e.Undo()
	}
	if g, _ = e.SelectionGeometry(); !approx(g.X, 4) || !approx(g.W, 16) {
		t.Errorf("after four undos: %+v", g)
	}
	// Locked: refused.
	_ = e.SetLocked(id(e, 0), true)
	e.Select(id(e, 0), SelectReplace)
	if err := e.MoveSelectionTo(0, 0); !errors.Is(err, ErrLocked) {
		t.Errorf("moving a locked layer: %v", err)
	}
}

func approx(a, b float64) bool { return math.Abs(a-b) < geomTol }
