package main

import (
	"errors"

	"github.com/lamina-ml/lamina/webgpu"
)

// gpuLost reports a WebGPU device loss (webgpu wraps ErrDeviceLost into
// every error after it).
func gpuLost(err error) bool { return errors.Is(err, webgpu.ErrDeviceLost) }

// gpuTooLarge reports a model that does not fit the device's limits.
// The webgpu package has no typed error for it yet, so such failures are
// reported with code "internal" and webgpu's own message.
func gpuTooLarge(error) bool { return false }
