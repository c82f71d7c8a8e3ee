package main

import (
	"bytes"
	"io"
	"io/fs"
	"path"
	"sort"
	"time"
)

// memFS is a read-only fs.FS over files the page fetched (name → bytes),
// so model.Load reads a browser download exactly as it reads a directory.
// Files are flat (an HF model directory has no subdirectories) and support
// io.ReaderAt, which model.Load uses to read one tensor at a time.
type memFS map[string][]byte

func (m memFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return &memDir{fsys: m}, nil
	}
	b, ok := m[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{Reader: bytes.NewReader(b), info: memInfo{name: path.Base(name), size: int64(len(b))}}, nil
}

// size is the total number of bytes held.
func (m memFS) size() int64 {
	var n int64
	for _, b := range m {
		n += int64(len(b))
	}
	return n
}

type memFile struct {
	*bytes.Reader // Read, ReadAt, Seek
	info          memInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }

type memInfo struct {
	name string
	size int64
	dir  bool
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }
func (i memInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}

// memDir is the root directory, listable so fs.ReadDir works.
type memDir struct {
	fsys    memFS
	entries []fs.DirEntry // nil until the first ReadDir
	off     int
}

func (d *memDir) Stat() (fs.FileInfo, error) { return memInfo{name: ".", dir: true}, nil }
func (d *memDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: ".", Err: fs.ErrInvalid}
}
func (d *memDir) Close() error { return nil }

// ReadDir follows fs.ReadDirFile: n <= 0 returns the rest, n > 0 at most n
// entries and io.EOF once none are left.
func (d *memDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.entries == nil {
		names := make([]string, 0, len(d.fsys))
		for name := range d.fsys {
			names = append(names, name)
		}
		sort.Strings(names)
		d.entries = make([]fs.DirEntry, len(names))
		for i, name := range names {
			d.entries[i] = fs.FileInfoToDirEntry(memInfo{name: name, size: int64(len(d.fsys[name]))})
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
