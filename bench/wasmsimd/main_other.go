//go:build !(js && wasm)

// Command wasmsimd is a js/wasm program (bench/wasmsimd/run.sh builds and
// runs it in Node); natively it only says so.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "bench/wasmsimd runs under js/wasm: use bench/wasmsimd/run.sh")
	os.Exit(2)
}
