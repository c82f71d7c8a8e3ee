package gguf

import "fmt"

// Magic is the first four bytes of every GGUF file ("GGUF", read as a
// little-endian uint32 it is 0x46554747).
const Magic = "GGUF"

// DefaultAlignment is the tensor-data alignment when general.alignment is
// absent (ggml's GGUF_DEFAULT_ALIGNMENT).
const DefaultAlignment = 32

// ValueType is the type tag of a metadata value (gguf.h enum gguf_type).
type ValueType uint32

// Metadata value types, numbered as in the GGUF specification.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

var valueTypeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32",
	"float32", "bool", "string", "array", "uint64", "int64", "float64"}

func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("ValueType(%d)", uint32(t))
}

// fixedSize is the encoded size of a scalar value type; 0 for string and
// array, -1 for unknown tags.
func (t ValueType) fixedSize() int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	case TypeString, TypeArray:
		return 0
	}
	return -1
}

// TensorType is a ggml tensor type (ggml.h enum ggml_type). Numbers that
// ggml has retired (4, 5, 31–33, 36–38) are not listed.
type TensorType uint32

// ggml tensor types. Only those with a block layout below can be
// dequantized; the others are named so errors can say what a file holds.
const (
	F32     TensorType = 0
	F16     TensorType = 1
	Q4_0    TensorType = 2
	Q4_1    TensorType = 3
	Q5_0    TensorType = 6
	Q5_1    TensorType = 7
	Q8_0    TensorType = 8
	Q8_1    TensorType = 9
	Q2_K    TensorType = 10
	Q3_K    TensorType = 11
	Q4_K    TensorType = 12
	Q5_K    TensorType = 13
	Q6_K    TensorType = 14
	Q8_K    TensorType = 15
	IQ2_XXS TensorType = 16
	IQ2_XS  TensorType = 17
	IQ3_XXS TensorType = 18
	IQ1_S   TensorType = 19
	IQ4_NL  TensorType = 20
	IQ3_S   TensorType = 21
	IQ2_S   TensorType = 22
	IQ4_XS  TensorType = 23
	I8      TensorType = 24
	I16     TensorType = 25
	I32     TensorType = 26
	I64     TensorType = 27
	F64     TensorType = 28
	IQ1_M   TensorType = 29
	BF16    TensorType = 30
	TQ1_0   TensorType = 34
	TQ2_0   TensorType = 35
	MXFP4   TensorType = 39
)

// typeInfo is a tensor type's block geometry: blockLen elements are stored
// in blockBytes bytes (ggml's type_traits blck_size / type_size).
type typeInfo struct {
	name                 string
	blockLen, blockBytes int
}

// qkK is the super-block length of the k-quants (ggml-common.h QK_K).
const qkK = 256

var typeInfos = map[TensorType]typeInfo{
	F32: {"F32", 1, 4}, F16: {"F16", 1, 2}, BF16: {"BF16", 1, 2}, F64: {"F64", 1, 8},
	I8: {"I8", 1, 1}, I16: {"I16", 1, 2}, I32: {"I32", 1, 4}, I64: {"I64", 1, 8},
	Q4_0: {"Q4_0", 32, 18}, Q4_1: {"Q4_1", 32, 20}, Q5_0: {"Q5_0", 32, 22}, Q5_1: {"Q5_1", 32, 24},
	Q8_0: {"Q8_0", 32, 34}, Q8_1: {"Q8_1", 32, 36},
	Q2_K: {"Q2_K", qkK, 84}, Q3_K: {"Q3_K", qkK, 110}, Q4_K: {"Q4_K", qkK, 144},
	Q5_K: {"Q5_K", qkK, 176}, Q6_K: {"Q6_K", qkK, 210}, Q8_K: {"Q8_K", qkK, 292},
	IQ2_XXS: {"IQ2_XXS", qkK, 66}, IQ2_XS: {"IQ2_XS", qkK, 74}, IQ3_XXS: {"IQ3_XXS", qkK, 98},
	IQ1_S: {"IQ1_S", qkK, 50}, IQ4_NL: {"IQ4_NL", 32, 18}, IQ3_S: {"IQ3_S", qkK, 110},
	IQ2_S: {"IQ2_S", qkK, 82}, IQ4_XS: {"IQ4_XS", qkK, 136}, IQ1_M: {"IQ1_M", qkK, 56},
	TQ1_0: {"TQ1_0", qkK, 54}, TQ2_0: {"TQ2_0", qkK, 66}, MXFP4: {"MXFP4", 32, 17},
}

func (t TensorType) String() string {
	if ti, ok := typeInfos[t]; ok {
		return ti.name
	}
	return fmt.Sprintf("TensorType(%d)", uint32(t))
}

// Known reports whether ggml defines t (whether or not this package can
// dequantize it).
func (t TensorType) Known() bool { _, ok := typeInfos[t]; return ok }

// BlockLen is the number of elements per block (1 for plain types, 32 or
// 256 for quantized ones); 0 for unknown types.
func (t TensorType) BlockLen() int { return typeInfos[t].blockLen }

// BlockBytes is the encoded size of one block; 0 for unknown types.
func (t TensorType) BlockBytes() int { return typeInfos[t].blockBytes }

// rowBytes is the encoded size of n elements, or an error when n is not a
// whole number of blocks or t is unknown.
func (t TensorType) rowBytes(n uint64) (uint64, error) {
	ti, ok := typeInfos[t]
	if !ok {
		return 0, &UnsupportedTypeError{Type: t}
	}
	if n%uint64(ti.blockLen) != 0 {
		return 0, fmt.Errorf("gguf: %d elements of %v is not a whole number of %d-element blocks", n, t, ti.blockLen)
	}
	return n / uint64(ti.blockLen) * uint64(ti.blockBytes), nil
}
