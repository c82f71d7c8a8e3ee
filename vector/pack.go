package vector

import (
	"errors"
	"fmt"
	"math"
)

// PackSubpaths appends subs to dst as float64s: the count of subpaths, then per subpath its
// count of segments, its start (x, y) and each segment's C1, C2, P (x, y each). It is how
// subpaths cross a module boundary (lamina.wasm ↔ lamina-booleans.wasm) in one Float64Array.
func PackSubpaths(dst []float64, subs []Subpath) []float64 {
	dst = append(dst, float64(len(subs)))
	for _, sp := range subs {
		dst = append(dst, float64(len(sp.Segs)), sp.Start.X, sp.Start.Y)
		for _, s := range sp.Segs {
			dst = append(dst, s.C1.X, s.C1.Y, s.C2.X, s.C2.Y, s.P.X, s.P.Y)
		}
	}
	return dst
}

// ErrPacked is wrapped by UnpackSubpaths' errors.
var ErrPacked = errors.New("vector: bad packed subpaths")

// UnpackSubpaths reads what PackSubpaths wrote, exactly (no trailing values); counts must be
// whole numbers that fit in the data.
func UnpackSubpaths(data []float64) ([]Subpath, error) {
	p := 0
	count := func(what string) (int, error) {
		if p >= len(data) {
			return 0, fmt.Errorf("%w: %s missing at %d", ErrPacked, what, p)
		}
		v := data[p]
		p++
		if !(v >= 0) || v != math.Trunc(v) || v > float64(len(data)) {
			return 0, fmt.Errorf("%w: %s %v at %d", ErrPacked, what, v, p-1)
		}
		return int(v), nil
	}
	n, err := count("subpath count")
	if err != nil {
		return nil, err
	}
	out := make([]Subpath, 0, min(n, len(data)/3))
	for range n {
		k, err := count("segment count")
		if err != nil {
			return nil, err
		}
		if len(data)-p < 2+6*k {
			return nil, fmt.Errorf("%w: subpath of %d segments runs past the end", ErrPacked, k)
		}
		sp := Subpath{Start: Point{data[p], data[p+1]}, Segs: make([]Segment, k)}
		p += 2
		for i := range sp.Segs {
			d := data[p : p+6]
			sp.Segs[i] = Segment{Point{d[0], d[1]}, Point{d[2], d[3]}, Point{d[4], d[5]}}
			p += 6
		}
		out = append(out, sp)
	}
	if p != len(data) {
		return nil, fmt.Errorf("%w: %d values after the last subpath", ErrPacked, len(data)-p)
	}
	return out, nil
}
