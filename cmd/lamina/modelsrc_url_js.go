//go:build js && wasm

package main

import (
	"context"
	"errors"
)

// openURLSource: the CLI reads GGUF URLs natively only (gguf's Range reader is not
// built for js/wasm).
func openURLSource(ctx context.Context, src string) (*modelSource, error) {
	return nil, errors.New(src + ": GGUF URLs are read by the native CLI only")
}
