package svgdrawer_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/ui"
	"github.com/lamina-ml/lamina/ui/svgdrawer"
)

func TestGenerateCandidatesPick(t *testing.T) {
	m := svgdrawer.New(tinyModel(t))
	e := ui.New()
	o := ui.DrawOptions{Prompt: "red heart", Seed: 7, Steps: fastSteps}
	steps := 0
	err := e.GenerateCandidates(context.Background(), m, o, 3, func(step, n int) {
		steps++
		if e.Preview == nil || !e.Busy() {
			t.Error("no preview or not busy during a step")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if steps != fastSteps || len(e.Candidates) != 3 || len(e.Doc.Layers) != 0 || e.CanUndo() {
		t.Fatalf("steps %d, %d candidates, %d layers in the document, undo %v", steps, len(e.Candidates), len(e.Doc.Layers), e.CanUndo())
	}
	for i, c := range e.Candidates {
		if c.Seed != o.Seed+uint64(i) {
			t.Errorf("candidate %d: seed %d", i, c.Seed)
		}
		want, err := m.M.Generate(context.Background(), svgmodel.Options{Prompt: o.Prompt, Seed: c.Seed, Steps: o.Steps})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(c.SVG, want.SVG) {
			t.Errorf("candidate %d differs from Generate with seed %d", i, c.Seed)
		}
	}
	// Picking candidate 1 is Generate with its seed: the same document, one undo step.
	if err := e.PickCandidate(1); err != nil {
		t.Fatal(err)
	}
	ref := ui.New()
	one := o
	one.Seed = o.Seed + 1
	if err := ref.Generate(context.Background(), m, one, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(e.Doc.SVG(), ref.Doc.SVG()) || e.Candidates != nil {
		t.Fatalf("picked document differs from Generate(seed %d), or candidates still offered", one.Seed)
	}
	if !e.CanUndo() || e.UndoLabel() != "Generate" {
		t.Fatalf("undo %v %q", e.CanUndo(), e.UndoLabel())
	}
	e.Undo()
	if len(e.Doc.Layers) != 0 {
		t.Fatal("undo did not restore the empty drawing")
	}
	if err := e.PickCandidate(0); !errors.Is(err, ui.ErrNoCandidate) {
		t.Errorf("pick with none offered: %v", err)
	}
	if err := e.GenerateCandidates(context.Background(), m, o, 0, nil); !errors.Is(err, ui.ErrBadEdit) {
		t.Errorf("0 candidates: %v", err)
	}
	if err := e.GenerateCandidates(context.Background(), m, o, svgmodel.MaxCandidates+1, nil); !errors.Is(err, svgmodel.ErrOptions) {
		t.Errorf("%d candidates: %v", svgmodel.MaxCandidates+1, err)
	}
	if err := e.GenerateCandidates(context.Background(), m, o, 2, nil); err != nil || len(e.Candidates) != 2 {
		t.Fatal(err)
	}
	e.DiscardCandidates()
	if e.Candidates != nil || len(e.Doc.Layers) != 0 {
		t.Fatal("discard kept candidates or changed the drawing")
	}
}
