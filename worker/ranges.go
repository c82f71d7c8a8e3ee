package worker

import (
	"errors"
	"strconv"
	"strings"
)

// byteRange is the half-open span [Start, Start+Length) of an object.
type byteRange struct {
	Start, Length int64
}

// Errors from parseRange. errRangeIgnored means the header is syntactically
// something we do not serve as a range (several ranges, another unit, or
// garbage) and RFC 9110 §14.2 lets a server then answer 200 with the whole
// representation. errRangeUnsatisfiable is a well-formed single range that
// selects no byte of the object: 416.
var (
	errRangeIgnored       = errors.New("range ignored")
	errRangeUnsatisfiable = errors.New("range not satisfiable")
)

// parseRange parses a single-range "bytes=" Range header (RFC 9110 §14.1.2)
// against an object of the given size. The three forms are
//
//	bytes=first-last   closed (last clamped to size-1)
//	bytes=first-       open-ended
//	bytes=-suffix      the last suffix bytes (clamped to size)
//
// Multi-range requests are answered with the whole object rather than a
// multipart/byteranges body: model loaders only ever ask for one span.
func parseRange(h string, size int64) (byteRange, error) {
	const unit = "bytes="
	if len(h) < len(unit) || !strings.EqualFold(h[:len(unit)], unit) {
		return byteRange{}, errRangeIgnored
	}
	spec := strings.TrimSpace(h[len(unit):])
	if strings.Contains(spec, ",") {
		return byteRange{}, errRangeIgnored
	}
	dash := strings.IndexByte(spec, '-')
	if dash < 0 {
		return byteRange{}, errRangeIgnored
	}
	first, last := strings.TrimSpace(spec[:dash]), strings.TrimSpace(spec[dash+1:])
	if first == "" {
		// Suffix form.
		n, ok := parseDigits(last)
		if !ok {
			return byteRange{}, errRangeIgnored
		}
		if n == 0 || size == 0 {
			return byteRange{}, errRangeUnsatisfiable
		}
		if n > size {
			n = size
		}
		return byteRange{Start: size - n, Length: n}, nil
	}
	start, ok := parseDigits(first)
	if !ok {
		return byteRange{}, errRangeIgnored
	}
	end := size - 1
	if last != "" {
		e, ok := parseDigits(last)
		if !ok || e < start {
			// first > last is invalid syntax (§14.1.1), so the header is ignored.
			return byteRange{}, errRangeIgnored
		}
		if e < end {
			end = e
		}
	}
	if start >= size {
		return byteRange{}, errRangeUnsatisfiable
	}
	return byteRange{Start: start, Length: end - start + 1}, nil
}

// parseDigits accepts only ASCII digits (no sign, no spaces) that fit int64.
func parseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
