package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"unicode/utf8"

	"github.com/lamina-ml/lamina/tensor"
)

// MaxHeaderSize bounds a safetensors JSON header, as the reference
// implementation does (safetensors' MAX_HEADER_SIZE is 100 MB), so a
// corrupt length prefix cannot make the reader allocate gigabytes.
const MaxHeaderSize = 100_000_000

// HeaderError reports a safetensors file that breaks the format
// (https://github.com/huggingface/safetensors#format). Tensor names the
// entry at fault, when there is one.
type HeaderError struct {
	Tensor string
	Reason string
}

func (e *HeaderError) Error() string {
	if e.Tensor == "" {
		return "safetensors: " + e.Reason
	}
	return fmt.Sprintf("safetensors: tensor %q: %s", e.Tensor, e.Reason)
}

func headerErr(name, format string, a ...any) error {
	return &HeaderError{Tensor: name, Reason: fmt.Sprintf(format, a...)}
}

// ErrUnsupportedDType is wrapped when a tensor has a valid safetensors dtype
// that lamina cannot upload (e.g. F64, I64, F8_E4M3).
var ErrUnsupportedDType = errors.New("unsupported dtype")

// specDTypeSizes lists every dtype of the safetensors spec with its byte
// size, so files carrying dtypes lamina does not compute with still parse
// and validate; only reading such a tensor fails.
var specDTypeSizes = map[string]int{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"I64": 8, "U64": 8, "F64": 8,
}

var laminaDTypes = map[string]tensor.DType{
	"F32": tensor.F32, "F16": tensor.F16, "BF16": tensor.BF16,
	"I8": tensor.I8, "U8": tensor.U8, "I32": tensor.I32,
}

// TensorInfo describes one tensor of a safetensors file.
type TensorInfo struct {
	Name      string
	DTypeName string // as written in the header, e.g. "BF16"
	Shape     []int
	// Begin and End are byte offsets relative to the start of the data
	// section (just after the header), as in the file.
	Begin, End int64
}

// DType returns the tensor's dtype, or an error wrapping
// ErrUnsupportedDType for spec dtypes lamina does not read.
func (t TensorInfo) DType() (tensor.DType, error) {
	dt, ok := laminaDTypes[t.DTypeName]
	if !ok {
		return 0, fmt.Errorf("safetensors: tensor %q: %w %s", t.Name, ErrUnsupportedDType, t.DTypeName)
	}
	return dt, nil
}

// Safetensors is an open, validated safetensors file. Tensor data is read
// on demand through the io.ReaderAt it was opened with.
type Safetensors struct {
	Metadata map[string]string
	tensors  map[string]TensorInfo
	names    []string // sorted
	r        io.ReaderAt
	data     int64 // file offset of the data section
}

// OpenSafetensors reads and validates the header of a safetensors file of
// the given size. Validation follows the reference implementation: the
// header length is bounded by MaxHeaderSize and must fit the file; the
// header is UTF-8 JSON object whose "__metadata__" entry, if present, maps
// strings to strings; every other entry has a known dtype, a shape and
// data_offsets whose length equals product(shape) × dtype size; sorted by
// offset the tensors tile the data section exactly (no gaps, no overlap,
// nothing left over). Violations are *HeaderError.
func OpenSafetensors(r io.ReaderAt, size int64) (*Safetensors, error) {
	var lenBuf [8]byte
	if size < 8 {
		return nil, headerErr("", "file of %d bytes is too short for the 8-byte header length", size)
	}
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("safetensors: reading header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxHeaderSize {
		return nil, headerErr("", "header length %d exceeds the %d-byte limit", n, MaxHeaderSize)
	}
	if int64(n) > size-8 {
		return nil, headerErr("", "header length %d runs past the end of a %d-byte file", n, size)
	}
	hdr := make([]byte, n)
	if _, err := r.ReadAt(hdr, 8); err != nil {
		return nil, fmt.Errorf("safetensors: reading header: %w", err)
	}
	st, err := parseSafetensorsHeader(hdr, size-8-int64(n))
	if err != nil {
		return nil, err
	}
	st.r = r
	st.data = 8 + int64(n)
	return st, nil
}

// parseSafetensorsHeader validates header JSON against a data section of
// dataLen bytes.
func parseSafetensorsHeader(hdr []byte, dataLen int64) (*Safetensors, error) {
	if !utf8.Valid(hdr) {
		return nil, headerErr("", "header is not valid UTF-8")
	}
	// The spec allows trailing spaces as padding; the JSON must be an object.
	trimmed := bytes.TrimLeft(hdr, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, headerErr("", "header is not a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, headerErr("", "header is not valid JSON: %v", err)
	}
	st := &Safetensors{tensors: make(map[string]TensorInfo, len(raw))}
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &st.Metadata); err != nil {
				return nil, headerErr("", "__metadata__ must map strings to strings")
			}
			continue
		}
		var e struct {
			DType   *string  `json:"dtype"`
			Shape   *[]int64 `json:"shape"`
			Offsets *[]int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, headerErr(name, "malformed entry: %v", err)
		}
		if e.DType == nil || e.Shape == nil || e.Offsets == nil {
			return nil, headerErr(name, "entry needs dtype, shape and data_offsets")
		}
		esize, ok := specDTypeSizes[*e.DType]
		if !ok {
			return nil, headerErr(name, "unknown dtype %q", *e.DType)
		}
		if len(*e.Offsets) != 2 {
			return nil, headerErr(name, "data_offsets must have two entries, has %d", len(*e.Offsets))
		}
		begin, end := (*e.Offsets)[0], (*e.Offsets)[1]
		if begin < 0 || end < begin {
			return nil, headerErr(name, "invalid data_offsets [%d, %d]", begin, end)
		}
		shape := make([]int, len(*e.Shape))
		nbytes := int64(esize)
		for i, d := range *e.Shape {
			if d < 0 {
				return nil, headerErr(name, "negative dimension in shape %v", *e.Shape)
			}
			if d > 0 && nbytes > math.MaxInt64/d {
				return nil, headerErr(name, "shape %v overflows", *e.Shape)
			}
			nbytes *= d
			shape[i] = int(d)
		}
		if end-begin != nbytes {
			return nil, headerErr(name, "data_offsets span %d bytes but %s%v needs %d", end-begin, *e.DType, *e.Shape, nbytes)
		}
		st.tensors[name] = TensorInfo{Name: name, DTypeName: *e.DType, Shape: shape, Begin: begin, End: end}
		st.names = append(st.names, name)
	}
	sort.Strings(st.names)

	// Tile check: in offset order each tensor starts where the previous
	// ended, starting at 0 and ending at the end of the data section.
	byOffset := append([]string(nil), st.names...)
	sort.Slice(byOffset, func(i, j int) bool {
		a, b := st.tensors[byOffset[i]], st.tensors[byOffset[j]]
		if a.Begin != b.Begin {
			return a.Begin < b.Begin
		}
		return a.End < b.End
	})
	var next int64
	for _, name := range byOffset {
		t := st.tensors[name]
		switch {
		case t.Begin < next:
			return nil, headerErr(name, "data [%d, %d) overlaps the previous tensor (ends at %d)", t.Begin, t.End, next)
		case t.Begin > next:
			return nil, headerErr(name, "gap: data starts at %d but the previous tensor ends at %d", t.Begin, next)
		}
		next = t.End
	}
	if next != dataLen {
		return nil, headerErr("", "tensors cover %d bytes but the data section has %d", next, dataLen)
	}
	return st, nil
}

// Names lists the tensor names in sorted order.
func (s *Safetensors) Names() []string { return s.names }

// Info returns a tensor's description.
func (s *Safetensors) Info(name string) (TensorInfo, bool) {
	t, ok := s.tensors[name]
	return t, ok
}

// ReadTensor reads a tensor's raw little-endian bytes into buf, growing it
// if it is too small, and returns the filled slice. Passing the previous
// result back in lets a loader reuse one buffer for every tensor.
func (s *Safetensors) ReadTensor(name string, buf []byte) ([]byte, error) {
	t, ok := s.tensors[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: no tensor %q", name)
	}
	n := int(t.End - t.Begin)
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := s.r.ReadAt(buf, s.data+t.Begin); err != nil {
		return nil, fmt.Errorf("safetensors: reading %q: %w", name, err)
	}
	return buf, nil
}

// shardIndex is model.safetensors.index.json.
type shardIndex struct {
	WeightMap map[string]string `json:"weight_map"`
}

// parseShardIndex returns tensor name → shard file name, checking that
// every shard name is a plain file name (no directories), so an index
// cannot point outside the model folder.
func parseShardIndex(data []byte) (map[string]string, error) {
	var idx shardIndex
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, &HeaderError{Reason: "model.safetensors.index.json: " + err.Error()}
	}
	if len(idx.WeightMap) == 0 {
		return nil, &HeaderError{Reason: "model.safetensors.index.json: empty weight_map"}
	}
	for name, file := range idx.WeightMap {
		if file == "" || file == "." || file == ".." || bytes.ContainsAny([]byte(file), `/\`) {
			return nil, &HeaderError{Tensor: name, Reason: fmt.Sprintf("index names shard %q, which is not a plain file name", file)}
		}
	}
	return idx.WeightMap, nil
}
