//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/lamina-ml/lamina/backend"
	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/wasmsimd"
	"github.com/lamina-ml/lamina/webgpu"
)

// The drawing model's backend, picked by the page's ?backend= parameter with
// package backend's rule (the one lamina.mjs's runtimes use): auto (the
// default), webgpu or cpu. It never fails: a WebGPU failure falls back to
// the CPU and says so in the status line; a device loss moves the model to
// the CPU.

// pickBackend opens the backend ?backend= asks for. When WebGPU cannot be
// had it returns the CPU backend and, when the page asked for WebGPU or the
// browser has a GPU that failed, a note for the status line (ending in a
// space, so it can prefix the next message).
func pickBackend(ctx context.Context) (tensor.Backend, string) {
	param := jsGlobal.Get("URLSearchParams").New(window.Location().Get("search")).Call("get", "backend")
	s := ""
	if param.Truthy() {
		s = param.String()
	}
	mode, err := backend.ParseMode(s)
	if err != nil {
		return tensor.NewCPU(), fmt.Sprintf("Unknown backend %q (auto, webgpu, wasm-simd or cpu): drawing on the CPU. ", s)
	}
	// wasm-simd on min(cores, 4) threads where the page is cross-origin
	// isolated (lamina serve's pages are), as lamina.mjs's threads: 'auto'.
	c, err := backend.Open(wasmsimd.WithThreads(ctx, wasmsimd.AutoThreads()), mode, webgpu.Options{}, webgpu.NewBackendWithOptions)
	switch {
	case err != nil:
		return tensor.NewCPU(), fmt.Sprintf("WebGPU failed (%v), so the model runs on the CPU. ", err)
	case c.Fallback != nil:
		return c.Backend, fmt.Sprintf("WebGPU failed (%v), so the model runs on the CPU. ", c.Fallback)
	}
	return c.Backend, ""
}

// loadOnBackend loads the model on be, or — when be is WebGPU and the
// model does not load there (too large for the device, say) — on the CPU,
// with a note for the status line saying why.
func loadOnBackend(files fs.FS, be tensor.Backend, note string) (*svgmodel.Model, tensor.Backend, string, error) {
	m, gpuErr := svgmodel.Load(files, be)
	if gpuErr == nil || be.Name() != string(backend.WebGPU) {
		return m, be, note, gpuErr
	}
	closeBackend(be)
	cpu := tensor.NewCPU()
	m, err := svgmodel.Load(files, cpu)
	return m, cpu, fmt.Sprintf("WebGPU could not load the model (%v), so it runs on the CPU. ", gpuErr), err
}

// closeBackend destroys a WebGPU device that is no longer used.
func closeBackend(be tensor.Backend) { backend.Close(be) }

// backendLabel names what the model runs on, for the panel and the status
// line: "WebGPU (vendor / architecture …)" or "CPU".
func backendLabel(be tensor.Backend) string {
	if g, ok := be.(*webgpu.Backend); ok {
		return "WebGPU (" + g.Adapter().String() + ")"
	}
	if be.Name() == string(backend.WasmSIMD) {
		return "CPU (wasm SIMD)"
	}
	return "CPU"
}

// recoverOnLoss moves the model to the CPU when be's device is lost, so the
// next model action works without a reload (the one running at that moment
// fails with the loss). show updates the panel with the new backend.
func (a *app) recoverOnLoss(files fs.FS, be tensor.Backend, show func(*svgmodel.Model, tensor.Backend)) {
	ln, ok := be.(webgpu.LossNotifier)
	if !ok {
		return
	}
	go func() {
		<-ln.Lost()
		cpu := tensor.NewCPU()
		m, err := svgmodel.Load(files, cpu)
		if err != nil {
			a.setStatus("The GPU was lost and the drawing model could not move to the CPU: "+err.Error(), true)
			return
		}
		old := a.model
		a.model = m
		if old != nil && !a.e.Busy() {
			old.Close() // a running action still holds it; then the collector frees it
		}
		show(m, cpu)
		a.setStatus(fmt.Sprintf("The GPU was lost (%s); the drawing model now runs on the CPU.", ln.LostReason()), false)
	}()
}
