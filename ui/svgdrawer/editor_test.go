package svgdrawer_test

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/ui"
	"github.com/lamina-ml/lamina/ui/svgdrawer"
)

// tinyModel is svgmodel's barely trained test model (svgmodel/testdata/tiny): its
// drawings are blobs, which is all these tests need — the editor's bookkeeping around them.
func tinyModel(t *testing.T) *svgmodel.Model {
	t.Helper()
	m, err := svgmodel.Load(os.DirFS("../../svgmodel/testdata/tiny"), tensor.NewCPU())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// fastSteps keeps the model tests quick; the sampler's step count is not what they test.
const fastSteps = 4

func generated(t *testing.T, m *svgmodel.Model) *ui.Editor {
	t.Helper()
	e := ui.New()
	steps := 0
	err := e.Generate(context.Background(), svgdrawer.New(m), ui.DrawOptions{Prompt: "red heart", Seed: 7, Steps: fastSteps},
		func(step, n int) {
			steps++
			if e.Preview == nil || !e.Busy() {
				t.Error("no preview or not busy during a step")
			}
			if err := e.Delete(); err != ui.ErrBusy {
				t.Errorf("edit during generation: %v", err)
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	if steps != fastSteps || e.Preview != nil || e.Busy() {
		t.Errorf("steps %d, preview %v, busy %v", steps, e.Preview != nil, e.Busy())
	}
	if len(e.Doc.Layers) < 3 {
		t.Fatalf("only %d layers generated", len(e.Doc.Layers))
	}
	return e
}

func TestGenerateUndo(t *testing.T) {
	m := tinyModel(t)
	e := generated(t, m)
	// The editor's document is the model's drawing: same layers, same path data.
	res, err := m.Generate(context.Background(), svgmodel.Options{Prompt: "red heart", Seed: 7, Steps: fastSteps})
	if err != nil {
		t.Fatal(err)
	}
	want := paths(res.SVG)
	got := paths(e.Doc.SVG())
	if len(got) != len(want) {
		t.Fatalf("%d layers, model drew %d", len(got), len(want))
	}
	for i := range got {
		if dAttr(got[i]) != dAttr(want[i]) {
			t.Errorf("layer %d path differs from the model's", i)
		}
	}
	e.Undo()
	if len(e.Doc.Layers) != 0 {
		t.Error("undo of generate")
	}
}

func dAttr(p string) string {
	i := bytes.Index([]byte(p), []byte(` d="`))
	return p[i:]
}

func TestModelEdits(t *testing.T) {
	m := tinyModel(t)
	o := ui.DrawOptions{Prompt: "green tree", Seed: 11, Steps: fastSteps}
	t.Run("regenerate selected", func(t *testing.T) {
		e := generated(t, m)
		e.Select(id(e, 1), ui.SelectReplace)
		e.Select(id(e, 2), ui.SelectToggle)
		_ = e.Nudge(1, 1) // a transformed layer is regenerated with an identity transform
		before := paths(e.Doc.SVG())
		if err := e.Edit(context.Background(), svgdrawer.New(m), ui.EditRegenerateSelected, 0, o, nil); err != nil {
			t.Fatal(err)
		}
		after := paths(e.Doc.SVG())
		if len(after) != len(before) {
			t.Fatalf("%d layers after, %d before", len(after), len(before))
		}
		for i := range after {
			changed := after[i] != before[i]
			if changed != (i == 1 || i == 2) {
				t.Errorf("layer %d changed=%v", i, changed)
			}
		}
		e.Undo()
		if got := paths(e.Doc.SVG()); !slices.Equal(got, before) {
			t.Error("undo of regenerate selected")
		}
	})
	t.Run("regenerate unlocked", func(t *testing.T) {
		e := generated(t, m)
		_ = e.SetLocked(id(e, 0), true)
		before := paths(e.Doc.SVG())
		if err := e.Edit(context.Background(), svgdrawer.New(m), ui.EditRegenerateUnlocked, 0, o, nil); err != nil {
			t.Fatal(err)
		}
		after := paths(e.Doc.SVG())
		if after[0] != before[0] {
			t.Error("locked layer changed")
		}
		n := 0
		for i := 1; i < len(after); i++ {
			if after[i] != before[i] {
				n++
			}
		}
		if n == 0 {
			t.Error("no unlocked layer changed")
		}
	})
	t.Run("recolor keeps geometry", func(t *testing.T) {
		e := generated(t, m)
		before := paths(e.Doc.SVG())
		if err := e.Edit(context.Background(), svgdrawer.New(m), ui.EditRecolor, 0, o, nil); err != nil {
			t.Fatal(err)
		}
		after := paths(e.Doc.SVG())
		recolored := 0
		for i := range after {
			if dAttr(after[i]) != dAttr(before[i]) {
				t.Errorf("layer %d geometry changed", i)
			}
			if after[i] != before[i] {
				recolored++
			}
		}
		if recolored == 0 {
			t.Error("no color changed")
		}
	})
	t.Run("add layers", func(t *testing.T) {
		e := generated(t, m)
		before := paths(e.Doc.SVG())
		if err := e.Edit(context.Background(), svgdrawer.New(m), ui.EditAddLayers, 2, o, nil); err != nil {
			t.Fatal(err)
		}
		after := paths(e.Doc.SVG())
		if len(after) <= len(before) || len(after) > len(before)+2 {
			t.Fatalf("%d layers after adding 2 to %d", len(after), len(before))
		}
		if !slices.Equal(after[:len(before)], before) {
			t.Error("existing layers changed")
		}
		if len(e.Selected()) != len(after)-len(before) {
			t.Error("added layers not selected")
		}
	})
	t.Run("nothing to regenerate", func(t *testing.T) {
		e := generated(t, m)
		if err := e.Edit(context.Background(), svgdrawer.New(m), ui.EditRegenerateSelected, 0, o, nil); err != ui.ErrNothingToEdit {
			t.Errorf("got %v", err)
		}
		if e.UndoLabel() != "Generate" {
			t.Errorf("undo label %q", e.UndoLabel())
		}
	})
}

// pathLine is a <path …/> line of the editor's SVG export (ui's tests split the same lines).
var pathLine = regexp.MustCompile(`(?m)^<path.*$`)

func paths(svg []byte) []string { return pathLine.FindAllString(string(svg), -1) }

// id is the id of the layer at paint index i.
func id(e *ui.Editor, i int) int { return e.Doc.Layers[i].ID }
