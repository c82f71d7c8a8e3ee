package jsonmode

import (
	"math"
	"math/big"
	mrand "math/rand"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// The reference for decimal.go's 128-bit lattice arithmetic is math/big, which the package
// used before (it cost lamina.wasm 50 KB): refBound is that implementation's bound reading.

func refPow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

func refRound15(r *big.Rat, up bool) *big.Rat {
	if r.Sign() == 0 {
		return r
	}
	abs := new(big.Rat).Abs(r)
	af, _ := abs.Float64()
	if af < 1e-16 {
		return r
	}
	e := int(math.Floor(math.Log10(af)))
	ten := func(k int) *big.Rat {
		if k >= 0 {
			return new(big.Rat).SetInt(refPow10(k))
		}
		return new(big.Rat).SetFrac(big.NewInt(1), refPow10(-k))
	}
	for ten(e).Cmp(abs) > 0 {
		e--
	}
	for ten(e+1).Cmp(abs) <= 0 {
		e++
	}
	t := new(big.Rat).Mul(r, ten(14-e))
	if t.IsInt() {
		return r
	}
	q, _ := new(big.Int).DivMod(t.Num(), t.Denom(), new(big.Int))
	if up {
		q.Add(q, big.NewInt(1))
	}
	return new(big.Rat).Mul(new(big.Rat).SetInt(q), ten(e-14))
}

// refBound is ⌊v⌋ and ⌈v⌉ of the clamped, inward-rounded bound on the lattice.
func refBound(num string, lower bool) (fl, ce *big.Int, ok bool) {
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return nil, nil, false
	}
	far := new(big.Rat).SetInt(refPow10(16))
	if r.Cmp(far) > 0 {
		r = far
	} else if r.Cmp(new(big.Rat).Neg(far)) < 0 {
		r = new(big.Rat).Neg(far)
	}
	r = refRound15(r, lower)
	r.Mul(r, new(big.Rat).SetInt(refPow10(maxFracDigits)))
	fl, _ = new(big.Int).DivMod(r.Num(), r.Denom(), new(big.Int))
	ce = new(big.Int).Set(fl)
	if !r.IsInt() {
		ce.Add(ce, big.NewInt(1))
	}
	return fl, ce, true
}

func randomNumber(rng *rand.Rand) string {
	var b strings.Builder
	if rng.IntN(2) == 0 {
		b.WriteByte('-')
	}
	digits := func(n int) {
		for range n {
			b.WriteByte(byte('0' + rng.IntN(10)))
		}
	}
	switch rng.IntN(4) {
	case 0:
		b.WriteByte('0')
	default:
		b.WriteByte(byte('1' + rng.IntN(9)))
		digits(rng.IntN(24))
	}
	if rng.IntN(2) == 0 {
		b.WriteByte('.')
		if rng.IntN(3) == 0 {
			b.WriteString(strings.Repeat("0", rng.IntN(20)))
		}
		digits(1 + rng.IntN(24))
		if rng.IntN(3) == 0 {
			b.WriteString(strings.Repeat("9", rng.IntN(20)))
		}
	}
	if rng.IntN(3) == 0 {
		b.WriteByte("eE"[rng.IntN(2)])
		if rng.IntN(2) == 0 {
			b.WriteByte("+-"[rng.IntN(2)])
		}
		b.WriteString(strconv.Itoa(rng.IntN(40)))
	}
	return b.String()
}

func TestBoundLatticeMatchesBig(t *testing.T) {
	cases := []string{"0", "-0", "0.0", "1", "-1", "1e400", "-1e400", "1e-400", "-1e-400", "1e16", "1e15",
		"9999999999999999", "999999999999999.95", "-999999999999999.95", "0.1234567890123456789",
		"-0.1234567890123456789", "1.0000000000000001", "123456789012345678901234567890", "1E+2", "1e-16",
		"1e-15", "-1e-15", "2.5e-15", "-2.5e-15", "0.000000000000001000000000000001", "99999999999999999999"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		cases = append(cases, randomNumber(rng))
	}
	for _, num := range cases {
		for _, lower := range []bool{true, false} {
			wf, wc, _ := refBound(num, lower)
			fl, ce, ok := boundLattice(num, lower)
			if !ok {
				t.Fatalf("%s: not read", num)
			}
			if fl.String() != wf.String() || ce.String() != wc.String() {
				t.Errorf("%s lower=%v: floor, ceil %s, %s; math/big %s, %s", num, lower, fl, ce, wf, wc)
			}
		}
	}
}

func TestBoundLatticeRejects(t *testing.T) {
	for _, s := range []string{"", "-", "01", "1.", ".5", "1e", "1e+", "+1", "1x", "0x10", "1.5.5", "--1", "inf", "NaN"} {
		if _, _, ok := boundLattice(s, true); ok {
			t.Errorf("%q was read as a number", s)
		}
	}
}

func TestLatArithmeticMatchesBig(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	rnd := func() (lat, *big.Int) {
		// Magnitudes up to about 10^32, the range the checks use.
		v := new(big.Int).Rand(mrand.New(randSource{rng}), refPow10(1+rng.IntN(32)))
		if rng.IntN(2) == 0 {
			v.Neg(v)
		}
		var l lat
		for _, d := range v.String() {
			if d == '-' {
				continue
			}
			l = l.mul(10).add(latOf(int64(d - '0')))
		}
		if v.Sign() < 0 {
			l = l.neg()
		}
		return l, v
	}
	for range 20000 {
		a, A := rnd()
		b, B := rnd()
		if got, want := a.String(), A.String(); got != want {
			t.Fatalf("String %s, want %s", got, want)
		}
		if got, want := a.add(b).String(), new(big.Int).Add(A, B).String(); got != want {
			t.Fatalf("%s + %s = %s, want %s", A, B, got, want)
		}
		if got, want := a.sub(b).String(), new(big.Int).Sub(A, B).String(); got != want {
			t.Fatalf("%s - %s = %s, want %s", A, B, got, want)
		}
		if got, want := a.cmp(b), A.Cmp(B); got != want {
			t.Fatalf("cmp(%s, %s) = %d, want %d", A, B, got, want)
		}
		q := pow10u[rng.IntN(16)] + uint64(rng.IntN(3))
		if got, want := a.floorDiv(q).String(), new(big.Int).Div(A, new(big.Int).SetUint64(q)).String(); got != want {
			t.Fatalf("⌊%s / %d⌋ = %s, want %s", A, q, got, want)
		}
		m := uint64(rng.IntN(1_000_000))
		if A.BitLen() < 100 {
			if got, want := a.mul(m).String(), new(big.Int).Mul(A, new(big.Int).SetUint64(m)).String(); got != want {
				t.Fatalf("%s · %d = %s, want %s", A, m, got, want)
			}
		}
	}
}

type randSource struct{ r *rand.Rand }

func (s randSource) Int63() int64 { return int64(s.r.Uint64() >> 1) }
func (s randSource) Seed(int64)   {}
