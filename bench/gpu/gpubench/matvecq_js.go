//go:build js && wasm

package main

import (
	"fmt"
	"math"
	"time"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/webgpu"
)

// benchMatVecQ times the decode matvec out (1,N) = x (1,K) · wᵀ, w (N,K),
// with w in f16 and quantized (int8 per channel, int4 in groups of 32 and
// of 128) at one shape. A matvec reads every weight byte once, so weight
// bytes (the GPU buffer: codes, scales and mins for the quantized ones) over
// the time per product is its effective memory bandwidth; the f16 run at the
// same shape is the baseline the speedups are printed against. Each
// format's products are recorded back to back and submitted together (one
// Read at the end), so per-dispatch host cost is amortised as in a fused
// decode step. A few outputs are checked against float64 dot products of
// the same host weights (dequantized for the quantized formats).
func benchMatVecQ(be *webgpu.Backend, N, K, iters int) {
	r := rng(0x2545F4914F6CDD1D)
	xv := make([]float32, K)
	for i := range xv {
		xv[i] = r.f32(1)
	}
	x, err := be.UploadF32([]int{1, K}, xv)
	if err != nil {
		die(err)
	}
	out, err := be.Zeros(1, N)
	if err != nil {
		die(err)
	}
	var f16us float64
	for _, f := range []struct {
		name        string
		bits, group int
	}{{"f16", 0, 0}, {"q8", 8, 0}, {"q4_g32", 4, 32}, {"q4_g128", 4, 128}} {
		var w tensor.Tensor
		var bytes int
		var row func(n int) []float32 // host weights of row n, for the check
		if f.bits == 0 {
			wb := randBytes(&r, N*K, tensor.F16, float32(1/math.Sqrt(float64(K))))
			if w, err = be.Upload([]int{N, K}, tensor.F16, wb); err != nil {
				die(err)
			}
			bytes = len(wb)
			row = func(n int) []float32 {
				v := make([]float32, K)
				for k := range v {
					v[k] = kernels.F16ToF32(uint16(wb[2*(n*K+k)]) | uint16(wb[2*(n*K+k)+1])<<8)
				}
				return v
			}
		} else {
			m := randQMatrix(&r, f.bits, N, K, f.group)
			if w, err = be.UploadQuant(m); err != nil {
				die(err)
			}
			bytes = m.Bytes()
			row = func(n int) []float32 { return m.Rows(n, n+1).Dequantize() }
		}
		for i := 0; i < 3; i++ { // warm-up: pipeline creation, clocks
			be.MatMul(out, x, w, nil)
		}
		if _, err := be.Read(out, 0, 1); err != nil {
			die(err)
		}
		start := time.Now()
		for i := 0; i < iters; i++ {
			be.MatMul(out, x, w, nil)
		}
		got, err := be.Read(out, 0, 1)
		if err != nil {
			die(err)
		}
		el := time.Since(start).Seconds()
		var maxRel float64
		for _, n := range []int{0, 1, N / 2, N - 1} {
			var ref, mag float64
			for k, wv := range row(n) {
				p := float64(xv[k]) * float64(wv)
				ref += p
				mag += math.Abs(p)
			}
			maxRel = math.Max(maxRel, math.Abs(float64(got[n])-ref)/mag)
		}
		us := el / float64(iters) * 1e6
		if f.bits == 0 {
			f16us = us
		}
		emit(map[string]any{"metric": "matvec_q", "format": f.name, "n": N, "k": K, "iters": iters,
			"us_per_matvec": us, "weight_bytes": bytes, "gb_per_s": float64(bytes) / (us * 1e-6) / 1e9,
			"speedup_vs_f16": f16us / us, "max_rel_err": maxRel})
		be.Free(w)
	}
	be.Free(x)
	be.Free(out)
}

// randQMatrix is a (N,K) quantized matrix with random codes and scales
// (quantizing random floats would take minutes in wasm at these sizes;
// the timing depends on the layout, not on the values).
func randQMatrix(r *rng, bits, N, K, group int) *kernels.QMatrix {
	m, err := kernels.NewQMatrix(bits, N, K, group)
	if err != nil {
		die(err)
	}
	for i := 0; i+8 <= len(m.Q); i += 8 {
		x := uint64(*r)
		x ^= x >> 12
		x ^= x << 25
		x ^= x >> 27
		*r = rng(x)
		for j := 0; j < 8; j++ {
			m.Q[i+j] = byte(x >> (8 * j))
		}
	}
	s := float32(1 / math.Sqrt(float64(K)))
	for i := range m.Scale {
		m.Scale[i] = s * (0.5 + 0.5*float32(math.Abs(float64(r.f32(1))))) / 8
		if m.Min != nil {
			m.Min[i] = -8 * m.Scale[i]
		}
	}
	// The random codes fill the padding columns too; the kernels never
	// read past K, and Dequantize (the check) stops at K as well.
	if err := m.Validate(); err != nil {
		die(fmt.Errorf("random quantized matrix: %w", err))
	}
	return m
}
