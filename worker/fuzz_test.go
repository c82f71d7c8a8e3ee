package worker

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Fuzz targets for every parser of outside input: the Range header, the
// model path, the completion and SVG bodies, and the bucket manifest.
// Seed corpora live in testdata/fuzz/FuzzXxx.

func FuzzParseRange(f *testing.F) {
	f.Add("bytes=0-99", int64(100))
	f.Add("bytes=-5", int64(3))
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			return
		}
		r, err := parseRange(h, size)
		if err != nil {
			return
		}
		if r.Start < 0 || r.Length < 1 || r.Start+r.Length > size {
			t.Fatalf("parseRange(%q, %d) = %+v outside the object", h, size, r)
		}
	})
}

func FuzzSplitModelPath(f *testing.F) {
	f.Add("gpt2/config.json")
	f.Add("m/%2e%2e/x")
	f.Fuzz(func(t *testing.T, p string) {
		m, file, ok := SplitModelPath(p)
		if !ok {
			return
		}
		if !ValidName(m) || !validFilePath(file) {
			t.Fatalf("SplitModelPath(%q) = %q, %q: invalid names accepted", p, m, file)
		}
		for _, seg := range strings.Split(m+"/"+file, "/") {
			if seg == "." || seg == ".." || strings.ContainsAny(seg, `\%`+"\x00") {
				t.Fatalf("SplitModelPath(%q) let %q through", p, seg)
			}
		}
	})
}

func FuzzParseCompletion(f *testing.F) {
	f.Add([]byte(`{"model":"m","prompt":[1,2],"max_tokens":4,"stop":["a"]}`))
	f.Add([]byte(`{"model":"m","prompt":"hi","temperature":0.5,"top_p":0.9}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := parseCompletion(body)
		if err != nil {
			return
		}
		if c.opts.MaxTokens < 1 || c.opts.MaxTokens > MaxNewTokens || c.opts.Temperature < 0 ||
			c.opts.TopP <= 0 || c.opts.TopP > 1 || len(c.stops) > maxStopStrings || (c.text == nil) == (c.ids == nil) {
			t.Fatalf("accepted out-of-contract request %s: %+v", body, c)
		}
		for _, id := range c.ids {
			if id < 0 {
				t.Fatalf("negative id accepted: %s", body)
			}
		}
	})
}

// FuzzSVGBody drives the SVG route's body handling (JSON, limits, the
// vector pipeline's SVG parser for edits) through the handler (no model:
// every valid body ends in 501, never a panic or a 5xx other than that).
func FuzzSVGBody(f *testing.F) {
	f.Add([]byte(`{"prompt":"cat","steps":8}`))
	f.Add([]byte(`{"svg":"<svg/>","keep":[0],"recolor":true}`))
	f.Add([]byte(`{"svg":"<svg viewBox=\"0 0 36 36\"><path d=\"M1 1L5 5Z\"/></svg>","keep":[],"add":1,"cfg":2.5,"seed":3,"model":"x"}`))
	f.Add([]byte(`{"prompt":"cat","n":4}`))
	f.Add([]byte(`{"svg":"<svg viewBox=\"0 0 36 36\"><path d=\"M1 1L5 5Z\"/></svg>","strength":0.6,"n":2}`))
	h := New(Config{Store: fakeStore()})
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, op := range []string{"generate", "edit"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/svg/"+op, strings.NewReader(string(body))))
			switch rec.Code {
			case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusNotImplemented, http.StatusRequestEntityTooLarge:
			default:
				t.Fatalf("%s %q: status %d", op, body, rec.Code)
			}
		}
	})
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"version":1,"models":[{"name":"m","files":[{"name":"config.json","size":2,"sha256":"` + strings.Repeat("0", 64) + `"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		for _, mm := range m.Models {
			if !ValidName(mm.Name) {
				t.Fatalf("accepted model name %q", mm.Name)
			}
			for _, fl := range mm.Files {
				if !validFilePath(fl.Name) || fl.Size < 0 {
					t.Fatalf("accepted file %+v", fl)
				}
			}
		}
	})
}
