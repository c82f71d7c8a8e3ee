//go:build !amd64

package kernels

// archQuant: no assembly outside amd64; the generic Go kernels run.
func archQuant(force string) *quantKernels { return nil }

// testQuantSets lists every quantized set this CPU can run, for the tests.
func testQuantSets() []*quantKernels { return []*quantKernels{&genericQuant} }
