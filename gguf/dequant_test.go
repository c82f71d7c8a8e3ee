package gguf

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// Hand-made blocks: every field is set to known values, the block bytes are
// packed from the ggml-common.h struct layout, and expected values are
// computed from the scalar formula (plus a few worked out by hand in the
// comments), independently of the dequantizers' index arithmetic.

func putHalf(b []byte, h uint16) { binary.LittleEndian.PutUint16(b, h) }

const (
	h0_25 = 0x3400 // 0.25
	h0_5  = 0x3800
	h1    = 0x3C00
	h2    = 0x4000
	hm1   = 0xBC00 // -1
)

func checkValues(t *testing.T, got []float32, want func(i int) float32, literal map[int]float32) {
	t.Helper()
	for i := range got {
		if w := want(i); got[i] != w {
			t.Fatalf("element %d = %v, want %v", i, got[i], w)
		}
	}
	for i, w := range literal {
		if got[i] != w {
			t.Errorf("element %d = %v, hand-computed %v", i, got[i], w)
		}
	}
}

func TestDequantQ8_0(t *testing.T) {
	b := make([]byte, 34)
	putHalf(b, h0_5)
	for j := range 32 {
		b[2+j] = byte(int8(4*j - 64)) // -64, -60, …, 60
	}
	got, err := Dequantize(Q8_0, b, 32)
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, got, func(i int) float32 { return 0.5 * float32(4*i-64) }, map[int]float32{0: -32, 16: 0, 31: 30})
}

func TestDequantQ4_0(t *testing.T) {
	b := make([]byte, 18)
	putHalf(b, h2)
	for j := range 16 {
		b[2+j] = byte(j) | byte(15-j)<<4
	}
	got, err := Dequantize(Q4_0, b, 32)
	if err != nil {
		t.Fatal(err)
	}
	// Element j < 16 is the low nibble j: 2·(j−8); element 16+j the high
	// nibble 15−j: 2·(7−j).
	checkValues(t, got, func(i int) float32 {
		if i < 16 {
			return 2 * float32(i-8)
		}
		return 2 * float32(7-(i-16))
	}, map[int]float32{0: -16, 15: 14, 16: 14, 31: -16})
}

func TestDequantQ4_1(t *testing.T) {
	b := make([]byte, 20)
	putHalf(b, h0_25)
	putHalf(b[2:], hm1)
	for j := range 16 {
		b[4+j] = byte(j) | byte(15-j)<<4
	}
	got, err := Dequantize(Q4_1, b, 32)
	if err != nil {
		t.Fatal(err)
	}
	checkValues(t, got, func(i int) float32 {
		if i < 16 {
			return 0.25*float32(i) - 1
		}
		return 0.25*float32(15-(i-16)) - 1
	}, map[int]float32{0: -1, 15: 2.75, 16: 2.75, 31: -1})
}

// packScalesK4 packs eight 6-bit scales and mins the way get_scale_min_k4
// reads them: bytes 0..3 hold scales 0..3 (+ top bits of scales 4..7),
// bytes 4..7 mins 0..3 (+ top bits of mins 4..7), bytes 8..11 the low
// nibbles of scales/mins 4..7.
func packScalesK4(sc, m [8]uint8) [12]byte {
	var q [12]byte
	for j := range 4 {
		q[j] = sc[j] | (sc[j+4]>>4)<<6
		q[j+4] = m[j] | (m[j+4]>>4)<<6
		q[j+8] = sc[j+4]&0xF | (m[j+4]&0xF)<<4
	}
	return q
}

var (
	kScales = [8]uint8{1, 2, 3, 4, 17, 33, 50, 63}
	kMins   = [8]uint8{0, 5, 10, 20, 16, 40, 60, 63}
)

// q4kNibble is the 4-bit quant of element i (chunk c = i/64, l = i%32).
func q4kNibble(i int) int {
	c, l := i/64, i%32
	if i%64 < 32 {
		return (l + c) % 16
	}
	return (3*l + c) % 16
}

func TestDequantQ4_K(t *testing.T) {
	b := make([]byte, 144)
	putHalf(b, h1)
	putHalf(b[2:], h0_5)
	s := packScalesK4(kScales, kMins)
	copy(b[4:], s[:])
	for c := range 4 {
		for l := range 32 {
			b[16+32*c+l] = byte(q4kNibble(64*c+l)) | byte(q4kNibble(64*c+32+l))<<4
		}
	}
	got, err := Dequantize(Q4_K, b, 256)
	if err != nil {
		t.Fatal(err)
	}
	// Sub-block i/32 has scale kScales[i/32] and min kMins[i/32]:
	// x = 1·sc·q − 0.5·m. By hand: element 161 (sub-block 5, l=1, q=5):
	// 33·5 − 20 = 145; element 194 (sub-block 6, l=2, q=5): 250 − 30 = 220;
	// element 229 (sub-block 7, l=5, q=2): 126 − 31.5 = 94.5; element 32:
	// 0 − 2.5.
	checkValues(t, got, func(i int) float32 {
		return float32(kScales[i/32])*float32(q4kNibble(i)) - 0.5*float32(kMins[i/32])
	}, map[int]float32{0: 0, 32: -2.5, 161: 145, 194: 220, 229: 94.5})
}

func TestDequantQ5_K(t *testing.T) {
	b := make([]byte, 176)
	putHalf(b, h1)
	putHalf(b[2:], h0_5)
	s := packScalesK4(kScales, kMins)
	copy(b[4:], s[:])
	// qh[l] bit k is the fifth bit of element 32k + l (sub-block k).
	q5 := func(i int) int { return q4kNibble(i) + 16*int((byte(7*(i%32))>>(i/32))&1) }
	for l := range 32 {
		b[16+l] = byte(7 * l)
	}
	for c := range 4 {
		for l := range 32 {
			b[48+32*c+l] = byte(q4kNibble(64*c+l)) | byte(q4kNibble(64*c+32+l))<<4
		}
	}
	got, err := Dequantize(Q5_K, b, 256)
	if err != nil {
		t.Fatal(err)
	}
	// By hand: element 65 (sub-block 2, l=1): nibble 2, qh[1]=7 has bit 2
	// set → q=18: 3·18 − 5 = 49; element 97 (sub-block 3, l=1): nibble 4,
	// bit 3 of 7 clear → 4·4 − 10 = 6; element 161 as in Q4_K (bit 5 of 7
	// clear) → 145.
	checkValues(t, got, func(i int) float32 {
		return float32(kScales[i/32])*float32(q5(i)) - 0.5*float32(kMins[i/32])
	}, map[int]float32{65: 49, 97: 6, 161: 145})
}

func TestDequantQ6_K(t *testing.T) {
	b := make([]byte, 210)
	q6 := func(e int) int { return (5*e + 3) % 64 }
	// Element e: half h=e/128, quarter k=(e%128)/32, l=e%32. Low 4 bits in
	// ql[64h + l + 32(k%2)] (low nibble for k<2, high for k≥2); high 2 bits
	// in qh[32h+l] bits 2k..2k+1; scale index 8h + 2k + l/16.
	for e := range 256 {
		h, k, l := e/128, (e%128)/32, e%32
		q := q6(e)
		qi := 64*h + l + 32*(k%2)
		if k < 2 {
			b[qi] |= byte(q & 0xF)
		} else {
			b[qi] |= byte(q&0xF) << 4
		}
		b[128+32*h+l] |= byte(q>>4) << (2 * k)
	}
	for i := range 16 {
		b[192+i] = byte(int8(i - 8))
	}
	putHalf(b[208:], h0_5)
	got, err := Dequantize(Q6_K, b, 256)
	if err != nil {
		t.Fatal(err)
	}
	// By hand: element 0: q=3, scale −8 → 0.5·(−8)·(3−32) = 116; element
	// 200: h=1, k=2, l=8, q=1003%64=43, scale index 12 → 4:
	// 0.5·4·11 = 22.
	checkValues(t, got, func(e int) float32 {
		h, k, l := e/128, (e%128)/32, e%32
		return 0.5 * float32(8*h+2*k+l/16-8) * float32(q6(e)-32)
	}, map[int]float32{0: 116, 200: 22})
}

func TestDequantPlain(t *testing.T) {
	f32 := binary.LittleEndian.AppendUint32(nil, math.Float32bits(-1.5))
	f16 := binary.LittleEndian.AppendUint16(nil, 0xC000)  // −2
	bf16 := binary.LittleEndian.AppendUint16(nil, 0x4049) // 3.140625
	for _, c := range []struct {
		t    TensorType
		b    []byte
		want float32
	}{{F32, f32, -1.5}, {F16, f16, -2}, {BF16, bf16, 3.140625}} {
		got, err := Dequantize(c.t, c.b, 1)
		if err != nil || got[0] != c.want {
			t.Errorf("%v: got %v, %v; want %v", c.t, got, err, c.want)
		}
	}
}

func TestDequantErrors(t *testing.T) {
	for _, typ := range []TensorType{Q5_0, Q2_K, IQ4_XS, TensorType(99)} {
		_, err := Dequantize(typ, make([]byte, 1024), 256)
		var ue *UnsupportedTypeError
		if !errors.As(err, &ue) || ue.Type != typ || !errors.Is(err, ErrUnsupported) {
			t.Errorf("%v: err = %v, want *UnsupportedTypeError", typ, err)
		}
		if !strings.Contains(err.Error(), typ.String()) {
			t.Errorf("%v: error %q does not name the type", typ, err)
		}
	}
	if _, err := Dequantize(Q8_0, make([]byte, 33), 32); err == nil {
		t.Error("short Q8_0 block accepted")
	}
	if _, err := Dequantize(Q4_K, make([]byte, 144), 255); err == nil {
		t.Error("element count off the block size accepted")
	}
}

func TestF16Conversions(t *testing.T) {
	for _, c := range []struct {
		h uint16
		f float32
	}{
		{0x3C00, 1}, {0xC000, -2}, {0x7BFF, 65504}, {0x0001, 1.0 / (1 << 24)},
		{0x0400, 1.0 / (1 << 14)}, {0x3555, 0.333251953125}, {0x8000, float32(math.Copysign(0, -1))},
		{0x7C00, float32(math.Inf(1))},
	} {
		if got := F16ToF32(c.h); got != c.f || math.Signbit(float64(got)) != math.Signbit(float64(c.f)) {
			t.Errorf("F16ToF32(%#04x) = %v, want %v", c.h, got, c.f)
		}
	}
	// Rounding: ties to even, overflow to Inf, underflow through subnormals.
	for _, c := range []struct {
		f float32
		h uint16
	}{
		{1 + 1.0/2048, 0x3C00}, {1 + 3.0/2048, 0x3C02}, {65519, 0x7BFF}, {65520, 0x7C00},
		{1.0 / (1 << 25), 0x0000}, {1.5 / (1 << 25), 0x0001}, {-1e-10, 0x8000}, {0.1, 0x2E66},
	} {
		if got := F32ToF16(c.f); got != c.h {
			t.Errorf("F32ToF16(%v) = %#04x, want %#04x", c.f, got, c.h)
		}
	}
	for h := range 1 << 16 {
		f := F16ToF32(uint16(h))
		if f != f {
			continue
		}
		if back := F32ToF16(f); back != uint16(h) {
			t.Fatalf("%#04x → %v → %#04x", h, f, back)
		}
	}
}

// Round trips through ggml's reference quantizers stay within the error
// their construction allows: Q8_0 half a step (d = amax/127) plus the f16
// rounding of d; Q4_0/Q4_1 half a step, one step where Q4_0 clamps the
// value opposite the extreme.
func TestQuantizeRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 32*64)
	for i := range x {
		x[i] = float32(rng.NormFloat64()) * float32(1+i/32)
	}
	for _, typ := range []TensorType{Q8_0, Q4_0, Q4_1, F16, BF16} {
		b, err := Quantize(typ, x)
		if err != nil {
			t.Fatal(err)
		}
		y, err := Dequantize(typ, b, len(x))
		if err != nil {
			t.Fatal(err)
		}
		for blk := range len(x) / 32 {
			xs, ys := x[32*blk:32*blk+32], y[32*blk:32*blk+32]
			var lo, hi, amax float32 = xs[0], xs[0], 0
			for _, v := range xs {
				lo, hi, amax = min(lo, v), max(hi, v), max(amax, abs32(v))
			}
			var tol float64
			switch typ {
			case Q8_0:
				tol = float64(amax)/127*0.5 + float64(amax)/1024
			case Q4_0:
				tol = float64(amax)/8*(1+1.0/1024) + 1e-6
			case Q4_1:
				tol = float64(hi-lo)/15*0.5 + float64(hi-lo)/1024 + float64(abs32(lo))/1024
			case F16:
				tol = float64(amax) / 2048
			case BF16:
				tol = float64(amax) / 256
			}
			for j := range xs {
				if d := math.Abs(float64(xs[j] - ys[j])); d > tol {
					t.Fatalf("%v block %d element %d: %v → %v (error %.3g > %.3g)", typ, blk, j, xs[j], ys[j], d, tol)
				}
			}
		}
	}
	if _, err := Quantize(Q5_0, x); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Quantize(Q5_0) err = %v", err)
	}
}

// The k-quant encoders round trip within a bound per sub-block: one step
// (the sub-block's range / levels, widened by the 6-bit rounding of its
// scale and min) for Q4_K/Q5_K, one step of amax/31 for Q6_K; and their
// RMS error is printed with -v.
func TestQuantizeKRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := make([]float32, 256*16)
	for i := range x {
		x[i] = float32(rng.NormFloat64()) * float32(1+i/256) * 0.1
	}
	for _, c := range []struct {
		typ    TensorType
		sub    int
		levels float32
	}{{Q4_K, 32, 15}, {Q5_K, 32, 31}, {Q6_K, 16, 31}} {
		b, err := Quantize(c.typ, x)
		if err != nil {
			t.Fatal(err)
		}
		y, err := Dequantize(c.typ, b, len(x))
		if err != nil {
			t.Fatal(err)
		}
		var se, sx float64
		for s := range len(x) / c.sub {
			xs, ys := x[c.sub*s:c.sub*(s+1)], y[c.sub*s:c.sub*(s+1)]
			lo, hi, amax := float32(0), float32(0), float32(0)
			for _, v := range xs {
				lo, hi, amax = min(lo, v), max(hi, v), max(amax, abs32(v))
			}
			step := (hi - lo) / c.levels
			if c.typ == Q6_K {
				step = amax / 31
			}
			for j := range xs {
				d := float64(abs32(xs[j] - ys[j]))
				se += d * d
				sx += float64(xs[j]) * float64(xs[j])
				if d > 1.5*float64(step)+1e-6 {
					t.Fatalf("%v sub-block %d element %d: %v → %v (error %.3g, step %.3g)", c.typ, s, j, xs[j], ys[j], d, step)
				}
			}
		}
		t.Logf("%v: RMS error / RMS value = %.4f", c.typ, math.Sqrt(se/sx))
	}
}

// Q4_0's construction: the value of largest magnitude is exactly −8·d.
func TestQuantizeQ4_0Extreme(t *testing.T) {
	x := make([]float32, 32)
	for i := range x {
		x[i] = float32(i) / 4
	}
	x[5] = -16 // largest magnitude, negative → d = 2
	b, _ := Quantize(Q4_0, x)
	if d := F16ToF32(binary.LittleEndian.Uint16(b)); d != 2 {
		t.Fatalf("d = %v, want 2", d)
	}
	y, _ := Dequantize(Q4_0, b, 32)
	if y[5] != -16 {
		t.Errorf("extreme value → %v, want -16", y[5])
	}
	// 7.75 (element 31) → 7.75/2+8.5 = 12.375 → q 12 → 2·(12−8) = 8.
	if y[31] != 8 {
		t.Errorf("element 31 → %v, want 8", y[31])
	}
}
