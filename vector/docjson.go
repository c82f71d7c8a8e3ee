package vector

import (
	"encoding/json"
	"fmt"
)

// DocumentJSON writes doc as JSON (its exported fields), which is how a parsed drawing crosses
// the module boundary lamina-booleans.wasm → lamina.wasm: the SVG reader lives in the former
// (it needs the path booleans anyway), the model in the latter. Float64s round-trip exactly.
func DocumentJSON(doc *Document) ([]byte, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPacked, err)
	}
	return b, nil
}

// DocumentFromJSON reads what DocumentJSON wrote and checks what the rest of the package
// assumes of a parsed Document (JSON numbers are always finite): a positive viewBox,
// gradients with at least two stops and a known spread.
func DocumentFromJSON(data []byte) (*Document, error) {
	var doc Document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPacked, err)
	}
	if !(doc.ViewBox[2] > 0 && doc.ViewBox[3] > 0) {
		return nil, fmt.Errorf("%w: viewBox %v is empty", ErrPacked, doc.ViewBox)
	}
	for i, l := range doc.Layers {
		if g := l.Paint; g != nil {
			if len(g.Stops) < 2 {
				return nil, fmt.Errorf("%w: layer %d: a gradient with %d stops", ErrPacked, i, len(g.Stops))
			}
			if g.Spread < SpreadPad || g.Spread > SpreadRepeat {
				return nil, fmt.Errorf("%w: layer %d: gradient spread %d", ErrPacked, i, g.Spread)
			}
		}
	}
	return &doc, nil
}
