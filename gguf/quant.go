package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Quantize encodes x (len a multiple of the block length) as t. F32, F16,
// BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K and Q6_K are supported. Q8_0, Q4_0
// and Q4_1 use ggml's reference round-to-nearest quantizers (ggml-quants.c
// quantize_row_*_ref), so files written here match what llama.cpp's
// converter would write for the same f32 weights; the k-quants use the
// simpler encoders of quant_k.go.
func Quantize(t TensorType, x []float32) ([]byte, error) {
	n := uint64(len(x))
	size, err := t.rowBytes(n)
	if err != nil {
		return nil, err
	}
	out := make([]byte, size)
	switch t {
	case F32:
		for i, v := range x {
			binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
		}
	case F16:
		for i, v := range x {
			binary.LittleEndian.PutUint16(out[2*i:], F32ToF16(v))
		}
	case BF16:
		for i, v := range x {
			binary.LittleEndian.PutUint16(out[2*i:], f32ToBF16(v))
		}
	case Q8_0:
		for i := range len(x) / 32 {
			quantQ8_0(out[34*i:34*i+34], x[32*i:32*i+32])
		}
	case Q4_0:
		for i := range len(x) / 32 {
			quantQ4_0(out[18*i:18*i+18], x[32*i:32*i+32])
		}
	case Q4_1:
		for i := range len(x) / 32 {
			quantQ4_1(out[20*i:20*i+20], x[32*i:32*i+32])
		}
	case Q4_K, Q5_K, Q6_K:
		bb := t.BlockBytes()
		for i := range len(x) / qkK {
			blk, v := out[bb*i:bb*(i+1)], x[qkK*i:qkK*(i+1)]
			switch t {
			case Q4_K:
				quantQ4K5K(blk, v, 15)
			case Q5_K:
				quantQ4K5K(blk, v, 31)
			default:
				quantQ6K(blk, v)
			}
		}
	default:
		return nil, &UnsupportedTypeError{Type: t}
	}
	return out, nil
}

// CanQuantize reports whether Quantize handles t.
func CanQuantize(t TensorType) bool {
	switch t {
	case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K:
		return true
	}
	return false
}

// quantQ8_0: d = max|x|/127, q = round(x/d).
func quantQ8_0(dst []byte, x []float32) {
	var amax float32
	for _, v := range x {
		amax = max(amax, abs32(v))
	}
	d := amax / 127
	id := float32(0)
	if d != 0 {
		id = 1 / d
	}
	binary.LittleEndian.PutUint16(dst, F32ToF16(d))
	for j, v := range x {
		dst[2+j] = byte(int8(roundf(v * id)))
	}
}

// quantQ4_0: d = (the value of largest magnitude)/−8 so that value maps to
// exactly −8; q = min(15, trunc(x/d + 8.5)).
func quantQ4_0(dst []byte, x []float32) {
	var amax, mx float32
	for _, v := range x {
		if amax < abs32(v) {
			amax, mx = abs32(v), v
		}
	}
	d := mx / -8
	id := float32(0)
	if d != 0 {
		id = 1 / d
	}
	binary.LittleEndian.PutUint16(dst, F32ToF16(d))
	for j := range 16 {
		q0 := min(15, int8(x[j]*id+8.5))
		q1 := min(15, int8(x[j+16]*id+8.5))
		dst[2+j] = uint8(q0) | uint8(q1)<<4
	}
}

// quantQ4_1: d = (max−min)/15, m = min, q = min(15, trunc((x−m)/d + 0.5)).
func quantQ4_1(dst []byte, x []float32) {
	lo, hi := float32(math.MaxFloat32), float32(-math.MaxFloat32)
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	d := (hi - lo) / 15
	id := float32(0)
	if d != 0 {
		id = 1 / d
	}
	binary.LittleEndian.PutUint16(dst, F32ToF16(d))
	binary.LittleEndian.PutUint16(dst[2:], F32ToF16(lo))
	for j := range 16 {
		q0 := min(15, int8((x[j]-lo)*id+0.5))
		q1 := min(15, int8((x[j+16]-lo)*id+0.5))
		dst[4+j] = uint8(q0) | uint8(q1)<<4
	}
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// roundf rounds half away from zero, like C's roundf.
func roundf(v float32) float32 { return float32(math.Round(float64(v))) }

// f32ToBF16 rounds to nearest even, keeping NaN a NaN.
func f32ToBF16(v float32) uint16 {
	b := math.Float32bits(v)
	if b&0x7FFFFFFF > 0x7F800000 {
		return uint16(b>>16) | 0x40
	}
	b += 0x7FFF + (b>>16)&1
	return uint16(b >> 16)
}

// mustRowBytes is rowBytes for callers that already validated n.
func mustRowBytes(t TensorType, n uint64) uint64 {
	s, err := t.rowBytes(n)
	if err != nil {
		panic(fmt.Sprint("gguf: ", err))
	}
	return s
}
