package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

func init() {
	register("bench", "CPU prefill/decode throughput: random weights of a model shape (--shape S --dtype f16|q8|q4) or a model (--model DIR|FILE.gguf|URL)", runBench)
}

// benchShapes are the model shapes `lamina bench --shape` knows. Each is the
// config.json of the hub model it names (weights are random: throughput does
// not depend on their values).
var benchShapes = map[string]model.Config{
	// HuggingFaceTB/SmolLM2-135M: llama, tied embeddings.
	"smollm2-135m": {
		Arch: model.Llama, VocabSize: 49152, Hidden: 576, Layers: 30, Heads: 9, KVHeads: 3,
		HeadDim: 64, Intermediate: 1536, MaxPositions: 8192, NormEps: 1e-5, RopeTheta: 100000,
		TieWordEmbeddings: true, BOSTokenID: -1,
	},
	// models/lamina-brown-20m: llama, tied embeddings.
	"lamina-brown-20m": {
		Arch: model.Llama, VocabSize: 4096, Hidden: 384, Layers: 12, Heads: 6, KVHeads: 2,
		HeadDim: 64, Intermediate: 1024, MaxPositions: 512, NormEps: 1e-5, RopeTheta: 10000,
		TieWordEmbeddings: true, BOSTokenID: -1,
	},
	// tiny is for the command's own test: seconds, not minutes.
	"tiny": {
		Arch: model.Llama, VocabSize: 512, Hidden: 64, Layers: 2, Heads: 4, KVHeads: 2,
		HeadDim: 16, Intermediate: 128, MaxPositions: 256, NormEps: 1e-5, RopeTheta: 10000,
		TieWordEmbeddings: true, BOSTokenID: -1,
	},
}

// benchResult is what --json prints. Throughputs are medians over reps.
type benchResult struct {
	Shape   string `json:"shape"`
	DType   string `json:"dtype"`
	Params  int64  `json:"params"`
	Kernels string `json:"kernels"`
	// QuantKernels is the set the Q8/Q4 matrices run on ("avx2", also on
	// an AVX-512 machine, "avx2+vnni" where the CPU has AVX-512 VNNI for
	// the Q4 group-32 matvec, or "generic") and how decode takes x with
	// them: "avx2/int8" (activations quantized to int8 blocks) or ".../f32".
	QuantKernels string    `json:"quant_kernels"`
	Threads      int       `json:"threads"`
	PromptLen    int       `json:"prompt_len"`
	NewTokens    int       `json:"new_tokens"`
	Reps         int       `json:"reps"`
	BuildS       float64   `json:"build_s"`
	PrefillTokS  float64   `json:"prefill_tok_s"`
	DecodeTokS   float64   `json:"decode_tok_s"`
	PrefillRuns  []float64 `json:"prefill_runs_tok_s"`
	DecodeRuns   []float64 `json:"decode_runs_tok_s"`
	// PrefillCPUTokS and DecodeCPUTokS are tokens per second of process
	// CPU time (all threads), medians over reps: on a machine shared with
	// other jobs they show the work per token, which wall-clock throughput
	// cannot. Absent where the platform has no process CPU clock.
	PrefillCPUTokS *float64 `json:"prefill_tok_per_cpu_s,omitempty"`
	DecodeCPUTokS  *float64 `json:"decode_tok_per_cpu_s,omitempty"`
	// PeakRSSMiB is VmHWM from /proc/self/status; absent where there is none.
	PeakRSSMiB *float64 `json:"peak_rss_mib,omitempty"`
}

func runBench(args []string) error { return benchTo(stdout, args) }

// benchTo runs the benchmark and prints its figures to w.
func benchTo(w io.Writer, args []string) error {
	fs := newFlagSet("bench")
	shape := fs.String("shape", "smollm2-135m", "model shape: "+strings.Join(slices.Sorted(maps.Keys(benchShapes)), ", "))
	modelSrc := fs.String("model", "", "instead of --shape: time this "+modelFlagHelp+"; its weights keep their dtype (GGUF: Q8_0/Q4_0 as q8/q4, other quantized types as f16)")
	dtype := fs.String("dtype", "f16", "weight dtype: f32, f16, bf16, q8 (int8 per channel) or q4 (4-bit, groups of 32); q8/q4 quantize every matrix, the tied embedding / lm_head included")
	promptLen := fs.Int("prompt-len", 128, "prompt tokens for prefill")
	newTokens := fs.Int("new-tokens", 128, "tokens to decode (greedy, KV cache)")
	reps := fs.Int("reps", 3, "repetitions; figures are medians")
	seed := fs.Uint64("seed", 1, "seed for weights and prompt")
	asJSON := fs.Bool("json", false, "print one JSON object")
	cpuProfile := fs.String("cpuprofile", "", "write a pprof CPU profile of the timed runs to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	shapeSet, dtypeSet := false, false
	fs.Visit(func(f *flag.Flag) {
		shapeSet = shapeSet || f.Name == "shape"
		dtypeSet = dtypeSet || f.Name == "dtype"
	})
	var (
		m     *model.Model
		cfg   model.Config
		dt    tensor.DType
		err   error
		start = time.Now()
	)
	if *modelSrc != "" {
		if shapeSet || dtypeSet {
			return errors.New("--model times the model's own weights: it does not combine with --shape or --dtype")
		}
		var closeModel func() error
		if m, _, closeModel, err = openModel(*modelSrc); err != nil {
			return err
		}
		defer closeModel()
		cfg = m.Config
		*shape = *modelSrc
	} else {
		var ok bool
		if cfg, ok = benchShapes[*shape]; !ok {
			return fmt.Errorf("unknown shape %q (known: %s)", *shape, strings.Join(slices.Sorted(maps.Keys(benchShapes)), ", "))
		}
		if dt, err = parseBenchDType(*dtype); err != nil {
			return err
		}
	}
	if *promptLen < 1 || *newTokens < 1 || *reps < 1 {
		return errors.New("--prompt-len, --new-tokens and --reps must be at least 1")
	}
	if *promptLen+*newTokens > cfg.MaxPositions {
		return fmt.Errorf("%d+%d positions exceed the shape's %d", *promptLen, *newTokens, cfg.MaxPositions)
	}

	weights := ""
	if m == nil {
		if m, err = model.NewRandom(cfg, tensor.NewCPU(), dt, *seed); err != nil {
			return err
		}
		defer m.Close()
		weights = dt.String()
	} else {
		weights = modelDTypes(m)
	}
	res := benchResult{
		Shape: *shape, DType: weights, Params: shapeParams(cfg), Kernels: kernels.Name(),
		QuantKernels: kernels.QuantKernelsName() + "/" + kernels.QuantDotName(),
		Threads:      kernels.Workers(), PromptLen: *promptLen, NewTokens: *newTokens, Reps: *reps,
		BuildS: time.Since(start).Seconds(),
	}
	sess, err := m.NewSession(*promptLen + *newTokens)
	if err != nil {
		return err
	}
	defer sess.Close()
	rng := rand.New(rand.NewPCG(*seed, 0))
	prompt := make([]int32, *promptLen)
	for i := range prompt {
		prompt[i] = int32(rng.IntN(cfg.VocabSize))
	}

	// One untimed pass warms the worker pool, page-faults the activations
	// and brings the weights into cache the way a second request would.
	if _, _, err := benchOnce(sess, prompt, min(*newTokens, 4)); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var preCPU, decCPU []float64
	for r := 0; r < *reps; r++ {
		pre, dec, err := benchOnce(sess, prompt, *newTokens)
		if err != nil {
			return err
		}
		res.PrefillRuns = append(res.PrefillRuns, float64(*promptLen)/pre.wall.Seconds())
		res.DecodeRuns = append(res.DecodeRuns, float64(*newTokens)/dec.wall.Seconds())
		if pre.cpu > 0 && dec.cpu > 0 {
			preCPU = append(preCPU, float64(*promptLen)/pre.cpu.Seconds())
			decCPU = append(decCPU, float64(*newTokens)/dec.cpu.Seconds())
		}
	}
	res.PrefillTokS = median(res.PrefillRuns)
	res.DecodeTokS = median(res.DecodeRuns)
	if len(preCPU) == *reps {
		p, d := median(preCPU), median(decCPU)
		res.PrefillCPUTokS, res.DecodeCPUTokS = &p, &d
	}
	if rss, ok := peakRSSMiB(); ok {
		res.PeakRSSMiB = &rss
	}

	if *asJSON {
		return json.NewEncoder(w).Encode(res)
	}
	fmt.Fprintf(w, "lamina bench: shape %s (%.1fM params), weights %s, kernels %s (quantized: %s), %d threads\n",
		res.Shape, float64(res.Params)/1e6, res.DType, res.Kernels, res.QuantKernels, res.Threads)
	fmt.Fprintf(w, "  prefill  %4d tokens: %8.1f tokens/s  (median of %d: %s)\n", *promptLen, res.PrefillTokS, *reps, fmtRuns(res.PrefillRuns))
	fmt.Fprintf(w, "  decode   %4d tokens: %8.1f tokens/s  (median of %d: %s)\n", *newTokens, res.DecodeTokS, *reps, fmtRuns(res.DecodeRuns))
	if res.PrefillCPUTokS != nil {
		fmt.Fprintf(w, "  per CPU-second (all threads): prefill %.1f tokens, decode %.1f tokens\n", *res.PrefillCPUTokS, *res.DecodeCPUTokS)
	}
	if res.PeakRSSMiB != nil {
		fmt.Fprintf(w, "  peak RSS: %.0f MiB\n", *res.PeakRSSMiB)
	}
	return nil
}

// span is one timed phase: wall-clock and process CPU time (0 if unknown).
type span struct{ wall, cpu time.Duration }

// timer measures a span from its start.
type timer struct {
	wall  time.Time
	cpu   time.Duration
	cpuOK bool
}

func startTimer() timer {
	c, ok := processCPUTime()
	return timer{wall: time.Now(), cpu: c, cpuOK: ok}
}

func (t timer) stop() span {
	s := span{wall: time.Since(t.wall)}
	if c, ok := processCPUTime(); ok && t.cpuOK {
		s.cpu = c - t.cpu
	}
	return s
}

// benchOnce prefills prompt into an emptied session, then decodes n tokens
// greedily (each step feeds back the argmax, as generation does), and
// returns the two spans.
func benchOnce(sess *model.Session, prompt []int32, n int) (prefill, decode span, err error) {
	sess.Reset()
	t := startTimer()
	next, err := sess.PrefillArgmax(prompt)
	if err != nil {
		return span{}, span{}, fmt.Errorf("prefill: %w", err)
	}
	prefill = t.stop()
	t = startTimer()
	for i := 0; i < n; i++ {
		if next, err = sess.StepArgmax(next); err != nil {
			return span{}, span{}, fmt.Errorf("decode step %d: %w", i, err)
		}
	}
	return prefill, t.stop(), nil
}

func parseBenchDType(s string) (tensor.DType, error) {
	switch strings.ToLower(s) {
	case "f32":
		return tensor.F32, nil
	case "f16":
		return tensor.F16, nil
	case "bf16":
		return tensor.BF16, nil
	case "q8":
		return tensor.Q8, nil
	case "q4":
		return tensor.Q4, nil
	}
	return 0, fmt.Errorf("--dtype %q: want f32, f16, bf16, q8 or q4", s)
}

// shapeParams counts the weights of a llama-shaped config (norms included).
func shapeParams(c model.Config) int64 {
	C, I, V := int64(c.Hidden), int64(c.Intermediate), int64(c.VocabSize)
	QW, KW := int64(c.Heads*c.HeadDim), int64(c.KVHeads*c.HeadDim)
	layer := C*QW + 2*C*KW + QW*C + 3*C*I + 2*C
	n := V*C + int64(c.Layers)*layer + C
	if !c.TieWordEmbeddings {
		n += V * C
	}
	return n
}

// peakRSSMiB reads the resident-set high-water mark (VmHWM) that Linux
// keeps in /proc/self/status; ok is false on systems without it.
func peakRSSMiB() (float64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, found := strings.CutPrefix(line, "VmHWM:"); found {
			f := strings.Fields(rest) // "123456 kB"
			if len(f) == 2 && f[1] == "kB" {
				if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
					return kb / 1024, true
				}
			}
		}
	}
	return 0, false
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtRuns(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strings.Join(parts, ", ")
}

// modelDTypes names the dtypes of a loaded model's matrices with their
// counts, e.g. "Q8×7 F16×3".
func modelDTypes(m *model.Model) string {
	n := map[string]int{}
	for _, l := range m.Linears() {
		n[l.W.DType().String()]++
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(n)) {
		parts = append(parts, fmt.Sprintf("%s×%d", k, n[k]))
	}
	return strings.Join(parts, " ")
}
