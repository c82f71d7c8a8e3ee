package vector

import (
	"image"
	"math"
	"sort"
)

// subScanlines is the number of sample rows per pixel row; horizontal coverage within a
// row is exact (area of the span), so 4 rows give 1/4-pixel vertical anti-aliasing.
const subScanlines = 4

type edge struct {
	x0, y0, x1, y1 float64 // y0 < y1
	dir            int     // +1 downward in the original direction, -1 upward
}

type crossing struct {
	x   float64
	dir int
}

// Coverage rasterizes one layer's fill (its fill rule, ignoring color) into a w×h mask of
// values in [0,1], mapping the viewBox onto the whole image. mask is (h,w), row-major.
// Crisp layers are drawn without anti-aliasing (coverageCrisp).
func Coverage(l *Layer, vb [4]float64, w, h int) []float32 {
	mask := make([]float32, w*h)
	edges := layerEdges(l, vb, w, h)
	if len(edges) == 0 {
		return mask
	}
	if l.Crisp {
		coverageCrisp(mask, edges, l.EvenOdd, w, h)
		return mask
	}
	// Edges sorted by top y let each sample row scan only the active ones.
	sort.Slice(edges, func(i, j int) bool { return edges[i].y0 < edges[j].y0 })
	var active []edge
	var xs []crossing
	row := make([]float64, w+1)
	next := 0
	for py := 0; py < h; py++ {
		for i := range row {
			row[i] = 0
		}
		any := false
		for s := 0; s < subScanlines; s++ {
			y := float64(py) + (float64(s)+0.5)/subScanlines
			for next < len(edges) && edges[next].y0 <= y {
				active = append(active, edges[next])
				next++
			}
			xs = xs[:0]
			keep := active[:0]
			for _, e := range active {
				if e.y1 <= y {
					continue // finished
				}
				keep = append(keep, e)
				if e.y0 <= y {
					xs = append(xs, crossing{e.x0 + (y-e.y0)*(e.x1-e.x0)/(e.y1-e.y0), e.dir})
				}
			}
			active = keep
			if len(xs) < 2 {
				continue
			}
			sort.Slice(xs, func(i, j int) bool { return xs[i].x < xs[j].x })
			wind := 0
			for i := 0; i+1 < len(xs); i++ {
				wind += xs[i].dir
				inside := wind != 0
				if l.EvenOdd {
					inside = wind&1 != 0
				}
				if inside {
					addSpan(row, xs[i].x, xs[i+1].x, w)
					any = true
				}
			}
		}
		if !any {
			continue
		}
		// row holds a difference array of coverage; integrate it.
		acc := 0.0
		for px := 0; px < w; px++ {
			acc += row[px]
			mask[py*w+px] = float32(math.Min(1, math.Max(0, acc/subScanlines)))
		}
	}
	return mask
}

// layerEdges flattens l's subpaths into device-space edges (the viewBox mapped onto w×h),
// dropping horizontal ones.
func layerEdges(l *Layer, vb [4]float64, w, h int) []edge {
	sx, sy := float64(w)/vb[2], float64(h)/vb[3]
	var edges []edge
	var pts []Point
	tol := budgetTol(l.Subpaths)
	for i := range l.Subpaths {
		pts = l.Subpaths[i].Flatten(pts[:0], tol)
		for j := range pts {
			a, b := pts[j], pts[(j+1)%len(pts)]
			ax, ay := (a.X-vb[0])*sx, (a.Y-vb[1])*sy
			bx, by := (b.X-vb[0])*sx, (b.Y-vb[1])*sy
			switch {
			case ay < by:
				edges = append(edges, edge{ax, ay, bx, by, 1})
			case ay > by:
				edges = append(edges, edge{bx, by, ax, ay, -1})
			}
		}
	}
	return edges
}

// coverageCrisp fills mask without anti-aliasing, as Skia's non-anti-aliased scan converter
// does: a pixel is in when its centre is, an edge spanning (y0, y1] in y and a span
// [x0, x1) covering the pixels from round(x0) to round(x1) − 1.
func coverageCrisp(mask []float32, edges []edge, evenOdd bool, w, h int) {
	sort.Slice(edges, func(i, j int) bool { return edges[i].y0 < edges[j].y0 })
	var active []edge
	var xs []crossing
	next := 0
	for py := 0; py < h; py++ {
		y := float64(py) + 0.5
		for next < len(edges) && edges[next].y0 < y {
			active = append(active, edges[next])
			next++
		}
		xs = xs[:0]
		keep := active[:0]
		for _, e := range active {
			if e.y1 < y {
				continue // finished
			}
			keep = append(keep, e)
			xs = append(xs, crossing{e.x0 + (y-e.y0)*(e.x1-e.x0)/(e.y1-e.y0), e.dir})
		}
		active = keep
		if len(xs) < 2 {
			continue
		}
		sort.Slice(xs, func(i, j int) bool { return xs[i].x < xs[j].x })
		wind := 0
		for i := 0; i+1 < len(xs); i++ {
			wind += xs[i].dir
			inside := wind != 0
			if evenOdd {
				inside = wind&1 != 0
			}
			if !inside {
				continue
			}
			x0 := int(math.Floor(clampSpan(xs[i].x, float64(w)) + 0.5))
			x1 := int(math.Floor(clampSpan(xs[i+1].x, float64(w)) + 0.5))
			for px := max(x0, 0); px < min(x1, w); px++ {
				mask[py*w+px] = 1
			}
		}
	}
}

// maxFlattenPoints bounds the polyline one layer flattens to (memory and time on hostile
// input); Twemoji layers need a few thousand points.
const maxFlattenPoints = 1 << 21

// budgetTol returns flattenTol, or a coarser tolerance when flattening subs at flattenTol
// would exceed maxFlattenPoints (chords per segment scale as 1/√tol).
func budgetTol(subs []Subpath) float64 {
	total := 0
	for i := range subs {
		for j, s := range subs[i].Segs {
			total += segSteps(subs[i].segStart(j), s, flattenTol)
		}
	}
	if total <= maxFlattenPoints {
		return flattenTol
	}
	r := float64(total) / maxFlattenPoints
	return flattenTol * r * r
}

// addSpan adds the coverage of [x0, x1) to a difference array: partial pixels at both ends
// get their exact fraction.
func addSpan(row []float64, x0, x1 float64, w int) {
	x0, x1 = clampSpan(x0, float64(w)), clampSpan(x1, float64(w))
	if !(x1 > x0) {
		return
	}
	i0, i1 := int(x0), int(x1)
	if i0 == i1 {
		row[i0] += x1 - x0
		row[i0+1] -= x1 - x0
		return
	}
	// first partial pixel
	f0 := float64(i0+1) - x0
	row[i0] += f0
	row[i0+1] -= f0
	// full pixels i0+1 .. i1-1
	row[i0+1]++
	row[i1]--
	// last partial pixel
	if i1 < w {
		f1 := x1 - float64(i1)
		row[i1] += f1
		row[i1+1] -= f1
	}
}

// clampSpan clamps x to [0, w], mapping NaN (from overflowing coordinates) to 0.
func clampSpan(x, w float64) float64 {
	if !(x > 0) {
		return 0
	}
	if x > w {
		return w
	}
	return x
}

// Image is a straight-alpha RGBA raster, (h,w,4) row-major in [0,1].
type Image struct {
	W, H int
	Pix  []float32
}

// Render composites doc's layers source-over onto a transparent w×h image.
func Render(doc *Document, w, h int) *Image {
	img := &Image{W: w, H: h, Pix: make([]float32, w*h*4)}
	for i := range doc.Layers {
		l := &doc.Layers[i]
		m := Coverage(l, doc.ViewBox, w, h)
		if l.Paint != nil {
			img.compositePaint(m, l.Paint, doc.ViewBox)
			continue
		}
		img.composite(m, l.Fill)
	}
	return img
}

// compositePaint draws gradient g with per-pixel coverage m, sampling the gradient at each
// pixel's centre.
func (img *Image) compositePaint(m []float32, g *Gradient, vb [4]float64) {
	s := newSampler(g)
	sx, sy := vb[2]/float64(img.W), vb[3]/float64(img.H)
	for i, cov := range m {
		if cov == 0 {
			continue
		}
		x, y := i%img.W, i/img.W
		c := s.at(Point{vb[0] + (float64(x)+0.5)*sx, vb[1] + (float64(y)+0.5)*sy})
		img.over(i, c, cov)
	}
}

func (img *Image) over(i int, c RGBA, cov float32) {
	sa := float32(c.A) * cov
	p := img.Pix[4*i : 4*i+4]
	da := p[3]
	oa := sa + da*(1-sa)
	if oa <= 0 {
		return
	}
	p[0] = (float32(c.R)*sa + p[0]*da*(1-sa)) / oa
	p[1] = (float32(c.G)*sa + p[1]*da*(1-sa)) / oa
	p[2] = (float32(c.B)*sa + p[2]*da*(1-sa)) / oa
	p[3] = oa
}

// composite draws color c with per-pixel coverage m over the image (straight alpha).
func (img *Image) composite(m []float32, c RGBA) { CompositeOver(img.Pix, m, c) }

// NRGBA converts to an 8-bit image (e.g. for png.Encode).
func (img *Image) NRGBA() *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, img.W, img.H))
	for i := 0; i < img.W*img.H; i++ {
		p := img.Pix[4*i : 4*i+4]
		out.Pix[4*i+0] = uint8(clamp01(float64(p[0]))*255 + 0.5)
		out.Pix[4*i+1] = uint8(clamp01(float64(p[1]))*255 + 0.5)
		out.Pix[4*i+2] = uint8(clamp01(float64(p[2]))*255 + 0.5)
		out.Pix[4*i+3] = uint8(clamp01(float64(p[3]))*255 + 0.5)
	}
	return out
}
