package wasmsimd

import (
	"errors"
	"fmt"

	"github.com/lamina-ml/lamina/tensor"
)

// Name is the backend name a CPU backend on the engine reports.
const Name = "wasm-simd"

// ErrUnavailable is Load's error where there is no WebAssembly SIMD128:
// outside js/wasm, or a JavaScript engine without it.
var ErrUnavailable = errors.New("wasmsimd: no WebAssembly SIMD128 here")

// ErrWeight is wrapped by Hold's error for a weight the engine cannot take.
var ErrWeight = errors.New("wasmsimd: weight not held")

// panels is the number of 8-row panels of an N-row weight.
func panels(N int) int { return (N + 7) / 8 }

func dtypeOf(dt tensor.DType) (dtype, error) {
	switch dt {
	case tensor.F32:
		return dF32, nil
	case tensor.F16:
		return dF16, nil
	case tensor.BF16:
		return dBF16, nil
	}
	return 0, fmt.Errorf("%w: dtype %v", ErrWeight, dt)
}

// packPanels writes w (N,K), row-major, as the module's panels (see the
// package comment) into dst, which has panels(N)·8·K elements.
func packPanels[E float32 | uint16](dst, w []E, N, K int) {
	clear(dst)
	for n := 0; n < N; n++ {
		p, j := n/8, n%8
		row := w[n*K : n*K+K]
		base := p * K * 8
		for k, v := range row {
			dst[base+k*8+j] = v
		}
	}
}

// finiteHalves says whether no f16 pattern in h is ±Inf or a NaN (all
// exponent bits set).
func finiteHalves(h []uint16) bool {
	for _, v := range h {
		if v&0x7c00 == 0x7c00 {
			return false
		}
	}
	return true
}

// unpackRows writes rows [from, from+n) of an (N,K) weight into dst (n·K
// values) from its panels src, which start at panel from/8.
func unpackRows[E float32 | uint16](dst, src []E, from, n, K int) {
	p0 := from / 8
	for r := 0; r < n; r++ {
		row := from + r
		base := (row/8-p0)*K*8 + row%8
		d := dst[r*K : r*K+K]
		for k := range d {
			d[k] = src[base+k*8]
		}
	}
}
