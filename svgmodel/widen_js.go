//go:build js && wasm

package svgmodel

// widenModulation: under js/wasm the generic kernels widen f16 weights by table lookup inside
// every matrix-vector product, which makes the one-row modulation products (6 per block per
// caption per step) cost 1.6× their f32 form (BenchmarkVelocityOpsLayeredEmoji); widening
// those weights once at the first sample costs 5 MB more memory.
const widenModulation = true
