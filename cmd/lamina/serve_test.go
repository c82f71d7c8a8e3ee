package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// newServeFixture lays out a built site and a models directory with one
// sharded model, plus a secret file next to them that no URL may reach.
func newServeFixture(t *testing.T) (site, models, secret string) {
	t.Helper()
	dir := t.TempDir()
	site = filepath.Join(dir, "site")
	models = filepath.Join(dir, "models")
	secret = filepath.Join(dir, "secret.txt")
	files := map[string]string{
		"site/index.html":                     "<!doctype html><title>lamina</title>",
		"site/lamina.mjs":                     "export const x = 1;",
		"site/lamina-worker.js":               "self.onmessage = () => {};",
		"site/wasm_exec.js":                   "globalThis.Go = class {};",
		"site/lamina.wasm":                    "\x00asm\x01\x00\x00\x00",
		"site/bench/index.html":               "<!doctype html><title>bench</title>",
		"site/favicon.ico":                    "\x00\x00\x01\x00",
		"site/.hidden":                        "no",
		"models/tiny/config.json":             `{"model_type":"llama"}`,
		"models/tiny/model.safetensors":       "0123456789abcdef",
		"models/tiny/.git/config":             "no",
		"models/other/config.json":            `{}`,
		"models/README.txt":                   "not a model",
		"secret.txt":                          "top secret",
		"models/.cache/some/config.json":      "no",
		"models/other/tokenizer.json":         `{"model":{}}`,
		"models/other/generation_config.json": `{}`,
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A symlink inside the models root that points outside it.
	if err := os.Symlink(secret, filepath.Join(models, "tiny", "leak.json")); err != nil {
		t.Fatal(err)
	}
	return site, models, secret
}

func TestServe(t *testing.T) {
	site, models, _ := newServeFixture(t)
	h, err := newServeHandler(site, models)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	tests := []struct {
		name        string
		method      string
		path        string
		rangeHdr    string
		wantStatus  int
		wantType    string // prefix of Content-Type; "" means don't check
		wantBody    string // exact body; "" means don't check
		notContains string // the body must not contain this
	}{
		{name: "index", path: "/", wantStatus: 200, wantType: "text/html", wantBody: "<!doctype html><title>lamina</title>"},
		{name: "module", path: "/lamina.mjs", wantStatus: 200, wantType: "text/javascript", wantBody: "export const x = 1;"},
		{name: "worker script", path: "/lamina-worker.js", wantStatus: 200, wantType: "text/javascript"},
		{name: "wasm_exec at root", path: "/wasm_exec.js", wantStatus: 200, wantType: "text/javascript"},
		{name: "wasm", path: "/lamina.wasm", wantStatus: 200, wantType: "application/wasm"},
		{name: "favicon", path: "/favicon.ico", wantStatus: 200, wantType: "image/x-icon", wantBody: "\x00\x00\x01\x00"},
		{name: "subdir index", path: "/bench/", wantStatus: 200, wantType: "text/html", wantBody: "<!doctype html><title>bench</title>"},
		{name: "head", method: http.MethodHead, path: "/lamina.mjs", wantStatus: 200, wantType: "text/javascript", wantBody: ""},
		{name: "missing", path: "/nope.js", wantStatus: 404},
		{name: "dot file", path: "/.hidden", wantStatus: 404},
		{name: "post refused", method: http.MethodPost, path: "/", wantStatus: 405},
		{name: "model file", path: "/models/tiny/config.json", wantStatus: 200, wantType: "application/json", wantBody: `{"model_type":"llama"}`},
		{name: "model range", path: "/models/tiny/model.safetensors", rangeHdr: "bytes=4-7", wantStatus: 206, wantType: "application/octet-stream", wantBody: "4567"},
		{name: "model suffix range", path: "/models/tiny/model.safetensors", rangeHdr: "bytes=-3", wantStatus: 206, wantBody: "def"},
		{name: "bad range", path: "/models/tiny/model.safetensors", rangeHdr: "bytes=100-200", wantStatus: 416},
		{name: "missing model file", path: "/models/tiny/tokenizer.json", wantStatus: 404},
		{name: "missing model", path: "/models/none/config.json", wantStatus: 404},
		{name: "dotdot escapes to root", path: "/models/../secret.txt", wantStatus: 404, notContains: "top secret"},
		{name: "encoded dotdot", path: "/models/tiny/..%2f..%2fsecret.txt", wantStatus: 404, notContains: "top secret"},
		{name: "symlink escape", path: "/models/tiny/leak.json", wantStatus: 403, notContains: "top secret"},
		{name: "dot dir in model", path: "/models/tiny/.git/config", wantStatus: 404},
		{name: "backslash", path: "/models/tiny\\..\\..\\secret.txt", wantStatus: 404, notContains: "top secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			req, err := http.NewRequest(method, srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			// Keep the raw path: the client would otherwise clean ".." itself.
			req.URL.Opaque = tc.path
			if tc.rangeHdr != "" {
				req.Header.Set("Range", tc.rangeHdr)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, tc.wantStatus, body)
			}
			if ct := resp.Header.Get("Content-Type"); tc.wantType != "" && !strings.HasPrefix(ct, tc.wantType) {
				t.Errorf("Content-Type %q, want %q", ct, tc.wantType)
			}
			if tc.wantBody != "" && string(body) != tc.wantBody {
				t.Errorf("body %q, want %q", body, tc.wantBody)
			}
			if method == http.MethodHead && len(body) != 0 {
				t.Errorf("HEAD returned a body %q", body)
			}
			if tc.notContains != "" && strings.Contains(string(body), tc.notContains) {
				t.Errorf("body leaks %q", tc.notContains)
			}
			if resp.StatusCode < 300 {
				checkIsolation(t, resp.Header, !strings.HasPrefix(tc.path, "/models/"))
			}
		})
	}
}

// checkIsolation: every file may be loaded by a cross-origin isolated page
// of another origin, and the site's files are served so that its pages
// (and their workers) are isolated (the header values the HTML standard's
// COOP/COEP and the Fetch standard's CORP define).
func checkIsolation(t *testing.T, h http.Header, page bool) {
	t.Helper()
	if got := h.Get("Cross-Origin-Resource-Policy"); got != "cross-origin" {
		t.Errorf("Cross-Origin-Resource-Policy %q, want cross-origin", got)
	}
	coop, coep := h.Get("Cross-Origin-Opener-Policy"), h.Get("Cross-Origin-Embedder-Policy")
	if page && (coop != "same-origin" || coep != "require-corp") {
		t.Errorf("site file: COOP %q, COEP %q; want same-origin, require-corp", coop, coep)
	}
	if !page && (coop != "" || coep != "") {
		t.Errorf("model file: COOP %q, COEP %q; want none", coop, coep)
	}
}

func TestServeModelIndex(t *testing.T) {
	site, models, _ := newServeFixture(t)
	h, err := newServeHandler(site, models)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	var index struct {
		Models []modelEntry `json:"models"`
	}
	getJSON(t, srv.URL+"/models/", &index)
	var names []string
	for _, m := range index.Models {
		names = append(names, m.Name)
	}
	if got, want := strings.Join(names, ","), "other,tiny"; got != want {
		t.Fatalf("models %q, want %q (dot-directories and plain files are not models)", got, want)
	}
	var tiny modelEntry
	getJSON(t, srv.URL+"/models/tiny/", &tiny)
	if tiny.URL != "/models/tiny/" {
		t.Errorf("url %q", tiny.URL)
	}
	sizes := map[string]int64{}
	for _, f := range tiny.Files {
		sizes[f.Name] = f.Size
	}
	if sizes["model.safetensors"] != 16 || sizes["config.json"] != int64(len(`{"model_type":"llama"}`)) {
		t.Errorf("file sizes %v", sizes)
	}
	if _, ok := sizes[".git"]; ok {
		t.Errorf("listed a dot entry: %v", sizes)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s: Content-Type %q", url, ct)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("GET %s: models must be readable cross-origin", url)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestServeErrors(t *testing.T) {
	site, _, _ := newServeFixture(t)
	empty := t.TempDir()
	tests := []struct {
		name, site, models, wantErr string
	}{
		{"site missing", filepath.Join(empty, "nope"), "", "run ./build.sh first"},
		{"site not built", empty, "", "has no lamina.mjs"},
		{"models missing", site, filepath.Join(empty, "nope"), "models directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newServeHandler(tc.site, tc.models)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err %v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
	// Without --models, /models/ says how to enable it.
	h, err := newServeHandler(site, "")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/models/", nil))
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), "--models") {
		t.Fatalf("status %d body %q", rec.Code, rec.Body.String())
	}
}

// FuzzCleanRel checks that no URL path maps to a name that climbs out of
// the served root or names a dot-file, whatever the input.
func FuzzCleanRel(f *testing.F) {
	for _, s := range []string{"/", "/models/a/config.json", "/../x", "/a/../../b", "/.git/config", "a\\..\\b", "/a//b", "/a/./b/", "%2e%2e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		name, ok := cleanRel(p)
		if !ok {
			return
		}
		if name == "" {
			return
		}
		if strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || strings.Contains(name, "\x00") {
			t.Fatalf("cleanRel(%q) = %q", p, name)
		}
		for _, seg := range strings.Split(name, "/") {
			if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, ".") {
				t.Fatalf("cleanRel(%q) = %q has segment %q", p, name, seg)
			}
		}
	})
}
