package ui

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/lamina-ml/lamina/vector"
)

// ErrEmptyImport is returned for an SVG with no filled shape the editor can show.
var ErrEmptyImport = errors.New("ui: the SVG has no filled shapes")

// ImportSVG reads an outside SVG through the vector pipeline: each filled shape becomes a
// layer with its transforms applied (strokes, gradients and the like are dropped; see
// vector.Document.Unsupported).
//
// Transforms are baked into the path coordinates (the layer's own Transform is identity):
// the picture is the same, and an exported layer's transform="matrix(…)" comes back as
// moved coordinates. Shapes hidden by display="none" or visibility="hidden" (attribute or
// style, on the shape or inherited from a group) come back as hidden layers, so an
// export → import round trip keeps what the layers panel showed. Lock is the editor's own
// state and is not in the SVG: imported layers are unlocked.
func ImportSVG(data []byte) (*Document, error) {
	v, err := vector.ParseSVG(data)
	if err != nil {
		return nil, err
	}
	if len(v.Layers) == 0 {
		return nil, ErrEmptyImport
	}
	d := FromVector(v)
	for i, h := range hiddenLayers(data, v) {
		d.Layers[i].Hidden = h
	}
	return d, nil
}

// hiddenMark is how far (in the parent's user units) a hidden shape is moved in the
// marked copy of the document: far enough to change every coordinate of its layers, small
// enough to lose no precision a drawing has.
const hiddenMark = 1024

// hiddenLayers says which of v's layers come from hidden shapes. vector.ParseSVG ignores
// display and visibility and does not say which element a layer came from (a shape can give
// 0, 1 or 2 layers), so the document is parsed a second time with every hidden shape
// wrapped in <g transform="translate(…)">: the layers whose coordinates moved are the
// hidden ones. It returns nil when nothing is hidden or the marked copy does not line up.
func hiddenLayers(data []byte, v *vector.Document) []bool {
	marked, ok := markHidden(data)
	if !ok {
		return nil
	}
	w, err := vector.ParseSVG(marked)
	if err != nil || len(w.Layers) != len(v.Layers) {
		return nil
	}
	out := make([]bool, len(v.Layers))
	for i := range v.Layers {
		out[i] = !sameSubpaths(v.Layers[i].Subpaths, w.Layers[i].Subpaths)
	}
	return out
}

func sameSubpaths(a, b []vector.Subpath) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Start != b[i].Start || len(a[i].Segs) != len(b[i].Segs) {
			return false
		}
		for j := range a[i].Segs {
			if a[i].Segs[j] != b[i].Segs[j] {
				return false
			}
		}
	}
	return true
}

// markHidden returns data with every rendered shape element that is hidden wrapped in a
// translating group, and whether there was any. It mirrors which elements
// vector.ParseSVG draws: shapes inside svg and g, nothing inside definitions or unknown
// elements.
func markHidden(data []byte) ([]byte, bool) {
	type state struct {
		none   bool   // display:none here or on an ancestor (display is not inherited, but none removes the subtree)
		vis    string // inherited visibility
		render bool   // content is drawn (not inside defs, clipPath, an unknown element, a shape)
		mark   bool   // this element is a hidden shape being wrapped
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	stack := []state{{vis: "visible", render: true}}
	type span struct{ start, end int64 }
	var spans []span
	for {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false // vector.ParseSVG reports it
		}
		switch t := tok.(type) {
		case xml.StartElement:
			p := stack[len(stack)-1]
			st := state{none: p.none, vis: p.vis}
			display, visibility := displayDecls(t.Attr)
			if display == "none" {
				st.none = true
			}
			if visibility != "" && visibility != "inherit" {
				st.vis = visibility
			}
			name := t.Name.Local
			switch {
			case !p.render:
			case name == "svg" || name == "g":
				st.render = true
			case isShapeElement(name):
				// The root cannot be wrapped; a hidden root hides its shapes, which are.
				st.mark = len(stack) > 1 && (st.none || st.vis == "hidden" || st.vis == "collapse")
				if st.mark {
					spans = append(spans, span{start: off})
				}
			}
			stack = append(stack, st)
		case xml.EndElement:
			if len(stack) > 1 {
				if stack[len(stack)-1].mark {
					spans[len(spans)-1].end = dec.InputOffset()
				}
				stack = stack[:len(stack)-1]
			}
		}
	}
	if len(spans) == 0 {
		return nil, false
	}
	open := `<g transform="translate(` + strconv.Itoa(hiddenMark) + " " + strconv.Itoa(hiddenMark) + `)">`
	const closing = `</g>`
	var b bytes.Buffer
	b.Grow(len(data) + len(spans)*(len(open)+len(closing)))
	last := int64(0)
	for _, s := range spans {
		if s.end <= s.start || s.start < last || s.end > int64(len(data)) {
			return nil, false
		}
		b.Write(data[last:s.start])
		b.WriteString(open)
		b.Write(data[s.start:s.end])
		b.WriteString(closing)
		last = s.end
	}
	b.Write(data[last:])
	return b.Bytes(), true
}

func isShapeElement(name string) bool {
	switch name {
	case "path", "circle", "ellipse", "rect", "polygon", "polyline", "line":
		return true
	}
	return false
}

// displayDecls returns an element's display and visibility, the style="" declaration
// winning over the presentation attribute (CSS cascade), lower-cased and trimmed.
func displayDecls(attrs []xml.Attr) (display, visibility string) {
	for _, a := range attrs {
		if a.Name.Space != "" {
			continue
		}
		switch a.Name.Local {
		case "display":
			display = a.Value
		case "visibility":
			visibility = a.Value
		}
	}
	for _, a := range attrs {
		if a.Name.Space != "" || a.Name.Local != "style" {
			continue
		}
		for _, decl := range strings.Split(a.Value, ";") {
			k, v, ok := strings.Cut(decl, ":")
			if !ok {
				continue
			}
			v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "!important"))
			switch strings.TrimSpace(strings.ToLower(k)) {
			case "display":
				display = v
			case "visibility":
				visibility = v
			}
		}
	}
	return strings.ToLower(strings.TrimSpace(display)), strings.ToLower(strings.TrimSpace(visibility))
}
