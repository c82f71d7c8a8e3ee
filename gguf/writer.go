package gguf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
)

// Writer assembles a GGUF v3 file: metadata in the order added, then the
// tensor infos, then the tensor data, each tensor aligned to Alignment and
// packed back to back in the order added (as ggml's gguf writer does, so
// llama.cpp's strict offset check accepts the file).
type Writer struct {
	Alignment uint64 // 0 means DefaultAlignment; other values are written as general.alignment
	kv        []KV
	tensors   []writerTensor
}

type writerTensor struct {
	info TensorInfo
	data []byte
}

// Set adds or replaces a metadata entry. Values use the Go types Value
// documents; for convenience int, float64 and []int are accepted too
// (stored as int32, float32 and []int32) as are the typed Go values
// uint32, string, []string, []float32, []int32 and so on.
func (w *Writer) Set(key string, v any) error {
	val, err := toValue(v)
	if err != nil {
		return fmt.Errorf("gguf: metadata %q: %w", key, err)
	}
	for i := range w.kv {
		if w.kv[i].Key == key {
			w.kv[i].Value = val
			return nil
		}
	}
	w.kv = append(w.kv, KV{Key: key, Value: val})
	return nil
}

func toValue(v any) (Value, error) {
	switch x := v.(type) {
	case Value:
		return x, nil
	case uint8:
		return Value{Type: TypeUint8, V: x}, nil
	case int8:
		return Value{Type: TypeInt8, V: x}, nil
	case uint16:
		return Value{Type: TypeUint16, V: x}, nil
	case int16:
		return Value{Type: TypeInt16, V: x}, nil
	case uint32:
		return Value{Type: TypeUint32, V: x}, nil
	case int32:
		return Value{Type: TypeInt32, V: x}, nil
	case int:
		if x < math.MinInt32 || x > math.MaxInt32 {
			return Value{Type: TypeInt64, V: int64(x)}, nil
		}
		return Value{Type: TypeInt32, V: int32(x)}, nil
	case float32:
		return Value{Type: TypeFloat32, V: x}, nil
	case float64:
		return Value{Type: TypeFloat32, V: float32(x)}, nil
	case bool:
		return Value{Type: TypeBool, V: x}, nil
	case string:
		return Value{Type: TypeString, V: x}, nil
	case uint64:
		return Value{Type: TypeUint64, V: x}, nil
	case int64:
		return Value{Type: TypeInt64, V: x}, nil
	case []string:
		return Value{Type: TypeArray, Elem: TypeString, V: x}, nil
	case []float32:
		return Value{Type: TypeArray, Elem: TypeFloat32, V: x}, nil
	case []int32:
		return Value{Type: TypeArray, Elem: TypeInt32, V: x}, nil
	case []uint32:
		return Value{Type: TypeArray, Elem: TypeUint32, V: x}, nil
	case []uint8:
		return Value{Type: TypeArray, Elem: TypeUint8, V: x}, nil
	case []int:
		out := make([]int32, len(x))
		for i, e := range x {
			out[i] = int32(e)
		}
		return Value{Type: TypeArray, Elem: TypeInt32, V: out}, nil
	}
	return Value{}, fmt.Errorf("unsupported Go type %T", v)
}

// AddRaw adds a tensor from already-encoded bytes. dims are ggml ne
// (dims[0] fastest).
func (w *Writer) AddRaw(name string, dims []uint64, t TensorType, data []byte) error {
	if len(dims) == 0 || len(dims) > maxDims {
		return fmt.Errorf("gguf: tensor %q: %d dimensions", name, len(dims))
	}
	ti := TensorInfo{Name: name, Dims: slices.Clone(dims), Type: t}
	if !t.Known() {
		return &UnsupportedTypeError{Type: t, Tensor: name}
	}
	if dims[0]%uint64(t.BlockLen()) != 0 {
		return fmt.Errorf("gguf: tensor %q: row length %d is not a multiple of the %v block length %d", name, dims[0], t, t.BlockLen())
	}
	ti.Size = mustRowBytes(t, ti.Elements())
	if uint64(len(data)) != ti.Size {
		return fmt.Errorf("gguf: tensor %q: %v%v takes %d bytes, got %d", name, t, dims, ti.Size, len(data))
	}
	for _, o := range w.tensors {
		if o.info.Name == name {
			return fmt.Errorf("gguf: duplicate tensor %q", name)
		}
	}
	w.tensors = append(w.tensors, writerTensor{info: ti, data: data})
	return nil
}

// Add quantizes f32 values (ggml order, dims[0] fastest) to t and adds
// them. Quantize lists the types it can encode.
func (w *Writer) Add(name string, dims []uint64, t TensorType, x []float32) error {
	n := uint64(1)
	for _, d := range dims {
		n *= d
	}
	if n != uint64(len(x)) {
		return fmt.Errorf("gguf: tensor %q: dims %v hold %d values, got %d", name, dims, n, len(x))
	}
	if len(dims) > 0 && dims[0]%uint64(max(t.BlockLen(), 1)) != 0 {
		return fmt.Errorf("gguf: tensor %q: row length %d is not a multiple of the %v block length %d", name, dims[0], t, t.BlockLen())
	}
	data, err := Quantize(t, x)
	if err != nil {
		return fmt.Errorf("gguf: tensor %q: %w", name, err)
	}
	return w.AddRaw(name, dims, t, data)
}

// WriteTo writes the file.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	align := w.Alignment
	if align == 0 {
		align = DefaultAlignment
	}
	if align&(align-1) != 0 || align > math.MaxUint32 {
		return 0, fmt.Errorf("gguf: alignment %d is not a uint32 power of two", align)
	}
	kv := w.kv
	if align != DefaultAlignment {
		kv = append(slices.Clone(kv), KV{Key: "general.alignment", Value: Value{Type: TypeUint32, V: uint32(align)}})
	}
	cw := &countWriter{w: bufio.NewWriterSize(out, 1<<16)}
	e := encoder{w: cw}
	e.raw([]byte(Magic))
	e.u32(3)
	e.u64(uint64(len(w.tensors)))
	e.u64(uint64(len(kv)))
	for _, p := range kv {
		e.str(p.Key)
		e.u32(uint32(p.Value.Type))
		e.value(p.Value)
	}
	off := uint64(0)
	for _, t := range w.tensors {
		e.str(t.info.Name)
		e.u32(uint32(len(t.info.Dims)))
		for _, d := range t.info.Dims {
			e.u64(d)
		}
		e.u32(uint32(t.info.Type))
		e.u64(off)
		off = (off + t.info.Size + align - 1) / align * align
	}
	e.pad(align)
	for _, t := range w.tensors {
		e.raw(t.data)
		e.pad(align)
	}
	if e.err == nil {
		e.err = cw.w.(*bufio.Writer).Flush()
	}
	return cw.n, e.err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

type encoder struct {
	w   *countWriter
	err error
	b   [8]byte
}

func (e *encoder) raw(p []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(p)
	}
}
func (e *encoder) u8(v uint8)   { e.raw([]byte{v}) }
func (e *encoder) u16(v uint16) { binary.LittleEndian.PutUint16(e.b[:], v); e.raw(e.b[:2]) }
func (e *encoder) u32(v uint32) { binary.LittleEndian.PutUint32(e.b[:], v); e.raw(e.b[:4]) }
func (e *encoder) u64(v uint64) { binary.LittleEndian.PutUint64(e.b[:], v); e.raw(e.b[:8]) }
func (e *encoder) str(s string) { e.u64(uint64(len(s))); e.raw([]byte(s)) }

func (e *encoder) pad(align uint64) {
	n := uint64(e.w.n)
	if r := n % align; r != 0 {
		e.raw(make([]byte, align-r))
	}
}

func (e *encoder) value(v Value) {
	switch x := v.V.(type) {
	case uint8:
		e.u8(x)
	case int8:
		e.u8(uint8(x))
	case uint16:
		e.u16(x)
	case int16:
		e.u16(uint16(x))
	case uint32:
		e.u32(x)
	case int32:
		e.u32(uint32(x))
	case float32:
		e.u32(math.Float32bits(x))
	case bool:
		if x {
			e.u8(1)
		} else {
			e.u8(0)
		}
	case string:
		e.str(x)
	case uint64:
		e.u64(x)
	case int64:
		e.u64(uint64(x))
	case float64:
		e.u64(math.Float64bits(x))
	case []uint8:
		arrayOf(e, v.Elem, x, e.u8)
	case []int8:
		arrayOf(e, v.Elem, x, func(b int8) { e.u8(uint8(b)) })
	case []uint16:
		arrayOf(e, v.Elem, x, e.u16)
	case []int16:
		arrayOf(e, v.Elem, x, func(b int16) { e.u16(uint16(b)) })
	case []uint32:
		arrayOf(e, v.Elem, x, e.u32)
	case []int32:
		arrayOf(e, v.Elem, x, func(b int32) { e.u32(uint32(b)) })
	case []float32:
		arrayOf(e, v.Elem, x, func(b float32) { e.u32(math.Float32bits(b)) })
	case []bool:
		arrayOf(e, v.Elem, x, func(b bool) {
			if b {
				e.u8(1)
			} else {
				e.u8(0)
			}
		})
	case []string:
		arrayOf(e, v.Elem, x, e.str)
	case []uint64:
		arrayOf(e, v.Elem, x, e.u64)
	case []int64:
		arrayOf(e, v.Elem, x, func(b int64) { e.u64(uint64(b)) })
	case []float64:
		arrayOf(e, v.Elem, x, func(b float64) { e.u64(math.Float64bits(b)) })
	case []Value:
		// An array value is (element tag, count, elements) at any depth.
		arrayOf(e, TypeArray, x, e.value)
	default:
		if e.err == nil {
			e.err = fmt.Errorf("gguf: cannot encode metadata value of Go type %T", v.V)
		}
	}
}

func arrayOf[T any](e *encoder, elem ValueType, xs []T, put func(T)) {
	e.u32(uint32(elem))
	e.u64(uint64(len(xs)))
	for _, x := range xs {
		put(x)
	}
}
