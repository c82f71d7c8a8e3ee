package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"slices"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/tensor"
)

// Weights finds a checkpoint's tensors across one or more safetensors files
// (model.safetensors, or model.safetensors.index.json and its shards). It is
// the one weight reader of lamina: model's loaders and svgmodel's use it, so
// every error names the tensor and shapes and dtypes are checked one way.
type Weights struct {
	files  map[string]*Safetensors // by file name
	where  map[string]*Safetensors // tensor name → file
	closer []io.Closer
	buf    []byte // reused read buffer
}

// Close closes the files.
func (w *Weights) Close() {
	for _, c := range w.closer {
		c.Close()
	}
}

// OpenWeights opens the safetensors files of a model folder in fsys and
// reads their headers (not their data).
func OpenWeights(fsys fs.FS) (*Weights, error) {
	w := &Weights{files: map[string]*Safetensors{}, where: map[string]*Safetensors{}}
	idxData, err := fs.ReadFile(fsys, "model.safetensors.index.json")
	switch {
	case err == nil:
		wm, err := parseShardIndex(idxData)
		if err != nil {
			return nil, err
		}
		for name, file := range wm {
			st, ok := w.files[file]
			if !ok {
				if st, err = w.open(fsys, file); err != nil {
					w.Close()
					return nil, err
				}
				w.files[file] = st
			}
			if _, ok := st.Info(name); !ok {
				w.Close()
				return nil, &HeaderError{Tensor: name, Reason: fmt.Sprintf("index maps it to %s, which does not contain it", file)}
			}
			w.where[name] = st
		}
	case errors.Is(err, fs.ErrNotExist):
		st, err := w.open(fsys, "model.safetensors")
		if err != nil {
			return nil, err
		}
		for _, name := range st.Names() {
			w.where[name] = st
		}
	default:
		return nil, fmt.Errorf("model: %w", err)
	}
	return w, nil
}

func (w *Weights) open(fsys fs.FS, name string) (*Safetensors, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("model: %w", err)
	}
	var ra io.ReaderAt
	switch r := f.(type) {
	case io.ReaderAt:
		ra = r
	case io.ReadSeeker:
		ra = &seekReaderAt{r: r}
	default:
		// Last resort for file systems whose files can only be streamed.
		data, err := io.ReadAll(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("model: reading %s: %w", name, err)
		}
		ra = bytesReaderAt(data)
	}
	w.closer = append(w.closer, f)
	st, err := OpenSafetensors(ra, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return st, nil
}

type seekReaderAt struct{ r io.ReadSeeker }

func (s *seekReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if _, err := s.r.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.ReadFull(s.r, p)
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Shape is a tensor's shape as the file gives it (nil, false when there is none).
func (w *Weights) Shape(name string) ([]int, bool) {
	st, ok := w.where[name]
	if !ok {
		return nil, false
	}
	info, _ := st.Info(name)
	return slices.Clone(info.Shape), true
}

// Has reports whether the checkpoint has a tensor of that name.
func (w *Weights) Has(name string) bool { _, ok := w.where[name]; return ok }

// WeightError is a checkpoint tensor that is missing, or whose shape or
// dtype is not what the config asks for.
type WeightError struct {
	Tensor string
	Reason string // e.g. "is missing", "has shape [4 8], want [8 4]"
}

func (e *WeightError) Error() string { return fmt.Sprintf("model: tensor %q %s", e.Tensor, e.Reason) }

// Float returns a float tensor's dtype (F32, F16 or BF16) and bytes, after
// checking that it exists and has exactly the given shape. The bytes stay
// valid until the next Float: one buffer is reused, so the weights never sit
// twice in host memory beyond one tensor. Errors are *WeightError or, for a
// damaged file, the safetensors reader's (*HeaderError), and name the tensor.
func (w *Weights) Float(name string, shape ...int) (tensor.DType, []byte, error) {
	st, ok := w.where[name]
	if !ok {
		return 0, nil, &WeightError{Tensor: name, Reason: "is missing"}
	}
	info, _ := st.Info(name)
	if !slices.Equal(info.Shape, shape) {
		return 0, nil, &WeightError{Tensor: name, Reason: fmt.Sprintf("has shape %v, want %v", info.Shape, shape)}
	}
	dt, err := info.DType()
	if err != nil {
		return 0, nil, err
	}
	if dt != tensor.F32 && dt != tensor.F16 && dt != tensor.BF16 {
		return 0, nil, &WeightError{Tensor: name, Reason: fmt.Sprintf("has dtype %v; weights must be F32, F16 or BF16", dt)}
	}
	b, err := st.ReadTensor(name, w.buf)
	if err != nil {
		return 0, nil, err
	}
	w.buf = b
	return dt, b, nil
}

// DecodeF32 converts little-endian F32, F16 or BF16 bytes (Weights.Float
// only returns those) to f32 values.
func DecodeF32(dt tensor.DType, b []byte) []float32 {
	v := make([]float32, len(b)/dt.Size())
	for i := range v {
		switch dt {
		case tensor.F32:
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		case tensor.F16:
			v[i] = kernels.F16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
		case tensor.BF16:
			v[i] = kernels.BF16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
		default:
			panic(fmt.Sprintf("model: DecodeF32 of %v", dt))
		}
	}
	return v
}
