package jsonmode

// Bounds on type "number" (minimum, maximum, exclusiveMinimum,
// exclusiveMaximum). A bounded number is written without an exponent, with
// at most 15 integer digits, at most 15 fraction digits and at most 15
// significant digits in all (leading zeros of a fraction below 1 not
// counted). Values then lie on the lattice of multiples of 10^-15, and the
// bounds become an inclusive lattice range [nlo, nhi] compared exactly.
//
// The 15 significant digits are what keeps the exact comparison honest
// for validators that compare float64s (ajv, Python's jsonschema, Go): two
// different decimals of at most 15 significant digits parse to different
// float64s in the same order (DBL_DIG is 15). A bound with more digits is
// rounded inward to 15 first, so an emitted number satisfies the bound
// both exactly and as float64s.

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// lat is a signed 128-bit integer (two's complement): a bounded number's value on the lattice,
// in units of 10^-15. Bounds reach ±10^31 and every product and sum the checks form stays
// below that order, far inside ±2^127, so no operation here overflows. (It replaces math/big,
// which cost lamina.wasm about 50 KB of its brotli download.)
type lat struct {
	hi int64
	lo uint64
}

func latOf(v int64) lat { return lat{hi: v >> 63, lo: uint64(v)} }

func (a lat) add(b lat) lat {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	return lat{a.hi + b.hi + int64(c), lo}
}

func (a lat) neg() lat {
	lo, b := bits.Sub64(0, a.lo, 0)
	return lat{-a.hi - int64(b), lo}
}

func (a lat) sub(b lat) lat { return a.add(b.neg()) }

func (a lat) cmp(b lat) int {
	switch {
	case a.hi < b.hi:
		return -1
	case a.hi > b.hi:
		return 1
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

// mul is a·m for m ≥ 0.
func (a lat) mul(m uint64) lat {
	neg := a.hi < 0
	if neg {
		a = a.neg()
	}
	h, l := bits.Mul64(a.lo, m)
	r := lat{int64(uint64(a.hi)*m + h), l}
	if neg {
		r = r.neg()
	}
	return r
}

// floorDiv is ⌊a/q⌋ for q > 0.
func (a lat) floorDiv(q uint64) lat {
	neg := a.hi < 0
	if neg {
		a = a.neg()
	}
	qh, r := bits.Div64(0, uint64(a.hi), q)
	ql, r := bits.Div64(r, a.lo, q)
	res := lat{int64(qh), ql}
	if neg {
		res = res.neg()
		if r != 0 {
			res = res.sub(latOf(1))
		}
	}
	return res
}

// String writes a in decimal (for messages and tests).
func (a lat) String() string {
	if a.hi < 0 {
		return "-" + a.neg().String()
	}
	if a.hi == 0 {
		return strconv.FormatUint(a.lo, 10)
	}
	const e19 = 10_000_000_000_000_000_000
	q := a.floorDiv(e19)
	r := a.sub(q.mul(e19)).lo
	s := strconv.FormatUint(r, 10)
	return q.String() + strings.Repeat("0", 19-len(s)) + s
}

// pow10u[i] is 10^i.
var pow10u = func() (p [20]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// decScale is the lattice unit's inverse, 10^maxFracDigits.
var decScale = pow10u[maxFracDigits]

// decMax is the largest magnitude a bounded number writes, 15 nines, in
// lattice units.
var decMax = latOf(maxIntMagnitude).mul(decScale)

// numNode compiles a number schema with bounds.
func numNode(s map[string]any, path string) (*node, error) {
	n := &node{kind: kNumber, minLen: 1, nbound: true, nlo: decMax.neg(), nhi: decMax}
	for _, b := range []struct {
		key          string
		lower, exclu bool
	}{
		{"minimum", true, false}, {"exclusiveMinimum", true, true},
		{"maximum", false, false}, {"exclusiveMaximum", false, true},
	} {
		num, err := boundNumber(s, b.key, path)
		if err != nil {
			return nil, err
		} else if num == "" {
			continue
		}
		fl, ce, ok := boundLattice(string(num), b.lower)
		if !ok {
			return nil, &SchemaError{Path: path, Msg: fmt.Sprintf("%s %s is not a finite number", b.key, num)}
		}
		// Lattice bound: minimum ⌈v⌉, exclusiveMinimum ⌊v⌋+1, maximum ⌊v⌋,
		// exclusiveMaximum ⌈v⌉-1.
		switch {
		case b.lower && !b.exclu:
			if ce.cmp(n.nlo) > 0 {
				n.nlo = ce
			}
		case b.lower:
			if fl = fl.add(latOf(1)); fl.cmp(n.nlo) > 0 {
				n.nlo = fl
			}
		case !b.exclu:
			if fl.cmp(n.nhi) < 0 {
				n.nhi = fl
			}
		default:
			if ce = ce.sub(latOf(1)); ce.cmp(n.nhi) < 0 {
				n.nhi = ce
			}
		}
	}
	best := -1
	for _, f := range firstNumFrames(n) {
		if r := decNeed(&f); r >= 0 && (best < 0 || r+1 < best) {
			best = r + 1
		}
	}
	if best < 0 {
		return nil, &SchemaError{Path: path, Msg: "no number of at most 15 significant digits and 15 fraction digits lies in the bounds"}
	}
	n.minLen = best
	return n, nil
}

// firstNumFrames are the frames after each first byte of a number of n.
func firstNumFrames(n *node) []frame {
	fs := []frame{{k: fNum, n: n, sub: numSign, neg: true}, {k: fNum, n: n, sub: numZero, cnt: 1}}
	for d := int64(1); d <= 9; d++ {
		fs = append(fs, frame{k: fNum, n: n, sub: numInt, cnt: 1, val: d})
	}
	return fs
}

// boundLattice reads a bound, a JSON number, as the floor and ceiling of its value v on the
// lattice, after two steps: v is clamped to ±10^16 (far outside what a bounded number writes,
// so a bound like 1e400 costs nothing), then rounded inward to 15 significant digits, up for a
// lower bound and down for an upper one (values below 10^-16 are left to the lattice rounding).
// ok is false for text that is not a JSON number.
func boundLattice(num string, lower bool) (fl, ce lat, ok bool) {
	neg, digits, exp, ok := parseDecimal(num)
	if !ok {
		return lat{}, lat{}, false
	}
	// v = ±digits × 10^exp, digits without leading zeros ("" for 0).
	if digits == "" {
		return lat{}, lat{}, true
	}
	n := len(digits)
	if n+exp-1 >= 16 { // |v| ≥ 10^16: clamp to exactly 10^16
		digits, exp, n = "1", 16, 1
	}
	if n+exp > -16 && n > 15 { // |v| ≥ 10^-16: keep 15 significant digits
		cut := digits[:15]
		inexact := strings.TrimRight(digits[15:], "0") != ""
		exp += n - 15
		digits, n = cut, 15
		// Inward: a lower bound rounds toward +∞, an upper one toward -∞; on the
		// magnitude that is up for a positive lower or a negative upper bound.
		if inexact && lower != neg {
			digits = incDigits(digits)
			n = len(digits)
		}
	}
	// v·10^15 = ±digits × 10^(exp+15); its floor and ceiling.
	e := exp + maxFracDigits
	var mag lat
	inexact := false
	switch {
	case e >= 0:
		// digits has at most 16 digits here and e ≤ 31-n, so this is exact and in range.
		d, _ := strconv.ParseUint(digits, 10, 64)
		mag = latOf(0).add(lat{lo: d})
		for ; e > 0; e-- {
			mag = mag.mul(10)
		}
	case n+e <= 0: // |v·10^15| < 1
		inexact = true
	default:
		d, _ := strconv.ParseUint(digits[:n+e], 10, 64)
		mag = lat{lo: d}
		inexact = strings.TrimRight(digits[n+e:], "0") != ""
	}
	fl, ce = mag, mag
	if neg {
		fl, ce = mag.neg(), mag.neg()
		if inexact {
			fl = fl.sub(latOf(1))
		}
	} else if inexact {
		ce = ce.add(latOf(1))
	}
	return fl, ce, true
}

// parseDecimal splits a JSON number into its sign, its significant digits (no leading zeros;
// "" for zero) and the power of ten they are scaled by. The exponent is clamped to ±10^6, which
// keeps every later step exact (nothing that far out survives the clamping to ±10^16 or the
// lattice rounding).
func parseDecimal(s string) (neg bool, digits string, exp int, ok bool) {
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	i := 0
	for i < len(s) && isDecDigit(s[i]) {
		i++
	}
	if i == 0 || (i > 1 && s[0] == '0') {
		return false, "", 0, false
	}
	intPart, frac := s[:i], ""
	s = s[i:]
	if strings.HasPrefix(s, ".") {
		j := 1
		for j < len(s) && isDecDigit(s[j]) {
			j++
		}
		if j == 1 {
			return false, "", 0, false
		}
		frac, s = s[1:j], s[j:]
	}
	if s != "" {
		if s[0] != 'e' && s[0] != 'E' {
			return false, "", 0, false
		}
		s = s[1:]
		eneg := false
		if s != "" && (s[0] == '+' || s[0] == '-') {
			eneg, s = s[0] == '-', s[1:]
		}
		if s == "" {
			return false, "", 0, false
		}
		for k := 0; k < len(s); k++ {
			if !isDecDigit(s[k]) {
				return false, "", 0, false
			}
			if exp < 1_000_000 {
				exp = exp*10 + int(s[k]-'0')
			}
		}
		if eneg {
			exp = -exp
		}
	}
	digits = strings.TrimLeft(intPart+frac, "0")
	exp -= len(frac)
	// Trailing zeros move into the exponent.
	t := strings.TrimRight(digits, "0")
	exp += len(digits) - len(t)
	return neg, t, exp, true
}

// incDigits adds one to a decimal digit string.
func incDigits(d string) string {
	b := []byte(d)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

func isDecDigit(c byte) bool { return c >= '0' && c <= '9' }

// digits10 is the number of decimal digits of v > 0 (0 for 0).
func digits10(v int64) int {
	k := 0
	for ; v > 0; v /= 10 {
		k++
	}
	return k
}

// decNeed is, for a bounded number's frame, the fewest more bytes that
// end it inside [nlo, nhi], or -1. A number of integer part I (k digits)
// may take up to 15-k fraction digits; with d of them its values are the
// multiples of 10^(15-d) between its prefix's least and greatest
// completions.
func decNeed(f *frame) int {
	switch f.sub {
	case numSign:
		best := -1
		for _, g := range firstNumFrames(f.n)[1:] {
			g.neg = true
			if r := decNeed(&g); r >= 0 && (best < 0 || r+1 < best) {
				best = r + 1
			}
		}
		return best
	case numZero, numInt:
		k := digits10(f.val)
		maxMore := maxIntDigits - f.cnt
		if f.sub == numZero {
			maxMore = 0
		}
		best := -1
		for j := 0; j <= maxMore && (best < 0 || j < best); j++ {
			lo := latOf(f.val).mul(pow10u[j])     // least integer part
			hi := lo.add(latOf(int64(pow10u[j]))) // one past the greatest
			a := lo.mul(decScale)                 // least value
			top := hi.mul(decScale)               // one past the greatest integer part's end
			for d := 0; d <= maxFracDigits-(k+j); d++ {
				cost := j
				if d > 0 {
					cost += d + 1
				}
				if best >= 0 && cost >= best {
					break
				}
				q := pow10u[maxFracDigits-d]
				if decHit(f, a, top.sub(lat{lo: q}), q) {
					best = cost
					break
				}
			}
		}
		return best
	case numFracStart, numFrac:
		k := digits10(f.val)
		fd := 0
		if f.sub == numFrac {
			fd = f.cnt
		}
		if fd > maxFracDigits-k {
			return -1
		}
		base := latOf(f.val).mul(decScale).add(latOf(f.frac).mul(pow10u[maxFracDigits-fd]))
		top := base.add(lat{lo: pow10u[maxFracDigits-fd]})
		for d := max(fd, 1); d <= maxFracDigits-k; d++ {
			q := pow10u[maxFracDigits-d]
			if decHit(f, base, top.sub(lat{lo: q}), q) {
				return d - fd
			}
		}
	}
	return -1
}

// decHit reports whether a multiple of q in magnitudes [a, b] (signed by
// f.neg) lies in f.n's lattice range.
func decHit(f *frame, a, b lat, q uint64) bool {
	lo, hi := a, b
	if f.neg {
		lo, hi = b.neg(), a.neg()
	}
	if f.n.nlo.cmp(lo) > 0 {
		lo = f.n.nlo
	}
	if f.n.nhi.cmp(hi) < 0 {
		hi = f.n.nhi
	}
	if lo.cmp(hi) > 0 {
		return false
	}
	// The least multiple of q at or above lo: -⌊-lo/q⌋·q.
	m := lo.neg().floorDiv(q).neg().mul(q)
	return m.cmp(hi) <= 0
}
