package ui

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/lamina-ml/lamina/vector"
)

// ColorName is a plain colour word for c ("red", "light gray", "brown"), from its hue,
// saturation and lightness (HSL, CSS Color 4 §7). The bins follow the basic colour terms of
// Berlin and Kay (black, white, gray, red, orange, yellow, green, blue, purple, pink, brown)
// plus teal, which design tools name too.
func ColorName(c vector.RGBA) string {
	r, g, b := clamp01(c.R), clamp01(c.G), clamp01(c.B)
	hi, lo := math.Max(r, math.Max(g, b)), math.Min(r, math.Min(g, b))
	l := (hi + lo) / 2
	chroma := hi - lo
	s := 0.0
	if chroma > 0 {
		s = chroma / (1 - math.Abs(2*l-1))
	}
	switch {
	case l < 0.1 || l < 0.2 && s < 0.3:
		return "black"
	case l > 0.95:
		return "white"
	case s < 0.12 || chroma < 0.06:
		switch {
		case l < 0.35:
			return "dark gray"
		case l > 0.72:
			return "light gray"
		}
		return "gray"
	}
	var h float64 // hue in degrees
	switch hi {
	case r:
		h = math.Mod((g-b)/chroma+6, 6)
	case g:
		h = (b-r)/chroma + 2
	default:
		h = (r-g)/chroma + 4
	}
	h *= 60
	switch {
	case h >= 10 && h < 45 && l < 0.42:
		return "brown"
	case h < 15 || h >= 345:
		if l > 0.75 {
			return "pink"
		}
		return "red"
	case h < 40:
		return "orange"
	case h < 70:
		return "yellow"
	case h < 165:
		return "green"
	case h < 195:
		return "teal"
	case h < 255:
		return "blue"
	case h < 290 || l < 0.35: // CSS purple and magenta share a hue; purple is the dark one
		return "purple"
	}
	return "pink"
}

// ShapeName is a rough word for an outline ("circle", "triangle", "rectangle"…) from the
// shape's flattened polygon: its fill of its bounding box, its solidity (area over the
// convex hull's) and its corner count after simplification. "shape" when nothing fits.
func ShapeName(pts []vector.Point) string {
	if len(pts) < 3 {
		return "shape"
	}
	lo, hi := pts[0], pts[0]
	for _, p := range pts {
		lo.X, lo.Y = math.Min(lo.X, p.X), math.Min(lo.Y, p.Y)
		hi.X, hi.Y = math.Max(hi.X, p.X), math.Max(hi.Y, p.Y)
	}
	w, h := hi.X-lo.X, hi.Y-lo.Y
	if w <= 0 || h <= 0 {
		return "line"
	}
	aspect := math.Max(w, h) / math.Min(w, h)
	area := math.Abs(polygonArea(pts))
	hull := convexHull(pts)
	solidity := area / math.Max(math.Abs(polygonArea(hull)), 1e-12)
	fill := area / (w * h)
	corners := len(simplify(hull, 0.06*math.Hypot(w, h)))
	switch {
	case aspect > 6:
		return "line"
	case fill > 0.96:
		if aspect < 1.15 {
			return "square"
		}
		return "rectangle"
	case solidity > 0.97 && math.Abs(fill-math.Pi/4) < 0.035 && corners > 4:
		if aspect < 1.15 {
			return "circle"
		}
		return "oval"
	case solidity > 0.97 && corners == 3:
		return "triangle"
	case solidity > 0.97 && corners == 4 && math.Abs(fill-0.5) < 0.06:
		return "diamond"
	case solidity > 0.95 && fill > 0.82:
		if aspect < 1.15 {
			return "rounded square"
		}
		return "rounded rectangle"
	}
	return "shape"
}

// polygonArea is the signed (shoelace) area of the closed polygon pts.
func polygonArea(pts []vector.Point) float64 {
	a := 0.0
	for i := range pts {
		p, q := pts[i], pts[(i+1)%len(pts)]
		a += p.X*q.Y - q.X*p.Y
	}
	return a / 2
}

// convexHull is the convex hull of pts, counter-clockwise (Andrew's monotone chain).
func convexHull(pts []vector.Point) []vector.Point {
	ps := append([]vector.Point(nil), pts...)
	sortPoints(ps)
	if len(ps) < 3 {
		return ps
	}
	turn := func(o, a, b vector.Point) float64 { return (a.X-o.X)*(b.Y-o.Y) - (a.Y-o.Y)*(b.X-o.X) }
	h := make([]vector.Point, 0, 2*len(ps))
	for _, p := range ps {
		for len(h) >= 2 && turn(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	for i, t := len(ps)-2, len(h)+1; i >= 0; i-- {
		p := ps[i]
		for len(h) >= t && turn(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	return h[:len(h)-1]
}

func sortPoints(ps []vector.Point) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].X < ps[j].X || ps[i].X == ps[j].X && ps[i].Y < ps[j].Y })
}

// simplify drops the corners of closed convex polygon pts that lie within tol of the line
// through their neighbours, repeatedly, leaving the corners that shape it.
func simplify(pts []vector.Point, tol float64) []vector.Point {
	ps := append([]vector.Point(nil), pts...)
	for changed := true; changed && len(ps) > 3; {
		changed = false
		best, bestD := -1, tol
		for i := range ps {
			a, p, b := ps[(i+len(ps)-1)%len(ps)], ps[i], ps[(i+1)%len(ps)]
			if d := distToLine(p, a, b); d < bestD {
				best, bestD = i, d
			}
		}
		if best >= 0 {
			ps = append(ps[:best], ps[best+1:]...)
			changed = true
		}
	}
	return ps
}

func distToLine(p, a, b vector.Point) float64 {
	d := b.Sub(a)
	n := math.Hypot(d.X, d.Y)
	if n == 0 {
		return p.Dist(a)
	}
	return math.Abs(d.X*(p.Y-a.Y)-d.Y*(p.X-a.X)) / n
}

// smallShare is the share of the artboard's larger side under which a shape is "small".
const smallShare = 0.12

// DescribeLayer names a layer from what it draws: its colour and rough shape ("red
// circle"), "small" for a detail under smallShare of the artboard, and a count for a layer
// of several separate pieces of one kind ("2 black ovals", as a pair of eyes).
func DescribeLayer(l *Layer, vb [4]float64) string {
	color := ColorName(l.Fill)
	var pieces [][]vector.Point
	for _, sp := range l.transformed() {
		if pts := sp.Flatten(nil, flattenTol); len(pts) >= 3 && math.Abs(polygonArea(pts)) > 1e-9 {
			pieces = append(pieces, pts)
		}
	}
	if len(pieces) == 0 {
		return color + " shape"
	}
	// Holes (pieces inside the largest) do not count as pieces of their own.
	big := 0
	for i, p := range pieces {
		if math.Abs(polygonArea(p)) > math.Abs(polygonArea(pieces[big])) {
			big = i
		}
	}
	var outer [][]vector.Point
	holes := 0
	for i, p := range pieces {
		if i != big && insideBox(p, pieces[big]) {
			holes++
			continue
		}
		outer = append(outer, p)
	}
	size := ""
	if lo, hi, ok := l.Bounds(); ok && math.Max(hi.X-lo.X, hi.Y-lo.Y) < smallShare*math.Max(vb[2], vb[3]) {
		size = "small "
	}
	if len(outer) == 1 {
		kind := ShapeName(outer[0])
		if holes > 0 && (kind == "circle" || kind == "oval") {
			kind = "ring"
		}
		return size + color + " " + kind
	}
	kind := ShapeName(outer[0])
	for _, p := range outer[1:] {
		if ShapeName(p) != kind {
			return size + color + " shapes"
		}
	}
	if len(outer) > 9 {
		return size + color + " " + kind + "s"
	}
	return strconv.Itoa(len(outer)) + " " + size + color + " " + kind + "s"
}

// insideBox reports whether polygon p's bounding box lies inside q's.
func insideBox(p, q []vector.Point) bool {
	box := func(ps []vector.Point) (lo, hi vector.Point) {
		lo, hi = ps[0], ps[0]
		for _, x := range ps {
			lo.X, lo.Y = math.Min(lo.X, x.X), math.Min(lo.Y, x.Y)
			hi.X, hi.Y = math.Max(hi.X, x.X), math.Max(hi.Y, x.Y)
		}
		return lo, hi
	}
	pl, ph := box(p)
	ql, qh := box(q)
	return pl.X >= ql.X && pl.Y >= ql.Y && ph.X <= qh.X && ph.Y <= qh.Y
}

// uniqueName returns base, or base with the first free number after it ("red circle 2"),
// so that no two layers of names share it.
func uniqueName(base string, names map[string]bool) string {
	if !names[base] {
		return base
	}
	for n := 2; ; n++ {
		if s := base + " " + strconv.Itoa(n); !names[s] {
			return s
		}
	}
}

// isAutoName reports whether name is the one the editor would give l (DescribeLayer),
// possibly numbered by uniqueName ("red circle 2"): a name the user did not type.
func isAutoName(name string, l *Layer, vb [4]float64) bool {
	base := DescribeLayer(l, vb)
	if name == base {
		return true
	}
	rest, ok := strings.CutPrefix(name, base+" ")
	if !ok {
		return false
	}
	n, err := strconv.Atoi(rest)
	return err == nil && n >= 2 && strconv.Itoa(n) == rest
}

// renameFollowing gives each layer of d that an edit repainted or reshaped (its colour,
// outline or fill rule differ from the layer of its ID in old) a fresh automatic name when
// its old one was automatic: a recolored "red circle" becomes "blue circle", while a name
// the user typed stays. Moves and resizes keep the name.
func (d *Document) renameFollowing(old *Document) {
	prev := make(map[int]*Layer, len(old.Layers))
	for i := range old.Layers {
		prev[old.Layers[i].ID] = &old.Layers[i]
	}
	var names map[string]bool
	for i := range d.Layers {
		l := &d.Layers[i]
		p := prev[l.ID]
		if p == nil || !lookChanged(p, l) || !isAutoName(l.Name, p, old.ViewBox) {
			continue
		}
		if names == nil {
			names = d.names()
		}
		delete(names, l.Name)
		l.Name = uniqueName(DescribeLayer(l, d.ViewBox), names)
		names[l.Name] = true
	}
}

// lookChanged reports whether b paints differently from a in what DescribeLayer reads: the
// colour (not its opacity), the outline or the fill rule.
func lookChanged(a, b *Layer) bool {
	if a.Fill.R != b.Fill.R || a.Fill.G != b.Fill.G || a.Fill.B != b.Fill.B || a.EvenOdd != b.EvenOdd {
		return true
	}
	if len(a.Subpaths) != len(b.Subpaths) {
		return true
	}
	return len(a.Subpaths) > 0 && &a.Subpaths[0] != &b.Subpaths[0]
}
