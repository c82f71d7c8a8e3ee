package ui

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/lamina-ml/lamina/vector"
)

// A session is what the editor keeps across reloads: the document and its selection, the
// undo and redo history (bounded), the draw settings (the prompt box and its neighbours, as
// the user typed them) and the camera (zoom and pan).
const (
	sessionVersion = 1
	// maxSessionSteps bounds each of the saved undo and redo stacks (the newest steps are
	// kept); the editor itself keeps maxHistory.
	maxSessionSteps = 50
	// maxSessionBytes bounds the saved form: browsers give an origin about 5 M characters of
	// localStorage, shared with whatever else the page keeps. Older steps are dropped until
	// the session fits.
	maxSessionBytes = 3 << 20
	// Caps on the settings: a few short fields.
	maxSettings     = 16
	maxSettingKey   = 64
	maxSettingBytes = 4096
)

type savedStep struct {
	Label string   `json:"label,omitempty"`
	Sel   []int    `json:"sel,omitempty"`
	Doc   savedDoc `json:"doc"`
}

type savedSession struct {
	Version int `json:"version"`
	// Paths holds each distinct path data once; layers refer to it by P (index + 1), since
	// consecutive steps share almost all of their outlines.
	Paths    []string          `json:"paths"`
	Current  savedStep         `json:"current"`
	Undo     []savedStep       `json:"undo,omitempty"`
	Redo     []savedStep       `json:"redo,omitempty"`
	Settings map[string]string `json:"settings,omitempty"`
	Camera   *savedCamera      `json:"camera,omitempty"`
}

// savedCamera is a Camera; absent for the zero Camera (the artboard's fit).
type savedCamera struct {
	Zoom float64 `json:"zoom"`
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
}

// Session is what RestoreSession gives back besides the editor's own state: the draw
// settings and the camera the session was saved with.
type Session struct {
	Settings map[string]string
	Camera   Camera
}

// SessionEncoder writes sessions, remembering the path data of outlines it has written:
// snapshots never mutate their outlines, so an outline (by the identity of its slice) always
// writes the same text, and an autosave after an edit formats only what the edit changed.
type SessionEncoder struct {
	cache map[pathKey]string
}

type pathKey struct {
	first *vector.Subpath
	n     int
}

func (enc *SessionEncoder) pathData(subs []vector.Subpath, used map[pathKey]string) string {
	if len(subs) == 0 {
		return vector.PathData(subs)
	}
	k := pathKey{&subs[0], len(subs)}
	if s, ok := used[k]; ok {
		return s
	}
	s, ok := enc.cache[k]
	if !ok {
		s = vector.PathData(subs)
	}
	used[k] = s
	return s
}

// MarshalSession is the saved form of e's session with settings and the camera cam: at
// most maxSessionSteps undo and redo steps each, fewer when needed to stay under
// maxSessionBytes.
func (enc *SessionEncoder) MarshalSession(e *Editor, settings map[string]string, cam Camera) []byte {
	undo, redo := e.undo, e.redo
	if e.gesture != nil { // mid-drag: save the document as the drag began
		undo = append(undo[:len(undo):len(undo)], e.gesture.before)
	}
	undo = undo[max(0, len(undo)-maxSessionSteps):]
	redo = redo[max(0, len(redo)-maxSessionSteps):]
	cur := snapshot{doc: e.Doc, sel: e.Selected()}
	if e.gesture != nil {
		cur.doc = e.gesture.before.doc
	}
	for {
		used := map[pathKey]string{}
		index := map[string]int{}
		s := savedSession{Version: sessionVersion, Settings: settings}
		if cam != (Camera{}) {
			s.Camera = &savedCamera{Zoom: cam.Zoom, X: cam.Center.X, Y: cam.Center.Y}
		}
		step := func(sn snapshot) savedStep {
			st := savedStep{Label: sn.label, Sel: sn.sel, Doc: marshalSaved(sn.doc, func(subs []vector.Subpath) (string, int) {
				d := enc.pathData(subs, used)
				i, ok := index[d]
				if !ok {
					i = len(s.Paths)
					index[d] = i
					s.Paths = append(s.Paths, d)
				}
				return "", i + 1
			})}
			return st
		}
		s.Current = step(cur)
		for _, sn := range undo {
			s.Undo = append(s.Undo, step(sn))
		}
		for _, sn := range redo {
			s.Redo = append(s.Redo, step(sn))
		}
		b, _ := json.Marshal(s) // only plain values: cannot fail
		if len(b) <= maxSessionBytes || len(undo)+len(redo) == 0 {
			enc.cache = used
			return b
		}
		// Too big: drop the older half of the history (undo's oldest first, then redo's
		// farthest, which is at the start of its stack).
		if len(undo) > 0 {
			undo = undo[len(undo)/2+len(undo)%2:]
		} else {
			redo = redo[len(redo)/2+len(redo)%2:]
		}
	}
}

// RestoreSession replaces e's document, selection and history with a saved session's and
// returns its settings and camera. Every problem is an error wrapping ErrAutosave; e is
// unchanged then.
func (e *Editor) RestoreSession(data []byte) (Session, error) {
	s, err := e.restoreSession(data)
	if err != nil {
		return Session{}, err
	}
	out := Session{Settings: s.Settings}
	if c := s.Camera; c != nil {
		out.Camera = Camera{Zoom: c.Zoom, Center: vector.Point{X: c.X, Y: c.Y}}
	}
	return out, nil
}

func (e *Editor) restoreSession(data []byte) (*savedSession, error) {
	if len(data) > maxSavedBytes {
		return nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrAutosave, len(data), maxSavedBytes)
	}
	var s savedSession
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAutosave, err)
	}
	if s.Version != sessionVersion {
		return nil, fmt.Errorf("%w: session version %d, want %d", ErrAutosave, s.Version, sessionVersion)
	}
	if len(s.Undo) > maxHistory || len(s.Redo) > maxHistory {
		return nil, fmt.Errorf("%w: %d undo and %d redo steps exceed %d", ErrAutosave, len(s.Undo), len(s.Redo), maxHistory)
	}
	if len(s.Settings) > maxSettings {
		return nil, fmt.Errorf("%w: %d settings exceed %d", ErrAutosave, len(s.Settings), maxSettings)
	}
	for k, v := range s.Settings {
		if len(k) > maxSettingKey || len(v) > maxSettingBytes {
			return nil, fmt.Errorf("%w: setting %.64q too long", ErrAutosave, k)
		}
	}
	if c := s.Camera; c != nil {
		// JSON has no NaN or infinities, but a huge center would overflow the view's math.
		if !(c.Zoom >= minZoom && c.Zoom <= maxZoom) || !(math.Abs(c.X) <= maxCameraCoord && math.Abs(c.Y) <= maxCameraCoord) {
			return nil, fmt.Errorf("%w: camera zoom %v at (%v, %v) out of range", ErrAutosave, c.Zoom, c.X, c.Y)
		}
	}
	parsed := make([][]vector.Subpath, len(s.Paths))
	done := make([]bool, len(s.Paths))
	paths := func(sl savedLayer) ([]vector.Subpath, error) {
		if sl.P == 0 {
			return vector.ParsePathData(sl.D)
		}
		i := sl.P - 1
		if i < 0 || i >= len(s.Paths) {
			return nil, fmt.Errorf("path %d of %d", sl.P, len(s.Paths))
		}
		if !done[i] { // parsed once, shared by every step that has it (as snapshots share)
			subs, err := vector.ParsePathData(s.Paths[i])
			if err != nil {
				return nil, err
			}
			parsed[i], done[i] = subs, true
		}
		return parsed[i], nil
	}
	step := func(st savedStep) (snapshot, error) {
		d, err := unmarshalSaved(st.Doc, paths)
		if err != nil {
			return snapshot{}, err
		}
		return snapshot{doc: d, sel: st.Sel, label: st.Label}, nil
	}
	cur, err := step(s.Current)
	if err != nil {
		return nil, err
	}
	var undo, redo []snapshot
	for _, st := range s.Undo {
		sn, err := step(st)
		if err != nil {
			return nil, err
		}
		undo = append(undo, sn)
	}
	for _, st := range s.Redo {
		sn, err := step(st)
		if err != nil {
			return nil, err
		}
		redo = append(redo, sn)
	}
	e.cancelGesture()
	e.restore(cur)
	e.undo, e.redo = undo, redo
	return &s, nil
}

// maxCameraCoord bounds a saved camera's center, in user units.
const maxCameraCoord = 1e9
