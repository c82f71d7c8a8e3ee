package vector

import "math"

// Layers beyond K slots. A slot holds one subpath of one layer, so a document with more
// layers than K cannot keep them all: Tokenize keeps the whole layers that fit and drops the
// ones painted last (often the outlines and details drawn on top). FitLayers, applied before
// Tokenize (lamina svg roundtrip does), merges layers until K remain
// instead, by this rule:
//
//   - visibility of a layer is the area it shows in the final picture: its coverage (at
//     visibilityGrid² samples over the viewBox) times its alpha, times what the opaque layers
//     painted above it leave uncovered;
//   - the least visible layer is merged into the neighbour in paint order (the one painted
//     just before or just after it) whose color is nearest (Euclidean RGBA distance; on a tie,
//     the one painted after it); the merged layer keeps that neighbour's color, fill and
//     position, and its outline is the union of both (a path boolean, so holes survive);
//   - repeat until K layers remain.
//
// Adjacent layers are merged so that nothing painted between them changes order. A gradient
// paint on the kept neighbour stays; the absorbed layer takes it on.
const visibilityGrid = 64

// maxFitBooleanSegs bounds the segments all of one document's layer unions may take; past it
// layers are merged by drawing their subpaths together (hostile documents with thousands of
// layers stay fast).
const maxFitBooleanSegs = 100000

// FitLayers returns doc with at most k layers (doc itself when it already fits) and the
// number of merges. Visibility is measured once; a merged layer's visibility is the sum of
// both (so the work is one coverage pass plus one union per merge).
func FitLayers(doc *Document, k int) (*Document, int) {
	if k <= 0 || len(doc.Layers) <= k {
		return doc, 0
	}
	ls := append([]Layer(nil), doc.Layers...)
	vis := visibility(&Document{ViewBox: doc.ViewBox, Layers: ls})
	alive := make([]bool, len(ls))
	for i := range alive {
		alive[i] = true
	}
	neighbour := func(i, step int) int {
		for j := i + step; j >= 0 && j < len(ls); j += step {
			if alive[j] {
				return j
			}
		}
		return -1
	}
	merges := 0
	budget := maxFitBooleanSegs
	for n := len(ls); n > k; n-- {
		least := -1
		for i := range ls {
			if alive[i] && (least < 0 || vis[i] < vis[least]) {
				least = i
			}
		}
		into := -1
		best := math.Inf(1)
		for _, j := range []int{neighbour(least, 1), neighbour(least, -1)} {
			if j < 0 {
				continue
			}
			if d := colorDist(ls[least].Fill, ls[j].Fill); d < best {
				best, into = d, j
			}
		}
		a, b := &ls[least], &ls[into]
		var merged []Subpath
		ok := false
		if cost := segCount(a.Subpaths) + segCount(b.Subpaths); cost <= budget {
			budget -= cost
			merged, ok = union(nonzeroOf(a.Subpaths, a.EvenOdd), nonzeroOf(b.Subpaths, b.EvenOdd))
		}
		if ok {
			b.Subpaths, b.EvenOdd = dropDegenerate(merged), false
		} else {
			// Too large for the sweep: drawn together under b's fill rule (exact when both
			// are nonzero and do not cancel).
			b.Subpaths = append(append([]Subpath(nil), b.Subpaths...), a.Subpaths...)
		}
		vis[into] += vis[least]
		alive[least] = false
		merges++
	}
	out := &Document{ViewBox: doc.ViewBox, Unsupported: doc.Unsupported}
	for i := range ls {
		if alive[i] && len(ls[i].Subpaths) > 0 { // a union of degenerate outlines can be empty
			out.Layers = append(out.Layers, ls[i])
		}
	}
	return out, merges
}

func colorDist(a, b RGBA) float64 {
	return math.Sqrt((a.R-b.R)*(a.R-b.R) + (a.G-b.G)*(a.G-b.G) + (a.B-b.B)*(a.B-b.B) + (a.A-b.A)*(a.A-b.A))
}

// visibility returns, per layer, the area (in grid samples) it shows after the layers painted
// above it are composited.
func visibility(doc *Document) []float64 {
	g := visibilityGrid
	if len(doc.Layers) > 256 { // bounded work on hostile documents
		g = 16
	}
	above := make([]float64, g*g) // alpha of what is painted above, composited
	vis := make([]float64, len(doc.Layers))
	for i := len(doc.Layers) - 1; i >= 0; i-- {
		l := &doc.Layers[i]
		cov := Coverage(l, doc.ViewBox, g, g)
		a := clamp01(l.Fill.A)
		for p, c := range cov {
			if c == 0 {
				continue
			}
			ca := float64(c) * a
			vis[i] += ca * (1 - above[p])
			above[p] += ca * (1 - above[p])
		}
	}
	return vis
}
