package vector

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Layer is one filled shape in paint order: a fill color and one or more closed subpaths
// drawn together with one fill rule, so compound paths keep their holes.
type Layer struct {
	Fill     RGBA      // straight alpha; fill-opacity and every ancestor's opacity are folded into A
	EvenOdd  bool      // fill-rule: evenodd (else nonzero)
	Subpaths []Subpath // absolute user-space (viewBox) coordinates, transforms applied
	Source   string    // element it came from ("path", "circle", ...), for reports
}

// Document is an ordered list of layers (paint order) in a viewBox.
type Document struct {
	ViewBox     [4]float64 // min-x, min-y, width, height
	Layers      []Layer
	Unsupported []string // features the reader saw but cannot represent, sorted, each once
}

// style is the inherited presentation state while walking the tree.
type style struct {
	fill        RGBA
	fillNone    bool
	fillOpacity float64
	opacity     float64 // product of ancestors' and own group opacity
	evenOdd     bool
	m           Matrix
	clips       [][]Subpath // clip regions in root coordinates, all of which apply
	// stroke paint (inherited; SVG's initial stroke is none)
	stroke        RGBA
	strokeOn      bool
	strokeOpacity float64
	stroke2       strokeStyle
}

// ParseSVG reads an SVG document into layers. Element kinds: svg, g, path, circle, ellipse,
// rect, polygon, polyline, line (fills nothing); presentation attributes and style="" for
// fill, fill-opacity, opacity, fill-rule, transform. Strokes, gradients/patterns, clip paths,
// masks, use, text and images are listed in Document.Unsupported rather than silently dropped.
func ParseSVG(data []byte) (*Document, error) {
	if len(data) > MaxSVGBytes {
		return nil, errf(ErrLimit, -1, "document of %d bytes exceeds %d", len(data), MaxSVGBytes)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	doc := &Document{}
	unsup := map[string]bool{}
	var stack []style
	skip := 0 // >0 while inside an element whose content is not rendered (defs, clipPath, ...)
	// clipPath definitions: shapes in the user space of the referencing element.
	clips := map[string][]Subpath{}
	var clipID string // the clipPath being collected, "" if none
	var clipM Matrix  // its transform attribute
	clipLevel := 0    // skip depth of its element
	elems, nseg := 0, 0
	sawRoot := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, errf(ErrSyntax, int(dec.InputOffset()), "%v", se.Msg)
			}
			return nil, errf(ErrSyntax, int(dec.InputOffset()), "%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			elems++
			if elems > MaxElements {
				return nil, errf(ErrLimit, int(dec.InputOffset()), "more than %d elements", MaxElements)
			}
			if len(stack) >= MaxDepth {
				return nil, errf(ErrLimit, int(dec.InputOffset()), "nesting deeper than %d", MaxDepth)
			}
			parent := style{fill: RGBA{0, 0, 0, 1}, fillOpacity: 1, opacity: 1, m: Identity,
				strokeOpacity: 1, stroke2: strokeStyle{width: 1, cap: "butt", join: "miter", miterLimit: 4}}
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			name := t.Name.Local
			if skip > 0 {
				skip++
				stack = append(stack, parent)
				switch {
				case name == "clipPath" && clipID == "":
					if clipID, clipM, err = startClip(t.Attr); err != nil {
						return nil, err
					}
					clipLevel = skip
				case clipID != "" && skip == clipLevel+1 && isShape(name):
					subs, n, err := clipShape(name, t.Attr, clipM)
					if err != nil {
						return nil, err
					}
					if nseg += n; nseg > MaxSegments {
						return nil, errf(ErrLimit, int(dec.InputOffset()), "more than %d segments", MaxSegments)
					}
					clips[clipID] = append(clips[clipID], subs...)
				}
				continue
			}
			if !sawRoot {
				if name != "svg" {
					return nil, errf(ErrSyntax, 0, "root element is <%s>, not <svg>", name)
				}
				sawRoot = true
				if err := readViewBox(doc, t.Attr); err != nil {
					return nil, err
				}
			}
			st, err := applyStyle(parent, t.Attr, unsup, clips)
			if err != nil {
				return nil, err
			}
			stack = append(stack, st)
			switch name {
			case "svg", "g":
			case "defs", "title", "desc", "metadata", "style":
				skip = 1
				if name == "style" {
					unsup["<style> sheet"] = true
				}
			case "clipPath":
				skip, clipLevel = 1, 1
				if clipID, clipM, err = startClip(t.Attr); err != nil {
					return nil, err
				}
			case "mask", "linearGradient", "radialGradient", "pattern", "symbol",
				"marker", "filter":
				skip = 1 // a definition renders nothing by itself; its use is reported where it is referenced
			case "path", "circle", "ellipse", "rect", "polygon", "polyline", "line":
				subs, info, err := shapeSubpaths(name, t.Attr)
				if err != nil {
					return nil, err
				}
				for _, sp := range subs {
					nseg += len(sp.Segs)
				}
				if nseg > MaxSegments {
					return nil, errf(ErrLimit, int(dec.InputOffset()), "more than %d segments", MaxSegments)
				}
				if name != "line" { // a line encloses nothing to fill
					if err := addLayer(doc, st, name, subs, unsup); err != nil {
						return nil, err
					}
				}
				if st.strokeOn && len(subs) > 0 {
					outline := strokeOutline(subs, info, st.stroke2)
					for _, sp := range outline {
						nseg += len(sp.Segs)
					}
					if nseg > MaxSegments {
						return nil, errf(ErrLimit, int(dec.InputOffset()), "more than %d segments", MaxSegments)
					}
					sst := st
					sst.fill, sst.fillNone, sst.fillOpacity, sst.evenOdd = st.stroke, false, st.strokeOpacity, false
					if err := addLayer(doc, sst, name+" stroke", outline, unsup); err != nil {
						return nil, err
					}
				}
			default:
				unsup["<"+name+">"] = true
				skip = 1
			}
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			if clipID != "" && skip == clipLevel {
				if _, ok := clips[clipID]; !ok {
					clips[clipID] = nil // an empty clip path clips everything away
				}
				clipID = ""
			}
			if skip > 0 {
				skip--
			}
		}
	}
	if !sawRoot {
		return nil, errf(ErrSyntax, 0, "no <svg> element")
	}
	for k := range unsup {
		doc.Unsupported = append(doc.Unsupported, k)
	}
	sort.Strings(doc.Unsupported)
	return doc, nil
}

func attr(attrs []xml.Attr, name string) (string, bool) {
	for _, a := range attrs {
		if a.Name.Local == name && (a.Name.Space == "" || a.Name.Space == "http://www.w3.org/2000/svg") {
			return a.Value, true
		}
	}
	return "", false
}

func readViewBox(doc *Document, attrs []xml.Attr) error {
	if vb, ok := attr(attrs, "viewBox"); ok {
		f := strings.Fields(strings.ReplaceAll(vb, ",", " "))
		if len(f) != 4 {
			return errf(ErrNoViewBox, -1, "viewBox %q needs 4 numbers", vb)
		}
		for i, s := range f {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || !finite(v) {
				return errf(ErrNoViewBox, -1, "viewBox %q", vb)
			}
			doc.ViewBox[i] = v
		}
	} else {
		// No viewBox: the user space is width × height (plain numbers or px).
		w, okw := attr(attrs, "width")
		h, okh := attr(attrs, "height")
		if !okw || !okh {
			return errf(ErrNoViewBox, -1, "neither viewBox nor width and height")
		}
		var err1, err2 error
		doc.ViewBox[2], err1 = strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(w), "px"), 64)
		doc.ViewBox[3], err2 = strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(h), "px"), 64)
		if err1 != nil || err2 != nil {
			return errf(ErrNoViewBox, -1, "width %q / height %q", w, h)
		}
	}
	if !(doc.ViewBox[2] > 0 && doc.ViewBox[3] > 0) || !finite(doc.ViewBox[2]) || !finite(doc.ViewBox[3]) {
		return errf(ErrNoViewBox, -1, "viewBox size must be positive")
	}
	return nil
}

// styleDecls merges presentation attributes with style="" declarations (which win, CSS
// cascade for inline style over presentation attributes).
func styleDecls(attrs []xml.Attr) map[string]string {
	d := map[string]string{}
	for _, a := range attrs {
		if a.Name.Space == "" {
			d[a.Name.Local] = a.Value
		}
	}
	if s, ok := d["style"]; ok {
		for _, decl := range strings.Split(s, ";") {
			k, v, ok := strings.Cut(decl, ":")
			if ok {
				d[strings.TrimSpace(k)] = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "!important"))
			}
		}
	}
	return d
}

func parseOpacity(s string) (float64, error) {
	s = strings.TrimSpace(s)
	pct := strings.HasSuffix(s, "%")
	s = strings.TrimSuffix(s, "%")
	v, n, err := scanNumber(s)
	if err != nil || n != len(s) {
		return 0, errf(ErrSyntax, -1, "bad opacity %q", s)
	}
	if pct {
		v /= 100
	}
	return clamp01(v), nil
}

func isShape(name string) bool {
	switch name {
	case "path", "circle", "ellipse", "rect", "polygon", "polyline", "line":
		return true
	}
	return false
}

func startClip(attrs []xml.Attr) (string, Matrix, error) {
	id, _ := attr(attrs, "id")
	if id == "" {
		id = "\x00anonymous" // unreferencable, but keeps collection state simple
	}
	m := Identity
	if v, ok := attr(attrs, "transform"); ok {
		var err error
		if m, err = ParseTransform(v); err != nil {
			return "", m, err
		}
	}
	return id, m, nil
}

// clipShape reads one shape of a clipPath with its own transform and the clipPath's.
func clipShape(name string, attrs []xml.Attr, clipM Matrix) ([]Subpath, int, error) {
	subs, _, err := shapeSubpaths(name, attrs)
	if err != nil {
		return nil, 0, err
	}
	m := clipM
	if v, ok := attr(attrs, "transform"); ok {
		t, err := ParseTransform(v)
		if err != nil {
			return nil, 0, err
		}
		m = m.Mul(t)
	}
	n := 0
	for i := range subs {
		subs[i] = subs[i].Transform(m)
		n += len(subs[i].Segs)
	}
	return subs, n, nil
}

func applyStyle(parent style, attrs []xml.Attr, unsup map[string]bool, clips map[string][]Subpath) (style, error) {
	st := parent
	st.opacity = parent.opacity
	d := styleDecls(attrs)
	if v, ok := d["fill"]; ok && v != "inherit" {
		switch {
		case strings.HasPrefix(strings.TrimSpace(v), "url("):
			unsup["paint server fill (gradient/pattern), drawn as none"] = true
			st.fillNone = true
		case v == "currentColor":
			unsup["fill=currentColor, drawn black"] = true
			st.fill, st.fillNone = RGBA{0, 0, 0, 1}, false
		default:
			c, ok, err := ParseColor(v)
			if err != nil {
				return st, err
			}
			st.fill, st.fillNone = c, !ok
		}
	}
	if v, ok := d["fill-opacity"]; ok {
		o, err := parseOpacity(v)
		if err != nil {
			return st, err
		}
		st.fillOpacity = o
	}
	if v, ok := d["opacity"]; ok {
		o, err := parseOpacity(v)
		if err != nil {
			return st, err
		}
		// Group opacity composites the group as a whole; folding it into each shape's alpha
		// differs only where shapes inside the group overlap.
		st.opacity *= o
	}
	if v, ok := d["fill-rule"]; ok {
		st.evenOdd = strings.TrimSpace(v) == "evenodd"
	}
	if v, ok := d["transform"]; ok {
		t, err := ParseTransform(v)
		if err != nil {
			return st, err
		}
		st.m = parent.m.Mul(t)
	}
	if v, ok := d["stroke"]; ok && v != "inherit" {
		v = strings.TrimSpace(v)
		switch {
		case strings.HasPrefix(v, "url("):
			unsup["paint server stroke (gradient/pattern), drawn as none"] = true
			st.strokeOn = false
		case v == "currentColor":
			unsup["stroke=currentColor, drawn black"] = true
			st.stroke, st.strokeOn = RGBA{0, 0, 0, 1}, true
		default:
			c, ok, err := ParseColor(v)
			if err != nil {
				return st, err
			}
			st.stroke, st.strokeOn = c, ok
		}
	}
	if v, ok := d["stroke-opacity"]; ok {
		o, err := parseOpacity(v)
		if err != nil {
			return st, err
		}
		st.strokeOpacity = o
	}
	if v, ok := d["stroke-width"]; ok {
		s := strings.TrimSuffix(strings.TrimSpace(v), "px")
		w, n, err := scanNumber(s)
		if err != nil || n != len(s) || w < 0 {
			return st, errf(ErrSyntax, -1, "bad stroke-width %q", v)
		}
		st.stroke2.width = w
	}
	if v, ok := d["stroke-linecap"]; ok {
		st.stroke2.cap = strings.TrimSpace(v)
	}
	if v, ok := d["stroke-linejoin"]; ok {
		st.stroke2.join = strings.TrimSpace(v)
	}
	if v, ok := d["stroke-miterlimit"]; ok {
		s := strings.TrimSpace(v)
		m, n, err := scanNumber(s)
		if err != nil || n != len(s) {
			return st, errf(ErrSyntax, -1, "bad stroke-miterlimit %q", v)
		}
		st.stroke2.miterLimit = m
	}
	if v, ok := d["stroke-dasharray"]; ok && strings.TrimSpace(v) != "none" {
		unsup["stroke-dasharray (drawn solid)"] = true
	}
	if v, ok := d["vector-effect"]; ok && strings.TrimSpace(v) == "non-scaling-stroke" {
		unsup["non-scaling-stroke (stroke scaled)"] = true
	}
	if v, ok := d["clip-path"]; ok && strings.TrimSpace(v) != "none" {
		// clipPathUnits="userSpaceOnUse" (the default): the clip's coordinates are the
		// element's user space, its own transform included (SVG 1.1 §14.3.5).
		id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(v), "url(#"), ")")
		region, ok := clips[id]
		if !ok || !finiteSubpaths(region) {
			unsup["clip-path (drawn unclipped)"] = true
		} else {
			tr := make([]Subpath, len(region))
			for i, sp := range region {
				tr[i] = sp.Transform(st.m)
			}
			st.clips = append(append([][]Subpath(nil), parent.clips...), tr)
		}
	}
	if v, ok := d["mask"]; ok && strings.TrimSpace(v) != "none" {
		unsup["mask (drawn unmasked)"] = true
	}
	if v, ok := d["filter"]; ok && strings.TrimSpace(v) != "none" {
		unsup["filter (ignored)"] = true
	}
	return st, nil
}

func num(attrs []xml.Attr, name string) (float64, error) {
	s, ok := attr(attrs, name)
	if !ok {
		return 0, nil // SVG: a missing geometry attribute is 0
	}
	s = strings.TrimSuffix(strings.TrimSpace(s), "px")
	v, n, err := scanNumber(s)
	if err != nil || n != len(s) {
		if err == ErrNonFinite {
			return 0, errf(ErrNonFinite, -1, "%s=%q", name, s)
		}
		return 0, errf(ErrSyntax, -1, "%s=%q is not a number", name, s)
	}
	return v, nil
}

func nums(attrs []xml.Attr, names ...string) ([]float64, error) {
	out := make([]float64, len(names))
	for i, n := range names {
		v, err := num(attrs, n)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// ellipse returns the closed ellipse as four quarter-arc cubics, starting at the rightmost
// point and turning clockwise on screen like SVG 2's equivalent path (§10.3).
func ellipse(cx, cy, rx, ry float64) Subpath {
	c := Point{cx, cy}
	segs := ellipseArc(c, rx, ry, 1, 0, 0, 2*math.Pi, 4, Point{cx + rx, cy}, Point{cx + rx, cy})
	return Subpath{Start: Point{cx + rx, cy}, Segs: segs}
}

// shapeSubpaths returns a shape's outline, closed for filling, and per subpath whether the
// source left it open (for stroking; nil means all closed).
func shapeSubpaths(name string, attrs []xml.Attr) ([]Subpath, []openInfo, error) {
	switch name {
	case "path":
		d, _ := attr(attrs, "d")
		return parsePathDataOpen(d)
	case "line":
		v, err := nums(attrs, "x1", "y1", "x2", "y2")
		if err != nil {
			return nil, nil, err
		}
		a, b := Point{v[0], v[1]}, Point{v[2], v[3]}
		if a == b {
			return nil, nil, nil
		}
		return []Subpath{{Start: a, Segs: []Segment{line(a, b), line(b, a)}}}, []openInfo{{open: true, addedClose: true}}, nil
	case "polygon", "polyline":
		sp, err := pointsSubpath(attrs)
		if err != nil || len(sp.Segs) == 0 {
			return nil, nil, err
		}
		info := []openInfo{{}}
		if name == "polyline" {
			info[0].open = true
			if sp.Segs[len(sp.Segs)-1].P != sp.Start {
				info[0].addedClose = true
			}
		}
		if info[0].addedClose || (name == "polygon" && sp.Segs[len(sp.Segs)-1].P != sp.Start) {
			sp.Segs = append(sp.Segs, line(sp.Segs[len(sp.Segs)-1].P, sp.Start)) // fill closes polylines too
		}
		return []Subpath{sp}, info, nil
	}
	subs, err := closedShape(name, attrs)
	return subs, nil, err
}

// pointsSubpath reads a points attribute as an open polyline.
func pointsSubpath(attrs []xml.Attr) (Subpath, error) {
	pts, _ := attr(attrs, "points")
	p := pathParser{s: pts}
	var sp Subpath
	first := true
	for p.atNumber() {
		pt, err := p.point(false)
		if err != nil {
			return sp, err
		}
		if len(sp.Segs) >= MaxPathCommands {
			return sp, errf(ErrLimit, p.i, "more than %d points", MaxPathCommands)
		}
		if first {
			sp.Start, first = pt, false
		} else if pt != p.pen {
			sp.Segs = append(sp.Segs, line(p.pen, pt))
		}
		p.pen = pt
	}
	p.skipSep()
	if p.i < len(p.s) {
		return sp, errf(ErrSyntax, p.i, "bad points list")
	}
	return sp, nil
}

func closedShape(name string, attrs []xml.Attr) ([]Subpath, error) {
	switch name {
	case "circle":
		v, err := nums(attrs, "cx", "cy", "r")
		if err != nil || !(v[2] > 0) {
			return nil, err
		}
		return []Subpath{ellipse(v[0], v[1], v[2], v[2])}, nil
	case "ellipse":
		v, err := nums(attrs, "cx", "cy", "rx", "ry")
		if err != nil || !(v[2] > 0 && v[3] > 0) {
			return nil, err
		}
		return []Subpath{ellipse(v[0], v[1], v[2], v[3])}, nil
	case "rect":
		v, err := nums(attrs, "x", "y", "width", "height")
		if err != nil || !(v[2] > 0 && v[3] > 0) {
			return nil, err
		}
		x, y, w, h := v[0], v[1], v[2], v[3]
		// SVG 1.1 §9.2: a missing rx takes ry's value and vice versa; both clamp to half the size.
		_, hasRx := attr(attrs, "rx")
		_, hasRy := attr(attrs, "ry")
		r, err := nums(attrs, "rx", "ry")
		if err != nil {
			return nil, err
		}
		rx, ry := r[0], r[1]
		if !hasRx {
			rx = ry
		}
		if !hasRy {
			ry = rx
		}
		rx, ry = math.Min(math.Max(rx, 0), w/2), math.Min(math.Max(ry, 0), h/2)
		var b strings.Builder
		f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
		if rx > 0 && ry > 0 {
			arc := " A" + f(rx) + " " + f(ry) + " 0 0 1 "
			b.WriteString("M" + f(x+rx) + " " + f(y) + " H" + f(x+w-rx) + arc + f(x+w) + " " + f(y+ry) +
				" V" + f(y+h-ry) + arc + f(x+w-rx) + " " + f(y+h) + " H" + f(x+rx) + arc + f(x) + " " + f(y+h-ry) +
				" V" + f(y+ry) + arc + f(x+rx) + " " + f(y) + "Z")
		} else {
			b.WriteString("M" + f(x) + " " + f(y) + " H" + f(x+w) + " V" + f(y+h) + " H" + f(x) + "Z")
		}
		return ParsePathData(b.String())
	}
	return nil, nil
}

// degenerate reports whether sp fills nothing: all its control points lie on one
// horizontal or vertical line (zero-width bounding box).
func degenerate(sp *Subpath) bool {
	lo, hi := sp.bounds()
	return hi.X-lo.X < 1e-9 || hi.Y-lo.Y < 1e-9
}

func addLayer(doc *Document, st style, name string, subs []Subpath, unsup map[string]bool) error {
	if st.fillNone || len(subs) == 0 {
		return nil
	}
	l := Layer{Fill: st.fill, EvenOdd: st.evenOdd, Source: name}
	l.Fill.A *= st.fillOpacity * st.opacity
	if l.Fill.A <= 0 {
		return nil
	}
	for _, sp := range subs {
		sp = sp.Transform(st.m)
		if !sp.Start.finite() {
			return errf(ErrNonFinite, -1, "<%s> coordinates overflow", name)
		}
		for _, s := range sp.Segs {
			if !finiteSeg(s) {
				return errf(ErrNonFinite, -1, "<%s> coordinates overflow", name)
			}
		}
		if degenerate(&sp) {
			continue
		}
		l.Subpaths = append(l.Subpaths, sp)
	}
	if len(l.Subpaths) == 0 {
		return nil
	}
	for _, c := range st.clips {
		if !clipContains(c, l.Subpaths, doc.ViewBox) {
			unsup["clip-path (drawn unclipped)"] = true
		}
	}
	doc.Layers = append(doc.Layers, l)
	return nil
}

func finiteSubpaths(subs []Subpath) bool {
	for _, sp := range subs {
		if !sp.Start.finite() {
			return false
		}
		for _, s := range sp.Segs {
			if !finiteSeg(s) {
				return false
			}
		}
	}
	return true
}

// clipTolerance is how far (user units) a drawn point may lie outside a clip region that is
// still treated as having no effect: 0.02 units is 0.14 px on a 36-unit box at 256 px.
const clipTolerance = 0.02

// clipContains reports whether clipping content to the region changes nothing visible: the
// region is one convex outline that contains the whole viewBox or every point of the
// content (flattened). Twemoji's three clip paths are all of this kind; general clipping
// (boolean intersection) is not implemented and is reported as unsupported.
func clipContains(region []Subpath, content []Subpath, vb [4]float64) bool {
	if len(region) != 1 {
		return false
	}
	poly := region[0].Flatten(nil, budgetTol(region))
	if len(poly) < 3 {
		return false
	}
	area := polyArea(poly)
	if area == 0 {
		return false
	}
	sgn := 1.0
	if area < 0 {
		sgn = -1
	}
	// inside measures the signed distance of p into the convex polygon (negative: outside).
	inside := func(p Point) float64 {
		d := math.Inf(1)
		for i := range poly {
			a, b := poly[i], poly[(i+1)%len(poly)]
			e := b.Sub(a)
			l := math.Hypot(e.X, e.Y)
			if l == 0 {
				continue
			}
			d = math.Min(d, sgn*cross(e, p.Sub(a))/l)
		}
		return d
	}
	// Convex: every vertex is inside every edge's half-plane.
	for _, p := range poly {
		if inside(p) < -1e-6 {
			return false
		}
	}
	corners := []Point{{vb[0], vb[1]}, {vb[0] + vb[2], vb[1]}, {vb[0] + vb[2], vb[1] + vb[3]}, {vb[0], vb[1] + vb[3]}}
	all := true
	for _, c := range corners {
		if inside(c) < -clipTolerance {
			all = false
		}
	}
	if all {
		return true
	}
	var pts []Point
	tol := budgetTol(content)
	for i := range content {
		pts = content[i].Flatten(pts[:0], tol)
		for _, p := range pts {
			if inside(p) < -clipTolerance {
				return false
			}
		}
	}
	return true
}
