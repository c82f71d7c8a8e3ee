// Package ui is lamina's layer editor as plain Go: the document of layers, selection,
// transforms, undo/redo for every action (model actions included), keyboard shortcuts,
// autosave serialization and a recorded display list. It has no platform code, so it is
// tested natively; ui/editorwasm replays the display list with ebiten and builds the DOM
// panels in the browser, and native tests replay it to PNG (raster.go) for golden images.
package ui

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"github.com/lamina-ml/lamina/vector"
)

// Layer is one filled shape of the document. Its geometry is kept as the model or an import
// produced it; moves, scales and rotations only change Transform, so they are exact and
// undoable without touching path data.
type Layer struct {
	ID        int    // unique within the document, stable across reorders (selection uses it)
	Name      string // shown in the layers panel; renamable
	Hidden    bool
	Locked    bool // not selectable on the canvas, kept by "Regenerate unlocked"
	Fill      vector.RGBA
	EvenOdd   bool
	Subpaths  []vector.Subpath // user-space (viewBox) outlines; never mutated in place
	Transform vector.Matrix    // applied to Subpaths when drawn and exported
}

// Document is the edited drawing: layers in paint order (index 0 is painted first).
type Document struct {
	ViewBox [4]float64
	Layers  []Layer
	NextID  int
}

// DefaultViewBox is the square the diffusion model draws in (Twemoji's 36×36).
var DefaultViewBox = [4]float64{0, 0, 36, 36}

// NewDocument returns an empty drawing in the model's viewBox.
func NewDocument() *Document { return &Document{ViewBox: DefaultViewBox, NextID: 1} }

// Clone copies d. Subpath slices are shared: nothing mutates them in place.
func (d *Document) Clone() *Document {
	c := *d
	c.Layers = append([]Layer(nil), d.Layers...)
	return &c
}

// Index returns the paint-order index of the layer with id, or -1.
func (d *Document) Index(id int) int {
	for i := range d.Layers {
		if d.Layers[i].ID == id {
			return i
		}
	}
	return -1
}

// newLayer gives l a fresh ID and, when it has none, a name that says what it draws
// (DescribeLayer), numbered when another layer has it. names holds the names in use (nil:
// d's layers'); the new name is added to it.
func (d *Document) newLayer(l Layer, names map[string]bool) Layer {
	if d.NextID < 1 {
		d.NextID = 1
	}
	l.ID = d.NextID
	d.NextID++
	if l.Transform == (vector.Matrix{}) {
		l.Transform = vector.Identity
	}
	if l.Name == "" {
		if names == nil {
			names = d.names()
		}
		l.Name = uniqueName(DescribeLayer(&l, d.ViewBox), names)
	}
	if names != nil {
		names[l.Name] = true
	}
	return l
}

// names is the set of the layers' names.
func (d *Document) names() map[string]bool {
	m := make(map[string]bool, len(d.Layers))
	for i := range d.Layers {
		m[d.Layers[i].Name] = true
	}
	return m
}

// FromVector builds an editable document from a parsed or generated one.
func FromVector(v *vector.Document) *Document {
	d := &Document{ViewBox: v.ViewBox, NextID: 1}
	names := map[string]bool{}
	for _, vl := range v.Layers {
		d.Layers = append(d.Layers, d.newLayer(Layer{Fill: vl.Fill, EvenOdd: vl.EvenOdd, Subpaths: vl.Subpaths}, names))
	}
	return d
}

// ToVector returns every layer (hidden ones too, so indices match) with its transform
// applied, for the model's edit operations and the rasterizer.
func (d *Document) ToVector() *vector.Document {
	v := &vector.Document{ViewBox: d.ViewBox, Layers: make([]vector.Layer, len(d.Layers))}
	for i, l := range d.Layers {
		v.Layers[i] = vector.Layer{Fill: l.Fill, EvenOdd: l.EvenOdd, Subpaths: l.transformed(), Source: "path"}
	}
	return v
}

// transformed returns the layer's subpaths with its transform applied.
func (l *Layer) transformed() []vector.Subpath {
	if l.Transform == vector.Identity {
		return l.Subpaths
	}
	out := make([]vector.Subpath, len(l.Subpaths))
	for i, sp := range l.Subpaths {
		out[i] = sp.Transform(l.Transform)
	}
	return out
}

// Bounds is the bounding box of the layer's transformed outline (flattened, so tight).
func (l *Layer) Bounds() (lo, hi vector.Point, ok bool) {
	var pts []vector.Point
	for _, sp := range l.transformed() {
		pts = sp.Flatten(pts, flattenTol)
	}
	if len(pts) == 0 {
		return lo, hi, false
	}
	lo, hi = pts[0], pts[0]
	for _, p := range pts[1:] {
		lo.X, lo.Y = math.Min(lo.X, p.X), math.Min(lo.Y, p.Y)
		hi.X, hi.Y = math.Max(hi.X, p.X), math.Max(hi.Y, p.Y)
	}
	return lo, hi, true
}

// flattenTol is the chord tolerance in user units for hit testing and bounds: 0.01 of a
// 36-unit drawing is well under a screen pixel at any size the editor shows it.
const flattenTol = 0.01

// Contains reports whether user-space point p is inside the layer's fill.
func (l *Layer) Contains(p vector.Point) bool {
	inv, ok := l.Transform.Invert()
	if !ok {
		return false
	}
	q := inv.Apply(p)
	wind := 0
	var pts []vector.Point
	for _, sp := range l.Subpaths {
		pts = sp.Flatten(pts[:0], flattenTol)
		wind += winding(pts, q)
	}
	if l.EvenOdd {
		return wind&1 != 0
	}
	return wind != 0
}

// winding is the winding number of the closed polygon pts around q (Sunday's crossing rule).
func winding(pts []vector.Point, q vector.Point) int {
	w := 0
	for i := range pts {
		a, b := pts[i], pts[(i+1)%len(pts)]
		side := (b.X-a.X)*(q.Y-a.Y) - (q.X-a.X)*(b.Y-a.Y)
		if a.Y <= q.Y {
			if b.Y > q.Y && side > 0 {
				w++
			}
		} else if b.Y <= q.Y && side < 0 {
			w--
		}
	}
	return w
}

// numDigits is the precision of exported numbers: 1/1000 of a unit of a 36-unit drawing.
const numDigits = 3

func fmtNum(v float64, digits int) string {
	if math.Abs(v) < 0.5*math.Pow(10, -float64(digits)) {
		return "0"
	}
	s := strconv.FormatFloat(v, 'f', digits, 64)
	for len(s) > 1 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

func matrixAttr(m vector.Matrix) string {
	return "matrix(" + fmtNum(m.A, 6) + " " + fmtNum(m.B, 6) + " " + fmtNum(m.C, 6) + " " +
		fmtNum(m.D, 6) + " " + fmtNum(m.E, numDigits) + " " + fmtNum(m.F, numDigits) + ")"
}

// SVG writes the document: one <path> per layer in paint order with id="layer-i",
// data-layer="i" (paint order), data-name, the fill, fill-opacity below 1, the fill rule,
// transform="matrix(…)" unless identity, and display="none" for hidden layers (kept so an
// export round-trips what the panel shows).
func (d *Document) SVG() []byte {
	var b bytes.Buffer
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="`)
	for i, v := range d.ViewBox {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(fmtNum(v, 6))
	}
	b.WriteString(`">`)
	for i := range d.Layers {
		b.WriteString("\n")
		d.Layers[i].writePath(&b, i)
	}
	b.WriteString("\n</svg>\n")
	return b.Bytes()
}

// thumbPad is the room a thumbnail leaves around its layer, as a share of the layer's
// larger side; thumbMinShare the smallest thumbnail frame, as a share of the artboard's
// larger side (a dot stays a dot rather than filling the square).
const (
	thumbPad      = 0.08
	thumbMinShare = 0.05
)

// ThumbBox is the square user-space frame (x, y, side) of layer i's thumbnail: its bounds,
// centered, with thumbPad around them; the document's viewBox for a layer with no outline.
func (d *Document) ThumbBox(i int) [4]float64 {
	lo, hi, ok := d.Layers[i].Bounds()
	if !ok {
		return d.ViewBox
	}
	side := math.Max(hi.X-lo.X, hi.Y-lo.Y) * (1 + 2*thumbPad)
	side = math.Max(side, thumbMinShare*math.Max(d.ViewBox[2], d.ViewBox[3]))
	cx, cy := (lo.X+hi.X)/2, (lo.Y+hi.Y)/2
	return [4]float64{cx - side/2, cy - side/2, side, side}
}

// LayerSVG is a standalone SVG of layer i alone, framed on its bounds (ThumbBox), so small
// layers fill the layers panel's thumbnail rather than being dots on the artboard.
func (d *Document) LayerSVG(i int) string {
	var b bytes.Buffer
	vb := d.ThumbBox(i)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="%s %s %s %s">`,
		fmtNum(vb[0], 6), fmtNum(vb[1], 6), fmtNum(vb[2], 6), fmtNum(vb[3], 6))
	l := d.Layers[i]
	l.Hidden = false
	l.writePath(&b, i)
	b.WriteString("</svg>")
	return b.String()
}

func (l *Layer) writePath(b *bytes.Buffer, i int) {
	id := strconv.Itoa(i)
	b.WriteString(`<path id="layer-` + id + `" data-layer="` + id + `" data-name="` + xmlEscape(l.Name) + `" fill="` + l.Fill.Hex() + `"`)
	if a := clamp01(l.Fill.A); a < 1 {
		b.WriteString(` fill-opacity="` + fmtNum(a, 4) + `"`)
	}
	if l.EvenOdd {
		b.WriteString(` fill-rule="evenodd"`)
	}
	if l.Transform != vector.Identity {
		b.WriteString(` transform="` + matrixAttr(l.Transform) + `"`)
	}
	if l.Hidden {
		b.WriteString(` display="none"`)
	}
	b.WriteString(` d="` + vector.PathData(l.Subpaths) + `"/>`)
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func clamp01(x float64) float64 {
	if !(x > 0) {
		return 0
	}
	return math.Min(x, 1)
}
