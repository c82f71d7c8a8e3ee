package chattemplate

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// pythonErrorKind maps the jinja2/Python exception class that
// render_reference.py recorded to the ErrorKind Render must return.
var pythonErrorKind = map[string]ErrorKind{
	"UndefinedError":         ErrUndefined,
	"TypeError":              ErrType,
	"SecurityError":          ErrSecurity,
	"OverflowError":          ErrLimit,
	"TemplateSyntaxError":    ErrSyntax,
	"TemplateAssertionError": ErrSyntax,
	"TemplateRuntimeError":   ErrSyntax, // jinja2 3.1 defers unknown filters in if blocks to run time
}

// wantErrorKind returns the kind for a recorded "Class: message" error.
func wantErrorKind(t *testing.T, recorded string) ErrorKind {
	t.Helper()
	class, _, _ := strings.Cut(recorded, ":")
	k, ok := pythonErrorKind[class]
	if !ok {
		t.Fatalf("no ErrorKind for Python error %q", recorded)
	}
	return k
}

// TestJinja2Features renders the one-feature templates of
// testdata/features.py and compares with jinja2's output
// (testdata/features_expected.json, written by render_reference.py).
func TestJinja2Features(t *testing.T) {
	var ref struct {
		Version  string `json:"jinja2_version"`
		Features []struct {
			Name     string                     `json:"name"`
			Template string                     `json:"template"`
			Vars     map[string]json.RawMessage `json:"vars"`
			refResult
		} `json:"features"`
	}
	loadJSON(t, "features_expected.json", &ref)
	if len(ref.Features) < 50 {
		t.Fatalf("only %d features", len(ref.Features))
	}
	for _, f := range ref.Features {
		t.Run(f.Name, func(t *testing.T) {
			vars := map[string]any{}
			for k, v := range f.Vars {
				vars[k] = v
			}
			var got string
			tmpl, err := Parse(f.Template)
			if err == nil {
				got, err = tmpl.Render(Options{Vars: vars, Now: func() time.Time { return referenceNow }})
			}
			var e *Error
			switch {
			case f.Output != nil:
				if err != nil {
					t.Fatalf("%v", err)
				}
				if got != *f.Output {
					t.Fatalf("\n got %q\nwant %q", got, *f.Output)
				}
			case f.Raised != nil:
				if !errors.As(err, &e) || e.Kind != ErrRaised || e.Msg != *f.Raised {
					t.Fatalf("got (%q, %v), want raise_exception(%q)", got, err, *f.Raised)
				}
			default:
				want := wantErrorKind(t, *f.Error)
				if !errors.As(err, &e) || e.Kind != want {
					t.Fatalf("got (%q, %v), want %v like jinja2's %s", got, err, want, *f.Error)
				}
				if e.Line == 0 {
					t.Errorf("error %v has no position", err)
				}
			}
		})
	}
}
