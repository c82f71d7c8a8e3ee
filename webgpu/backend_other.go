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

// Backend is the WebGPU backend, which exists only under js/wasm: no value
// of it is ever made here (NewBackend fails). The type and its methods are
// declared so that untagged code can name it (a type switch, Device).
type Backend struct {
	tensor.Backend // nil: never called
}

// Adapter is the zero AdapterInfo: there is no adapter outside js/wasm.
func (b *Backend) Adapter() AdapterInfo { return AdapterInfo{} }

// CheckBinding accepts everything: there is no device to check against.
func (b *Backend) CheckBinding(what string, bytes int64) error { return nil }

// Close does nothing.
func (b *Backend) Close() {}

// Lost is never closed.
func (b *Backend) Lost() <-chan struct{} { return nil }

// LostReason is empty.
func (b *Backend) LostReason() string { return "" }

var (
	_ Device       = (*Backend)(nil)
	_ LossNotifier = (*Backend)(nil)
)
