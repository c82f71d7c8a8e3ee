package vector

import (
	"errors"
	"math"
	"strconv"
)

// ParsePathData parses an SVG path "d" attribute (SVG 1.1 §8.3 / SVG 2 §9.3: all commands in
// absolute and relative form, implicit repeats, S/T reflections, elliptical arcs) into closed
// cubic subpaths. Open subpaths are closed with a straight line, as filling does implicitly.
// Subpaths with no segments are dropped (they fill nothing).
func ParsePathData(d string) ([]Subpath, error) {
	p := pathParser{s: d}
	return p.parse()
}

// openInfo says, per subpath, how it was written: open (no Z), and if so whether the parser
// appended the closing line (needed for stroking, which does not close open subpaths).
type openInfo struct{ open, addedClose bool }

func parsePathDataOpen(d string) ([]Subpath, []openInfo, error) {
	p := pathParser{s: d}
	subs, err := p.parse()
	return subs, p.info, err
}

type pathParser struct {
	s   string
	i   int
	out []Subpath
	cur Subpath
	pen Point
	// last control point, for S/T reflection
	lastC    Point
	lastKind byte // 'C' after C/S, 'Q' after Q/T, 0 otherwise
	nseg     int
	// closeOverflow records a closing line whose controls overflowed.
	closeOverflow bool
	info          []openInfo // parallel to out
	explicitClose bool       // set by Z before closeSub
}

func (p *pathParser) skipSep() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r', '\f', ',':
			p.i++
		default:
			return
		}
	}
}

func (p *pathParser) skipSpace() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r', '\f':
			p.i++
		default:
			return
		}
	}
}

// atNumber reports whether a number starts at the cursor (after separators).
func (p *pathParser) atNumber() bool {
	p.skipSep()
	if p.i >= len(p.s) {
		return false
	}
	c := p.s[p.i]
	return c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')
}

// number scans one SVG number: sign? digits? (. digits)? ([eE] sign? digits)?.
func (p *pathParser) number() (float64, error) {
	p.skipSep()
	start := p.i
	v, n, err := scanNumber(p.s[p.i:])
	if err != nil {
		return 0, errf(err, start, "bad number")
	}
	p.i += n
	return v, nil
}

// scanNumber reads the longest SVG number prefix of s and returns its value and length.
func scanNumber(s string) (float64, int, error) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0, ErrSyntax
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j { // an exponent needs digits; otherwise 'e' is not part of the number
			i = k
		}
	}
	v, err := strconv.ParseFloat(s[:i], 64)
	if err != nil || !finite(v) {
		return 0, 0, ErrNonFinite
	}
	return v, i, nil
}

// flag scans an arc flag, which may be written without separators ("a1 1 0 01.5.5").
func (p *pathParser) flag() (bool, error) {
	p.skipSep()
	if p.i < len(p.s) && (p.s[p.i] == '0' || p.s[p.i] == '1') {
		p.i++
		return p.s[p.i-1] == '1', nil
	}
	return false, errf(ErrSyntax, p.i, "arc flag must be 0 or 1")
}

func (p *pathParser) point(rel bool) (Point, error) {
	x, err := p.number()
	if err != nil {
		return Point{}, err
	}
	y, err := p.number()
	if err != nil {
		return Point{}, err
	}
	if rel {
		x, y = x+p.pen.X, y+p.pen.Y
	}
	pt := Point{x, y}
	if !pt.finite() {
		return pt, errf(ErrNonFinite, p.i, "coordinate overflows")
	}
	return pt, nil
}

func (p *pathParser) add(s Segment) error {
	if !finiteSeg(s) {
		return errf(ErrNonFinite, p.i, "segment overflows")
	}
	p.nseg++
	if p.nseg > MaxSegments {
		return errf(ErrLimit, p.i, "more than %d segments", MaxSegments)
	}
	p.cur.Segs = append(p.cur.Segs, s)
	p.pen = s.P
	return nil
}

// closeSub closes the current subpath with a line back to its start and emits it.
func (p *pathParser) closeSub() {
	if len(p.cur.Segs) == 0 && p.explicitClose && p.nseg < MaxSegments {
		// "M x y Z" is a closed subpath of zero length: it has no area, but Chromium strokes
		// it with its caps (a dot under round or square caps), as a zero-length line.
		p.nseg++
		p.cur.Segs = append(p.cur.Segs, line(p.cur.Start, p.cur.Start))
	}
	if len(p.cur.Segs) > 0 {
		info := openInfo{open: !p.explicitClose}
		if p.pen != p.cur.Start {
			p.cur.Segs = append(p.cur.Segs, line(p.pen, p.cur.Start))
			p.closeOverflow = p.closeOverflow || !finiteSeg(p.cur.Segs[len(p.cur.Segs)-1])
			info.addedClose = info.open
		}
		p.out = append(p.out, p.cur)
		p.info = append(p.info, info)
	}
	p.explicitClose = false
	p.cur = Subpath{Start: p.cur.Start}
	p.pen = p.cur.Start
}

func (p *pathParser) parse() ([]Subpath, error) {
	var cmd byte
	ncmd := 0
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			break
		}
		c := p.s[p.i]
		switch {
		case isCommand(c):
			if cmd == 0 && c != 'M' && c != 'm' {
				return nil, errf(ErrSyntax, p.i, "path data must start with M or m, got %q", c)
			}
			cmd = c
			p.i++
		case cmd == 0:
			return nil, errf(ErrSyntax, p.i, "path data must start with a command, got %q", c)
		case cmd == 'Z' || cmd == 'z':
			return nil, errf(ErrSyntax, p.i, "unexpected %q after closepath", c)
		case !p.atNumber():
			return nil, errf(ErrSyntax, p.i, "unexpected %q", c)
		default:
			// implicit repeat of the previous command; after M/m it is L/l
		}
		ncmd++
		if ncmd > MaxPathCommands {
			return nil, errf(ErrLimit, p.i, "more than %d path commands", MaxPathCommands)
		}
		if err := p.do(cmd); err != nil {
			return nil, err
		}
		switch cmd {
		case 'M':
			cmd = 'L'
		case 'm':
			cmd = 'l'
		}
	}
	p.closeSub()
	if p.closeOverflow {
		return nil, errf(ErrNonFinite, p.i, "closing segment overflows")
	}
	return p.out, nil
}

func finiteSeg(s Segment) bool { return s.C1.finite() && s.C2.finite() && s.P.finite() }

func isCommand(c byte) bool {
	switch c {
	case 'M', 'm', 'L', 'l', 'H', 'h', 'V', 'v', 'C', 'c', 'S', 's', 'Q', 'q', 'T', 't', 'A', 'a', 'Z', 'z':
		return true
	}
	return false
}

func (p *pathParser) do(cmd byte) error {
	rel := cmd >= 'a'
	kind := byte(0)
	var err error
	switch cmd | 0x20 { // lower case
	case 'm':
		var pt Point
		if pt, err = p.point(rel); err != nil {
			return err
		}
		p.closeSub()
		p.cur = Subpath{Start: pt}
		p.pen = pt
	case 'z':
		p.explicitClose = true
		p.closeSub()
	case 'l':
		var pt Point
		if pt, err = p.point(rel); err != nil {
			return err
		}
		err = p.add(line(p.pen, pt))
	case 'h', 'v':
		var v float64
		if v, err = p.number(); err != nil {
			return err
		}
		pt := p.pen
		switch {
		case cmd == 'H':
			pt.X = v
		case cmd == 'h':
			pt.X += v
		case cmd == 'V':
			pt.Y = v
		default:
			pt.Y += v
		}
		if !pt.finite() {
			return errf(ErrNonFinite, p.i, "coordinate overflows")
		}
		err = p.add(line(p.pen, pt))
	case 'c', 's':
		var c1, c2, pt Point
		if cmd|0x20 == 'c' {
			if c1, err = p.point(rel); err != nil {
				return err
			}
		} else {
			c1 = p.pen
			if p.lastKind == 'C' {
				c1 = p.pen.Mul(2).Sub(p.lastC)
			}
		}
		if c2, err = p.point(rel); err != nil {
			return err
		}
		if pt, err = p.point(rel); err != nil {
			return err
		}
		err = p.add(Segment{c1, c2, pt})
		p.lastC, kind = c2, 'C'
	case 'q', 't':
		var q, pt Point
		if cmd|0x20 == 'q' {
			if q, err = p.point(rel); err != nil {
				return err
			}
		} else {
			q = p.pen
			if p.lastKind == 'Q' {
				q = p.pen.Mul(2).Sub(p.lastC)
			}
		}
		if pt, err = p.point(rel); err != nil {
			return err
		}
		err = p.add(quad(p.pen, q, pt))
		p.lastC, kind = q, 'Q'
	case 'a':
		var rx, ry, phi float64
		var large, sweep bool
		var pt Point
		if rx, err = p.number(); err != nil {
			return err
		}
		if ry, err = p.number(); err != nil {
			return err
		}
		if phi, err = p.number(); err != nil {
			return err
		}
		if large, err = p.flag(); err != nil {
			return err
		}
		if sweep, err = p.flag(); err != nil {
			return err
		}
		if pt, err = p.point(rel); err != nil {
			return err
		}
		for _, s := range arcToCubics(p.pen, rx, ry, phi, large, sweep, pt) {
			if err = p.add(s); err != nil {
				return err
			}
		}
		p.pen = pt
	}
	p.lastKind = kind
	return err
}

// arcToCubics converts an SVG elliptical arc to cubics, following the endpoint-to-center
// conversion of SVG 1.1 Appendix F.6.5 (with the radius correction of F.6.6), one cubic per
// ≤ 90° piece with handle length 4/3·tan(θ/4).
func arcToCubics(p0 Point, rx, ry, phiDeg float64, large, sweep bool, p1 Point) []Segment {
	if p0 == p1 {
		return nil // F.6.2: identical endpoints omit the arc
	}
	rx, ry = math.Abs(rx), math.Abs(ry)
	if rx == 0 || ry == 0 {
		return []Segment{line(p0, p1)} // F.6.2: a zero radius makes a straight line
	}
	phi := phiDeg * math.Pi / 180
	cos, sin := math.Cos(phi), math.Sin(phi)
	dx, dy := (p0.X-p1.X)/2, (p0.Y-p1.Y)/2
	x1 := cos*dx + sin*dy
	y1 := -sin*dx + cos*dy
	if lam := x1*x1/(rx*rx) + y1*y1/(ry*ry); lam > 1 {
		s := math.Sqrt(lam)
		rx, ry = rx*s, ry*s
	}
	num := rx*rx*ry*ry - rx*rx*y1*y1 - ry*ry*x1*x1
	den := rx*rx*y1*y1 + ry*ry*x1*x1
	coef := 0.0
	if den > 0 && num > 0 {
		coef = math.Sqrt(num / den)
	}
	if large == sweep {
		coef = -coef
	}
	cx1, cy1 := coef*rx*y1/ry, -coef*ry*x1/rx
	cx := cos*cx1 - sin*cy1 + (p0.X+p1.X)/2
	cy := sin*cx1 + cos*cy1 + (p0.Y+p1.Y)/2
	ang := func(ux, uy, vx, vy float64) float64 { return math.Atan2(ux*vy-uy*vx, ux*vx+uy*vy) }
	t1 := ang(1, 0, (x1-cx1)/rx, (y1-cy1)/ry)
	dt := ang((x1-cx1)/rx, (y1-cy1)/ry, (-x1-cx1)/rx, (-y1-cy1)/ry)
	if !sweep && dt > 0 {
		dt -= 2 * math.Pi
	} else if sweep && dt < 0 {
		dt += 2 * math.Pi
	}
	if !finite(dt) || !finite(cx) || !finite(cy) || !finite(rx) || !finite(ry) {
		return []Segment{line(p0, p1)}
	}
	n := int(math.Ceil(math.Abs(dt)/(math.Pi/2) - 1e-9))
	if n < 1 {
		n = 1
	}
	return ellipseArc(Point{cx, cy}, rx, ry, cos, sin, t1, dt, n, p0, p1)
}

// ellipseArc returns n cubics for the arc of the ellipse (center c, radii rx, ry, rotated by
// (cos, sin)) from angle t1 over dt; the exact endpoints p0 and p1 are kept.
func ellipseArc(c Point, rx, ry, cos, sin, t1, dt float64, n int, p0, p1 Point) []Segment {
	at := func(t float64) (Point, Point) {
		ex, ey := rx*math.Cos(t), ry*math.Sin(t)
		dx, dy := -rx*math.Sin(t), ry*math.Cos(t)
		return Point{c.X + cos*ex - sin*ey, c.Y + sin*ex + cos*ey}, Point{cos*dx - sin*dy, sin*dx + cos*dy}
	}
	step := dt / float64(n)
	k := 4.0 / 3 * math.Tan(step/4)
	segs := make([]Segment, n)
	a, da := at(t1)
	a = p0
	for i := 0; i < n; i++ {
		b, db := at(t1 + step*float64(i+1))
		if i == n-1 {
			b = p1
		}
		segs[i] = Segment{a.Add(da.Mul(k)), b.Sub(db.Mul(k)), b}
		a, da = b, db
	}
	return segs
}

// parsePathDataPartial parses d as browsers render it: on an error, the subpaths up to the
// last complete command are kept (SVG 2 §9.5.4) and the error is returned with them.
func parsePathDataPartial(d string) ([]Subpath, []openInfo, error) {
	p := pathParser{s: d}
	subs, err := p.parse()
	if err == nil {
		return subs, p.info, nil
	}
	if errors.Is(err, ErrLimit) {
		return nil, nil, err
	}
	p.closeOverflow = false
	p.closeSub()
	if p.closeOverflow || !finiteSubpaths(p.out) {
		return nil, nil, err
	}
	return p.out, p.info, err
}
