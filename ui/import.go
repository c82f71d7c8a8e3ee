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
// style, on the shape or inherited from a group) come back as hidden layers, and a shape's
// data-name (the export writes the layer name there) names its layers, so an export →
// import round trip keeps what the layers panel showed. Lock is the editor's own state and
// is not in the SVG: imported layers are unlocked.
func ImportSVG(data []byte) (*Document, error) {
	d, _, err := ImportSVGWithReport(data)
	return d, err
}

// ImportSVGWithReport is ImportSVG that also returns what the reader approximated or did not
// draw, one entry per element and issue ("<text#t> not drawn (element not supported)"; see
// vector.Document.Unsupported). Gradient fills come in as their mean color (the editor's
// layers are solid). ImportStatus turns the result into the editor's status line.
func ImportSVGWithReport(data []byte) (*Document, []string, error) {
	v, err := vector.ParseSVGWith(data, vector.ParseOptions{KeepHidden: true})
	if err != nil {
		return nil, nil, err
	}
	d, err := importVector(data, v)
	if err != nil {
		return nil, nil, err
	}
	unsup := append([]string(nil), v.Unsupported...)
	for _, l := range v.Layers {
		if l.Paint != nil {
			unsup = append(unsup, "gradient fills imported as their mean color")
			break
		}
	}
	return d, unsup, nil
}

// maxStatusItems is how many unsupported entries the status line names before "and N more".
const maxStatusItems = 3

// ImportStatus is the status line after importing layers layers from from (a file name,
// "the clipboard"): it says how many layers came in and, when the reader left anything out
// or approximated it, how many things and the first few of them, so nothing is dropped
// without a word.
func ImportStatus(layers int, unsupported []string, from string) string {
	s := "Imported " + strconv.Itoa(layers) + " layers from " + from + "."
	if len(unsupported) == 0 {
		return s
	}
	items := unsupported
	if len(items) > maxStatusItems {
		items = items[:maxStatusItems]
	}
	s += " " + strconv.Itoa(len(unsupported)) + " thing"
	if len(unsupported) > 1 {
		s += "s"
	}
	s += " not drawn as in the file: " + strings.Join(items, "; ")
	if more := len(unsupported) - len(items); more > 0 {
		s += "; and " + strconv.Itoa(more) + " more"
	}
	return s + "."
}

func importVector(data []byte, v *vector.Document) (*Document, error) {
	if len(v.Layers) == 0 {
		return nil, ErrEmptyImport
	}
	d := FromVector(v)
	shapes, ok := walkShapes(data)
	if !ok {
		return d, nil
	}
	for i, h := range movedLayers(data, v, shapes, func(s *shape) bool { return s.hidden }) {
		d.Layers[i].Hidden = h
	}
	named := layerNames(data, v, shapes)
	if len(named) == 0 {
		return d, nil
	}
	// The file's names win; the others say what they draw, numbered past the file's.
	names := map[string]bool{}
	for i, name := range named {
		if name != "" {
			d.Layers[i].Name = name
			names[name] = true
		}
	}
	for i := range d.Layers {
		if i >= len(named) || named[i] == "" {
			l := &d.Layers[i]
			l.Name = uniqueName(DescribeLayer(l, d.ViewBox), names)
			names[l.Name] = true
		}
	}
	return d, nil
}

// shapeMark is how far (in the parent's user units) a marked shape is moved in a marked
// copy of the document: far enough to change every coordinate of its layers, small enough
// to lose no precision a drawing has.
const shapeMark = 1024

// maxNamedShapes bounds the parses spent recovering names: one per bit of a shape's index.
const maxNamedShapes = 1 << 12

// shape is one element vector.ParseSVG draws, with its byte span in the document.
type shape struct {
	start, end int64
	hidden     bool   // display:none or visibility:hidden in effect
	name       string // data-name (the editor's export writes the layer name there)
}

// movedLayers says which of v's layers come from the shapes mark selects. vector.ParseSVG
// does not say which element a layer came from (a shape gives 0, 1 or 2 layers), so the
// document is parsed again with the selected shapes wrapped in <g transform="translate(…)">:
// the layers whose coordinates moved are theirs. It returns nil when no shape is selected
// or the marked copy does not line up.
func movedLayers(data []byte, v *vector.Document, shapes []shape, mark func(*shape) bool) []bool {
	open := []byte(`<g transform="translate(` + strconv.Itoa(shapeMark) + " " + strconv.Itoa(shapeMark) + `)">`)
	closing := []byte(`</g>`)
	var b bytes.Buffer
	last, any := int64(0), false
	for i := range shapes {
		s := &shapes[i]
		if !mark(s) {
			continue
		}
		any = true
		b.Write(data[last:s.start])
		b.Write(open)
		b.Write(data[s.start:s.end])
		b.Write(closing)
		last = s.end
	}
	if !any {
		return nil
	}
	b.Write(data[last:])
	w, err := vector.ParseSVGWith(b.Bytes(), vector.ParseOptions{KeepHidden: true})
	if err != nil || len(w.Layers) != len(v.Layers) {
		return nil
	}
	out := make([]bool, len(v.Layers))
	for i := range v.Layers {
		out[i] = !sameSubpaths(v.Layers[i].Subpaths, w.Layers[i].Subpaths)
	}
	return out
}

// layerNames recovers the data-name of the shape each layer came from, so layer names
// survive an export → import round trip: which shape gave a layer is found bit by bit,
// one marked parse per bit of the shape's index. It returns nil when no shape is named.
func layerNames(data []byte, v *vector.Document, shapes []shape) []string {
	named := false
	for i := range shapes {
		named = named || shapes[i].name != ""
	}
	if !named || len(shapes) > maxNamedShapes {
		return nil
	}
	idx := make([]int, len(v.Layers))
	for bit := 0; 1<<bit < len(shapes); bit++ {
		k := 0
		moved := movedLayers(data, v, shapes, func(s *shape) bool { k++; return (k-1)>>bit&1 == 1 })
		if moved == nil {
			return nil
		}
		for i, m := range moved {
			if m {
				idx[i] |= 1 << bit
			}
		}
	}
	out := make([]string, len(v.Layers))
	for i, k := range idx {
		if k >= len(shapes) {
			return nil
		}
		if len(shapes[k].name) <= maxNameBytes {
			out[i] = shapes[k].name
		}
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

// walkShapes lists the shape elements vector.ParseSVG draws, in document order (shapes
// inside svg and g; nothing inside definitions or unknown elements), with their byte spans,
// whether they are hidden and their data-name. ok is false when the document does not
// parse (vector.ParseSVG reports why) or has no shape but the root.
func walkShapes(data []byte) (shapes []shape, ok bool) {
	type state struct {
		none   bool   // display:none here or on an ancestor (display is not inherited, but none removes the subtree)
		vis    string // inherited visibility
		render bool   // content is drawn (not inside defs, clipPath, an unknown element, a shape)
		shape  int    // index in shapes of this element, -1 if it is not one
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	stack := []state{{vis: "visible", render: true, shape: -1}}
	for {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			p := stack[len(stack)-1]
			st := state{none: p.none, vis: p.vis, shape: -1}
			display, visibility, name := displayDecls(t.Attr)
			if display == "none" {
				st.none = true
			}
			if visibility != "" && visibility != "inherit" {
				st.vis = visibility
			}
			el := t.Name.Local
			switch {
			case !p.render:
			case el == "svg" || el == "g":
				st.render = true
			case isShapeElement(el) && len(stack) > 1: // the root cannot be wrapped
				st.shape = len(shapes)
				shapes = append(shapes, shape{start: off, hidden: st.none || st.vis == "hidden" || st.vis == "collapse", name: name})
			}
			stack = append(stack, st)
		case xml.EndElement:
			if len(stack) > 1 {
				if i := stack[len(stack)-1].shape; i >= 0 {
					shapes[i].end = dec.InputOffset()
				}
				stack = stack[:len(stack)-1]
			}
		}
	}
	for _, s := range shapes {
		if s.end <= s.start || s.end > int64(len(data)) {
			return nil, false
		}
	}
	return shapes, len(shapes) > 0
}

func isShapeElement(name string) bool {
	switch name {
	case "path", "circle", "ellipse", "rect", "polygon", "polyline", "line":
		return true
	}
	return false
}

// displayDecls returns an element's display and visibility, the style="" declaration
// winning over the presentation attribute (CSS cascade), lower-cased and trimmed, and its
// data-name.
func displayDecls(attrs []xml.Attr) (display, visibility, name string) {
	for _, a := range attrs {
		if a.Name.Space != "" {
			continue
		}
		switch a.Name.Local {
		case "display":
			display = a.Value
		case "visibility":
			visibility = a.Value
		case "data-name":
			name = a.Value
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
	return strings.ToLower(strings.TrimSpace(display)), strings.ToLower(strings.TrimSpace(visibility)), name
}
