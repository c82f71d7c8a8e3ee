package ui

import (
	"errors"
	"math"
	"sort"

	"github.com/lamina-ml/lamina/vector"
)

// Align is where Align puts each selected layer's box: an edge or the center of the
// target box on one axis.
type Align int

const (
	AlignLeft    Align = iota // left edges on the target's left edge
	AlignCenterH              // horizontal centers on the target's center
	AlignRight                // right edges on the target's right edge
	AlignTop                  // top edges on the target's top edge
	AlignMiddle               // vertical centers on the target's middle
	AlignBottom               // bottom edges on the target's bottom edge
)

var alignNames = map[Align]string{
	AlignLeft: "left", AlignCenterH: "center-h", AlignRight: "right",
	AlignTop: "top", AlignMiddle: "middle", AlignBottom: "bottom",
}

var alignLabels = map[Align]string{
	AlignLeft: "Align left", AlignCenterH: "Align centers", AlignRight: "Align right",
	AlignTop: "Align top", AlignMiddle: "Align middles", AlignBottom: "Align bottom",
}

func (a Align) String() string { return alignNames[a] }

// ParseAlign maps a name of String ("left", "center-h", …) to its Align.
func ParseAlign(s string) (Align, bool) {
	for a, n := range alignNames {
		if n == s {
			return a, true
		}
	}
	return 0, false
}

// ErrDistributeFew refuses distributing fewer than three layers (two have one gap,
// which is already equal).
var ErrDistributeFew = errors.New("ui: select at least three layers to distribute")

// errBadAlign is an Align value outside the six.
var errBadAlign = errors.New("ui: unknown alignment")

// boxed is a selected layer's ID with its bounding box.
type boxed struct {
	id     int
	lo, hi vector.Point
}

// selectedBoxes returns the selected layers that have an outline, in paint order.
func (e *Editor) selectedBoxes() []boxed {
	var bs []boxed
	for i := range e.Doc.Layers {
		l := &e.Doc.Layers[i]
		if !e.sel[l.ID] {
			continue
		}
		if lo, hi, ok := l.Bounds(); ok {
			bs = append(bs, boxed{l.ID, lo, hi})
		}
	}
	return bs
}

// translateLayers moves each layer in moves by its offset, as one undo step (zero offsets
// included, so the step is there even when nothing had to move).
func (e *Editor) translateLayers(label string, moves map[int]vector.Point) error {
	return e.apply(label, func(d *Document) error {
		for i := range d.Layers {
			if m, ok := moves[d.Layers[i].ID]; ok {
				d.Layers[i].Transform = translate(m.X, m.Y).Mul(d.Layers[i].Transform)
			}
		}
		return nil
	})
}

// Align lines up the selected layers' boxes on the selection's bounding box (one layer
// selected: on the artboard, the viewBox), as one undo step. A selection with a locked
// layer is refused with ErrLocked.
func (e *Editor) Align(a Align) error {
	if e.busy {
		return ErrBusy
	}
	if _, ok := alignNames[a]; !ok {
		return errBadAlign
	}
	if len(e.sel) == 0 {
		return errNoSelection
	}
	if err := e.refuseLocked(); err != nil {
		return err
	}
	bs := e.selectedBoxes()
	if len(bs) == 0 {
		return errNoSelection
	}
	var lo, hi vector.Point
	if len(bs) == 1 {
		vb := e.Doc.ViewBox
		lo, hi = vector.Point{X: vb[0], Y: vb[1]}, vector.Point{X: vb[0] + vb[2], Y: vb[1] + vb[3]}
	} else {
		lo, hi = bs[0].lo, bs[0].hi
		for _, b := range bs[1:] {
			lo.X, lo.Y = math.Min(lo.X, b.lo.X), math.Min(lo.Y, b.lo.Y)
			hi.X, hi.Y = math.Max(hi.X, b.hi.X), math.Max(hi.Y, b.hi.Y)
		}
	}
	moves := make(map[int]vector.Point, len(bs))
	for _, b := range bs {
		var m vector.Point
		switch a {
		case AlignLeft:
			m.X = lo.X - b.lo.X
		case AlignCenterH:
			m.X = (lo.X+hi.X)/2 - (b.lo.X+b.hi.X)/2
		case AlignRight:
			m.X = hi.X - b.hi.X
		case AlignTop:
			m.Y = lo.Y - b.lo.Y
		case AlignMiddle:
			m.Y = (lo.Y+hi.Y)/2 - (b.lo.Y+b.hi.Y)/2
		case AlignBottom:
			m.Y = hi.Y - b.hi.Y
		}
		moves[b.id] = m
	}
	return e.translateLayers(alignLabels[a], moves)
}

// Distribute spaces three or more selected layers so the gaps between neighbouring boxes
// are equal along one axis (horizontal: x), as one undo step. Layers are ordered by their
// box's leading edge (ties: paint order); the first keeps its place and the last ends where
// the selection's box ends. Boxes wider together than that span get an equal negative gap.
func (e *Editor) Distribute(horizontal bool) error {
	if e.busy {
		return ErrBusy
	}
	if len(e.sel) == 0 {
		return errNoSelection
	}
	if err := e.refuseLocked(); err != nil {
		return err
	}
	bs := e.selectedBoxes()
	if len(bs) < 3 {
		return ErrDistributeFew
	}
	axis := func(p vector.Point) float64 {
		if horizontal {
			return p.X
		}
		return p.Y
	}
	sort.SliceStable(bs, func(i, j int) bool { return axis(bs[i].lo) < axis(bs[j].lo) })
	start, end, sum := axis(bs[0].lo), axis(bs[0].hi), 0.0
	for _, b := range bs {
		end = math.Max(end, axis(b.hi))
		sum += axis(b.hi) - axis(b.lo)
	}
	gap := (end - start - sum) / float64(len(bs)-1)
	moves := make(map[int]vector.Point, len(bs))
	at := start
	for _, b := range bs {
		d := at - axis(b.lo)
		if horizontal {
			moves[b.id] = vector.Point{X: d}
		} else {
			moves[b.id] = vector.Point{Y: d}
		}
		at += axis(b.hi) - axis(b.lo) + gap
	}
	label := "Distribute vertically"
	if horizontal {
		label = "Distribute horizontally"
	}
	return e.translateLayers(label, moves)
}
