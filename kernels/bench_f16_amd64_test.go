//go:build linux

package kernels

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// Before/after benchmarks of the f16 products at SmolLM2-135M shapes. The
// baseline is the AVX2 set as it was before matMulSmallF16: dot4F16asm
// four rows per call for T ≤ 2 (each row of x streaming the weights again),
// the tiled gemm for T ≥ 3. Each iteration runs every variant once in turn,
// so load on a shared machine falls on all alike. Weights cycle through
// copies totalling 192 MiB, more than any cache here, so every call reads
// them from memory as decode does (a model's weights are read once per
// token). Figures: GB/s of weights per second of process CPU time (all
// threads; it does not count time the process waits for a busy core) and
// per wall-clock second. Run
//
//	GOMAXPROCS=1 go test -run - -bench 'F16Decode|F16SmallT' -benchtime 2s ./kernels/
//
// and GOMAXPROCS=2 for the worker pool.

func f16Baseline() *kernelSet {
	ks := avx2Kernels
	ks.name = "avx2-baseline"
	ks.smallF16, ks.smallBF16, ks.smallT = nil, nil, 0
	return &ks
}

// processCPU is the process's CPU time (CLOCK_PROCESS_CPUTIME_ID).
func processCPU() time.Duration {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 2, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

// coldF16 returns copies of a random (N,K) f16 matrix totalling 192 MiB.
func coldF16(r *rand.Rand, K, N int) [][]uint16 {
	ws := make([][]uint16, (192<<20)/(2*K*N)+1)
	ws[0] = make([]uint16, K*N)
	for i := range ws[0] {
		ws[0][i] = uint16(r.Uint32()&0x3fff) ^ 0x2000 // |w| in [2^-15, 2)
	}
	for c := 1; c < len(ws); c++ {
		ws[c] = append([]uint16(nil), ws[0]...)
	}
	return ws
}

type f16Variant struct {
	name string
	ks   *kernelSet
	T    int
}

// benchF16Variants times the variants interleaved and returns seconds per
// call (CPU, wall) for each.
func benchF16Variants(b *testing.B, K, N int, vs []f16Variant) (cpu, wall []float64) {
	if !hasAVX2FMAF16C() {
		b.Skip("needs AVX2, FMA and F16C")
	}
	r := rand.New(rand.NewPCG(7, 8))
	ws := coldF16(r, K, N)
	maxT := 0
	for _, v := range vs {
		maxT = max(maxT, v.T)
	}
	x := randFloats(r, maxT*K)
	out := make([]float32, maxT*N)
	cpu, wall = make([]float64, len(vs)), make([]float64, len(vs))
	c := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, v := range vs {
			c0, w0 := processCPU(), time.Now()
			matMulF16With(v.ks, out, x, ws[c], v.T, K, N)
			wall[j] += time.Since(w0).Seconds()
			cpu[j] += (processCPU() - c0).Seconds()
			c = (c + 1) % len(ws)
		}
	}
	for j := range vs {
		cpu[j] /= float64(b.N)
		wall[j] /= float64(b.N)
	}
	return cpu, wall
}

// BenchmarkF16Decode: T=1, old kernel against new, GB/s of weights.
func BenchmarkF16Decode(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) {
			cpu, wall := benchF16Variants(b, s.K, s.N, []f16Variant{
				{"old", f16Baseline(), 1}, {"new", active, 1}})
			gb := float64(2*s.K*s.N) / 1e9
			b.ReportMetric(gb/cpu[0], "old_GB/cpu-s")
			b.ReportMetric(gb/cpu[1], "new_GB/cpu-s")
			b.ReportMetric(gb/wall[0], "old_GB/s")
			b.ReportMetric(gb/wall[1], "new_GB/s")
			b.ReportMetric(wall[0]/wall[1], "speedup")
		})
	}
}

// BenchmarkF16SmallT: a T-row product (speculative verification of T
// tokens) against one T=1 product, old and new: cost_T is time(T)/time(1)
// of the same kernels in CPU time, wall_cost_T the same in wall-clock time,
// speedup_T old T-row time over new, wall-clock.
func BenchmarkF16SmallT(b *testing.B) {
	for _, s := range benchShapes {
		for _, T := range []int{2, 4, 8} {
			b.Run(fmt.Sprintf("%s/T%d", s.name, T), func(b *testing.B) {
				old, nw := f16Baseline(), active
				cpu, wall := benchF16Variants(b, s.K, s.N, []f16Variant{
					{"old1", old, 1}, {"oldT", old, T}, {"new1", nw, 1}, {"newT", nw, T}})
				b.ReportMetric(cpu[1]/cpu[0], "old_cost_T")
				b.ReportMetric(cpu[3]/cpu[2], "new_cost_T")
				b.ReportMetric(wall[1]/wall[0], "old_wall_cost_T")
				b.ReportMetric(wall[3]/wall[2], "new_wall_cost_T")
				b.ReportMetric(wall[1]/wall[3], "speedup_T")
			})
		}
	}
}
