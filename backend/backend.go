// Package backend chooses the tensor.Backend a front end runs on — the
// browser runtime (wasm) and the editor (ui/editorwasm) share it — so the
// rule is written once:
//
//   - cpu never looks for a GPU, and runs the pure-Go kernels;
//   - wasm-simd is the CPU backend with its matrix products on the
//     WebAssembly SIMD128 kernel module (package wasmsimd), and fails where
//     there is none (outside js/wasm, or an engine without SIMD);
//   - webgpu takes whatever adapter there is, and fails when there is none;
//   - auto (the default) takes WebGPU when the adapter is a real GPU, and
//     the CPU when there is no WebGPU or the only adapter is a software one
//     (SwiftShader, llvmpipe, WARP emulate a GPU on the CPU, slower than the
//     CPU backend: an SVG sample took 77 s there against ~3 s on the CPU),
//     or when opening the GPU failed (Choice.Fallback says why) — wasm-simd
//     when the module loads, else cpu.
package backend

import (
	"context"
	"errors"
	"fmt"

	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/wasmsimd"
	"github.com/lamina-ml/lamina/webgpu"
)

// Mode is a backend choice.
type Mode string

// The modes.
const (
	Auto     Mode = "auto"
	WebGPU   Mode = "webgpu"
	WasmSIMD Mode = wasmsimd.Name
	CPU      Mode = "cpu"
)

// ErrMode is wrapped by ParseMode's error.
var ErrMode = errors.New("backend must be 'auto', 'webgpu', 'wasm-simd' or 'cpu'")

// ParseMode reads a mode; "" is Auto.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case "":
		return Auto, nil
	case Auto, WebGPU, WasmSIMD, CPU:
		return m, nil
	}
	return "", fmt.Errorf("%w, not %q", ErrMode, s)
}

// OpenGPU opens a WebGPU backend: webgpu.NewBackendWithOptions, or a
// stand-in in tests.
type OpenGPU func(ctx context.Context, o webgpu.Options) (tensor.Backend, error)

// Choice is what Open picked.
type Choice struct {
	Backend tensor.Backend
	// Adapter is the WebGPU adapter seen: the one the backend runs on, or
	// the software one auto turned down; nil when Open did not look (cpu)
	// or found none.
	Adapter *webgpu.AdapterInfo
	// Fallback is set when auto looked for WebGPU, something went wrong
	// (not merely "no WebGPU" or "a software adapter") and it took the CPU.
	Fallback error
	// Threads is how many threads the wasm-simd engine runs on (the ctx's
	// wasmsimd.WithThreads where memory can be shared, else 1); 0 when the
	// backend is not wasm-simd.
	Threads int
}

// threadsOf is the thread count of a MatMulEngine (1 without the method).
func threadsOf(e tensor.MatMulEngine) int {
	if t, ok := e.(interface{ Threads() int }); ok {
		return t.Threads()
	}
	return 1
}

// LoadSIMD instantiates the wasm SIMD kernel module: wasmsimd.Load, or a
// stand-in in tests.
var LoadSIMD = wasmsimd.Load

// cpuBackend is the CPU backend auto falls back to: on the SIMD kernels
// when they load, else the plain one; and the engine's threads (0: none).
func cpuBackend(ctx context.Context) (tensor.Backend, int) {
	if e, err := LoadSIMD(ctx); err == nil {
		return tensor.NewCPUWith(e), threadsOf(e)
	}
	return tensor.NewCPU(), 0
}

// Open picks the backend for mode. o is passed to open with RejectSoftware
// set for auto; open nil means this build has no WebGPU (webgpu.ErrUnavailable).
// Only mode WebGPU fails: with the error from open.
func Open(ctx context.Context, mode Mode, o webgpu.Options, open OpenGPU) (Choice, error) {
	switch mode {
	case CPU:
		return Choice{Backend: tensor.NewCPU()}, nil
	case WasmSIMD:
		e, err := LoadSIMD(ctx)
		if err != nil {
			return Choice{}, err
		}
		return Choice{Backend: tensor.NewCPUWith(e), Threads: threadsOf(e)}, nil
	}
	if mode != Auto && mode != WebGPU {
		return Choice{}, fmt.Errorf("%w, not %q", ErrMode, string(mode))
	}
	o.RejectSoftware = mode == Auto
	var be tensor.Backend
	err := webgpu.ErrUnavailable
	if open != nil {
		be, err = open(ctx, o)
	}
	var c Choice
	var sw *webgpu.SoftwareAdapterError
	if errors.As(err, &sw) {
		c.Adapter = &sw.Adapter
	}
	if err == nil {
		if d, ok := be.(webgpu.Device); ok {
			info := d.Adapter()
			c.Adapter = &info
		}
		c.Backend = be
		return c, nil
	}
	if mode == WebGPU {
		return Choice{}, err
	}
	if !errors.Is(err, webgpu.ErrSoftwareAdapter) && !errors.Is(err, webgpu.ErrUnavailable) {
		c.Fallback = err
	}
	c.Backend, c.Threads = cpuBackend(ctx)
	return c, nil
}

// Close releases be's device when it is a WebGPU one (a CPU backend needs
// nothing).
func Close(be tensor.Backend) {
	if d, ok := be.(webgpu.Device); ok {
		d.Close()
	}
}
