//go:build !lamina_nocanvas

package vector

import "github.com/tdewolff/canvas"

func init() { booleans = CanvasBooleans }

// CanvasBooleans is Booleans by tdewolff/canvas's sweep.
func CanvasBooleans(op BoolOp, a []Subpath, evenOdd bool, b []Subpath) ([]Subpath, bool) {
	pa := toCanvas(a)
	if evenOdd {
		pa = pa.Settle(canvas.EvenOdd)
	}
	var r *canvas.Path
	switch op {
	case BoolAnd:
		r = pa.And(toCanvas(b))
	case BoolNot:
		r = pa.Not(toCanvas(b))
	case BoolOr:
		r = pa.Or(toCanvas(b))
	case BoolSettle:
		r = pa
	default:
		return nil, false
	}
	subs, _ := fromCanvas(r)
	return subs, true
}

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
