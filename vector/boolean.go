package vector

import (
	"math"

	"github.com/tdewolff/canvas"
)

// Path booleans and dashing come from github.com/tdewolff/canvas (Bentley–Ottmann sweep):
// the reader converts its cubic subpaths to a canvas.Path, operates, and converts back. The
// sweep flattens curved input, so results are polygons (lines as cubics); the tokenizer refits
// them to N cubics per subpath like any other outline.

// maxBooleanSegs bounds the segments one boolean operation is given (both operands, before
// flattening): the sweep is O((n+k) log n) but k, the crossings, can grow as n² on hostile
// input. Past it the operation is skipped and the reader reports it.
const maxBooleanSegs = 20000

func toCanvas(subs []Subpath) *canvas.Path {
	p := &canvas.Path{}
	for _, sp := range subs {
		if len(sp.Segs) == 0 {
			continue
		}
		p.MoveTo(sp.Start.X, sp.Start.Y)
		for _, s := range sp.Segs {
			p.CubeTo(s.C1.X, s.C1.Y, s.C2.X, s.C2.Y, s.P.X, s.P.Y)
		}
		p.Close()
	}
	return p
}

// toCanvasOpen converts subpaths, leaving those info marks open unclosed (for dashing).
func toCanvasOpen(subs []Subpath, info []openInfo) *canvas.Path {
	p := &canvas.Path{}
	for i, sp := range subs {
		segs := sp.Segs
		open := i < len(info) && info[i].open
		if open && info[i].addedClose && len(segs) > 0 {
			segs = segs[:len(segs)-1]
		}
		if len(segs) == 0 {
			continue
		}
		p.MoveTo(sp.Start.X, sp.Start.Y)
		for _, s := range segs {
			p.CubeTo(s.C1.X, s.C1.Y, s.C2.X, s.C2.Y, s.P.X, s.P.Y)
		}
		if !open {
			p.Close()
		}
	}
	return p
}

// fromCanvas converts back to closed subpaths; with open it also says which were open (each
// closed by an added line, as the path parser does).
func fromCanvas(p *canvas.Path) ([]Subpath, []openInfo) {
	var out []Subpath
	var info []openInfo
	var cur Subpath
	pen := Point{}
	flush := func(closed bool) {
		if len(cur.Segs) > 0 {
			in := openInfo{open: !closed}
			if pen != cur.Start {
				cur.Segs = append(cur.Segs, line(pen, cur.Start))
				in.addedClose = !closed
			}
			out = append(out, cur)
			info = append(info, in)
		}
		cur = Subpath{Start: cur.Start}
		pen = cur.Start
	}
	sc := p.Scanner()
	for sc.Scan() {
		e := sc.End()
		end := Point{e.X, e.Y}
		switch sc.Cmd() {
		case canvas.MoveToCmd:
			flush(false)
			cur = Subpath{Start: end}
			pen = end
		case canvas.LineToCmd:
			if end != pen {
				cur.Segs = append(cur.Segs, line(pen, end))
			}
			pen = end
		case canvas.QuadToCmd:
			c := sc.CP1()
			cur.Segs = append(cur.Segs, quad(pen, Point{c.X, c.Y}, end))
			pen = end
		case canvas.CubeToCmd:
			c1, c2 := sc.CP1(), sc.CP2()
			cur.Segs = append(cur.Segs, Segment{Point{c1.X, c1.Y}, Point{c2.X, c2.Y}, end})
			pen = end
		case canvas.ArcToCmd:
			rx, ry, rot, large, sweep := sc.Arc()
			cur.Segs = append(cur.Segs, arcToCubics(pen, rx, ry, rot, large, sweep, end)...)
			pen = end
		case canvas.CloseCmd:
			if end != pen {
				cur.Segs = append(cur.Segs, line(pen, end))
				pen = end
			}
			flush(true)
		}
	}
	flush(false)
	return out, info
}

func segCount(subs []Subpath) int {
	n := 0
	for i := range subs {
		n += len(subs[i].Segs)
	}
	return n
}

// boolOp applies op to a (filled with its rule evenOdd) and b (nonzero), returning nonzero
// subpaths; ok is false when the operands are too large or the sweep failed.
func boolOp(a []Subpath, evenOdd bool, b []Subpath, op func(p, q *canvas.Path) *canvas.Path) (out []Subpath, ok bool) {
	if segCount(a)+segCount(b) > maxBooleanSegs {
		return nil, false
	}
	defer func() {
		if r := recover(); r != nil {
			out, ok = nil, false
		}
	}()
	pa := toCanvas(a)
	if evenOdd {
		pa = pa.Settle(canvas.EvenOdd)
	}
	r := op(pa, toCanvas(b))
	subs, _ := fromCanvas(r)
	if !finiteSubpaths(subs) {
		return nil, false
	}
	return subs, true
}

func intersect(a []Subpath, evenOdd bool, b []Subpath) ([]Subpath, bool) {
	return boolOp(a, evenOdd, b, (*canvas.Path).And)
}

func subtract(a []Subpath, evenOdd bool, b []Subpath) ([]Subpath, bool) {
	return boolOp(a, evenOdd, b, (*canvas.Path).Not)
}

// union merges b into a (both nonzero).
func union(a, b []Subpath) ([]Subpath, bool) {
	if len(a) == 0 {
		return b, true
	}
	return boolOp(a, false, b, (*canvas.Path).Or)
}

// settle rewrites an evenodd fill as an equivalent nonzero one.
func settle(a []Subpath) ([]Subpath, bool) {
	return boolOp(a, true, nil, func(p, _ *canvas.Path) *canvas.Path { return p })
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
