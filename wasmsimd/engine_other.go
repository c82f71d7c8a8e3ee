//go:build !(js && wasm)

package wasmsimd

import (
	"context"

	"github.com/lamina-ml/lamina/tensor"
)

// Load instantiates the kernel module; outside js/wasm there is none.
func Load(ctx context.Context) (tensor.MatMulEngine, error) { return nil, ErrUnavailable }
