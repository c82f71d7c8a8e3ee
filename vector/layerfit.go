package vector

import "math"

// Layers beyond K slots. A slot holds one subpath of one layer, so a document with more
// layers than K cannot keep them all as separate layers. Rather than dropping the layers
// painted last (often the outlines and details drawn on top), fitLayers merges layers until
// K remain, by this rule:
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

// fitLayers returns doc with at most k layers (doc itself when it already fits) and the
// number of merges.
func fitLayers(doc *Document, k int) (*Document, int) {
	if k <= 0 || len(doc.Layers) <= k {
		return doc, 0
	}
	out := &Document{ViewBox: doc.ViewBox, Unsupported: doc.Unsupported}
	out.Layers = append([]Layer(nil), doc.Layers...)
	merges := 0
	for len(out.Layers) > k {
		vis := visibility(out)
		least := 0
		for i := range vis {
			if vis[i] < vis[least] {
				least = i
			}
		}
		into := -1
		best := math.Inf(1)
		for _, j := range []int{least + 1, least - 1} {
			if j < 0 || j >= len(out.Layers) {
				continue
			}
			if d := colorDist(out.Layers[least].Fill, out.Layers[j].Fill); d < best {
				best, into = d, j
			}
		}
		a, b := &out.Layers[least], &out.Layers[into]
		merged, ok := union(nonzeroOf(a.Subpaths, a.EvenOdd), nonzeroOf(b.Subpaths, b.EvenOdd))
		if ok {
			b.Subpaths, b.EvenOdd = dropDegenerate(merged), false
		} else if !b.EvenOdd && !a.EvenOdd {
			b.Subpaths = append(append([]Subpath(nil), b.Subpaths...), a.Subpaths...) // same nonzero fill, drawn together
		}
		out.Layers = append(out.Layers[:least], out.Layers[least+1:]...)
		merges++
	}
	return out, merges
}

func colorDist(a, b RGBA) float64 {
	return math.Sqrt((a.R-b.R)*(a.R-b.R) + (a.G-b.G)*(a.G-b.G) + (a.B-b.B)*(a.B-b.B) + (a.A-b.A)*(a.A-b.A))
}

// visibility returns, per layer, the area (in grid samples) it shows after the layers painted
// above it are composited.
func visibility(doc *Document) []float64 {
	const g = visibilityGrid
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
