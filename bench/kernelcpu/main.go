//go:build linux

// Command kernelcpu measures lamina's matmul kernels at SmolLM2-135M's
// shapes in GFLOP/s per second of *thread CPU time* (getrusage
// RUSAGE_THREAD) on one locked thread, so that the figures stay meaningful on
// a machine shared with other jobs, where wall-clock benchmarks
// (go test -bench ./kernels/) swing with the load. It runs with the worker
// pool off (GOMAXPROCS=1 is forced), i.e. per-core kernel speed.
//
//	go run ./bench/kernelcpu [-dtype f16] [-t 1,128]
//
// LAMINA_KERNELS=avx2 or =generic selects a kernel set to compare.
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lamina-ml/lamina/kernels"
)

// threadCPU is this OS thread's user+system CPU time.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	dtype := flag.String("dtype", "f16", "weight dtype: f32, f16, bf16, q8 (int8 per row), q4 (4-bit, groups of 32) or q4g128")
	ts := flag.String("t", "1,128", "comma-separated row counts T")
	minCPU := flag.Duration("min", 200*time.Millisecond, "CPU time per measurement (best of 5)")
	flag.Parse()
	runtime.GOMAXPROCS(1)
	runtime.LockOSThread()
	fmt.Printf("kernels %s, dtype %s, one thread, GFLOP/s per CPU-second (best of 5)\n", kernels.Name(), *dtype)
	r := rand.New(rand.NewPCG(1, 2))
	for _, tstr := range strings.Split(*ts, ",") {
		T, err := strconv.Atoi(tstr)
		if err != nil || T < 1 {
			fmt.Fprintf(os.Stderr, "kernelcpu: bad -t entry %q\n", tstr)
			os.Exit(2)
		}
		for _, s := range []struct {
			name string
			K, N int
		}{{"q/o 576x576", 576, 576}, {"gate/up 1536x576", 576, 1536}, {"down 576x1536", 1536, 576}} {
			x := make([]float32, T*s.K)
			wf := make([]float32, s.N*s.K)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			for i := range wf {
				wf[i] = float32(r.NormFloat64())
			}
			h := make([]uint16, len(wf))
			for i, v := range wf {
				if *dtype == "bf16" {
					h[i] = uint16(math.Float32bits(v) >> 16) // truncation is fine for timing
				} else {
					h[i] = kernels.F32ToF16(v)
				}
			}
			out := make([]float32, T*s.N)
			var run func()
			var q *kernels.QMatrix
			switch *dtype {
			case "q8", "q4", "q4g128":
				bits, group := 4, 32
				if *dtype == "q8" {
					bits = 8
				} else if *dtype == "q4g128" {
					group = 128
				}
				if q, err = kernels.QuantizeRTN(wf, s.N, s.K, bits, group); err != nil {
					panic(err)
				}
			}
			switch *dtype {
			case "q8", "q4", "q4g128":
				run = func() { kernels.MatMulQ(out, x, q, T) }
			case "f32":
				run = func() { kernels.MatMulF32(out, x, wf, T, s.K, s.N) }
			case "f16":
				run = func() { kernels.MatMulF16(out, x, h, T, s.K, s.N) }
			case "bf16":
				run = func() { kernels.MatMulBF16(out, x, h, T, s.K, s.N) }
			default:
				fmt.Fprintf(os.Stderr, "kernelcpu: -dtype %q: want f32, f16, bf16, q8, q4 or q4g128\n", *dtype)
				os.Exit(2)
			}
			run()
			best := time.Duration(1 << 62)
			for rep := 0; rep < 5; rep++ {
				c0 := threadCPU()
				n := 0
				for threadCPU()-c0 < *minCPU {
					run()
					n++
				}
				best = min(best, (threadCPU()-c0)/time.Duration(n))
			}
			flops := float64(2 * T * s.K * s.N)
			fmt.Printf("  T=%-4d %-17s %7.1f GFLOP/s  (%.1f µs per call)\n", T, s.name, flops/best.Seconds()/1e9, best.Seconds()*1e6)
		}
	}
}
