package ui

import (
	"image"
	"math"

	"github.com/lamina-ml/lamina/vector"
)

// Rasterize replays dl into an 8-bit image with the vector package's anti-aliased
// scanline rasterizer: the native replay target of the display list, for golden tests.
// Strokes become one filled quad per flattened edge, all wound the same way so the
// nonzero rule unions them.
func (dl *DisplayList) Rasterize() *image.NRGBA {
	doc := &vector.Document{ViewBox: [4]float64{0, 0, float64(dl.W), float64(dl.H)}}
	doc.Layers = append(doc.Layers, vector.Layer{Fill: dl.Background, Subpaths: rect(0, 0, float64(dl.W), float64(dl.H))})
	var clipMask []float32
	if c := dl.Clip; c[2] > c[0] && c[3] > c[1] {
		clipMask = vector.Coverage(&vector.Layer{Subpaths: rect(c[0], c[1], c[2], c[3])}, doc.ViewBox, dl.W, dl.H)
	}
	img := vector.Render(doc, dl.W, dl.H)
	for _, op := range dl.Ops {
		l := vector.Layer{Fill: op.Color, EvenOdd: op.EvenOdd, Subpaths: op.Subpaths}
		if op.Kind == OpStroke {
			l = vector.Layer{Fill: op.Color, Subpaths: strokeQuads(op.Subpaths, op.Width)}
		}
		cov := vector.Coverage(&l, doc.ViewBox, dl.W, dl.H)
		if op.Kind == OpFill && !op.Convex && clipMask != nil {
			for i := range cov {
				cov[i] *= clipMask[i]
			}
		}
		vector.CompositeOver(img.Pix, cov, op.Color)
	}
	return img.NRGBA()
}

// strokeTol is the flattening tolerance for strokes, in pixels.
const strokeTol = 0.1

func strokeQuads(subs []vector.Subpath, w float64) []vector.Subpath {
	var out []vector.Subpath
	var pts []vector.Point
	h := w / 2
	for _, sp := range subs {
		pts = sp.Flatten(pts[:0], strokeTol)
		for i := range pts {
			a, b := pts[i], pts[(i+1)%len(pts)]
			d := b.Sub(a)
			n := math.Hypot(d.X, d.Y)
			if n == 0 {
				continue
			}
			// Extend each edge by half the width at both ends so corners are covered.
			u := d.Mul(1 / n)
			nx := vector.Point{X: -u.Y * h, Y: u.X * h}
			a, b = a.Sub(u.Mul(h)), b.Add(u.Mul(h))
			q := []vector.Point{a.Add(nx), b.Add(nx), b.Sub(nx), a.Sub(nx)}
			if cross(q[1].Sub(q[0]), q[2].Sub(q[1])) < 0 {
				q[1], q[3] = q[3], q[1]
			}
			s := vector.Subpath{Start: q[0]}
			for j := range q {
				s.Segs = append(s.Segs, lineSeg(q[j], q[(j+1)%4]))
			}
			out = append(out, s)
		}
	}
	return out
}

func cross(a, b vector.Point) float64 { return a.X*b.Y - a.Y*b.X }
