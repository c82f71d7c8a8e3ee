package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
)

// Value is one metadata value. Scalars hold the Go type of their tag
// (uint8 … float64, bool, string); arrays of scalars hold a slice of it
// ([]uint32, []string, …) and arrays of arrays hold []Value.
type Value struct {
	Type ValueType // the tag; TypeArray for arrays
	Elem ValueType // element tag of an array, else unused
	V    any
}

// KV is one metadata entry.
type KV struct {
	Key   string
	Value Value
}

// TensorInfo describes one tensor. Dims are ggml's ne: Dims[0] is the
// fastest-varying (row) dimension, so a PyTorch (out, in) matrix has
// Dims = [in, out].
type TensorInfo struct {
	Name   string
	Dims   []uint64
	Type   TensorType
	Offset uint64 // from File.DataOffset
	Size   uint64 // encoded bytes
}

// Elements is the product of Dims.
func (t *TensorInfo) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// File is a parsed GGUF header with access to the tensor data through the
// io.ReaderAt it was opened from. Methods are safe for concurrent use when
// the ReaderAt is.
type File struct {
	Version    uint32
	Alignment  uint64
	DataOffset int64 // absolute offset of the tensor data section
	KV         []KV
	Tensors    []TensorInfo

	kvIndex     map[string]int
	tensorIndex map[string]int
	r           io.ReaderAt
	size        int64
}

// Limits on what the header may declare. They keep hostile files from
// making the reader allocate or loop without bound: besides these, every
// count is checked against the bytes left in the file before anything is
// allocated, and slices grow with what is actually read.
const (
	maxDims       = 4       // GGML_MAX_DIMS
	maxArrayDepth = 8       // arrays of arrays nest at most this deep
	maxStringLen  = 1 << 30 // a single key or string value
)

// Open parses the GGUF header of r, whose length is size. Malformed input
// yields a *FormatError, a version other than 2 or 3 a *VersionError.
// Tensor data is not read until asked for.
func Open(r io.ReaderAt, size int64) (*File, error) {
	if size < 0 {
		return nil, &FormatError{Msg: "negative file size"}
	}
	d := &decoder{r: r, size: size}
	f := &File{r: r, size: size, Alignment: DefaultAlignment}
	magic := d.bytes(4)
	if d.err == nil && string(magic) != Magic {
		return nil, &FormatError{Offset: 0, Msg: fmt.Sprintf("bad magic %q, not a GGUF file", magic)}
	}
	f.Version = d.u32()
	if d.err == nil && f.Version != 2 && f.Version != 3 {
		return nil, &VersionError{Version: f.Version}
	}
	nTensors := d.u64()
	nKV := d.u64()
	if d.err != nil {
		return nil, d.err
	}
	// Smallest encodings: a KV is key length (8) + ≥1 key byte + tag (4)
	// + ≥1 value byte; a tensor info is name length (8) + n_dims (4) +
	// type (4) + offset (8) with ≥1 name byte and ≥1 dim (8).
	if nKV > uint64(d.left())/14 {
		return nil, d.fail(fmt.Sprintf("metadata count %d does not fit in the file", nKV))
	}
	if nTensors > uint64(d.left())/33 {
		return nil, d.fail(fmt.Sprintf("tensor count %d does not fit in the file", nTensors))
	}
	f.kvIndex = make(map[string]int, nKV)
	for i := uint64(0); i < nKV && d.err == nil; i++ {
		at := d.pos
		key := d.str()
		typ := ValueType(d.u32())
		v := d.value(typ, 0)
		if d.err != nil {
			break
		}
		if _, dup := f.kvIndex[key]; dup {
			return nil, &FormatError{Offset: at, Msg: fmt.Sprintf("duplicate metadata key %q", key)}
		}
		f.kvIndex[key] = len(f.KV)
		f.KV = append(f.KV, KV{Key: key, Value: v})
		if key == "general.alignment" {
			a, ok := v.V.(uint32)
			if !ok || a == 0 || a&(a-1) != 0 {
				return nil, &FormatError{Offset: at, Msg: fmt.Sprintf("general.alignment must be a uint32 power of two, got %v %v", v.Type, v.V)}
			}
			f.Alignment = uint64(a)
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	f.tensorIndex = make(map[string]int, nTensors)
	type pending struct {
		at  int64
		off uint64
	}
	for i := uint64(0); i < nTensors; i++ {
		at := d.pos
		var t TensorInfo
		t.Name = d.str()
		nd := d.u32()
		if d.err != nil {
			return nil, d.err
		}
		if nd == 0 || nd > maxDims {
			return nil, &FormatError{Offset: at, Msg: fmt.Sprintf("tensor %q has %d dimensions (1..%d allowed)", t.Name, nd, maxDims)}
		}
		t.Dims = make([]uint64, nd)
		elems := uint64(1)
		for j := range t.Dims {
			t.Dims[j] = d.u64()
			if d.err == nil && t.Dims[j] == 0 {
				// An empty dimension would also hide the size of the others
				// from the overflow check below.
				return nil, &FormatError{Offset: at, Msg: fmt.Sprintf("tensor %q has a zero dimension", t.Name)}
			}
			hi, lo := bits.Mul64(elems, t.Dims[j])
			if hi != 0 || lo > math.MaxInt64 {
				return nil, &FormatError{Offset: at, Msg: fmt.Sprintf("tensor %q: element count overflows", t.Name)}
			}
			elems = lo
		}
		t.Type = TensorType(d.u32())
		t.Offset = d.u64()
		if d.err != nil {
			return nil, d.err
		}
		if !t.Type.Known() {
			return nil, &FormatError{Offset: at, Msg: fmt.Sprintf("tensor %q: unknown tensor type %d", t.Name, uint32(t.Type)), Err: &UnsupportedTypeError{Type: t.Type, Tensor: t.Name}}
		}
		if t.Dims[0]%uint64(t.Type.BlockLen()) != 0 {
			return nil, &FormatError{Offset: at, Msg: fmt.Sprintf("tensor %q: row length %d is not a multiple of the %v block length %d", t.Name, t.Dims[0], t.Type, t.Type.BlockLen())}
		}
		t.Size, _ = t.Type.rowBytes(elems)
		if t.Offset%f.Alignment != 0 {
			return nil, &FormatError{Offset: at, Msg: fmt.Sprintf("tensor %q: data offset %d is not a multiple of the alignment %d", t.Name, t.Offset, f.Alignment)}
		}
		if _, dup := f.tensorIndex[t.Name]; dup {
			return nil, &FormatError{Offset: at, Msg: fmt.Sprintf("duplicate tensor name %q", t.Name)}
		}
		f.tensorIndex[t.Name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, t)
	}
	// The data section starts at the next multiple of the alignment.
	end := uint64(d.pos)
	data := (end + f.Alignment - 1) / f.Alignment * f.Alignment
	if data > uint64(size) && len(f.Tensors) > 0 {
		return nil, &FormatError{Offset: d.pos, Msg: "file ends before the tensor data section"}
	}
	f.DataOffset = int64(data)
	avail := uint64(0)
	if uint64(size) > data {
		avail = uint64(size) - data
	}
	for _, t := range f.Tensors {
		if t.Offset > avail || t.Size > avail-t.Offset {
			return nil, &FormatError{Offset: int64(data), Msg: fmt.Sprintf("tensor %q: data [%d, +%d) runs past the end of the file (%d data bytes)", t.Name, t.Offset, t.Size, avail)}
		}
	}
	return f, nil
}

// OpenFile opens a local GGUF file. The returned closer closes the file.
func OpenFile(path string) (*File, io.Closer, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, nil, err
	}
	f, err := Open(fh, st.Size())
	if err != nil {
		fh.Close()
		return nil, nil, err
	}
	return f, fh, nil
}

// Size is the length of the underlying file.
func (f *File) Size() int64 { return f.size }

// Lookup returns the metadata value of key.
func (f *File) Lookup(key string) (Value, bool) {
	i, ok := f.kvIndex[key]
	if !ok {
		return Value{}, false
	}
	return f.KV[i].Value, true
}

// Tensor returns the info of the named tensor.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.tensorIndex[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// RawData reads a tensor's encoded bytes.
func (f *File) RawData(t *TensorInfo) ([]byte, error) {
	buf := make([]byte, t.Size)
	off := f.DataOffset + int64(t.Offset)
	if _, err := f.r.ReadAt(buf, off); err != nil && !(errors.Is(err, io.EOF) && len(buf) == int(t.Size)) {
		return nil, &FormatError{Offset: off, Msg: fmt.Sprintf("reading tensor %q", t.Name), Err: err}
	}
	return buf, nil
}

// Float32 reads and dequantizes the named tensor to f32 in ggml order
// (Dims[0] fastest). Types without a dequantizer give an
// *UnsupportedTypeError naming the type.
func (f *File) Float32(name string) ([]float32, *TensorInfo, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, nil, fmt.Errorf("gguf: no tensor %q", name)
	}
	if !CanDequantize(t.Type) {
		return nil, t, &UnsupportedTypeError{Type: t.Type, Tensor: t.Name}
	}
	raw, err := f.RawData(t)
	if err != nil {
		return nil, t, err
	}
	out, err := Dequantize(t.Type, raw, int(t.Elements()))
	if err != nil {
		return nil, t, fmt.Errorf("gguf: tensor %q: %w", t.Name, err)
	}
	return out, t, nil
}

// decoder reads the header sequentially from a ReaderAt through a buffer
// whose refills grow geometrically, so a header read over HTTP takes a
// handful of Range requests rather than one per field.
type decoder struct {
	r         io.ReaderAt
	size, pos int64
	buf       []byte
	bufAt     int64 // file offset of buf[0]
	chunk     int
	err       error
}

func (d *decoder) left() int64 { return d.size - d.pos }

func (d *decoder) fail(msg string) error {
	if d.err == nil {
		d.err = &FormatError{Offset: d.pos, Msg: msg}
	}
	return d.err
}

// bytes returns the next n bytes (valid until the next call).
func (d *decoder) bytes(n int) []byte {
	if d.err != nil {
		return nil
	}
	if int64(n) > d.left() {
		d.fail(fmt.Sprintf("unexpected end of file (need %d bytes, %d left)", n, d.left()))
		return nil
	}
	if d.pos < d.bufAt || d.pos+int64(n) > d.bufAt+int64(len(d.buf)) {
		if d.chunk == 0 {
			d.chunk = 64 << 10
		} else if d.chunk < 4<<20 {
			d.chunk *= 2
		}
		want := max(d.chunk, n)
		if int64(want) > d.left() {
			want = int(d.left())
		}
		if cap(d.buf) < want {
			d.buf = make([]byte, want)
		}
		d.buf = d.buf[:want]
		got, err := d.r.ReadAt(d.buf, d.pos)
		if got < n {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			d.err = &FormatError{Offset: d.pos, Msg: "read failed", Err: err}
			return nil
		}
		d.buf = d.buf[:got]
		d.bufAt = d.pos
	}
	s := d.buf[d.pos-d.bufAt : d.pos-d.bufAt+int64(n)]
	d.pos += int64(n)
	return s
}

func (d *decoder) u8() uint8 {
	b := d.bytes(1)
	if b == nil {
		return 0
	}
	return b[0]
}

func (d *decoder) u16() uint16 {
	b := d.bytes(2)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(b)
}

func (d *decoder) u32() uint32 {
	b := d.bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (d *decoder) u64() uint64 {
	b := d.bytes(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

func (d *decoder) str() string {
	at := d.pos
	n := d.u64()
	if d.err != nil {
		return ""
	}
	if n > uint64(d.left()) || n > maxStringLen {
		d.err = &FormatError{Offset: at, Msg: fmt.Sprintf("string length %d exceeds the %d bytes left", n, d.left())}
		return ""
	}
	return string(d.bytes(int(n)))
}

// value decodes one value of tag typ; depth counts enclosing arrays.
func (d *decoder) value(typ ValueType, depth int) Value {
	v := Value{Type: typ}
	switch typ {
	case TypeUint8:
		v.V = d.u8()
	case TypeInt8:
		v.V = int8(d.u8())
	case TypeUint16:
		v.V = d.u16()
	case TypeInt16:
		v.V = int16(d.u16())
	case TypeUint32:
		v.V = d.u32()
	case TypeInt32:
		v.V = int32(d.u32())
	case TypeFloat32:
		v.V = math.Float32frombits(d.u32())
	case TypeBool:
		at := d.pos
		b := d.u8()
		if d.err == nil && b > 1 {
			d.err = &FormatError{Offset: at, Msg: fmt.Sprintf("bool value %d is neither 0 nor 1", b)}
		}
		v.V = b == 1
	case TypeString:
		v.V = d.str()
	case TypeUint64:
		v.V = d.u64()
	case TypeInt64:
		v.V = int64(d.u64())
	case TypeFloat64:
		v.V = math.Float64frombits(d.u64())
	case TypeArray:
		d.array(&v, depth)
	default:
		d.fail(fmt.Sprintf("unknown metadata value type %d", uint32(typ)))
	}
	return v
}

func (d *decoder) array(v *Value, depth int) {
	at := d.pos
	elem := ValueType(d.u32())
	n := d.u64()
	if d.err != nil {
		return
	}
	v.Elem = elem
	if depth+1 >= maxArrayDepth && elem == TypeArray {
		d.err = &FormatError{Offset: at, Msg: fmt.Sprintf("arrays nested deeper than %d", maxArrayDepth)}
		return
	}
	// Minimal encoded size per element: strings 8, arrays 12.
	minSize := elem.fixedSize()
	switch {
	case minSize < 0:
		d.err = &FormatError{Offset: at, Msg: fmt.Sprintf("unknown array element type %d", uint32(elem))}
		return
	case elem == TypeString:
		minSize = 8
	case elem == TypeArray:
		minSize = 12
	}
	if n > uint64(d.left())/uint64(minSize) {
		d.err = &FormatError{Offset: at, Msg: fmt.Sprintf("array of %d %v does not fit in the %d bytes left", n, elem, d.left())}
		return
	}
	// n is now bounded by the file size; slices still start small and grow
	// with what is read, so a file that lies about its size (a Range
	// server) cannot force a large allocation up front.
	c := int(min(n, 1<<16))
	switch elem {
	case TypeUint8:
		v.V = readScalars(d, n, c, func(d *decoder) uint8 { return d.u8() })
	case TypeInt8:
		v.V = readScalars(d, n, c, func(d *decoder) int8 { return int8(d.u8()) })
	case TypeUint16:
		v.V = readScalars(d, n, c, func(d *decoder) uint16 { return d.u16() })
	case TypeInt16:
		v.V = readScalars(d, n, c, func(d *decoder) int16 { return int16(d.u16()) })
	case TypeUint32:
		v.V = readScalars(d, n, c, func(d *decoder) uint32 { return d.u32() })
	case TypeInt32:
		v.V = readScalars(d, n, c, func(d *decoder) int32 { return int32(d.u32()) })
	case TypeFloat32:
		v.V = readScalars(d, n, c, func(d *decoder) float32 { return math.Float32frombits(d.u32()) })
	case TypeUint64:
		v.V = readScalars(d, n, c, func(d *decoder) uint64 { return d.u64() })
	case TypeInt64:
		v.V = readScalars(d, n, c, func(d *decoder) int64 { return int64(d.u64()) })
	case TypeFloat64:
		v.V = readScalars(d, n, c, func(d *decoder) float64 { return math.Float64frombits(d.u64()) })
	case TypeBool:
		v.V = readScalars(d, n, c, func(d *decoder) bool {
			at := d.pos
			b := d.u8()
			if d.err == nil && b > 1 {
				d.err = &FormatError{Offset: at, Msg: fmt.Sprintf("bool value %d is neither 0 nor 1", b)}
			}
			return b == 1
		})
	case TypeString:
		v.V = readScalars(d, n, c, func(d *decoder) string { return d.str() })
	case TypeArray:
		v.V = readScalars(d, n, c, func(d *decoder) Value { return d.value(TypeArray, depth+1) })
	}
}

func readScalars[T any](d *decoder, n uint64, c int, read func(*decoder) T) []T {
	out := make([]T, 0, c)
	for i := uint64(0); i < n && d.err == nil; i++ {
		out = append(out, read(d))
	}
	return out
}
