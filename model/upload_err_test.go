package model

import (
	"errors"
	"strings"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

// errDevice stands for a backend's own error, e.g. webgpu.ErrTooLarge.
var errDevice = errors.New("device: buffer over the limit")

// limitedBackend is the CPU backend refusing uploads of more than max elements, as a GPU
// backend refuses buffers over its limits.
type limitedBackend struct {
	tensor.Backend
	max int
}

func (b limitedBackend) Upload(shape []int, dt tensor.DType, data []byte) (tensor.Tensor, error) {
	if n := numel(shape); n > b.max {
		return nil, errDevice
	}
	return b.Backend.Upload(shape, dt, data)
}

func (b limitedBackend) UploadF32(shape []int, v []float32) (tensor.Tensor, error) {
	if n := numel(shape); n > b.max {
		return nil, errDevice
	}
	return b.Backend.UploadF32(shape, v)
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// TestUploadErrorNamesTensor: a backend's refusal to hold a weight reaches the caller with
// the checkpoint tensor's name and still matches the backend's error.
func TestUploadErrorNamesTensor(t *testing.T) {
	for _, dir := range []string{"testdata/llama-tiny", "testdata/gpt2-tiny"} {
		t.Run(dir, func(t *testing.T) {
			_, err := LoadDir(dir, limitedBackend{tensor.NewCPU(), 1 << 10})
			if !errors.Is(err, errDevice) {
				t.Fatalf("LoadDir = %v, want the backend's error", err)
			}
			if !strings.Contains(err.Error(), `tensor "`) || !strings.Contains(err.Error(), "weight") {
				t.Fatalf("error %q does not name the tensor", err)
			}
			t.Log(err)
		})
	}
}
