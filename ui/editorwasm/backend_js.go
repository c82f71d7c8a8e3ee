//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/webgpu"
)

// The drawing model's backend, picked by the page's ?backend= parameter with
// lamina.mjs's rule: auto (the default) runs on WebGPU when the adapter is a
// real GPU and on the CPU when there is no WebGPU or only a software adapter
// (SwiftShader and the like emulate a GPU on the CPU, slower than the CPU
// backend: an SVG sample took 77 s there against ~3 s on the CPU); webgpu
// takes any adapter; cpu never looks for one. A WebGPU failure falls back to
// the CPU and says so in the status line; a device loss moves the model to
// the CPU.

// Backend modes of ?backend=.
const (
	backendAuto   = "auto"
	backendWebGPU = "webgpu"
	backendCPU    = "cpu"
)

// pickBackend opens the backend ?backend= asks for. It never fails: when
// WebGPU cannot be had it returns the CPU backend and, when the page asked
// for WebGPU or the browser has a GPU that failed, a note for the status
// line (ending in a space, so it can prefix the next message).
func pickBackend(ctx context.Context) (tensor.Backend, string) {
	mode := jsGlobal.Get("URLSearchParams").New(window.Location().Get("search")).Call("get", "backend")
	m := backendAuto
	if mode.Truthy() {
		m = mode.String()
	}
	switch m {
	case backendCPU:
		return tensor.NewCPU(), ""
	case backendAuto, backendWebGPU:
	default:
		return tensor.NewCPU(), fmt.Sprintf("Unknown backend %q (auto, webgpu or cpu): drawing on the CPU. ", m)
	}
	be, err := webgpu.NewBackendWithOptions(ctx, webgpu.Options{RejectSoftware: m == backendAuto})
	switch {
	case err == nil:
		return be, ""
	case errors.Is(err, webgpu.ErrSoftwareAdapter), m == backendAuto && errors.Is(err, webgpu.ErrUnavailable):
		return tensor.NewCPU(), "" // auto's ordinary choice: nothing went wrong
	default:
		return tensor.NewCPU(), fmt.Sprintf("WebGPU failed (%v), so the model runs on the CPU. ", err)
	}
}

// loadOnBackend loads the model on be, or — when be is WebGPU and the
// model does not load there (too large for the device, say) — on the CPU,
// with a note for the status line saying why.
func loadOnBackend(files fs.FS, be tensor.Backend, note string) (*svgmodel.Model, tensor.Backend, string, error) {
	m, gpuErr := svgmodel.Load(files, be)
	if gpuErr == nil || be.Name() == backendCPU {
		return m, be, note, gpuErr
	}
	closeBackend(be)
	cpu := tensor.NewCPU()
	m, err := svgmodel.Load(files, cpu)
	return m, cpu, fmt.Sprintf("WebGPU could not load the model (%v), so it runs on the CPU. ", gpuErr), err
}

// closeBackend destroys a WebGPU device that is no longer used.
func closeBackend(be tensor.Backend) {
	if c, ok := be.(interface{ Close() }); ok {
		c.Close()
	}
}

// backendLabel names what the model runs on, for the panel and the status
// line: "WebGPU (vendor / architecture …)" or "CPU".
func backendLabel(be tensor.Backend) string {
	if g, ok := be.(*webgpu.Backend); ok {
		return "WebGPU (" + g.Adapter().String() + ")"
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
