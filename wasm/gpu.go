package main

import (
	"errors"

	"github.com/lamina-ml/lamina/webgpu"
)

// gpuLost reports a WebGPU device loss (webgpu wraps ErrDeviceLost into
// every error after it).
func gpuLost(err error) bool { return errors.Is(err, webgpu.ErrDeviceLost) }

// gpuTooLarge reports a tensor that does not fit the device's limits
// (maxBufferSize, a storage binding, or GPU memory).
func gpuTooLarge(err error) bool { return errors.Is(err, webgpu.ErrTooLarge) }
