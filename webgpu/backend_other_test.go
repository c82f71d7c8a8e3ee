//go:build !(js && wasm)

package webgpu

import (
	"context"
	"errors"
	"testing"
)

// Outside js/wasm the constructor must fail with ErrUnavailable (not panic)
// so callers fall back to the CPU backend.
func TestNewBackendUnavailable(t *testing.T) {
	for _, o := range []Options{{}, {PreferF16: true}} {
		be, err := NewBackendWithOptions(context.Background(), o)
		if be != nil || !errors.Is(err, ErrUnavailable) {
			t.Errorf("NewBackendWithOptions(%+v) = %v, %v; want nil, ErrUnavailable", o, be, err)
		}
	}
	if _, err := NewBackend(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("NewBackend: %v, want ErrUnavailable", err)
	}
}
