package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/lamina-ml/lamina/vector"
)

// ErrAutosave is wrapped by every error decoding a saved document (it comes from browser
// storage, which the user or another version of the editor may have changed).
var ErrAutosave = errors.New("ui: bad saved document")

// autosaveVersion is bumped when the saved format changes incompatibly.
const autosaveVersion = 1

// Caps on a saved document, far above what the model produces (48 slots) or an import
// keeps, so a corrupt entry cannot make the editor allocate without bound.
const (
	maxSavedBytes  = 8 << 20
	maxSavedLayers = 5000
	maxNameBytes   = 200
)

type savedLayer struct {
	ID        int        `json:"id"`
	Name      string     `json:"name"`
	Hidden    bool       `json:"hidden,omitempty"`
	Locked    bool       `json:"locked,omitempty"`
	Fill      string     `json:"fill"`
	Opacity   float64    `json:"opacity"`
	EvenOdd   bool       `json:"evenodd,omitempty"`
	Transform [6]float64 `json:"transform"`
	D         string     `json:"d,omitempty"`
	// P is the index + 1 of the layer's path data in a session's shared table (0: D holds it).
	P int `json:"p,omitempty"`
}

type savedDoc struct {
	Version int          `json:"version"`
	ViewBox [4]float64   `json:"viewBox"`
	NextID  int          `json:"nextId"`
	Layers  []savedLayer `json:"layers"`
}

// MarshalDocument is the autosave form of d: JSON with path data at the SVG writer's
// precision. Decoding it gives back a document whose SVG() is byte-identical.
func MarshalDocument(d *Document) []byte {
	b, _ := json.Marshal(marshalSaved(d, func(subs []vector.Subpath) (string, int) { return vector.PathData(subs), 0 })) // only plain values: cannot fail
	return b
}

// marshalSaved is d's saved form; path gives each layer's path data or its index in a
// shared table (a session's).
func marshalSaved(d *Document, path func([]vector.Subpath) (string, int)) savedDoc {
	s := savedDoc{Version: autosaveVersion, ViewBox: d.ViewBox, NextID: d.NextID, Layers: make([]savedLayer, len(d.Layers))}
	for i, l := range d.Layers {
		m := l.Transform
		pd, pi := path(l.Subpaths)
		s.Layers[i] = savedLayer{
			ID: l.ID, Name: l.Name, Hidden: l.Hidden, Locked: l.Locked, Fill: l.Fill.Hex(), Opacity: l.Fill.A,
			EvenOdd: l.EvenOdd, Transform: [6]float64{m.A, m.B, m.C, m.D, m.E, m.F}, D: pd, P: pi,
		}
	}
	return s
}

// UnmarshalDocument decodes MarshalDocument's output; every problem is an error wrapping
// ErrAutosave (or the vector reader's error for bad path data).
func UnmarshalDocument(data []byte) (*Document, error) {
	if len(data) > maxSavedBytes {
		return nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrAutosave, len(data), maxSavedBytes)
	}
	var s savedDoc
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAutosave, err)
	}
	return unmarshalSaved(s, func(sl savedLayer) ([]vector.Subpath, error) {
		if sl.P != 0 {
			return nil, fmt.Errorf("a shared path (%d) outside a session", sl.P)
		}
		return vector.ParsePathData(sl.D)
	})
}

// unmarshalSaved checks and decodes a saved document; paths gives a layer's outline.
func unmarshalSaved(s savedDoc, paths func(savedLayer) ([]vector.Subpath, error)) (*Document, error) {
	if s.Version != autosaveVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrAutosave, s.Version, autosaveVersion)
	}
	for _, v := range s.ViewBox {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: non-finite viewBox", ErrAutosave)
		}
	}
	if !(s.ViewBox[2] > 0 && s.ViewBox[3] > 0) {
		return nil, fmt.Errorf("%w: viewBox size must be positive", ErrAutosave)
	}
	if len(s.Layers) > maxSavedLayers {
		return nil, fmt.Errorf("%w: %d layers exceeds %d", ErrAutosave, len(s.Layers), maxSavedLayers)
	}
	d := &Document{ViewBox: s.ViewBox, NextID: s.NextID, Layers: make([]Layer, len(s.Layers))}
	seen := map[int]bool{}
	maxID := 0
	for i, sl := range s.Layers {
		if sl.ID < 1 || seen[sl.ID] {
			return nil, fmt.Errorf("%w: layer %d has a missing or repeated id %d", ErrAutosave, i, sl.ID)
		}
		seen[sl.ID] = true
		maxID = max(maxID, sl.ID)
		if len(sl.Name) > maxNameBytes {
			return nil, fmt.Errorf("%w: layer %d name longer than %d bytes", ErrAutosave, i, maxNameBytes)
		}
		c, ok, err := vector.ParseColor(sl.Fill)
		if err != nil || !ok {
			return nil, fmt.Errorf("%w: layer %d fill %q", ErrAutosave, i, sl.Fill)
		}
		if !(sl.Opacity >= 0 && sl.Opacity <= 1) {
			return nil, fmt.Errorf("%w: layer %d opacity %v outside [0,1]", ErrAutosave, i, sl.Opacity)
		}
		c.A = sl.Opacity
		t := sl.Transform
		m := vector.Matrix{A: t[0], B: t[1], C: t[2], D: t[3], E: t[4], F: t[5]}
		for _, v := range t {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: layer %d has a non-finite transform", ErrAutosave, i)
			}
		}
		subs, err := paths(sl)
		if err != nil {
			return nil, fmt.Errorf("%w: layer %d path: %w", ErrAutosave, i, err)
		}
		d.Layers[i] = Layer{ID: sl.ID, Name: sl.Name, Hidden: sl.Hidden, Locked: sl.Locked, Fill: c,
			EvenOdd: sl.EvenOdd, Subpaths: subs, Transform: m}
	}
	if d.NextID <= maxID {
		d.NextID = maxID + 1
	}
	return d, nil
}
