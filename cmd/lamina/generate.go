package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

func init() {
	register("generate", "generate text: --model DIR|FILE.gguf|URL (--prompt TEXT | --ids 1,2,3) --max-new-tokens N [--temperature T --top-k K --top-p P --seed S --repetition-penalty R] [--draft-exit E|auto | --draft-model DIR] [--draft-tokens K] [--early-exit-threshold X] [--json]", runGenerate)
}

// runGenerate streams generated text to stdout (or, without a
// tokenizer.json, the generated ids separated by spaces). With --json it
// prints one object {"ids": [generated ids], "text": "decoded ids"} at the
// end instead. A final EOS token is kept in "ids" but not decoded into the
// text; a --stop string ends the text just before it (the token that
// completed it is the last id).
func runGenerate(args []string) error {
	fs := newFlagSet("generate")
	dir := fs.String("model", "", modelFlagHelp)
	prompt := fs.String("prompt", "", "prompt text (needs tokenizer.json in the model folder)")
	idsFlag := fs.String("ids", "", "prompt as comma-separated token ids")
	maxNew := fs.Int("max-new-tokens", model.DefaultMaxNewTokens, "number of tokens to generate at most (default: generation_config.json's, else 32)")
	temp := fs.Float64("temperature", 0, "sampling temperature; 0 is greedy decoding (default: generation_config.json's when it sets do_sample, else 0)")
	topK := fs.Int("top-k", 0, "keep the K most likely tokens (0: off; default as --temperature)")
	topP := fs.Float64("top-p", 0, "nucleus sampling threshold (0 or 1: off; default as --temperature)")
	seed := fs.Uint64("seed", 0, "sampling seed")
	rep := fs.Float64("repetition-penalty", 1, "repetition penalty (1: off)")
	ignoreEOS := fs.Bool("ignore-eos", false, "keep generating past end-of-sequence tokens")
	var stops stringList
	fs.Var(&stops, "stop", "stop once the generated text contains this string (repeatable)")
	draftExitFlag := fs.String("draft-exit", "0", "LayerSkip self-speculative decoding: draft with the first E layers (0: off; greedy output is unchanged); auto: measure and decide (model.PlanSpeculation)")
	draftModel := fs.String("draft-model", "", "speculative decoding with a separate small draft model folder sharing the tokenizer (greedy output is unchanged)")
	draftTokens := fs.Int("draft-tokens", model.DefaultDraftTokens, "tokens drafted per round with --draft-exit")
	earlyExit := fs.Float64("early-exit-threshold", 0, "CALM-style early exit, greedy only and NOT exact: a token leaves after the first layer whose next-token probability reaches X (0: off)")
	asJSON := fs.Bool("json", false, `print {"ids": [...], "text": "..."} instead of streaming`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("--model is required")
	}
	autoExit := *draftExitFlag == "auto"
	draftExit := 0
	if !autoExit {
		var err error
		if draftExit, err = strconv.Atoi(*draftExitFlag); err != nil {
			return fmt.Errorf("--draft-exit %q: want a layer count or auto", *draftExitFlag)
		}
	}
	if (*prompt == "") == (*idsFlag == "") {
		return errors.New("give exactly one of --prompt and --ids")
	}
	src, err := openModelSource(context.Background(), *dir)
	if err != nil {
		return err
	}
	defer src.close()
	tok, err := src.tokenizer()
	if err != nil {
		return err
	}
	var ids []int32
	if *prompt != "" {
		if tok == nil {
			return fmt.Errorf("--prompt needs %s/tokenizer.json; use --ids", *dir)
		}
		// Like transformers' tokenizer(text): special tokens from the
		// post-processor (e.g. Llama's BOS) are added.
		if ids = tok.EncodeWithSpecial(*prompt); len(ids) == 0 {
			return errors.New("the prompt encodes to no tokens")
		}
	} else if ids, err = parseIDs(*idsFlag); err != nil {
		return err
	}
	if len(stops) > 0 && tok == nil {
		return errors.New("--stop needs a tokenizer.json in the model folder")
	}
	m, err := src.load(tensor.NewCPU())
	if err != nil {
		return err
	}
	defer m.Close()

	// Flags left out take generation_config.json's value, then the
	// built-in default: the resolution the worker and the browser share.
	req := model.Request{Seed: *seed, IgnoreEOS: *ignoreEOS, DraftExit: draftExit}
	if draftExit > 0 || *draftModel != "" {
		req.DraftTokens = *draftTokens
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "max-new-tokens":
			req.MaxNewTokens = maxNew
		case "temperature":
			req.Temperature = ptr(float32(*temp))
		case "top-k":
			req.TopK = topK
		case "top-p":
			req.TopP = ptr(float32(*topP))
		case "repetition-penalty":
			req.RepetitionPenalty = ptr(float32(*rep))
		}
	})
	opts := m.Options(req)
	opts.EarlyExitThreshold = float32(*earlyExit)
	if *draftModel != "" {
		dm, _, closeDraft, err := openModel(*draftModel)
		if err != nil {
			return fmt.Errorf("--draft-model: %w", err)
		}
		defer closeDraft()
		opts.DraftModel = dm
	}
	var plan *model.SpecPlan
	if autoExit {
		if opts.DraftModel != nil || opts.EarlyExitThreshold > 0 {
			return errors.New("--draft-exit auto does not combine with --draft-model or --early-exit-threshold")
		}
		p, err := m.PlanSpeculation(context.Background(), ids)
		if err != nil {
			return err
		}
		plan = &p
		opts.DraftExit = p.DraftExit
		opts.DraftTokens = p.DraftTokens
	}
	var stats model.SpecStats
	if opts.DraftExit > 0 || opts.DraftModel != nil || opts.EarlyExitThreshold > 0 || plan != nil {
		opts.Stats = &stats
	}
	isEOS := func(id int32) bool { return !opts.IgnoreEOS && slices.Contains(m.EOS, id) }
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	// The text streams through model.TextStream (the stop-string rule
	// included); without a tokenizer the ids are printed instead.
	var ts *model.TextStream
	if tok != nil {
		ts = model.NewTokenizerStream(tok, stops)
	}
	printed := 0
	onToken := func(id int32) bool {
		if isEOS(id) {
			return true // Generate ends after it; it has no text
		}
		if ts == nil {
			if !*asJSON {
				if printed > 0 {
					fmt.Fprint(stdout, " ")
				}
				fmt.Fprint(stdout, id)
				printed++
			}
			return true
		}
		delta, stopped := ts.Push(id)
		if !*asJSON {
			fmt.Fprint(stdout, delta)
		}
		return !stopped
	}
	start := time.Now()
	out, err := m.Generate(ctx, ids, opts, onToken)
	elapsed := time.Since(start).Seconds()
	text := ""
	if ts != nil {
		rest := ts.Finish()
		text = ts.Text()
		if !*asJSON {
			fmt.Fprint(stdout, rest)
		}
	}
	if !*asJSON {
		fmt.Fprintln(stdout)
	}
	if err != nil || !*asJSON {
		return err
	}
	if out == nil {
		out = []int32{}
	}
	var st *genStats
	if opts.Stats != nil {
		st = &genStats{Drafted: stats.Drafted, Accepted: stats.Accepted, Rounds: stats.Rounds, ExitLayers: stats.ExitLayers, Auto: plan}
		if elapsed > 0 {
			st.TokensPerS = float64(len(out)) / elapsed
		}
	}
	return json.NewEncoder(stdout).Encode(struct {
		IDs   []int32   `json:"ids"`
		Text  string    `json:"text"`
		Stats *genStats `json:"stats,omitempty"`
	}{out, text, st})
}

func ptr[T any](v T) *T { return &v }

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// genStats is --json's "stats" with --draft-exit or --early-exit-threshold:
// speculative decoding's counts, early exit's per-token exit layers and the whole generation's tokens per second (prefill included).
type genStats struct {
	Drafted    int     `json:"drafted"`
	Accepted   int     `json:"accepted"`
	Rounds     int     `json:"rounds"`
	TokensPerS float64 `json:"tokens_per_s"`
	ExitLayers []int   `json:"exit_layers,omitempty"`
	// Auto is --draft-exit auto's decision and its measurements.
	Auto *model.SpecPlan `json:"auto,omitempty"`
}
