package ui

import (
	"context"
	"errors"
	"fmt"

	"github.com/lamina-ml/lamina/vector"
)

// Drawer is the drawing model as the editor uses it. The editor's state machine knows only
// this interface, not the inference stack: ui/svgdrawer adapts svgmodel's layered-SVG
// diffusion model to it, tests may use any other. New kinds of run get a method with an
// options struct of their own; new settings of a run get a field in DrawOptions.
type Drawer interface {
	// Generate draws a new drawing for o.Prompt.
	Generate(ctx context.Context, o DrawOptions) (*vector.Document, error)
	// GenerateN draws n candidates for o.Prompt in one run; candidate i is exactly what
	// Generate draws with the candidate's Seed. OnStep gets the first candidate's estimate.
	GenerateN(ctx context.Context, o DrawOptions, n int) ([]Candidate, error)
	// Edit redraws the layers of doc that o does not keep; see EditOptions.
	Edit(ctx context.Context, doc *vector.Document, o EditOptions) (*vector.Document, error)
}

// Candidate is one drawing of GenerateN; Seed redraws it alone with Generate, SVG is the
// model's SVG of Doc (the picker's thumbnail).
type Candidate struct {
	Doc  *vector.Document
	SVG  []byte
	Seed uint64
}

// DrawOptions are the settings of one model run. Zero Steps and CFG mean the model's
// defaults.
type DrawOptions struct {
	Prompt string
	Seed   uint64
	Steps  int     // denoising steps
	CFG    float32 // classifier-free guidance scale
	// OnStep, when set, gets after every step the model's current estimate of the finished
	// drawing (nil when the estimate is not a drawing yet); an error stops the run.
	OnStep func(step, steps int, estimate *vector.Document) error
}

// EditOptions are an edit's settings: the layers (paint indices) to keep as they are — nil
// keeps all, when only adding — whether the others get only new colors, and how many
// layers to add on top.
type EditOptions struct {
	DrawOptions
	Keep    []int
	Recolor bool
	Add     int
}

// ErrBadEdit is returned for a model request that makes no sense (adding fewer than one
// layer, fewer than one candidate).
var ErrBadEdit = errors.New("ui: bad edit")

// ErrNothingToEdit is returned by a model action with no layer to change.
var ErrNothingToEdit = errors.New("ui: no layer to regenerate (select unlocked layers, or unlock some)")

// Busy reports whether a model action is running.
func (e *Editor) Busy() bool { return e.busy }

// run wraps a model call: the editor refuses other changes meanwhile, and every step's
// estimate becomes the Preview (the denoising animation; with n candidates, the first's);
// onStep, when set, runs after the preview is updated (the browser yields to the event loop
// there so the frame is shown). Starting one drops any candidates on offer.
func (e *Editor) run(o *DrawOptions, onStep func(step, steps int)) (func(), error) {
	if e.busy {
		return nil, ErrBusy
	}
	e.cancelGesture()
	e.busy = true
	e.Candidates = nil
	o.OnStep = func(step, steps int, d *vector.Document) error {
		if d != nil {
			e.Preview = d
			e.changed()
		}
		if onStep != nil {
			onStep(step, steps)
		}
		return nil
	}
	return func() {
		e.busy = false
		e.Preview = nil
		e.changed()
	}, nil
}

// Generate replaces the drawing with a new one for o.Prompt (one undo step).
func (e *Editor) Generate(ctx context.Context, m Drawer, o DrawOptions, onStep func(step, steps int)) error {
	done, err := e.run(&o, onStep)
	if err != nil {
		return err
	}
	doc, err := m.Generate(ctx, o)
	done()
	if err != nil {
		return err
	}
	nd := FromVector(doc)
	err = e.apply("Generate", func(d *Document) error {
		*d = *nd
		return nil
	})
	if err == nil {
		e.sel = map[int]bool{}
		e.Replaced++
	}
	return err
}

// GenerateCandidates draws n candidates for o.Prompt and offers them as Candidates without
// touching the document; PickCandidate takes one. The drawer sets their seeds (svgmodel:
// o.Seed, o.Seed+1, …) and its own upper limit on n.
func (e *Editor) GenerateCandidates(ctx context.Context, m Drawer, o DrawOptions, n int, onStep func(step, steps int)) error {
	if n < 1 {
		return fmt.Errorf("%w: %d candidates", ErrBadEdit, n)
	}
	done, err := e.run(&o, onStep)
	if err != nil {
		return err
	}
	cs, err := m.GenerateN(ctx, o, n)
	done()
	if err != nil {
		return err
	}
	e.Candidates = cs
	e.changed()
	return nil
}

// ErrNoCandidate is returned by PickCandidate for an index with no candidate.
var ErrNoCandidate = errors.New("ui: no such candidate")

// PickCandidate makes candidate i the drawing (one undo step, as Generate) and clears the
// offer.
func (e *Editor) PickCandidate(i int) error {
	if i < 0 || i >= len(e.Candidates) {
		return fmt.Errorf("%w: %d of %d", ErrNoCandidate, i, len(e.Candidates))
	}
	nd := FromVector(e.Candidates[i].Doc)
	err := e.apply("Generate", func(d *Document) error {
		*d = *nd
		return nil
	})
	if err == nil {
		e.sel = map[int]bool{}
		e.Candidates = nil
		e.Replaced++
	}
	return err
}

// DiscardCandidates drops the candidates on offer.
func (e *Editor) DiscardCandidates() {
	if e.Candidates != nil {
		e.Candidates = nil
		e.changed()
	}
}

// EditKind is a model edit of the existing drawing.
type EditKind int

const (
	EditRegenerateSelected EditKind = iota // new shapes and colors for the selection
	EditRegenerateUnlocked                 // new shapes and colors for every unlocked layer
	EditRecolor                            // new colors for the selection (or every unlocked layer)
	EditAddLayers                          // new layers on top of the drawing
)

var editLabels = map[EditKind]string{
	EditRegenerateSelected: "Regenerate selected", EditRegenerateUnlocked: "Regenerate unlocked",
	EditRecolor: "Recolor", EditAddLayers: "Add layers",
}

// Edit runs a model edit as one undo step. Layers the edit keeps are left exactly as they
// are (their transform, name and flags too); a regenerated layer keeps its flags and place
// in paint order and gets the model's geometry and color with an identity transform; a
// recolored one keeps its geometry and transform; added layers go on top. A changed layer
// keeps a name the user gave it; an automatic one follows its new look (renameFollowing). add is the
// number of layers for EditAddLayers.
func (e *Editor) Edit(ctx context.Context, m Drawer, kind EditKind, add int, o DrawOptions, onStep func(step, steps int)) error {
	n := len(e.Doc.Layers)
	change := make([]bool, n)
	any := false
	for i, l := range e.Doc.Layers {
		switch kind {
		case EditRegenerateSelected:
			change[i] = e.sel[l.ID]
		case EditRegenerateUnlocked:
			change[i] = !l.Locked
		case EditRecolor:
			change[i] = !l.Locked && (len(e.sel) == 0 || e.sel[l.ID])
		}
		any = any || change[i]
	}
	eo := EditOptions{Keep: []int{}, Recolor: kind == EditRecolor}
	if kind == EditAddLayers {
		if add < 1 {
			return fmt.Errorf("%w: add %d layers", ErrBadEdit, add)
		}
		eo.Add, eo.Keep = add, nil // keep everything, add on top
	} else if !any {
		return ErrNothingToEdit
	}
	for i := range change {
		if !change[i] && eo.Keep != nil {
			eo.Keep = append(eo.Keep, i)
		}
	}
	before := e.Doc.Clone()
	done, err := e.run(&o, onStep)
	if err != nil {
		return err
	}
	eo.DrawOptions = o
	res, err := m.Edit(ctx, before.ToVector(), eo)
	done()
	if err != nil {
		return err
	}
	got := res.Layers
	if kind == EditAddLayers {
		if len(got) < n {
			return fmt.Errorf("ui: the model returned %d layers for a drawing of %d", len(got), n)
		}
	} else if len(got) != n {
		return fmt.Errorf("ui: the model returned %d layers, want %d", len(got), n)
	}
	var added []int
	err = e.apply(editLabels[kind], func(d *Document) error {
		*d = *before.Clone()
		for i := 0; i < n; i++ {
			if !change[i] {
				continue
			}
			l := &d.Layers[i]
			if kind == EditRecolor {
				l.Fill = got[i].Fill
				continue
			}
			l.Fill, l.EvenOdd, l.Subpaths, l.Transform = got[i].Fill, got[i].EvenOdd, got[i].Subpaths, vector.Identity
		}
		for _, g := range got[n:] {
			nl := d.newLayer(Layer{Fill: g.Fill, EvenOdd: g.EvenOdd, Subpaths: g.Subpaths}, nil)
			d.Layers = append(d.Layers, nl)
			added = append(added, nl.ID)
		}
		d.renameFollowing(before)
		return nil
	})
	if err == nil && len(added) > 0 {
		e.sel = map[int]bool{}
		for _, id := range added {
			e.sel[id] = true
		}
	}
	return err
}
