package ui

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/lamina-ml/lamina/vector"
)

// ErrBusy is returned by commands while a model action is running: the result would
// otherwise land on a document the user changed meanwhile.
var ErrBusy = errors.New("ui: a model action is running")

// ErrLocked refuses a change to a locked layer: a lock blocks moving, resizing, rotating,
// nudging, deleting, refilling and changing opacity (hiding, renaming and unlocking stay).
var ErrLocked = errors.New("ui: the layer is locked (unlock it to change it)")

// maxHistory bounds the undo stack; snapshots share path data, so each costs one slice of
// layer headers.
const maxHistory = 200

// snapshot is a document and its selection, what undo restores.
type snapshot struct {
	doc   *Document
	sel   []int
	label string
}

// Editor is the editor's whole state: the document, the selection (layer IDs), the undo and
// redo stacks, an in-progress canvas gesture and a model preview. Every exported method that
// changes the document records one undo step.
type Editor struct {
	Doc     *Document
	sel     map[int]bool
	anchor  int // layer ID of the last plain or Mod click: where a Shift+click range starts
	undo    []snapshot
	redo    []snapshot
	gesture *gesture
	busy    bool
	Preview *vector.Document // the model's current estimate while it draws (not undoable)
	// Candidates are drawings GenerateCandidates offers to pick from (not undoable; nil when
	// none): PickCandidate makes one the document.
	Candidates []Candidate
	Revision   int // bumped on every change, so views know when to redraw and save
	// Replaced counts the times the whole drawing was replaced (Load, Generate,
	// PickCandidate; not their undo), so a view can fit the new drawing.
	Replaced int
	// Refusal is the last change refused because a layer is locked (ErrLocked), also for
	// actions that report no error (shortcuts, canvas gestures); the view shows it and
	// clears it.
	Refusal error
}

// selectionLocked reports whether any selected layer is locked.
func (e *Editor) selectionLocked() bool {
	for _, l := range e.Doc.Layers {
		if l.Locked && e.sel[l.ID] {
			return true
		}
	}
	return false
}

// refuseLocked returns ErrLocked (and records it in Refusal) when the selection holds a
// locked layer.
func (e *Editor) refuseLocked() error {
	if e.selectionLocked() {
		e.Refusal = ErrLocked
		return ErrLocked
	}
	return nil
}

// forUnlocked is forSelected for changes a lock blocks.
func (e *Editor) forUnlocked(label string, f func(l *Layer)) error {
	if err := e.refuseLocked(); err != nil {
		return err
	}
	return e.forSelected(label, f)
}

// New returns an editor on an empty document.
func New() *Editor { return &Editor{Doc: NewDocument(), sel: map[int]bool{}} }

// changed marks a redraw/autosave.
func (e *Editor) changed() { e.Revision++ }

func (e *Editor) snap(label string) snapshot {
	return snapshot{doc: e.Doc.Clone(), sel: e.Selected(), label: label}
}

// apply runs one undoable change: f mutates a copy that replaces the document if f succeeds.
func (e *Editor) apply(label string, f func(d *Document) error) error {
	if e.busy {
		return ErrBusy
	}
	e.cancelGesture()
	before := e.snap(label)
	d := e.Doc.Clone()
	if err := f(d); err != nil {
		return err
	}
	e.undo = append(e.undo, before)
	if len(e.undo) > maxHistory {
		e.undo = e.undo[len(e.undo)-maxHistory:]
	}
	e.redo = nil
	e.Doc = d
	e.pruneSelection()
	e.changed()
	return nil
}

// CanUndo / CanRedo report whether there is a step; UndoLabel names it for tooltips.
func (e *Editor) CanUndo() bool { return len(e.undo) > 0 && !e.busy }
func (e *Editor) CanRedo() bool { return len(e.redo) > 0 && !e.busy }

// UndoLabel is the name of the action Undo would revert ("" if none).
func (e *Editor) UndoLabel() string {
	if len(e.undo) == 0 {
		return ""
	}
	return e.undo[len(e.undo)-1].label
}

// Undo restores the document and selection before the last action.
func (e *Editor) Undo() bool {
	if e.busy {
		return false
	}
	if e.gesture != nil {
		e.cancelGesture()
		return true
	}
	if len(e.undo) == 0 {
		return false
	}
	s := e.undo[len(e.undo)-1]
	e.undo = e.undo[:len(e.undo)-1]
	e.redo = append(e.redo, e.snap(s.label))
	e.restore(s)
	return true
}

// Redo re-applies the last undone action.
func (e *Editor) Redo() bool {
	if e.busy || len(e.redo) == 0 {
		return false
	}
	e.cancelGesture()
	s := e.redo[len(e.redo)-1]
	e.redo = e.redo[:len(e.redo)-1]
	e.undo = append(e.undo, e.snap(s.label))
	e.restore(s)
	return true
}

func (e *Editor) restore(s snapshot) {
	e.Doc = s.doc
	e.sel = map[int]bool{}
	for _, id := range s.sel {
		e.sel[id] = true
	}
	e.pruneSelection()
	e.changed()
}

// Load replaces the document (an import or a restored autosave) as one undoable step,
// with nothing selected.
func (e *Editor) Load(d *Document, label string) error {
	err := e.apply(label, func(cur *Document) error {
		*cur = *d.Clone()
		return nil
	})
	if err == nil {
		e.sel = map[int]bool{} // a new drawing: its layer IDs may repeat the old ones'
		e.Replaced++
	}
	return err
}

// ResetHistory forgets undo/redo (after restoring an autosave at startup).
func (e *Editor) ResetHistory() { e.undo, e.redo = nil, nil }

// ---- selection ----

// Selected returns the selected layer IDs in paint order.
func (e *Editor) Selected() []int {
	var ids []int
	for _, l := range e.Doc.Layers {
		if e.sel[l.ID] {
			ids = append(ids, l.ID)
		}
	}
	return ids
}

// SelectedIndices returns the selected layers' paint-order indices, ascending.
func (e *Editor) SelectedIndices() []int {
	var idx []int
	for i, l := range e.Doc.Layers {
		if e.sel[l.ID] {
			idx = append(idx, i)
		}
	}
	return idx
}

// IsSelected reports whether layer id is selected.
func (e *Editor) IsSelected(id int) bool { return e.sel[id] }

// SelectMode says how a click combines with the selection.
type SelectMode int

// The conventions (Figma, Illustrator, file managers): in the layers panel a plain click
// selects only that row, Shift+click the contiguous rows from the anchor (the last row
// clicked without Shift) to this one, Mod+click toggles one row; on the canvas a plain click
// selects the shape and Shift+click toggles it (a range of shapes means nothing there).
const (
	SelectReplace SelectMode = iota // plain click: only this layer; it becomes the anchor
	SelectToggle                    // Mod+click (panel), Shift+click (canvas): add or remove one
	SelectRange                     // Shift+click in the panel: the rows from the anchor to this one
)

// Select applies a click on layer id (0 or unknown with SelectReplace clears). Selection is
// view state, not an undo step.
func (e *Editor) Select(id int, mode SelectMode) {
	i := e.Doc.Index(id)
	switch mode {
	case SelectToggle:
		if i >= 0 {
			e.sel[id] = !e.sel[id]
			e.anchor = id
		}
	case SelectRange:
		if i < 0 {
			return
		}
		a := e.Doc.Index(e.anchor)
		if a < 0 { // no anchor (or its layer is gone): the click starts one
			a, e.anchor = i, id
		}
		// The range replaces the selection and keeps its anchor, so Shift+clicking another
		// row re-draws the range from the same row (as file managers do).
		e.sel = map[int]bool{}
		for j := min(a, i); j <= max(a, i); j++ {
			e.sel[e.Doc.Layers[j].ID] = true
		}
	default:
		e.sel = map[int]bool{}
		e.anchor = 0
		if i >= 0 {
			e.sel[id] = true
			e.anchor = id
		}
	}
	e.pruneSelection()
	e.changed()
}

// SelectAll selects every visible, unlocked layer (what the canvas lets you touch).
func (e *Editor) SelectAll() {
	e.sel = map[int]bool{}
	for _, l := range e.Doc.Layers {
		if !l.Hidden && !l.Locked {
			e.sel[l.ID] = true
		}
	}
	e.changed()
}

// Deselect clears the selection (Esc).
func (e *Editor) Deselect() {
	if e.gesture != nil {
		e.cancelGesture()
		return
	}
	e.sel = map[int]bool{}
	e.changed()
}

// pruneSelection drops IDs that are gone.
func (e *Editor) pruneSelection() {
	for id := range e.sel {
		if e.Doc.Index(id) < 0 || !e.sel[id] {
			delete(e.sel, id)
		}
	}
}

// ---- layer commands ----

var errNoSelection = errors.New("ui: nothing selected")

// forSelected applies f to each selected layer, as one undo step.
func (e *Editor) forSelected(label string, f func(l *Layer)) error {
	if e.busy {
		return ErrBusy
	}
	if len(e.sel) == 0 {
		return errNoSelection
	}
	return e.apply(label, func(d *Document) error {
		for i := range d.Layers {
			if e.sel[d.Layers[i].ID] {
				f(&d.Layers[i])
			}
		}
		d.renameFollowing(e.Doc)
		return nil
	})
}

// SetHidden shows or hides layer id.
func (e *Editor) SetHidden(id int, hidden bool) error {
	return e.setFlag(id, func(l *Layer) { l.Hidden = hidden }, map[bool]string{true: "Hide", false: "Show"}[hidden])
}

// SetLocked locks or unlocks layer id. Locking deselects it (locked layers are not selectable).
func (e *Editor) SetLocked(id int, locked bool) error {
	err := e.setFlag(id, func(l *Layer) { l.Locked = locked }, map[bool]string{true: "Lock", false: "Unlock"}[locked])
	if err == nil && locked {
		delete(e.sel, id)
	}
	return err
}

func (e *Editor) setFlag(id int, f func(*Layer), label string) error {
	return e.apply(label, func(d *Document) error {
		i := d.Index(id)
		if i < 0 {
			return fmt.Errorf("ui: no layer %d", id)
		}
		f(&d.Layers[i])
		return nil
	})
}

// ToggleHiddenSelected hides the selection, or shows it if all of it is hidden (Mod+Shift+H).
func (e *Editor) ToggleHiddenSelected() error {
	all := e.allSelected(func(l *Layer) bool { return l.Hidden })
	return e.forSelected("Hide", func(l *Layer) { l.Hidden = !all })
}

// ToggleLockedSelected locks the selection, or unlocks it if all of it is locked (Mod+Shift+L).
func (e *Editor) ToggleLockedSelected() error {
	all := e.allSelected(func(l *Layer) bool { return l.Locked })
	return e.forSelected("Lock", func(l *Layer) { l.Locked = !all })
}

func (e *Editor) allSelected(pred func(*Layer) bool) bool {
	for i := range e.Doc.Layers {
		if e.sel[e.Doc.Layers[i].ID] && !pred(&e.Doc.Layers[i]) {
			return false
		}
	}
	return true
}

// Rename renames layer id.
func (e *Editor) Rename(id int, name string) error {
	if len(name) > maxNameBytes {
		name = name[:maxNameBytes]
	}
	return e.setFlag(id, func(l *Layer) { l.Name = name }, "Rename")
}

// SetFill sets the selection's fill color, keeping each layer's opacity.
func (e *Editor) SetFill(c vector.RGBA) error {
	return e.forUnlocked("Fill color", func(l *Layer) { l.Fill.R, l.Fill.G, l.Fill.B = c.R, c.G, c.B })
}

// SetOpacity sets the selection's fill opacity in [0,1].
func (e *Editor) SetOpacity(a float64) error {
	return e.forUnlocked("Opacity", func(l *Layer) { l.Fill.A = clamp01(a) })
}

// Delete removes the selected layers.
func (e *Editor) Delete() error {
	if e.busy {
		return ErrBusy
	}
	if len(e.sel) == 0 {
		return errNoSelection
	}
	if err := e.refuseLocked(); err != nil {
		return err
	}
	return e.apply("Delete", func(d *Document) error {
		out := d.Layers[:0:0]
		for _, l := range d.Layers {
			if !e.sel[l.ID] {
				out = append(out, l)
			}
		}
		d.Layers = out
		return nil
	})
}

// duplicateOffset moves a duplicate by 1/36 of the drawing so it is visibly a new shape.
const duplicateOffset = 1.0 / 36

// Duplicate copies each selected layer right above itself, offset slightly, and selects the copies.
func (e *Editor) Duplicate() error {
	if e.busy {
		return ErrBusy
	}
	if len(e.sel) == 0 {
		return errNoSelection
	}
	var copies []int
	off := duplicateOffset * math.Max(e.Doc.ViewBox[2], e.Doc.ViewBox[3])
	err := e.apply("Duplicate", func(d *Document) error {
		var out []Layer
		for _, l := range d.Layers {
			out = append(out, l)
			if e.sel[l.ID] {
				c := l
				c.Name = l.Name + " copy"
				c = d.newLayer(c, nil)
				c.Transform = translate(off, off).Mul(l.Transform)
				out = append(out, c)
				copies = append(copies, c.ID)
			}
		}
		d.Layers = out
		return nil
	})
	if err == nil {
		e.sel = map[int]bool{}
		for _, id := range copies {
			e.sel[id] = true
		}
	}
	return err
}

// BringForward moves each selected layer one step up the paint order (Mod+]), past the
// next unselected layer; BringBackward one step down (Mod+[).
func (e *Editor) BringForward() error { return e.shift(+1) }
func (e *Editor) SendBackward() error { return e.shift(-1) }
func (e *Editor) shift(dir int) error {
	if e.busy {
		return ErrBusy
	}
	if len(e.sel) == 0 {
		return errNoSelection
	}
	label := map[int]string{1: "Bring forward", -1: "Send backward"}[dir]
	return e.apply(label, func(d *Document) error {
		L := d.Layers
		n := len(L)
		if dir > 0 {
			for i := n - 2; i >= 0; i-- {
				if e.sel[L[i].ID] && !e.sel[L[i+1].ID] {
					L[i], L[i+1] = L[i+1], L[i]
				}
			}
		} else {
			for i := 1; i < n; i++ {
				if e.sel[L[i].ID] && !e.sel[L[i-1].ID] {
					L[i], L[i-1] = L[i-1], L[i]
				}
			}
		}
		return nil
	})
}

// Move moves layer id to paint-order index to (the panel's drag to reorder).
func (e *Editor) Move(id, to int) error {
	from := e.Doc.Index(id)
	if from < 0 || to < 0 || to >= len(e.Doc.Layers) {
		return fmt.Errorf("ui: cannot move layer %d to %d", id, to)
	}
	if from == to {
		return nil
	}
	return e.apply("Reorder", func(d *Document) error {
		l := d.Layers[from]
		L := append(d.Layers[:from:from], d.Layers[from+1:]...)
		L = append(L[:to], append([]Layer{l}, L[to:]...)...)
		d.Layers = L
		return nil
	})
}

// Nudge translates the selection by (dx, dy) user units (arrow keys).
func (e *Editor) Nudge(dx, dy float64) error {
	t := translate(dx, dy)
	return e.forUnlocked("Nudge", func(l *Layer) { l.Transform = t.Mul(l.Transform) })
}

// SetTransform replaces layer id's transform (scripted edits).
func (e *Editor) SetTransform(id int, m vector.Matrix) error {
	if i := e.Doc.Index(id); i >= 0 && e.Doc.Layers[i].Locked {
		e.Refusal = ErrLocked
		return ErrLocked
	}
	return e.setFlag(id, func(l *Layer) { l.Transform = m }, "Transform")
}

func translate(dx, dy float64) vector.Matrix { return vector.Matrix{A: 1, D: 1, E: dx, F: dy} }

// SelectionBounds is the bounding box of the selected layers' outlines in user space.
func (e *Editor) SelectionBounds() (lo, hi vector.Point, ok bool) {
	for i := range e.Doc.Layers {
		l := &e.Doc.Layers[i]
		if !e.sel[l.ID] {
			continue
		}
		a, b, okl := l.Bounds()
		if !okl {
			continue
		}
		if !ok {
			lo, hi, ok = a, b, true
			continue
		}
		lo.X, lo.Y = math.Min(lo.X, a.X), math.Min(lo.Y, a.Y)
		hi.X, hi.Y = math.Max(hi.X, b.X), math.Max(hi.Y, b.Y)
	}
	return lo, hi, ok
}

// HitTest returns the ID of the topmost visible, unlocked layer whose fill contains
// user-space point p, or 0.
func (e *Editor) HitTest(p vector.Point) int {
	for i := len(e.Doc.Layers) - 1; i >= 0; i-- {
		l := &e.Doc.Layers[i]
		if l.Hidden || l.Locked {
			continue
		}
		if l.Contains(p) {
			return l.ID
		}
	}
	return 0
}

// InteriorPoint finds a user-space point where a click selects layer id (it is the topmost
// selectable layer there), scanning a grid over its bounds; ok=false if it is fully covered.
// Automated tests use it to click on a shape they did not draw.
func (e *Editor) InteriorPoint(id int) (vector.Point, bool) {
	i := e.Doc.Index(id)
	if i < 0 {
		return vector.Point{}, false
	}
	lo, hi, ok := e.Doc.Layers[i].Bounds()
	if !ok {
		return vector.Point{}, false
	}
	const grid = 24
	type cand struct {
		p     vector.Point
		score float64
	}
	var cs []cand
	c := vector.Point{X: (lo.X + hi.X) / 2, Y: (lo.Y + hi.Y) / 2}
	for gy := 0; gy < grid; gy++ {
		for gx := 0; gx < grid; gx++ {
			p := vector.Point{X: lo.X + (hi.X-lo.X)*(float64(gx)+0.5)/grid, Y: lo.Y + (hi.Y-lo.Y)*(float64(gy)+0.5)/grid}
			if e.HitTest(p) == id {
				cs = append(cs, cand{p, p.Dist(c)})
			}
		}
	}
	if len(cs) == 0 {
		return vector.Point{}, false
	}
	sort.Slice(cs, func(a, b int) bool { return cs[a].score < cs[b].score })
	return cs[0].p, true
}
