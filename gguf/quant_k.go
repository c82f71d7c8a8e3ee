package gguf

import (
	"encoding/binary"
	"math"
)

// Simple round-to-nearest encoders for the k-quants, the inverse of the
// layouts dequant.go reads. They are not ggml's error-minimising
// quantizers (make_qkx2_quants and friends search scales iteratively);
// they exist so files with these types can be written for tests and
// checked against llama.cpp, and give somewhat larger error than
// llama-quantize would.

// quantQ4K5K encodes one 256-value super-block as Q4_K (levels 15) or
// Q5_K (levels 31): per 32-value sub-block x ≈ d·sc·q − dmin·m with 6-bit
// sc, m and q in [0, levels].
func quantQ4K5K(dst []byte, x []float32, levels int) {
	var scale, mn [8]float32
	var maxScale, maxMin float32
	for j := range 8 {
		lo, hi := float32(0), float32(-math.MaxFloat32)
		for _, v := range x[32*j : 32*j+32] {
			lo, hi = min(lo, v), max(hi, v)
		}
		scale[j] = (hi - lo) / float32(levels)
		mn[j] = -lo
		maxScale, maxMin = max(maxScale, scale[j]), max(maxMin, mn[j])
	}
	dh, mh := F32ToF16(maxScale/63), F32ToF16(maxMin/63)
	d, dmin := F16ToF32(dh), F16ToF32(mh)
	var sc, m [8]uint8
	for j := range 8 {
		if d > 0 {
			sc[j] = uint8(min(63, roundf(scale[j]/d)))
		}
		if dmin > 0 {
			m[j] = uint8(min(63, roundf(mn[j]/dmin)))
		}
	}
	binary.LittleEndian.PutUint16(dst, dh)
	binary.LittleEndian.PutUint16(dst[2:], mh)
	s := dst[4:16]
	for j := range 4 {
		s[j] = sc[j] | (sc[j+4]>>4)<<6
		s[j+4] = m[j] | (m[j+4]>>4)<<6
		s[j+8] = sc[j+4]&0xF | (m[j+4]&0xF)<<4
	}
	var q [256]uint8
	for i, v := range x {
		j := i / 32
		step := d * float32(sc[j])
		if step > 0 {
			q[i] = uint8(min(float32(levels), max(0, roundf((v+dmin*float32(m[j]))/step))))
		}
	}
	if levels == 15 {
		qs := dst[16:144]
		for c := range 4 {
			for l := range 32 {
				qs[32*c+l] = q[64*c+l] | q[64*c+32+l]<<4
			}
		}
		return
	}
	qh, qs := dst[16:48], dst[48:176]
	clear(qh)
	for c := range 4 {
		for l := range 32 {
			a, b := q[64*c+l], q[64*c+32+l]
			qs[32*c+l] = a&0xF | (b&0xF)<<4
			qh[l] |= (a>>4)<<(2*c) | (b>>4)<<(2*c+1)
		}
	}
}

// quantQ6K encodes one super-block as Q6_K: per 16-value sub-block
// x ≈ d·sc·(q−32) with signed 8-bit sc and q in [0, 63].
func quantQ6K(dst []byte, x []float32) {
	var scale [16]float32
	var amax float32
	for j := range 16 {
		var a float32
		for _, v := range x[16*j : 16*j+16] {
			a = max(a, abs32(v))
		}
		scale[j] = a / 31
		amax = max(amax, scale[j])
	}
	dh := F32ToF16(amax / 127)
	d := F16ToF32(dh)
	var sc [16]int8
	for j := range 16 {
		if d > 0 {
			sc[j] = int8(min(127, roundf(scale[j]/d)))
		}
	}
	ql, qh, s := dst[0:128], dst[128:192], dst[192:208]
	clear(ql)
	clear(qh)
	for j := range 16 {
		s[j] = byte(sc[j])
	}
	binary.LittleEndian.PutUint16(dst[208:], dh)
	for e, v := range x {
		step := d * float32(sc[e/16])
		q := 32
		if step > 0 {
			q = int(min(31, max(-32, roundf(v/step)))) + 32
		}
		h, k, l := e/128, (e%128)/32, e%32
		i := 64*h + l + 32*(k%2)
		if k < 2 {
			ql[i] |= byte(q & 0xF)
		} else {
			ql[i] |= byte(q&0xF) << 4
		}
		qh[32*h+l] |= byte(q>>4) << (2 * k)
	}
}
