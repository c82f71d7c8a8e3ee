package svgmodel

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/lamina-ml/lamina/vector"
)

// ErrDoesNotFit is returned when an imported drawing needs more slots than the model has.
var ErrDoesNotFit = errors.New("svgmodel: drawing does not fit the model's slots")

// EditOptions describe a layer-wise edit of an existing drawing.
//
//   - Keep lists layers (paint order) that come out unchanged, byte for byte.
//   - Recolor keeps every other layer's geometry and regenerates its fill color.
//   - Add puts that many new layers on top (in empty slots).
//   - Otherwise, every layer not kept is regenerated in place (same slots and layer count).
//
// With Keep nil: Add alone keeps all existing layers; Recolor recolors all of them; neither
// regenerates all of them.
type EditOptions struct {
	Options
	SVG     []byte
	Keep    []int
	Recolor bool
	Add     int
}

// srcMap ties the slots of an imported drawing's tokens to its layers.
type srcMap struct {
	doc         *vector.Document
	layerOfSlot []int
	keepLayer   []bool
}

// Edit applies a layer-wise edit; see EditOptions.
func (m *Model) Edit(ctx context.Context, o EditOptions) (*Result, error) {
	doc, err := vector.ParseSVG(o.SVG)
	if err != nil {
		return nil, err
	}
	return m.EditDoc(ctx, doc, o)
}

// EditDoc is Edit on an already parsed document.
func (m *Model) EditDoc(ctx context.Context, doc *vector.Document, o EditOptions) (*Result, error) {
	c := &m.Config
	K, F := c.Slots, c.Fields
	// Tokens live in the model's viewBox; bring the drawing into it first.
	norm := fitViewBox(doc, viewBox)
	tok := vector.Tokenize(norm, K, c.Cubics)
	if !tok.Fits {
		return nil, fmt.Errorf("%w: it needs %d slots, the model has %d", ErrDoesNotFit, tok.Needed, K)
	}
	slots := layerOfSlot(tok.Data, F)
	nLayers := 0
	for _, l := range slots {
		if l+1 > nLayers {
			nLayers = l + 1
		}
	}
	src := &srcMap{doc: doc, layerOfSlot: slots, keepLayer: make([]bool, nLayers)}
	if nLayers != len(doc.Layers) {
		// Some layer had no usable subpath; map onto the token-decoded layers instead, which
		// still keeps kept layers' geometry (to the token precision).
		var err error
		if src.doc, err = m.TokensToDoc(tok.Data); err != nil {
			return nil, err
		}
		src.doc.ViewBox = doc.ViewBox
		rescale(src.doc, viewBox, doc.ViewBox)
	}
	if o.Add < 0 {
		return nil, fmt.Errorf("%w: add %d < 0", ErrOptions, o.Add)
	}
	switch {
	case o.Keep != nil:
		for _, i := range o.Keep {
			if i < 0 || i >= nLayers {
				return nil, fmt.Errorf("%w: keep index %d outside the drawing's %d layers", ErrOptions, i, nLayers)
			}
			src.keepLayer[i] = true
		}
	case o.Add > 0 && !o.Recolor:
		for i := range src.keepLayer {
			src.keepLayer[i] = true
		}
	}
	recolor := make([]bool, nLayers)
	for i := range recolor {
		recolor[i] = o.Recolor && !src.keepLayer[i]
	}

	keep := append([]float32(nil), tok.Data...)
	mask := make([]bool, K*F)
	last := -1
	for k, l := range slots {
		if l >= 0 {
			last = k
		}
	}
	added := 0
	for k, l := range slots {
		row, rm := keep[k*F:(k+1)*F], mask[k*F:(k+1)*F]
		switch {
		case l >= 0 && src.keepLayer[l]:
			setAll(rm, true)
		case l >= 0 && recolor[l]:
			setAll(rm, true)
			for _, f := range []int{vector.FieldR, vector.FieldG, vector.FieldB, vector.FieldA} {
				rm[f] = false
			}
		case l >= 0:
			// Regenerate in place: the slot structure (exists, joins_prev) stays.
			rm[vector.FieldExists], rm[vector.FieldJoinsPrev] = true, true
		case k > last && added < o.Add:
			row[vector.FieldExists], row[vector.FieldJoinsPrev] = 1, -1
			rm[vector.FieldExists], rm[vector.FieldJoinsPrev] = true, true
			added++
		default:
			setAll(rm, true) // stays empty
		}
	}
	if added < o.Add {
		return nil, fmt.Errorf("%w: only %d empty slots above the drawing for %d new layers", ErrOptions, added, o.Add)
	}
	noise := Noise(o.Seed, K*F)
	x, err := m.Sample(ctx, noise, keep, mask, o.Options)
	if err != nil {
		return nil, err
	}
	dropInvisible(x, F, mask)
	// Decode in the model's viewBox, then map generated layers back to the drawing's.
	gen, err := m.TokensToDoc(x)
	if err != nil {
		return nil, err
	}
	rescale(gen, viewBox, doc.ViewBox)
	gen.ViewBox = doc.ViewBox
	return m.assemble(x, gen, src, recolor)
}

// assemble swaps kept and recolored layers of the decoded result gen for the source layers.
func (m *Model) assemble(x []float32, gen *vector.Document, src *srcMap, recolor []bool) (*Result, error) {
	outLayers := layerOfSlot(x, m.Config.Fields)
	kept := make([]bool, len(gen.Layers))
	for li := range gen.Layers {
		srcLayer, all := -1, true
		for k, ol := range outLayers {
			if ol != li {
				continue
			}
			sl := src.layerOfSlot[k]
			if sl < 0 || (srcLayer >= 0 && sl != srcLayer) {
				all = false
				break
			}
			srcLayer = sl
		}
		if !all || srcLayer < 0 || srcLayer >= len(src.doc.Layers) {
			continue
		}
		switch {
		case src.keepLayer[srcLayer]:
			gen.Layers[li] = src.doc.Layers[srcLayer]
			kept[li] = true
		case recolor[srcLayer]:
			fill := gen.Layers[li].Fill
			gen.Layers[li] = src.doc.Layers[srcLayer]
			gen.Layers[li].Fill = fill
		}
	}
	return &Result{Tokens: x, Doc: gen, SVG: vector.WriteSVG(gen), Layers: layerInfos(gen, kept)}, nil
}

func setAll(b []bool, v bool) {
	for i := range b {
		b[i] = v
	}
}

// fitViewBox returns doc mapped from its viewBox onto vb (a copy; doc is unchanged).
func fitViewBox(doc *vector.Document, vb [4]float64) *vector.Document {
	out := &vector.Document{ViewBox: vb, Unsupported: doc.Unsupported}
	out.Layers = make([]vector.Layer, len(doc.Layers))
	copy(out.Layers, doc.Layers)
	if doc.ViewBox == vb {
		return out
	}
	for i := range out.Layers {
		subs := make([]vector.Subpath, len(doc.Layers[i].Subpaths))
		copy(subs, doc.Layers[i].Subpaths)
		out.Layers[i].Subpaths = subs
	}
	rescale(out, doc.ViewBox, vb)
	return out
}

// MapViewBox moves doc into viewBox vb in place: every point is mapped from doc's viewBox to vb
// (a zero-sized source viewBox leaves the points as they are) and doc.ViewBox becomes vb.
func MapViewBox(doc *vector.Document, vb [4]float64) {
	rescale(doc, doc.ViewBox, vb)
	doc.ViewBox = vb
}

// rescale maps every point of doc from viewBox a to viewBox b, in place.
func rescale(doc *vector.Document, a, b [4]float64) {
	if a == b || a[2] == 0 || a[3] == 0 {
		return
	}
	sx, sy := b[2]/a[2], b[3]/a[3]
	mtx := vector.Matrix{A: sx, D: sy, E: b[0] - a[0]*sx, F: b[1] - a[1]*sy}
	for i := range doc.Layers {
		for j, sp := range doc.Layers[i].Subpaths {
			doc.Layers[i].Subpaths[j] = sp.Transform(mtx)
		}
	}
}

// VariationOptions describe an SDEdit variation of a drawing (Meng et al. 2022): its tokens are
// noised to t = Strength along the flow, (1−t)·tokens + t·noise, and denoised under Prompt.
//
// The steps run are round(Strength·Steps), the last ones of the plain Steps-step schedule
// (t = Strength rounded to a step, down to 0). So Strength 1 is plain generation exactly: the
// same tokens as Generate with the same Prompt, Seed, Steps and CFG. A Strength that rounds to
// no step returns the drawing itself, unchanged. Every field is regenerated, layer count
// included; Keep/Recolor/Add are EditOptions' layer-wise edits.
type VariationOptions struct {
	Options
	SVG      []byte
	Strength float64 // in [0, 1]
}

// Variation makes one SDEdit variation; see VariationOptions.
func (m *Model) Variation(ctx context.Context, o VariationOptions) (*Result, error) {
	res, err := m.VariationN(ctx, o, 1)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// VariationN makes n variations of o.SVG in one sampling run, candidate i from the noise of
// CandidateSeed(o.Seed, i) (each equals the one-candidate run of its seed, as in GenerateN).
func (m *Model) VariationN(ctx context.Context, o VariationOptions, n int) ([]*Result, error) {
	doc, err := vector.ParseSVG(o.SVG)
	if err != nil {
		return nil, err
	}
	return m.VariationDocN(ctx, doc, o, n)
}

// VariationDocN is VariationN on an already parsed document (o.SVG is ignored). The results
// are in doc's viewBox.
func (m *Model) VariationDocN(ctx context.Context, doc *vector.Document, o VariationOptions, n int) ([]*Result, error) {
	if n < 1 || n > MaxCandidates {
		return nil, fmt.Errorf("%w: n %d outside [1, %d]", ErrOptions, n, MaxCandidates)
	}
	if !(o.Strength >= 0 && o.Strength <= 1) { // NaN fails too
		return nil, fmt.Errorf("%w: strength %g outside [0, 1]", ErrOptions, o.Strength)
	}
	if err := o.Options.fill(); err != nil {
		return nil, err
	}
	c := &m.Config
	K, F := c.Slots, c.Fields
	kf := K * F
	tok := vector.Tokenize(fitViewBox(doc, viewBox), K, c.Cubics)
	if !tok.Fits {
		return nil, fmt.Errorf("%w: it needs %d slots, the model has %d", ErrDoesNotFit, tok.Needed, K)
	}
	run := int(math.Round(o.Strength * float64(o.Steps)))
	if run == 0 {
		out := make([]*Result, n)
		for i := range out {
			out[i] = &Result{Tokens: append([]float32(nil), tok.Data...), Doc: doc, SVG: vector.WriteSVG(doc), Layers: layerInfos(doc, nil)}
		}
		return out, nil
	}
	from := o.Steps - run
	t0 := float32(1 - float64(from)/float64(o.Steps))
	noise := make([]float32, 0, n*kf)
	for i := 0; i < n; i++ {
		noise = append(noise, Noise(CandidateSeed(o.Seed, i), kf)...)
	}
	x := make([]float32, n*kf)
	for i := range x {
		x[i] = (1-t0)*tok.Data[i%kf] + t0*noise[i]
	}
	if err := m.sampleBatch(ctx, x, noise, nil, nil, n, from, o.Options); err != nil {
		return nil, err
	}
	out := make([]*Result, n)
	for i := range out {
		xi := x[i*kf : (i+1)*kf : (i+1)*kf]
		dropInvisible(xi, F, nil)
		gen, err := m.TokensToDoc(xi)
		if err != nil {
			return nil, err
		}
		rescale(gen, viewBox, doc.ViewBox)
		gen.ViewBox = doc.ViewBox
		out[i] = &Result{Tokens: xi, Doc: gen, SVG: vector.WriteSVG(gen), Layers: layerInfos(gen, nil)}
	}
	return out, nil
}
