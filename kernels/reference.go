package kernels

import "math"

// matMulF32Ref is the reference loop: out (T,N) = x (T,K) · wᵀ, w (N,K).
func matMulF32Ref(out, x, w []float32, T, K, N int) {
	for t := 0; t < T; t++ {
		xr := x[t*K : t*K+K]
		for n := 0; n < N; n++ {
			wr := w[n*K : n*K+K]
			var s float32
			for k, v := range xr {
				s += v * wr[k]
			}
			out[t*N+n] = s
		}
	}
}

func matMulF16Ref(out, x []float32, w []uint16, T, K, N int) {
	for t := 0; t < T; t++ {
		xr := x[t*K : t*K+K]
		for n := 0; n < N; n++ {
			wr := w[n*K : n*K+K]
			var s float32
			for k, v := range xr {
				s += v * F16ToF32(wr[k])
			}
			out[t*N+n] = s
		}
	}
}

func matMulBF16Ref(out, x []float32, w []uint16, T, K, N int) {
	for t := 0; t < T; t++ {
		xr := x[t*K : t*K+K]
		for n := 0; n < N; n++ {
			wr := w[n*K : n*K+K]
			var s float32
			for k, v := range xr {
				s += v * BF16ToF32(wr[k])
			}
			out[t*N+n] = s
		}
	}
}

// BF16ToF32 widens a bfloat16 bit pattern (the top half of an f32).
func BF16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// F16ToF32 widens an IEEE 754 binary16 bit pattern exactly, subnormals,
// infinities and NaN included.
func F16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: value = mant * 2^-24.
		f := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}

// F32ToF16 rounds an f32 to the nearest binary16 (ties to even).
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff { // Inf or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		if e < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint32(14 - e)
		half := uint32(1) << (shift - 1)
		r := mant >> shift
		rem := mant & (1<<shift - 1)
		if rem > half || (rem == half && r&1 == 1) {
			r++
		}
		return sign | uint16(r)
	}
	r := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
		r++
	}
	return sign | uint16(r)
}
