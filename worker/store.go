package worker

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// ManifestKey is the object key of the manifest in the models bucket. Model
// names cannot start with '_' (see ValidName), so it never collides with a
// model's files.
const ManifestKey = "_lamina/manifest.json"

// Manifest lists the models in a bucket with each file's size and SHA-256.
// It is computed once when a models folder is uploaded (worker/dev.sh,
// worker/deploy-models.sh via `go run ./worker/cmd/manifest`) so the worker
// never hashes multi-megabyte weight files per request.
type Manifest struct {
	Version int             `json:"version"`
	Models  []ManifestModel `json:"models"`
}

// ManifestModel is one model folder.
type ManifestModel struct {
	Name  string         `json:"name"`
	Files []ManifestFile `json:"files"`
}

// ManifestFile is one object, stored under the key Name/File.
type ManifestFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// manifestVersion is bumped when the manifest's meaning changes.
const manifestVersion = 1

// ErrNotFound is returned by a Store for a missing object.
var ErrNotFound = errors.New("object not found")

// Store is where model files live: an R2 bucket in the worker, a directory
// in native tests and the native server.
type Store interface {
	// Get returns n bytes of the object key starting at off; n < 0 means
	// to the end. A missing object is ErrNotFound.
	Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error)
}

// model returns the manifest entry for name, or nil.
func (m *Manifest) model(name string) *ManifestModel {
	for i := range m.Models {
		if m.Models[i].Name == name {
			return &m.Models[i]
		}
	}
	return nil
}

// file returns the entry for file, or nil.
func (m *ManifestModel) file(name string) *ManifestFile {
	for i := range m.Files {
		if m.Files[i].Name == name {
			return &m.Files[i]
		}
	}
	return nil
}

// digest identifies the exact content of a model: it changes when any file
// changes, so a warm model is reloaded after a redeploy.
func (m *ManifestModel) digest() string {
	h := sha256.New()
	for _, f := range m.Files {
		fmt.Fprintf(h, "%s\x00%d\x00%s\x00", f.Name, f.Size, f.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ParseManifest decodes and validates a manifest. Every name in it must pass
// the same checks as a request path so a bad upload cannot open a way out of
// the models namespace.
func ParseManifest(data []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if m.Version != manifestVersion {
		return nil, fmt.Errorf("manifest: version %d, want %d", m.Version, manifestVersion)
	}
	seen := map[string]bool{}
	for _, mm := range m.Models {
		if !ValidName(mm.Name) {
			return nil, fmt.Errorf("manifest: bad model name %q", mm.Name)
		}
		if seen[mm.Name] {
			return nil, fmt.Errorf("manifest: model %q listed twice", mm.Name)
		}
		seen[mm.Name] = true
		files := map[string]bool{}
		for _, f := range mm.Files {
			if !validFilePath(f.Name) {
				return nil, fmt.Errorf("manifest: model %q: bad file name %q", mm.Name, f.Name)
			}
			if files[f.Name] {
				return nil, fmt.Errorf("manifest: model %q: file %q listed twice", mm.Name, f.Name)
			}
			files[f.Name] = true
			if f.Size < 0 {
				return nil, fmt.Errorf("manifest: %s/%s: negative size", mm.Name, f.Name)
			}
			if len(f.SHA256) != 64 || !isLowerHex(f.SHA256) {
				return nil, fmt.Errorf("manifest: %s/%s: sha256 must be 64 lower-case hex digits", mm.Name, f.Name)
			}
		}
	}
	return &m, nil
}

// BuildManifest hashes a models folder laid out as one subfolder per model.
// Hidden entries (leading '.') are skipped.
func BuildManifest(fsys fs.FS) (*Manifest, error) {
	m := &Manifest{Version: manifestVersion, Models: []ManifestModel{}}
	top, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	for _, d := range top {
		if !d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			continue
		}
		if !ValidName(d.Name()) {
			return nil, fmt.Errorf("model folder %q: name must match [A-Za-z0-9][A-Za-z0-9._-]*", d.Name())
		}
		mm := ManifestModel{Name: d.Name(), Files: []ManifestFile{}}
		err := fs.WalkDir(fsys, d.Name(), func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(e.Name(), ".") && p != d.Name() {
				if e.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if e.IsDir() {
				return nil
			}
			rel := strings.TrimPrefix(p, d.Name()+"/")
			if !validFilePath(rel) {
				return fmt.Errorf("file %q: name not servable", p)
			}
			f, err := fsys.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			h := sha256.New()
			n, err := io.Copy(h, f)
			if err != nil {
				return err
			}
			mm.Files = append(mm.Files, ManifestFile{Name: rel, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Slice(mm.Files, func(i, j int) bool { return mm.Files[i].Name < mm.Files[j].Name })
		m.Models = append(m.Models, mm)
	}
	sort.Slice(m.Models, func(i, j int) bool { return m.Models[i].Name < m.Models[j].Name })
	return m, nil
}

// ValidName is the rule for model names and for each segment of a file path
// (SplitModelPath): 1 to 200 bytes, an ASCII letter or digit first (so no
// ".", "..", "_lamina" or hidden names), then letters, digits, '.', '_' and
// '-'. Everything that could mean something to a path resolver ('/', '\\',
// '%', NUL, ':') is outside it.
func ValidName(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i == 0 && !alnum {
			return false
		}
		if !alnum && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// validFilePath allows a few '/'-separated ValidName segments (models such
// as ONNX exports keep files in subfolders).
func validFilePath(p string) bool {
	segs := strings.Split(p, "/")
	if len(segs) > 4 {
		return false
	}
	for _, s := range segs {
		if !ValidName(s) {
			return false
		}
	}
	return true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// objectKey is the bucket key of a model file.
func objectKey(model, file string) string { return model + "/" + file }

// FSStore serves a models folder (one subfolder per model) from an fs.FS.
// It is the Store of the native server and of the native tests.
type FSStore struct {
	FS fs.FS
}

// Get implements Store. The manifest key is computed from the folder.
func (s FSStore) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	var data []byte
	if key == ManifestKey {
		m, err := BuildManifest(s.FS)
		if err != nil {
			return nil, err
		}
		data, _ = json.Marshal(m)
	} else {
		if !fs.ValidPath(key) {
			return nil, ErrNotFound
		}
		if rc, ok, err := s.section(key, off, n); ok || err != nil {
			return rc, err
		}
		b, err := fs.ReadFile(s.FS, key)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNotFound
		}
		if err != nil {
			return nil, err
		}
		data = b
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	data = data[off:]
	if n >= 0 && n < int64(len(data)) {
		data = data[:n]
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// section reads bytes [off, off+n) of key (n < 0: to the end) with one
// ReadAt when the file supports it (os.DirFS files do), so a ranged read of
// a large file does not read the whole file as a bucket's ranged GET does
// not; ok is false when the file has no ReadAt.
func (s FSStore) section(key string, off, n int64) (io.ReadCloser, bool, error) {
	f, err := s.FS.Open(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, ErrNotFound
	}
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	ra, ok := f.(io.ReaderAt)
	st, serr := f.Stat()
	if !ok || serr != nil || st.IsDir() {
		return nil, false, nil
	}
	size := st.Size()
	off = min(max(off, 0), size)
	if n < 0 || off+n > size {
		n = size - off
	}
	buf := make([]byte, n)
	if got, err := ra.ReadAt(buf, off); got < len(buf) {
		return nil, true, fmt.Errorf("reading %s [%d, +%d): %w", key, off, n, err)
	}
	return io.NopCloser(bytes.NewReader(buf)), true, nil
}

// modelFS presents one model's files in a Store as an fs.FS, the form
// model.Load reads. Files up to rangedAbove bytes are fetched whole on Open
// (few bucket reads). Bigger files are opened as a rangeFile: model.Load
// reads tensors one at a time through io.ReaderAt, so the weights never
// sit in memory twice (file bytes plus uploaded tensors), which matters in
// a 128 MB isolate.
type modelFS struct {
	ctx   context.Context
	store Store
	model *ManifestModel
	// rangedAbove and window override defaultRangedAbove and
	// defaultWindow (tests use small ones).
	rangedAbove, window int64
}

// Ranged reading parameters. A read smaller than a window fetches the
// whole window around it (headers and neighbouring small tensors share
// it); larger reads go straight into the caller's buffer.
const (
	defaultRangedAbove = 16 << 20
	defaultWindow      = 256 << 10
	cachedWindows      = 4
)

func (m modelFS) Open(name string) (fs.File, error) {
	if name == "." {
		return &memDir{name: ".", entries: m.entries()}, nil
	}
	rangedAbove, window := int64(defaultRangedAbove), int64(defaultWindow)
	if m.rangedAbove > 0 {
		rangedAbove = m.rangedAbove
	}
	if m.window > 0 {
		window = m.window
	}
	if f := m.lookup(name); f != nil && f.Size > rangedAbove {
		return &rangeFile{ctx: m.ctx, store: m.store, key: objectKey(m.model.Name, f.Name),
			info: fileInfo{name: path.Base(name), size: f.Size}, window: window}, nil
	}
	data, err := m.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return &memFile{Reader: bytes.NewReader(data), info: fileInfo{name: path.Base(name), size: int64(len(data))}}, nil
}

func (m modelFS) ReadFile(name string) ([]byte, error) {
	f := m.lookup(name)
	if f == nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	rc, err := m.store.Get(m.ctx, objectKey(m.model.Name, f.Name), 0, -1)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer rc.Close()
	data := make([]byte, 0, f.Size)
	buf := bytes.NewBuffer(data)
	if _, err := io.Copy(buf, rc); err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	if int64(buf.Len()) != f.Size {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("got %d bytes, manifest says %d", buf.Len(), f.Size)}
	}
	return buf.Bytes(), nil
}

func (m modelFS) Stat(name string) (fs.FileInfo, error) {
	if name == "." {
		return fileInfo{name: ".", dir: true}, nil
	}
	f := m.lookup(name)
	if f == nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return fileInfo{name: path.Base(name), size: f.Size}, nil
}

func (m modelFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name != "." {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	return m.entries(), nil
}

func (m modelFS) lookup(name string) *ManifestFile {
	if !fs.ValidPath(name) {
		return nil
	}
	return m.model.file(name)
}

// entries lists the top-level files (subfolders are not listed; no loader
// of ours walks them).
func (m modelFS) entries() []fs.DirEntry {
	var out []fs.DirEntry
	for _, f := range m.model.Files {
		if !strings.Contains(f.Name, "/") {
			out = append(out, fs.FileInfoToDirEntry(fileInfo{name: f.Name, size: f.Size}))
		}
	}
	return out
}

type fileInfo struct {
	name string
	size int64
	dir  bool
}

func (f fileInfo) Name() string { return f.name }
func (f fileInfo) Size() int64  { return f.size }
func (f fileInfo) Mode() fs.FileMode {
	if f.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (f fileInfo) ModTime() time.Time { return time.Time{} }
func (f fileInfo) IsDir() bool        { return f.dir }
func (f fileInfo) Sys() any           { return nil }

type memFile struct {
	*bytes.Reader
	info fileInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }

type memDir struct {
	name    string
	entries []fs.DirEntry
	off     int
}

func (d *memDir) Stat() (fs.FileInfo, error) { return fileInfo{name: d.name, dir: true}, nil }
func (d *memDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}
func (d *memDir) Close() error { return nil }
func (d *memDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	if n > len(rest) {
		n = len(rest)
	}
	d.off += n
	return rest[:n], nil
}

// rangeFile reads a big object with ranged gets: reads of at least a
// window go straight into the caller's buffer with one get; smaller ones
// (the safetensors header, norms, biases) are served from a few cached
// windows, fetching the window that starts at the read when none holds it.
// A model then costs about one bucket read per tensor, each reading at most
// a window more than it needs.
type rangeFile struct {
	ctx    context.Context
	store  Store
	key    string
	info   fileInfo
	window int64

	off   int64 // for Read/Seek
	cache []span
	next  int // cache slot to replace (round robin)
}

// span is bytes [off, off+len(data)) of the object.
type span struct {
	off  int64
	data []byte
}

var (
	_ io.ReaderAt = (*rangeFile)(nil)
	_ io.Seeker   = (*rangeFile)(nil)
)

func (f *rangeFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *rangeFile) Close() error               { f.cache = nil; return nil }

func (f *rangeFile) ReadAt(p []byte, off int64) (int, error) {
	size := f.info.size
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: f.info.name, Err: fs.ErrInvalid}
	}
	if off >= size {
		return 0, io.EOF
	}
	want := p
	if rest := size - off; int64(len(want)) > rest {
		want = want[:rest]
	}
	n := 0
	if int64(len(want)) >= f.window {
		if err := f.get(want, off); err != nil {
			return 0, err
		}
		n = len(want)
	} else {
		for n < len(want) {
			pos := off + int64(n)
			sp := f.cached(pos)
			if sp == nil {
				buf := make([]byte, min(f.window, size-pos))
				if err := f.get(buf, pos); err != nil {
					return n, err
				}
				if len(f.cache) < cachedWindows {
					f.cache = append(f.cache, span{})
				}
				f.cache[f.next] = span{off: pos, data: buf}
				sp = &f.cache[f.next]
				f.next = (f.next + 1) % cachedWindows
			}
			n += copy(want[n:], sp.data[pos-sp.off:])
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *rangeFile) cached(pos int64) *span {
	for i := range f.cache {
		if sp := &f.cache[i]; pos >= sp.off && pos < sp.off+int64(len(sp.data)) {
			return sp
		}
	}
	return nil
}

// get fills buf with the object's bytes from off.
func (f *rangeFile) get(buf []byte, off int64) error {
	rc, err := f.store.Get(f.ctx, f.key, off, int64(len(buf)))
	if err != nil {
		return &fs.PathError{Op: "read", Path: f.info.name, Err: err}
	}
	defer rc.Close()
	if _, err := io.ReadFull(rc, buf); err != nil {
		return &fs.PathError{Op: "read", Path: f.info.name, Err: fmt.Errorf("bytes %d+%d: %w", off, len(buf), err)}
	}
	return nil
}

func (f *rangeFile) Read(p []byte) (int, error) {
	n, err := f.ReadAt(p, f.off)
	f.off += int64(n)
	return n, err
}

func (f *rangeFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.off
	case io.SeekEnd:
		offset += f.info.size
	default:
		return 0, fs.ErrInvalid
	}
	if offset < 0 {
		return 0, fs.ErrInvalid
	}
	f.off = offset
	return offset, nil
}
