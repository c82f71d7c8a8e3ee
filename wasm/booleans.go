//go:build !(js && wasm && lamina_nocanvas)

package main

import (
	"fmt"

	"github.com/lamina-ml/lamina/vector"
)

// ensureBooleans has nothing to start: without the tag lamina_nocanvas, vector's own path
// booleans (tdewolff/canvas) are linked in (booleans_js.go has the lamina.wasm build).
func ensureBooleans() error { return nil }

// parseSVG is vector.ParseSVG (booleans_js.go has the lamina.wasm build, where the reader
// lives in lamina-booleans.wasm).
func parseSVG(svg []byte) (*vector.Document, error) {
	doc, err := vector.ParseSVG(svg)
	if err != nil {
		return nil, &codedError{code: codeBadInput, err: fmt.Errorf("lamina: edit: %w", err)}
	}
	return doc, nil
}
