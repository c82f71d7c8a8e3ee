package svgdrawer_test

import (
	"bytes"
	"context"
	"math"
	"regexp"
	"strconv"
	"testing"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/ui"
	"github.com/lamina-ml/lamina/ui/svgdrawer"
	"github.com/lamina-ml/lamina/vector"
)

// textDrawer is what the editor's worker drawer (ui/editorwasm/workerdrawer_js.go) does,
// natively: the drawing goes to the model as SVG text (vector.WriteSVG, as lamina.mjs's
// m.edit({svg}) gets it) and comes back as the model's SVG text, parsed with
// vector.ParseSVG — instead of the in-memory documents svgdrawer passes.
type textDrawer struct{ m *svgmodel.Model }

func (d textDrawer) Generate(ctx context.Context, o ui.DrawOptions) (*vector.Document, error) {
	res, err := d.m.Generate(ctx, svgmodel.Options{Prompt: o.Prompt, Seed: o.Seed, Steps: o.Steps, CFG: o.CFG})
	if err != nil {
		return nil, err
	}
	return vector.ParseSVG(res.SVG)
}

func (d textDrawer) GenerateN(context.Context, ui.DrawOptions, int) ([]ui.Candidate, error) {
	panic("not used")
}

func (d textDrawer) Edit(ctx context.Context, doc *vector.Document, o ui.EditOptions) (*vector.Document, error) {
	res, err := d.m.Edit(ctx, svgmodel.EditOptions{
		Options: svgmodel.Options{Prompt: o.Prompt, Seed: o.Seed, Steps: o.Steps, CFG: o.CFG},
		SVG:     vector.WriteSVG(doc), Keep: o.Keep, Recolor: o.Recolor, Add: o.Add,
	})
	if err != nil {
		return nil, err
	}
	return vector.ParseSVG(res.SVG)
}

// Tolerances of a color that went through SVG text: the writer gives the RGB channels as
// #rrggbb (8 bits) and fill-opacity with 4 decimals (vector/write.go).
// A new layer the model draws on top of a drawing it read from SVG text may move by a few
// steps of the text's precision (0.001 in the 36-unit viewBox): the model's input differs by
// that rounding.
const (
	svgTextRGBTol   = 0.5/255 + 1e-9
	svgTextAlphaTol = 0.5e-4 + 1e-9
	svgTextCoordTol = 0.005
)

var pathNumber = regexp.MustCompile(`-?[0-9.]+`)

// samePathData reports whether path data a and b have the same commands and numbers within
// svgTextCoordTol.
func samePathData(a, b string) bool {
	if pathNumber.ReplaceAllString(a, "n") != pathNumber.ReplaceAllString(b, "n") {
		return false
	}
	na, nb := pathNumber.FindAllString(a, -1), pathNumber.FindAllString(b, -1)
	for i := range na {
		x, err1 := strconv.ParseFloat(na[i], 64)
		y, err2 := strconv.ParseFloat(nb[i], 64)
		if err1 != nil || err2 != nil || math.Abs(x-y) > svgTextCoordTol {
			return false
		}
	}
	return true
}

// sameDrawing reports how mem and txt differ: layer count, path data and fill, within the
// SVG text's tolerances.
func sameDrawing(t *testing.T, what string, mem, txt *ui.Editor) {
	t.Helper()
	pm, pt := paths(mem.Doc.SVG()), paths(txt.Doc.SVG())
	if len(pm) != len(pt) {
		t.Fatalf("%s: %d layers in memory, %d through SVG text", what, len(pm), len(pt))
	}
	for i := range pm {
		if !samePathData(dAttr(pm[i]), dAttr(pt[i])) {
			t.Errorf("%s: layer %d's geometry differs:\n%s\n%s", what, i, dAttr(pm[i]), dAttr(pt[i]))
		}
		a, b := mem.Doc.Layers[i].Fill, txt.Doc.Layers[i].Fill
		if math.Abs(a.R-b.R) > svgTextRGBTol || math.Abs(a.G-b.G) > svgTextRGBTol || math.Abs(a.B-b.B) > svgTextRGBTol || math.Abs(a.A-b.A) > svgTextAlphaTol {
			t.Errorf("%s: layer %d's fill %v in memory, %v through SVG text", what, i, a, b)
		}
	}
}

// TestSVGTextMatchesDocuments: the editor documents that model runs through SVG text give
// (the worker path) are the ones the in-memory path gives: a generation exactly, and each
// kind of edit of it to the SVG text's precision.
func TestSVGTextMatchesDocuments(t *testing.T) {
	m := tinyModel(t)
	ctx := context.Background()
	o := ui.DrawOptions{Prompt: "red heart", Seed: 7, Steps: fastSteps}
	mem, txt := ui.New(), ui.New()
	if err := mem.Generate(ctx, svgdrawer.New(m), o, nil); err != nil {
		t.Fatal(err)
	}
	if err := txt.Generate(ctx, textDrawer{m}, o, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mem.Doc.SVG(), txt.Doc.SVG()) {
		t.Fatalf("generate differs:\n%s\n%s", mem.Doc.SVG(), txt.Doc.SVG())
	}
	for _, k := range []struct {
		name string
		kind ui.EditKind
		add  int
	}{
		{"regenerate unlocked", ui.EditRegenerateUnlocked, 0},
		{"recolor", ui.EditRecolor, 0},
		{"add layers", ui.EditAddLayers, 2},
	} {
		o.Seed++
		if err := mem.Edit(ctx, svgdrawer.New(m), k.kind, k.add, o, nil); err != nil {
			t.Fatal(k.name, err)
		}
		if err := txt.Edit(ctx, textDrawer{m}, k.kind, k.add, o, nil); err != nil {
			t.Fatal(k.name, err)
		}
		sameDrawing(t, k.name, mem, txt)
		// The next edit starts from the generated drawing again, the same on both paths.
		mem.Undo()
		txt.Undo()
	}
}
