//go:build !(js && wasm)

package main

import (
	"fmt"

	"github.com/lamina-ml/lamina/tensor"
)

func backend(name string) (tensor.Backend, error) {
	if name != "cpu" {
		return nil, fmt.Errorf("-backend %q: natively only cpu", name)
	}
	return tensor.NewCPU(), nil
}
