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
	"math"
	"math/big"
)

// decScale is the lattice unit's inverse, 10^maxFracDigits.
var decScale = pow10(maxFracDigits)

// decMax is the largest magnitude a bounded number writes, 15 nines, in
// lattice units.
var decMax = new(big.Int).Mul(big.NewInt(maxIntMagnitude), decScale)

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

var pow10s = func() []*big.Int {
	p := make([]*big.Int, 2*maxFracDigits+2)
	for i := range p {
		p[i] = pow10(i)
	}
	return p
}()

// numNode compiles a number schema with bounds.
func numNode(s map[string]any, path string) (*node, error) {
	n := &node{kind: kNumber, minLen: 1, nbound: true, nlo: new(big.Int).Neg(decMax), nhi: new(big.Int).Set(decMax)}
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
		r, ok := new(big.Rat).SetString(string(num))
		if !ok {
			return nil, &SchemaError{Path: path, Msg: fmt.Sprintf("%s %s is not a finite number", b.key, num)}
		}
		// Far outside the range written: clamp (keeps the exponent of a
		// bound like 1e400 from costing anything).
		far := new(big.Rat).SetInt(pow10(16))
		if r.Cmp(far) > 0 {
			r = far
		} else if r.Cmp(new(big.Rat).Neg(far)) < 0 {
			r = new(big.Rat).Neg(far)
		}
		r = round15(r, b.lower)
		r.Mul(r, new(big.Rat).SetInt(decScale))
		// Lattice bound: minimum ⌈v⌉, exclusiveMinimum ⌊v⌋+1, maximum ⌊v⌋,
		// exclusiveMaximum ⌈v⌉-1.
		fl := floorRat(r)
		ce := new(big.Int).Set(fl)
		if !r.IsInt() {
			ce.Add(ce, big.NewInt(1))
		}
		switch {
		case b.lower && !b.exclu:
			if ce.Cmp(n.nlo) > 0 {
				n.nlo = ce
			}
		case b.lower:
			fl.Add(fl, big.NewInt(1))
			if fl.Cmp(n.nlo) > 0 {
				n.nlo = fl
			}
		case !b.exclu:
			if fl.Cmp(n.nhi) < 0 {
				n.nhi = fl
			}
		default:
			ce.Sub(ce, big.NewInt(1))
			if ce.Cmp(n.nhi) < 0 {
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

// round15 rounds r to 15 significant digits, up for a lower bound and
// down for an upper one (inward); values below 10^-16 are left to the
// lattice rounding.
func round15(r *big.Rat, up bool) *big.Rat {
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
			return new(big.Rat).SetInt(pow10(k))
		}
		return new(big.Rat).SetFrac(big.NewInt(1), pow10(-k))
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
	q := floorRat(t)
	if up {
		q.Add(q, big.NewInt(1))
	}
	return new(big.Rat).Mul(new(big.Rat).SetInt(q), ten(e-14))
}

// floorRat is ⌊r⌋.
func floorRat(r *big.Rat) *big.Int {
	q, m := new(big.Int).DivMod(r.Num(), r.Denom(), new(big.Int))
	_ = m
	return q // Euclidean division by a positive denominator is the floor
}

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
			lo := new(big.Int).Mul(big.NewInt(f.val), pow10s[j]) // least integer part
			hi := new(big.Int).Add(lo, pow10s[j])                // one past the greatest
			a := new(big.Int).Mul(lo, decScale)                  // least value
			top := new(big.Int).Mul(hi, decScale)                // one past the greatest integer part's end
			for d := 0; d <= maxFracDigits-(k+j); d++ {
				cost := j
				if d > 0 {
					cost += d + 1
				}
				if best >= 0 && cost >= best {
					break
				}
				q := pow10s[maxFracDigits-d]
				if decHit(f, a, new(big.Int).Sub(top, q), q) {
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
		base := new(big.Int).Mul(big.NewInt(f.val), decScale)
		base.Add(base, new(big.Int).Mul(big.NewInt(f.frac), pow10s[maxFracDigits-fd]))
		top := new(big.Int).Add(base, pow10s[maxFracDigits-fd])
		for d := max(fd, 1); d <= maxFracDigits-k; d++ {
			q := pow10s[maxFracDigits-d]
			if decHit(f, base, new(big.Int).Sub(top, q), q) {
				return d - fd
			}
		}
	}
	return -1
}

// decHit reports whether a multiple of q in magnitudes [a, b] (signed by
// f.neg) lies in f.n's lattice range.
func decHit(f *frame, a, b, q *big.Int) bool {
	lo, hi := a, b
	if f.neg {
		lo, hi = new(big.Int).Neg(b), new(big.Int).Neg(a)
	}
	if f.n.nlo.Cmp(lo) > 0 {
		lo = f.n.nlo
	}
	if f.n.nhi.Cmp(hi) < 0 {
		hi = f.n.nhi
	}
	if lo.Cmp(hi) > 0 {
		return false
	}
	// The least multiple of q at or above lo: -⌊-lo/q⌋.
	m := new(big.Int).Neg(lo)
	m.Div(m, q) // Euclidean: the floor for q > 0
	m.Neg(m)
	m.Mul(m, q)
	return m.Cmp(hi) <= 0
}
