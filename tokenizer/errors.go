package tokenizer

import "fmt"

// FormatError reports a tokenizer.json that is not well formed: bad JSON, a
// missing or mistyped field, a merge naming tokens absent from the vocabulary.
type FormatError struct {
	Component string // which part of the file: "model", "added_tokens", "pre_tokenizer", ...
	Msg       string
	Err       error // underlying cause, if any
}

func (e *FormatError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("tokenizer: malformed %s: %s: %v", e.Component, e.Msg, e.Err)
	}
	return fmt.Sprintf("tokenizer: malformed %s: %s", e.Component, e.Msg)
}

func (e *FormatError) Unwrap() error { return e.Err }

// UnsupportedError reports a well-formed tokenizer.json that uses a component
// (or a feature of one) this package does not implement. Type names the
// component type exactly as the file spells it, e.g. "Unigram" or "Precompiled".
type UnsupportedError struct {
	Component string // "model", "normalizer", "pre_tokenizer", "decoder", "post_processor"
	Type      string
	Detail    string
}

func (e *UnsupportedError) Error() string {
	s := fmt.Sprintf("tokenizer: unsupported %s type %q", e.Component, e.Type)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func formatErr(component, format string, args ...any) error {
	return &FormatError{Component: component, Msg: fmt.Sprintf(format, args...)}
}
