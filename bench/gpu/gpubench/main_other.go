//go:build !(js && wasm)

// Command gpubench is built for js/wasm and run under Node with Dawn by
// bench/gpu/run.sh; natively it only says so.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "gpubench: build with GOOS=js GOARCH=wasm and run through bench/gpu/driver.mjs")
	os.Exit(2)
}
