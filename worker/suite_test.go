package worker

// The HTTP suite. runSuite drives any base URL, so the same checks run
// natively against httptest (TestHandlerSuite, always) and against a
// running worker under `wrangler dev` (TestWorkerSuite, when
// LAMINA_WORKER_URL is set; worker/test/run.sh does that).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/vector"
)

// fixtureModels are the Hugging Face fixtures of model/testdata (served from
// modelsDir), each with the greedy reference ids transformers produced in its
// reference.json.
var fixtureModels = []string{"gpt2-tiny", "llama-tiny", "llama-tiny-sharded-f16", "qwen2-tiny"}

type greedyRef struct {
	Prompt []int32 `json:"greedy_prompt"`
	IDs    []int32 `json:"greedy_ids"`
}

func loadGreedy(t *testing.T) map[string]greedyRef {
	t.Helper()
	refs := map[string]greedyRef{}
	for _, name := range fixtureModels {
		data, err := os.ReadFile(filepath.Join("..", "model", "testdata", name, "reference.json"))
		if err != nil {
			t.Fatal(err)
		}
		var r greedyRef
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		refs[name] = r
	}
	return refs
}

// suite is one run against base.
type suite struct {
	base   string
	client *http.Client
	// remote is true for the wrangler-dev target, which adds the shim's
	// X-Lamina-Instance header.
	remote bool
}

func newSuite(base string, remote bool) *suite {
	return &suite{base: strings.TrimRight(base, "/"), remote: remote, client: &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true},
		// Redirects would hide what the worker answered.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type result struct {
	status int
	header http.Header
	body   []byte
	dur    time.Duration
}

func (s *suite) do(t testing.TB, method, path string, body []byte, hdr map[string]string) result {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return result{resp.StatusCode, resp.Header, b, time.Since(start)}
}

// raw sends a request line byte for byte (Go's client and fetch would
// normalise "..", "%2e%2e" and backslashes before they left the machine).
func (s *suite) raw(t *testing.T, method, target string) result {
	t.Helper()
	u, err := url.Parse(s.base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", method, target, u.Host)
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: b}
}

func (s *suite) postJSON(t testing.TB, path string, v any) result {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return s.do(t, http.MethodPost, path, b, nil)
}

// wantError checks a JSON error response's status and code.
func wantError(t testing.TB, what string, r result, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d; body %s", what, r.status, status, r.body)
		return
	}
	var e apiError
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Errorf("%s: error body is not JSON: %v: %q", what, err, r.body)
		return
	}
	if e.Error.Message == "" || e.Error.Type == "" {
		t.Errorf("%s: error body lacks message/type: %s", what, r.body)
	}
	if code != "" && e.Error.Code != code {
		t.Errorf("%s: code %q, want %q (%s)", what, e.Error.Code, code, e.Error.Message)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
	if r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("%s: no CORS header on an error", what)
	}
}

// fileFacts are the size and SHA-256 of a fixture file, computed here from
// the files on disk (not by the handler's manifest code).
func fileFacts(t *testing.T, model, file string) ([]byte, string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(modelsDir, model, file))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return data, hex.EncodeToString(sum[:])
}

func runSuite(t *testing.T, s *suite) {
	// Cold/warm first: it needs models that nothing has loaded yet.
	t.Run("ColdWarm", func(t *testing.T) { s.coldWarm(t) })
	t.Run("Health", func(t *testing.T) { s.health(t) })
	t.Run("Models", func(t *testing.T) { s.models(t) })
	t.Run("Files", func(t *testing.T) { s.files(t) })
	t.Run("Ranges", func(t *testing.T) { s.ranges(t) })
	t.Run("NotModified", func(t *testing.T) { s.notModified(t) })
	t.Run("CORS", func(t *testing.T) { s.cors(t) })
	t.Run("Traversal", func(t *testing.T) { s.traversal(t) })
	t.Run("Methods", func(t *testing.T) { s.methods(t) })
	t.Run("CompletionErrors", func(t *testing.T) { s.completionErrors(t) })
	t.Run("Greedy", func(t *testing.T) { s.greedy(t) })
	t.Run("Stream", func(t *testing.T) { s.stream(t) })
	t.Run("Sampling", func(t *testing.T) { s.sampling(t) })
	t.Run("TextPrompts", func(t *testing.T) { s.textPrompts(t) })
	t.Run("SVG", func(t *testing.T) { s.svg(t) })
	t.Run("Load", func(t *testing.T) { s.load(t) })
	if marker := os.Getenv("LAMINA_ASSET_CHECK"); s.remote && marker != "" {
		t.Run("StaticAssets", func(t *testing.T) {
			r := s.do(t, "GET", "/lamina-asset-check.txt", nil, nil)
			if r.status != 200 || strings.TrimSpace(string(r.body)) != marker {
				t.Errorf("static asset: status %d body %q, want %q", r.status, r.body, marker)
			}
		})
	}
}

func (s *suite) health(t *testing.T) {
	r := s.do(t, "GET", "/health", nil, nil)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var h struct {
		Status      string `json:"status"`
		Completions bool   `json:"completions"`
		SVG         bool   `json:"svg"`
	}
	if err := json.Unmarshal(r.body, &h); err != nil || h.Status != "ok" || !h.Completions || !h.SVG {
		t.Errorf("health = %s (err %v); want ok, completions, svg", r.body, err)
	}
}

func (s *suite) models(t *testing.T) {
	r := s.do(t, "GET", "/v1/models", nil, nil)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var list modelsResponse
	if err := json.Unmarshal(r.body, &list); err != nil {
		t.Fatal(err)
	}
	got := map[string]modelEntry{}
	for _, m := range list.Data {
		got[m.Name] = m
	}
	dirs, err := os.ReadDir(modelsDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Data) != len(dirs) {
		t.Errorf("%d models listed, %d folders in %s", len(list.Data), len(dirs), modelsDir)
	}
	for _, d := range dirs {
		name := d.Name()
		m, ok := got[name]
		if !ok {
			t.Errorf("model %s missing from %s", name, r.body)
			continue
		}
		entries, _ := os.ReadDir(filepath.Join(modelsDir, name))
		if len(m.Files) != len(entries) {
			t.Errorf("%s: %d files listed, %d on disk", name, len(m.Files), len(entries))
		}
		for _, f := range m.Files {
			data, sum := fileFacts(t, name, f.Name)
			if f.Size != int64(len(data)) || f.SHA256 != sum {
				t.Errorf("%s/%s: listed size %d sha %s, file has %d %s", name, f.Name, f.Size, f.SHA256, len(data), sum)
			}
			if f.URL != "/models/"+name+"/"+f.Name+"?sha256="+sum {
				t.Errorf("%s/%s: url %q", name, f.Name, f.URL)
			}
		}
	}
}

func (s *suite) files(t *testing.T) {
	data, sum := fileFacts(t, "gpt2-tiny", "config.json")
	r := s.do(t, "GET", "/models/gpt2-tiny/config.json", nil, nil)
	if r.status != 200 || !bytes.Equal(r.body, data) {
		t.Fatalf("GET config.json: status %d, body %d bytes (want %d)", r.status, len(r.body), len(data))
	}
	checks := map[string]string{
		"ETag":          `"` + sum + `"`,
		"Accept-Ranges": "bytes",
		"Cache-Control": "public, max-age=60, must-revalidate",
		"Content-Type":  "application/json",
	}
	for k, v := range checks {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	// Content-addressed URL: immutable.
	r = s.do(t, "GET", "/models/gpt2-tiny/config.json?sha256="+sum, nil, nil)
	if r.status != 200 || r.header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("pinned: status %d Cache-Control %q", r.status, r.header.Get("Cache-Control"))
	}
	wantError(t, "wrong sha256", s.do(t, "GET", "/models/gpt2-tiny/config.json?sha256="+strings.Repeat("0", 64), nil, nil), 404, "sha256_mismatch")

	// A big binary file whole, byte for byte.
	big, bigSum := fileFacts(t, "gpt2-tiny", "model.safetensors")
	r = s.do(t, "GET", "/models/gpt2-tiny/model.safetensors", nil, nil)
	if r.status != 200 || !bytes.Equal(r.body, big) {
		t.Errorf("GET model.safetensors: status %d, %d bytes, want %d", r.status, len(r.body), len(big))
	}
	if got := r.header.Get("Content-Length"); got != "" && got != strconv.Itoa(len(big)) {
		t.Errorf("Content-Length %s, want %d", got, len(big))
	}
	// A shard of the sharded model.
	shard, _ := fileFacts(t, "llama-tiny-sharded-f16", "model-00003-of-00005.safetensors")
	r = s.do(t, "GET", "/models/llama-tiny-sharded-f16/model-00003-of-00005.safetensors", nil, nil)
	if r.status != 200 || !bytes.Equal(r.body, shard) {
		t.Errorf("GET shard: status %d, %d bytes, want %d", r.status, len(r.body), len(shard))
	}
	// HEAD: headers, no body.
	r = s.do(t, "HEAD", "/models/gpt2-tiny/model.safetensors", nil, nil)
	if r.status != 200 || len(r.body) != 0 || r.header.Get("Content-Length") != strconv.Itoa(len(big)) || r.header.Get("ETag") != `"`+bigSum+`"` {
		t.Errorf("HEAD: status %d, body %d, Content-Length %q, ETag %q", r.status, len(r.body), r.header.Get("Content-Length"), r.header.Get("ETag"))
	}
	wantError(t, "unknown model", s.do(t, "GET", "/models/no-such-model/config.json", nil, nil), 404, "model_not_found")
	wantError(t, "unknown file", s.do(t, "GET", "/models/gpt2-tiny/nope.bin", nil, nil), 404, "file_not_found")
	wantError(t, "unknown route", s.do(t, "GET", "/v1/nothing", nil, nil), 404, "route_not_found")
}

func (s *suite) ranges(t *testing.T) {
	const file = "/models/gpt2-tiny/model.safetensors"
	data, _ := fileFacts(t, "gpt2-tiny", "model.safetensors")
	n := int64(len(data))
	cases := []struct {
		name, rng  string
		status     int
		start, end int64 // inclusive, for 206
	}{
		{"closed", "bytes=0-99", 206, 0, 99},
		{"middle", "bytes=1000-1999", 206, 1000, 1999},
		{"one byte", "bytes=7-7", 206, 7, 7},
		{"open-ended", "bytes=566000-", 206, 566000, n - 1},
		{"suffix", "bytes=-500", 206, n - 500, n - 1},
		{"suffix longer than file", "bytes=-99999999", 206, 0, n - 1},
		{"end past file clamped", "bytes=566800-999999999", 206, 566800, n - 1},
		{"last byte", fmt.Sprintf("bytes=%d-", n-1), 206, n - 1, n - 1},
		{"start at size", fmt.Sprintf("bytes=%d-", n), 416, 0, 0},
		{"start past size", "bytes=99999999-100000000", 416, 0, 0},
		{"zero suffix", "bytes=-0", 416, 0, 0},
		{"reversed is ignored", "bytes=500-100", 200, 0, n - 1},
		{"multi-range is served whole", "bytes=0-1,5-6", 200, 0, n - 1},
		{"other unit ignored", "items=0-5", 200, 0, n - 1},
		{"garbage ignored", "bytes=abc", 200, 0, n - 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.do(t, "GET", file, nil, map[string]string{"Range": c.rng})
			if c.status == 416 {
				wantError(t, c.rng, r, 416, "range_not_satisfiable")
				if got := r.header.Get("Content-Range"); got != fmt.Sprintf("bytes */%d", n) {
					t.Errorf("416 Content-Range %q", got)
				}
				return
			}
			if r.status != c.status {
				t.Fatalf("%s: status %d, want %d: %.200s", c.rng, r.status, c.status, r.body)
			}
			if !bytes.Equal(r.body, data[c.start:c.end+1]) {
				t.Errorf("%s: body %d bytes, want bytes %d-%d", c.rng, len(r.body), c.start, c.end)
			}
			if c.status == 206 {
				want := fmt.Sprintf("bytes %d-%d/%d", c.start, c.end, n)
				if got := r.header.Get("Content-Range"); got != want {
					t.Errorf("%s: Content-Range %q, want %q", c.rng, got, want)
				}
				if got := r.header.Get("Content-Length"); got != "" && got != strconv.FormatInt(c.end-c.start+1, 10) {
					t.Errorf("%s: Content-Length %s", c.rng, got)
				}
			}
		})
	}
	// HEAD with a range: 206 headers, no body.
	r := s.do(t, "HEAD", file, nil, map[string]string{"Range": "bytes=10-19"})
	if r.status != 206 || len(r.body) != 0 || r.header.Get("Content-Range") != fmt.Sprintf("bytes 10-19/%d", n) {
		t.Errorf("HEAD range: %d %q body %d", r.status, r.header.Get("Content-Range"), len(r.body))
	}
	// If-Range with a stale validator: the whole file.
	r = s.do(t, "GET", file, nil, map[string]string{"Range": "bytes=0-9", "If-Range": `"stale"`})
	if r.status != 200 || int64(len(r.body)) != n {
		t.Errorf("stale If-Range: status %d, %d bytes", r.status, len(r.body))
	}
}

func (s *suite) notModified(t *testing.T) {
	_, sum := fileFacts(t, "llama-tiny", "model.safetensors")
	etag := `"` + sum + `"`
	cases := []struct {
		name, inm string
		status    int
	}{
		{"same etag", etag, 304},
		{"weak form", "W/" + etag, 304},
		{"in a list", `"abc", ` + etag, 304},
		{"star", "*", 304},
		{"other etag", `"0000"`, 200},
	}
	for _, c := range cases {
		r := s.do(t, "GET", "/models/llama-tiny/model.safetensors", nil, map[string]string{"If-None-Match": c.inm})
		if r.status != c.status {
			t.Errorf("%s: status %d, want %d", c.name, r.status, c.status)
		}
		if c.status == 304 {
			if len(r.body) != 0 || r.header.Get("ETag") != etag {
				t.Errorf("%s: 304 with body %d bytes, ETag %q", c.name, len(r.body), r.header.Get("ETag"))
			}
			if r.header.Get("Cache-Control") == "" {
				t.Errorf("%s: 304 without Cache-Control", c.name)
			}
		}
	}
}

func (s *suite) cors(t *testing.T) {
	cases := []struct {
		path, method, want string
	}{
		{"/models/gpt2-tiny/model.safetensors", "GET", "GET"},
		{"/v1/models", "GET", "GET"},
		{"/v1/completions", "POST", "POST"},
		{"/v1/svg/generate", "POST", "POST"},
	}
	for _, c := range cases {
		r := s.do(t, "OPTIONS", c.path, nil, map[string]string{
			"Origin":                         "https://elsewhere.example",
			"Access-Control-Request-Method":  c.method,
			"Access-Control-Request-Headers": "range, content-type",
		})
		if r.status != 204 && r.status != 200 {
			t.Errorf("preflight %s: status %d", c.path, r.status)
			continue
		}
		h := r.header
		if h.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), c.want) ||
			!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "range") ||
			!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "content-type") {
			t.Errorf("preflight %s: headers %v", c.path, h)
		}
	}
	r := s.do(t, "GET", "/models/gpt2-tiny/config.json", nil, map[string]string{"Origin": "https://elsewhere.example"})
	if r.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "Content-Range") {
		t.Errorf("GET CORS headers: %v", r.header)
	}
	// A cross-origin isolated page may load it (Fetch standard's CORP).
	if got := r.header.Get("Cross-Origin-Resource-Policy"); got != "cross-origin" {
		t.Errorf("GET Cross-Origin-Resource-Policy %q, want cross-origin", got)
	}
}

func (s *suite) traversal(t *testing.T) {
	manifest := s.do(t, "GET", "/v1/models", nil, nil)
	secret, _ := fileFacts(t, "llama-tiny", "config.json")
	targets := []string{
		"/models/../_lamina/manifest.json",
		"/models/%2e%2e/_lamina/manifest.json",
		"/models/%2E%2E/%2E%2E/etc/passwd",
		"/models/gpt2-tiny/../llama-tiny/config.json",
		"/models/gpt2-tiny/%2e%2e/llama-tiny/config.json",
		"/models/gpt2-tiny/.%2e/llama-tiny/config.json",
		"/models/gpt2-tiny/..%2fllama-tiny%2fconfig.json",
		"/models/gpt2-tiny/..%2Fllama-tiny%2Fconfig.json",
		`/models/gpt2-tiny/..\llama-tiny\config.json`,
		"/models/gpt2-tiny/..%5cllama-tiny%5cconfig.json",
		`/models/gpt2-tiny\..\..\_lamina\manifest.json`,
		"/models//etc/passwd",
		"/models/%2fetc%2fpasswd/x",
		"/models/_lamina/manifest.json",
		"/models/gpt2-tiny/%00config.json",
		"/models/gpt2-tiny/.",
		"/models/gpt2-tiny/./config.json",
		"/models/gpt2-tiny",
		"/models/",
		"/models/C:%5cWindows/x",
	}
	for _, target := range targets {
		r := s.raw(t, "GET", target)
		// Workers' runtime parses request URLs the WHATWG way, resolving
		// dot segments (also %2e) and turning '\' into '/' before the Go
		// handler sees them; natively the handler sees them raw and
		// refuses them. Either way, what is served must be the file the
		// resolved path names inside /models/, never anything outside.
		if r.status == 200 {
			resolved, ok := whatwgResolve(target)
			model, file, inside := strings.Cut(strings.TrimPrefix(resolved, "/models/"), "/")
			if !ok || !strings.HasPrefix(resolved, "/models/") || !inside {
				t.Errorf("%s: 200 for a path outside /models/ (resolves to %q)", target, resolved)
				continue
			}
			want, err := os.ReadFile(filepath.Join(modelsDir, model, filepath.FromSlash(file)))
			if err != nil || !bytes.Equal(r.body, want) {
				t.Errorf("%s: 200 but not the bytes of %s (err %v)", target, resolved, err)
			}
			continue
		}
		if r.status != 400 && r.status != 404 {
			t.Errorf("%s: status %d, want 400 or 404: %.120s", target, r.status, r.body)
			continue
		}
		var e apiError
		if json.Unmarshal(r.body, &e) != nil || e.Error.Code == "" {
			t.Errorf("%s: %d without a JSON error: %.120q", target, r.status, r.body)
		}
		if bytes.Contains(r.body, secret) || (len(manifest.body) > 0 && bytes.Contains(r.body, manifest.body)) {
			t.Errorf("%s: leaked content", target)
		}
	}
}

// whatwgResolve is what a WHATWG URL parser makes of a request path: '\'
// is '/', "." / ".." segments (also as %2e) are resolved. ok is false for a
// path it would leave with encoded separators or NULs.
func whatwgResolve(target string) (string, bool) {
	p := strings.ReplaceAll(target, `\`, "/")
	var out []string
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		switch strings.ToLower(seg) {
		case ".", "%2e":
			if i == len(segs)-1 {
				out = append(out, "")
			}
			continue
		case "..", ".%2e", "%2e.", "%2e%2e":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if i == len(segs)-1 {
				out = append(out, "")
			}
			continue
		}
		out = append(out, seg)
	}
	res := strings.Join(out, "/")
	dec, err := url.PathUnescape(res)
	if err != nil || strings.ContainsAny(dec, "\x00") || dec != res {
		return res, false
	}
	return res, true
}

func (s *suite) methods(t *testing.T) {
	cases := []struct{ method, path, allow string }{
		{"POST", "/health", "GET"},
		{"DELETE", "/v1/models", "GET"},
		{"PUT", "/models/gpt2-tiny/config.json", "GET"},
		{"POST", "/models/gpt2-tiny/config.json", "HEAD"},
		{"GET", "/v1/completions", "POST"},
		{"PUT", "/v1/completions", "POST"},
		{"GET", "/v1/svg/generate", "POST"},
		{"DELETE", "/v1/svg/edit", "POST"},
	}
	for _, c := range cases {
		var body []byte
		if c.method == "POST" || c.method == "PUT" {
			body = []byte("{}")
		}
		r := s.do(t, c.method, c.path, body, nil)
		wantError(t, c.method+" "+c.path, r, 405, "method_not_allowed")
		if !strings.Contains(r.header.Get("Allow"), c.allow) {
			t.Errorf("%s %s: Allow %q lacks %s", c.method, c.path, r.header.Get("Allow"), c.allow)
		}
	}
}

// oversizeBody is valid JSON one byte over the limit, so only its size is
// wrong.
func oversizeBody() []byte {
	pad := MaxBodyBytes + 1 - len(`{"model":"gpt2-tiny","prompt":[1],"x":""}`)
	return []byte(`{"model":"gpt2-tiny","prompt":[1],"x":"` + strings.Repeat("a", pad) + `"}`)
}

func (s *suite) completionErrors(t *testing.T) {
	big := oversizeBody()
	if len(big) != MaxBodyBytes+1 {
		t.Fatalf("oversize body is %d bytes", len(big))
	}
	justFits := append([]byte(nil), big[:0]...)
	justFits = append(justFits, big[:len(big)-len(`a"}`)]...)
	justFits = append(justFits, `"}`...)
	cases := []struct {
		name   string
		body   []byte
		status int
		code   string
	}{
		{"bad json", []byte(`{"model": "gpt2-tiny", "prompt": [1,2`), 400, "invalid_json"},
		{"not an object", []byte(`[1,2,3]`), 400, "invalid_json"},
		{"trailing data", []byte(`{"model":"gpt2-tiny","prompt":[1]} {}`), 400, "invalid_json"},
		{"empty body", []byte(``), 400, "invalid_json"},
		{"wrong type", []byte(`{"model":"gpt2-tiny","prompt":[1],"max_tokens":"ten"}`), 400, "invalid_json"},
		{"no model", []byte(`{"prompt":[1]}`), 400, "missing_model"},
		{"no prompt", []byte(`{"model":"gpt2-tiny"}`), 400, "missing_prompt"},
		{"prompt object", []byte(`{"model":"gpt2-tiny","prompt":{"a":1}}`), 400, "invalid_prompt"},
		{"max_tokens 257", []byte(`{"model":"gpt2-tiny","prompt":[1],"max_tokens":257}`), 422, "max_tokens_out_of_range"},
		{"max_tokens 0", []byte(`{"model":"gpt2-tiny","prompt":[1],"max_tokens":0}`), 422, "max_tokens_out_of_range"},
		{"temperature 3", []byte(`{"model":"gpt2-tiny","prompt":[1],"temperature":3}`), 422, "temperature_out_of_range"},
		{"top_p 0", []byte(`{"model":"gpt2-tiny","prompt":[1],"top_p":0}`), 422, "top_p_out_of_range"},
		{"n 2", []byte(`{"model":"gpt2-tiny","prompt":[1],"n":2}`), 422, "unsupported_n"},
		{"two prompts", []byte(`{"model":"gpt2-tiny","prompt":[[1],[2]]}`), 422, "unsupported_batch"},
		{"empty prompt", []byte(`{"model":"gpt2-tiny","prompt":[]}`), 422, "empty_prompt"},
		{"negative id", []byte(`{"model":"gpt2-tiny","prompt":[-1]}`), 422, "token_id_out_of_range"},
		{"id past vocab", []byte(`{"model":"gpt2-tiny","prompt":[512]}`), 422, "token_id_out_of_range"},
		{"context overflow", []byte(`{"model":"gpt2-tiny","prompt":[` + strings.TrimSuffix(strings.Repeat("1,", 120), ",") + `],"max_tokens":16}`), 422, "context_length_exceeded"},
		{"text without tokenizer", []byte(`{"model":"gpt2-tiny","prompt":"hello"}`), 422, "no_tokenizer"},
		{"stop without tokenizer", []byte(`{"model":"gpt2-tiny","prompt":[1],"stop":"x"}`), 422, "no_tokenizer"},
		{"speculative exit 0", []byte(`{"model":"gpt2-tiny","prompt":[1],"speculative":{"exit_layer":0}}`), 422, "speculative_out_of_range"},
		{"speculative past depth", []byte(`{"model":"gpt2-tiny","prompt":[1],"speculative":{"exit_layer":2}}`), 422, "speculative_out_of_range"},
		{"speculative 99 drafts", []byte(`{"model":"gpt2-tiny","prompt":[1],"speculative":{"exit_layer":1,"draft_tokens":99}}`), 422, "speculative_out_of_range"},
		{"five stops", []byte(`{"model":"gpt2-tiny","prompt":[1],"stop":["a","b","c","d","e"]}`), 422, "too_many_stops"},
		{"unknown model", []byte(`{"model":"no-such-model","prompt":[1]}`), 404, "model_not_found"},
		{"oversize", big, 413, "body_too_large"},
	}
	for _, c := range cases {
		wantError(t, c.name, s.do(t, "POST", "/v1/completions", c.body, nil), c.status, c.code)
	}
	// A body of exactly the limit is read (and then fails on the unknown
	// field? no: unknown fields are ignored, so it is a valid request).
	if len(justFits) != MaxBodyBytes {
		t.Fatalf("limit body is %d bytes", len(justFits))
	}
	r := s.do(t, "POST", "/v1/completions", justFits, nil)
	if r.status != 200 {
		t.Errorf("body of exactly %d bytes: status %d: %.200s", MaxBodyBytes, r.status, r.body)
	}
}

func (s *suite) complete(t testing.TB, req map[string]any) (completionResponse, result) {
	t.Helper()
	r := s.postJSON(t, "/v1/completions", req)
	var resp completionResponse
	if r.status != 200 {
		t.Fatalf("completion %v: status %d: %s", req, r.status, r.body)
	}
	if err := json.Unmarshal(r.body, &resp); err != nil {
		t.Fatalf("completion body: %v: %s", err, r.body)
	}
	if len(resp.Choices) != 1 || resp.Object != "text_completion" || !strings.HasPrefix(resp.ID, "cmpl-") {
		t.Fatalf("completion shape: %s", r.body)
	}
	return resp, r
}

func (s *suite) greedy(t *testing.T) {
	refs := loadGreedy(t)
	for _, name := range fixtureModels {
		ref := refs[name]
		want := ref.IDs[len(ref.Prompt):]
		resp, _ := s.complete(t, map[string]any{
			"model": name, "prompt": ref.Prompt, "max_tokens": len(want),
			"temperature": 0, "ignore_eos": true, "return_token_ids": true,
		})
		ch := resp.Choices[0]
		if !equalIDs(ch.TokenIDs, want) {
			t.Errorf("%s greedy: got %v, transformers %v", name, ch.TokenIDs, want)
		}
		if ch.FinishReason == nil || *ch.FinishReason != "length" {
			t.Errorf("%s: finish_reason %v", name, ch.FinishReason)
		}
		if resp.Usage == nil || resp.Usage.PromptTokens != len(ref.Prompt) || resp.Usage.CompletionTokens != len(want) {
			t.Errorf("%s: usage %+v", name, resp.Usage)
		}
		// The prompt may also be the one-element batch form.
		resp2, _ := s.complete(t, map[string]any{
			"model": name, "prompt": [][]int32{ref.Prompt}, "max_tokens": 3,
			"temperature": 0, "ignore_eos": true, "return_token_ids": true,
		})
		if !equalIDs(resp2.Choices[0].TokenIDs, want[:3]) {
			t.Errorf("%s batch form: got %v, want %v", name, resp2.Choices[0].TokenIDs, want[:3])
		}
		// Self-speculative decoding ("speculative", lamina's extension)
		// leaves greedy ids unchanged.
		resp3, _ := s.complete(t, map[string]any{
			"model": name, "prompt": ref.Prompt, "max_tokens": len(want),
			"temperature": 0, "ignore_eos": true, "return_token_ids": true,
			"speculative": map[string]int{"exit_layer": 1, "draft_tokens": 3},
		})
		if !equalIDs(resp3.Choices[0].TokenIDs, want) {
			t.Errorf("%s speculative greedy: got %v, transformers %v", name, resp3.Choices[0].TokenIDs, want)
		}
		// ... and reports what it did in lamina_stats: at most K=3 drafts
		// per round; the prefill yields the first token, then each round
		// its accepted drafts plus one token of the full model's.
		if st := resp3.LaminaStats; st == nil {
			t.Errorf("%s speculative: no lamina_stats", name)
		} else if st.Rounds < 1 || st.Drafted < 1 || st.Drafted > 3*st.Rounds || st.Accepted < 0 || st.Accepted > st.Drafted ||
			st.Accepted+st.Rounds+1 < len(want) || st.Accepted+st.Rounds+1 > len(want)+3 {
			t.Errorf("%s speculative lamina_stats %+v for %d tokens", name, *st, len(want))
		}
		if resp.LaminaStats != nil {
			t.Errorf("%s: lamina_stats without speculative: %+v", name, *resp.LaminaStats)
		}
	}
	// llama-tiny's greedy continuation hits its EOS (2) second: without
	// ignore_eos the completion stops there and leaves EOS out.
	ref := refs["llama-tiny"]
	want := ref.IDs[len(ref.Prompt):]
	eosAt := indexOf(want, 2)
	if eosAt < 0 {
		t.Fatal("fixture changed: llama-tiny greedy has no EOS")
	}
	resp, _ := s.complete(t, map[string]any{"model": "llama-tiny", "prompt": ref.Prompt, "max_tokens": 16, "temperature": 0, "return_token_ids": true})
	ch := resp.Choices[0]
	if !equalIDs(ch.TokenIDs, want[:eosAt]) || ch.FinishReason == nil || *ch.FinishReason != "stop" {
		t.Errorf("llama-tiny with EOS: ids %v finish %v; want %v stop", ch.TokenIDs, ch.FinishReason, want[:eosAt])
	}
	// Without return_token_ids there are no token_ids.
	r := s.postJSON(t, "/v1/completions", map[string]any{"model": "qwen2-tiny", "prompt": []int{1, 2}, "max_tokens": 2, "temperature": 0})
	if r.status != 200 || bytes.Contains(r.body, []byte("token_ids")) {
		t.Errorf("token_ids without return_token_ids: %d %s", r.status, r.body)
	}
}

// sseEvents splits an SSE body into its data payloads, failing on any line
// that is not `data: ...` or on events not separated by a blank line.
func sseEvents(t *testing.T, body []byte) []string {
	t.Helper()
	text := string(body)
	if !strings.HasSuffix(text, "\n\n") {
		t.Fatalf("SSE body does not end with a blank line: %q", tail(text))
	}
	var out []string
	for _, ev := range strings.Split(strings.TrimSuffix(text, "\n\n"), "\n\n") {
		if strings.Contains(ev, "\n") {
			t.Fatalf("SSE event spans lines: %q", ev)
		}
		if !strings.HasPrefix(ev, "data: ") {
			t.Fatalf("SSE line without data: prefix: %q", ev)
		}
		out = append(out, strings.TrimPrefix(ev, "data: "))
	}
	return out
}

func tail(s string) string {
	if len(s) > 80 {
		return s[len(s)-80:]
	}
	return s
}

func (s *suite) stream(t *testing.T) {
	refs := loadGreedy(t)
	// "qwen2-tiny speculative" streams with "speculative": the same ids,
	// and lamina_stats on the final event only.
	for _, name := range []string{"gpt2-tiny", "qwen2-tiny", "qwen2-tiny speculative"} {
		name, spec := strings.CutSuffix(name, " speculative")
		ref := refs[name]
		want := ref.IDs[len(ref.Prompt):]
		req := map[string]any{
			"model": name, "prompt": ref.Prompt, "max_tokens": len(want), "temperature": 0,
			"stream": true, "ignore_eos": true, "return_token_ids": true,
		}
		if spec {
			req["speculative"] = map[string]int{"exit_layer": 1, "draft_tokens": 2}
		}
		r := s.postJSON(t, "/v1/completions", req)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("%s stream: status %d type %q: %s", name, r.status, r.header.Get("Content-Type"), r.body)
		}
		events := sseEvents(t, r.body)
		if events[len(events)-1] != "[DONE]" {
			t.Fatalf("%s: last event %q, want [DONE]", name, events[len(events)-1])
		}
		var ids []int32
		var finish []string
		for i, ev := range events[:len(events)-1] {
			var c completionResponse
			if err := json.Unmarshal([]byte(ev), &c); err != nil || len(c.Choices) != 1 || c.Object != "text_completion" {
				t.Fatalf("%s event %d: %v: %s", name, i, err, ev)
			}
			ids = append(ids, c.Choices[0].TokenIDs...)
			if last := i == len(events)-2; (c.LaminaStats != nil) != (spec && last) {
				t.Errorf("%s (speculative %v): event %d of %d has lamina_stats %v", name, spec, i, len(events)-1, c.LaminaStats)
			} else if c.LaminaStats != nil && (c.LaminaStats.Rounds < 1 || c.LaminaStats.Drafted < 1 || c.LaminaStats.Accepted > c.LaminaStats.Drafted) {
				t.Errorf("%s streamed lamina_stats %+v", name, *c.LaminaStats)
			}
			if f := c.Choices[0].FinishReason; f != nil {
				if i != len(events)-2 {
					t.Errorf("%s: finish_reason on event %d of %d", name, i, len(events)-1)
				}
				finish = append(finish, *f)
			}
		}
		if !equalIDs(ids, want) {
			t.Errorf("%s streamed ids %v, transformers %v", name, ids, want)
		}
		if len(events)-1 != len(want)+1 {
			t.Errorf("%s: %d data events, want one per token plus the final one (%d)", name, len(events)-1, len(want)+1)
		}
		if len(finish) != 1 || finish[0] != "length" {
			t.Errorf("%s: finish reasons %v", name, finish)
		}
	}
	// Errors before the stream starts are still plain JSON errors.
	r := s.postJSON(t, "/v1/completions", map[string]any{"model": "gpt2-tiny", "prompt": []int{1}, "stream": true, "max_tokens": 999})
	wantError(t, "stream with bad max_tokens", r, 422, "max_tokens_out_of_range")
}

func (s *suite) sampling(t *testing.T) {
	req := map[string]any{"model": "gpt2-tiny", "prompt": []int{5, 6, 7}, "max_tokens": 12, "temperature": 1.5, "top_p": 0.95, "seed": 42, "return_token_ids": true}
	a, _ := s.complete(t, req)
	b, _ := s.complete(t, req)
	if !equalIDs(a.Choices[0].TokenIDs, b.Choices[0].TokenIDs) || len(a.Choices[0].TokenIDs) != 12 {
		t.Errorf("same seed, different tokens: %v vs %v", a.Choices[0].TokenIDs, b.Choices[0].TokenIDs)
	}
	for _, id := range a.Choices[0].TokenIDs {
		if id < 0 || id >= 512 {
			t.Errorf("sampled id %d outside the vocabulary", id)
		}
	}
}

// svg checks the layered-SVG routes with the tiny model in testdata/models:
// cold and warm timings, the drawing equal to the native CPU runtime's for
// the same options, determinism, kept layers byte-identical after an edit,
// and the errors.
func (s *suite) svg(t *testing.T) {
	const warmRuns = 3
	gen := map[string]any{"prompt": "red heart", "seed": 11, "steps": tinySteps}
	cold := s.postJSON(t, "/v1/svg/generate", gen)
	if cold.status != 200 {
		t.Fatalf("generate: %d %s", cold.status, cold.body)
	}
	var first svgResponse
	if err := json.Unmarshal(cold.body, &first); err != nil {
		t.Fatal(err)
	}
	var warm []time.Duration
	for i := 0; i < warmRuns; i++ {
		r := s.postJSON(t, "/v1/svg/generate", gen)
		if r.status != 200 || !bytes.Equal(r.body, cold.body) {
			t.Errorf("generate again with the same seed: %d, body differs: %v", r.status, !bytes.Equal(r.body, cold.body))
		}
		if c := r.header.Get("X-Lamina-Model-Cache"); c != "hit" {
			t.Errorf("warm svg request %d was a cache %q", i, c)
		}
		warm = append(warm, r.dur)
	}
	sort.Slice(warm, func(i, j int) bool { return warm[i] < warm[j] })
	fmt.Printf("%-24s %10.1f %10.1f %10.1f  first=%s load_ms=%s\n", "svg generate (6 steps)", ms(cold.dur), ms(warm[len(warm)/2]), ms(warm[0]),
		cold.header.Get("X-Lamina-Model-Cache"), cold.header.Get("X-Lamina-Load-Ms"))
	if first.Model != tinySVGModel || len(first.Layers) < 3 {
		t.Fatalf("generate: model %q, %d layers; want %s and ≥ 3 layers", first.Model, len(first.Layers), tinySVGModel)
	}
	if _, err := vector.ParseSVG([]byte(first.SVG)); err != nil {
		t.Errorf("generated svg does not parse: %v", err)
	}

	// The native CPU runtime, run here, is the reference for the worker's
	// drawing (under wrangler that is the js/wasm build's arithmetic).
	m, err := svgmodel.Load(os.DirFS(filepath.Join(modelsDir, tinySVGModel)), tensor.NewCPU())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ref, err := m.Generate(context.Background(), svgmodel.Options{Prompt: "red heart", Seed: 11, Steps: tinySteps})
	if err != nil {
		t.Fatal(err)
	}
	if err := sameDrawing(first.SVG, string(ref.SVG)); err != nil {
		t.Errorf("the worker's SVG differs from the native CPU runtime's for the same options: %v", err)
	}
	if other := s.postJSON(t, "/v1/svg/generate", map[string]any{"prompt": "red heart", "seed": 12, "steps": tinySteps}); other.status != 200 || bytes.Equal(other.body, cold.body) {
		t.Errorf("seed 12: %d, same drawing as seed 11: %v", other.status, bytes.Equal(other.body, cold.body))
	}

	// Edit: layers 0 and 2 kept byte for byte, the others regenerated.
	before := svgPaths(first.SVG)
	r := s.postJSON(t, "/v1/svg/edit", map[string]any{"svg": first.SVG, "keep": []int{0, 2}, "prompt": "blue star", "seed": 3, "steps": tinySteps})
	var ed svgResponse
	if r.status != 200 || json.Unmarshal(r.body, &ed) != nil {
		t.Fatalf("edit: %d %s", r.status, r.body)
	}
	after := svgPaths(ed.SVG)
	if len(after) != len(before) || len(ed.Layers) != len(after) {
		t.Fatalf("edit: %d layers → %d paths, %d listed", len(before), len(after), len(ed.Layers))
	}
	changed := false
	for i := range before {
		kept := i == 0 || i == 2
		if kept && after[i] != before[i] {
			t.Errorf("edit: kept layer %d changed:\n%s\n%s", i, before[i], after[i])
		}
		if ed.Layers[i].Kept != kept {
			t.Errorf("edit: layers[%d].kept = %v", i, ed.Layers[i].Kept)
		}
		changed = changed || (!kept && after[i] != before[i])
	}
	if !changed {
		t.Error("edit: no regenerated layer changed")
	}

	cases := []struct {
		name, path string
		body       []byte
		status     int
		code       string
	}{
		{"steps 65", "/v1/svg/generate", []byte(`{"prompt":"x","steps":65}`), 422, "steps_out_of_range"},
		{"steps -1", "/v1/svg/generate", []byte(`{"prompt":"x","steps":-1}`), 422, "steps_out_of_range"},
		{"edit without svg", "/v1/svg/edit", []byte(`{"prompt":"x"}`), 422, "missing_svg"},
		{"generate without prompt", "/v1/svg/generate", []byte(`{"seed":1}`), 422, "missing_prompt"},
		{"keep out of range", "/v1/svg/edit", mustJSON(t, map[string]any{"svg": first.SVG, "keep": []int{99}, "steps": 2}), 422, "invalid_options"},
		{"bad json", "/v1/svg/generate", []byte(`{"prompt":`), 400, "invalid_json"},
		{"steps as string", "/v1/svg/generate", []byte(`{"prompt":"x","steps":"many"}`), 400, "invalid_json"},
		{"malformed svg", "/v1/svg/edit", []byte(`{"svg":"<svg","prompt":"x"}`), 400, "invalid_svg"},
		{"unknown model", "/v1/svg/generate", []byte(`{"model":"nope","prompt":"x"}`), 404, "model_not_found"},
		{"language model", "/v1/svg/generate", []byte(`{"model":"llama-tiny","prompt":"x"}`), 404, "model_not_svg"},
		{"svg model for completions", "/v1/completions", []byte(`{"model":"` + tinySVGModel + `","prompt":[1]}`), 404, "model_not_lm"},
		{"oversize", "/v1/svg/edit", oversizeBody(), 413, "body_too_large"},
	}
	for _, c := range cases {
		wantError(t, c.name, s.do(t, "POST", c.path, c.body, nil), c.status, c.code)
	}
}

// svgCoordTol is how far a number in the worker's SVG may be from the
// native runtime's. The js/wasm build runs the pure-Go kernels, the native
// one amd64 assembly that sums in another order, so the two drawings differ
// in float32 rounding; vector.WriteSVG prints coordinates to 3 decimals and
// seen differences are one unit there (see worker/README.md, Layered SVG).
const svgCoordTol = 2e-3

// svgColorTol is the allowed difference per 8-bit channel of a #rrggbb fill
// for the same reason: a channel on a rounding boundary can flip by one.
const svgColorTol = 1

var svgTokenRe = regexp.MustCompile(`#[0-9a-fA-F]{6}|-?[0-9]+(?:\.[0-9]+)?(?:[eE]-?[0-9]+)?`)

// sameDrawing compares two SVG texts: identical apart from numbers within
// svgCoordTol and colors within svgColorTol.
func sameDrawing(a, b string) error {
	ta, tb := svgTokenRe.FindAllStringIndex(a, -1), svgTokenRe.FindAllStringIndex(b, -1)
	if len(ta) != len(tb) {
		return fmt.Errorf("%d numbers vs %d", len(ta), len(tb))
	}
	pa, pb := 0, 0
	for i := range ta {
		if a[pa:ta[i][0]] != b[pb:tb[i][0]] {
			return fmt.Errorf("text before number %d differs: %q vs %q", i, a[pa:ta[i][0]], b[pb:tb[i][0]])
		}
		x, y := a[ta[i][0]:ta[i][1]], b[tb[i][0]:tb[i][1]]
		if strings.HasPrefix(x, "#") != strings.HasPrefix(y, "#") {
			return fmt.Errorf("token %d: %q vs %q", i, x, y)
		}
		if strings.HasPrefix(x, "#") {
			for c := 1; c < 7; c += 2 {
				u, _ := strconv.ParseUint(x[c:c+2], 16, 8)
				v, _ := strconv.ParseUint(y[c:c+2], 16, 8)
				if d := int(u) - int(v); d > svgColorTol || -d > svgColorTol {
					return fmt.Errorf("color %d: %s vs %s", i, x, y)
				}
			}
		} else {
			u, _ := strconv.ParseFloat(x, 64)
			v, _ := strconv.ParseFloat(y, 64)
			if math.Abs(u-v) > svgCoordTol {
				return fmt.Errorf("number %d: %s vs %s", i, x, y)
			}
		}
		pa, pb = ta[i][1], tb[i][1]
	}
	if a[pa:] != b[pb:] {
		return fmt.Errorf("tails differ: %q vs %q", a[pa:], b[pb:])
	}
	return nil
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func equalIDs(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func indexOf(ids []int32, id int32) int {
	for i, x := range ids {
		if x == id {
			return i
		}
	}
	return -1
}

// coldWarm times each model's first completion (a cache miss: the weights
// are read from the store and uploaded) against the same request repeated
// once the model is warm, and prints both.
func (s *suite) coldWarm(t *testing.T) {
	const warmRuns = 5
	refs := loadGreedy(t)
	// /health's latency is the fixed cost of a request (HTTP, runtime,
	// bridge), to read the warm figures against.
	var hl []time.Duration
	for i := 0; i < 2*warmRuns; i++ {
		hl = append(hl, s.do(t, "GET", "/health", nil, nil).dur)
	}
	sort.Slice(hl, func(i, j int) bool { return hl[i] < hl[j] })
	fmt.Printf("request overhead: /health p50 %.1f ms, min %.1f ms\n", ms(hl[len(hl)/2]), ms(hl[0]))
	fmt.Printf("%-24s %10s %10s %10s  %s\n", "cold/warm (16 tokens)", "cold ms", "warm p50", "warm min", "cache, instance")
	for _, name := range fixtureModels {
		req := map[string]any{"model": name, "prompt": refs[name].Prompt, "max_tokens": 16, "temperature": 0, "ignore_eos": true}
		_, cold := s.complete(t, req)
		var warm []time.Duration
		var inst []string
		for i := 0; i < warmRuns; i++ {
			_, w := s.complete(t, req)
			if w.header.Get("X-Lamina-Model-Cache") != "hit" {
				t.Errorf("%s: warm request %d was a cache %q", name, i, w.header.Get("X-Lamina-Model-Cache"))
			}
			warm = append(warm, w.dur)
			inst = append(inst, w.header.Get("X-Lamina-Instance"))
		}
		sort.Slice(warm, func(i, j int) bool { return warm[i] < warm[j] })
		fmt.Printf("%-24s %10.1f %10.1f %10.1f  first=%s load_ms=%s; %s\n", name, ms(cold.dur), ms(warm[len(warm)/2]), ms(warm[0]),
			cold.header.Get("X-Lamina-Model-Cache"), cold.header.Get("X-Lamina-Load-Ms"), summarizeInstances(append([]string{cold.header.Get("X-Lamina-Instance")}, inst...)))
		if s.remote {
			// The shim must serve every request from one Go instance, or
			// nothing stays warm.
			first := instanceID(cold.header.Get("X-Lamina-Instance"))
			for _, h := range inst {
				if instanceID(h) != first {
					t.Errorf("%s: requests served by different Go instances: %q vs %q", name, first, h)
				}
			}
		}
	}
}

func instanceID(h string) string {
	id, _, _ := strings.Cut(h, ";")
	return id
}

func summarizeInstances(hs []string) string {
	if hs[0] == "" {
		return "native"
	}
	return hs[0] + " .. " + hs[len(hs)-1]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// load sends a few hundred mixed requests, a handful at a time, and wants
// every one to succeed with the right answer.
func (s *suite) load(t *testing.T) {
	const total, concurrency = 320, 8
	refs := loadGreedy(t)
	cfg, _ := fileFacts(t, "qwen2-tiny", "config.json")
	st, _ := fileFacts(t, "llama-tiny", "model.safetensors")
	type job struct {
		name  string
		check func(r result) error
		run   func() result
	}
	expectBody := func(want []byte) func(r result) error {
		return func(r result) error {
			if r.status != 200 && r.status != 206 || !bytes.Equal(r.body, want) {
				return fmt.Errorf("status %d, %d bytes", r.status, len(r.body))
			}
			return nil
		}
	}
	g := refs["gpt2-tiny"]
	kinds := []job{
		{"health", func(r result) error {
			if r.status != 200 {
				return fmt.Errorf("status %d", r.status)
			}
			return nil
		}, func() result { return s.do(t, "GET", "/health", nil, nil) }},
		{"file", expectBody(cfg), func() result { return s.do(t, "GET", "/models/qwen2-tiny/config.json", nil, nil) }},
		{"range", expectBody(st[4096 : 4096+65536]), func() result {
			return s.do(t, "GET", "/models/llama-tiny/model.safetensors", nil, map[string]string{"Range": "bytes=4096-69631"})
		}},
		{"completion", func(r result) error {
			var c completionResponse
			if r.status != 200 || json.Unmarshal(r.body, &c) != nil || len(c.Choices) != 1 || !equalIDs(c.Choices[0].TokenIDs, g.IDs[len(g.Prompt):len(g.Prompt)+8]) {
				return fmt.Errorf("status %d body %.200s", r.status, r.body)
			}
			return nil
		}, func() result {
			return s.postJSON(t, "/v1/completions", map[string]any{"model": "gpt2-tiny", "prompt": g.Prompt, "max_tokens": 8, "temperature": 0, "ignore_eos": true, "return_token_ids": true})
		}},
	}
	var mu sync.Mutex
	lat := map[string][]time.Duration{}
	var all []time.Duration
	errs := 0
	work := make(chan job)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				r := j.run()
				err := j.check(r)
				mu.Lock()
				if err != nil {
					errs++
					if errs <= 5 {
						t.Errorf("load %s: %v", j.name, err)
					}
				}
				lat[j.name] = append(lat[j.name], r.dur)
				all = append(all, r.dur)
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < total; i++ {
		work <- kinds[i%len(kinds)]
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	fmt.Printf("load: %d requests, %d concurrent, %d errors, %.1f s, %.0f req/s\n", total, concurrency, errs, elapsed.Seconds(), float64(total)/elapsed.Seconds())
	names := []string{"health", "file", "range", "completion"}
	fmt.Printf("  %-12s %5s %8s %8s %8s %8s (ms)\n", "kind", "n", "p50", "p90", "p99", "max")
	for _, n := range append(names, "all") {
		d := lat[n]
		if n == "all" {
			d = all
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		fmt.Printf("  %-12s %5d %8.1f %8.1f %8.1f %8.1f\n", n, len(d), ms(pct(d, 50)), ms(pct(d, 90)), ms(pct(d, 99)), ms(d[len(d)-1]))
	}
	if errs != 0 {
		t.Errorf("%d of %d requests failed", errs, total)
	}
}

// pct is the nearest-rank percentile of sorted d.
func pct(d []time.Duration, p int) time.Duration {
	i := (len(d)*p + 99) / 100
	if i < 1 {
		i = 1
	}
	return d[i-1]
}

// perRequest times requests against a worker in per-request instance mode
// and checks that each really ran in its own Go instance (so nothing could
// have stayed warm), while answers stay correct.
func (s *suite) perRequest(t *testing.T) {
	const runs = 5
	ref := loadGreedy(t)["gpt2-tiny"]
	want := ref.IDs[len(ref.Prompt):]
	seen := map[string]bool{}
	var health, comp []time.Duration
	var loads []string
	for i := 0; i < runs; i++ {
		h := s.do(t, "GET", "/health", nil, nil)
		health = append(health, h.dur)
		resp, r := s.complete(t, map[string]any{"model": "gpt2-tiny", "prompt": ref.Prompt, "max_tokens": 16, "temperature": 0, "ignore_eos": true, "return_token_ids": true})
		comp = append(comp, r.dur)
		loads = append(loads, r.header.Get("X-Lamina-Load-Ms"))
		if !equalIDs(resp.Choices[0].TokenIDs, want) {
			t.Errorf("per-request greedy: %v, want %v", resp.Choices[0].TokenIDs, want)
		}
		if r.header.Get("X-Lamina-Model-Cache") != "miss" {
			t.Errorf("per-request mode: model cache %q, want miss", r.header.Get("X-Lamina-Model-Cache"))
		}
		for _, res := range []result{h, r} {
			id := instanceID(res.header.Get("X-Lamina-Instance"))
			if id == "" || seen[id] {
				t.Errorf("instance %q answered twice (or no instance header)", id)
			}
			seen[id] = true
		}
	}
	sort.Slice(health, func(i, j int) bool { return health[i] < health[j] })
	sort.Slice(comp, func(i, j int) bool { return comp[i] < comp[j] })
	fmt.Printf("per-request instances (syumai/workers default), %d runs: /health p50 %.1f ms (min %.1f); gpt2-tiny 16-token completion p50 %.1f ms (min %.1f), each reloading the model (load ms %s)\n",
		runs, ms(health[runs/2]), ms(health[0]), ms(comp[runs/2]), ms(comp[0]), strings.Join(loads, ", "))
}

// textPrompts checks string prompts through a real tokenizer.json:
// llama-tiny-tok is llama-tiny with the SentencePiece-style BPE fixture
// tokenizer, and testdata/tokenizer_prompts.json holds texts whose ids
// (from Hugging Face tokenizers) fit the model's 512-token vocabulary.
func (s *suite) textPrompts(t *testing.T) {
	data, err := os.ReadFile("testdata/tokenizer_prompts.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Text string  `json:"text"`
		IDs  []int32 `json:"ids"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		base := map[string]any{"model": "llama-tiny-tok", "max_tokens": 12, "temperature": 0, "ignore_eos": true, "return_token_ids": true}
		withPrompt := func(p any, extra ...any) map[string]any {
			m := map[string]any{"prompt": p}
			for k, v := range base {
				m[k] = v
			}
			for i := 0; i+1 < len(extra); i += 2 {
				m[extra[i].(string)] = extra[i+1]
			}
			return m
		}
		fromText, _ := s.complete(t, withPrompt(c.Text))
		fromIDs, _ := s.complete(t, withPrompt(c.IDs))
		a, b := fromText.Choices[0], fromIDs.Choices[0]
		// The text prompt must tokenize to Hugging Face's ids, so both
		// continue identically.
		if fromText.Usage.PromptTokens != len(c.IDs) || !equalIDs(a.TokenIDs, b.TokenIDs) {
			t.Errorf("%q: text prompt gave %d prompt tokens and %v; HF ids give %d and %v",
				c.Text, fromText.Usage.PromptTokens, a.TokenIDs, len(c.IDs), b.TokenIDs)
		}
		if a.Text == "" || a.Text != b.Text || !utf8.ValidString(a.Text) {
			t.Errorf("%q: texts %q vs %q", c.Text, a.Text, b.Text)
		}
		// Streaming sends the same text.
		r := s.postJSON(t, "/v1/completions", withPrompt(c.Text, "stream", true))
		var streamed string
		for _, ev := range sseEvents(t, r.body) {
			if ev == "[DONE]" {
				continue
			}
			var ch completionResponse
			if err := json.Unmarshal([]byte(ev), &ch); err != nil {
				t.Fatalf("event %q: %v", ev, err)
			}
			streamed += ch.Choices[0].Text
		}
		if streamed != a.Text {
			t.Errorf("%q: streamed %q, want %q", c.Text, streamed, a.Text)
		}
		// A stop string taken from the middle of that output cuts it there.
		runes := []rune(a.Text)
		if len(runes) < 4 {
			continue
		}
		stop := string(runes[len(runes)/2 : len(runes)/2+2])
		cut := strings.Index(a.Text, stop)
		stopped, _ := s.complete(t, withPrompt(c.Text, "stop", stop))
		sc := stopped.Choices[0]
		if sc.Text != a.Text[:cut] || sc.FinishReason == nil || *sc.FinishReason != "stop" {
			t.Errorf("%q with stop %q: text %q finish %v, want %q stop", c.Text, stop, sc.Text, sc.FinishReason, a.Text[:cut])
		}
	}
}
