package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"testing"
)

// allTypesFile writes one metadata value of every type (arrays of every
// element type, an array of arrays) and three tensors.
func allTypesFile(t *testing.T, align uint64) ([]byte, map[string]Value) {
	t.Helper()
	kv := map[string]Value{
		"u8": {Type: TypeUint8, V: uint8(200)}, "i8": {Type: TypeInt8, V: int8(-5)},
		"u16": {Type: TypeUint16, V: uint16(60000)}, "i16": {Type: TypeInt16, V: int16(-30000)},
		"u32": {Type: TypeUint32, V: uint32(4e9)}, "i32": {Type: TypeInt32, V: int32(-2e9)},
		"f32": {Type: TypeFloat32, V: float32(1.5)}, "bool": {Type: TypeBool, V: true},
		"str": {Type: TypeString, V: "héllo"}, "u64": {Type: TypeUint64, V: uint64(1 << 60)},
		"i64": {Type: TypeInt64, V: int64(-1 << 60)}, "f64": {Type: TypeFloat64, V: math.Pi},
		"a.u8":   {Type: TypeArray, Elem: TypeUint8, V: []uint8{1, 2}},
		"a.i8":   {Type: TypeArray, Elem: TypeInt8, V: []int8{-1}},
		"a.u16":  {Type: TypeArray, Elem: TypeUint16, V: []uint16{7}},
		"a.i16":  {Type: TypeArray, Elem: TypeInt16, V: []int16{-7}},
		"a.u32":  {Type: TypeArray, Elem: TypeUint32, V: []uint32{9, 10}},
		"a.i32":  {Type: TypeArray, Elem: TypeInt32, V: []int32{-9}},
		"a.f32":  {Type: TypeArray, Elem: TypeFloat32, V: []float32{0.25, -3}},
		"a.bool": {Type: TypeArray, Elem: TypeBool, V: []bool{true, false}},
		"a.str":  {Type: TypeArray, Elem: TypeString, V: []string{"a", "", "ccc"}},
		"a.u64":  {Type: TypeArray, Elem: TypeUint64, V: []uint64{1 << 63}},
		"a.i64":  {Type: TypeArray, Elem: TypeInt64, V: []int64{-1}},
		"a.f64":  {Type: TypeArray, Elem: TypeFloat64, V: []float64{2.5}},
		"a.a": {Type: TypeArray, Elem: TypeArray, V: []Value{
			{Type: TypeArray, Elem: TypeString, V: []string{"x", "y"}},
			{Type: TypeArray, Elem: TypeUint32, V: []uint32{}},
		}},
		"a.empty": {Type: TypeArray, Elem: TypeFloat32, V: []float32{}},
	}
	w := &Writer{Alignment: align}
	for _, k := range sortedKeys(kv) {
		if err := w.Set(k, kv[k]); err != nil {
			t.Fatal(err)
		}
	}
	must(t, w.Add("a", []uint64{3}, F32, []float32{1, 2, 3}))
	must(t, w.Add("b", []uint64{32, 2}, Q8_0, make([]float32, 64)))
	must(t, w.Add("c", []uint64{2, 1, 1, 2}, F16, []float32{1, -1, 0.5, 2}))
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), kv
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

func TestRoundTripAllTypes(t *testing.T) {
	for _, align := range []uint64{0, 64, 1} {
		data, kv := allTypesFile(t, align)
		f, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("align %d: %v", align, err)
		}
		if f.Version != 3 {
			t.Errorf("version %d", f.Version)
		}
		wantAlign := align
		if align == 0 {
			wantAlign = 32
		}
		if f.Alignment != wantAlign || f.DataOffset%int64(wantAlign) != 0 {
			t.Errorf("align %d: Alignment %d DataOffset %d", align, f.Alignment, f.DataOffset)
		}
		for k, want := range kv {
			got, ok := f.Lookup(k)
			if !ok || !reflect.DeepEqual(got, want) {
				t.Errorf("%s = %#v, want %#v", k, got, want)
			}
		}
		a, _, err := f.Float32("a")
		if err != nil || !reflect.DeepEqual(a, []float32{1, 2, 3}) {
			t.Errorf("a = %v %v", a, err)
		}
		c, ti, err := f.Float32("c")
		if err != nil || !reflect.DeepEqual(c, []float32{1, -1, 0.5, 2}) || !reflect.DeepEqual(ti.Dims, []uint64{2, 1, 1, 2}) {
			t.Errorf("c = %v %v %v", c, ti, err)
		}
		for _, ti := range f.Tensors {
			if ti.Offset%wantAlign != 0 {
				t.Errorf("tensor %s offset %d not aligned", ti.Name, ti.Offset)
			}
		}
	}
}

// header builds a raw header: magic, version, counts, then body.
func header(version uint32, nT, nKV uint64, body ...[]byte) []byte {
	b := []byte("GGUF")
	b = binary.LittleEndian.AppendUint32(b, version)
	b = binary.LittleEndian.AppendUint64(b, nT)
	b = binary.LittleEndian.AppendUint64(b, nKV)
	for _, p := range body {
		b = append(b, p...)
	}
	return b
}

func gstr(s string) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, uint64(len(s))), s...)
}
func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func TestHostileHeaders(t *testing.T) {
	tensorInfo := func(name string, dims []uint64, typ uint32, off uint64) []byte {
		b := gstr(name)
		b = append(b, u32(uint32(len(dims)))...)
		for _, d := range dims {
			b = append(b, u64(d)...)
		}
		return append(append(b, u32(typ)...), u64(off)...)
	}
	cases := map[string][]byte{
		"bad magic":            append([]byte("GGUG"), make([]byte, 20)...),
		"empty":                {},
		"truncated counts":     header(3, 0, 0)[:12],
		"huge kv count":        header(3, 0, math.MaxUint64),
		"huge tensor count":    header(3, math.MaxUint64, 0),
		"huge key length":      header(3, 0, 1, u64(math.MaxUint64)),
		"huge string value":    header(3, 0, 1, gstr("k"), u32(uint32(TypeString)), u64(1<<62)),
		"huge array":           header(3, 0, 1, gstr("k"), u32(uint32(TypeArray)), u32(uint32(TypeUint64)), u64(1<<61)),
		"huge string array":    header(3, 0, 1, gstr("k"), u32(uint32(TypeArray)), u32(uint32(TypeString)), u64(1<<60)),
		"unknown value type":   header(3, 0, 1, gstr("k"), u32(77), u64(0)),
		"unknown element type": header(3, 0, 1, gstr("k"), u32(uint32(TypeArray)), u32(77), u64(1), u64(0)),
		"bad bool":             header(3, 0, 1, gstr("k"), u32(uint32(TypeBool)), []byte{2}, make([]byte, 16)),
		"duplicate key":        header(3, 0, 2, gstr("k"), u32(uint32(TypeUint8)), []byte{1}, gstr("k"), u32(uint32(TypeUint8)), []byte{1}, make([]byte, 8)),
		"alignment zero":       header(3, 0, 1, gstr("general.alignment"), u32(uint32(TypeUint32)), u32(0), make([]byte, 16)),
		"alignment not pow2":   header(3, 0, 1, gstr("general.alignment"), u32(uint32(TypeUint32)), u32(48), make([]byte, 16)),
		"alignment wrong type": header(3, 0, 1, gstr("general.alignment"), u32(uint32(TypeUint64)), u64(32), make([]byte, 16)),
		"too many dims":        header(3, 1, 0, tensorInfo("t", []uint64{1, 1, 1, 1, 1}, 0, 0), make([]byte, 64)),
		"zero dims":            header(3, 1, 0, tensorInfo("t", nil, 0, 0), make([]byte, 64)),
		"zero dim":             header(3, 1, 0, tensorInfo("t", []uint64{0, 1 << 62}, 0, 0), make([]byte, 64)),
		"dims overflow":        header(3, 1, 0, tensorInfo("t", []uint64{1 << 40, 1 << 40}, 0, 0), make([]byte, 64)),
		"unknown tensor type":  header(3, 1, 0, tensorInfo("t", []uint64{1}, 1234, 0), make([]byte, 64)),
		"row off block":        header(3, 1, 0, tensorInfo("t", []uint64{31}, uint32(Q8_0), 0), make([]byte, 64)),
		"unaligned offset":     header(3, 1, 0, tensorInfo("t", []uint64{1}, 0, 4), make([]byte, 64)),
		"data past end":        header(3, 1, 0, tensorInfo("t", []uint64{1 << 20}, 0, 0), make([]byte, 64)),
		"offset past end":      header(3, 1, 0, tensorInfo("t", []uint64{1}, 0, 1<<62), make([]byte, 64)),
		"duplicate tensor":     header(3, 2, 0, tensorInfo("t", []uint64{1}, 0, 0), tensorInfo("t", []uint64{1}, 0, 32), make([]byte, 128)),
		"nested too deep": func() []byte {
			b := header(3, 0, 1, gstr("k"), u32(uint32(TypeArray)))
			for range 20 {
				b = append(b, u32(uint32(TypeArray))...)
				b = append(b, u64(1)...)
			}
			return append(b, make([]byte, 64)...)
		}(),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			f, err := Open(bytes.NewReader(data), int64(len(data)))
			var fe *FormatError
			if err == nil || !errors.As(err, &fe) {
				t.Fatalf("Open = %v, %v; want a *FormatError", f, err)
			}
		})
	}
	// Versions other than 2 and 3.
	for _, v := range []uint32{0, 1, 4, 1 << 24} {
		_, err := Open(bytes.NewReader(header(v, 0, 0)), 24)
		var ve *VersionError
		if !errors.As(err, &ve) || ve.Version != v || !errors.Is(err, ErrUnsupported) {
			t.Errorf("version %d: err = %v", v, err)
		}
	}
	// A v2 header is read like v3.
	if _, err := Open(bytes.NewReader(header(2, 0, 0)), 24); err != nil {
		t.Errorf("v2: %v", err)
	}
}

// Every truncation of a valid file before its last tensor byte fails with a typed error, never a panic.
func TestTruncated(t *testing.T) {
	data, _ := allTypesFile(t, 0)
	full, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	// Only the padding after the last tensor may be cut off.
	end := int64(0)
	for _, ti := range full.Tensors {
		end = max(end, full.DataOffset+int64(ti.Offset+ti.Size))
	}
	for n := range int(end) {
		_, err := Open(bytes.NewReader(data[:n]), int64(n))
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("truncated to %d bytes: err = %v", n, err)
		}
	}
}

// A file whose size claims more than it holds (a lying Range server)
// fails cleanly through the ReaderAt error.
func TestShortReader(t *testing.T) {
	data, _ := allTypesFile(t, 0)
	_, err := Open(bytes.NewReader(data[:100]), int64(len(data)))
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v", err)
	}
}

func TestUnsupportedTensorType(t *testing.T) {
	w := &Writer{}
	must(t, w.AddRaw("q5", []uint64{32}, Q5_0, make([]byte, 22)))
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = f.Float32("q5")
	var ue *UnsupportedTypeError
	if !errors.As(err, &ue) || ue.Type != Q5_0 || ue.Tensor != "q5" {
		t.Fatalf("err = %v", err)
	}
	if want := `gguf: tensor "q5": unsupported tensor type Q5_0`; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}
