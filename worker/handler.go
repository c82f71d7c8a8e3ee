// Package worker is lamina's edge server: model files from a bucket and a
// small-model inference API, as a plain http.Handler.
//
// The same handler runs natively (tests, `go run ./worker/cmd/worker`) and in
// Cloudflare Workers, where worker/cmd/worker's js/wasm build bridges it to
// the Workers fetch event and an R2 bucket (see worker/README.md).
//
// Routes:
//
//	GET       /health
//	GET       /v1/models
//	GET|HEAD  /models/{model}/{file}
//	POST      /v1/completions
//	POST      /v1/chat/completions
//	POST      /v1/svg/generate, /v1/svg/edit
//
// Every route answers CORS preflights, and every error is JSON
// {"error": {"message", "type", "code"}}.
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits from the API contract (worker issue #8).
const (
	MaxBodyBytes = 1 << 20 // request bodies, 413 above
	MaxNewTokens = 256     // completions max_tokens, 422 above
	MaxSVGSteps  = 64      // svg steps, 422 above
)

// drainLimit bounds how much of an oversized body is read and dropped
// before the 413, so the answer reaches the client (see readJSONBody)
// without letting a huge upload cost unbounded time.
const drainLimit = 8 << 20

// manifestTTL is how long a Handler reuses the bucket manifest before reading
// it again. A redeploy of models therefore shows within this time, and a
// request for a file costs at most one bucket read (the file itself).
const manifestTTL = 30 * time.Second

// Cache lifetimes for /models responses. See cacheControl.
const (
	immutableMaxAge = 365 * 24 * 60 * 60
	mutableMaxAge   = 60
)

// Config wires a Handler to its surroundings.
type Config struct {
	// Store holds the model files and the manifest (ManifestKey).
	Store Store
	// LoadLM loads a language model from a model folder. Nil disables
	// /v1/completions (503).
	LoadLM LMLoader
	// LoadSVG loads a layered-SVG diffusion model folder (model_type
	// "lamina_layered_dit"). Nil answers /v1/svg/* with 501 "svg model not
	// available" after validating the request.
	LoadSVG SVGLoader
	// WarmBudget bounds the summed file size of the models (language and SVG) kept
	// loaded between requests (least recently used are dropped first).
	// Zero means DefaultWarmBudget.
	WarmBudget int64
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// DefaultWarmBudget keeps a few small models in memory while leaving most of
// a Worker isolate's 128 MB for activations and the Go heap's headroom.
const DefaultWarmBudget = 48 << 20

// Handler serves the lamina edge API. It is safe for concurrent use.
type Handler struct {
	cfg    Config
	models *lmCache

	mu         sync.Mutex
	manifest   *Manifest
	manifestAt time.Time
	kinds      map[string]modelKindEntry // model name → config.json model_type
}

// New returns a Handler for cfg.
func New(cfg Config) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.WarmBudget == 0 {
		cfg.WarmBudget = DefaultWarmBudget
	}
	return &Handler{cfg: cfg, models: newLMCache(cfg.WarmBudget)}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setCORS(w.Header())
	// Work on the escaped path: an escaped '/' or '.' must not turn into a
	// separator after routing.
	p := r.URL.EscapedPath()
	if r.Method == http.MethodOptions {
		h.preflight(w, r, p)
		return
	}
	switch {
	case p == "/health":
		if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		h.health(w, r)
	case p == "/v1/models":
		if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		h.listModels(w, r)
	case strings.HasPrefix(p, "/models/"):
		if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		h.serveFile(w, r, strings.TrimPrefix(p, "/models/"))
	case p == "/v1/completions":
		if !allowMethods(w, r, http.MethodPost) {
			return
		}
		h.completions(w, r)
	case p == "/v1/chat/completions":
		if !allowMethods(w, r, http.MethodPost) {
			return
		}
		h.chatCompletions(w, r)
	case p == "/v1/svg/generate" || p == "/v1/svg/edit":
		if !allowMethods(w, r, http.MethodPost) {
			return
		}
		h.svg(w, r, strings.TrimPrefix(p, "/v1/svg/"))
	default:
		writeError(w, http.StatusNotFound, typeNotFound, "route_not_found", "no route for "+r.Method+" "+p)
	}
}

// routeMethods lists what each route accepts, for preflight answers.
func routeMethods(p string) string {
	switch {
	case p == "/health", p == "/v1/models", strings.HasPrefix(p, "/models/"):
		return "GET, HEAD, OPTIONS"
	case p == "/v1/completions", p == "/v1/chat/completions", p == "/v1/svg/generate", p == "/v1/svg/edit":
		return "POST, OPTIONS"
	}
	return ""
}

// setCORS makes every response readable from any origin: the models and the
// API are public, carry no cookies, and pages elsewhere load them with
// fetch(). Range and ETag headers must be exposed for resumable downloads.
func setCORS(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	// Cross-origin isolated pages (COOP/COEP, for wasm-simd's threads) may
	// load the model files too: CORS covers fetch(), this covers no-cors
	// loads (Fetch standard §3.7).
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("Access-Control-Expose-Headers", "Content-Length, Content-Range, Accept-Ranges, ETag, X-Lamina-Model-Cache, X-Lamina-Load-Ms")
}

// preflight answers a CORS preflight (Fetch standard §3.2.2): 204 with the
// route's methods and the request headers clients need (Range for partial
// model downloads, Content-Type for JSON, If-None-Match for revalidation).
func (h *Handler) preflight(w http.ResponseWriter, r *http.Request, p string) {
	methods := routeMethods(p)
	if methods == "" {
		writeError(w, http.StatusNotFound, typeNotFound, "route_not_found", "no route for "+p)
		return
	}
	hdr := w.Header()
	hdr.Set("Access-Control-Allow-Methods", methods)
	hdr.Set("Access-Control-Allow-Headers", "Content-Type, Range, If-None-Match, Authorization")
	hdr.Set("Access-Control-Max-Age", "86400")
	hdr.Set("Allow", methods)
	w.WriteHeader(http.StatusNoContent)
}

func allowMethods(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	allow := strings.Join(append(methods, http.MethodOptions), ", ")
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, typeInvalidRequest, "method_not_allowed",
		fmt.Sprintf("%s not allowed here; use %s", r.Method, allow))
	return false
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"status":      "ok",
		"completions": h.cfg.LoadLM != nil,
		"svg":         h.cfg.LoadSVG != nil,
		"warm_models": h.models.names(),
	})
}

// getManifest returns the bucket manifest, re-reading it after manifestTTL.
// A missing manifest is an empty bucket, not an error.
func (h *Handler) getManifest(ctx context.Context) (*Manifest, error) {
	now := h.cfg.Now()
	h.mu.Lock()
	if h.manifest != nil && now.Sub(h.manifestAt) < manifestTTL {
		m := h.manifest
		h.mu.Unlock()
		return m, nil
	}
	h.mu.Unlock()
	rc, err := h.cfg.Store.Get(ctx, ManifestKey, 0, -1)
	var m *Manifest
	switch {
	case errors.Is(err, ErrNotFound):
		m = &Manifest{Version: manifestVersion}
	case err != nil:
		return nil, fmt.Errorf("reading manifest: %w", err)
	default:
		data, err := io.ReadAll(io.LimitReader(rc, 8<<20))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("reading manifest: %w", err)
		}
		if m, err = ParseManifest(data); err != nil {
			return nil, err
		}
	}
	h.mu.Lock()
	h.manifest, h.manifestAt = m, now
	h.mu.Unlock()
	return m, nil
}

// modelsResponse is GET /v1/models: OpenAI's list shape, plus each model's
// files so a browser can fetch and verify them.
type modelsResponse struct {
	Object string       `json:"object"`
	Data   []modelEntry `json:"data"`
}

type modelEntry struct {
	ID      string      `json:"id"`
	Object  string      `json:"object"`
	OwnedBy string      `json:"owned_by"`
	Name    string      `json:"name"`
	Size    int64       `json:"size"`
	Files   []fileEntry `json:"files"`
}

type fileEntry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	URL    string `json:"url"`
}

func (h *Handler) listModels(w http.ResponseWriter, r *http.Request) {
	m, err := h.getManifest(r.Context())
	if err != nil {
		writeError(w, http.StatusBadGateway, typeServer, "store_error", err.Error())
		return
	}
	out := modelsResponse{Object: "list", Data: []modelEntry{}}
	for _, mm := range m.Models {
		e := modelEntry{ID: mm.Name, Object: "model", OwnedBy: "lamina", Name: mm.Name, Files: []fileEntry{}}
		for _, f := range mm.Files {
			e.Size += f.Size
			e.Files = append(e.Files, fileEntry{
				Name: f.Name, Size: f.Size, SHA256: f.SHA256,
				// The ?sha256= form is the content-addressed URL (immutable).
				URL: "/models/" + mm.Name + "/" + f.Name + "?sha256=" + f.SHA256,
			})
		}
		out.Data = append(out.Data, e)
	}
	w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d, must-revalidate", mutableMaxAge))
	writeJSON(w, http.StatusOK, out)
}

// SplitModelPath turns the escaped remainder of /models/... into a model
// name and a file path, refusing anything that could address an object
// outside that model's folder: empty, "." or ".." segments (also when
// percent-encoded), backslashes, encoded slashes, NUL, absolute paths.
// Only names made of [A-Za-z0-9._-] that start with a letter or digit pass
// (ValidName; so no dot-files either), so what reaches the bucket is always
// "model/file" from the manifest's alphabet. It is lamina's one model-file
// path rule: `lamina serve` (cmd/lamina/serve.go) uses it too.
func SplitModelPath(escaped string) (model, file string, ok bool) {
	if escaped == "" || strings.ContainsAny(escaped, `\`) {
		return "", "", false
	}
	segs := strings.Split(escaped, "/")
	if len(segs) < 2 {
		return "", "", false
	}
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil || !ValidName(u) {
			return "", "", false
		}
		segs[i] = u
	}
	file = strings.Join(segs[1:], "/")
	if !validFilePath(file) {
		return "", "", false
	}
	return segs[0], file, true
}

func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, rest string) {
	model, file, ok := SplitModelPath(rest)
	if !ok {
		writeError(w, http.StatusBadRequest, typeInvalidRequest, "invalid_path",
			"model file paths are /models/{model}/{file} with names of [A-Za-z0-9._-]")
		return
	}
	m, err := h.getManifest(r.Context())
	if err != nil {
		writeError(w, http.StatusBadGateway, typeServer, "store_error", err.Error())
		return
	}
	mm := m.model(model)
	if mm == nil {
		writeError(w, http.StatusNotFound, typeNotFound, "model_not_found", "no model "+strconv.Quote(model))
		return
	}
	f := mm.file(file)
	if f == nil {
		writeError(w, http.StatusNotFound, typeNotFound, "file_not_found", fmt.Sprintf("model %q has no file %q", model, file))
		return
	}
	want := r.URL.Query().Get("sha256")
	if want != "" && !strings.EqualFold(want, f.SHA256) {
		// The client pinned content we do not have: serving other bytes
		// under a URL it will cache as immutable would poison its cache.
		writeError(w, http.StatusNotFound, typeNotFound, "sha256_mismatch",
			fmt.Sprintf("%s/%s has sha256 %s, not %s", model, file, f.SHA256, want))
		return
	}

	hdr := w.Header()
	etag := `"` + f.SHA256 + `"`
	hdr.Set("ETag", etag)
	hdr.Set("Accept-Ranges", "bytes")
	hdr.Set("Cache-Control", cacheControl(file, f.SHA256, want != ""))
	hdr.Set("Content-Type", contentType(file))
	hdr.Set("X-Content-Type-Options", "nosniff")

	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}

	rng := byteRange{Start: 0, Length: f.Size}
	status := http.StatusOK
	// If-Range (RFC 9110 §13.1.5): honour the range only while the
	// validator still matches; dates are not validators we issue.
	if rh := r.Header.Get("Range"); rh != "" && ifRangeMatches(r.Header.Get("If-Range"), etag) {
		br, err := parseRange(rh, f.Size)
		switch {
		case errors.Is(err, errRangeUnsatisfiable):
			hdr.Set("Content-Range", fmt.Sprintf("bytes */%d", f.Size))
			writeRangeError(w, f.Size)
			return
		case err == nil:
			rng = br
			status = http.StatusPartialContent
			hdr.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", br.Start, br.Start+br.Length-1, f.Size))
		}
	}
	hdr.Set("Content-Length", strconv.FormatInt(rng.Length, 10))
	if r.Method == http.MethodHead || rng.Length == 0 {
		w.WriteHeader(status)
		return
	}
	rc, err := h.cfg.Store.Get(r.Context(), objectKey(model, file), rng.Start, rng.Length)
	if err != nil {
		code := http.StatusBadGateway
		if errors.Is(err, ErrNotFound) {
			// Listed in the manifest but not uploaded.
			code = http.StatusNotFound
		}
		writeError(w, code, typeServer, "store_error", err.Error())
		return
	}
	defer rc.Close()
	w.WriteHeader(status)
	io.Copy(w, rc)
}

// writeRangeError is 416 with the JSON error body; Content-Range stays.
func writeRangeError(w http.ResponseWriter, size int64) {
	cr := w.Header().Get("Content-Range")
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json; charset=utf-8")
	hdr.Del("Content-Length")
	hdr.Set("Content-Range", cr)
	w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
	body, _ := json.Marshal(apiError{apiErrorBody{
		Message: fmt.Sprintf("range not satisfiable for a %d-byte file", size),
		Type:    typeInvalidRequest, Code: "range_not_satisfiable",
	}})
	w.Write(append(body, '\n'))
}

// cacheControl decides how long browsers and Cloudflare's cache may keep a
// model file.
//
// A response is content-addressed, and so immutable for a year, when the URL
// pins the bytes: the request carries ?sha256=<hex> equal to the file's hash
// (the URLs /v1/models hands out), or the file name itself contains its own
// SHA-256 (e.g. model.<sha256>.safetensors). Any other URL names "whatever
// is deployed now", which a redeploy changes, so it gets a short max-age and
// must-revalidate: the ETag (the SHA-256) makes the revalidation a cheap 304.
func cacheControl(file, sha string, pinned bool) string {
	if pinned || strings.Contains(strings.ToLower(file), sha) {
		return fmt.Sprintf("public, max-age=%d, immutable", immutableMaxAge)
	}
	return fmt.Sprintf("public, max-age=%d, must-revalidate", mutableMaxAge)
}

func contentType(file string) string {
	switch {
	case strings.HasSuffix(file, ".json"):
		return "application/json"
	case strings.HasSuffix(file, ".txt"), strings.HasSuffix(file, ".md"):
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// etagMatch implements If-None-Match's weak comparison (RFC 9110 §13.1.2)
// over a comma-separated list, including "*".
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// ifRangeMatches: no If-Range means the range applies; an entity tag must
// match strongly; anything else (a date) is treated as not matching, which
// falls back to the full 200 response — always correct.
func ifRangeMatches(header, etag string) bool {
	if header == "" {
		return true
	}
	return header == etag
}

// readJSONBody reads at most MaxBodyBytes and decodes into v, writing the
// 413/400 error itself. It returns false when it has answered.
func readJSONBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength > MaxBodyBytes {
		// Read (a bounded amount of) what the client is sending before
		// answering: workerd resets a connection whose request body was
		// left unread, and the client would see that instead of the 413.
		io.Copy(io.Discard, io.LimitReader(r.Body, drainLimit))
		writeError(w, http.StatusRequestEntityTooLarge, typeInvalidRequest, "body_too_large",
			fmt.Sprintf("request body is %d bytes; the limit is %d", r.ContentLength, MaxBodyBytes))
		return false
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, typeInvalidRequest, "body_unreadable", err.Error())
		return false
	}
	if len(data) > MaxBodyBytes {
		io.Copy(io.Discard, io.LimitReader(r.Body, drainLimit))
		writeError(w, http.StatusRequestEntityTooLarge, typeInvalidRequest, "body_too_large",
			fmt.Sprintf("request body exceeds %d bytes", MaxBodyBytes))
		return false
	}
	if err := decodeStrict(data, v); err != nil {
		writeError(w, http.StatusBadRequest, typeInvalidRequest, "invalid_json", err.Error())
		return false
	}
	return true
}

// decodeStrict decodes exactly one JSON object.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("body is not valid JSON: %v", err)
	}
	if dec.More() {
		return errors.New("body has data after the JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("body has data after the JSON object")
	}
	return nil
}
