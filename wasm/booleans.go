//go:build !(js && wasm && lamina_nocanvas)

package main

// ensureBooleans has nothing to start: without the tag lamina_nocanvas, vector's own path
// booleans (tdewolff/canvas) are linked in (booleans_js.go has the lamina.wasm build).
func ensureBooleans() error { return nil }
