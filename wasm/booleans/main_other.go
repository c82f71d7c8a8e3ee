//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// main explains how to build lamina-booleans.wasm (main_js.go is the program).
func main() {
	fmt.Fprintln(os.Stderr, "lamina/wasm/booleans is lamina-booleans.wasm: build it with ./build.sh wasm")
	os.Exit(2)
}
