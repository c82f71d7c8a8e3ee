//go:build !(js && wasm)

// Command editorwasm is the browser build of lamina's layer editor (editor.wasm); it only
// does something under GOOS=js GOARCH=wasm. Build it with ./build.sh editor.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "editorwasm runs in the browser: GOOS=js GOARCH=wasm go build -o editor.wasm ./ui/editorwasm (./build.sh editor)")
	os.Exit(2)
}
