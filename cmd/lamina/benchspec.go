package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

func init() {
	register("bench-spec", "self-speculative vs plain greedy decode tokens/s and acceptance: --model DIR|FILE.gguf|URL --prompt TEXT [--exits 4,8 --draft-tokens 2,4,6 --max-new-tokens N --reps R]", runBenchSpec)
}

// specConfig is one (E, K) of bench-spec; E 0 is plain decoding, E -1
// the --draft-model. bare drafts with the plain exit although the model
// has a draft adapter for E (model.DraftAdapterFile).
type specConfig struct {
	E, K int
	bare bool
}

// runBenchSpec times greedy decoding of one prompt, plain and with every
// (exit, draft tokens) pair, interleaved: each rep runs every configuration
// once in turn, so load on a shared machine falls on all of them alike. The
// decode rate is (generated − 1) tokens over the time from the first token
// (after the prefill) to the last; it reports medians, the ratio of medians
// to plain, and the acceptance rate, and checks every run's ids equal plain
// decoding's.
func runBenchSpec(args []string) error {
	fs := newFlagSet("bench-spec")
	dir := fs.String("model", "", modelFlagHelp)
	prompt := fs.String("prompt", "The old man walked down the road and", "prompt text")
	exits := fs.String("exits", "4,8", "draft exit layers E, comma-separated")
	tokens := fs.String("draft-tokens", "2,4,6", "draft lengths K, comma-separated")
	maxNew := fs.Int("max-new-tokens", 64, "tokens to generate per run (EOS ignored)")
	reps := fs.Int("reps", 5, "interleaved repetitions")
	shape := fs.String("shape", "", "instead of --model, random f16 weights of a bench shape (smollm2-135m, tiny) and a random-id prompt: a model not trained for early exit")
	draftDir := fs.String("draft-model", "", "also time speculation with this draft model folder, for every --draft-tokens K")
	auto := fs.Bool("auto", false, "also print model.PlanSpeculation's decision (what --draft-exit auto would do) and time it as a config")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*dir == "") == (*shape == "") {
		return errors.New("give exactly one of --model and --shape")
	}
	if *maxNew < 2 || *reps < 1 {
		return errors.New("--max-new-tokens must be at least 2 and --reps at least 1")
	}
	Es, err := parseInts(*exits)
	if err != nil {
		return err
	}
	Ks, err := parseInts(*tokens)
	if err != nil {
		return err
	}
	var m *model.Model
	var ids []int32
	if *shape != "" {
		cfg, ok := benchShapes[*shape]
		if !ok {
			return fmt.Errorf("unknown shape %q", *shape)
		}
		if m, err = model.NewRandom(cfg, tensor.NewCPU(), tensor.F16, 1); err != nil {
			return err
		}
		r := model.NewRNG(2)
		for range 9 {
			ids = append(ids, int32(r.Uint64()%uint64(cfg.VocabSize)))
		}
	} else {
		src, err := openModelSource(context.Background(), *dir)
		if err != nil {
			return err
		}
		defer src.close()
		tok, err := src.tokenizer()
		if err != nil {
			return err
		}
		if tok == nil {
			return fmt.Errorf("%s has no tokenizer.json", *dir)
		}
		if ids = tok.EncodeWithSpecial(*prompt); len(ids) == 0 {
			return errors.New("the prompt encodes to no tokens")
		}
		if m, err = src.load(tensor.NewCPU()); err != nil {
			return err
		}
	}
	defer m.Close()
	var plan *model.SpecPlan
	if *auto {
		start := time.Now()
		p, err := m.PlanSpeculation(context.Background(), ids)
		if err != nil {
			return err
		}
		plan = &p
		fmt.Fprintf(stdout, "auto (%.2f s to plan): %s\n", time.Since(start).Seconds(), p.Reason)
		fmt.Fprintf(stdout, "  probe over %d positions:", p.ProbePositions)
		for _, ea := range p.Probe {
			fmt.Fprintf(stdout, " E=%d %.2f", ea.Exit, ea.Acceptance)
		}
		fmt.Fprintf(stdout, "\n  costs per layer: 1 row %.3g s, head %.3g s, verify rows 2..%d:", p.Costs.Layer, p.Costs.Head, len(p.Costs.Verify)-1)
		for T := 2; T < len(p.Costs.Verify); T++ {
			if v := p.Costs.Verify[T]; v > 0 {
				fmt.Fprintf(stdout, " %d:%.2fx", T, v/p.Costs.Layer)
			}
		}
		fmt.Fprintln(stdout)
	}

	// With a draft adapter for E, each (E, K) runs twice: the bare exit,
	// then the adapter.
	cfgs := []specConfig{{}}
	for _, E := range Es {
		ad := slices.Contains(m.DraftAdapterExits(), E)
		for _, K := range Ks {
			if ad {
				cfgs = append(cfgs, specConfig{E, K, true})
			}
			cfgs = append(cfgs, specConfig{E: E, K: K})
		}
	}
	var draft *model.Model
	if *draftDir != "" {
		var closeDraft func() error
		if draft, _, closeDraft, err = openModel(*draftDir); err != nil {
			return fmt.Errorf("--draft-model: %w", err)
		}
		defer closeDraft()
		for _, K := range Ks {
			cfgs = append(cfgs, specConfig{E: -1, K: K})
		}
	}
	if plan != nil && plan.DraftExit > 0 && !slices.Contains(cfgs, specConfig{E: plan.DraftExit, K: plan.DraftTokens}) {
		cfgs = append(cfgs, specConfig{E: plan.DraftExit, K: plan.DraftTokens})
	}
	rates := make([][]float64, len(cfgs))
	cpuRates := make([][]float64, len(cfgs)) // per process CPU second: the work, whatever the load
	stats := make([]model.SpecStats, len(cfgs))
	var want []int32
	ctx := context.Background()
	for range *reps {
		for ci, c := range cfgs {
			var st model.SpecStats
			o := model.GenerateOptions{MaxNewTokens: *maxNew, IgnoreEOS: true, DraftExit: c.E, DraftTokens: c.K, BareExit: c.bare, Stats: &st}
			if c.E < 0 {
				o.DraftExit, o.DraftModel = 0, draft
			}
			var first time.Time
			var firstCPU time.Duration
			cpuOK := false
			out, err := m.Generate(ctx, ids, o, func(int32) bool {
				if first.IsZero() {
					first = time.Now()
					firstCPU, cpuOK = processCPUTime()
				}
				return true
			})
			end := time.Now()
			if c, ok := processCPUTime(); ok && cpuOK {
				cpuRates[ci] = append(cpuRates[ci], float64(len(out)-1)/(c-firstCPU).Seconds())
			}
			if err != nil {
				return err
			}
			if ci == 0 && want == nil {
				want = out
			} else if !slices.Equal(out, want) {
				return fmt.Errorf("E=%d K=%d (E -1: the draft model): ids differ from plain greedy decoding", c.E, c.K)
			}
			rates[ci] = append(rates[ci], float64(len(out)-1)/end.Sub(first).Seconds())
			stats[ci] = st
		}
	}
	fmt.Fprintf(stdout, "lamina bench-spec: %s, %d layers, %d prompt tokens, %d new tokens, %d threads, %d interleaved reps, greedy (ids checked equal)\n",
		cmp.Or(*dir, *shape+" (random weights)"), m.Config.Layers, len(ids), *maxNew, kernels.Workers(), *reps)
	fmt.Fprintf(stdout, "%-14s %8s %10s %14s %8s %14s %8s\n", "config", "accept", "drafted", "decode tok/s", "ratio", "tok/CPU-s", "ratio")
	base := median(rates[0])
	cpuBase := 0.0
	if len(cpuRates[0]) > 0 {
		cpuBase = median(cpuRates[0])
	}
	for ci, c := range cfgs {
		name, acc, drafted := "plain", "-", "-"
		if c.E != 0 {
			name = fmt.Sprintf("E=%d K=%d", c.E, c.K)
			if slices.Contains(m.DraftAdapterExits(), c.E) {
				name += map[bool]string{true: " bare", false: " +ad"}[c.bare]
			}
			if c.E < 0 {
				name = fmt.Sprintf("draft K=%d", c.K)
			}
			acc = fmt.Sprintf("%.2f", stats[ci].AcceptanceRate())
			drafted = strconv.Itoa(stats[ci].Drafted)
		}
		r := median(rates[ci])
		cpu, cpuRatio := "-", "-"
		if len(cpuRates[ci]) > 0 && cpuBase > 0 {
			c := median(cpuRates[ci])
			cpu, cpuRatio = fmt.Sprintf("%.1f", c), fmt.Sprintf("%.2fx", c/cpuBase)
		}
		fmt.Fprintf(stdout, "%-14s %8s %10s %14.1f %7.2fx %14s %8s\n", name, acc, drafted, r, r/base, cpu, cpuRatio)
	}
	return nil
}

func parseInts(s string) ([]int, error) {
	var v []int
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("bad number %q in %q", f, s)
		}
		v = append(v, n)
	}
	return v, nil
}
