package vector

import "math"

// Strokes become filled layers: the outline of the stroked path (straight pieces offset
// exactly, curves offset and flattened as Skia does it for the device scale: strokecurve.go),
// filled nonzero in the stroke color and painted right after the element's fill, as SVG
// paints fill, then stroke. Cusps get a disc of the stroke's radius, as in Skia. Joins: round, bevel or miter (with stroke-miterlimit,
// falling back to bevel); caps: butt, round or square. Inner corners pass through the vertex
// itself, so the nonzero fill has no notches there (the construction Skia's stroker uses).
// Dashes are cut before stroking (the reader, with tdewolff/canvas), so each dash gets its
// caps; non-scaling strokes are scaled with the transform (reported by the reader).

type strokeStyle struct {
	width      float64
	cap, join  string
	miterLimit float64
}

// capJoinSteps is the number of chords per half turn of a round cap or join.
const capJoinSteps = 8

func strokeOutline(subs []Subpath, info []openInfo, st strokeStyle, dev devMap) []Subpath {
	h := st.width / 2
	if !(h > 0) {
		return nil
	}
	var out []Subpath
	budget := maxFlattenPoints
	tol := budgetTol(subs)
	for i := range subs {
		sp := subs[i]
		closed := true
		if i < len(info) && info[i].open {
			closed = false
			if info[i].addedClose {
				sp.Segs = sp.Segs[:len(sp.Segs)-1]
			}
		}
		segs := strokeSegs(sp, closed)
		if len(segs) == 0 {
			if !closed && st.cap != "butt" && st.cap != "" {
				out = append(out, dot(sp.Start, h, st.cap))
			}
			continue
		}
		rev := reverseSegs(segs)
		if closed {
			if len(segs) < 3 && segs[0].line && segs[len(segs)-1].line {
				continue // at most two vertices: nothing to outline (as before curves were offset)
			}
			left := strokeSide(segs, h, true, st, dev, tol, &budget)
			right := strokeSide(rev, h, true, st, dev, tol, &budget)
			out = append(out, polySubpath(left), polySubpath(right))
		} else {
			// Open: one side forward, cap, the other side back, cap.
			fw := strokeSide(segs, h, false, st, dev, tol, &budget)
			bw := strokeSide(rev, h, false, st, dev, tol, &budget)
			last := segs[len(segs)-1]
			ring := append([]Point(nil), fw...)
			ring = append(ring, capPoints(last.s.P, last.s.P.Sub(last.outDir), h, st.cap)...)
			ring = append(ring, bw...)
			ring = append(ring, capPoints(segs[0].p0, segs[0].p0.Add(segs[0].inDir), h, st.cap)...)
			out = append(out, polySubpath(ring))
		}
		for _, g := range segs {
			if t, ok := cubicCusp(g.p0, g.s); ok && !g.line {
				c := bez(g.p0, g.s, t)
				out = append(out, ellipse(c.X, c.Y, h, h))
			}
		}
	}
	return out
}

// strokeSeg is one piece of a subpath to stroke: a straight line or a cubic.
type strokeSeg struct {
	p0            Point
	s             Segment
	line          bool
	roundAfter    bool  // the join at the end is round whatever the stroke's join
	inDir, outDir Point // unit tangents at the start and end
}

// strokeSegs splits sp into the pieces strokeOutline offsets, as Skia's stroker reduces
// them: zero-length ones dropped, a cubic with two of its three legs of zero length a line,
// and one whose control points lie on the line between its farthest two points (within
// Skia's slop, 0.3 % of that distance) the lines through its points of maximum curvature
// that are not its ends, joined round.
func strokeSegs(sp Subpath, closed bool) []strokeSeg {
	var out []strokeSeg
	addLine := func(a, b Point, round bool) {
		if a.Dist(b) <= 1e-9 {
			return
		}
		d := b.Sub(a).Mul(1 / a.Dist(b))
		out = append(out, strokeSeg{p0: a, s: line(a, b), line: true, roundAfter: round, inDir: d, outDir: d})
	}
	for j, s := range sp.Segs {
		p0 := sp.segStart(j)
		if closed && j == len(sp.Segs)-1 {
			s.P = sp.Start
		}
		pts := [4]Point{p0, s.C1, s.C2, s.P}
		zero := func(a, b Point) bool { return a.Dist(b) <= 1e-9*(1+math.Abs(a.X)+math.Abs(a.Y)) }
		zab, zbc, zcd := zero(p0, s.C1), zero(s.C1, s.C2), zero(s.C2, s.P)
		nz := 0
		for _, z := range []bool{zab, zbc, zcd} {
			if z {
				nz++
			}
		}
		switch {
		case nz == 3:
			continue
		case nz == 2:
			addLine(p0, s.P, false)
			continue
		case cubicInLine(pts):
			prev := p0
			for _, t := range cubicMaxCurvature(p0, s) {
				q := bez(p0, s, t)
				if q == p0 || q == s.P {
					continue
				}
				addLine(prev, q, true)
				prev = q
			}
			addLine(prev, s.P, false)
			continue
		}
		in := s.C1.Sub(p0)
		if zab {
			in = s.C2.Sub(p0)
		}
		outd := s.P.Sub(s.C2)
		if zcd {
			outd = s.P.Sub(s.C1)
		}
		in = in.Mul(1 / math.Hypot(in.X, in.Y))
		outd = outd.Mul(1 / math.Hypot(outd.X, outd.Y))
		out = append(out, strokeSeg{p0: p0, s: s, inDir: in, outDir: outd})
	}
	return out
}

// cubicInLine reports whether the two middle points of c lie within Skia's slop of the line
// through the two that are farthest apart (by the larger coordinate difference).
func cubicInLine(c [4]Point) bool {
	best, o1, o2 := -1.0, 0, 0
	for i := 0; i < 3; i++ {
		for k := i + 1; k < 4; k++ {
			d := c[k].Sub(c[i])
			if m := math.Max(math.Abs(d.X), math.Abs(d.Y)); m > best {
				best, o1, o2 = m, i, k
			}
		}
	}
	slop := best * best * 1e-5
	for i := 0; i < 4; i++ {
		if i != o1 && i != o2 && ptToLineSq(c[i], c[o1], c[o2]) > slop {
			return false
		}
	}
	return true
}

// cubicMaxCurvature returns the parameters in (0, 1), ascending, where P′·P″ = 0 (where the
// speed along the cubic is extremal: its points of maximum curvature, and where a cubic on a
// line turns back).
func cubicMaxCurvature(p0 Point, s Segment) []float64 {
	a := s.P.Sub(s.C2.Mul(3)).Add(s.C1.Mul(3)).Sub(p0).Mul(3)
	b := s.C2.Sub(s.C1.Mul(2)).Add(p0).Mul(6)
	c := s.C1.Sub(p0).Mul(3)
	dot := func(u, v Point) float64 { return u.X*v.X + u.Y*v.Y }
	// (a t² + b t + c)·(2a t + b)
	k3, k2, k1, k0 := 2*dot(a, a), 3*dot(a, b), dot(b, b)+2*dot(a, c), dot(b, c)
	f := func(t float64) float64 { return ((k3*t+k2)*t+k1)*t + k0 }
	// monotonic pieces between the roots of the derivative, each bisected for a sign change
	cuts := append([]float64{0}, unitQuadRoots(nil, 3*k3, 2*k2, k1)...)
	cuts = append(cuts, 1)
	var out []float64
	for i := 0; i+1 < len(cuts); i++ {
		lo, hi := cuts[i], cuts[i+1]
		flo, fhi := f(lo), f(hi)
		if flo == 0 && lo > 0 {
			out = append(out, lo)
			continue
		}
		if (flo < 0) == (fhi < 0) || fhi == 0 {
			continue
		}
		for it := 0; it < 60; it++ {
			m := (lo + hi) / 2
			if (f(m) < 0) == (flo < 0) {
				lo = m
			} else {
				hi = m
			}
		}
		if t := (lo + hi) / 2; t > 0 && t < 1 {
			out = append(out, t)
		}
	}
	return out
}

func reverseSegs(segs []strokeSeg) []strokeSeg {
	out := make([]strokeSeg, len(segs))
	for i, g := range segs {
		out[len(segs)-1-i] = strokeSeg{p0: g.s.P, s: Segment{g.s.C2, g.s.C1, g.p0}, line: g.line,
			inDir: g.outDir.Mul(-1), outDir: g.inDir.Mul(-1)}
	}
	// The join after reversed piece i is the one after original piece n−2−i (the closing
	// join, after the last piece, stays where it is).
	n := len(segs)
	for i := 0; i < n; i++ {
		k := n - 2 - i
		if k < 0 {
			k = n - 1
		}
		out[i].roundAfter = segs[k].roundAfter
	}
	return out
}

// leftNormal is the unit left normal of unit direction d (see normal).
func leftNormal(d Point) Point { return Point{d.Y, -d.X} }

// strokeSide returns the outline offset by h to the left of segs (cyclic if closed), with
// joins where segments meet.
// Curves are offset as Skia offsets them (offsetCubic); past the point budget, or where
// that fails, their chords at tol are offset instead.
func strokeSide(segs []strokeSeg, h float64, closed bool, st strokeStyle, dev devMap, tol float64, budget *int) []Point {
	var out []Point
	n := len(segs)
	for i, g := range segs {
		if i == 0 && !closed {
			out = append(out, g.p0.Add(leftNormal(g.inDir).Mul(h)))
		}
		if !g.line {
			var pts []Point
			ok := false
			if *budget > 0 {
				pts, ok = offsetCubic(g.p0, g.s, h, 1, dev, budget)
			}
			if !ok {
				one := Subpath{Start: g.p0, Segs: []Segment{g.s}}
				poly := append(one.Flatten(nil, tol), g.s.P)
				if poly = dedup(poly, false, Subpath{}); len(poly) >= 2 {
					pts = offsetSide(poly, h, false, st)
				}
			}
			if len(pts) > 2 {
				out = append(out, pts[1:len(pts)-1]...)
			}
		}
		if i == n-1 && !closed {
			out = append(out, g.s.P.Add(leftNormal(g.outDir).Mul(h)))
			break
		}
		next := segs[(i+1)%n]
		js := st
		if g.roundAfter {
			js.join = "round"
		}
		out = append(out, join(g.s.P, leftNormal(g.outDir), leftNormal(next.inDir), h, js)...)
	}
	return out
}

// dedup flattens sp's polyline for stroking: for an open subpath the end point is appended
// (Flatten omits the closing point), and repeated points are dropped.
func dedup(pts []Point, closed bool, sp Subpath) []Point {
	if !closed && len(sp.Segs) > 0 {
		pts = append(pts, sp.Segs[len(sp.Segs)-1].P)
	}
	out := pts[:0]
	for _, p := range pts {
		if len(out) == 0 || p.Dist(out[len(out)-1]) > 1e-9 {
			out = append(out, p)
		}
	}
	if closed && len(out) > 1 && out[0].Dist(out[len(out)-1]) <= 1e-9 {
		out = out[:len(out)-1]
	}
	return out
}

func reversed(pts []Point) []Point {
	out := make([]Point, len(pts))
	for i, p := range pts {
		out[len(pts)-1-i] = p
	}
	return out
}

// normal is the unit left normal (in y-down screen space: rotated -90°) of a→b.
func normal(a, b Point) Point {
	d := b.Sub(a)
	l := math.Hypot(d.X, d.Y)
	return Point{d.Y / l, -d.X / l}
}

// offsetSide returns the polyline offset by h to the left of pts (cyclic if closed),
// with joins at the interior vertices.
func offsetSide(pts []Point, h float64, closed bool, st strokeStyle) []Point {
	n := len(pts)
	var out []Point
	seg := func(i int) (Point, Point) { return pts[i%n], pts[(i+1)%n] }
	nseg := n - 1
	if closed {
		nseg = n
	}
	for i := 0; i < nseg; i++ {
		a, b := seg(i)
		nv := normal(a, b)
		if i == 0 && !closed {
			out = append(out, a.Add(nv.Mul(h)))
		}
		if i == nseg-1 && !closed {
			out = append(out, b.Add(nv.Mul(h)))
			break
		}
		// join at b between segment i and i+1
		_, d := seg(i + 1)
		nw := normal(b, d)
		out = append(out, join(b, nv, nw, h, st)...)
	}
	return out
}

func join(p, n0, n1 Point, h float64, st strokeStyle) []Point {
	turn := cross(n0, n1) // < 0: a left (counter-clockwise on screen) turn
	a, b := p.Add(n0.Mul(h)), p.Add(n1.Mul(h))
	if n0.Dist(n1) < 1e-9 {
		return []Point{a}
	}
	if turn < 0 { // a left turn on screen: the left side is the inner side
		return []Point{a, p, b}
	}
	switch st.join {
	case "round":
		return append(arcPoints(p, n0, n1, h), b)
	case "bevel":
		return []Point{a, b}
	}
	// miter: the miter length ratio is 1/sin(θ/2) = 1/cos(φ/2), φ the angle between normals
	m := n0.Add(n1)
	ml := math.Hypot(m.X, m.Y)
	cosHalf := ml / 2
	limit := st.miterLimit
	if limit < 1 {
		limit = 4
	}
	if cosHalf <= 1e-9 || 1/cosHalf > limit {
		return []Point{a, b}
	}
	return []Point{p.Add(m.Mul(h / (ml * cosHalf)))}
}

// arcPoints returns points on the circle of radius h around p from direction n0 to n1 (the
// outer side, turning clockwise on screen), excluding the end.
func arcPoints(p, n0, n1 Point, h float64) []Point {
	a0 := math.Atan2(n0.Y, n0.X)
	a1 := math.Atan2(n1.Y, n1.X)
	d := a1 - a0 // clockwise on screen = increasing angle in y-down coordinates
	for d <= 1e-12 {
		d += 2 * math.Pi
	}
	for d > 2*math.Pi {
		d -= 2 * math.Pi
	}
	k := int(math.Ceil(math.Abs(d) / math.Pi * capJoinSteps))
	var out []Point
	for i := 0; i < k; i++ {
		t := a0 + d*float64(i)/float64(k)
		out = append(out, Point{p.X + h*math.Cos(t), p.Y + h*math.Sin(t)})
	}
	return out
}

// capPoints returns the cap at end point e (coming from prev), from the left offset of the
// incoming direction round to the right offset, exclusive of both.
func capPoints(e, prev Point, h float64, kind string) []Point {
	nv := normal(prev, e)
	dir := Point{-nv.Y, nv.X} // forward direction
	switch kind {
	case "round":
		pts := arcPoints(e, nv, nv.Mul(-1), h)
		return pts[1:]
	case "square":
		return []Point{e.Add(nv.Mul(h)).Add(dir.Mul(h)), e.Sub(nv.Mul(h)).Add(dir.Mul(h))}
	}
	return nil
}

func dot(p Point, h float64, kind string) Subpath {
	if kind == "square" {
		return polySubpath([]Point{{p.X - h, p.Y - h}, {p.X + h, p.Y - h}, {p.X + h, p.Y + h}, {p.X - h, p.Y + h}})
	}
	return ellipse(p.X, p.Y, h, h)
}

func polySubpath(pts []Point) Subpath {
	sp := Subpath{Start: pts[0]}
	for i := 1; i <= len(pts); i++ {
		a, b := pts[i-1], pts[i%len(pts)]
		if a != b {
			sp.Segs = append(sp.Segs, line(a, b))
		}
	}
	return sp
}
