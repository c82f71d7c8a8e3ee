package vector

import "math"

// Spread is a gradient's spreadMethod: what it paints outside [0, 1].
type Spread int

const (
	SpreadPad Spread = iota
	SpreadReflect
	SpreadRepeat
)

// Stop is one gradient stop: offset in [0,1] (non-decreasing along Stops) and straight-alpha
// color with stop-opacity and the layer's fill/stroke opacity folded into A.
type Stop struct {
	Offset float64
	Color  RGBA
}

// Gradient is a layer's linear or radial paint (SVG linearGradient / radialGradient with its
// href chain resolved). Coordinates are in gradient space; M maps gradient space to viewBox
// coordinates (the element's transform × the objectBoundingBox mapping × gradientTransform).
type Gradient struct {
	Radial         bool
	X1, Y1, X2, Y2 float64 // linear: the gradient vector
	CX, CY, R      float64 // radial: end circle
	FX, FY, FR     float64 // radial: focal (start) circle
	Spread         Spread
	Stops          []Stop // at least two
	M              Matrix
}

// inverse returns m⁻¹ (ok=false when singular).
func (m Matrix) inverse() (Matrix, bool) {
	d := m.Det()
	if d == 0 || !finite(d) {
		return Matrix{}, false
	}
	return Matrix{
		A: m.D / d, B: -m.B / d, C: -m.C / d, D: m.A / d,
		E: (m.C*m.F - m.D*m.E) / d, F: (m.B*m.E - m.A*m.F) / d,
	}, true
}

// gradientSampler evaluates a gradient at viewBox points.
type gradientSampler struct {
	g   *Gradient
	inv Matrix
	ok  bool
}

func newSampler(g *Gradient) gradientSampler {
	inv, ok := g.M.inverse()
	return gradientSampler{g, inv, ok}
}

// at returns the paint color at viewBox point p (straight alpha).
func (s *gradientSampler) at(p Point) RGBA {
	g := s.g
	if !s.ok || len(g.Stops) == 0 {
		if len(g.Stops) > 0 {
			return g.Stops[len(g.Stops)-1].Color
		}
		return RGBA{}
	}
	q := s.inv.Apply(p)
	var t float64
	if !g.Radial {
		dx, dy := g.X2-g.X1, g.Y2-g.Y1
		l2 := dx*dx + dy*dy
		if l2 == 0 {
			return g.Stops[len(g.Stops)-1].Color
		}
		t = ((q.X-g.X1)*dx + (q.Y-g.Y1)*dy) / l2
	} else {
		var ok bool
		if t, ok = radialT(g, q); !ok {
			return RGBA{}
		}
	}
	return stopColor(g, spreadT(t, g.Spread))
}

// radialT solves for the largest t with |q - c(t)| = r(t), r(t) ≥ 0, where the circle
// interpolates from the focal circle (FX,FY,FR) at t=0 to the end circle (CX,CY,R) at t=1
// (the two-point conical gradient of SVG 2 / Canvas).
func radialT(g *Gradient, q Point) (float64, bool) {
	cdx, cdy, dr := g.CX-g.FX, g.CY-g.FY, g.R-g.FR
	px, py := q.X-g.FX, q.Y-g.FY
	a := cdx*cdx + cdy*cdy - dr*dr
	b := px*cdx + py*cdy + g.FR*dr
	c := px*px + py*py - g.FR*g.FR
	if math.Abs(a) < 1e-12 {
		if math.Abs(b) < 1e-12 {
			// Two equal circles: inside is before the start, outside past the end.
			if c > 0 {
				return 2, true
			}
			return -1, true
		}
		t := c / (2 * b)
		return t, g.FR+t*dr >= 0
	}
	disc := b*b - a*c
	if disc < 0 {
		return 0, false
	}
	sq := math.Sqrt(disc)
	t1, t2 := (b+sq)/a, (b-sq)/a
	if t1 < t2 {
		t1, t2 = t2, t1
	}
	if g.FR+t1*dr >= 0 {
		return t1, true
	}
	if g.FR+t2*dr >= 0 {
		return t2, true
	}
	return 0, false
}

func spreadT(t float64, s Spread) float64 {
	switch s {
	case SpreadRepeat:
		t -= math.Floor(t)
	case SpreadReflect:
		t = math.Mod(math.Abs(t), 2)
		if t > 1 {
			t = 2 - t
		}
	}
	return clamp01(t)
}

// stopColor interpolates the stops at t (straight-alpha components, as resvg does).
func stopColor(g *Gradient, t float64) RGBA {
	st := g.Stops
	if t <= st[0].Offset {
		return st[0].Color
	}
	for i := 1; i < len(st); i++ {
		if t <= st[i].Offset {
			a, b := st[i-1], st[i]
			span := b.Offset - a.Offset
			if span <= 0 {
				return b.Color
			}
			f := (t - a.Offset) / span
			return RGBA{a.Color.R + (b.Color.R-a.Color.R)*f, a.Color.G + (b.Color.G-a.Color.G)*f,
				a.Color.B + (b.Color.B-a.Color.B)*f, a.Color.A + (b.Color.A-a.Color.A)*f}
		}
	}
	return st[len(st)-1].Color
}

// meanGridSize is the sampling grid (per axis, over the layer's bounding box) for the mean
// color of a gradient-filled layer.
const meanGridSize = 24

// meanPaint is the fixed-size tokens' reduction of a gradient: the coverage-weighted mean
// of the paint over the layer's shape, premultiplied (so transparent stops weigh by their
// alpha), sampled on a meanGridSize² grid over the bounding box.
func meanPaint(l *Layer) RGBA {
	lo, hi := layerBounds(l.Subpaths)
	if !(hi.X > lo.X && hi.Y > lo.Y) {
		if len(l.Paint.Stops) > 0 {
			return l.Paint.Stops[0].Color
		}
		return RGBA{}
	}
	vb := [4]float64{lo.X, lo.Y, hi.X - lo.X, hi.Y - lo.Y}
	cov := Coverage(l, vb, meanGridSize, meanGridSize)
	s := newSampler(l.Paint)
	var r, g, b, a, w float64
	for y := 0; y < meanGridSize; y++ {
		for x := 0; x < meanGridSize; x++ {
			c := float64(cov[y*meanGridSize+x])
			if c == 0 {
				continue
			}
			p := Point{lo.X + (float64(x)+0.5)*vb[2]/meanGridSize, lo.Y + (float64(y)+0.5)*vb[3]/meanGridSize}
			col := s.at(p)
			r += c * col.A * col.R
			g += c * col.A * col.G
			b += c * col.A * col.B
			a += c * col.A
			w += c
		}
	}
	if w == 0 || a == 0 {
		return RGBA{}
	}
	return RGBA{r / a, g / a, b / a, a / w}
}

func layerBounds(subs []Subpath) (lo, hi Point) {
	lo = Point{math.Inf(1), math.Inf(1)}
	hi = Point{math.Inf(-1), math.Inf(-1)}
	for i := range subs {
		l, h := subs[i].bounds()
		lo.X, lo.Y = math.Min(lo.X, l.X), math.Min(lo.Y, l.Y)
		hi.X, hi.Y = math.Max(hi.X, h.X), math.Max(hi.Y, h.Y)
	}
	return lo, hi
}

// scaleAlpha multiplies the layer's opacity (fill and every stop) by o.
func (l *Layer) scaleAlpha(o float64) {
	l.Fill.A *= o
	if l.Paint != nil {
		g := *l.Paint
		g.Stops = append([]Stop(nil), g.Stops...)
		for i := range g.Stops {
			g.Stops[i].Color.A *= o
		}
		l.Paint = &g
	}
}
