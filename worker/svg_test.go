package worker

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/vector"
)

// tinySVGModel is svgmodel/testdata/tiny (a 265k-parameter DiT trained for
// 60 steps), served by the HTTP suite too (testdata/models.txt).
const tinySVGModel = "layered-emoji-tiny"

// tinySteps keeps the tests quick; the routes take any steps ≤ 64.
const tinySteps = 6

var svgPathRe = regexp.MustCompile(`<path [^>]*/>`)

// svgPaths returns the SVG's <path> elements, one per layer in paint order
// (vector.WriteSVG writes one path per layer).
func svgPaths(svg string) []string { return svgPathRe.FindAllString(svg, -1) }

var svgDAttr = regexp.MustCompile(` d="[^"]*"`)

type svgResponse struct {
	SVG    string               `json:"svg"`
	Layers []svgmodel.LayerInfo `json:"layers"`
	Model  string               `json:"model"`
}

func tinySVGHandler() *Handler {
	return New(Config{Store: FSStore{FS: os.DirFS(modelsDir)}, LoadLM: LoadCPU, LoadSVG: LoadSVGCPU})
}

// postSVG posts body and decodes a 200 answer.
func postSVG(t *testing.T, h http.Handler, path, body string) (svgResponse, *httptest.ResponseRecorder) {
	t.Helper()
	rec := post(t, h, path, body)
	var r svgResponse
	if rec.Code != http.StatusOK {
		t.Fatalf("%s %s: %d %s", path, body, rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("%s: %v: %s", path, err, rec.Body)
	}
	return r, rec
}

// checkDrawing checks the answer is an SVG the vector pipeline reads back,
// with one layers entry per drawn layer.
func checkDrawing(t *testing.T, what string, r svgResponse) {
	t.Helper()
	doc, err := vector.ParseSVG([]byte(r.SVG))
	if err != nil {
		t.Fatalf("%s: the answer's svg does not parse: %v", what, err)
	}
	if n := len(svgPaths(r.SVG)); n != len(r.Layers) || n != len(doc.Layers) {
		t.Fatalf("%s: %d <path>s, %d layers listed, %d parsed", what, n, len(r.Layers), len(doc.Layers))
	}
	for i, l := range r.Layers {
		if l.Index != i {
			t.Fatalf("%s: layers[%d].index = %d", what, i, l.Index)
		}
	}
}

func TestSVGGenerateTiny(t *testing.T) {
	h := tinySVGHandler()
	body := `{"prompt":"red heart","seed":11,"steps":6}`
	a, rec := postSVG(t, h, "/v1/svg/generate", body)
	checkDrawing(t, "generate", a)
	if a.Model != tinySVGModel {
		t.Errorf("model %q: the only SVG model in testdata/models.txt is %s", a.Model, tinySVGModel)
	}
	if len(a.Layers) < 3 {
		t.Fatalf("tiny model drew %d layers; the edit tests need at least 3", len(a.Layers))
	}
	if got := rec.Header().Get("X-Lamina-Model-Cache"); got != "miss" {
		t.Errorf("first request: X-Lamina-Model-Cache %q, want miss", got)
	}

	// Same seed, same drawing (and the model stays warm); another seed,
	// another drawing.
	b, rec := postSVG(t, h, "/v1/svg/generate", body)
	if b.SVG != a.SVG {
		t.Error("same seed gave a different SVG")
	}
	if got := rec.Header().Get("X-Lamina-Model-Cache"); got != "hit" {
		t.Errorf("second request: X-Lamina-Model-Cache %q, want hit", got)
	}
	c, _ := postSVG(t, h, "/v1/svg/generate", `{"prompt":"red heart","seed":12,"steps":6}`)
	if c.SVG == a.SVG {
		t.Error("seeds 11 and 12 gave the same SVG")
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/health", nil))
	if !strings.Contains(rec.Body.String(), `"svg":true`) || !strings.Contains(rec.Body.String(), tinySVGModel) {
		t.Errorf("health %s: want svg true and %s warm", rec.Body, tinySVGModel)
	}
}

// TestSVGOptionsReachModel checks the route passes prompt, seed, steps and
// cfg through: its answer equals svgmodel's own for the same options, and
// each option changes the drawing.
func TestSVGOptionsReachModel(t *testing.T) {
	m, err := svgmodel.Load(os.DirFS(modelsDir+"/"+tinySVGModel), tensor.NewCPU())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	h := tinySVGHandler()
	base := svgmodel.Options{Prompt: "red heart", Seed: 5, Steps: tinySteps, CFG: 2}
	cases := []struct {
		name string
		body string
		o    svgmodel.Options
	}{
		{"base", `{"prompt":"red heart","seed":5,"steps":6,"cfg":2}`, base},
		{"prompt", `{"prompt":"blue star","seed":5,"steps":6,"cfg":2}`, svgmodel.Options{Prompt: "blue star", Seed: 5, Steps: tinySteps, CFG: 2}},
		{"seed", `{"prompt":"red heart","seed":6,"steps":6,"cfg":2}`, svgmodel.Options{Prompt: "red heart", Seed: 6, Steps: tinySteps, CFG: 2}},
		{"steps", `{"prompt":"red heart","seed":5,"steps":4,"cfg":2}`, svgmodel.Options{Prompt: "red heart", Seed: 5, Steps: 4, CFG: 2}},
		{"cfg", `{"prompt":"red heart","seed":5,"steps":6,"cfg":5}`, svgmodel.Options{Prompt: "red heart", Seed: 5, Steps: tinySteps, CFG: 5}},
		{"defaults", `{"prompt":"red heart","seed":5}`, svgmodel.Options{Prompt: "red heart", Seed: 5}},
	}
	var baseSVG string
	for _, c := range cases {
		want, err := m.Generate(context.Background(), c.o)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := postSVG(t, h, "/v1/svg/generate", c.body)
		if got.SVG != string(want.SVG) {
			t.Errorf("%s: the route's SVG differs from svgmodel.Generate(%+v)", c.name, c.o)
		}
		if c.name == "base" {
			baseSVG = got.SVG
		} else if got.SVG == baseSVG {
			t.Errorf("%s: changing it did not change the drawing", c.name)
		}
	}
}

type svgCandidatesResponse struct {
	svgResponse
	Candidates []SVGCandidate `json:"candidates"`
}

// TestSVGCandidates: n candidates, candidate i the route's answer for seed+i alone (and
// svgmodel's); a variation at strength 1 is generate with the same seed, at 0 the drawing.
func TestSVGCandidates(t *testing.T) {
	m, err := svgmodel.Load(os.DirFS(modelsDir+"/"+tinySVGModel), tensor.NewCPU())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	h := tinySVGHandler()
	decode := func(path, body string) svgCandidatesResponse {
		t.Helper()
		rec := post(t, h, path, body)
		var r svgCandidatesResponse
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &r) != nil {
			t.Fatalf("%s %s: %d %s", path, body, rec.Code, rec.Body)
		}
		return r
	}
	r := decode("/v1/svg/generate", `{"prompt":"red heart","seed":30,"steps":6,"n":3}`)
	if len(r.Candidates) != 3 || r.SVG != r.Candidates[0].SVG {
		t.Fatalf("%d candidates; svg is the first: %v", len(r.Candidates), len(r.Candidates) > 0 && r.SVG == r.Candidates[0].SVG)
	}
	for i, c := range r.Candidates {
		want, err := m.Generate(context.Background(), svgmodel.Options{Prompt: "red heart", Seed: uint64(30 + i), Steps: tinySteps})
		if err != nil {
			t.Fatal(err)
		}
		checkDrawing(t, "candidate", svgResponse{SVG: c.SVG, Layers: c.Layers})
		if c.Seed != uint64(30+i) || c.SVG != string(want.SVG) {
			t.Errorf("candidate %d: seed %d, same as svgmodel.Generate(seed %d): %v", i, c.Seed, 30+i, c.SVG == string(want.SVG))
		}
	}
	if r.Candidates[0].SVG == r.Candidates[1].SVG {
		t.Error("two candidates are the same drawing")
	}
	if one := decode("/v1/svg/generate", `{"prompt":"red heart","seed":30,"steps":6}`); one.Candidates != nil || one.SVG != r.SVG {
		t.Error("without n: candidates listed, or a different drawing")
	}
	src, _ := json.Marshal(r.Candidates[2].SVG)
	full := decode("/v1/svg/edit", `{"svg":`+string(src)+`,"prompt":"red heart","seed":30,"steps":6,"strength":1}`)
	if full.SVG != r.SVG {
		t.Error("strength 1 differs from generate with the same seed")
	}
	doc, err := vector.ParseSVG([]byte(r.Candidates[2].SVG))
	if err != nil {
		t.Fatal(err)
	}
	zero := decode("/v1/svg/edit", `{"svg":`+string(src)+`,"prompt":"blue star","seed":1,"steps":6,"strength":0}`)
	if zero.SVG != string(vector.WriteSVG(doc)) {
		t.Error("strength 0 changed the drawing")
	}
	half := decode("/v1/svg/edit", `{"svg":`+string(src)+`,"prompt":"blue star","seed":1,"steps":6,"strength":0.5,"n":2}`)
	if len(half.Candidates) != 2 || half.Candidates[0].SVG == half.Candidates[1].SVG || half.SVG == zero.SVG {
		t.Errorf("half-strength variations: %d candidates, distinct and changed: %v", len(half.Candidates), len(half.Candidates) == 2 && half.Candidates[0].SVG != half.Candidates[1].SVG && half.SVG != zero.SVG)
	}
}

func TestSVGEditTiny(t *testing.T) {
	h := tinySVGHandler()
	src, _ := postSVG(t, h, "/v1/svg/generate", `{"prompt":"red heart","seed":11,"steps":6}`)
	before := svgPaths(src.SVG)
	svgJSON, _ := json.Marshal(src.SVG)

	t.Run("keep", func(t *testing.T) {
		body := `{"svg":` + string(svgJSON) + `,"keep":[0,2],"prompt":"blue star","seed":3,"steps":6}`
		res, _ := postSVG(t, h, "/v1/svg/edit", body)
		checkDrawing(t, "edit keep", res)
		after := svgPaths(res.SVG)
		if len(after) != len(before) {
			t.Fatalf("regenerating changed the layer count: %d → %d", len(before), len(after))
		}
		changed := false
		for i := range before {
			kept := i == 0 || i == 2
			if kept && after[i] != before[i] {
				t.Errorf("kept layer %d changed:\n%s\n%s", i, before[i], after[i])
			}
			if res.Layers[i].Kept != kept {
				t.Errorf("layers[%d].kept = %v", i, res.Layers[i].Kept)
			}
			changed = changed || (!kept && after[i] != before[i])
		}
		if !changed {
			t.Error("no regenerated layer changed")
		}
		again, _ := postSVG(t, h, "/v1/svg/edit", body)
		if again.SVG != res.SVG {
			t.Error("the same edit with the same seed gave a different SVG")
		}
	})
	t.Run("recolor", func(t *testing.T) {
		res, _ := postSVG(t, h, "/v1/svg/edit", `{"svg":`+string(svgJSON)+`,"recolor":true,"prompt":"green","seed":9,"steps":6}`)
		checkDrawing(t, "recolor", res)
		after := svgPaths(res.SVG)
		if len(after) != len(before) {
			t.Fatalf("recolor changed the layer count: %d → %d", len(before), len(after))
		}
		for i := range before {
			if svgDAttr.FindString(before[i]) != svgDAttr.FindString(after[i]) {
				t.Errorf("recolor changed layer %d's geometry", i)
			}
		}
		if res.SVG == src.SVG {
			t.Error("recolor changed nothing")
		}
	})
	t.Run("add", func(t *testing.T) {
		res, _ := postSVG(t, h, "/v1/svg/edit", `{"svg":`+string(svgJSON)+`,"add":2,"prompt":"hat","seed":1,"steps":6}`)
		checkDrawing(t, "add", res)
		after := svgPaths(res.SVG)
		if len(after) != len(before)+2 {
			t.Fatalf("add 2: %d layers → %d", len(before), len(after))
		}
		for i := range before {
			if after[i] != before[i] {
				t.Errorf("add changed existing layer %d", i)
			}
		}
	})
}

func TestSVGErrors(t *testing.T) {
	h := tinySVGHandler()
	src, _ := postSVG(t, h, "/v1/svg/generate", `{"prompt":"red heart","seed":11,"steps":6}`)
	svgJSON, _ := json.Marshal(src.SVG)
	edit := func(extra string) string {
		return `{"svg":` + string(svgJSON) + `,"prompt":"x","seed":1,"steps":2` + extra + `}`
	}
	cases := []struct {
		name, path, body string
		status           int
		code             string
		msg              string // a part of the message
	}{
		{"steps 65", "/v1/svg/generate", `{"prompt":"x","steps":65}`, 422, "steps_out_of_range", ""},
		{"steps -1", "/v1/svg/generate", `{"prompt":"x","steps":-1}`, 422, "steps_out_of_range", ""},
		{"negative seed", "/v1/svg/generate", `{"prompt":"x","seed":-1}`, 422, "seed_out_of_range", ""},
		{"cfg 51", "/v1/svg/generate", `{"prompt":"x","cfg":51}`, 422, "cfg_out_of_range", ""},
		{"negative add", "/v1/svg/edit", edit(`,"add":-1`), 422, "add_out_of_range", ""},
		{"no prompt", "/v1/svg/generate", `{"seed":1}`, 422, "missing_prompt", ""},
		{"edit fields on generate", "/v1/svg/generate", `{"prompt":"x","keep":[0]}`, 422, "edit_fields_on_generate", ""},
		{"no svg", "/v1/svg/edit", `{"prompt":"x"}`, 422, "missing_svg", ""},
		{"bad json", "/v1/svg/generate", `{"prompt":`, 400, "invalid_json", ""},
		{"steps as string", "/v1/svg/generate", `{"prompt":"x","steps":"many"}`, 400, "invalid_json", ""},
		{"unknown field type", "/v1/svg/edit", `{"svg":1}`, 400, "invalid_json", ""},
		{"malformed svg", "/v1/svg/edit", `{"svg":"<svg","prompt":"x"}`, 400, "invalid_svg", "vector: syntax error"},
		{"not an svg document", "/v1/svg/edit", `{"svg":"<html><body></body></html>","prompt":"x"}`, 400, "invalid_svg", "vector:"},
		// Path data with an error draws up to it, as browsers do (SVG 2 §9.5.4): not an error.
		{"bad path data", "/v1/svg/edit", `{"svg":"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 36 36\"><path d=\"M 1 1 L x\"/></svg>","prompt":"x"}`, 200, "", ""},
		{"keep out of range", "/v1/svg/edit", edit(`,"keep":[99]`), 422, "invalid_options", "keep index 99"},
		{"no room to add", "/v1/svg/edit", edit(`,"add":1000`), 422, "invalid_options", "empty slots"},
		{"n 0", "/v1/svg/generate", `{"prompt":"x","n":0}`, 422, "n_out_of_range", ""},
		{"n 17", "/v1/svg/generate", `{"prompt":"x","n":17}`, 422, "n_out_of_range", ""},
		{"n as string", "/v1/svg/generate", `{"prompt":"x","n":"4"}`, 400, "invalid_json", ""},
		{"strength 1.5", "/v1/svg/edit", edit(`,"strength":1.5`), 422, "strength_out_of_range", ""},
		{"strength -0.5", "/v1/svg/edit", edit(`,"strength":-0.5`), 422, "strength_out_of_range", ""},
		{"strength with keep", "/v1/svg/edit", edit(`,"strength":0.5,"keep":[0]`), 422, "strength_with_layer_edit", ""},
		{"strength on generate", "/v1/svg/generate", `{"prompt":"x","strength":0.5}`, 422, "edit_fields_on_generate", ""},
		{"n on a layer edit", "/v1/svg/edit", edit(`,"n":2`), 422, "n_on_layer_edit", ""},
		{"unknown model", "/v1/svg/generate", `{"model":"nope","prompt":"x"}`, 404, "model_not_found", ""},
		{"language model", "/v1/svg/generate", `{"model":"llama-tiny","prompt":"x"}`, 404, "model_not_svg", ""},
		{"svg model for completions", "/v1/completions", `{"model":"` + tinySVGModel + `","prompt":[1]}`, 404, "model_not_lm", ""},
		{"oversize", "/v1/svg/edit", string(oversizeBody()), 413, "body_too_large", ""},
	}
	for _, c := range cases {
		rec := post(t, h, c.path, c.body)
		var e apiError
		if rec.Code != c.status || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Code != c.code || !strings.Contains(e.Error.Message, c.msg) {
			t.Errorf("%s: %d %s; want %d %s containing %q", c.name, rec.Code, rec.Body, c.status, c.code, c.msg)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/svg/generate", nil))
	if rec.Code != 405 || rec.Header().Get("Allow") != "POST, OPTIONS" {
		t.Errorf("GET: %d Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

// fakeSVG answers with an empty drawing; the model-choice tests read the
// answer's model field.
type fakeSVG struct{ err error }

func (f fakeSVG) Generate(ctx context.Context, r SVGRequest) (*SVGResult, error) {
	return &SVGResult{SVG: "<svg/>"}, f.err
}
func (f fakeSVG) Edit(ctx context.Context, r SVGRequest) (*SVGResult, error) {
	return &SVGResult{SVG: r.SVG}, f.err
}

const svgConfig = `{"model_type":"lamina_layered_dit"}`

func TestSVGModelChoice(t *testing.T) {
	lmConfig := `{"model_type":"llama"}`
	cases := []struct {
		name   string
		files  map[string]string // model → config.json
		model  string            // request's model
		status int
		want   string // chosen model, or the error code
	}{
		{"default present", map[string]string{"a": svgConfig, DefaultSVGModel: svgConfig, "lm": lmConfig}, "", 200, DefaultSVGModel},
		{"only SVG model", map[string]string{"a": svgConfig, "lm": lmConfig}, "", 200, "a"},
		{"named", map[string]string{"a": svgConfig, "b": svgConfig}, "b", 200, "b"},
		{"several, none named", map[string]string{"a": svgConfig, "b": svgConfig}, "", 400, "missing_model"},
		{"none", map[string]string{"lm": lmConfig}, "", 404, "model_not_found"},
		{"default is not SVG", map[string]string{DefaultSVGModel: lmConfig, "a": svgConfig}, "", 404, "model_not_svg"},
		{"config without type", map[string]string{"a": `{}`}, "a", 404, "model_not_svg"},
		{"unreadable config", map[string]string{"a": `{`}, "a", 404, "model_not_svg"},
	}
	for _, c := range cases {
		fsys := fstest.MapFS{}
		for name, cfg := range c.files {
			fsys[name+"/config.json"] = &fstest.MapFile{Data: []byte(cfg)}
		}
		var loads atomic.Int32
		h := New(Config{Store: FSStore{FS: fsys}, LoadSVG: func(context.Context, fs.FS) (SVGModel, error) {
			loads.Add(1)
			return fakeSVG{}, nil
		}})
		body := `{"prompt":"x"`
		if c.model != "" {
			body += `,"model":"` + c.model + `"`
		}
		rec := post(t, h, "/v1/svg/generate", body+"}")
		if rec.Code != c.status {
			t.Errorf("%s: %d %s", c.name, rec.Code, rec.Body)
			continue
		}
		got := ""
		if c.status == 200 {
			var r svgResponse
			json.Unmarshal(rec.Body.Bytes(), &r)
			got = r.Model
			if r.Layers == nil || rec.Body.String() != `{"svg":"\u003csvg/\u003e","layers":[],"model":"`+r.Model+`"}`+"\n" {
				t.Errorf("%s: body %s", c.name, rec.Body)
			}
		} else {
			var e apiError
			json.Unmarshal(rec.Body.Bytes(), &e)
			got = e.Error.Code
			if loads.Load() != 0 {
				t.Errorf("%s: a model was loaded for a request that fails", c.name)
			}
		}
		if got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestSVGRuntimeErrors(t *testing.T) {
	fsys := fstest.MapFS{"a/config.json": &fstest.MapFile{Data: []byte(svgConfig)}}
	cases := []struct {
		name   string
		load   SVGLoader
		status int
		code   string
	}{
		{"no runtime", nil, 501, "svg_model_unavailable"},
		{"load fails", func(context.Context, fs.FS) (SVGModel, error) { return nil, errors.New("bad weights") }, 500, "model_load_failed"},
		{"does not fit", func(context.Context, fs.FS) (SVGModel, error) {
			return fakeSVG{err: svgmodel.ErrDoesNotFit}, nil
		}, 422, "svg_does_not_fit"},
		{"model fails", func(context.Context, fs.FS) (SVGModel, error) { return fakeSVG{err: errors.New("boom")}, nil }, 500, "svg_failed"},
	}
	for _, c := range cases {
		h := New(Config{Store: FSStore{FS: fsys}, LoadSVG: c.load})
		rec := post(t, h, "/v1/svg/generate", `{"prompt":"x"}`)
		var e apiError
		if rec.Code != c.status || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Code != c.code {
			t.Errorf("%s: %d %s; want %d %s", c.name, rec.Code, rec.Body, c.status, c.code)
		}
	}
}

func TestSameDrawing(t *testing.T) {
	const a = `<path id="layer-0" fill="#cd1e3a" fill-opacity="0.2016" d="M16.904 17.353C-11.376 1 2 3Z"/>`
	cases := []struct {
		b    string
		same bool
	}{
		{a, true},
		{`<path id="layer-0" fill="#cd1e3b" fill-opacity="0.2017" d="M16.905 17.352C-11.377 1 2 3Z"/>`, true},
		{`<path id="layer-0" fill="#cd1e3a" fill-opacity="0.2016" d="M16.907 17.353C-11.376 1 2 3Z"/>`, false},
		{`<path id="layer-0" fill="#cd1e3c" fill-opacity="0.2016" d="M16.904 17.353C-11.376 1 2 3Z"/>`, false},
		{`<path id="layer-1" fill="#cd1e3a" fill-opacity="0.2016" d="M16.904 17.353C-11.376 1 2 3Z"/>`, false},
		{`<path id="layer-0" fill="#cd1e3a" fill-opacity="0.2016" d="M16.904 17.353L-11.376 1 2 3Z"/>`, false},
		{`<path id="layer-0" fill="#cd1e3a" fill-opacity="0.2016" d="M16.904 17.353C-11.376 1 2Z"/>`, false},
	}
	for i, c := range cases {
		if err := sameDrawing(a, c.b); (err == nil) != c.same {
			t.Errorf("case %d: sameDrawing = %v, want same %v", i, err, c.same)
		}
	}
}
