package vector

import "math"

// Strokes become filled layers: the outline of the stroked polyline (curves flattened at
// flattenTol), filled nonzero in the stroke color and painted right after the element's fill,
// as SVG paints fill, then stroke. Joins: round, bevel or miter (with stroke-miterlimit,
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

func strokeOutline(subs []Subpath, info []openInfo, st strokeStyle) []Subpath {
	h := st.width / 2
	if !(h > 0) {
		return nil
	}
	var out []Subpath
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
		pts := dedup(sp.Flatten(nil, tol), closed, sp)
		if len(pts) < 2 {
			// zero length, open or closed ("M x y Z"): its caps only, as Chromium draws it
			if len(pts) == 1 && st.cap != "butt" && st.cap != "" {
				out = append(out, dot(pts[0], h, st.cap))
			}
			continue
		}
		if closed {
			if len(pts) < 3 {
				continue
			}
			left := offsetSide(pts, h, true, st)
			right := offsetSide(reversed(pts), h, true, st)
			out = append(out, polySubpath(left), polySubpath(right))
			continue
		}
		// Open: one side forward, cap, the other side back, cap.
		fw := offsetSide(pts, h, false, st)
		bw := offsetSide(reversed(pts), h, false, st)
		ring := append([]Point(nil), fw...)
		ring = append(ring, capPoints(pts[len(pts)-1], pts[len(pts)-2], h, st.cap)...)
		ring = append(ring, bw...)
		ring = append(ring, capPoints(pts[0], pts[1], h, st.cap)...)
		out = append(out, polySubpath(ring))
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
