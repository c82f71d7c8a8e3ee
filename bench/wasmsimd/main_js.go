//go:build js && wasm

// Command wasmsimd compares, in one Node process, lamina's plain Go wasm CPU
// backend with the wasm-simd one (the CPU backend with its products on the
// SIMD128 kernel module) on a model directory: prefill and greedy decode
// tokens/s, rounds interleaved (cpu, simd, cpu, simd, …), medians and their
// ratio printed; with -svg, also seconds per layered-emoji sample (the SVG
// diffusion model, 24 steps); with -quant, also wasm-simd on quantized
// folders of the same model (`lamina quantize`), against its float weights.
// Run it through bench/wasmsimd/run.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall/js"
	"time"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/wasmsimd"
)

func main() {
	dir := flag.String("dir", "models/lamina-brown-20m", "model directory")
	promptLen := flag.Int("prompt-len", 128, "prompt tokens for prefill")
	newTokens := flag.Int("new-tokens", 128, "greedy tokens to decode")
	rounds := flag.Int("rounds", 5, "interleaved rounds; figures are medians")
	svg := flag.String("svg", "", "also time samples of this layered-SVG model directory")
	widen := flag.Bool("widen", false, "also run wasm-simd with f16/bf16 weights widened to f32 in the module (Engine.WidenHalf)")
	threads := flag.Int("threads", 0, "also run wasm-simd on this many threads (the calling one and workers over a shared memory)")
	minWork := flag.Int("min-work", wasmsimd.DefaultMinWork, "with -threads: the fewest multiply-adds a product needs to be split")
	flag.IntVar(&wasmsimd.WorkerSpin, "spin", wasmsimd.WorkerSpin, "with -threads: how many times a worker polls for a job before it sleeps")
	noCPU := flag.Bool("no-cpu", false, "leave out the plain Go wasm CPU backend (ratios are then against wasm-simd)")
	simdOnly := flag.Bool("simd-only", false, "the same as -no-cpu (wasm-simd alone): for profiling it with node --cpu-prof")
	quantDirs := flag.String("quant", "", "comma-separated quantized folders of the same model: each also runs on wasm-simd (one thread)")
	flag.Parse()
	*noCPU = *noCPU || *simdOnly
	var quant []string
	if *quantDirs != "" {
		quant = strings.Split(*quantDirs, ",")
	}
	err := run(*dir, *promptLen, *newTokens, *rounds, *widen, *threads, *minWork, *noCPU, quant)
	if err == nil && *svg != "" {
		err = runSVG(*svg, *rounds)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmsimd bench:", err)
		os.Exit(1)
	}
}

type runner struct {
	name            string
	sess            *model.Session
	prefill, decode []float64 // tok/s per round
	// cpuPrefill and cpuDecode are tokens per CPU second (Node's
	// process.cpuUsage): on a loaded machine they vary far less than
	// the wall-clock figures, which count the time other processes run.
	cpuPrefill, cpuDecode []float64
	ids                   []int32 // greedy output of the last round
	quant                 bool    // a quantized folder (its greedy ids are its own)
}

func run(dir string, promptLen, newTokens, rounds int, widen bool, threads, minWork int, noCPU bool, quant []string) error {
	eng, err := wasmsimd.Load(context.Background())
	if err != nil {
		return err
	}
	bes := []tensor.Backend{tensor.NewCPU(), tensor.NewCPUWith(eng)}
	names := []string{"cpu", "wasm-simd"}
	if noCPU {
		bes, names = bes[1:], names[1:]
	}
	if threads > 1 {
		te, err := wasmsimd.Load(wasmsimd.WithThreads(context.Background(), threads))
		if err != nil {
			return err
		}
		e := te.(*wasmsimd.Engine)
		if e.Threads() != threads {
			return fmt.Errorf("wasm-simd got %d threads, not %d", e.Threads(), threads)
		}
		e.SetMinWork(minWork)
		defer e.Close()
		bes = append(bes, tensor.NewCPUWith(e))
		names = append(names, fmt.Sprintf("simd-%dt", threads))
		fmt.Printf("simd-%dt: products of ≥ %d multiply-adds split between %d threads; workers poll %d times before sleeping\n", threads, minWork, threads, wasmsimd.WorkerSpin)
	}
	if widen {
		wide, err := wasmsimd.Load(context.Background())
		if err != nil {
			return err
		}
		wide.(*wasmsimd.Engine).WidenHalf = true
		bes = append(bes, tensor.NewCPUWith(wide))
		names = append(names, "simd-f32")
	}
	dirs := make([]string, len(bes))
	for i := range dirs {
		dirs[i] = dir
	}
	// Each quantized folder on wasm-simd, and (unless noCPU) on the plain
	// Go backend: what wasm-simd ran such a folder with before it had
	// quantized kernels.
	for _, q := range quant {
		qe, err := wasmsimd.Load(context.Background())
		if err != nil {
			return err
		}
		bes = append(bes, tensor.NewCPUWith(qe))
		names = append(names, "simd-"+filepath.Base(q))
		dirs = append(dirs, q)
		if !noCPU {
			bes = append(bes, tensor.NewCPU())
			names = append(names, "cpu-"+filepath.Base(q))
			dirs = append(dirs, q)
		}
	}
	var rs []*runner
	vocab := 0
	for i, be := range bes {
		m, err := model.LoadDir(dirs[i], be)
		if err != nil {
			return err
		}
		defer m.Close()
		if promptLen+newTokens > m.Config.MaxPositions {
			return fmt.Errorf("%d+%d positions exceed the model's %d", promptLen, newTokens, m.Config.MaxPositions)
		}
		sess, err := m.NewSession(promptLen + newTokens)
		if err != nil {
			return err
		}
		defer sess.Close()
		vocab = m.Config.VocabSize
		rs = append(rs, &runner{name: names[i], sess: sess, quant: dirs[i] != dir})
	}
	rng := rand.New(rand.NewPCG(1, 0))
	prompt := make([]int32, promptLen)
	for i := range prompt {
		prompt[i] = int32(rng.IntN(vocab))
	}
	// One short untimed pass each: the SIMD module takes its weights on
	// first use.
	for _, r := range rs {
		if err := r.once(prompt, 4, false); err != nil {
			return err
		}
	}
	for i := 0; i < rounds; i++ {
		for _, r := range rs {
			if err := r.once(prompt, newTokens, true); err != nil {
				return err
			}
		}
	}
	same := true
	for _, r := range rs[1:] {
		same = same && (r.quant || slices.Equal(rs[0].ids, r.ids))
	}
	fmt.Printf("model %s, prompt %d, decode %d, %d interleaved rounds (medians), greedy ids identical: %v\n", dir, promptLen, newTokens, rounds, same)
	for _, r := range rs {
		if r.quant {
			n := 0
			for n < min(len(r.ids), len(rs[0].ids)) && r.ids[n] == rs[0].ids[n] {
				n++
			}
			fmt.Printf("%s: first %d of %d greedy ids the same as %s's (quantized weights)\n", r.name, n, len(r.ids), rs[0].name)
		}
	}
	fmt.Printf("%-10s %14s %14s %18s %18s\n", "backend", "prefill tok/s", "decode tok/s", "prefill tok/cpu-s", "decode tok/cpu-s")
	for _, r := range rs {
		fmt.Printf("%-10s %14.1f %14.1f %18.1f %18.1f\n", r.name, median(r.prefill), median(r.decode), median(r.cpuPrefill), median(r.cpuDecode))
	}
	for _, r := range rs[1:] {
		fmt.Printf("%-10s %13.2fx %13.2fx %17.2fx %17.2fx  (%s / %s)\n", "ratio", median(r.prefill)/median(rs[0].prefill), median(r.decode)/median(rs[0].decode),
			median(r.cpuPrefill)/median(rs[0].cpuPrefill), median(r.cpuDecode)/median(rs[0].cpuDecode), r.name, rs[0].name)
	}
	for i, r := range rs {
		if r.quant && !noCPU && strings.HasPrefix(r.name, "simd-") {
			base := rs[i+1]
			if !slices.Equal(r.ids, base.ids) {
				fmt.Printf("greedy ids of %s and %s differ\n", r.name, base.name)
				same = false
			}
			fmt.Printf("%-10s %13.2fx %13.2fx %17.2fx %17.2fx  (%s / %s)\n", "ratio", median(r.prefill)/median(base.prefill), median(r.decode)/median(base.decode),
				median(r.cpuPrefill)/median(base.cpuPrefill), median(r.cpuDecode)/median(base.cpuDecode), r.name, base.name)
		}
	}
	if threads > 1 && !noCPU {
		r, base := rs[len(rs)-1], rs[1]
		fmt.Printf("%-10s %13.2fx %13.2fx %17.2fx %17.2fx  (%s / %s)\n", "ratio", median(r.prefill)/median(base.prefill), median(r.decode)/median(base.decode),
			median(r.cpuPrefill)/median(base.cpuPrefill), median(r.cpuDecode)/median(base.cpuDecode), r.name, base.name)
	}
	if !same {
		return fmt.Errorf("greedy ids differ between the backends")
	}
	return nil
}

func (r *runner) once(prompt []int32, n int, record bool) error {
	s := r.sess
	s.Reset()
	t0, c0 := time.Now(), cpuSeconds()
	next, err := s.PrefillArgmax(prompt)
	if err != nil {
		return err
	}
	t1, c1 := time.Now(), cpuSeconds()
	ids := []int32{next}
	for i := 0; i < n; i++ {
		if next, err = s.StepArgmax(next); err != nil {
			return err
		}
		ids = append(ids, next)
	}
	t2, c2 := time.Now(), cpuSeconds()
	if record {
		r.prefill = append(r.prefill, float64(len(prompt))/t1.Sub(t0).Seconds())
		r.decode = append(r.decode, float64(n)/t2.Sub(t1).Seconds())
		r.cpuPrefill = append(r.cpuPrefill, float64(len(prompt))/(c1-c0))
		r.cpuDecode = append(r.cpuDecode, float64(n)/(c2-c1))
		r.ids = ids
	}
	return nil
}

// runSVG times one layered-emoji sample (default steps and guidance) per
// backend per round, interleaved, and checks the two samples agree.
func runSVG(dir string, rounds int) error {
	eng, err := wasmsimd.Load(context.Background())
	if err != nil {
		return err
	}
	bes := []tensor.Backend{tensor.NewCPU(), tensor.NewCPUWith(eng)}
	var ms []*svgmodel.Model
	for _, be := range bes {
		m, err := svgmodel.Load(os.DirFS(dir), be)
		if err != nil {
			return err
		}
		defer m.Close()
		ms = append(ms, m)
	}
	noise := svgmodel.Noise(1, ms[0].Config.Slots*ms[0].Config.Fields)
	opts := svgmodel.Options{Prompt: "red heart"}
	secs := make([][]float64, len(ms))
	cpuSecs := make([][]float64, len(ms))
	outs := make([][]float32, len(ms))
	for i := -1; i < rounds; i++ { // round -1 warms up
		for j, m := range ms {
			t0, c0 := time.Now(), cpuSeconds()
			out, err := m.Sample(context.Background(), noise, nil, nil, opts)
			if err != nil {
				return err
			}
			if i >= 0 {
				secs[j] = append(secs[j], time.Since(t0).Seconds())
				cpuSecs[j] = append(cpuSecs[j], cpuSeconds()-c0)
				outs[j] = out
			}
		}
	}
	worst := 0.0
	for i := range outs[0] {
		worst = max(worst, math.Abs(float64(outs[0][i]-outs[1][i])))
	}
	fmt.Printf("\nlayered-SVG model %s, %d steps, %d interleaved rounds (medians), max |sample difference| %.2g\n", dir, svgmodel.DefaultSteps, rounds, worst)
	for j, be := range bes {
		fmt.Printf("%-10s %10.2f s/sample %10.2f cpu-s/sample\n", be.Name(), median(secs[j]), median(cpuSecs[j]))
	}
	fmt.Printf("%-10s %10.2fx faster %10.2fx in cpu-s\n", "ratio", median(secs[0])/median(secs[1]), median(cpuSecs[0])/median(cpuSecs[1]))
	return nil
}

// cpuSeconds is the process's user + system CPU time (Node's
// process.cpuUsage), or NaN where there is no such call.
func cpuSeconds() float64 {
	p := js.Global().Get("process")
	if p.IsUndefined() || p.Get("cpuUsage").IsUndefined() {
		return math.NaN()
	}
	u := p.Call("cpuUsage")
	return (u.Get("user").Float() + u.Get("system").Float()) / 1e6
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
