//go:build !(js && wasm)

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/lamina-ml/lamina/gguf"
)

// openURLSource opens a GGUF URL through HTTP Range requests, one per tensor; a
// server that answers a Range request with the whole file (200) gets one plain
// download held in memory instead. (gguf's Range reader is not built for js/wasm,
// where the browser runtime reads ranges with fetch.)
func openURLSource(ctx context.Context, src string) (*modelSource, error) {
	noop := func() error { return nil }
	f, rr, err := gguf.OpenURL(ctx, nil, src)
	if errors.Is(err, gguf.ErrNoRanges) {
		data, derr := downloadWhole(ctx, src)
		if derr != nil {
			return nil, derr
		}
		if f, err = gguf.Open(bytes.NewReader(data), int64(len(data))); err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	fsys, err := f.ModelFS()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	ms := &modelSource{name: src, fsys: fsys, close: noop}
	if rr != nil {
		ms.ranged = rr
	}
	return ms, nil
}
