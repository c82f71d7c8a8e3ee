// Package memfs is a read-only, flat fs.FS over bytes held in memory: a
// model directory the browser downloaded, or config.json and weights built
// from a GGUF file. Its files are io.ReaderAt and io.Seeker, as model.Load's
// safetensors reader wants.
//
// It replaces testing/fstest.MapFS in the shipped binaries: MapFS pulls in
// testing/iotest, log and time parsing, about 20 KB of the brotli'd
// lamina.wasm, for features (directories, modes, times) no caller uses.
package memfs

import (
	"bytes"
	"io"
	"io/fs"
	"sort"
	"time"
)

// FS maps file names to their contents. Names are fs.ValidPath names
// without a slash: the directory is flat, like a Hugging Face model folder.
type FS map[string][]byte

// Open opens a file, or "." for a listing of all of them.
func (m FS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return &dir{fsys: m}, nil
	}
	b, ok := m[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &file{Reader: bytes.NewReader(b), info: info{name: name, size: int64(len(b))}}, nil
}

// ReadFile returns a copy of a file's bytes (fs.ReadFileFS).
func (m FS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) || name == "." {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fs.ErrInvalid}
	}
	b, ok := m[name]
	if !ok {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fs.ErrNotExist}
	}
	return bytes.Clone(b), nil
}

// Size is the total number of bytes held.
func (m FS) Size() int64 {
	var n int64
	for _, b := range m {
		n += int64(len(b))
	}
	return n
}

type file struct {
	*bytes.Reader // Read, ReadAt, Seek
	info          info
}

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *file) Close() error               { return nil }

type info struct {
	name string
	size int64
	dir  bool
}

func (i info) Name() string       { return i.name }
func (i info) Size() int64        { return i.size }
func (i info) ModTime() time.Time { return time.Time{} }
func (i info) IsDir() bool        { return i.dir }
func (i info) Sys() any           { return nil }
func (i info) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}

// dir is the root directory, listable so that fs.ReadDir works.
type dir struct {
	fsys    FS
	entries []fs.DirEntry // nil until the first ReadDir
	off     int
}

func (d *dir) Stat() (fs.FileInfo, error) { return info{name: ".", dir: true}, nil }
func (d *dir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: ".", Err: fs.ErrInvalid}
}
func (d *dir) Close() error { return nil }

// ReadDir follows fs.ReadDirFile: n <= 0 returns the rest, n > 0 at most n
// entries and io.EOF once none are left.
func (d *dir) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.entries == nil {
		names := make([]string, 0, len(d.fsys))
		for name := range d.fsys {
			names = append(names, name)
		}
		sort.Strings(names)
		d.entries = make([]fs.DirEntry, len(names))
		for i, name := range names {
			d.entries[i] = fs.FileInfoToDirEntry(info{name: name, size: int64(len(d.fsys[name]))})
		}
	}
	rest := d.entries[d.off:]
	if n > 0 {
		if len(rest) == 0 {
			return nil, io.EOF
		}
		rest = rest[:min(n, len(rest))]
	}
	d.off += len(rest)
	return rest, nil
}
