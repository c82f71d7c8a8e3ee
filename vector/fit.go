package vector

import "math"

// canonical returns sp with a canonical orientation (clockwise on screen, i.e. positive
// shoelace area in SVG's y-down space) and start point (the top-most, then left-most vertex),
// and whether it had to be reversed. Equal outlines drawn from different start points or in
// opposite directions thus give equal segment lists.
func canonical(sp Subpath, area float64) (Subpath, bool) {
	rev := area < 0
	if rev {
		sp = sp.Reverse()
	}
	k, best := 0, sp.Start
	for i := 0; i < len(sp.Segs)-1; i++ {
		if p := sp.Segs[i].P; p.less(best) {
			k, best = i+1, p
		}
	}
	if k == 0 {
		return sp, rev
	}
	out := Subpath{Start: best, Segs: make([]Segment, 0, len(sp.Segs))}
	out.Segs = append(out.Segs, sp.Segs[k:]...)
	out.Segs = append(out.Segs, sp.Segs[:k]...)
	return out, rev
}

// resample returns sp with exactly n segments: short outlines are padded by splitting the
// longest segment in half (de Casteljau, which keeps the curve identical), long ones are
// refit by greedily merging the adjacent pair whose least-squares single-cubic fit has the
// smallest error, never merging across the start vertex.
func resample(sp Subpath, n int) Subpath {
	m := len(sp.Segs)
	switch {
	case m == n:
		return sp
	case m < n:
		segs := append([]Segment(nil), sp.Segs...)
		for len(segs) < n {
			bi, bl := 0, -1.0
			for i, s := range segs {
				p0 := sp.Start
				if i > 0 {
					p0 = segs[i-1].P
				}
				if l := p0.Dist(s.C1) + s.C1.Dist(s.C2) + s.C2.Dist(s.P); l > bl {
					bi, bl = i, l
				}
			}
			p0 := sp.Start
			if bi > 0 {
				p0 = segs[bi-1].P
			}
			a, b := split(p0, segs[bi], 0.5)
			segs = append(segs[:bi+1], segs[bi:]...)
			segs[bi], segs[bi+1] = a, b
		}
		return Subpath{Start: sp.Start, Segs: segs}
	}
	return refit(sp, n)
}

// samplesPerSeg is how many interior points of each original segment a merged fit must
// follow; 8 keeps the fit faithful to arcs while the greedy merge stays O(m²·8).
const samplesPerSeg = 8

type fitGroup struct {
	p0   Point   // start vertex
	pts  []Point // samples of the original outline from p0 (excluded) to seg.P (included)
	seg  Segment // current fit
	err  float64 // max sample distance of the fit
	cost float64 // error of merging with the next group (+Inf for the last)
}

// refitError is the maximum deviation of resample(sp, n) from sp, in user units (0 when sp
// has at most n segments: padding is exact).
func refitError(sp Subpath, n int) float64 {
	if len(sp.Segs) <= n {
		return 0
	}
	_, e := refitErr(sp, n)
	return e
}

func refit(sp Subpath, n int) Subpath {
	out, _ := refitErr(sp, n)
	return out
}

// maxRefitGroups bounds the greedy merge, which is quadratic in the number of groups:
// longer outlines (none in Twemoji, max 451 segments) are first cut into this many runs of
// consecutive segments, each fit once.
const maxRefitGroups = 512

func refitErr(sp Subpath, n int) (Subpath, float64) {
	per := (len(sp.Segs) + maxRefitGroups - 1) / maxRefitGroups // segments per initial group
	var groups []fitGroup
	for i := 0; i < len(sp.Segs); i += per {
		p0 := sp.segStart(i)
		g := fitGroup{p0: p0}
		for j := i; j < i+per && j < len(sp.Segs); j++ {
			s := sp.Segs[j]
			q0 := sp.segStart(j)
			for k := 1; k <= samplesPerSeg; k++ {
				g.pts = append(g.pts, bez(q0, s, float64(k)/samplesPerSeg))
			}
			g.seg = s
		}
		if per > 1 {
			g.pts = decimate(g.pts)
			g.seg, g.err = fitCubic(p0, g.pts)
		}
		groups = append(groups, g)
	}
	mergeCost := func(i int) {
		if i+1 >= len(groups) {
			groups[i].cost = math.Inf(1)
			return
		}
		pts := decimate(append(append([]Point(nil), groups[i].pts...), groups[i+1].pts...))
		_, e := fitCubic(groups[i].p0, pts)
		groups[i].cost = e
	}
	for i := range groups {
		mergeCost(i)
	}
	for len(groups) > n {
		bi := 0
		for i := range groups {
			if groups[i].cost < groups[bi].cost {
				bi = i
			}
		}
		a, b := groups[bi], groups[bi+1]
		pts := decimate(append(append([]Point(nil), a.pts...), b.pts...))
		seg, e := fitCubic(a.p0, pts)
		groups[bi] = fitGroup{p0: a.p0, pts: pts, seg: seg, err: e}
		groups = append(groups[:bi+1], groups[bi+2:]...)
		mergeCost(bi)
		if bi > 0 {
			mergeCost(bi - 1)
		}
	}
	out := Subpath{Start: sp.Start, Segs: make([]Segment, len(groups))}
	maxErr := 0.0
	for i, g := range groups {
		out.Segs[i] = g.seg
		maxErr = math.Max(maxErr, g.err)
	}
	return out, maxErr
}

// maxFitSamples bounds the samples one fit follows; merged groups of more than 32 original
// segments are thinned evenly (keeping the end point), so a fit costs O(maxFitSamples).
const maxFitSamples = 256

func decimate(pts []Point) []Point {
	if len(pts) <= maxFitSamples {
		return pts
	}
	out := make([]Point, maxFitSamples)
	for i := range out {
		out[i] = pts[(i+1)*len(pts)/maxFitSamples-1]
	}
	return out
}

// fitCubic fits one cubic from p0 through pts (the last point is the fixed end) by least
// squares on the two control points, with chord-length parameters refined by Newton steps
// (Schneider, "An Algorithm for Automatically Fitting Digitized Curves", Graphics Gems 1990).
// It returns the cubic and its maximum sample distance.
func fitCubic(p0 Point, pts []Point) (Segment, float64) {
	p3 := pts[len(pts)-1]
	ts := make([]float64, len(pts))
	total, prev := 0.0, p0
	for i, q := range pts {
		total += prev.Dist(q)
		ts[i] = total
		prev = q
	}
	if total == 0 {
		return line(p0, p3), 0
	}
	for i := range ts {
		ts[i] /= total
	}
	var seg Segment
	for iter := 0; iter < 4; iter++ {
		var a11, a12, a22 float64
		var r1, r2 Point
		for i, q := range pts {
			t := ts[i]
			u := 1 - t
			b0, b1, b2, b3 := u*u*u, 3*u*u*t, 3*u*t*t, t*t*t
			a11 += b1 * b1
			a12 += b1 * b2
			a22 += b2 * b2
			rest := q.Sub(p0.Mul(b0)).Sub(p3.Mul(b3))
			r1 = r1.Add(rest.Mul(b1))
			r2 = r2.Add(rest.Mul(b2))
		}
		det := a11*a22 - a12*a12
		if math.Abs(det) < 1e-12 {
			seg = line(p0, p3)
		} else {
			seg = Segment{
				C1: r1.Mul(a22).Sub(r2.Mul(a12)).Mul(1 / det),
				C2: r2.Mul(a11).Sub(r1.Mul(a12)).Mul(1 / det),
				P:  p3,
			}
		}
		// Newton step on each parameter: t -= (B(t)-q)·B'(t) / (B'·B' + (B-q)·B'').
		for i, q := range pts {
			t := ts[i]
			d := bez(p0, seg, t).Sub(q)
			u := 1 - t
			d1 := seg.C1.Sub(p0).Mul(3 * u * u).Add(seg.C2.Sub(seg.C1).Mul(6 * u * t)).Add(p3.Sub(seg.C2).Mul(3 * t * t))
			d2 := seg.C2.Sub(seg.C1.Mul(2)).Add(p0).Mul(6 * u).Add(p3.Sub(seg.C2.Mul(2)).Add(seg.C1).Mul(6 * t))
			den := d1.X*d1.X + d1.Y*d1.Y + d.X*d2.X + d.Y*d2.Y
			if den != 0 {
				t -= (d.X*d1.X + d.Y*d1.Y) / den
			}
			ts[i] = math.Min(1, math.Max(0, t))
		}
	}
	e := 0.0
	for i, q := range pts {
		e = math.Max(e, bez(p0, seg, ts[i]).Dist(q))
	}
	return seg, e
}
