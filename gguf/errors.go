package gguf

import (
	"errors"
	"fmt"
)

// FormatError reports a malformed GGUF file: Offset is the byte position
// where the reader noticed the problem.
type FormatError struct {
	Offset int64
	Msg    string
	Err    error // underlying I/O error, if any
}

func (e *FormatError) Error() string {
	s := fmt.Sprintf("gguf: at byte %d: %s", e.Offset, e.Msg)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *FormatError) Unwrap() error { return e.Err }

// VersionError is returned for files whose version this package does not
// read (GGUF v1 used 32-bit counts and is not supported).
type VersionError struct{ Version uint32 }

func (e *VersionError) Error() string {
	return fmt.Sprintf("gguf: unsupported version %d (supported: 2, 3)", e.Version)
}

// Unwrap lets errors.Is(err, ErrUnsupported) match.
func (e *VersionError) Unwrap() error { return ErrUnsupported }

// UnsupportedTypeError names a tensor type this package cannot dequantize
// (or one ggml does not define). Tensor is empty when not tied to a tensor.
type UnsupportedTypeError struct {
	Type   TensorType
	Tensor string
}

func (e *UnsupportedTypeError) Error() string {
	if e.Tensor == "" {
		return fmt.Sprintf("gguf: unsupported tensor type %v", e.Type)
	}
	return fmt.Sprintf("gguf: tensor %q: unsupported tensor type %v", e.Tensor, e.Type)
}

// Unwrap lets errors.Is(err, ErrUnsupported) match.
func (e *UnsupportedTypeError) Unwrap() error { return ErrUnsupported }

// ErrUnsupported is wrapped by every error about well-formed input that
// asks for something this package does not implement.
var ErrUnsupported = errors.New("unsupported")

// MetadataError reports a missing or mistyped metadata key that a
// conversion (config, tokenizer, tensor mapping) needs.
type MetadataError struct {
	Key    string
	Reason string
}

func (e *MetadataError) Error() string { return fmt.Sprintf("gguf: metadata %q: %s", e.Key, e.Reason) }
