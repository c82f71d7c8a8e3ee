//go:build !(js && wasm)

package svgmodel

// widenModulation: natively the f16 matrix-vector kernel converts in registers and reads half
// the bytes, so the modulation weights stay f16.
const widenModulation = false
