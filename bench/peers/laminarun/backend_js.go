//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"syscall/js"

	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/wasmsimd"
)

func backend(name string) (tensor.Backend, error) {
	switch name {
	case "cpu":
		return tensor.NewCPU(), nil
	case "wasm-simd":
		eng, err := wasmsimd.Load(context.Background())
		if err != nil {
			return nil, err
		}
		return tensor.NewCPUWith(eng), nil
	}
	return nil, fmt.Errorf("-backend %q: want cpu or wasm-simd", name)
}

// cpuSeconds is Node's process.cpuUsage() (user + system, all threads).
func cpuSeconds() float64 {
	u := js.Global().Get("process").Call("cpuUsage")
	return (u.Get("user").Float() + u.Get("system").Float()) / 1e6
}
