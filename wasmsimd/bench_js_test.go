//go:build js && wasm

package wasmsimd

import (
	"fmt"
	"syscall/js"
	"testing"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/tensor"
)

// BenchmarkMatMul times Engine.MatMul (copy x in, the kernel, copy out)
// for brown-20m's shapes; b.N products per run. F16 weights take the
// finite-f16 kernel; F16inf ones (one +Inf) the full widening; Q8 (per
// row), Q4 (groups of 32) and Q4g128 the quantized kernels.
func BenchmarkMatMul(b *testing.B) {
	e, err := load(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range [][3]int{{1, 384, 1024}, {1, 1024, 384}, {1, 384, 128}, {128, 384, 1024}} {
		T, K, N := s[0], s[1], s[2]
		for _, v := range []struct {
			dt  tensor.DType
			inf bool
		}{{tensor.F32, false}, {tensor.F16, false}, {tensor.F16, true}} {
			dt, name := v.dt, v.dt.String()
			bits := make([]uint16, N*K)
			if v.inf {
				bits[0], name = 0x7c00, name+"inf"
			}
			b.Run(fmt.Sprintf("%s/T%d_K%d_N%d", name, T, K, N), func(b *testing.B) {
				w, err := e.Hold(dt, N, K, make([]float32, N*K), bits)
				if err != nil {
					b.Fatal(err)
				}
				benchProducts(b, e, w, T, K, N, N*K*dt.Size())
			})
		}
		for _, q := range []struct {
			name        string
			bits, group int
		}{{"Q8", 8, 0}, {"Q4", 4, 32}, {"Q4g128", 4, 128}} {
			b.Run(fmt.Sprintf("%s/T%d_K%d_N%d", q.name, T, K, N), func(b *testing.B) {
				m, err := kernels.NewQMatrix(q.bits, N, K, q.group)
				if err != nil {
					b.Fatal(err)
				}
				w, err := e.HoldQuant(m)
				if err != nil {
					b.Fatal(err)
				}
				benchProducts(b, e, w, T, K, N, m.Bytes())
			})
		}
	}
}

// benchProducts times b.N products by the held w (released after).
func benchProducts(b *testing.B, e *Engine, w tensor.EngineWeight, T, K, N, bytes int) {
	defer e.Release(w)
	x, out := make([]float32, T*K), make([]float32, T*N)
	b.SetBytes(int64(bytes))
	c0 := cpuMicros()
	for b.Loop() {
		if err := e.MatMul(out, x, w, T); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, c0)
}

// cpuMicros is Node's process.cpuUsage() (user + system µs of the
// process), or -1 elsewhere: on a loaded machine the CPU time an op takes
// varies far less than its wall time.
func cpuMicros() float64 {
	p := js.Global().Get("process")
	if p.IsUndefined() || p.Get("cpuUsage").IsUndefined() {
		return -1
	}
	u := p.Call("cpuUsage")
	return u.Get("user").Float() + u.Get("system").Float()
}

// reportCPU reports the CPU ns per op since c0 (from cpuMicros).
func reportCPU(b *testing.B, c0 float64) {
	if c0 < 0 || b.N == 0 {
		return
	}
	b.ReportMetric((cpuMicros()-c0)*1e3/float64(b.N), "cpu-ns/op")
}

// BenchmarkRowOps times the row ops on the CPU backend with the engine
// (the module's ln, rope, attn_full; copies in and out included) against
// the plain CPU backend (Go), at the layered-emoji DiT's and brown-20m's
// shapes.
func BenchmarkRowOps(b *testing.B) {
	e, err := load(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	for _, be := range []struct {
		name string
		b    tensor.Backend
	}{{"simd", tensor.NewCPUWith(e)}, {"go", tensor.NewCPU()}} {
		up := func(shape ...int) tensor.Tensor {
			t, err := be.b.UploadF32(shape, make([]float32, tensor.NumElements(shape)))
			if err != nil {
				b.Fatal(err)
			}
			return t
		}
		run := func(name string, op func()) {
			b.Run(name+"/"+be.name, func(b *testing.B) {
				c0 := cpuMicros()
				for b.Loop() {
					op()
				}
				if _, err := be.b.Read(up(1), 0, -1); err != nil {
					b.Fatal(err)
				}
				reportCPU(b, c0)
			})
		}
		x, w, bias := up(192, 128), up(128), up(128)
		run("LayerNorm/T192_C128", func() { be.b.LayerNorm(x, x, w, bias, 1e-5) })
		q, f := up(128, 384), up(32)
		run("RoPE/T128_H6_D64", func() { be.b.RoPE(q, f, 6, 64, 0) })
		q1 := up(1, 384)
		run("RoPE/T1_H6_D64", func() { be.b.RoPE(q1, f, 6, 64, 200) })
		fo := be.b.(tensor.DiffusionOps)
		aq, ak, av, ao := up(96, 128), up(48, 128), up(48, 128), up(96, 128)
		run("AttentionFull/H4_D32_Tq96_Tk48", func() { fo.AttentionFull(ao, aq, ak, av, 4, 32, 0.17) })
	}
}
