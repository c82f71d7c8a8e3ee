package ui

import (
	"errors"

	"github.com/lamina-ml/lamina/vector"
)

// ErrEmptyImport is returned for an SVG with no filled shape the editor can show.
var ErrEmptyImport = errors.New("ui: the SVG has no filled shapes")

// ImportSVG reads an outside SVG through the vector pipeline: each filled shape becomes a
// layer with its transforms applied (strokes, gradients and the like are dropped; see
// vector.Document.Unsupported).
func ImportSVG(data []byte) (*Document, error) {
	v, err := vector.ParseSVG(data)
	if err != nil {
		return nil, err
	}
	if len(v.Layers) == 0 {
		return nil, ErrEmptyImport
	}
	return FromVector(v), nil
}
