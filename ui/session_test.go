package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/lamina-ml/lamina/vector"
)

// undoTrail returns the SVG after each Undo until there is none, then redoes them all.
func undoTrail(e *Editor) []string {
	var out []string
	for e.Undo() {
		out = append(out, string(e.Doc.SVG()))
	}
	for e.Redo() {
	}
	return out
}

// TestSessionRoundTrip: a reload gives back the drawing, the selection, every undo step and
// the redo step, and the settings.
func TestSessionRoundTrip(t *testing.T) {
	e := loadShapes(t)
	e.Select(id(e, 0), SelectReplace)
	_ = e.Nudge(2, 1)
	_ = e.SetFill(vector.RGBA{R: 1, A: 1})
	_ = e.Rename(id(e, 1), "Sun")
	e.Select(id(e, 2), SelectReplace)
	_ = e.Delete()
	_ = e.Duplicate() // nothing selected after the delete: refused, no step
	e.Undo()          // the delete: a redo step
	e.Select(id(e, 1), SelectReplace)
	settings := map[string]string{"prompt": "blue star", "seed": "42", "steps": "12", "cfg": "2.5"}
	var enc SessionEncoder
	cam := Camera{Zoom: 2.5, Center: vector.Point{X: 30.25, Y: -4.5}}
	data := enc.MarshalSession(e, settings, cam)

	r := New()
	sess, err := r.RestoreSession(data)
	if err != nil {
		t.Fatal(err)
	}
	got := sess.Settings
	if sess.Camera != cam {
		t.Errorf("camera %+v, want %+v", sess.Camera, cam)
	}
	if len(got) != len(settings) {
		t.Errorf("settings %v, want %v", got, settings)
	}
	for k, v := range settings {
		if got[k] != v {
			t.Errorf("setting %s = %q, want %q", k, got[k], v)
		}
	}
	if !bytes.Equal(r.Doc.SVG(), e.Doc.SVG()) {
		t.Errorf("document differs:\n%s\nwant\n%s", r.Doc.SVG(), e.Doc.SVG())
	}
	if a, b := r.Selected(), e.Selected(); len(a) != 1 || a[0] != b[0] {
		t.Errorf("selection %v, want %v", a, b)
	}
	if r.UndoLabel() != "Rename" || !r.CanRedo() {
		t.Errorf("undo label %q, can redo %v", r.UndoLabel(), r.CanRedo())
	}
	// The redo step redoes the delete, as in the original.
	r.Redo()
	e.Redo()
	if !bytes.Equal(r.Doc.SVG(), e.Doc.SVG()) {
		t.Error("redo differs after restore")
	}
	want, have := undoTrail(e), undoTrail(r)
	if len(want) != 4 || len(have) != len(want) {
		t.Fatalf("%d undo steps restored, want %d (of 4)", len(have), len(want))
	}
	for i := range want {
		if have[i] != want[i] {
			t.Errorf("undo %d differs", i+1)
		}
	}
}

func TestSessionKeepsTheNewestSteps(t *testing.T) {
	e := loadShapes(t)
	e.Select(id(e, 0), SelectReplace)
	var after []string // the SVG after each nudge
	for i := 0; i < 80; i++ {
		_ = e.Nudge(0.5, 0)
		after = append(after, string(e.Doc.SVG()))
	}
	var enc SessionEncoder
	data := enc.MarshalSession(e, nil, Camera{})
	r := New()
	if _, err := r.RestoreSession(data); err != nil {
		t.Fatal(err)
	}
	n := 0
	for r.Undo() {
		n++
	}
	if n != maxSessionSteps {
		t.Fatalf("%d undo steps after a reload, want %d", n, maxSessionSteps)
	}
	if got := string(r.Doc.SVG()); got != after[80-maxSessionSteps-1] {
		t.Error("the oldest kept step is not the state after nudge 30")
	}
	// 50 steps of one moved rect share the three outlines: each is written once.
	var saved savedSession
	if err := json.Unmarshal(data, &saved); err != nil {
		t.Fatal(err)
	}
	if len(saved.Paths) != 3 {
		t.Errorf("%d path data in the session, want the 3 outlines once each", len(saved.Paths))
	}
	t.Logf("session with %d steps: %d bytes; one document %d bytes", maxSessionSteps, len(data), len(MarshalDocument(e.Doc)))
	// A second save reuses the formatted outlines and writes the same bytes.
	if again := enc.MarshalSession(e, nil, Camera{}); !bytes.Equal(again, data) {
		t.Error("a second save differs")
	}
}

// TestSessionSizeCap: steps that each bring new, large outlines are dropped, oldest first,
// until the session fits; the drawing itself is always kept.
func TestSessionSizeCap(t *testing.T) {
	e := New()
	// Each step a new outline of 8000 segments (about 250 KB of path data): 16 of them
	// pass the cap.
	const steps = 16
	big := func(k int) *Document {
		pts := make([]vector.Point, 8000)
		for i := range pts {
			pts[i] = vector.Point{X: float64(i%36) + float64(k)/100, Y: float64((i * 7) % 36)}
		}
		d := NewDocument()
		d.Layers = []Layer{d.newLayer(Layer{Name: "zigzag", Fill: vector.RGBA{A: 1}, Subpaths: []vector.Subpath{poly(pts...)}}, nil)}
		return d
	}
	for k := 0; k < steps; k++ {
		if err := e.Load(big(k), "Import"); err != nil {
			t.Fatal(err)
		}
	}
	var enc SessionEncoder
	data := enc.MarshalSession(e, nil, Camera{})
	if len(data) > maxSessionBytes {
		t.Fatalf("session %d bytes, cap %d", len(data), maxSessionBytes)
	}
	r := New()
	if _, err := r.RestoreSession(data); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.Doc.SVG(), e.Doc.SVG()) {
		t.Error("the current drawing was not kept")
	}
	n := 0
	for r.Undo() {
		n++
	}
	if n == 0 || n >= steps {
		t.Errorf("%d undo steps kept of %d (%d bytes)", n, steps, len(data))
	}
	t.Logf("kept %d of %d steps in %d bytes", n, steps, len(data))
}

func TestSessionBadInput(t *testing.T) {
	var enc SessionEncoder
	good := string(enc.MarshalSession(loadShapes(t), map[string]string{"prompt": "x"}, Camera{Zoom: 2, Center: vector.Point{X: 1, Y: 2}}))
	for _, tc := range []struct{ name, data string }{
		{"not json", "{"},
		{"version", strings.Replace(good, `"version":1,"paths"`, `"version":9,"paths"`, 1)},
		{"path index", strings.Replace(good, `"p":1`, `"p":99`, 1)},
		{"bad path", strings.Replace(good, `"paths":["`, `"paths":["Q`, 1)},
		{"settings", `{"version":1,"paths":[],"current":{"doc":{"version":1,"viewBox":[0,0,1,1],"layers":[]}},"settings":{` +
			strings.Repeat(`"a":"b",`, 0) + `"k":"` + strings.Repeat("v", maxSettingBytes+1) + `"}}`},
		{"too big", good + strings.Repeat(" ", maxSavedBytes)},
		{"zoom 0", strings.Replace(good, `"zoom":2,`, `"zoom":0,`, 1)},
		{"zoom too far", strings.Replace(good, `"zoom":2,`, `"zoom":1e6,`, 1)},
		{"camera far away", strings.Replace(good, `"x":1,`, `"x":1e300,`, 1)},
		{"camera not an object", strings.Replace(good, `"camera":{`, `"camera":[{`, 1)},
	} {
		e := loadShapes(t)
		before := string(e.Doc.SVG())
		if _, err := e.RestoreSession([]byte(tc.data)); !errors.Is(err, ErrAutosave) {
			t.Errorf("%s: error %v, want ErrAutosave", tc.name, err)
		}
		if string(e.Doc.SVG()) != before || e.CanUndo() {
			t.Errorf("%s: a failed restore changed the editor", tc.name)
		}
	}
}

// FuzzRestoreSession: sessions come from browser storage; a restore must fail with an
// error, never panic, and what restores must save and restore to the same drawing.
func FuzzRestoreSession(f *testing.F) {
	var enc SessionEncoder
	e := New()
	if d, err := ImportSVG([]byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36"><rect width="4" height="4"/><circle cx="9" cy="9" r="3"/></svg>`)); err == nil {
		_ = e.Load(d, "Import")
		e.SelectAll()
		_ = e.Nudge(1, 1)
		e.Undo()
	}
	f.Add(enc.MarshalSession(e, map[string]string{"prompt": "red heart"}, Camera{Zoom: 3, Center: vector.Point{X: 18, Y: 9}}))
	f.Add([]byte(`{"version":1,"paths":["M0 0H1V1Z"],"current":{"doc":{"version":1,"viewBox":[0,0,36,36],"layers":[{"id":1,"fill":"#000","opacity":1,"transform":[1,0,0,1,0,0],"p":1}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e := New()
		s, err := e.RestoreSession(data)
		if err != nil {
			return
		}
		var enc SessionEncoder
		r := New()
		if s2, err := r.RestoreSession(enc.MarshalSession(e, s.Settings, s.Camera)); err != nil {
			t.Fatalf("re-restoring: %v", err)
		} else if s2.Camera != s.Camera {
			t.Fatalf("camera %+v came back as %+v", s.Camera, s2.Camera)
		}
		if !bytes.Equal(r.Doc.SVG(), e.Doc.SVG()) {
			t.Fatal("round trip changed the drawing")
		}
	})
}
