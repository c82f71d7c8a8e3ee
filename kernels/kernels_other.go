//go:build !amd64

package kernels

// archKernels: no assembly outside amd64; the generic Go kernels run.
func archKernels(force string) *kernelSet { return nil }

// testKernelSets lists every set this CPU can run, for the tests.
func testKernelSets() []*kernelSet { return []*kernelSet{&genericKernels} }
