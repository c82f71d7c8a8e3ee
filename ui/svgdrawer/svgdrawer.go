// Package svgdrawer adapts svgmodel's layered-SVG diffusion model to ui.Drawer, so the
// editor's state machine (package ui) does not import the inference stack: only the
// editor's wasm entry (ui/editorwasm) and tests link both.
package svgdrawer

import (
	"context"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/ui"
	"github.com/lamina-ml/lamina/vector"
)

// Drawer is a loaded *svgmodel.Model as a ui.Drawer.
type Drawer struct{ M *svgmodel.Model }

var _ ui.Drawer = Drawer{}

// New wraps m.
func New(m *svgmodel.Model) Drawer { return Drawer{M: m} }

// Generate implements ui.Drawer with svgmodel.Model.Generate.
func (d Drawer) Generate(ctx context.Context, o ui.DrawOptions) (*vector.Document, error) {
	res, err := d.M.Generate(ctx, d.options(o))
	if err != nil {
		return nil, err
	}
	return res.Doc, nil
}

// GenerateN implements ui.Drawer with svgmodel.Model.GenerateN (candidate i seeded
// svgmodel.CandidateSeed(o.Seed, i)).
func (d Drawer) GenerateN(ctx context.Context, o ui.DrawOptions, n int) ([]ui.Candidate, error) {
	so := d.options(o)
	if on := so.OnStep; on != nil && n > 1 {
		// The estimate holds every candidate's tokens, one after another: preview the first.
		so.OnStep = func(step, steps int, x []float32) error { return on(step, steps, x[:len(x)/n]) }
	}
	res, err := d.M.GenerateN(ctx, so, n)
	if err != nil {
		return nil, err
	}
	cs := make([]ui.Candidate, len(res))
	for i, r := range res {
		cs[i] = ui.Candidate{Doc: r.Doc, SVG: r.SVG, Seed: svgmodel.CandidateSeed(o.Seed, i)}
	}
	return cs, nil
}

// Edit implements ui.Drawer with svgmodel.Model.EditDoc.
func (d Drawer) Edit(ctx context.Context, doc *vector.Document, o ui.EditOptions) (*vector.Document, error) {
	res, err := d.M.EditDoc(ctx, doc, svgmodel.EditOptions{Options: d.options(o.DrawOptions), Keep: o.Keep, Recolor: o.Recolor, Add: o.Add})
	if err != nil {
		return nil, err
	}
	return res.Doc, nil
}

// options maps ui's settings onto svgmodel's; each step's estimate (tokens) is decoded into
// a drawing for OnStep, nil when it does not decode.
func (d Drawer) options(o ui.DrawOptions) svgmodel.Options {
	so := svgmodel.Options{Prompt: o.Prompt, Seed: o.Seed, Steps: o.Steps, CFG: o.CFG}
	if on := o.OnStep; on != nil {
		so.OnStep = func(step, steps int, x []float32) error {
			doc, err := d.M.TokensToDoc(x)
			if err != nil {
				doc = nil
			}
			return on(step, steps, doc)
		}
	}
	return so
}
