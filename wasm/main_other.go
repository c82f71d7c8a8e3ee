//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// main explains how to build the browser entry; the package's real main
// is in main_js.go (run `./build.sh`, or
// `GOOS=js GOARCH=wasm go build -o dist/site/lamina.wasm ./wasm`).
func main() {
	fmt.Fprintln(os.Stderr, "lamina/wasm is the browser runtime: build it with GOOS=js GOARCH=wasm go build -o dist/site/lamina.wasm ./wasm")
	os.Exit(2)
}
