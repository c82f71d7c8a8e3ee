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
