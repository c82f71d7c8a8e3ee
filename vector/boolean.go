package vector

import (
	"math"
)

// Path booleans (clip paths, masks, group opacity, layer merging, evenodd fills settled to
// nonzero) come from github.com/tdewolff/canvas (Bentley–Ottmann sweep): boolean_canvas.go
// converts the cubic subpaths to a canvas.Path, operates, and converts back. The sweep
// flattens curved input, so results are polygons (lines as cubics); the tokenizer refits them
// to N cubics per subpath like any other outline.
//
// The sweep is called through the Booleans hook so that a program can leave canvas out (it
// brings fonts, a TeX engine, image codecs and net/http with it, about 0.9 MB brotli in
// lamina.wasm): built with the tag lamina_nocanvas, the package has no booleans until
// SetBooleans gives it some, and operations that need one are skipped and reported as for
// too large operands. lamina.wasm is built so and calls lamina-booleans.wasm (./wasm/booleans,
// CanvasBooleans behind syscall/js) for them.

// maxBooleanSegs bounds the segments one boolean operation is given (both operands, before
// flattening): the sweep is O((n+k) log n) but k, the crossings, can grow as n² on hostile
// input. Past it the operation is skipped and the reader reports it.
const maxBooleanSegs = 20000

func segCount(subs []Subpath) int {
	n := 0
	for i := range subs {
		n += len(subs[i].Segs)
	}
	return n
}

// BoolOp is a path boolean.
type BoolOp uint8

const (
	BoolAnd    BoolOp = iota // a ∩ b
	BoolNot                  // a − b
	BoolOr                   // a ∪ b
	BoolSettle               // a alone, rewritten as a nonzero fill (b is ignored)
)

// Booleans computes op on a (filled with rule evenOdd) and b (nonzero), returning nonzero
// subpaths; ok is false when the operation failed. It may panic: callers recover.
type Booleans func(op BoolOp, a []Subpath, evenOdd bool, b []Subpath) (out []Subpath, ok bool)

// booleans is the implementation in use: CanvasBooleans unless built with lamina_nocanvas.
var booleans Booleans

// SetBooleans sets the path booleans the reader and the tokenizer use (nil: none, every
// operation needing one is skipped). Call it before any parsing starts; it is not
// synchronized with readers running in other goroutines.
func SetBooleans(b Booleans) { booleans = b }

// boolOp applies op to a (filled with its rule evenOdd) and b (nonzero), returning nonzero
// subpaths; ok is false when the operands are too large, there are no booleans, or the sweep
// failed.
func boolOp(a []Subpath, evenOdd bool, b []Subpath, op BoolOp) (out []Subpath, ok bool) {
	if segCount(a)+segCount(b) > maxBooleanSegs || booleans == nil {
		return nil, false
	}
	defer func() {
		if r := recover(); r != nil {
			out, ok = nil, false
		}
	}()
	subs, ok := booleans(op, a, evenOdd, b)
	if !ok || !finiteSubpaths(subs) {
		return nil, false
	}
	return subs, true
}

func intersect(a []Subpath, evenOdd bool, b []Subpath) ([]Subpath, bool) {
	return boolOp(a, evenOdd, b, BoolAnd)
}

func subtract(a []Subpath, evenOdd bool, b []Subpath) ([]Subpath, bool) {
	return boolOp(a, evenOdd, b, BoolNot)
}

// union merges b into a (both nonzero).
func union(a, b []Subpath) ([]Subpath, bool) {
	if len(a) == 0 {
		return b, true
	}
	return boolOp(a, false, b, BoolOr)
}

// settle rewrites an evenodd fill as an equivalent nonzero one.
func settle(a []Subpath) ([]Subpath, bool) {
	return boolOp(a, true, nil, BoolSettle)
}

// settleNonzero rewrites a nonzero fill as the simple outlines of the area it covers
// (self-intersections and overlaps resolved), e.g. a stroke outline before it is cut.
func settleNonzero(a []Subpath) ([]Subpath, bool) {
	return boolOp(a, false, nil, func(p, _ *canvas.Path) *canvas.Path { return p.Settle(canvas.NonZero) })
}

// dash cuts subs into dashes (SVG stroke-dasharray/-dashoffset), measuring each subpath as
// Skia does (contour, with tol its chord tolerance in user units) so dash ends fall where
// Chromium and resvg draw them. The pattern restarts at each subpath; zero-length dashes are
// left to zeroDashDots. The dashes come back as polylines, open, closed by an added line like
// the path parser's open subpaths.
func dash(subs []Subpath, info []openInfo, offset float64, d []float64, tol float64) (out []Subpath, oinfo []openInfo, ok bool) {
	if len(d)%2 == 1 {
		d = append(append([]float64(nil), d...), d...)
	}
	period := 0.0
	for _, v := range d {
		period += v
	}
	if !(period > 0) || !finite(period) || !finite(offset) || !(tol > 0) {
		return nil, nil, false
	}
	flat := budgetTol(subs)
	budget := maxFlattenPoints
	const maxDashes = 1e5
	for i, sp := range subs {
		open := i < len(info) && info[i].open
		if open && info[i].addedClose && len(sp.Segs) > 0 {
			sp.Segs = sp.Segs[:len(sp.Segs)-1]
		}
		if len(sp.Segs) == 0 {
			continue
		}
		c, ok := newContour(sp.Start, sp.Segs, tol, &budget)
		if !ok {
			return nil, nil, false
		}
		if c.total/period > maxDashes || len(out) > maxDashes {
			return nil, nil, false // too many dashes
		}
		// Position in the pattern at the subpath's start: the offset shifts it backwards.
		t := -math.Mod(offset, period)
		if t > 0 {
			t -= period
		}
		k := 0
		var pts []Point
		for t < c.total {
			end := t + d[k]
			if k%2 == 0 && end > t && end > 0 {
				pts = c.piece(pts[:0], math.Max(t, 0), math.Min(end, c.total), flat)
				if budget -= len(pts); budget < 0 {
					return nil, nil, false
				}
				cur := Subpath{Start: pts[0]}
				pen := pts[0]
				for _, q := range pts[1:] {
					if q != pen {
						cur.Segs = append(cur.Segs, line(pen, q))
						pen = q
					}
				}
				if len(cur.Segs) > 0 {
					in := openInfo{open: true}
					if pen != cur.Start {
						cur.Segs = append(cur.Segs, line(pen, cur.Start))
						in.addedClose = true
					}
					out = append(out, cur)
					oinfo = append(oinfo, in)
				}
			}
			t = end
			k = (k + 1) % len(d)
		}
	}
	return out, oinfo, finiteSubpaths(out)
}
