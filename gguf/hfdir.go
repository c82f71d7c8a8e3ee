package gguf

import (
	"bytes"
	"errors"
	"io/fs"
	"time"
)

// HFDir presents the GGUF as a Hugging Face model folder: config.json
// (HFConfig), tokenizer.json (TokenizerJSON, when the file has a
// tokenizer) and model.safetensors with every weight dequantized to F32 in
// HF names and layout. It is the hook by which a loader of HF folders
// (lamina's model.Load takes an fs.FS) reads GGUF files before it gains
// quantized weights of its own. The whole f32 checkpoint is built in
// memory.
func (f *File) HFDir() (fs.FS, error) {
	cfg, err := f.HFConfig()
	if err != nil {
		return nil, err
	}
	a, _ := f.Architecture()
	var ts []HFTensor
	for _, t := range f.Tensors {
		if _, ok := HFName(Arch(a), t.Name); !ok {
			continue
		}
		h, err := f.HFTensor(t.Name)
		if err != nil {
			return nil, err
		}
		ts = append(ts, h)
	}
	files := map[string][]byte{"config.json": cfg, "model.safetensors": WriteSafetensors(ts)}
	if _, ok := f.Lookup("tokenizer.ggml.model"); ok {
		tok, err := f.TokenizerJSON()
		if err != nil {
			return nil, err
		}
		files["tokenizer.json"] = tok
	}
	return memFS(files), nil
}

// memFS is a flat read-only in-memory file system.
type memFS map[string][]byte

func (m memFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return &memDir{m: m}, nil
	}
	b, ok := m[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{Reader: bytes.NewReader(b), info: memInfo{name: name, size: int64(len(b))}}, nil
}

type memFile struct {
	*bytes.Reader
	info memInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }

type memDir struct{ m memFS }

func (d *memDir) Stat() (fs.FileInfo, error) { return memInfo{name: ".", dir: true}, nil }
func (d *memDir) Read([]byte) (int, error)   { return 0, errors.New("gguf: is a directory") }
func (d *memDir) Close() error               { return nil }

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
