package chattemplate

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// The parity test: every vendored real template (testdata/templates, see
// testdata/NOTICE.md) rendered against every case in testdata/cases.json,
// with and without the generation prompt, compared byte for byte with
// what Python's jinja2 rendered in Hugging Face's environment
// (testdata/render_reference.py wrote testdata/expected.json). Where
// jinja2 failed, Render must fail too; where the template called
// raise_exception, with the same message.

type refCase struct {
	Name     string          `json:"name"`
	Messages json.RawMessage `json:"messages"`
	Tools    string          `json:"tools"`
	Docs     json.RawMessage `json:"documents"`
	Vars     map[string]any  `json:"vars"`
}

type refResult struct {
	Output *string `json:"output"`
	Raised *string `json:"raised"`
	Error  *string `json:"error"`
}

// referenceNow is render_reference.py's FIXED_NOW.
var referenceNow = time.Date(2025, 7, 10, 12, 0, 0, 0, time.UTC)

var specialTokens = map[string]any{"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}

func loadJSON(t testing.TB, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func caseOptions(c refCase, tools map[string]json.RawMessage, agp bool) Options {
	vars := map[string]any{}
	for k, v := range specialTokens {
		vars[k] = v
	}
	for k, v := range c.Vars {
		vars[k] = v
	}
	o := Options{Messages: c.Messages, AddGenerationPrompt: agp, Vars: vars, Now: func() time.Time { return referenceNow }}
	if c.Tools != "" {
		o.Tools = tools[c.Tools]
	}
	if c.Docs != nil {
		o.Documents = c.Docs
	}
	return o
}

func TestJinja2Parity(t *testing.T) {
	var cases []refCase
	var tools map[string]json.RawMessage
	var expected struct {
		Version string                          `json:"jinja2_version"`
		Results map[string]map[string]refResult `json:"results"`
	}
	loadJSON(t, "cases.json", &cases)
	loadJSON(t, "tools.json", &tools)
	loadJSON(t, "expected.json", &expected)
	files, err := filepath.Glob(filepath.Join("testdata", "templates", "*.jinja"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	if len(files) != len(expected.Results) {
		t.Fatalf("%d templates but expected.json has %d: rerun testdata/render_reference.py", len(files), len(expected.Results))
	}
	sort.Strings(files)
	pairs, matched := 0, 0
	for _, f := range files {
		name := filepath.Base(f)
		want, ok := expected.Results[name]
		if !ok {
			t.Errorf("%s: not in expected.json: rerun testdata/render_reference.py", name)
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tmpl, err := Parse(string(src))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			pairs += len(want)
			continue
		}
		for _, c := range cases {
			for _, agp := range []bool{false, true} {
				key := c.Name + "/agp=false"
				if agp {
					key = c.Name + "/agp=true"
				}
				w, ok := want[key]
				if !ok {
					t.Errorf("%s %s: not in expected.json", name, key)
					continue
				}
				pairs++
				got, err := tmpl.Render(caseOptions(c, tools, agp))
				switch {
				case w.Output != nil:
					if err != nil {
						t.Errorf("%s %s: %v", name, key, err)
					} else if got != *w.Output {
						t.Errorf("%s %s:\n got %q\nwant %q", name, key, got, *w.Output)
					} else {
						matched++
					}
				case w.Raised != nil:
					var e *Error
					if !errors.As(err, &e) || e.Kind != ErrRaised || e.Msg != *w.Raised {
						t.Errorf("%s %s: got (%q, %v), want raise_exception(%q)", name, key, got, err, *w.Raised)
					} else {
						matched++
					}
				default:
					var e *Error
					if !errors.As(err, &e) || e.Kind != wantErrorKind(t, *w.Error) {
						t.Errorf("%s %s: got (%q, %v), want an error like jinja2's %s", name, key, got, err, *w.Error)
					} else {
						matched++
					}
				}
			}
		}
	}
	t.Logf("jinja2 %s parity: %d/%d template x case pairs match over %d templates", expected.Version, matched, pairs, len(files))
}
