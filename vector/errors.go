package vector

import (
	"errors"
	"fmt"
)

// Sentinel errors; every error the readers return wraps exactly one of them, so callers
// can branch with errors.Is.
var (
	ErrSyntax    = errors.New("syntax error")      // malformed XML, path data, number, color, transform
	ErrLimit     = errors.New("limit exceeded")    // input larger than the caps below
	ErrNonFinite = errors.New("non-finite number") // NaN, ±Inf or an overflowing literal
	ErrNoViewBox = errors.New("missing or bad viewBox")
	ErrTokens    = errors.New("malformed tokens")
)

// Caps that bound the readers' memory and time on hostile input (checked by the fuzz targets).
// Twemoji needs far less: ≤ 53 shapes, ≤ 197 subpaths, ≤ 2 nesting levels per file.
const (
	MaxSVGBytes     = 4 << 20 // a whole document
	MaxElements     = 20000   // elements in a document
	MaxDepth        = 64      // element nesting depth
	MaxPathCommands = 100000  // commands (incl. implicit repeats) in one d attribute
	MaxSegments     = 200000  // cubic segments in a whole document after arc/shape conversion
)

// Error reports where a reader failed.
type Error struct {
	Kind   error  // one of the sentinels above
	Offset int    // byte offset in the attribute or document, -1 if unknown
	Msg    string // detail
}

func (e *Error) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("vector: %v at offset %d: %s", e.Kind, e.Offset, e.Msg)
	}
	return fmt.Sprintf("vector: %v: %s", e.Kind, e.Msg)
}

func (e *Error) Unwrap() error { return e.Kind }

func errf(kind error, off int, format string, args ...any) error {
	return &Error{Kind: kind, Offset: off, Msg: fmt.Sprintf(format, args...)}
}
