//go:build !(js && wasm)

package webgpu

import (
	"context"

	"github.com/lamina-ml/lamina/tensor"
)

// NewBackend returns ErrUnavailable outside js/wasm: WebGPU is reached
// through syscall/js only.
func NewBackend(ctx context.Context) (tensor.Backend, error) {
	return NewBackendWithOptions(ctx, Options{})
}

// NewBackendWithOptions returns ErrUnavailable outside js/wasm.
func NewBackendWithOptions(ctx context.Context, o Options) (tensor.Backend, error) {
	return nil, ErrUnavailable
}
