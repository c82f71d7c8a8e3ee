package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lamina-ml/lamina/worker"
)

func init() {
	register("serve", "serve the browser site (lamina.mjs, lamina.wasm) and local models over HTTP", runServe)
}

// runServe is `lamina serve --addr HOST:PORT [--models DIR] [--site DIR]`.
// Once listening it prints one JSON line with the URL to stdout, so scripts
// can start it on port 0 and read back the port it got.
func runServe(args []string) error {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fl.String("addr", "127.0.0.1:8080", "listen address HOST:PORT (port 0 picks a free one)")
	models := fl.String("models", "", "directory whose subdirectories are served at /models/<name>/ (a subdirectory holding one .gguf file and no config.json is that GGUF; default: the shipped models/, from the working directory or beside the executable's folder)")
	site := fl.String("site", "dist/site", "built site directory (./build.sh writes dist/site; default: dist/site, else site/ next to this executable)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	siteSet, modelsSet := false, false
	fl.Visit(func(f *flag.Flag) {
		siteSet = siteSet || f.Name == "site"
		modelsSet = modelsSet || f.Name == "models"
	})
	if !siteSet {
		*site = defaultSiteDir(*site)
	}
	if !modelsSet {
		*models = defaultModelsDir()
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("serve: unexpected arguments %q", fl.Args())
	}
	h, err := newServeHandler(*site, *models)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer ln.Close()
	out, _ := json.Marshal(map[string]string{
		"url":    "http://" + ln.Addr().String() + "/",
		"site":   *site,
		"models": *models,
	})
	fmt.Fprintln(stdout, string(out))
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

// defaultSiteDir is dir when it exists, else the site/ directory beside
// the executable: ./build.sh puts dist/lamina next to dist/site, so the
// built CLI finds its site from any working directory.
func defaultSiteDir(dir string) string {
	if _, err := os.Stat(dir); err == nil {
		return dir
	}
	exe, err := os.Executable()
	if err != nil {
		return dir
	}
	beside := filepath.Join(filepath.Dir(exe), "site")
	if _, err := os.Stat(filepath.Join(beside, "lamina.mjs")); err == nil {
		return beside
	}
	return dir
}

// defaultModelsDir finds the shipped models: models/ in the working directory (a checkout), else
// models/ beside the folder of the executable (dist/lamina → models/), else none.
func defaultModelsDir() string {
	cands := []string{"models"}
	if exe, err := os.Executable(); err == nil {
		cands = append(cands, filepath.Join(filepath.Dir(exe), "..", "models"))
	}
	for _, c := range cands {
		if fi, err := os.Stat(c); err == nil && fi.IsDir() {
			return c
		}
	}
	return ""
}

// contentTypes are set explicitly instead of through mime.TypeByExtension,
// whose answer depends on the host's /etc/mime.types: browsers refuse
// module scripts that are not text/javascript and
// WebAssembly.instantiateStreaming needs application/wasm.
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json",
	".wasm":        "application/wasm",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/x-icon", // site/favicon.ico: browsers ask every page's origin for it
	".txt":         "text/plain; charset=utf-8",
	".safetensors": "application/octet-stream",
	".gguf":        "application/octet-stream",
	".bin":         "application/octet-stream",
	".model":       "application/octet-stream",
}

// serveHandler serves a static site root and, optionally, a models root.
// Both are opened as os.Root so no request path, symlink included, can
// reach outside them.
type serveHandler struct {
	site   *os.Root
	models *os.Root // nil without --models
	// api answers /v1/ (completions, chat completions, models) with the
	// worker's handler over the same models folder: one implementation
	// of the OpenAI-shaped API for `lamina serve` and the edge worker.
	api http.Handler
}

// newServeHandler opens the site directory (which must hold a built
// lamina.mjs) and the optional models directory.
func newServeHandler(siteDir, modelsDir string) (http.Handler, error) {
	site, err := os.OpenRoot(siteDir)
	if err != nil {
		return nil, fmt.Errorf("serve: site directory %q: %w (run ./build.sh first, or pass --site)", siteDir, err)
	}
	if _, err := site.Stat("lamina.mjs"); err != nil {
		site.Close()
		return nil, fmt.Errorf("serve: %q has no lamina.mjs: not a built site (run ./build.sh first, or pass --site)", siteDir)
	}
	h := &serveHandler{site: site}
	if modelsDir != "" {
		h.models, err = os.OpenRoot(modelsDir)
		if err != nil {
			site.Close()
			return nil, fmt.Errorf("serve: models directory: %w", err)
		}
		h.api = worker.New(worker.Config{Store: worker.FSStore{FS: os.DirFS(modelsDir)}, LoadLM: worker.LoadCPU, LoadSVG: worker.LoadSVGCPU})
	}
	return h, nil
}

func (h *serveHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.api != nil && strings.HasPrefix(r.URL.Path, "/v1/") {
		h.api.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if p == "/models" || strings.HasPrefix(p, "/models/") {
		h.serveModels(w, r, strings.TrimPrefix(strings.TrimPrefix(p, "/models"), "/"))
		return
	}
	// The site is rebuilt in place during development: make browsers
	// revalidate instead of running a stale lamina.wasm. Pages on other
	// origins may import lamina.mjs (module scripts need CORS).
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	name, ok := cleanRel(p)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if name == "" || strings.HasSuffix(p, "/") {
		name = path.Join(name, "index.html")
	}
	setIsolation(w.Header(), true)
	serveFromRoot(w, r, h.site, name)
}

// setIsolation sets the headers that let pages be cross-origin isolated
// (window.crossOriginIsolated: SharedArrayBuffer, so wasm-simd's threads)
// while other origins still embed lamina. Every file may be loaded by an
// isolated page of another origin (Cross-Origin-Resource-Policy:
// cross-origin; module scripts and fetches also have CORS). The site's
// files (site: true) also say Cross-Origin-Embedder-Policy: require-corp
// (the pages load only resources that allow it — embed.html and
// editor.html too, so that an isolated host page may frame them — and
// Chromium starts a worker script of an isolated page only when the
// script says it as well) and Cross-Origin-Opener-Policy: same-origin
// (no window of another origin shares the pages' browsing context group).
func setIsolation(h http.Header, site bool) {
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	if site {
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Embedder-Policy", "require-corp")
	}
}

// serveModels answers /models/ (an index of all models), /models/<name>/
// (that model's files) and /models/<name>/<file> (the file, with Range
// support so large shards can be fetched in pieces).
func (h *serveHandler) serveModels(w http.ResponseWriter, r *http.Request, rel string) {
	if h.models == nil {
		http.Error(w, "no models directory: start lamina serve with --models DIR", http.StatusNotFound)
		return
	}
	// Model files are immutable for a given URL; pages on other origins
	// (and the Cache API) may fetch them.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Expose-Headers", "Content-Length, Content-Range, Accept-Ranges")
	setIsolation(w.Header(), false)
	if rel == "" {
		list, err := listModels(h.models)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSON(w, map[string]any{"models": list})
		return
	}
	// The worker's path rule (worker.SplitModelPath) on the escaped path,
	// so "%2f" stays inside a segment and is refused there.
	escaped := strings.TrimPrefix(strings.TrimPrefix(r.URL.EscapedPath(), "/models"), "/")
	if dir := strings.TrimSuffix(escaped, "/"); !strings.Contains(dir, "/") {
		// /models/<name>/ (or a folder's name without the slash): the
		// model's description. Plain files beside the models are not served.
		name, err := url.PathUnescape(dir)
		if err != nil || !worker.ValidName(name) || !isDir(h.models, name) {
			http.NotFound(w, r)
			return
		}
		m, err := describeModel(h.models, name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, m)
		return
	}
	name, file, ok := worker.SplitModelPath(escaped)
	if !ok {
		http.NotFound(w, r)
		return
	}
	serveFromRoot(w, r, h.models, name+"/"+file)
}

// modelEntry is one model in the /models/ index.
type modelEntry struct {
	Name  string      `json:"name"`
	URL   string      `json:"url"`
	Files []fileEntry `json:"files"`
}

type fileEntry struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

func listModels(root *os.Root) ([]modelEntry, error) {
	ents, err := fs.ReadDir(root.FS(), ".")
	if err != nil {
		return nil, err
	}
	list := []modelEntry{}
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		m, err := describeModel(root, e.Name())
		if err != nil {
			return nil, err
		}
		list = append(list, m)
	}
	return list, nil
}

func describeModel(root *os.Root, name string) (modelEntry, error) {
	ents, err := fs.ReadDir(root.FS(), name)
	if err != nil {
		return modelEntry{}, err
	}
	m := modelEntry{Name: name, URL: "/models/" + name + "/", Files: []fileEntry{}}
	for _, e := range ents {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return modelEntry{}, err
		}
		m.Files = append(m.Files, fileEntry{Name: e.Name(), Size: info.Size()})
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Name < m.Files[j].Name })
	return m, nil
}

func isDir(root *os.Root, name string) bool {
	st, err := root.Stat(name)
	return err == nil && st.IsDir()
}

// cleanRel turns a URL path of the site into a slash-separated name
// relative to its root (model files follow worker.SplitModelPath). It
// refuses dot-files and dot-directories (.git, .cache) and anything that
// still climbs with ".." after cleaning; os.Root refuses symlink escapes.
func cleanRel(urlPath string) (string, bool) {
	if strings.Contains(urlPath, "\\") || strings.Contains(urlPath, "\x00") {
		return "", false
	}
	c := path.Clean("/" + urlPath)
	name := strings.TrimPrefix(c, "/")
	if name == "" {
		return "", true
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || strings.HasPrefix(seg, ".") {
			return "", false
		}
	}
	return name, true
}

// serveFromRoot serves one regular file through http.ServeContent, which
// answers Range and If-Modified-Since requests.
func serveFromRoot(w http.ResponseWriter, r *http.Request, root *os.Root, name string) {
	f, err := root.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			http.NotFound(w, r)
			return
		}
		// Escapes (symlinks out of the root) and permission errors alike.
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	if ct, ok := contentTypes[strings.ToLower(path.Ext(name))]; ok {
		w.Header().Set("Content-Type", ct)
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, name, st.ModTime(), f)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
