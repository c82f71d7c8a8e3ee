//go:build !unix && !(js && wasm)

package main

// cpuSeconds is 0: no process CPU clock here.
func cpuSeconds() float64 { return 0 }
