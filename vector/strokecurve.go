package vector

import (
	"math"
	"math/bits"
)

// Curved stroke sides are built the way Skia's stroker (and tiny-skia's, which resvg uses)
// builds them, and flattened the way Skia's scan converter flattens them, at the device
// scale, so a thin stroke on a curve lands on the same pixels as in Chromium and resvg:
//
//   - each side of a cubic (split at its inflections) is approximated by quadratics whose
//     ends lie on the exact offset curve and whose control point is where the end tangents
//     meet; a quadratic is kept when its midpoint is within a quarter of a device pixel of
//     the offset curve (measured along the curve's normal at the middle parameter), else the
//     parameter range is halved;
//   - each quadratic, cut where it turns vertically in device space, becomes 2^k chords,
//     uniform in its parameter, k chosen from its deviation from its chord as Skia's edge
//     builder chooses it for anti-aliased fills (an error budget of about 1/8 px, at least 2
//     chords, at most 64).
//
// Chords lie inside the curve they approximate, so both edges of a stroke move towards the
// centre of curvature by up to ~1/4 px, as in those renderers; flattening finer than they do
// (lamina's earlier 0.01-unit chords) moves a 1-px stroke off theirs by enough to fail the
// reference comparisons.

// devMap is the linear part of the map from a path's user space to device pixels.
type devMap struct{ a, b, c, d float64 }

func (m devMap) apply(p Point) Point { return Point{m.a*p.X + m.c*p.Y, m.b*p.X + m.d*p.Y} }

// resScale is Skia's resolution scale: the longer of the map's column vectors.
func (m devMap) resScale() float64 {
	s := math.Max(math.Hypot(m.a, m.b), math.Hypot(m.c, m.d))
	if !(s > 0) || !finite(s) {
		return 1
	}
	return s
}

func cubicDeriv(p0 Point, s Segment, t float64) Point {
	u := 1 - t
	return s.C1.Sub(p0).Mul(3 * u * u).Add(s.C2.Sub(s.C1).Mul(6 * u * t)).Add(s.P.Sub(s.C2).Mul(3 * t * t))
}

// unitQuadRoots appends the roots of a t² + b t + c in (0, 1), ascending, without repeats.
func unitQuadRoots(dst []float64, a, b, c float64) []float64 {
	add := func(t float64) {
		if t > 0 && t < 1 && finite(t) && (len(dst) == 0 || t != dst[len(dst)-1]) {
			dst = append(dst, t)
		}
	}
	if a == 0 {
		if b != 0 {
			add(-c / b)
		}
		return dst
	}
	disc := b*b - 4*a*c
	if disc < 0 {
		return dst
	}
	r := math.Sqrt(disc)
	// the numerically stable pair
	q := -(b + math.Copysign(r, b)) / 2
	t0, t1 := q/a, c/q
	if q == 0 {
		t1 = t0
	}
	if t0 > t1 {
		t0, t1 = t1, t0
	}
	add(t0)
	add(t1)
	return dst
}

// cubicInflections returns the parameters in (0, 1) where the cubic's curvature changes sign.
func cubicInflections(p0 Point, s Segment) []float64 {
	a := s.C1.Sub(p0)
	b := s.C2.Sub(s.C1.Mul(2)).Add(p0)
	c := s.P.Add(s.C1.Sub(s.C2).Mul(3)).Sub(p0)
	return unitQuadRoots(nil, b.X*c.Y-b.Y*c.X, a.X*c.Y-a.Y*c.X, a.X*b.Y-a.Y*b.X)
}

// cubicCusp returns the parameter of a cusp (the derivative vanishes inside (0, 1)) and
// whether there is one. Only cubics whose control legs p0→c1 and c2→p3 cross can have one.
func cubicCusp(p0 Point, s Segment) (float64, bool) {
	if p0 == s.C1 || s.C2 == s.P {
		return 0, false
	}
	side := func(a, b, p Point) float64 { return cross(b.Sub(a), p.Sub(a)) }
	if side(p0, s.C1, s.C2)*side(p0, s.C1, s.P) > 0 || side(s.C2, s.P, p0)*side(s.C2, s.P, s.C1) > 0 {
		return 0, false
	}
	size := p0.Dist(s.C1) + s.C1.Dist(s.C2) + s.C2.Dist(s.P)
	// |P'(t)|² is a quartic: sample, then refine the smallest by golden-section search.
	const n = 64
	best, bt := math.Inf(1), 0.0
	for k := 1; k < n; k++ {
		t := float64(k) / n
		d := cubicDeriv(p0, s, t)
		if v := d.X*d.X + d.Y*d.Y; v < best {
			best, bt = v, t
		}
	}
	lo, hi := math.Max(0, bt-1.0/n), math.Min(1, bt+1.0/n)
	g := (math.Sqrt(5) - 1) / 2
	for it := 0; it < 60; it++ {
		m1, m2 := hi-g*(hi-lo), lo+g*(hi-lo)
		d1, d2 := cubicDeriv(p0, s, m1), cubicDeriv(p0, s, m2)
		if d1.X*d1.X+d1.Y*d1.Y < d2.X*d2.X+d2.Y*d2.Y {
			hi = m2
		} else {
			lo = m1
		}
	}
	t := (lo + hi) / 2
	d := cubicDeriv(p0, s, t)
	if t > 0 && t < 1 && math.Hypot(d.X, d.Y) < 1e-6*size {
		return t, true
	}
	return 0, false
}

// quadConstruct is one parameter range of a side being fitted with a quadratic.
type quadConstruct struct {
	q                  [3]Point // start, control, end of the side's quadratic
	tanStart, tanEnd   Point    // points one radius along the tangent from q[0], q[2]
	startT, midT, endT float64
	startSet, endSet   bool
	oppositeTangents   bool
}

func (qc *quadConstruct) init(t0, t1 float64) bool {
	*qc = quadConstruct{startT: t0, midT: (t0 + t1) / 2, endT: t1}
	return qc.startT < qc.midT && qc.midT < qc.endT
}

// sideStroker fits one side of one cubic with quadratics and flattens them.
type sideStroker struct {
	p0            Point
	s             Segment
	radius, sign  float64 // sign +1: the left normal (d.Y, −d.X); −1: the right
	invRes, inv2  float64 // a quarter device pixel in user units, and its square
	dev           devMap
	foundTangents bool
	depth         int
	out           []Point
	budget        *int // points left to emit for the whole stroke
}

// perpRay returns the point on the curve at t offset by the radius along the side's normal,
// and that point moved one radius along the tangent.
func (ss *sideStroker) perpRay(t float64) (on, tan Point) {
	tp := bez(ss.p0, ss.s, t)
	d := cubicDeriv(ss.p0, ss.s, t)
	if d.X == 0 && d.Y == 0 {
		switch {
		case t < 1e-9:
			d = ss.s.C2.Sub(ss.p0)
		case t > 1-1e-9:
			d = ss.s.P.Sub(ss.s.C1)
		default:
			a, _ := split(ss.p0, ss.s, t)
			d = a.P.Sub(a.C2)
			if d.X == 0 && d.Y == 0 {
				d = a.P.Sub(a.C1)
			}
		}
		if d.X == 0 && d.Y == 0 {
			d = ss.s.P.Sub(ss.p0)
		}
	}
	l := math.Hypot(d.X, d.Y)
	if !(l > 0) || !finite(l) {
		d = Point{ss.radius, 0}
	} else {
		d = d.Mul(ss.radius / l)
	}
	on = Point{tp.X + ss.sign*d.Y, tp.Y - ss.sign*d.X}
	return on, on.Add(d)
}

func (ss *sideStroker) ends(qc *quadConstruct) {
	if !qc.startSet {
		qc.q[0], qc.tanStart = ss.perpRay(qc.startT)
		qc.startSet = true
	}
	if !qc.endSet {
		qc.q[2], qc.tanEnd = ss.perpRay(qc.endT)
		qc.endSet = true
	}
}

// ptToLineSq is the squared distance from p to the segment a→b's line, or to a when p
// projects outside the segment.
func ptToLineSq(p, a, b Point) float64 {
	d := b.Sub(a)
	ap := p.Sub(a)
	den := d.X*d.X + d.Y*d.Y
	t := (d.X*ap.X + d.Y*ap.Y) / den
	if t >= 0 && t <= 1 {
		h := lerp(a, b, t)
		return (h.X-p.X)*(h.X-p.X) + (h.Y-p.Y)*(h.Y-p.Y)
	}
	return ap.X*ap.X + ap.Y*ap.Y
}

type fitResult int

const (
	fitSplit fitResult = iota
	fitLine
	fitQuad
)

// intersectRay finds where the end tangents meet, the quadratic's control point.
func (ss *sideStroker) intersectRay(qc *quadConstruct, setCtrl bool) fitResult {
	start, end := qc.q[0], qc.q[2]
	a, b := qc.tanStart.Sub(start), qc.tanEnd.Sub(end)
	den := cross(a, b)
	if den == 0 || !finite(den) {
		qc.oppositeTangents = a.X*b.X+a.Y*b.Y < 0
		return fitLine
	}
	qc.oppositeTangents = false
	ab0 := start.Sub(end)
	na, nb := cross(b, ab0), cross(a, ab0)
	if (na >= 0) == (nb >= 0) { // the control point would lie outside the ends
		d1 := ptToLineSq(start, end, qc.tanEnd)
		d2 := ptToLineSq(end, start, qc.tanStart)
		if math.Max(d1, d2) <= ss.inv2 {
			return fitLine
		}
		return fitSplit
	}
	na /= den
	if na > na-1 {
		if setCtrl {
			qc.q[1] = Point{start.X*(1-na) + qc.tanStart.X*na, start.Y*(1-na) + qc.tanStart.Y*na}
		}
		return fitQuad
	}
	qc.oppositeTangents = a.X*b.X+a.Y*b.Y < 0
	return fitLine
}

func sharpAngle(q [3]Point) bool {
	sm, lg := q[1].Sub(q[0]), q[1].Sub(q[2])
	sl, ll := sm.X*sm.X+sm.Y*sm.Y, lg.X*lg.X+lg.Y*lg.Y
	if sl > ll {
		sm, lg = lg, sm
		ll = sl
	}
	l := math.Hypot(sm.X, sm.Y)
	if !(l > 0) {
		return false
	}
	sm = sm.Mul(ll / l)
	return sm.X*lg.X+sm.Y*lg.Y > 0
}

func quadAt(q [3]Point, t float64) Point {
	u := 1 - t
	return Point{u*u*q[0].X + 2*u*t*q[1].X + t*t*q[2].X, u*u*q[0].Y + 2*u*t*q[1].Y + t*t*q[2].Y}
}

// closeEnough compares the quadratic with the offset curve at the middle parameter.
func (ss *sideStroker) closeEnough(qc *quadConstruct, rayOn, rayCurve Point) fitResult {
	q := qc.q
	mid := quadAt(q, 0.5)
	if rayOn.Dist(mid) <= ss.invRes {
		if sharpAngle(q) {
			return fitSplit
		}
		return fitQuad
	}
	// quick reject: the ray's end outside the quadratic's bounds
	lo, hi := q[0], q[0]
	for _, p := range q[1:] {
		lo.X, lo.Y = math.Min(lo.X, p.X), math.Min(lo.Y, p.Y)
		hi.X, hi.Y = math.Max(hi.X, p.X), math.Max(hi.Y, p.Y)
	}
	e := ss.invRes
	if rayOn.X < lo.X-e || rayOn.X > hi.X+e || rayOn.Y < lo.Y-e || rayOn.Y > hi.Y+e {
		return fitSplit
	}
	// where the curve's normal ray crosses the quadratic
	v := rayCurve.Sub(rayOn)
	var r [3]float64
	for i, p := range q {
		r[i] = (p.Y-rayOn.Y)*v.X - (p.X-rayOn.X)*v.Y
	}
	A, B, C := r[2]+r[0]-2*r[1], r[1]-r[0], r[0]
	roots := unitQuadRoots(nil, A, 2*B, C)
	if len(roots) != 1 {
		return fitSplit
	}
	qp := quadAt(q, roots[0])
	if rayOn.Dist(qp) <= ss.invRes*(1-math.Abs(roots[0]-0.5)*2) {
		if sharpAngle(q) {
			return fitSplit
		}
		return fitQuad
	}
	return fitSplit
}

// stroke fits the side over qc's parameter range, appending its flattened points (the range's
// start point excluded).
func (ss *sideStroker) stroke(qc *quadConstruct) bool {
	if !ss.foundTangents {
		ss.ends(qc)
		res := ss.intersectRay(qc, false)
		if res != fitQuad {
			if (res == fitLine || qc.q[0].Dist(qc.q[2]) <= ss.invRes) && ss.midOnLine(qc) {
				ss.out = append(ss.out, qc.q[2])
				return true
			}
		} else {
			ss.foundTangents = true
		}
	}
	if ss.foundTangents {
		ss.ends(qc)
		res := ss.intersectRay(qc, true)
		if res == fitQuad {
			on, _ := ss.perpRay(qc.midT)
			res = ss.closeEnough(qc, on, bez(ss.p0, ss.s, qc.midT))
		}
		if res == fitQuad {
			ss.out = flattenQuadDevice(ss.out, qc.q, ss.dev)
			return true
		}
		if res == fitLine && !qc.oppositeTangents {
			ss.out = append(ss.out, qc.q[2])
			return true
		}
	}
	if !finite(qc.q[2].X) || !finite(qc.q[2].Y) || len(ss.out) > *ss.budget {
		return false
	}
	ss.depth++
	limit := 15
	if ss.foundTangents {
		limit = 78
	}
	if ss.depth > limit {
		return false
	}
	// the two halves of the range, each sharing the end it has in common with qc
	for k, r := range [2][2]float64{{qc.startT, qc.midT}, {qc.midT, qc.endT}} {
		var half quadConstruct
		if !half.init(r[0], r[1]) {
			ss.out = append(ss.out, qc.q[2]) // the range no longer halves: a line to its end
			ss.depth--
			return true
		}
		if k == 0 {
			half.q[0], half.tanStart, half.startSet = qc.q[0], qc.tanStart, true
		} else {
			half.q[2], half.tanEnd, half.endSet = qc.q[2], qc.tanEnd, true
		}
		if !ss.stroke(&half) {
			return false
		}
	}
	ss.depth--
	return true
}

func (ss *sideStroker) midOnLine(qc *quadConstruct) bool {
	mid, _ := ss.perpRay(qc.midT)
	return ptToLineSq(mid, qc.q[0], qc.q[2]) < ss.inv2
}

// offsetCubic returns the side of the cubic p0,s at distance r (sign as in sideStroker), from
// its offset start point to its offset end point, flattened for device map dev; ok is false
// when the fit fails (non-finite or runaway input, or more points than budget), and the
// caller falls back to chords.
func offsetCubic(p0 Point, s Segment, r, sign float64, dev devMap, budget *int) (pts []Point, ok bool) {
	inv := 1 / (4 * dev.resScale())
	ss := &sideStroker{p0: p0, s: s, radius: r, sign: sign, invRes: inv, inv2: inv * inv, dev: dev, budget: budget}
	start, _ := ss.perpRay(0)
	ss.out = append(ss.out, start)
	ts := append(cubicInflections(p0, s), 1)
	last := 0.0
	for _, t := range ts {
		var qc quadConstruct
		if qc.init(last, t) {
			ss.foundTangents = false
			ss.depth = 0
			if !ss.stroke(&qc) {
				*budget -= len(ss.out) // spent, so that hostile input cannot retry it per segment
				return nil, false
			}
		}
		last = t
	}
	if *budget -= len(ss.out); *budget < 0 {
		return nil, false
	}
	return ss.out, true
}

// skiaShift is Skia's choice of 2^shift chords for a curve whose deviation from its chord is
// dev device pixels (cheap distance: max + min/2 of the components), in anti-aliased fills,
// whose coordinates carry 2 extra bits: the error budget is ~1/8 px and each doubling of the
// chords quarters the error.
func skiaShift(dev Point) int {
	dx, dy := math.Abs(dev.X)*256, math.Abs(dev.Y)*256
	if !finite(dx) || !finite(dy) {
		return 6
	}
	dist := dx + dy/2
	if dy > dx {
		dist = dy + dx/2
	}
	if dist > 1<<40 {
		return 6
	}
	v := (uint64(dist) + 16) >> 5
	return bits.Len64(v) >> 1
}

// flattenQuadDevice appends the chords of the quadratic q (user space) as Skia's anti-aliased
// scan converter draws it for device map dev: cut where it turns vertically on the device,
// each piece 2^k chords (2 ≤ 2^k ≤ 64) uniform in its parameter. q[0] is not appended.
func flattenQuadDevice(dst []Point, q [3]Point, dev devMap) []Point {
	y0, y1, y2 := dev.apply(q[0]).Y, dev.apply(q[1]).Y, dev.apply(q[2]).Y
	pieces := [][3]Point{q}
	if den := y0 - 2*y1 + y2; den != 0 {
		if t := (y0 - y1) / den; t > 0 && t < 1 {
			a, m, b := lerp(q[0], q[1], t), quadAt(q, t), lerp(q[1], q[2], t)
			pieces = [][3]Point{{q[0], a, m}, {m, b, q[2]}}
		}
	}
	for _, p := range pieces {
		d := dev.apply(p[0].Sub(p[1].Mul(2)).Add(p[2])).Mul(0.25)
		shift := skiaShift(d)
		if shift < 1 {
			shift = 1
		}
		if shift > 6 {
			shift = 6
		}
		n := 1 << shift
		for k := 1; k <= n; k++ {
			dst = append(dst, quadAt(p, float64(k)/float64(n)))
		}
	}
	return dst
}
