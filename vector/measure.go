package vector

import (
	"math"
	"sort"
)

// contour measures a subpath the way Skia's SkContourMeasure does (and so Chromium's and
// resvg's dashing): each cubic is halved until its control points lie within tol of the
// chord's third points, the chords' lengths add up to the distance, and a distance maps to a
// point on the curve by interpolating t linearly along its chord. Dash ends are placed on the
// curve at that distance; the chords make the measured length slightly short of the arc
// length, which moves dash ends along a circle by a fraction of a unit, as in browsers.
type contour struct {
	start Point
	segs  []Segment
	marks []mark // chord ends, in order
	total float64
}

type mark struct {
	d   float64 // distance at the chord's end
	seg int     // the segment it lies on
	t   float64 // t at the chord's end
}

// skiaTolerance is Skia's CHEAP_DIST_LIMIT: half a device pixel.
const skiaTolerance = 0.5

// maxMeasureDepth bounds the halvings of one cubic (Skia allows 20; 10 already gives 1024
// chords, far below tolerance on any drawing, and bounds hostile input).
const maxMeasureDepth = 10

func newContour(start Point, segs []Segment, tol float64, budget *int) (*contour, bool) {
	c := &contour{start: start, segs: segs}
	p0 := start
	for i, s := range segs {
		if !c.cubic(p0, s, i, 0, 1, tol, 0, budget) {
			return nil, false
		}
		p0 = s.P
	}
	return c, true
}

func tooCurvy(p0 Point, s Segment, tol float64) bool {
	far := func(p Point, x, y float64) bool { return math.Max(math.Abs(x-p.X), math.Abs(y-p.Y)) > tol }
	return far(s.C1, p0.X+(s.P.X-p0.X)/3, p0.Y+(s.P.Y-p0.Y)/3) ||
		far(s.C2, p0.X+(s.P.X-p0.X)*2/3, p0.Y+(s.P.Y-p0.Y)*2/3)
}

func (c *contour) cubic(p0 Point, s Segment, seg int, t0, t1, tol float64, depth int, budget *int) bool {
	if depth < maxMeasureDepth && tooCurvy(p0, s, tol) {
		a, b := split(p0, s, 0.5)
		tm := (t0 + t1) / 2
		return c.cubic(p0, a, seg, t0, tm, tol, depth+1, budget) && c.cubic(a.P, b, seg, tm, t1, tol, depth+1, budget)
	}
	if *budget--; *budget < 0 {
		return false
	}
	if d := c.total + p0.Dist(s.P); d > c.total {
		c.total = d
		c.marks = append(c.marks, mark{d, seg, t1})
	}
	return true
}

// locate returns the segment and t at distance s along the contour.
func (c *contour) locate(s float64) (int, float64) {
	if len(c.marks) == 0 {
		return 0, 0
	}
	k := sort.Search(len(c.marks), func(i int) bool { return c.marks[i].d >= s })
	if k == len(c.marks) {
		m := c.marks[k-1]
		return m.seg, m.t
	}
	m := c.marks[k]
	d0, t0 := 0.0, 0.0
	if k > 0 {
		d0 = c.marks[k-1].d
		if c.marks[k-1].seg == m.seg {
			t0 = c.marks[k-1].t
		}
	}
	f := 0.0
	if m.d > d0 {
		f = clamp01((s - d0) / (m.d - d0))
	}
	return m.seg, t0 + (m.t-t0)*f
}

func (c *contour) segStart(i int) Point {
	if i == 0 {
		return c.start
	}
	return c.segs[i-1].P
}

// at is the point at distance s.
func (c *contour) at(s float64) Point {
	i, t := c.locate(s)
	return bez(c.segStart(i), c.segs[i], t)
}

// piece appends the polyline of the curve from distance s0 to s1 (flattened within flat).
func (c *contour) piece(dst []Point, s0, s1, flat float64) []Point {
	i0, t0 := c.locate(s0)
	i1, t1 := c.locate(s1)
	dst = append(dst, bez(c.segStart(i0), c.segs[i0], t0))
	for i := i0; i <= i1; i++ {
		a, b := 0.0, 1.0
		if i == i0 {
			a = t0
		}
		if i == i1 {
			b = t1
		}
		if b <= a {
			continue
		}
		p0 := c.segStart(i)
		n := int(math.Ceil(float64(segSteps(p0, c.segs[i], flat)) * (b - a)))
		if n < 1 {
			n = 1
		}
		for k := 1; k <= n; k++ {
			dst = append(dst, bez(p0, c.segs[i], a+(b-a)*float64(k)/float64(n)))
		}
	}
	return dst
}
