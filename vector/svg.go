package vector

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// Layer is one filled shape in paint order: a fill (a color, or a gradient with its mean
// color) and one or more closed subpaths drawn together with one fill rule, so compound
// paths keep their holes.
type Layer struct {
	Fill     RGBA      // straight alpha; fill-opacity and every ancestor's opacity are folded into A; with Paint, its mean color
	Paint    *Gradient // nil: the solid Fill; else the gradient the layer is painted with (Fill is its reduction)
	EvenOdd  bool      // fill-rule: evenodd (else nonzero)
	Subpaths []Subpath // absolute user-space (viewBox) coordinates, transforms applied
	Source   string    // element it came from ("path", "circle", ...), for reports
	Crisp    bool      // shape-rendering crispEdges/optimizeSpeed: drawn without anti-aliasing
}

// Document is an ordered list of layers (paint order) in a viewBox.
type Document struct {
	ViewBox     [4]float64 // min-x, min-y, width, height
	Layers      []Layer
	Unsupported []string // what the reader approximated or dropped, per element ("<rect#id> what"), sorted, each once
}

// maxUnsupported bounds the Unsupported list; past it one entry says how many more there were.
const maxUnsupported = 256

// maxInstances bounds the elements rendered after <use> expansion (a "billion laughs" of
// nested uses stops there and is reported).
const maxInstances = MaxElements

// paint is a fill or stroke value.
type paint struct {
	kind     int // paintNone, paintColor, paintURL, paintContextFill, paintContextStroke, paintCurrent
	c        RGBA
	url      string
	fallback *paint
}

const (
	paintNone = iota
	paintColor
	paintURL
	paintContextFill
	paintContextStroke
	paintCurrent
)

// style is the inherited computed state while walking the tree.
type style struct {
	fill          paint
	fillOpacity   float64
	evenOdd       bool
	clipEvenOdd   bool
	stroke        paint
	strokeOpacity float64
	stroke2       strokeStyle
	dashes        []float64
	dashOffset    float64
	nonScaling    bool
	color         RGBA
	visible       bool
	crisp         bool // shape-rendering crispEdges or optimizeSpeed
	fontSize      float64
	markers       [3]string // marker-start, -mid, -end ids
	m             Matrix    // user space → root (viewBox) coordinates
	vw, vh        float64   // nearest viewport, for percentages
	ctxFill       ctxPaint  // context-fill / context-stroke values (markers, use)
	ctxStroke     ctxPaint
}

// ctxPaint is the context element's fill or stroke (SVG 2 context-fill/-stroke): a paint
// server is used in the context element's user space m and with its bounding box, as
// Chromium and resvg draw it, not in the space of the shape that refers to it.
type ctxPaint struct {
	p    paint
	m    Matrix
	box  [4]float64
	okbb bool
}

// contextOf is p as the context paint of an element with style st, user space m and
// bounding box box (context-fill/-stroke pass the outer context on; currentColor resolves).
func (st *style) contextOf(p paint, m Matrix, box [4]float64, okbb bool) ctxPaint {
	switch p.kind {
	case paintContextFill:
		return st.ctxFill
	case paintContextStroke:
		return st.ctxStroke
	case paintCurrent:
		p = paint{kind: paintColor, c: st.color}
	}
	if p.fallback != nil && p.fallback.kind == paintCurrent {
		p.fallback = &paint{kind: paintColor, c: st.color}
	}
	return ctxPaint{p: p, m: m, box: box, okbb: okbb}
}

// contextPaints are the context fill and stroke an element with style st, user space m and
// bounding box box gives what it references (a marker's path, a <use>).
func (st *style) contextPaints(m Matrix, box [4]float64, okbb bool) (fill, stroke ctxPaint) {
	return st.contextOf(st.fill, m, box, okbb), st.contextOf(st.stroke, m, box, okbb)
}

// bboxAcc collects the bounding box of shapes' geometry in the space inv maps root
// coordinates to (a <use>'s bounding box, for its context paint).
type bboxAcc struct {
	inv    Matrix
	lo, hi Point
}

func (a *bboxAcc) add(subs []Subpath, m Matrix) {
	for _, sp := range subs {
		t := sp.Transform(a.inv.Mul(m))
		lo, hi := t.bounds()
		a.lo.X, a.lo.Y = math.Min(a.lo.X, lo.X), math.Min(a.lo.Y, lo.Y)
		a.hi.X, a.hi.Y = math.Max(a.hi.X, hi.X), math.Max(a.hi.Y, hi.Y)
	}
}

type reader struct {
	doc       *Document
	ids       map[string]*node
	unsup     map[string]bool
	nseg      int
	instances int
	active    map[*node]bool // elements being instantiated (use, clipPath, mask, marker, pattern): cycle guard
	err       error
	bbox      *bboxAcc // when set, shapes only add their geometry's bounds here
	empty     bool     // the root <svg> draws nothing (zero or negative size)
	scale     float64  // device pixels per root (viewBox) unit: ParseOptions.RenderWidth or the intrinsic size
	// strokeScale is the device scale stroke outlines are built for: ParseOptions.RenderWidth's,
	// else one fine enough for any size (the stroker's quarter-pixel tolerance is flattenTol).
	strokeScale float64
	opt         ParseOptions
}

// ParseOptions changes what ParseSVGWith reads.
type ParseOptions struct {
	// KeepHidden reads shapes hidden by display="none" or visibility="hidden" as layers too
	// (an editor shows them as hidden layers rather than losing them); browsers draw none.
	KeepHidden bool
	// RenderWidth is the width in pixels the document will be drawn at (0: its intrinsic
	// width, else the viewBox's). Curves are kept exact, but dashes are measured as Skia
	// measures them, with a tolerance of half a device pixel, so that dash ends fall where
	// Chromium draws them at that size. With it, stroke outlines are also built for that
	// size as Skia's stroker and scan converter build them (within a quarter of a pixel of
	// the offset curve, chords as coarse as theirs), so thin strokes on curves cover the
	// pixels Chromium and resvg cover; without it, finely enough to be drawn at any size.
	RenderWidth int
}

func label(n *node) string {
	if n == nil {
		return "<svg>"
	}
	name := n.name
	if strings.HasPrefix(name, "\x00foreign:") {
		name = strings.TrimPrefix(name, "\x00foreign:")
	}
	if id := n.attrs["id"]; id != "" {
		if len(id) > 40 {
			id = id[:40]
		}
		return "<" + name + "#" + id + ">"
	}
	return "<" + name + ">"
}

// note records something approximated or dropped at element n.
func (r *reader) note(n *node, what string) {
	if len(what) > 160 {
		what = what[:160] + "…"
	}
	r.unsup[label(n)+" "+what] = true
}

// ParseSVG reads an SVG document into layers the way browsers draw it: the whole tree is read
// first, <style> sheets are cascaded (presentation attribute → sheet → style=""), then the
// tree is rendered in paint order with <use>/<symbol> expanded, nested <svg> viewports,
// <switch> and conditional attributes, display/visibility, lengths with units, paint servers
// (gradients kept as a layer's Paint, patterns by their mean color), strokes with dashes,
// markers, clip paths and masks by path booleans, and group opacity.
//
// Errors are handled as browsers do: an invalid value drops that property, path data draws up
// to its first error, and an element that cannot be drawn is skipped; each is listed in
// Document.Unsupported. Only input that is not an SVG document (malformed XML, a root that is
// not <svg>, no usable viewBox or size) or that exceeds the caps is rejected, with an *Error.
func ParseSVG(data []byte) (*Document, error) { return ParseSVGWith(data, ParseOptions{}) }

// ParseSVGWith is ParseSVG with options.
func ParseSVGWith(data []byte, opt ParseOptions) (*Document, error) {
	root, ids, err := parseTree(data)
	if err != nil {
		return nil, err
	}
	r := &reader{doc: &Document{}, ids: ids, unsup: map[string]bool{}, active: map[*node]bool{}, opt: opt}
	rules := collectSheets(root, func(s string) { r.note(nil, s) })
	if len(rules) > maxCSSRules {
		r.note(nil, "<style> sheet has more than "+strconv.Itoa(maxCSSRules)+" rules; the rest ignored")
		rules = rules[:maxCSSRules]
	}
	cascade(root, rules)
	st := initialStyle()
	if err := r.rootViewport(root, &st); err != nil {
		return nil, err
	}
	r.scale = 1
	if w, ok := absLength(root.decls["width"], &st); ok && w > 0 {
		r.scale = w / r.doc.ViewBox[2]
	}
	r.strokeScale = math.Max(r.scale, 1/(4*flattenTol))
	if opt.RenderWidth > 0 {
		r.scale = float64(opt.RenderWidth) / r.doc.ViewBox[2]
		r.strokeScale = r.scale
	}
	if !r.empty && conditionsPass(root) && !displayNone(root) {
		st = r.computeStyle(root, st)
		st.m = st.m.Mul(r.elementTransform(root, &st))
		r.group(root, st, func() {
			// CSS background-color on the root element fills the whole canvas (Chromium
			// draws it for an SVG image).
			if v, ok := root.decls["background-color"]; ok {
				if c, ok, err := ParseColor(v); err == nil && ok {
					vb := r.doc.ViewBox
					r.doc.Layers = append(r.doc.Layers, Layer{Fill: c, Source: "svg background-color",
						Subpaths: []Subpath{rectPath(vb[0], vb[1], vb[2], vb[3])}})
				}
			}
			r.renderChildren(root, st)
		})
	}
	if r.err != nil {
		return nil, r.err
	}
	keys := make([]string, 0, len(r.unsup))
	for k := range r.unsup {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > maxUnsupported {
		more := len(keys) - maxUnsupported
		keys = append(keys[:maxUnsupported], "… and "+strconv.Itoa(more)+" more")
	}
	r.doc.Unsupported = keys
	return r.doc, nil
}

// maxCSSRules bounds the style-sheet rules matched against every element.
const maxCSSRules = 2000

func initialStyle() style {
	return style{
		fill: paint{kind: paintColor, c: RGBA{0, 0, 0, 1}}, fillOpacity: 1,
		stroke: paint{kind: paintNone}, strokeOpacity: 1,
		stroke2: strokeStyle{width: 1, cap: "butt", join: "miter", miterLimit: 4},
		color:   RGBA{0, 0, 0, 1}, visible: true, fontSize: 16, m: Identity,
	}
}

// rootViewport sets the document viewBox from the root <svg>: its viewBox, widened or cut to
// the aspect ratio of width × height by preserveAspectRatio (meet grows it, slice crops it),
// or width × height alone.
func (r *reader) rootViewport(root *node, st *style) error {
	d := root.decls
	w, okw := absLength(d["width"], st)
	h, okh := absLength(d["height"], st)
	if okw && !(w > 0) || okh && !(h > 0) {
		// A zero width or height disables rendering (a negative one is an error); Chromium
		// and resvg draw nothing for either. The document is empty, in its viewBox if it has one.
		r.doc.ViewBox = [4]float64{0, 0, 1, 1}
		if v, ok := parseViewBox(d["viewBox"]); ok {
			r.doc.ViewBox = v
		}
		r.note(root, "width or height zero or negative: nothing drawn, as browsers do")
		r.empty = true
		return nil
	}
	if vb, ok := d["viewBox"]; ok {
		v, ok := parseViewBox(vb)
		if !ok {
			if !(okw && okh && w > 0 && h > 0) {
				return errf(ErrNoViewBox, -1, "viewBox %q needs 4 numbers with a positive size", vb)
			}
			r.note(root, "viewBox "+strconv.Quote(vb)+" invalid, width × height used")
			r.doc.ViewBox = [4]float64{0, 0, w, h}
		} else {
			r.doc.ViewBox = v
			if okw && okh && w > 0 && h > 0 {
				m := viewBoxTransform(v, d["preserveAspectRatio"], 0, 0, w, h)
				if inv, ok := m.inverse(); ok {
					// The image is w × h; the viewBox seen through it is the inverse image of that box.
					a, b := inv.Apply(Point{0, 0}), inv.Apply(Point{w, h})
					nv := [4]float64{a.X, a.Y, b.X - a.X, b.Y - a.Y}
					if nv[2] > 0 && nv[3] > 0 && finite(nv[0]) && finite(nv[1]) && finite(nv[2]) && finite(nv[3]) {
						if math.Abs(nv[2]*v[3]-nv[3]*v[2]) > 1e-9*nv[2]*v[3] || math.Abs(nv[0]-v[0]) > 1e-9*v[2] {
							if strings.Contains(d["preserveAspectRatio"], "slice") {
								r.note(root, "preserveAspectRatio slice: the viewBox is cropped to width × height")
							}
						}
						r.doc.ViewBox = nv
					}
				}
			}
		}
	} else {
		if !okw || !okh {
			return errf(ErrNoViewBox, -1, "neither viewBox nor width and height")
		}
		r.doc.ViewBox = [4]float64{0, 0, w, h}
	}
	vbx := r.doc.ViewBox
	if !(vbx[2] > 0 && vbx[3] > 0) || !finite(vbx[2]) || !finite(vbx[3]) || !finite(vbx[0]) || !finite(vbx[1]) {
		return errf(ErrNoViewBox, -1, "viewBox size must be positive")
	}
	st.vw, st.vh = vbx[2], vbx[3]
	if v, ok := d["viewBox"]; ok {
		if vv, ok := parseViewBox(v); ok {
			st.vw, st.vh = vv[2], vv[3]
		}
	}
	return nil
}

func parseViewBox(s string) ([4]float64, bool) {
	var v [4]float64
	f := strings.Fields(strings.ReplaceAll(s, ",", " "))
	if len(f) != 4 {
		return v, false
	}
	for i, t := range f {
		x, err := strconv.ParseFloat(t, 64)
		if err != nil || !finite(x) {
			return v, false
		}
		v[i] = x
	}
	return v, v[2] > 0 && v[3] > 0
}

// absLength reads an absolute length (number or px/pt/pc/mm/cm/in/em/ex; not %).
func absLength(s string, st *style) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, "%") {
		return 0, false
	}
	return length(s, 'x', st)
}

// viewBoxTransform maps viewBox vb into the viewport (x, y, w, h) per preserveAspectRatio
// (SVG 1.1 §7.8).
func viewBoxTransform(vb [4]float64, par string, x, y, w, h float64) Matrix {
	f := strings.Fields(par)
	align, slice := "xMidYMid", false
	if len(f) > 0 && f[0] == "defer" {
		f = f[1:]
	}
	if len(f) > 0 {
		align = f[0]
	}
	if len(f) > 1 && f[1] == "slice" {
		slice = true
	}
	sx, sy := w/vb[2], h/vb[3]
	if align == "none" {
		return Matrix{A: sx, D: sy, E: x - vb[0]*sx, F: y - vb[1]*sy}
	}
	s := math.Min(sx, sy)
	if slice {
		s = math.Max(sx, sy)
	}
	tx, ty := x-vb[0]*s, y-vb[1]*s
	dw, dh := w-vb[2]*s, h-vb[3]*s
	switch {
	case strings.Contains(align, "xMid"):
		tx += dw / 2
	case strings.Contains(align, "xMax"):
		tx += dw
	}
	switch {
	case strings.Contains(align, "YMid"):
		ty += dh / 2
	case strings.Contains(align, "YMax"):
		ty += dh
	}
	return Matrix{A: s, D: s, E: tx, F: ty}
}

// ---- lengths ----

// length resolves a CSS/SVG length against the viewport axis ('x' width, 'y' height, 'o'
// the normalized diagonal √((w²+h²)/2)) for percentages and the font size for em/ex.
func length(s string, axis byte, st *style) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	v, n, err := scanNumber(s)
	if err != nil || n == 0 {
		return 0, false
	}
	unit := strings.ToLower(strings.TrimSpace(s[n:]))
	switch unit {
	case "", "px":
	case "pt":
		v *= 4.0 / 3
	case "pc":
		v *= 16
	case "mm":
		v *= 96 / 25.4
	case "cm":
		v *= 96 / 2.54
	case "in":
		v *= 96
	case "q":
		v *= 96 / 25.4 / 4
	case "em":
		v *= st.fontSize
	case "ex":
		v *= st.fontSize / 2
	case "%":
		switch axis {
		case 'x':
			v *= st.vw / 100
		case 'y':
			v *= st.vh / 100
		default:
			v *= math.Sqrt((st.vw*st.vw+st.vh*st.vh)/2) / 100
		}
	default:
		return 0, false
	}
	return v, finite(v)
}

// lengthAttr reads a geometry attribute: missing gives def; invalid is reported and gives def.
func (r *reader) lengthAttr(n *node, st *style, name string, axis byte, def float64) float64 {
	s, ok := n.decls[name]
	if !ok {
		return def
	}
	v, ok := length(s, axis, st)
	if !ok {
		r.note(n, name+"="+strconv.Quote(s)+" invalid, ignored")
		return def
	}
	return v
}

// ---- properties ----

// parsePaint reads a fill/stroke value: none, a color, currentColor, context-fill/-stroke,
// or url(#id) with an optional fallback.
func parsePaint(v string, st *style) (paint, bool) {
	v = strings.TrimSpace(v)
	lv := strings.ToLower(v)
	switch lv {
	case "none":
		return paint{kind: paintNone}, true
	case "currentcolor":
		return paint{kind: paintCurrent}, true
	case "context-fill":
		return paint{kind: paintContextFill}, true
	case "context-stroke":
		return paint{kind: paintContextStroke}, true
	}
	if strings.HasPrefix(lv, "url(") {
		end := strings.IndexByte(v, ')')
		if end < 0 {
			return paint{}, false
		}
		ref := strings.Trim(strings.TrimSpace(v[4:end]), `"'`)
		p := paint{kind: paintURL, url: strings.TrimPrefix(ref, "#")}
		if !strings.HasPrefix(ref, "#") {
			p.url = "\x00external:" + ref
		}
		if rest := strings.TrimSpace(v[end+1:]); rest != "" {
			fb, ok := parsePaint(rest, st)
			if !ok || fb.kind == paintURL {
				return paint{}, false
			}
			p.fallback = &fb
		}
		return p, true
	}
	c, ok, err := ParseColor(v)
	if err != nil {
		return paint{}, false
	}
	if !ok {
		return paint{kind: paintNone}, true
	}
	return paint{kind: paintColor, c: c}, true
}

// computeStyle applies n's declarations over the inherited state. An invalid value drops
// only that property (CSS error handling) and is reported.
func (r *reader) computeStyle(n *node, parent style) style {
	st := parent
	d := n.decls
	bad := func(k, v string) { r.note(n, k+"="+strconv.Quote(v)+" invalid, ignored") }
	get := func(k string) (string, bool) {
		v, ok := d[k]
		if !ok {
			return "", false
		}
		v = strings.TrimSpace(v)
		if v == "inherit" || v == "" {
			return "", false // inherited properties keep the parent's value
		}
		return v, true
	}
	if v, ok := get("font-size"); ok {
		save := st.fontSize
		st.fontSize = parent.fontSize // em in font-size refers to the parent's
		if f, ok := length(v, 'o', &st); ok && f >= 0 {
			st.fontSize = f
		} else {
			switch v {
			case "medium":
				st.fontSize = 16
			case "small":
				st.fontSize = 13
			case "large":
				st.fontSize = 18
			default:
				st.fontSize = save
				bad("font-size", v)
			}
		}
	}
	if v, ok := get("color"); ok {
		if c, ok, err := ParseColor(v); err == nil && ok {
			st.color = c
		} else if strings.EqualFold(v, "currentcolor") {
		} else {
			bad("color", v)
		}
	}
	if v, ok := get("fill"); ok {
		if p, ok := parsePaint(v, &st); ok {
			st.fill = p
		} else {
			bad("fill", v)
		}
	}
	if v, ok := get("stroke"); ok {
		if p, ok := parsePaint(v, &st); ok {
			st.stroke = p
		} else {
			bad("stroke", v)
		}
	}
	opac := func(k string, dst *float64) {
		if v, ok := get(k); ok {
			if o, err := parseOpacity(v); err == nil {
				*dst = o
			} else {
				bad(k, v)
			}
		}
	}
	opac("fill-opacity", &st.fillOpacity)
	opac("stroke-opacity", &st.strokeOpacity)
	rule := func(k string, dst *bool) {
		if v, ok := get(k); ok {
			switch v {
			case "evenodd":
				*dst = true
			case "nonzero":
				*dst = false
			default:
				bad(k, v)
			}
		}
	}
	rule("fill-rule", &st.evenOdd)
	rule("clip-rule", &st.clipEvenOdd)
	if v, ok := get("shape-rendering"); ok {
		switch v {
		case "crispEdges", "optimizeSpeed":
			st.crisp = true
		case "auto", "geometricPrecision":
			st.crisp = false
		default:
			bad("shape-rendering", v)
		}
	}
	if v, ok := get("stroke-width"); ok {
		if w, ok := length(v, 'o', &st); ok && w >= 0 {
			st.stroke2.width = w
		} else {
			bad("stroke-width", v)
		}
	}
	if v, ok := get("stroke-linecap"); ok {
		switch v {
		case "butt", "round", "square":
			st.stroke2.cap = v
		default:
			bad("stroke-linecap", v)
		}
	}
	if v, ok := get("stroke-linejoin"); ok {
		switch v {
		case "miter", "round", "bevel":
			st.stroke2.join = v
		case "miter-clip", "arcs":
			st.stroke2.join = "miter"
			r.note(n, "stroke-linejoin "+v+" drawn as miter")
		default:
			bad("stroke-linejoin", v)
		}
	}
	if v, ok := get("stroke-miterlimit"); ok {
		m, nn, err := scanNumber(v)
		if err != nil || nn != len(v) || m < 1 {
			bad("stroke-miterlimit", v)
		} else {
			st.stroke2.miterLimit = m
		}
	}
	if v, ok := get("stroke-dasharray"); ok {
		if v == "none" {
			st.dashes = nil
		} else {
			var ds []float64
			okAll, sum := true, 0.0
			for _, f := range strings.Fields(strings.ReplaceAll(v, ",", " ")) {
				x, ok := length(f, 'o', &st)
				if !ok || x < 0 {
					okAll = false
					break
				}
				ds = append(ds, x)
				sum += x
			}
			switch {
			case !okAll || len(ds) == 0:
				bad("stroke-dasharray", v)
			case sum == 0:
				st.dashes = nil // all zero: drawn solid
			default:
				st.dashes = ds
			}
		}
	}
	if v, ok := get("stroke-dashoffset"); ok {
		if x, ok := length(v, 'o', &st); ok {
			st.dashOffset = x
		} else {
			bad("stroke-dashoffset", v)
		}
	}
	if v, ok := get("vector-effect"); ok {
		st.nonScaling = v == "non-scaling-stroke"
	}
	if v, ok := get("visibility"); ok {
		switch v {
		case "visible":
			st.visible = true
		case "hidden", "collapse":
			st.visible = false
		default:
			bad("visibility", v)
		}
	}
	for i, k := range [3]string{"marker-start", "marker-mid", "marker-end"} {
		if v, ok := get(k); ok {
			st.markers[i] = markerRef(v)
		}
	}
	if v, ok := get("marker"); ok { // shorthand, from style sheets and style="" only
		id := markerRef(v)
		for i := range st.markers {
			if _, set := d[[3]string{"marker-start", "marker-mid", "marker-end"}[i]]; !set {
				st.markers[i] = id
			}
		}
	}
	return st
}

func markerRef(v string) string {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "url(") {
		if end := strings.IndexByte(v, ')'); end > 0 {
			return strings.TrimPrefix(strings.Trim(strings.TrimSpace(v[4:end]), `"'`), "#")
		}
	}
	return ""
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

// elementTransform returns n's own transform (attribute or CSS property) with
// transform-origin, or ok=false when it is invalid (then the element is not rendered,
// as browsers treat an unparseable transform attribute as identity... see note).
func (r *reader) elementTransform(n *node, st *style) Matrix {
	v, ok := n.decls["transform"]
	if !ok || strings.TrimSpace(v) == "" || strings.TrimSpace(v) == "none" {
		return Identity
	}
	m, err := ParseTransform(cssTransform(v))
	if err != nil {
		r.note(n, "transform="+strconv.Quote(v)+" invalid, ignored")
		return Identity
	}
	return r.withOrigin(n, st, m)
}

// withOrigin applies n's transform-origin to its transform m (CSS Transforms: translate to
// the origin, transform, translate back); keywords and percentages refer to st's viewport
// (for a gradient in objectBoundingBox units, the unit box).
func (r *reader) withOrigin(n *node, st *style, m Matrix) Matrix {
	if o, ok := n.decls["transform-origin"]; ok {
		f := strings.Fields(strings.ReplaceAll(o, ",", " "))
		ox, oy := 0.0, 0.0
		okx, oky := true, true
		kw := func(s string, axis byte) (float64, bool) {
			size := st.vw
			if axis == 'y' {
				size = st.vh
			}
			switch s {
			case "left", "top":
				return 0, true
			case "center":
				return size / 2, true
			case "right", "bottom":
				return size, true
			}
			return length(s, axis, st)
		}
		if len(f) >= 1 {
			if f[0] == "top" || f[0] == "bottom" {
				oy, oky = kw(f[0], 'y')
				if len(f) >= 2 {
					ox, okx = kw(f[1], 'x')
				} else {
					ox = st.vw / 2
				}
			} else {
				ox, okx = kw(f[0], 'x')
				if len(f) >= 2 {
					oy, oky = kw(f[1], 'y')
				} else {
					oy = st.vh / 2
				}
			}
		}
		if okx && oky {
			m = Matrix{A: 1, D: 1, E: ox, F: oy}.Mul(m).Mul(Matrix{A: 1, D: 1, E: -ox, F: -oy})
		} else {
			r.note(n, "transform-origin="+strconv.Quote(o)+" invalid, ignored")
		}
	}
	return m
}

// cssTransform strips the units CSS transform functions allow (px, deg) so the SVG transform
// parser reads them; rad and turn are converted to degrees.
func cssTransform(v string) string {
	if !strings.ContainsAny(v, "pdrt") {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); {
		if v[i] >= '0' && v[i] <= '9' || v[i] == '.' {
			j := i
			for j < len(v) && (v[j] >= '0' && v[j] <= '9' || v[j] == '.' || v[j] == 'e' && j+1 < len(v) && (v[j+1] >= '0' && v[j+1] <= '9' || v[j+1] == '-')) {
				j++
			}
			num := v[i:j]
			switch {
			case strings.HasPrefix(v[j:], "px"):
				j += 2
			case strings.HasPrefix(v[j:], "deg"):
				j += 3
			case strings.HasPrefix(v[j:], "rad"):
				if x, err := strconv.ParseFloat(num, 64); err == nil {
					num = strconv.FormatFloat(x*180/math.Pi, 'g', -1, 64)
				}
				j += 3
			case strings.HasPrefix(v[j:], "turn"):
				if x, err := strconv.ParseFloat(num, 64); err == nil {
					num = strconv.FormatFloat(x*360, 'g', -1, 64)
				}
				j += 4
			}
			b.WriteString(num)
			i = j
			continue
		}
		b.WriteByte(v[i])
		i++
	}
	return b.String()
}

// conditionsPass evaluates the conditional processing attributes as Chromium in en-US does.
func conditionsPass(n *node) bool {
	if v, ok := n.attrs["systemLanguage"]; ok {
		pass := false
		for _, l := range strings.Split(v, ",") {
			l = strings.ToLower(strings.TrimSpace(l))
			if l == "en" || strings.HasPrefix(l, "en-") {
				pass = true
			}
		}
		if !pass {
			return false
		}
	}
	if _, ok := n.attrs["requiredExtensions"]; ok {
		return false
	}
	return true
}

// ---- rendering ----

func (r *reader) renderChildren(n *node, st style) {
	for _, c := range n.children {
		if r.err != nil {
			return
		}
		r.renderNode(c, st)
	}
}

func displayNone(n *node) bool {
	return strings.TrimSpace(n.decls["display"]) == "none"
}

// renderNode draws element n (and its content) with the inherited state parent.
func (r *reader) renderNode(n *node, parent style) {
	if r.instances++; r.instances > maxInstances {
		if r.instances == maxInstances+1 {
			r.note(nil, "more than "+strconv.Itoa(maxInstances)+" elements after <use> expansion; the rest not drawn")
		}
		return
	}
	switch n.name {
	case "defs", "title", "desc", "metadata", "style", "script", "symbol", "clipPath", "mask", "marker",
		"linearGradient", "radialGradient", "pattern", "filter", "stop", "font", "font-face", "cursor", "view":
		return // not rendered where they stand
	}
	if !conditionsPass(n) || displayNone(n) && !r.opt.KeepHidden {
		return
	}
	st := r.computeStyle(n, parent)
	if r.opt.KeepHidden {
		st.visible = true
	}
	switch n.name {
	case "g", "a":
		m := r.elementTransform(n, &st)
		st.m = st.m.Mul(m)
		r.group(n, st, func() { r.renderChildren(n, st) })
	case "switch":
		st.m = st.m.Mul(r.elementTransform(n, &st))
		r.group(n, st, func() {
			for _, c := range n.children {
				if conditionsPass(c) && !strings.HasPrefix(c.name, "\x00foreign:") {
					r.renderNode(c, st)
					return
				}
			}
		})
	case "svg":
		r.nestedSVG(n, st, -1, -1)
	case "use":
		r.use(n, st)
	case "path", "circle", "ellipse", "rect", "polygon", "polyline", "line":
		st.m = st.m.Mul(r.elementTransform(n, &st))
		r.group(n, st, func() { r.shape(n, st) })
	case "text", "image", "foreignObject", "video", "audio", "iframe", "canvas":
		r.note(n, "not drawn (element not supported)")
	default:
		if strings.HasPrefix(n.name, "\x00foreign:") {
			return // non-SVG namespace: browsers render nothing
		}
		r.note(n, "unknown element, not drawn")
	}
}

// nestedSVG draws an inner <svg> viewport (or a <use>d one with width/height overrides w, h ≥ 0).
func (r *reader) nestedSVG(n *node, st style, w, h float64) {
	x := r.lengthAttr(n, &st, "x", 'x', 0)
	y := r.lengthAttr(n, &st, "y", 'y', 0)
	if w < 0 {
		w = r.lengthAttr(n, &st, "width", 'x', st.vw)
	}
	if h < 0 {
		h = r.lengthAttr(n, &st, "height", 'y', st.vh)
	}
	if !(w > 0 && h > 0) {
		return
	}
	st.m = st.m.Mul(r.elementTransform(n, &st))
	m := Matrix{A: 1, D: 1, E: x, F: y}
	vw, vh := w, h
	if vb, ok := n.decls["viewBox"]; ok {
		if v, ok := parseViewBox(vb); ok {
			m = viewBoxTransform(v, n.decls["preserveAspectRatio"], x, y, w, h)
			vw, vh = v[2], v[3]
		} else {
			r.note(n, "viewBox="+strconv.Quote(vb)+" invalid, ignored")
		}
	}
	clip := []Subpath(nil)
	if ov := overflowOf(n); ov != "visible" && ov != "auto" {
		clip = []Subpath{rectPath(x, y, w, h).Transform(st.m)}
	}
	outer := st
	st.m = st.m.Mul(m)
	st.vw, st.vh = vw, vh
	r.groupClip(n, outer, clip, func() { r.renderChildren(n, st) })
}

func rectPath(x, y, w, h float64) Subpath {
	a, b, c, d := Point{x, y}, Point{x + w, y}, Point{x + w, y + h}, Point{x, y + h}
	return Subpath{Start: a, Segs: []Segment{line(a, b), line(b, c), line(c, d), line(d, a)}}
}

func (r *reader) ref(n *node) *node {
	h := strings.TrimSpace(n.decls["href"])
	if h == "" {
		h = strings.TrimSpace(n.attrs["href"])
	}
	if !strings.HasPrefix(h, "#") {
		return nil
	}
	return r.ids[h[1:]]
}

func (r *reader) use(n *node, st style) {
	t := r.ref(n)
	if t == nil {
		r.note(n, "href "+strconv.Quote(n.attrs["href"])+" not found (external or missing), not drawn")
		return
	}
	for a := n; a != nil; a = a.parent {
		if a == t {
			r.note(n, "references its own ancestor, not drawn")
			return
		}
	}
	if r.active[t] || r.active[n] {
		r.note(n, "<use> cycle, not drawn")
		return
	}
	r.active[n] = true
	defer delete(r.active, n)
	x := r.lengthAttr(n, &st, "x", 'x', 0)
	y := r.lengthAttr(n, &st, "y", 'y', 0)
	st.m = st.m.Mul(r.elementTransform(n, &st))
	ctxM := st.m
	st.m = st.m.Mul(Matrix{A: 1, D: 1, E: x, F: y})
	// The <use> is the context element of its content: its paint servers need its bounding
	// box, measured by a pass over the content that only collects geometry.
	var box [4]float64
	okbb := false
	if r.bbox == nil && (st.fill.kind == paintURL || st.stroke.kind == paintURL) {
		if inv, ok := ctxM.inverse(); ok {
			s := r.sub()
			s.bbox = &bboxAcc{inv: inv, lo: Point{math.Inf(1), math.Inf(1)}, hi: Point{math.Inf(-1), math.Inf(-1)}}
			cs := st
			cs.ctxFill, cs.ctxStroke = st.contextPaints(ctxM, box, false)
			s.useContent(n, t, cs)    // its reports are the drawing pass's (and the cap's, if hit here)
			r.instances = s.instances // the pass counts against the expansion cap too
			if s.err != nil && r.err == nil {
				r.err = s.err
			}
			if a := s.bbox; a.hi.X >= a.lo.X && a.hi.Y >= a.lo.Y {
				box, okbb = [4]float64{a.lo.X, a.lo.Y, a.hi.X - a.lo.X, a.hi.Y - a.lo.Y}, true
			}
		}
	}
	st.ctxFill, st.ctxStroke = st.contextPaints(ctxM, box, okbb)
	r.group(n, st, func() { r.useContent(n, t, st) })
}

// useContent draws the element t a <use> n references, in n's style st.
func (r *reader) useContent(n, t *node, st style) {
	{
		switch t.name {
		case "symbol":
			if !conditionsPass(t) || displayNone(t) {
				return
			}
			ts := r.computeStyle(t, st)
			w := r.lengthAttr(n, &st, "width", 'x', -1)
			h := r.lengthAttr(n, &st, "height", 'y', -1)
			if w < 0 {
				w = r.lengthAttr(t, &st, "width", 'x', st.vw)
			}
			if h < 0 {
				h = r.lengthAttr(t, &st, "height", 'y', st.vh)
			}
			if !(w > 0 && h > 0) {
				return
			}
			sx := r.lengthAttr(t, &st, "x", 'x', 0)
			sy := r.lengthAttr(t, &st, "y", 'y', 0)
			ts.m = ts.m.Mul(r.elementTransform(t, &ts))
			outer := ts
			var clip []Subpath
			if vb, ok := t.decls["viewBox"]; ok {
				if v, ok := parseViewBox(vb); ok {
					ts.m = ts.m.Mul(viewBoxTransform(v, t.decls["preserveAspectRatio"], sx, sy, w, h))
					ts.vw, ts.vh = v[2], v[3]
				}
			} else {
				ts.m = ts.m.Mul(Matrix{A: 1, D: 1, E: sx, F: sy})
			}
			if ov := overflowOf(t); ov != "visible" && ov != "auto" {
				clip = []Subpath{rectPath(sx, sy, w, h).Transform(outer.m)}
			}
			r.groupClip(t, outer, clip, func() { r.renderChildren(t, ts) })
		case "svg":
			if !conditionsPass(t) || displayNone(t) {
				return
			}
			ts := r.computeStyle(t, st)
			r.nestedSVG(t, ts, r.lengthAttr(n, &st, "width", 'x', -1), r.lengthAttr(n, &st, "height", 'y', -1))
		default:
			r.renderNode(t, st)
		}
	}
}

// group draws n's content and then applies n's clip-path, mask and opacity to the layers it
// produced (SVG paints an element with those as one group).
func (r *reader) group(n *node, st style, content func()) {
	r.groupClip(n, st, nil, content)
}

func (r *reader) groupClip(n *node, st style, viewportClip []Subpath, content func()) {
	if r.bbox != nil { // measuring geometry: clips, masks and opacity do not change it
		content()
		return
	}
	start := len(r.doc.Layers)
	content()
	if r.err != nil || len(r.doc.Layers) == start {
		return
	}
	// The object bounding box (clipPathUnits, maskUnits, maskContentUnits) is that of the
	// content's geometry: fills without strokes or markers, hidden shapes included.
	var bbox [4]float64
	bbDone, okbb := false, false
	bb := func() ([4]float64, bool) {
		if !bbDone {
			bbox, okbb = r.contentBBox(st, content)
			bbDone = true
		}
		return bbox, okbb
	}
	if viewportClip != nil {
		r.clipLayers(n, start, viewportClip, "viewport")
	}
	if v, ok := n.decls["clip-path"]; ok && strings.TrimSpace(v) != "none" {
		id := markerRef(v)
		region, ok := r.clipRegion(n, id, st, start, bb)
		switch {
		case !ok && (r.ids[id] == nil || r.ids[id].name != "clipPath"):
			// CSS Masking §7.2: a reference to no clipPath is as if clip-path were not set.
			r.note(n, "clip-path "+strconv.Quote(v)+" references no clipPath, drawn unclipped")
		case !ok:
			r.note(n, "clip-path too complex to apply, drawn unclipped")
		default:
			r.clipLayers(n, start, region, "clip-path")
		}
	}
	if v, ok := n.decls["mask"]; ok && strings.TrimSpace(v) != "none" {
		r.applyMask(n, markerRef(v), st, start, bb)
	}
	if v, ok := n.decls["filter"]; ok && strings.TrimSpace(v) != "none" {
		r.note(n, "filter not applied")
	}
	if v, ok := n.decls["isolation"]; ok && strings.TrimSpace(v) == "isolate" {
		r.note(n, "isolation ignored")
	}
	if v, ok := n.decls["mix-blend-mode"]; ok && strings.TrimSpace(v) != "normal" {
		r.note(n, "mix-blend-mode "+strings.TrimSpace(v)+" drawn as normal")
	}
	if v, ok := n.decls["opacity"]; ok {
		o, err := parseOpacity(v)
		if err != nil {
			r.note(n, "opacity="+strconv.Quote(v)+" invalid, ignored")
		} else if o < 1 {
			r.groupOpacity(n, start, o)
		}
	}
}

// clipLayers intersects the layers from start on with region (root coordinates, nonzero).
func (r *reader) clipLayers(n *node, start int, region []Subpath, what string) {
	out := r.doc.Layers[:start]
	for _, l := range r.doc.Layers[start:] {
		if len(region) == 1 && clipContains(region, l.Subpaths, r.doc.ViewBox) {
			out = append(out, l) // clipping changes nothing visible: keep the exact curves
			continue
		}
		subs, ok := intersect(l.Subpaths, l.EvenOdd, region)
		if !ok {
			r.note(n, what+" too complex to apply, drawn unclipped")
			out = append(out, l)
			continue
		}
		subs = dropDegenerate(subs)
		if len(subs) == 0 {
			continue
		}
		l.Subpaths, l.EvenOdd = subs, false
		out = append(out, l)
	}
	r.doc.Layers = out
}

func dropDegenerate(subs []Subpath) []Subpath {
	out := subs[:0]
	for i := range subs {
		if !degenerate(&subs[i]) && math.Abs(subs[i].Area()) > 1e-12 {
			out = append(out, subs[i])
		}
	}
	return out
}

// groupOpacity composites the group's layers at opacity o. Folding o into each layer's alpha
// would darken where the group's own layers overlap: solid-colored groups with translucent
// overlaps are cut into regions of their composited color (overlaySolid); otherwise each
// layer first loses the parts covered by opaque layers painted above it in the group (exact
// for opaque content; a translucent layer above another keeps the overlap, reported).
func (r *reader) groupOpacity(n *node, start int, o float64) {
	ls := r.doc.Layers[start:]
	if flat, ok := overlaySolid(ls); ok {
		ls = flat
	} else if len(ls) > 1 && len(ls) <= 32 {
		for i := 0; i < len(ls)-1; i++ {
			lo, hi := layerBounds(ls[i].Subpaths)
			var above []Subpath
			translucent := false
			for j := i + 1; j < len(ls); j++ {
				l2, h2 := layerBounds(ls[j].Subpaths)
				if l2.X > hi.X || h2.X < lo.X || l2.Y > hi.Y || h2.Y < lo.Y {
					continue
				}
				if !opaque(&ls[j]) {
					translucent = true
					continue
				}
				sub := ls[j].Subpaths
				if ls[j].EvenOdd {
					var ok bool
					if sub, ok = settle(sub); !ok {
						continue
					}
				}
				above = append(above, sub...)
			}
			if translucent {
				r.note(n, "group opacity over overlapping translucent shapes approximated")
			}
			if len(above) == 0 {
				continue
			}
			if u, ok := union(nil, above); ok {
				above = u
			}
			if rest, ok := subtract(ls[i].Subpaths, ls[i].EvenOdd, above); ok {
				ls[i].Subpaths, ls[i].EvenOdd = dropDegenerate(rest), false
			} else {
				r.note(n, "group opacity approximated per shape")
			}
		}
	} else if len(ls) > 32 {
		r.note(n, "group opacity approximated per shape (more than 32 layers)")
	}
	out := r.doc.Layers[:start]
	for _, l := range ls {
		if len(l.Subpaths) == 0 {
			continue
		}
		l.scaleAlpha(o)
		out = append(out, l)
	}
	r.doc.Layers = out
}

// maxOverlayPieces bounds the disjoint regions overlaySolid may cut a group into.
const maxOverlayPieces = 64

// overlaySolid flattens a group whose layers are all solid colors and where some translucent
// layer overlaps one below it: the group's picture is cut into disjoint regions, each with
// the color the layers composite to there (source-over, in paint order), so that the group's
// opacity can then scale every region alike, as browsers composite the group first. ok is
// false when there is no such overlap (the caller's cheaper cut is exact), a layer has a
// gradient, or the regions would exceed maxOverlayPieces or a boolean operation fails.
func overlaySolid(ls []Layer) ([]Layer, bool) {
	if len(ls) < 2 || len(ls) > 32 {
		return nil, false
	}
	boxes := make([][2]Point, len(ls))
	for i := range ls {
		if ls[i].Paint != nil {
			return nil, false
		}
		lo, hi := layerBounds(ls[i].Subpaths)
		boxes[i] = [2]Point{lo, hi}
	}
	meets := func(a, b [2]Point) bool {
		return !(b[0].X > a[1].X || b[1].X < a[0].X || b[0].Y > a[1].Y || b[1].Y < a[0].Y)
	}
	translucent := false
	for j := 1; j < len(ls) && !translucent; j++ {
		if opaque(&ls[j]) {
			continue
		}
		for i := 0; i < j; i++ {
			if meets(boxes[i], boxes[j]) {
				translucent = true
				break
			}
		}
	}
	if !translucent {
		return nil, false
	}
	type piece struct {
		l   Layer // Subpaths nonzero, disjoint from every other piece's
		box [2]Point
	}
	var pieces []piece
	for i := range ls {
		sub := ls[i].Subpaths
		if ls[i].EvenOdd {
			var ok bool
			if sub, ok = settle(sub); !ok {
				return nil, false
			}
		}
		var next []piece
		var under []Subpath // the parts of the pieces below that this layer covers
		for _, p := range pieces {
			if !meets(p.box, boxes[i]) {
				next = append(next, p)
				continue
			}
			in, ok1 := intersect(p.l.Subpaths, false, sub)
			out, ok2 := subtract(p.l.Subpaths, false, sub)
			if !ok1 || !ok2 {
				return nil, false
			}
			if out = dropDegenerate(out); len(out) > 0 {
				q := p.l
				q.Subpaths = out
				lo, hi := layerBounds(out)
				next = append(next, piece{q, [2]Point{lo, hi}})
			}
			if in = dropDegenerate(in); len(in) > 0 {
				q := ls[i]
				q.Subpaths, q.EvenOdd, q.Fill = in, false, over(ls[i].Fill, p.l.Fill)
				lo, hi := layerBounds(in)
				next = append(next, piece{q, [2]Point{lo, hi}})
				under = append(under, in...)
			}
		}
		rest := sub
		if len(under) > 0 {
			var ok bool
			if rest, ok = subtract(sub, false, under); !ok {
				return nil, false
			}
		}
		if rest = dropDegenerate(rest); len(rest) > 0 {
			q := ls[i]
			q.Subpaths, q.EvenOdd = rest, false
			lo, hi := layerBounds(rest)
			next = append(next, piece{q, [2]Point{lo, hi}})
		}
		if len(next) > maxOverlayPieces {
			return nil, false
		}
		pieces = next
	}
	out := make([]Layer, len(pieces))
	for i, p := range pieces {
		out[i] = p.l
	}
	return out, true
}

// over composites straight-alpha color a source-over b.
func over(a, b RGBA) RGBA {
	oa := a.A + b.A*(1-a.A)
	if oa <= 0 {
		return RGBA{}
	}
	mix := func(x, y float64) float64 { return (x*a.A + y*b.A*(1-a.A)) / oa }
	return RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), oa}
}

func opaque(l *Layer) bool {
	if l.Paint == nil {
		return l.Fill.A >= 1
	}
	for _, s := range l.Paint.Stops {
		if s.Color.A < 1 {
			return false
		}
	}
	return true
}

// bboxOf returns the bounding box, in n's user space (inverse of st.m), of layers[start:].
func (r *reader) bboxOf(st style, start int) ([4]float64, bool) {
	inv, ok := st.m.inverse()
	if !ok {
		return [4]float64{}, false
	}
	lo := Point{math.Inf(1), math.Inf(1)}
	hi := Point{math.Inf(-1), math.Inf(-1)}
	for _, l := range r.doc.Layers[start:] {
		for _, sp := range l.Subpaths {
			t := sp.Transform(inv)
			a, b := t.bounds()
			lo.X, lo.Y = math.Min(lo.X, a.X), math.Min(lo.Y, a.Y)
			hi.X, hi.Y = math.Max(hi.X, b.X), math.Max(hi.Y, b.Y)
		}
	}
	if !(hi.X >= lo.X && hi.Y >= lo.Y) {
		return [4]float64{}, false
	}
	return [4]float64{lo.X, lo.Y, hi.X - lo.X, hi.Y - lo.Y}, true
}

// contentBBox measures the bounding box, in the user space of st, of the geometry content
// draws: content runs again with the reader collecting shapes' bounds instead of drawing.
func (r *reader) contentBBox(st style, content func()) ([4]float64, bool) {
	inv, ok := st.m.inverse()
	if !ok {
		return [4]float64{}, false
	}
	acc := &bboxAcc{inv: inv, lo: Point{math.Inf(1), math.Inf(1)}, hi: Point{math.Inf(-1), math.Inf(-1)}}
	nl, nseg := len(r.doc.Layers), r.nseg
	r.bbox = acc // reports are the drawing pass's (and the expansion cap's, if hit here)
	content()
	r.bbox, r.nseg = nil, nseg
	r.doc.Layers = r.doc.Layers[:nl]
	if !(acc.hi.X >= acc.lo.X && acc.hi.Y >= acc.lo.Y) {
		return [4]float64{}, false
	}
	return [4]float64{acc.lo.X, acc.lo.Y, acc.hi.X - acc.lo.X, acc.hi.Y - acc.lo.Y}, true
}

// subReader renders definition content (clip path, mask, marker, pattern) into a scratch
// document sharing the caps and reports.
func (r *reader) sub() *reader {
	return &reader{doc: &Document{ViewBox: r.doc.ViewBox}, ids: r.ids, unsup: r.unsup, nseg: r.nseg,
		instances: r.instances, active: r.active, opt: r.opt}
}

func (r *reader) join(s *reader) {
	r.nseg, r.instances = s.nseg, s.instances
	if s.err != nil && r.err == nil {
		r.err = s.err
	}
}

// clipRegion builds the clip path id for element n (root coordinates, nonzero fill).
func (r *reader) clipRegion(n *node, id string, st style, start int, bbox func() ([4]float64, bool)) ([]Subpath, bool) {
	cp := r.ids[id]
	if cp == nil || cp.name != "clipPath" {
		return nil, false
	}
	if r.active[cp] {
		r.note(n, "clip-path cycle, ignored")
		return nil, false
	}
	r.active[cp] = true
	defer delete(r.active, cp)
	cst := r.computeStyle(cp, r.defStyle(cp, st))
	m := st.m.Mul(r.elementTransform(cp, &cst))
	if strings.TrimSpace(cp.decls["clipPathUnits"]) == "objectBoundingBox" {
		bb, ok := bbox()
		if !ok || bb[2] == 0 || bb[3] == 0 {
			return []Subpath{}, true
		}
		m = m.Mul(Matrix{A: bb[2], D: bb[3], E: bb[0], F: bb[1]})
	}
	cst.m = m
	var region []Subpath
	s := r.sub()
	for _, c := range cp.children {
		if !conditionsPass(c) || displayNone(c) {
			continue
		}
		cs := r.computeStyle(c, cst)
		if !cs.visible {
			continue
		}
		var geo []Subpath
		evenOdd := cs.clipEvenOdd
		switch c.name {
		case "path", "circle", "ellipse", "rect", "polygon", "polyline", "line":
			cs.m = cs.m.Mul(s.elementTransform(c, &cs))
			subs, _ := s.geometry(c, &cs)
			for _, sp := range subs {
				geo = append(geo, sp.Transform(cs.m))
			}
		case "use":
			t := s.ref(c)
			if t == nil || !isShape(t.name) {
				if t != nil && t.name == "text" {
					s.note(c, "text in clip path not drawn")
				}
				continue
			}
			x := s.lengthAttr(c, &cs, "x", 'x', 0)
			y := s.lengthAttr(c, &cs, "y", 'y', 0)
			cs.m = cs.m.Mul(s.elementTransform(c, &cs)).Mul(Matrix{A: 1, D: 1, E: x, F: y})
			ts := s.computeStyle(t, cs)
			ts.m = cs.m.Mul(s.elementTransform(t, &ts))
			evenOdd = ts.clipEvenOdd
			subs, _ := s.geometry(t, &ts)
			for _, sp := range subs {
				geo = append(geo, sp.Transform(ts.m))
			}
		case "text":
			s.note(c, "text in clip path not drawn")
			continue
		default:
			continue
		}
		if len(geo) == 0 {
			continue
		}
		if evenOdd {
			g, ok := settle(geo)
			if !ok {
				r.join(s)
				return nil, false
			}
			geo = g
		}
		if v, ok := c.decls["clip-path"]; ok && strings.TrimSpace(v) != "none" {
			// A clip path on a clip path's child clips that child (in the child's user space).
			save := s.doc.Layers
			s.doc.Layers = []Layer{{Subpaths: geo, Fill: RGBA{0, 0, 0, 1}}}
			if reg, ok := s.clipRegion(c, markerRef(v), cs, 0, func() ([4]float64, bool) { return s.bboxOf(cs, 0) }); ok {
				if g, ok := intersect(geo, false, reg); ok {
					geo = g
				}
			}
			s.doc.Layers = save
		}
		region = append(region, geo...)
	}
	r.join(s)
	if len(region) > 1 {
		u, ok := union(nil, region)
		if !ok {
			return nil, false
		}
		region = u
	}
	if v, ok := cp.decls["clip-path"]; ok && strings.TrimSpace(v) != "none" {
		save := r.doc.Layers
		r.doc.Layers = append(r.doc.Layers[:start:start], Layer{Subpaths: region})
		reg2, ok := r.clipRegion(cp, markerRef(v), st, start, func() ([4]float64, bool) { return r.bboxOf(st, start) })
		r.doc.Layers = save
		if ok {
			if g, ok := intersect(region, false, reg2); ok {
				region = g
			}
		}
	}
	if region == nil {
		region = []Subpath{}
	}
	return region, true
}

// defStyle is the inherited state for definition d's content: what d's own ancestors give
// (definitions inherit from where they are defined, not from where they are used), with the
// referencing element's transform and viewport.
func (r *reader) defStyle(d *node, st style) style {
	var chain []*node
	for a := d.parent; a != nil && len(chain) < MaxDepth; a = a.parent {
		chain = append(chain, a)
	}
	s := initialStyle()
	for i := len(chain) - 1; i >= 0; i-- {
		s = r.computeStyleQuiet(chain[i], s)
	}
	s.vw, s.vh, s.m = st.vw, st.vh, st.m
	s.ctxFill, s.ctxStroke = st.ctxFill, st.ctxStroke
	return s
}

// computeStyleQuiet is computeStyle without reports (ancestors are reported where drawn).
func (r *reader) computeStyleQuiet(n *node, parent style) style {
	save := r.unsup
	r.unsup = map[string]bool{}
	s := r.computeStyle(n, parent)
	r.unsup = save
	return s
}

// initialStyleFrom resets the inherited properties for a definition (clip path, mask,
// marker, pattern content inherits from the definition's own ancestors, approximated by the
// initial values) but keeps the viewport.
func initialStyleFrom(st style) style {
	s := initialStyle()
	s.vw, s.vh, s.m = st.vw, st.vh, st.m
	s.ctxFill, s.ctxStroke = st.ctxFill, st.ctxStroke
	return s
}

// applyMask approximates a luminance or alpha mask: the mask's content is rendered to layers;
// each content layer is cut into the parts under each mask layer (topmost first) and those
// parts keep the mask layer's luminance × alpha (alpha for mask-type="alpha") as opacity.
// Exact for opaque solid-colored mask shapes; gradients in a mask use their mean color.
func (r *reader) applyMask(n *node, id string, st style, start int, bbox func() ([4]float64, bool)) {
	mk := r.ids[id]
	if mk == nil || mk.name != "mask" {
		// As Chromium does: a reference to no mask leaves the element unmasked.
		r.note(n, "mask "+strconv.Quote(id)+" references no mask, drawn unmasked")
		return
	}
	if r.active[mk] {
		// The reference that closes a cycle is dropped (Chromium and resvg draw the element
		// unmasked, and the outer masks still apply).
		r.note(n, "mask cycle: this mask reference ignored")
		delete(n.decls, "mask") // for good, as resvg removes it: later uses see no cycle
		return
	}
	r.active[mk] = true
	defer delete(r.active, mk)
	mst := r.computeStyle(mk, r.defStyle(mk, st))
	bb, okbb := bbox()
	// mask region: x, y, width, height (default -10% -10% 120% 120% of the bbox)
	var region Subpath
	if strings.TrimSpace(mk.decls["maskUnits"]) == "userSpaceOnUse" {
		x := r.lengthAttr(mk, &mst, "x", 'x', -0.1*st.vw)
		y := r.lengthAttr(mk, &mst, "y", 'y', -0.1*st.vh)
		w := r.lengthAttr(mk, &mst, "width", 'x', 1.2*st.vw)
		h := r.lengthAttr(mk, &mst, "height", 'y', 1.2*st.vh)
		region = rectPath(x, y, w, h).Transform(st.m)
	} else {
		if !okbb {
			r.doc.Layers = r.doc.Layers[:start]
			return
		}
		f := func(k string, def float64) float64 {
			v, ok := mk.decls[k]
			if !ok {
				return def
			}
			v = strings.TrimSpace(v)
			if strings.HasSuffix(v, "%") {
				x, n, err := scanNumber(strings.TrimSuffix(v, "%"))
				if err == nil && n == len(v)-1 {
					return x / 100
				}
			}
			x, n, err := scanNumber(v)
			if err == nil && n == len(v) {
				return x
			}
			return def
		}
		x, y, w, h := f("x", -0.1), f("y", -0.1), f("width", 1.2), f("height", 1.2)
		region = rectPath(bb[0]+x*bb[2], bb[1]+y*bb[3], w*bb[2], h*bb[3]).Transform(st.m)
	}
	cs := mst
	if strings.TrimSpace(mk.decls["maskContentUnits"]) == "objectBoundingBox" {
		if !okbb || bb[2] == 0 || bb[3] == 0 {
			r.doc.Layers = r.doc.Layers[:start]
			return
		}
		cs.m = st.m.Mul(Matrix{A: bb[2], D: bb[3], E: bb[0], F: bb[1]})
	} else {
		cs.m = st.m
	}
	s := r.sub()
	s.renderChildren(mk, cs)
	r.join(s)
	if r.err != nil {
		return
	}
	alphaMask := strings.TrimSpace(mk.decls["mask-type"]) == "alpha"
	mls := s.doc.Layers
	if len(mls) > 16 {
		r.note(n, "mask with more than 16 shapes approximated by their union at mean strength")
		var all []Subpath
		sumA, sumW := 0.0, 0.0
		for _, ml := range mls {
			sub := ml.Subpaths
			if ml.EvenOdd {
				if g, ok := settle(sub); ok {
					sub = g
				}
			}
			all = append(all, sub...)
			a := math.Abs(areaOf(ml.Subpaths))
			sumA += a * maskStrength(&ml, alphaMask)
			sumW += a
		}
		u, _ := union(nil, all)
		strength := 0.0
		if sumW > 0 {
			strength = sumA / sumW
		}
		mls = []Layer{{Subpaths: u, Fill: RGBA{1, 1, 1, strength}}}
	}

	// pieces[j] = mask layer j minus every mask layer above it, clipped to the mask region.
	type piece struct {
		subs     []Subpath
		strength float64
		grad     *Gradient // a gradient mask layer: strength varies along it
	}
	var pieces []piece
	var above []Subpath
	for j := len(mls) - 1; j >= 0; j-- {
		ml := mls[j]
		sub := ml.Subpaths
		if ml.EvenOdd {
			g, ok := settle(sub)
			if !ok {
				continue
			}
			sub = g
		}
		p := sub
		if len(above) > 0 {
			if g, ok := subtract(sub, false, above); ok {
				p = g
			}
		}
		if g, ok := intersect(p, false, []Subpath{region}); ok {
			p = g
		}
		str := maskStrength(&ml, alphaMask)
		if !opaque(&ml) && j > 0 {
			r.note(n, "translucent overlapping mask shapes approximated")
		}
		if len(p) > 0 && (str > 0 || ml.Paint != nil) {
			pieces = append(pieces, piece{p, str, ml.Paint})
		}
		if u, ok := union(above, sub); ok {
			above = u
		}
	}
	out := r.doc.Layers[:start:start]
	content := append([]Layer(nil), r.doc.Layers[start:]...)
	for _, l := range content {
		for _, p := range pieces {
			subs, ok := intersect(l.Subpaths, l.EvenOdd, p.subs)
			if !ok {
				r.note(n, "mask too complex to apply, drawn unmasked")
				subs = l.Subpaths
			}
			subs = dropDegenerate(subs)
			if len(subs) == 0 {
				continue
			}
			nl := l
			nl.Subpaths, nl.EvenOdd = subs, l.EvenOdd && !ok
			switch {
			case p.grad != nil && (l.Paint == nil || sameGeometry(p.grad, l.Paint)):
				// A layer under a gradient mask, painted solid or with a gradient on the same
				// geometry (so both share the parameter t): the mask's gradient with, per
				// offset, the layer's color and its alpha × the mask's strength there. That
				// product is not linear between stops (luminance × alpha is quadratic, times a
				// gradient's alpha cubic), so the offsets are refined until the linear ramps
				// between the new stops stay within maskRampTol of it (as browsers compute the
				// mask per pixel).
				g := *p.grad
				strength := func(o float64) float64 {
					sl := Layer{Fill: stopColor(p.grad, o)}
					return maskStrength(&sl, alphaMask)
				}
				color := func(o float64) RGBA {
					if l.Paint == nil {
						return l.Fill
					}
					return stopColor(l.Paint, o)
				}
				breaks := []float64{}
				for _, st := range p.grad.Stops {
					breaks = append(breaks, st.Offset)
				}
				if l.Paint != nil {
					for _, st := range l.Paint.Stops {
						breaks = append(breaks, st.Offset)
					}
				}
				g.Stops = nil
				for _, o := range rampOffsets(breaks, func(o float64) float64 { return color(o).A * strength(o) }) {
					c := color(o)
					c.A *= strength(o)
					g.Stops = append(g.Stops, Stop{o, c})
				}
				nl.Paint = &g
				nl.Fill = meanPaint(&nl)
			case p.grad != nil:
				r.note(n, "gradient mask over a gradient approximated by the mask's mean")
				nl.scaleAlpha(p.strength)
			default:
				nl.scaleAlpha(p.strength)
			}
			if nl.Fill.A <= 0 && nl.Paint == nil {
				continue
			}
			out = append(out, nl)
		}
	}
	r.doc.Layers = out
}

// maskRampTol is how far a gradient mask's resampled strength may stray from the exact
// luminance × alpha: 1/64 of an 8-bit level, well below what an 8-bit render can show.
const maskRampTol = 1.0 / (64 * 255)

// rampOffsets returns the offsets in [0, 1] (0, 1 and breaks included, ascending) at which
// stops make the piecewise-linear ramp through f follow f within maskRampTol, f being
// smooth between breaks: each interval is halved until the ramp is that close at its
// quarter points (at most 2⁸ pieces per interval).
func rampOffsets(breaks []float64, f func(float64) float64) []float64 {
	bs := []float64{0, 1}
	for _, b := range breaks {
		if b > 0 && b < 1 {
			bs = append(bs, b)
		}
	}
	sort.Float64s(bs)
	out := []float64{0}
	var refine func(a, b float64, depth int)
	refine = func(a, b float64, depth int) {
		fa, fb := f(a), f(b)
		off := 0.0
		for _, u := range []float64{0.25, 0.5, 0.75} {
			off = math.Max(off, math.Abs(f(a+(b-a)*u)-(fa+(fb-fa)*u)))
		}
		if off > maskRampTol && depth < 8 {
			m := (a + b) / 2
			refine(a, m, depth+1)
			refine(m, b, depth+1)
			return
		}
		out = append(out, b)
	}
	for i := 1; i < len(bs); i++ {
		if bs[i] > bs[i-1] {
			refine(bs[i-1], bs[i], 0)
		}
	}
	return out
}

// sameGeometry reports whether gradients a and b map points to the same parameter t (same
// kind, vector or circles, spread and transform), so their stops can be combined.
func sameGeometry(a, b *Gradient) bool {
	const eps = 1e-9
	near := func(x, y float64) bool { return math.Abs(x-y) <= eps*(1+math.Abs(x)+math.Abs(y)) }
	m, n := a.M, b.M
	return a.Radial == b.Radial && a.Spread == b.Spread &&
		near(a.X1, b.X1) && near(a.Y1, b.Y1) && near(a.X2, b.X2) && near(a.Y2, b.Y2) &&
		near(a.CX, b.CX) && near(a.CY, b.CY) && near(a.R, b.R) &&
		near(a.FX, b.FX) && near(a.FY, b.FY) && near(a.FR, b.FR) &&
		near(m.A, n.A) && near(m.B, n.B) && near(m.C, n.C) && near(m.D, n.D) && near(m.E, n.E) && near(m.F, n.F)
}

func areaOf(subs []Subpath) float64 {
	a := 0.0
	for i := range subs {
		a += subs[i].Area()
	}
	return a
}

// maskStrength is what a mask layer multiplies the content's alpha by: its alpha for an
// alpha mask, else its luminance (sRGB coefficients of SVG 1.1 §14.4) × alpha.
func maskStrength(l *Layer, alpha bool) float64 {
	c := l.Fill
	if alpha {
		return c.A
	}
	return (0.2125*c.R + 0.7154*c.G + 0.0721*c.B) * c.A
}

// ---- shapes ----

func isShape(name string) bool {
	switch name {
	case "path", "circle", "ellipse", "rect", "polygon", "polyline", "line":
		return true
	}
	return false
}

// geometry returns a shape's outline in its user space, closed for filling, and per subpath
// whether the source left it open (for stroking and markers; nil means all closed). Invalid
// geometry draws nothing (or, for path data and points, up to the first error) and is
// reported.
func (r *reader) geometry(n *node, st *style) ([]Subpath, []openInfo) {
	L := func(name string, axis byte) float64 { return r.lengthAttr(n, st, name, axis, 0) }
	var subs []Subpath
	var info []openInfo
	switch n.name {
	case "path":
		d := n.decls["d"]
		var err error
		subs, info, err = parsePathDataPartial(d)
		if err != nil {
			r.note(n, "path data error ("+err.Error()+"), drawn up to it")
		}
	case "line":
		a, b := Point{L("x1", 'x'), L("y1", 'y')}, Point{L("x2", 'x'), L("y2", 'y')}
		if a == b {
			return nil, []openInfo{{open: true}}
		}
		subs = []Subpath{{Start: a, Segs: []Segment{line(a, b), line(b, a)}}}
		info = []openInfo{{open: true, addedClose: true}}
	case "polygon", "polyline":
		sp, err := pointsSubpath(n.decls["points"])
		if err != nil {
			r.note(n, "points list error, drawn up to it")
		}
		if len(sp.Segs) == 0 {
			return nil, nil
		}
		in := openInfo{}
		if n.name == "polyline" {
			in.open = true
			if sp.Segs[len(sp.Segs)-1].P != sp.Start {
				in.addedClose = true
			}
		}
		if in.addedClose || (n.name == "polygon" && sp.Segs[len(sp.Segs)-1].P != sp.Start) {
			sp.Segs = append(sp.Segs, line(sp.Segs[len(sp.Segs)-1].P, sp.Start))
		}
		subs, info = []Subpath{sp}, []openInfo{in}
	case "circle":
		cx, cy, rr := L("cx", 'x'), L("cy", 'y'), L("r", 'o')
		if rr < 0 {
			r.note(n, "negative r, not drawn")
		}
		if rr > 0 {
			subs = []Subpath{ellipse(cx, cy, rr, rr)}
		}
	case "ellipse":
		cx, cy := L("cx", 'x'), L("cy", 'y')
		rx, ry := r.radius(n, st, "rx", 'x'), r.radius(n, st, "ry", 'y')
		// SVG 2: auto (or a missing/invalid one) takes the other's value.
		if rx < 0 {
			rx = ry
		}
		if ry < 0 {
			ry = rx
		}
		if rx > 0 && ry > 0 {
			subs = []Subpath{ellipse(cx, cy, rx, ry)}
		}
	case "rect":
		x, y, w, h := L("x", 'x'), L("y", 'y'), L("width", 'x'), L("height", 'y')
		if w < 0 || h < 0 {
			r.note(n, "negative width or height, not drawn")
		}
		if !(w > 0 && h > 0) {
			return nil, nil
		}
		rx, ry := r.radius(n, st, "rx", 'x'), r.radius(n, st, "ry", 'y')
		if rx < 0 {
			rx = ry
		}
		if ry < 0 {
			ry = rx
		}
		rx, ry = math.Min(math.Max(rx, 0), w/2), math.Min(math.Max(ry, 0), h/2)
		subs, _ = ParsePathData(rectData(x, y, w, h, rx, ry))
	}
	for _, sp := range subs {
		if r.nseg += len(sp.Segs); r.nseg > MaxSegments && r.err == nil {
			r.err = errf(ErrLimit, -1, "more than %d segments", MaxSegments)
		}
	}
	if !finiteSubpaths(subs) {
		r.note(n, "coordinates overflow, not drawn")
		return nil, nil
	}
	return subs, info
}

// radius reads rx/ry: -1 for missing, auto or invalid (then the other radius is used).
func (r *reader) radius(n *node, st *style, name string, axis byte) float64 {
	s, ok := n.decls[name]
	if !ok || strings.TrimSpace(s) == "auto" {
		return -1
	}
	v, ok := length(s, axis, st)
	if !ok || v < 0 {
		r.note(n, name+"="+strconv.Quote(s)+" invalid, ignored")
		return -1
	}
	return v
}

func rectData(x, y, w, h, rx, ry float64) string {
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
	return b.String()
}

// shape paints one shape element: fill, then stroke, then markers (SVG's default paint order).
func (r *reader) shape(n *node, st style) {
	subs, info := r.geometry(n, &st)
	if r.err != nil || len(subs) == 0 && n.name != "line" && n.name != "path" {
		return
	}
	if r.bbox != nil {
		r.bbox.add(subs, st.m)
		return
	}
	bbox, okbb := geomBox(subs)
	for _, what := range paintOrder(n.decls["paint-order"]) {
		switch what {
		case "fill":
			if st.visible && n.name != "line" && len(subs) > 0 {
				r.paintLayer(n, st, st.fill, st.fillOpacity, st.evenOdd, subs, bbox, okbb, n.name)
			}
		case "stroke":
			r.strokeShape(n, st, subs, info, bbox, okbb)
		case "markers":
			switch n.name {
			case "path", "line", "polyline", "polygon":
				if st.markers != [3]string{} {
					r.markers(n, st, subs, info)
				}
			}
		}
	}
}

// paintOrder returns the order of fill, stroke and markers for a paint-order value.
func paintOrder(v string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, f := range strings.Fields(v) {
		if (f != "fill" && f != "stroke" && f != "markers") || seen[f] {
			return []string{"fill", "stroke", "markers"} // invalid: the initial order
		}
		out = append(out, f)
		seen[f] = true
	}
	for _, f := range []string{"fill", "stroke", "markers"} {
		if !seen[f] {
			out = append(out, f)
		}
	}
	return out
}

func (r *reader) strokeShape(n *node, st style, subs []Subpath, info []openInfo, bbox [4]float64, okbb bool) {
	if st.visible && st.stroke.kind != paintNone && st.stroke2.width > 0 && len(subs) > 0 {
		if st.nonScaling {
			r.note(n, "vector-effect non-scaling-stroke: stroke scaled with the transform")
		}
		ssubs, sinfo := subs, info
		if len(st.dashes) > 0 {
			d, di, ok := dash(subs, info, st.dashOffset, st.dashes, r.dashTol(st.m))
			if ok {
				ssubs, sinfo = d, di
			} else {
				r.note(n, "stroke-dasharray too fine or complex, drawn solid")
			}
		}
		var dots []Subpath
		if len(st.dashes) > 0 && st.stroke2.cap != "butt" {
			dots = zeroDashDots(subs, info, st.dashOffset, st.dashes, st.stroke2, r.dashTol(st.m))
		}
		if len(ssubs) > 0 || len(dots) > 0 {
			outline := append(strokeOutline(ssubs, sinfo, st.stroke2, r.devMap(st.m)), dots...)
			for _, sp := range outline {
				r.nseg += len(sp.Segs)
			}
			if r.nseg > MaxSegments {
				r.err = errf(ErrLimit, -1, "more than %d segments", MaxSegments)
				return
			}
			if len(outline) > 0 {
				r.paintLayer(n, st, st.stroke, st.strokeOpacity, false, outline, bbox, okbb, n.name+" stroke")
			}
		}
	}
}

func geomBox(subs []Subpath) ([4]float64, bool) {
	if len(subs) == 0 {
		return [4]float64{}, false
	}
	lo, hi := layerBounds(subs)
	return [4]float64{lo.X, lo.Y, hi.X - lo.X, hi.Y - lo.Y}, true
}

// paintLayer adds a layer for subs (user space) painted with p.
func (r *reader) paintLayer(n *node, st style, p paint, opacity float64, evenOdd bool, subs []Subpath, bbox [4]float64, okbb bool, source string) {
	m := st.m
	psubs, pst := subs, st // the geometry in the paint's user space, and that space
	if p.kind == paintContextFill || p.kind == paintContextStroke {
		c := st.ctxFill
		if p.kind == paintContextStroke {
			c = st.ctxStroke
		}
		p = c.p
		if p.kind == paintURL {
			if inv, ok := c.m.inverse(); ok {
				m, bbox, okbb = c.m, c.box, c.okbb
				psubs = nil
				for _, sp := range subs {
					psubs = append(psubs, sp.Transform(inv.Mul(st.m)))
				}
				pst.m = c.m
			}
		}
	}
	if p.kind == paintCurrent {
		p = paint{kind: paintColor, c: st.color}
	}
	if p.fallback != nil && p.fallback.kind == paintCurrent {
		p.fallback = &paint{kind: paintColor, c: st.color}
	}
	l := Layer{EvenOdd: evenOdd, Source: source, Crisp: st.crisp}
	switch p.kind {
	case paintNone:
		return
	case paintColor:
		l.Fill = p.c
	case paintURL:
		srv := r.ids[p.url]
		switch {
		case srv != nil && (srv.name == "linearGradient" || srv.name == "radialGradient"):
			g, solid, ok := r.gradient(n, srv, m, bbox, okbb)
			if !ok {
				if p.fallback != nil && p.fallback.kind == paintColor {
					l.Fill = p.fallback.c
				} else {
					return // an unusable gradient (no stops, empty bbox) paints nothing
				}
			} else if g == nil {
				l.Fill = solid
			} else {
				l.Paint = g
			}
		case srv != nil && srv.name == "pattern" && p.fallback != nil && p.fallback.kind == paintColor &&
			r.patternNeedsBox(srv) && (!okbb || bbox[2] == 0 || bbox[3] == 0):
			l.Fill = p.fallback.c // the pattern cannot tile an empty box: the fallback color
		case srv != nil && srv.name == "pattern":
			if r.patternTiles(n, srv, pst, opacity, evenOdd, psubs, bbox, okbb, source) {
				return
			}
			c, ok := r.patternMean(n, srv, pst, bbox, okbb)
			if !ok {
				return
			}
			r.note(n, "pattern fill approximated by its mean color")
			l.Fill = c
		default:
			if p.fallback != nil {
				if p.fallback.kind != paintColor {
					return
				}
				l.Fill = p.fallback.c
			} else {
				r.note(n, "paint "+strconv.Quote("url(#"+p.url+")")+" references no paint server, drawn as none")
				return
			}
		}
	default:
		return
	}
	for _, sp := range subs {
		sp = sp.Transform(st.m)
		if !finiteSubpaths([]Subpath{sp}) {
			r.note(n, "coordinates overflow, not drawn")
			return
		}
		if degenerate(&sp) {
			continue
		}
		l.Subpaths = append(l.Subpaths, sp)
	}
	if len(l.Subpaths) == 0 {
		return
	}
	l.scaleAlpha(opacity)
	if l.Paint != nil {
		l.Fill = meanPaint(&l)
	}
	if l.Fill.A <= 0 && l.Paint == nil {
		return
	}
	r.doc.Layers = append(r.doc.Layers, l)
}

// gradient resolves a gradient element with its href chain into a Gradient in root
// coordinates (m is the painted element's user space → root). A single stop (or stops of one
// color) gives a solid color instead (g == nil); ok=false when it paints nothing.
func (r *reader) gradient(n, srv *node, m Matrix, bbox [4]float64, okbb bool) (g *Gradient, solid RGBA, ok bool) {
	chain := []*node{srv}
	seen := map[*node]bool{srv: true}
	for cur := srv; len(chain) < 32; {
		next := r.ref(cur)
		if next == nil || seen[next] || (next.name != "linearGradient" && next.name != "radialGradient") {
			break
		}
		seen[next] = true
		chain = append(chain, next)
		cur = next
	}
	get := func(k string) (string, bool) {
		common := k == "gradientUnits" || k == "gradientTransform" || k == "spreadMethod"
		for _, c := range chain {
			if !common && c.name != srv.name {
				continue
			}
			if v, ok := c.attrs[k]; ok {
				return strings.TrimSpace(v), true
			}
		}
		return "", false
	}
	var stopsFrom *node
	for _, c := range chain {
		for _, ch := range c.children {
			if ch.name == "stop" {
				stopsFrom = c
				break
			}
		}
		if stopsFrom != nil {
			break
		}
	}
	if stopsFrom == nil {
		return nil, RGBA{}, false
	}
	var stops []Stop
	last := 0.0
	for _, ch := range stopsFrom.children {
		if ch.name != "stop" {
			continue
		}
		off := 0.0
		if v, ok := ch.decls["offset"]; ok {
			v = strings.TrimSpace(v)
			pct := strings.HasSuffix(v, "%")
			x, nn, err := scanNumber(strings.TrimSuffix(v, "%"))
			if err == nil && nn == len(strings.TrimSuffix(v, "%")) {
				if pct {
					x /= 100
				}
				off = clamp01(x)
			}
		}
		off = math.Max(off, last)
		last = off
		c := RGBA{0, 0, 0, 1}
		color := RGBA{0, 0, 0, 1}
		for a := ch; a != nil; a = a.parent { // 'color' inherits
			if v, ok := a.decls["color"]; ok {
				if cc, ok, err := ParseColor(v); err == nil && ok {
					color = cc
					break
				}
			}
		}
		if v, ok := ch.decls["stop-color"]; ok {
			v = strings.TrimSpace(v)
			if v == "inherit" && ch.parent != nil {
				v = strings.TrimSpace(ch.parent.decls["stop-color"])
				if v == "" {
					v = "black"
				}
			}
			if strings.EqualFold(v, "currentcolor") {
				c = color
			} else if cc, ok, err := ParseColor(v); err == nil {
				if ok {
					c = cc
				} else {
					c = RGBA{}
				}
			} else {
				r.note(ch, "stop-color="+strconv.Quote(v)+" invalid, black used")
			}
		}
		if v, ok := ch.decls["stop-opacity"]; ok {
			if o, err := parseOpacity(v); err == nil {
				c.A *= o
			}
		}
		stops = append(stops, Stop{off, c})
		if len(stops) > 1024 {
			break
		}
	}
	if len(stops) == 0 {
		return nil, RGBA{}, false
	}
	if len(stops) == 1 {
		return nil, stops[0].Color, true
	}
	same := true
	for _, s := range stops[1:] {
		if s.Color != stops[0].Color {
			same = false
		}
	}
	if same {
		return nil, stops[0].Color, true
	}
	g = &Gradient{Radial: srv.name == "radialGradient", Stops: stops}
	units, _ := get("gradientUnits")
	obb := units != "userSpaceOnUse"
	gm := m
	vst := &style{vw: r.doc.ViewBox[2], vh: r.doc.ViewBox[3], fontSize: 16}
	if obb {
		if !okbb || bbox[2] == 0 || bbox[3] == 0 {
			return nil, RGBA{}, false // SVG: objectBoundingBox on an empty box paints nothing
		}
		gm = gm.Mul(Matrix{A: bbox[2], D: bbox[3], E: bbox[0], F: bbox[1]})
		vst.vw, vst.vh = 1, 1
	}
	if v, ok := get("gradientTransform"); ok {
		t, err := ParseTransform(v)
		if err != nil {
			r.note(srv, "gradientTransform invalid, ignored")
		} else {
			gm = gm.Mul(r.withOrigin(srv, vst, t))
		}
	}
	g.M = gm
	num := func(k string, axis byte, def float64) float64 {
		v, ok := get(k)
		if !ok {
			return def
		}
		if obb && !strings.HasSuffix(v, "%") {
			x, nn, err := scanNumber(v)
			if err == nil && nn == len(v) {
				return x
			}
		}
		if obb && strings.HasSuffix(v, "%") {
			x, nn, err := scanNumber(strings.TrimSuffix(v, "%"))
			if err == nil && nn == len(v)-1 {
				return x / 100
			}
		}
		x, ok := length(v, axis, vst)
		if !ok {
			return def
		}
		return x
	}
	pct := func(p float64, axis byte) float64 {
		if obb {
			return p
		}
		switch axis {
		case 'x':
			return p * vst.vw
		case 'y':
			return p * vst.vh
		}
		return p * math.Sqrt((vst.vw*vst.vw+vst.vh*vst.vh)/2)
	}
	if g.Radial {
		g.CX, g.CY, g.R = num("cx", 'x', pct(0.5, 'x')), num("cy", 'y', pct(0.5, 'y')), num("r", 'o', pct(0.5, 'o'))
		g.FX, g.FY, g.FR = num("fx", 'x', g.CX), num("fy", 'y', g.CY), math.Max(0, num("fr", 'o', 0))
		if !(g.R > 0) {
			return nil, stops[len(stops)-1].Color, true
		}
	} else {
		g.X1, g.Y1, g.X2, g.Y2 = num("x1", 'x', 0), num("y1", 'y', 0), num("x2", 'x', pct(1, 'x')), num("y2", 'y', 0)
		if g.X1 == g.X2 && g.Y1 == g.Y2 {
			return nil, stops[len(stops)-1].Color, true
		}
	}
	switch v, _ := get("spreadMethod"); v {
	case "reflect":
		g.Spread = SpreadReflect
	case "repeat":
		g.Spread = SpreadRepeat
	}
	if _, ok := g.M.inverse(); !ok {
		return nil, RGBA{}, false
	}
	return g, RGBA{}, true
}

// patternMean approximates a pattern by the mean color of one tile: its content is rendered
// and averaged over the tile's area (the uncovered part of the tile counts as transparent).
func (r *reader) patternMean(n, pat *node, st style, bbox [4]float64, okbb bool) (RGBA, bool) {
	if r.active[pat] {
		return RGBA{}, false
	}
	r.active[pat] = true
	defer delete(r.active, pat)
	src := pat
	for i := 0; i < 8 && len(src.children) == 0; i++ {
		nx := r.ref(src)
		if nx == nil || nx.name != "pattern" {
			break
		}
		src = nx
	}
	ps := r.defStyle(pat, st)
	ps.m = Identity
	w, h := 0.0, 0.0
	obb := strings.TrimSpace(pat.decls["patternUnits"]) != "userSpaceOnUse"
	if obb {
		f := func(k string) float64 {
			v := strings.TrimSpace(pat.decls[k])
			x, nn, err := scanNumber(strings.TrimSuffix(v, "%"))
			if err != nil || nn == 0 {
				return 0
			}
			if strings.HasSuffix(v, "%") {
				x /= 100
			}
			return x
		}
		if !okbb {
			return RGBA{}, false
		}
		w, h = f("width")*bbox[2], f("height")*bbox[3]
	} else {
		w, h = r.lengthAttr(pat, &ps, "width", 'x', 0), r.lengthAttr(pat, &ps, "height", 'y', 0)
	}
	if !(w > 0 && h > 0) {
		return RGBA{}, false
	}
	if vb, ok := pat.decls["viewBox"]; ok {
		if v, ok := parseViewBox(vb); ok {
			ps.m = viewBoxTransform(v, pat.decls["preserveAspectRatio"], 0, 0, w, h)
		}
	} else if strings.TrimSpace(pat.decls["patternContentUnits"]) == "objectBoundingBox" && okbb {
		ps.m = Matrix{A: bbox[2], D: bbox[3]}
	}
	s := r.sub()
	s.doc.ViewBox = [4]float64{0, 0, w, h}
	s.renderChildren(src, ps)
	r.join(s)
	img := Render(s.doc, 16, 16)
	var cr, cg, cb, ca float64
	for i := 0; i < 256; i++ {
		a := float64(img.Pix[4*i+3])
		cr += a * float64(img.Pix[4*i])
		cg += a * float64(img.Pix[4*i+1])
		cb += a * float64(img.Pix[4*i+2])
		ca += a
	}
	if ca == 0 {
		return RGBA{}, false
	}
	return RGBA{cr / ca, cg / ca, cb / ca, ca / 256}, true
}

// ---- markers ----

// markers draws marker-start/-mid/-end at the vertices of a path, line, polyline or polygon.
func (r *reader) markers(n *node, st style, subs []Subpath, info []openInfo) {
	type vertex struct {
		p        Point
		in, out  float64 // incoming and outgoing tangent angles (radians)
		hasIn    bool
		hasOut   bool
		subStart bool
	}
	var vs []vertex
	for i, sp := range subs {
		segs := sp.Segs
		open := i < len(info) && info[i].open
		if open && info[i].addedClose && len(segs) > 0 {
			segs = segs[:len(segs)-1]
		}
		if len(segs) == 0 {
			continue
		}
		p0 := sp.Start
		startIdx := len(vs)
		vs = append(vs, vertex{p: p0, subStart: true})
		for j, s := range segs {
			a := p0
			if j > 0 {
				a = segs[j-1].P
			}
			din := tangentIn(a, s)
			dout := tangentOut(a, s)
			vs[len(vs)-1].out, vs[len(vs)-1].hasOut = dout, true
			vs = append(vs, vertex{p: s.P, in: din, hasIn: true})
		}
		if !open { // closed: the last vertex is the start again; join the two ends
			last := &vs[len(vs)-1]
			first := &vs[startIdx]
			first.in, first.hasIn = last.in, true
			last.out, last.hasOut = first.out, true
		}
	}
	if len(vs) == 0 {
		return
	}
	box, okbb := geomBox(subs)
	for i := range vs {
		var id string
		switch {
		case i == 0:
			id = st.markers[0]
		case i == len(vs)-1:
			id = st.markers[2]
		default:
			id = st.markers[1]
		}
		if id == "" {
			continue
		}
		v := vs[i]
		ang := 0.0
		switch {
		case v.hasIn && v.hasOut:
			ang = bisect(v.in, v.out)
		case v.hasIn:
			ang = v.in
		case v.hasOut:
			ang = v.out
		}
		r.marker(n, st, id, v.p, ang, i == 0, box, okbb)
	}
}

func tangentOut(a Point, s Segment) float64 {
	for _, q := range []Point{s.C1, s.C2, s.P} {
		if q.Dist(a) > 1e-12 {
			return math.Atan2(q.Y-a.Y, q.X-a.X)
		}
	}
	return 0
}

func tangentIn(a Point, s Segment) float64 {
	for _, q := range []Point{s.C2, s.C1, a} {
		if q.Dist(s.P) > 1e-12 {
			return math.Atan2(s.P.Y-q.Y, s.P.X-q.X)
		}
	}
	return 0
}

// bisect is the angle of a marker at a vertex between the incoming and outgoing directions
// a and b, as resvg and Chromium compute it: both normalized to [0, 2π), their mean, turned a
// half turn when they are more than a half turn apart. For exactly opposite directions (a
// cusp) this picks the direction Chromium and resvg draw.
func bisect(a, b float64) float64 {
	norm := func(x float64) float64 {
		x = math.Mod(x, 2*math.Pi)
		if x < 0 {
			x += 2 * math.Pi
		}
		return x
	}
	a, b = norm(a), norm(b)
	h := (b - a) / 2
	ang := a + h
	if math.Abs(h) > math.Pi/2 {
		ang -= math.Pi
	}
	return ang
}

func (r *reader) marker(n *node, st style, id string, p Point, ang float64, start bool, box [4]float64, okbb bool) {
	mk := r.ids[id]
	if mk == nil || mk.name != "marker" || displayNone(mk) {
		return
	}
	if r.active[mk] {
		r.note(n, "marker cycle, not drawn")
		return
	}
	r.active[mk] = true
	defer delete(r.active, mk)
	ms := r.defStyle(mk, st)
	ms.ctxFill, ms.ctxStroke = st.contextPaints(st.m, box, okbb)
	ms = r.computeStyle(mk, ms)
	mw := r.lengthAttr(mk, &ms, "markerWidth", 'x', 3)
	mh := r.lengthAttr(mk, &ms, "markerHeight", 'y', 3)
	if !(mw > 0 && mh > 0) {
		return
	}
	rot := 0.0
	switch o := strings.TrimSpace(mk.decls["orient"]); o {
	case "auto":
		rot = ang
	case "auto-start-reverse":
		rot = ang
		if start {
			rot += math.Pi
		}
	case "":
	default:
		if x, nn, err := scanNumber(o); err == nil {
			switch strings.TrimSpace(o[nn:]) {
			case "", "deg":
				rot = x * math.Pi / 180
			case "rad":
				rot = x
			case "grad":
				rot = x * math.Pi / 200
			case "turn":
				rot = x * 2 * math.Pi
			}
		}
	}
	m := st.m.Mul(Matrix{A: 1, D: 1, E: p.X, F: p.Y}).Mul(Matrix{A: math.Cos(rot), B: math.Sin(rot), C: -math.Sin(rot), D: math.Cos(rot)})
	if strings.TrimSpace(mk.decls["markerUnits"]) != "userSpaceOnUse" {
		m = m.Mul(Matrix{A: st.stroke2.width, D: st.stroke2.width})
	}
	vbm := Identity
	vw, vh := mw, mh
	clip := rectPath(0, 0, mw, mh)
	if vb, ok := mk.decls["viewBox"]; ok {
		if v, ok := parseViewBox(vb); ok {
			vbm = viewBoxTransform(v, mk.decls["preserveAspectRatio"], 0, 0, mw, mh)
			vw, vh = v[2], v[3]
		}
	}
	// Percentages in refX/refY are of the viewport the marker is drawn in (as Chromium).
	refX := r.lengthAttr(mk, &style{vw: st.vw, vh: st.vh, fontSize: ms.fontSize}, "refX", 'x', 0)
	refY := r.lengthAttr(mk, &style{vw: st.vw, vh: st.vh, fontSize: ms.fontSize}, "refY", 'y', 0)
	rp := vbm.Apply(Point{refX, refY})
	m = m.Mul(Matrix{A: 1, D: 1, E: -rp.X, F: -rp.Y})
	outer := ms
	outer.m = m
	ms.m = m.Mul(vbm)
	ms.vw, ms.vh = vw, vh
	var vclip []Subpath
	if ov := overflowOf(mk); ov != "visible" && ov != "auto" {
		vclip = []Subpath{clip.Transform(m)}
	}
	r.groupClip(mk, outer, vclip, func() { r.renderChildren(mk, ms) })
}

// patternNeedsBox says whether pattern pat (with its href chain) is sized by the painted
// element's bounding box (patternUnits, or patternContentUnits without a viewBox).
func (r *reader) patternNeedsBox(pat *node) bool {
	get := func(k string) string {
		for c, i := pat, 0; c != nil && c.name == "pattern" && i < 16; c, i = r.ref(c), i+1 {
			if v, ok := c.attrs[k]; ok {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}
	if get("patternUnits") != "userSpaceOnUse" {
		return true
	}
	return get("patternContentUnits") == "objectBoundingBox" && get("viewBox") == ""
}

// overflowOf is n's overflow ("" when unset: the viewport's default, hidden); inherit takes
// the parent's, and visible (the property's initial value) when no ancestor sets it.
func overflowOf(n *node) string {
	for a := n; a != nil; a = a.parent {
		ov := strings.TrimSpace(a.decls["overflow"])
		if ov != "inherit" {
			if a != n && ov == "" {
				continue
			}
			return ov
		}
		if a.parent == nil {
			break
		}
	}
	return "visible"
}

// ellipse returns the closed ellipse as four quarter-arc cubics, starting at the rightmost
// point and turning clockwise on screen like SVG 2's equivalent path (§10.3).
func ellipse(cx, cy, rx, ry float64) Subpath {
	c := Point{cx, cy}
	segs := ellipseArc(c, rx, ry, 1, 0, 0, 2*math.Pi, 4, Point{cx + rx, cy}, Point{cx + rx, cy})
	return Subpath{Start: Point{cx + rx, cy}, Segs: segs}
}

// pointsSubpath reads a points attribute as an open polyline.
func pointsSubpath(pts string) (Subpath, error) {
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

// degenerate reports whether sp fills nothing: all its control points lie on one
// horizontal or vertical line (zero-width bounding box).
func degenerate(sp *Subpath) bool {
	lo, hi := sp.bounds()
	return hi.X-lo.X < 1e-9 || hi.Y-lo.Y < 1e-9
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

// Pattern tiling bounds: past them a pattern is drawn as its mean color (reported).
const (
	maxPatternTiles  = 1024
	maxPatternLayers = 64
	maxGradientTiles = 256 // tile copies drawn each with its own gradient (beyond: one shared, reported)
)

// patternTiles draws a pattern fill as layers: the tile's content is rendered once in tile
// coordinates (clipped to the tile unless overflow is visible), repeated over every tile the
// shape touches, one layer per content layer holding all its tiles, and intersected with the
// shape. It returns false when the pattern is too fine or complex (the caller approximates).
func (r *reader) patternTiles(n, pat *node, st style, opacity float64, evenOdd bool, subs []Subpath, bbox [4]float64, okbb bool, source string) bool {
	if r.active[pat] {
		return false
	}
	r.active[pat] = true
	defer delete(r.active, pat)
	chain := []*node{pat}
	for cur := pat; len(chain) < 16; {
		nx := r.ref(cur)
		if nx == nil || nx.name != "pattern" || r.active[nx] {
			break
		}
		chain = append(chain, nx)
		cur = nx
	}
	get := func(k string) (string, bool) {
		for _, c := range chain {
			if v, ok := c.attrs[k]; ok {
				return strings.TrimSpace(v), true
			}
		}
		return "", false
	}
	content := pat
	for _, c := range chain {
		if len(c.children) > 0 {
			content = c
			break
		}
	}
	ps := r.defStyle(content, st)
	obb := true
	if v, _ := get("patternUnits"); v == "userSpaceOnUse" {
		obb = false
	}
	frac := func(k string) (float64, bool) {
		v, ok := get(k)
		if !ok {
			return 0, false
		}
		x, nn, err := scanNumber(strings.TrimSuffix(v, "%"))
		if err != nil || nn != len(strings.TrimSuffix(v, "%")) {
			return 0, false
		}
		if strings.HasSuffix(v, "%") {
			x /= 100
		}
		return x, true
	}
	var x, y, w, h float64
	if obb {
		if !okbb || bbox[2] == 0 || bbox[3] == 0 {
			return false
		}
		fx, _ := frac("x")
		fy, _ := frac("y")
		fw, _ := frac("width")
		fh, _ := frac("height")
		x, y, w, h = bbox[0]+fx*bbox[2], bbox[1]+fy*bbox[3], fw*bbox[2], fh*bbox[3]
	} else {
		L := func(k string, axis byte) float64 {
			v, ok := get(k)
			if !ok {
				return 0
			}
			f, ok := length(v, axis, &ps)
			if !ok {
				return 0
			}
			return f
		}
		x, y, w, h = L("x", 'x'), L("y", 'y'), L("width", 'x'), L("height", 'y')
	}
	if !(w > 0 && h > 0) {
		return true // an empty tile paints nothing
	}
	pm := st.m
	if v, ok := get("patternTransform"); ok {
		if t, err := ParseTransform(cssTransform(v)); err == nil {
			pm = pm.Mul(r.withOrigin(pat, &style{vw: st.vw, vh: st.vh, fontSize: st.fontSize}, t))
		}
	}
	inv, ok := pm.inverse()
	if !ok {
		return true
	}
	cm := Identity
	if vb, ok := get("viewBox"); ok {
		if v, ok := parseViewBox(vb); ok {
			par, _ := get("preserveAspectRatio")
			cm = viewBoxTransform(v, par, 0, 0, w, h)
		}
	} else if v, _ := get("patternContentUnits"); v == "objectBoundingBox" {
		if !okbb {
			return true
		}
		cm = Matrix{A: bbox[2], D: bbox[3]}
	}
	// Tile content in tile coordinates.
	ps.m = cm
	ps.vw, ps.vh = w, h
	s := r.sub()
	s.renderChildren(content, ps)
	r.join(s)
	if r.err != nil {
		return true
	}
	tile := s.doc.Layers
	if ov, _ := get("overflow"); ov != "visible" && ov != "auto" {
		s.doc.Layers = tile
		s.clipLayers(content, 0, []Subpath{rectPath(0, 0, w, h)}, "pattern tile")
		tile = s.doc.Layers
	}
	if len(tile) == 0 {
		return true
	}
	if len(tile) > maxPatternLayers {
		return false
	}
	// The shape in root coordinates, and its box in pattern space.
	var shape []Subpath
	for _, sp := range subs {
		shape = append(shape, sp.Transform(st.m))
	}
	lo := Point{math.Inf(1), math.Inf(1)}
	hi := Point{math.Inf(-1), math.Inf(-1)}
	for _, sp := range shape {
		t := sp.Transform(inv)
		a, b := t.bounds()
		lo.X, lo.Y = math.Min(lo.X, a.X), math.Min(lo.Y, a.Y)
		hi.X, hi.Y = math.Max(hi.X, b.X), math.Max(hi.Y, b.Y)
	}
	// Content may overhang its tile when overflow is visible: widen by one tile.
	i0, i1 := math.Floor((lo.X-x)/w)-1, math.Ceil((hi.X-x)/w)+1
	j0, j1 := math.Floor((lo.Y-y)/h)-1, math.Ceil((hi.Y-y)/h)+1
	if !(finite(i0) && finite(i1) && finite(j0) && finite(j1)) || (i1-i0)*(j1-j0) > maxPatternTiles {
		return false
	}
	for _, tl := range tile {
		if tl.Paint != nil && (i1-i0)*(j1-j0) <= maxGradientTiles {
			// A gradient cell: one layer per tile copy, each with its own copy of the gradient.
			shapeNZ := nonzeroOf(shape, evenOdd)
			for i := i0; i < i1; i++ {
				for j := j0; j < j1; j++ {
					m := pm.Mul(Matrix{A: 1, D: 1, E: x + i*w, F: y + j*h})
					var cell []Subpath
					for _, sp := range tl.Subpaths {
						cell = append(cell, sp.Transform(m))
					}
					if r.nseg += segCount(cell); r.nseg > MaxSegments {
						r.err = errf(ErrLimit, -1, "more than %d segments", MaxSegments)
						return true
					}
					clipped, ok := intersect(cell, tl.EvenOdd, shapeNZ)
					if !ok {
						return false
					}
					if clipped = dropDegenerate(clipped); len(clipped) == 0 {
						continue
					}
					g := *tl.Paint
					g.M = m.Mul(g.M)
					l := Layer{Subpaths: clipped, Source: source, Crisp: st.crisp, Paint: &g}
					l.scaleAlpha(opacity)
					l.Fill = meanPaint(&l)
					r.doc.Layers = append(r.doc.Layers, l)
				}
			}
			continue
		}
		var all []Subpath
		var paint *Gradient
		for i := i0; i < i1; i++ {
			for j := j0; j < j1; j++ {
				m := pm.Mul(Matrix{A: 1, D: 1, E: x + i*w, F: y + j*h})
				for _, sp := range tl.Subpaths {
					all = append(all, sp.Transform(m))
				}
				if tl.Paint != nil && paint == nil {
					g := *tl.Paint
					g.M = m.Mul(g.M)
					paint = &g // one tile's gradient (the others repeat it; approximated)
				}
			}
		}
		if segCount(all) > maxBooleanSegs {
			return false
		}
		if r.nseg += segCount(all); r.nseg > MaxSegments {
			r.err = errf(ErrLimit, -1, "more than %d segments", MaxSegments)
			return true
		}
		clipped, ok := intersect(all, tl.EvenOdd, nonzeroOf(shape, evenOdd))
		if !ok && !evenOdd {
			// A stroke outline overlaps itself (inner joins pass through the vertex): cut by
			// the area it covers instead.
			if g, ok2 := settleNonzero(shape); ok2 {
				clipped, ok = intersect(all, tl.EvenOdd, g)
			}
		}
		if !ok {
			return false
		}
		clipped = dropDegenerate(clipped)
		if len(clipped) == 0 {
			continue
		}
		l := Layer{Fill: tl.Fill, Subpaths: clipped, Source: source, Crisp: st.crisp}
		if paint != nil {
			l.Paint = paint
			r.note(n, "pattern tiles with gradients share one tile's gradient")
		}
		l.scaleAlpha(opacity)
		if l.Paint != nil {
			l.Fill = meanPaint(&l)
		}
		r.doc.Layers = append(r.doc.Layers, l)
	}
	return true
}

// nonzeroOf returns subs as a nonzero fill (settling an evenodd one).
func nonzeroOf(subs []Subpath, evenOdd bool) []Subpath {
	if !evenOdd {
		return subs
	}
	if g, ok := settle(subs); ok {
		return g
	}
	return subs
}

// devMap is the linear map from user space under m to device pixels, for building strokes.
func (r *reader) devMap(m Matrix) devMap {
	s := r.strokeScale
	return devMap{m.A * s, m.B * s, m.C * s, m.D * s}
}

// dashTol is Skia's chord tolerance for measuring dashes (half a device pixel) in the user
// space m maps to root coordinates, at the device scale the document is drawn at.

func (r *reader) dashTol(m Matrix) float64 {
	s := math.Max(math.Hypot(m.A, m.B), math.Hypot(m.C, m.D)) * r.scale
	if !(s > 0) || !finite(s) {
		return skiaTolerance
	}
	return skiaTolerance / s
}

// zeroDashDots returns the caps of the zero-length dashes of a dash pattern (the dash cutter
// drops them, but with round or square caps each draws a dot: the "0 4" dotted-line idiom).
// Square caps are drawn axis-aligned.
func zeroDashDots(subs []Subpath, info []openInfo, offset float64, d []float64, st strokeStyle, tol float64) []Subpath {
	hasZero := false
	for i, v := range d {
		if v == 0 && (i%2 == 0 || len(d)%2 == 1) {
			hasZero = true
		}
	}
	if !hasZero {
		return nil
	}
	if len(d)%2 == 1 {
		d = append(append([]float64(nil), d...), d...)
	}
	period := 0.0
	for _, v := range d {
		period += v
	}
	if !(period > 0) {
		return nil
	}
	if !(tol > 0) {
		return nil
	}
	var out []Subpath
	budget := maxFlattenPoints
	for i, sp := range subs {
		closed := !(i < len(info) && info[i].open)
		if !closed && info[i].addedClose && len(sp.Segs) > 0 {
			sp.Segs = sp.Segs[:len(sp.Segs)-1]
		}
		if len(sp.Segs) == 0 {
			continue
		}
		c, ok := newContour(sp.Start, sp.Segs, tol, &budget)
		if !ok {
			return nil
		}
		total := c.total
		if total/period > 1e4 {
			return nil // too many dots: left to the solid fallback's report
		}
		// Pattern position at the path start: the offset shifts the pattern backwards.
		t := -math.Mod(offset, period)
		if t > 0 {
			t -= period
		}
		k := 0
		for t <= total+1e-9 && len(out) < 1e5 {
			if d[k] == 0 && k%2 == 0 && t >= -1e-9 {
				out = append(out, dot(c.at(math.Min(math.Max(t, 0), total)), st.width/2, st.cap))
			}
			t += d[k]
			k = (k + 1) % len(d)
		}
	}
	return out
}
