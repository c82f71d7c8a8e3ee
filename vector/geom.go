package vector

import "math"

// Point is a 2-D point in user units (SVG y axis points down).
type Point struct{ X, Y float64 }

func (p Point) Add(q Point) Point      { return Point{p.X + q.X, p.Y + q.Y} }
func (p Point) Sub(q Point) Point      { return Point{p.X - q.X, p.Y - q.Y} }
func (p Point) Mul(s float64) Point    { return Point{p.X * s, p.Y * s} }
func (p Point) Dist(q Point) float64   { return math.Hypot(p.X-q.X, p.Y-q.Y) }
func lerp(p, q Point, t float64) Point { return Point{p.X + (q.X-p.X)*t, p.Y + (q.Y-p.Y)*t} }
func finite(v float64) bool            { return !math.IsNaN(v) && !math.IsInf(v, 0) }
func (p Point) finite() bool           { return finite(p.X) && finite(p.Y) }
func cross(a, b Point) float64         { return a.X*b.Y - a.Y*b.X }
func (p Point) less(q Point) bool      { return p.Y < q.Y || (p.Y == q.Y && p.X < q.X) }

// Matrix is the SVG affine transform [a c e; b d f]: x' = a*x + c*y + e, y' = b*x + d*y + f
// (the matrix(a,b,c,d,e,f) order of SVG 1.1 §7.4).
type Matrix struct{ A, B, C, D, E, F float64 }

// Identity is the identity transform.
var Identity = Matrix{A: 1, D: 1}

// Apply maps p through m.
func (m Matrix) Apply(p Point) Point {
	return Point{m.A*p.X + m.C*p.Y + m.E, m.B*p.X + m.D*p.Y + m.F}
}

// Mul returns m∘n: apply n first, then m (so a parent's matrix multiplies a child's on the left).
func (m Matrix) Mul(n Matrix) Matrix {
	return Matrix{
		A: m.A*n.A + m.C*n.B, B: m.B*n.A + m.D*n.B,
		C: m.A*n.C + m.C*n.D, D: m.B*n.C + m.D*n.D,
		E: m.A*n.E + m.C*n.F + m.E, F: m.B*n.E + m.D*n.F + m.F,
	}
}

// Det is the determinant; a negative one flips orientation.
func (m Matrix) Det() float64 { return m.A*m.D - m.B*m.C }

// Segment is one cubic Bézier segment; its start point is the previous segment's end
// (or the subpath start).
type Segment struct{ C1, C2, P Point }

// Subpath is a closed outline: Start, then Segs, the last of which ends at Start.
type Subpath struct {
	Start Point
	Segs  []Segment
}

// line returns the cubic equal to the straight segment a→b, with controls at 1/3 and 2/3
// so that the parameterisation stays uniform.
func line(a, b Point) Segment { return Segment{lerp(a, b, 1.0/3), lerp(a, b, 2.0/3), b} }

// quad elevates a quadratic a,q,b to the equal cubic.
func quad(a, q, b Point) Segment {
	return Segment{a.Add(q.Sub(a).Mul(2.0 / 3)), b.Add(q.Sub(b).Mul(2.0 / 3)), b}
}

// bez evaluates the cubic p0,c1,c2,p3 at t.
func bez(p0 Point, s Segment, t float64) Point {
	u := 1 - t
	a, b, c, d := u*u*u, 3*u*u*t, 3*u*t*t, t*t*t
	return Point{a*p0.X + b*s.C1.X + c*s.C2.X + d*s.P.X, a*p0.Y + b*s.C1.Y + c*s.C2.Y + d*s.P.Y}
}

// split cuts the cubic at t by de Casteljau's construction.
func split(p0 Point, s Segment, t float64) (Segment, Segment) {
	ab, bc, cd := lerp(p0, s.C1, t), lerp(s.C1, s.C2, t), lerp(s.C2, s.P, t)
	abc, bcd := lerp(ab, bc, t), lerp(bc, cd, t)
	m := lerp(abc, bcd, t)
	return Segment{ab, abc, m}, Segment{bcd, cd, s.P}
}

// segStart returns the start point of segment i of sp.
func (sp *Subpath) segStart(i int) Point {
	if i == 0 {
		return sp.Start
	}
	return sp.Segs[i-1].P
}

// Transform returns sp mapped through m (affine maps keep Béziers Béziers).
func (sp Subpath) Transform(m Matrix) Subpath {
	out := Subpath{Start: m.Apply(sp.Start), Segs: make([]Segment, len(sp.Segs))}
	for i, s := range sp.Segs {
		out.Segs[i] = Segment{m.Apply(s.C1), m.Apply(s.C2), m.Apply(s.P)}
	}
	return out
}

// flattenTol is the maximum chord deviation, in user units, when flattening curves for
// area, rasterizing and fitting; 36-unit Twemoji rendered at 512 px make 0.01 units ≈ 0.14 px.
const flattenTol = 0.01

// segSteps picks how many chords approximate a cubic within tol, from the bound on the
// second difference (Wang's formula).
func segSteps(p0 Point, s Segment, tol float64) int {
	dd := math.Max(
		math.Hypot(p0.X-2*s.C1.X+s.C2.X, p0.Y-2*s.C1.Y+s.C2.Y),
		math.Hypot(s.C1.X-2*s.C2.X+s.P.X, s.C1.Y-2*s.C2.Y+s.P.Y))
	n := math.Ceil(math.Sqrt(dd * 6 / (8 * tol)))
	switch {
	case !(n >= 1): // also NaN
		return 1
	case n > 256:
		return 256
	}
	return int(n)
}

// Flatten appends the polyline of sp (start point first, closing point omitted) to dst.
func (sp *Subpath) Flatten(dst []Point, tol float64) []Point {
	dst = append(dst, sp.Start)
	for i, s := range sp.Segs {
		p0 := sp.segStart(i)
		n := segSteps(p0, s, tol)
		for k := 1; k <= n; k++ {
			if i == len(sp.Segs)-1 && k == n {
				break // closing point equals Start
			}
			dst = append(dst, bez(p0, s, float64(k)/float64(n)))
		}
	}
	return dst
}

// polyArea is the signed shoelace area; positive means clockwise on screen (y down).
func polyArea(pts []Point) float64 {
	var a float64
	for i := range pts {
		j := (i + 1) % len(pts)
		a += cross(pts[i], pts[j])
	}
	return a / 2
}

// Area is the exact signed area of sp (positive = clockwise on screen): ½∮(x dy − y dx),
// whose integrand is a degree-5 polynomial on each cubic, so 3-point Gauss–Legendre
// quadrature integrates it exactly.
func (sp *Subpath) Area() float64 {
	const w0, w1 = 5.0 / 18, 8.0 / 18
	d := math.Sqrt(0.6) / 2
	nodes := [3]float64{0.5 - d, 0.5, 0.5 + d}
	weights := [3]float64{w0, w1, w0}
	var a float64
	for i, s := range sp.Segs {
		p0 := sp.segStart(i)
		for k, t := range nodes {
			p := bez(p0, s, t)
			u := 1 - t
			dp := s.C1.Sub(p0).Mul(3 * u * u).Add(s.C2.Sub(s.C1).Mul(6 * u * t)).Add(s.P.Sub(s.C2).Mul(3 * t * t))
			a += weights[k] * cross(p, dp)
		}
	}
	return a / 2
}

// Reverse returns sp traversed the other way round, starting at the same point.
func (sp Subpath) Reverse() Subpath {
	n := len(sp.Segs)
	out := Subpath{Start: sp.Start, Segs: make([]Segment, n)}
	for i := 0; i < n; i++ {
		s := sp.Segs[n-1-i]
		out.Segs[i] = Segment{s.C2, s.C1, sp.segStart(n - 1 - i)}
	}
	return out
}

// bounds returns the bounding box of the control polygon.
func (sp *Subpath) bounds() (lo, hi Point) {
	lo, hi = sp.Start, sp.Start
	grow := func(p Point) {
		lo.X, lo.Y = math.Min(lo.X, p.X), math.Min(lo.Y, p.Y)
		hi.X, hi.Y = math.Max(hi.X, p.X), math.Max(hi.Y, p.Y)
	}
	for _, s := range sp.Segs {
		grow(s.C1)
		grow(s.C2)
		grow(s.P)
	}
	return lo, hi
}
