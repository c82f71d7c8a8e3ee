package gguf

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/lamina-ml/lamina/kernels"
)

// Block layouts follow ggml-common.h (block_q4_0 …) and the reference
// dequantize_row_* loops of ggml-quants.c; every multi-byte field is
// little-endian and "d"/"dmin" scales are IEEE binary16.

// CanDequantize reports whether Dequantize handles t.
func CanDequantize(t TensorType) bool {
	switch t {
	case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K:
		return true
	}
	return false
}

// Dequantize decodes n elements of type t from data into f32. data must
// hold exactly the n elements (n a multiple of the block length).
func Dequantize(t TensorType, data []byte, n int) ([]float32, error) {
	if !CanDequantize(t) {
		return nil, &UnsupportedTypeError{Type: t}
	}
	if n < 0 {
		return nil, fmt.Errorf("gguf: negative element count %d", n)
	}
	want, err := t.rowBytes(uint64(n))
	if err != nil {
		return nil, err
	}
	if uint64(len(data)) != want {
		return nil, fmt.Errorf("gguf: %d elements of %v take %d bytes, got %d", n, t, want, len(data))
	}
	out := make([]float32, n)
	bl, bb := t.BlockLen(), t.BlockBytes()
	var block func(dst []float32, src []byte)
	switch t {
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		return out, nil
	case F16:
		for i := range out {
			out[i] = F16ToF32(binary.LittleEndian.Uint16(data[2*i:]))
		}
		return out, nil
	case BF16:
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(data[2*i:])) << 16)
		}
		return out, nil
	case Q8_0:
		block = dequantQ8_0
	case Q4_0:
		block = dequantQ4_0
	case Q4_1:
		block = dequantQ4_1
	case Q4_K:
		block = dequantQ4_K
	case Q5_K:
		block = dequantQ5_K
	case Q6_K:
		block = dequantQ6_K
	}
	for i := 0; i < n/bl; i++ {
		block(out[i*bl:(i+1)*bl], data[i*bb:(i+1)*bb])
	}
	return out, nil
}

func half(b []byte) float32 { return F16ToF32(binary.LittleEndian.Uint16(b)) }

// dequantQ8_0: block_q8_0 { d f16; qs int8[32] }; x = d·q.
func dequantQ8_0(dst []float32, src []byte) {
	d := half(src)
	for j := range 32 {
		dst[j] = d * float32(int8(src[2+j]))
	}
}

// dequantQ4_0: block_q4_0 { d f16; qs [16]u8 }; element j<16 is the low
// nibble of qs[j], element j+16 its high nibble; x = d·(q−8).
func dequantQ4_0(dst []float32, src []byte) {
	d := half(src)
	qs := src[2:18]
	for j := range 16 {
		dst[j] = d * float32(int(qs[j]&0xF)-8)
		dst[j+16] = d * float32(int(qs[j]>>4)-8)
	}
}

// dequantQ4_1: block_q4_1 { d, m f16; qs [16]u8 }; nibble order as Q4_0;
// x = d·q + m.
func dequantQ4_1(dst []float32, src []byte) {
	d, m := half(src), half(src[2:])
	qs := src[4:20]
	for j := range 16 {
		dst[j] = d*float32(qs[j]&0xF) + m
		dst[j+16] = d*float32(qs[j]>>4) + m
	}
}

// scaleMinK4 unpacks the j-th (0..7) 6-bit scale and min of a Q4_K/Q5_K
// super-block from its 12 packed bytes (ggml-quants.c get_scale_min_k4):
// scales 0..3 and mins 0..3 sit in the low 6 bits of bytes 0..3 and 4..7;
// scales/mins 4..7 take their low 4 bits from the nibbles of bytes 8..11
// and their top 2 bits from the top 2 bits of bytes 0..3 / 4..7.
func scaleMinK4(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xF | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// dequantQ4_K: block_q4_K { d, dmin f16; scales [12]u8; qs [128]u8 }.
// Eight sub-blocks of 32; each 64-element chunk uses 32 bytes of qs: low
// nibbles for its first sub-block, high nibbles for its second.
// x = d·sc·q − dmin·m.
func dequantQ4_K(dst []float32, src []byte) {
	d, dmin := half(src), half(src[2:])
	scales := src[4:16]
	qs := src[16:144]
	for c := range 4 {
		sc1, m1 := scaleMinK4(2*c, scales)
		sc2, m2 := scaleMinK4(2*c+1, scales)
		d1, mm1 := d*float32(sc1), dmin*float32(m1)
		d2, mm2 := d*float32(sc2), dmin*float32(m2)
		q := qs[32*c : 32*c+32]
		y := dst[64*c:]
		for l := range 32 {
			y[l] = d1*float32(q[l]&0xF) - mm1
			y[l+32] = d2*float32(q[l]>>4) - mm2
		}
	}
}

// dequantQ5_K: block_q5_K { d, dmin f16; scales [12]u8; qh [32]u8;
// qs [128]u8 }. As Q4_K, plus a fifth bit per element from qh: chunk c's
// first sub-block uses bit 2c of qh[l], its second bit 2c+1.
func dequantQ5_K(dst []float32, src []byte) {
	d, dmin := half(src), half(src[2:])
	scales := src[4:16]
	qh := src[16:48]
	qs := src[48:176]
	for c := range 4 {
		sc1, m1 := scaleMinK4(2*c, scales)
		sc2, m2 := scaleMinK4(2*c+1, scales)
		d1, mm1 := d*float32(sc1), dmin*float32(m1)
		d2, mm2 := d*float32(sc2), dmin*float32(m2)
		q := qs[32*c : 32*c+32]
		y := dst[64*c:]
		for l := range 32 {
			lo := q[l]&0xF | ((qh[l]>>(2*c))&1)<<4
			hi := q[l]>>4 | ((qh[l]>>(2*c+1))&1)<<4
			y[l] = d1*float32(lo) - mm1
			y[l+32] = d2*float32(hi) - mm2
		}
	}
}

// dequantQ6_K: block_q6_K { ql [128]u8; qh [64]u8; scales [16]i8; d f16 }.
// Two 128-element halves; in half h, element l (0..31) of each quarter
// k (0..3) takes 4 low bits from ql (nibble k/2 of byte 64h+l+32(k%2)) and
// 2 high bits from qh[32h+l] bits 2k..2k+1; x = d·scale·(q−32) with
// scale index 8h + 2k + l/16.
func dequantQ6_K(dst []float32, src []byte) {
	ql := src[0:128]
	qh := src[128:192]
	sc := src[192:208]
	d := half(src[208:])
	for h := range 2 {
		l4 := ql[64*h:]
		h2 := qh[32*h:]
		s := sc[8*h:]
		y := dst[128*h:]
		for l := range 32 {
			is := l / 16
			q1 := int(l4[l]&0xF|((h2[l]>>0)&3)<<4) - 32
			q2 := int(l4[l+32]&0xF|((h2[l]>>2)&3)<<4) - 32
			q3 := int(l4[l]>>4|((h2[l]>>4)&3)<<4) - 32
			q4 := int(l4[l+32]>>4|((h2[l]>>6)&3)<<4) - 32
			y[l] = d * float32(int8(s[is])) * float32(q1)
			y[l+32] = d * float32(int8(s[is+2])) * float32(q2)
			y[l+64] = d * float32(int8(s[is+4])) * float32(q3)
			y[l+96] = d * float32(int8(s[is+6])) * float32(q4)
		}
	}
}

// F16ToF32 converts an IEEE binary16 bit pattern to float32 exactly (kernels' conversion,
// the one every backend's f16 weights go through).
func F16ToF32(h uint16) float32 { return kernels.F16ToF32(h) }

// F32ToF16 rounds f to the nearest binary16 (ties to even), overflowing to ±Inf; NaN stays
// NaN.
func F32ToF16(f float32) uint16 { return kernels.F32ToF16(f) }
