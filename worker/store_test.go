package worker

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/fstest"
)

// countingStore counts bucket reads and the bytes they return.
type countingStore struct {
	Store
	gets, bytes atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	rc, err := c.Store.Get(ctx, key, off, n)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	c.gets.Add(1)
	c.bytes.Add(int64(len(data)))
	return io.NopCloser(bytes.NewReader(data)), err
}

func TestRangeFileReadAt(t *testing.T) {
	data := make([]byte, 10_000)
	rand.New(rand.NewSource(1)).Read(data)
	store := &countingStore{Store: FSStore{FS: fstest.MapFS{"m/w.bin": {Data: data}}}}
	m, err := BuildManifest(fstest.MapFS{"m/w.bin": {Data: data}})
	if err != nil {
		t.Fatal(err)
	}
	fsys := modelFS{ctx: context.Background(), store: store, model: &m.Models[0], rangedAbove: 100, window: 1000}
	f, err := fsys.Open("w.bin")
	if err != nil {
		t.Fatal(err)
	}
	ra, ok := f.(io.ReaderAt)
	if !ok {
		t.Fatalf("%T is not an io.ReaderAt", f)
	}
	cases := []struct {
		off, n   int64
		wantN    int
		wantEOF  bool
		maxFetch int64 // bucket reads this read may add
	}{
		{0, 8, 8, false, 1},          // header: one window [0,1000)
		{8, 100, 100, false, 0},      // same window, cached
		{990, 20, 20, false, 1},      // runs into a new window [1000,2000)
		{1500, 100, 100, false, 0},   // cached
		{2000, 3000, 3000, false, 1}, // big: one direct get
		{9990, 20, 10, true, 1},      // past the end
		{10_000, 5, 0, true, 0},      // at the end
		{500, 10, 10, false, 0},      // first window still cached
	}
	for _, c := range cases {
		before := store.gets.Load()
		p := make([]byte, c.n)
		n, err := ra.ReadAt(p, c.off)
		if n != c.wantN || (err == io.EOF) != c.wantEOF || (err != nil && err != io.EOF) {
			t.Errorf("ReadAt(%d bytes at %d) = %d, %v; want %d, EOF %v", c.n, c.off, n, err, c.wantN, c.wantEOF)
		}
		if !bytes.Equal(p[:n], data[c.off:c.off+int64(n)]) {
			t.Errorf("ReadAt at %d: wrong bytes", c.off)
		}
		if got := store.gets.Load() - before; got > c.maxFetch {
			t.Errorf("ReadAt(%d at %d) made %d bucket reads, want at most %d", c.n, c.off, got, c.maxFetch)
		}
	}
	// Read/Seek agree with the data too.
	rs := f.(io.ReadSeeker)
	if _, err := rs.Seek(-50, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	tail, err := io.ReadAll(rs)
	if err != nil || !bytes.Equal(tail, data[len(data)-50:]) {
		t.Errorf("Seek+ReadAll: %d bytes, %v", len(tail), err)
	}
}

// TestLoadThroughRanges loads the fixtures with small ranged-read
// settings, so every safetensors file goes through rangeFile, and wants the
// same greedy tokens as transformers, with each bucket read fetching at
// most one window more than the files hold.
func TestLoadThroughRanges(t *testing.T) {
	refs := loadGreedy(t)
	dir := os.DirFS(modelsDir)
	m, err := BuildManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range fixtureModels {
		store := &countingStore{Store: FSStore{FS: dir}}
		mm := m.model(name)
		var total int64
		for _, f := range mm.Files {
			total += f.Size
		}
		const window = 16 << 10
		fsys := modelFS{ctx: context.Background(), store: store, model: mm, rangedAbove: 1 << 10, window: window}
		if _, err := fs.Stat(fsys, "config.json"); err != nil {
			t.Fatal(err)
		}
		lm, _, err := LoadCPU(context.Background(), fsys)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ref := refs[name]
		var got []int32
		err = lm.Generate(context.Background(), ref.Prompt, SampleOptions{MaxTokens: len(ref.IDs) - len(ref.Prompt), TopP: 1},
			func(id int32) bool { got = append(got, id); return true })
		if err != nil || !equalIDs(got, ref.IDs[len(ref.Prompt):]) {
			t.Errorf("%s through ranges: %v (%v), want %v", name, got, err, ref.IDs[len(ref.Prompt):])
		}
		if b := store.bytes.Load(); b > total+store.gets.Load()*window {
			t.Errorf("%s: read %d bytes for %d bytes of files", name, b, total)
		}
		t.Logf("%s: %d bucket reads, %d bytes for %d bytes of files", name, store.gets.Load(), store.bytes.Load(), total)
	}
}

// FSStore.Get serves a byte range of a file with ReaderAt (os.DirFS, MapFS)
// exactly as it serves it from a whole read: the range clipped to the file,
// n < 0 meaning to the end, missing files ErrNotFound.
func TestFSStoreRanges(t *testing.T) {
	data := make([]byte, 1000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "m"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "m", "w.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, st := range []FSStore{{FS: os.DirFS(dir)}, {FS: fstest.MapFS{"m/w.bin": {Data: data}}}} {
		for _, c := range []struct{ off, n, from, to int64 }{
			{0, -1, 0, 1000}, {10, 5, 10, 15}, {990, 50, 990, 1000}, {1000, 4, 1000, 1000}, {2000, -1, 1000, 1000}, {3, 0, 3, 3},
		} {
			rc, err := st.Get(t.Context(), "m/w.bin", c.off, c.n)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(got, data[c.from:c.to]) {
				t.Errorf("Get(%d, %d): %d bytes, want [%d, %d)", c.off, c.n, len(got), c.from, c.to)
			}
		}
		if _, err := st.Get(t.Context(), "m/none.bin", 0, 1); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing file: %v", err)
		}
	}
}
