package gguf

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lamina-ml/lamina/internal/memfs"
	"github.com/lamina-ml/lamina/kernels"
)

// ModelFS presents the GGUF as a Hugging Face model folder that builds
// its weights lazily: config.json (HFConfig, plus a quantization_config
// when matrices stay quantized), tokenizer.json (when the file has a
// tokenizer) and a virtual model.safetensors whose header is computed from
// the tensor infos and whose tensors are read from the GGUF and converted
// only when a reader asks for their bytes. model.Load reads one tensor at
// a time, so loading a GGUF through ModelFS holds the file's data once
// (in the model) plus one tensor in transit — over a RangeReaderAt, one
// Range request per tensor. HFDir and HFDirQuantized build the whole
// checkpoint in memory instead.
//
// What each tensor becomes:
//   - Q8_0 and Q4_0 matrices stay quantized, as HFDirQuantized keeps them:
//     lamina's Q8 and Q4 (groups of 32), the codes repacked, not
//     requantized. Not for GPT-2 (lamina's gpt2 loader reads float weights
//     only) nor Phi-3's fused attn_qkv / ffn_up (split into row blocks at
//     load, which quantized weights are not).
//   - F32 stays F32; F16 and BF16 matrices keep their dtype.
//   - Q4_1, Q4_K, Q5_K, Q6_K matrices (and the Q8_0/Q4_0 ones not kept) are
//     dequantized to F16: their values are f16 scales times small
//     integers, which f16 rounds by at most 2^-11 relative — far below the
//     quantization step — at half the memory of f32. A value beyond f16's
//     range is an error naming the tensor.
//   - Vectors (norms, biases) are F32 (model.Load widens them anyway).
//
// A tensor of a type this package cannot dequantize is an
// *UnsupportedTypeError naming the type and the tensor, returned here
// before any data is read.
func (f *File) ModelFS() (fs.FS, error) {
	cfgData, err := f.HFConfig()
	if err != nil {
		return nil, err
	}
	a, _ := f.Architecture()
	arch := Arch(a)
	st := &lazySafetensors{f: f, arch: arch}
	modules := map[string]any{}
	for i := range f.Tensors {
		t := &f.Tensors[i]
		hf, ok := HFName(arch, t.Name)
		if !ok {
			continue
		}
		if !CanDequantize(t.Type) {
			return nil, &UnsupportedTypeError{Type: t.Type, Tensor: t.Name}
		}
		shape := make([]int, len(t.Dims))
		for j, d := range t.Dims {
			shape[len(shape)-1-j] = int(d)
		}
		if keepQuantized(arch, t) {
			N, K := shape[0], shape[1]
			bits := 4
			if t.Type == Q8_0 {
				bits = 8
			}
			m, err := kernels.NewQMatrix(bits, N, K, 32)
			if err != nil {
				return nil, &FormatError{Msg: fmt.Sprintf("tensor %q: %v", t.Name, err)}
			}
			ng := m.Groups()
			codes := lazyTensor{name: hf, src: i, quant: true, dtype: "U8", shape: []int{N, m.RowBytes()}, size: int64(N * m.RowBytes())}
			if bits == 8 {
				codes.dtype = "I8"
			}
			st.add(codes)
			st.add(lazyTensor{name: hf + "_scale", src: i, quant: true, dtype: "F32", shape: []int{N, ng}, size: int64(4 * N * ng)})
			if bits == 4 {
				st.add(lazyTensor{name: hf + "_zero_point", src: i, quant: true, dtype: "U8", shape: []int{N, ng}, size: int64(N * ng)})
			}
			modules[strings.TrimSuffix(hf, ".weight")] = map[string]int{"bits": bits, "group_size": 32}
			continue
		}
		if isConv1D(arch, t.Name) && len(shape) == 2 {
			shape[0], shape[1] = shape[1], shape[0]
		}
		dt := "F32"
		if len(shape) == 2 {
			switch t.Type {
			case F32:
			case BF16:
				dt = "BF16"
			default:
				dt = "F16"
			}
		}
		n := int64(1)
		for _, d := range shape {
			n *= int64(d)
		}
		es := int64(4)
		if dt != "F32" {
			es = 2
		}
		st.add(lazyTensor{name: hf, src: i, dtype: dt, shape: shape, size: n * es})
	}
	if len(modules) > 0 {
		var cfg map[string]any
		if err := json.Unmarshal(cfgData, &cfg); err != nil {
			return nil, err
		}
		cfg["quantization_config"] = map[string]any{"quant_method": "lamina", "bits": 4, "group_size": 32, "method": "gguf", "modules": modules}
		if cfgData, err = json.Marshal(cfg); err != nil {
			return nil, err
		}
	}
	if err := st.layout(); err != nil {
		return nil, err
	}
	mfs := &modelFS{files: memfs.FS{"config.json": cfgData}, weights: st}
	if _, ok := f.Lookup("tokenizer.ggml.model"); ok {
		tok, err := f.TokenizerJSON()
		if err != nil {
			return nil, err
		}
		mfs.files["tokenizer.json"] = tok
	}
	return mfs, nil
}

// keepQuantized reports whether ModelFS keeps t as lamina Q8/Q4 codes.
func keepQuantized(arch Arch, t *TensorInfo) bool {
	if (t.Type != Q8_0 && t.Type != Q4_0) || len(t.Dims) != 2 || t.Dims[0]%32 != 0 {
		return false
	}
	if arch == ArchGPT2 {
		return false
	}
	if arch == ArchPhi3 && (strings.HasSuffix(t.Name, ".attn_qkv.weight") || strings.HasSuffix(t.Name, ".ffn_up.weight")) {
		return false
	}
	return true
}

// modelFS is config.json and tokenizer.json in memory beside the lazy
// model.safetensors.
type modelFS struct {
	files   memfs.FS
	weights *lazySafetensors
}

const lazyWeightsName = "model.safetensors"

func (m *modelFS) Open(name string) (fs.File, error) {
	if name == lazyWeightsName {
		return &lazyFile{st: m.weights}, nil
	}
	if name == "." {
		// The listing names the weights too.
		all := memfs.FS{lazyWeightsName: nil}
		for k, v := range m.files {
			all[k] = v
		}
		return all.Open(name)
	}
	return m.files.Open(name)
}

// lazyTensor is one tensor of the virtual safetensors file: where its
// bytes come from (the GGUF tensor src) and what they are.
type lazyTensor struct {
	name  string
	src   int  // index in File.Tensors
	quant bool // one of the codes/scale/zero-point tensors of a kept Q8_0/Q4_0 matrix
	dtype string
	shape []int
	size  int64
	off   int64 // from the start of the file
}

// lazySafetensors builds tensor bytes on demand; the last tensor built
// (and the last repacked matrix, whose two or three tensors are read one
// after another) are cached.
type lazySafetensors struct {
	f       *File
	arch    Arch
	tensors []lazyTensor
	header  []byte
	size    int64

	mu      sync.Mutex
	last    int // index into tensors of cached, or -1
	cached  []byte
	lastQ   int // File.Tensors index of qm, or -1
	qm      []stTensor
	qmError error
}

func (s *lazySafetensors) add(t lazyTensor) { s.tensors = append(s.tensors, t) }

// layout orders the tensors by name (as writeST does), assigns their
// offsets and encodes the header.
func (s *lazySafetensors) layout() error {
	sort.Slice(s.tensors, func(i, j int) bool { return s.tensors[i].name < s.tensors[j].name })
	hdr := map[string]any{}
	var off int64
	for _, t := range s.tensors {
		if _, dup := hdr[t.name]; dup {
			return &FormatError{Msg: fmt.Sprintf("two tensors map to %q", t.name)}
		}
		hdr[t.name] = map[string]any{"dtype": t.dtype, "shape": t.shape, "data_offsets": []int64{off, off + t.size}}
		off += t.size
	}
	rel := off
	h, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	s.header = make([]byte, 8+len(h))
	binary.LittleEndian.PutUint64(s.header, uint64(len(h)))
	copy(s.header[8:], h)
	off = int64(len(s.header))
	for i := range s.tensors {
		s.tensors[i].off = off
		off += s.tensors[i].size
	}
	s.size = off
	if s.size != int64(len(s.header))+rel {
		return &FormatError{Msg: "virtual safetensors layout is inconsistent"}
	}
	s.last, s.lastQ = -1, -1
	return nil
}

// ReadAt serves the header and tensor bytes, building each tensor the
// first time a read reaches it.
func (s *lazySafetensors) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("gguf: negative offset %d", off)
	}
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		if pos >= s.size {
			return n, io.EOF
		}
		if pos < int64(len(s.header)) {
			n += copy(p[n:], s.header[pos:])
			continue
		}
		i := sort.Search(len(s.tensors), func(i int) bool { return s.tensors[i].off+s.tensors[i].size > pos })
		b, err := s.tensorBytes(i)
		if err != nil {
			return n, err
		}
		n += copy(p[n:], b[pos-s.tensors[i].off:])
	}
	return n, nil
}

func (s *lazySafetensors) tensorBytes(i int) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == i {
		return s.cached, nil
	}
	t := &s.tensors[i]
	var b []byte
	var err error
	if t.quant {
		b, err = s.quantPart(t)
	} else {
		b, err = s.floatTensor(t)
	}
	if err != nil {
		return nil, err
	}
	if int64(len(b)) != t.size {
		return nil, &FormatError{Msg: fmt.Sprintf("tensor %q: built %d bytes, want %d", t.name, len(b), t.size)}
	}
	s.last, s.cached = i, b
	return b, nil
}

// quantPart returns one of the codes/scale/zero-point tensors of a kept
// Q8_0/Q4_0 matrix, repacking the matrix once for all of them.
func (s *lazySafetensors) quantPart(t *lazyTensor) ([]byte, error) {
	if s.lastQ != t.src {
		s.lastQ, s.qm, s.qmError = t.src, nil, nil
		ti := &s.f.Tensors[t.src]
		hf, _ := HFName(s.arch, ti.Name)
		q, err := s.f.quantMatrix(s.arch, ti)
		if err != nil {
			s.qmError = err
		} else {
			s.qm = encodeQuant(hf, q)
		}
	}
	if s.qmError != nil {
		return nil, s.qmError
	}
	for _, p := range s.qm {
		if p.name == t.name {
			return p.data, nil
		}
	}
	return nil, &FormatError{Msg: fmt.Sprintf("tensor %q: not built", t.name)}
}

// floatTensor converts a GGUF tensor to its HF layout in t.dtype.
func (s *lazySafetensors) floatTensor(t *lazyTensor) ([]byte, error) {
	h, err := s.f.HFTensor(s.f.Tensors[t.src].Name)
	if err != nil {
		return nil, err
	}
	switch t.dtype {
	case "F32":
		b := make([]byte, 4*len(h.Data))
		for j, v := range h.Data {
			binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(v))
		}
		return b, nil
	case "BF16":
		// The values came from bf16: dropping the low half is exact.
		b := make([]byte, 2*len(h.Data))
		for j, v := range h.Data {
			binary.LittleEndian.PutUint16(b[2*j:], uint16(math.Float32bits(v)>>16))
		}
		return b, nil
	}
	exact := s.f.Tensors[t.src].Type == F16
	b := make([]byte, 2*len(h.Data))
	for j, v := range h.Data {
		if !exact && math.Abs(float64(v)) > 65504 || v != v {
			return nil, &FormatError{Msg: fmt.Sprintf("tensor %q: value %g at %d does not fit f16", h.Name, v, j)}
		}
		binary.LittleEndian.PutUint16(b[2*j:], F32ToF16(v))
	}
	return b, nil
}

// lazyFile is an open model.safetensors of a ModelFS.
type lazyFile struct {
	st  *lazySafetensors
	pos int64
}

func (l *lazyFile) ReadAt(p []byte, off int64) (int, error) { return l.st.ReadAt(p, off) }
func (l *lazyFile) Read(p []byte) (int, error) {
	n, err := l.st.ReadAt(p, l.pos)
	l.pos += int64(n)
	return n, err
}
func (l *lazyFile) Close() error               { return nil }
func (l *lazyFile) Stat() (fs.FileInfo, error) { return lazyInfo{l.st.size}, nil }

type lazyInfo struct{ size int64 }

func (i lazyInfo) Name() string       { return lazyWeightsName }
func (i lazyInfo) Size() int64        { return i.size }
func (i lazyInfo) Mode() fs.FileMode  { return 0o444 }
func (i lazyInfo) ModTime() time.Time { return time.Time{} }
func (i lazyInfo) IsDir() bool        { return false }
func (i lazyInfo) Sys() any           { return nil }

// FolderFS resolves a model folder that holds a GGUF file instead of
// config.json and safetensors: when fsys has no config.json and exactly
// one *.gguf file at its root, it returns that file's ModelFS (the file
// must open as an io.ReaderAt, as os.DirFS files and the worker's bucket
// files do); otherwise fsys itself. name is the GGUF file's name, or "".
func FolderFS(fsys fs.FS) (out fs.FS, name string, err error) {
	if _, err := fs.Stat(fsys, "config.json"); err == nil {
		return fsys, "", nil
	}
	matches, err := fs.Glob(fsys, "*.gguf")
	if err != nil || len(matches) != 1 {
		return fsys, "", nil
	}
	name = matches[0]
	fh, err := fsys.Open(name)
	if err != nil {
		return nil, name, err
	}
	ra, ok := fh.(io.ReaderAt)
	st, serr := fh.Stat()
	if !ok || serr != nil {
		fh.Close()
		return nil, name, fmt.Errorf("gguf: %s cannot be read at offsets", name)
	}
	f, err := Open(ra, st.Size())
	if err != nil {
		fh.Close()
		return nil, name, err
	}
	out, err = f.ModelFS()
	if err != nil {
		fh.Close()
		return nil, name, err
	}
	// fh stays open for as long as the returned FS is read: the model
	// reads its tensors through it while loading, and again on a reload.
	return out, name, nil
}
