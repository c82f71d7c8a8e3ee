package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/quant"
)

func init() {
	register("quantize", "quantize a float llama/qwen2 folder: --model DIR --out DIR --bits 8|4|3 [--low-bits 3 --avg-bits 3.5 --score bi|zd|zd-rev] --method rtn|gptq --group 32|128 [--calib FILE]", runQuantize)
}

func runQuantize(args []string) error {
	fs := newFlagSet("quantize")
	dir := fs.String("model", "", "float model folder (config.json + safetensors + tokenizer.json)")
	out := fs.String("out", "", "output folder")
	bits := fs.Int("bits", 4, "width of the decoder linears: 8 (symmetric, per output channel), 4 or 3 (asymmetric, per group)")
	group := fs.Int("group", 32, "columns per scale for 4 and 3 bits: a multiple of 32 (32, 128), or 0 for per output channel")
	lowBits := fs.Int("low-bits", 0, "layer-wise mixed bits: the width of the least important layers (0: uniform)")
	avgBits := fs.Float64("avg-bits", 0, "layer-wise mixed bits: target average width over the decoder layers")
	score := fs.String("score", "bi", "layer importance for mixed bits: bi (ShortGPT block influence), zd (z-score distribution, smaller = more important), zd-rev")
	headBits := fs.Int("head-bits", -1, "width of lm_head / the tied embedding table (default: --bits, 4-bit heads in groups of --group; 0 keeps it float)")
	method := fs.String("method", "rtn", "rtn (round to nearest) or gptq")
	damp := fs.Float64("damp", 0.01, "GPTQ damping, as a fraction of the Hessian's mean diagonal")
	calib := fs.String("calib", "", "calibration text (UTF-8), tokenized with the model's tokenizer; needed by gptq and --score bi")
	calibTokens := fs.Int("calib-tokens", 16384, "calibration tokens to use (from the start of --calib)")
	calibWindow := fs.Int("calib-window", 0, "tokens per calibration forward pass (default: the model's context, at most 512)")
	calibCache := fs.String("calib-cache", "", "file caching the calibration (Hessians, block influence): read when it exists, else written, so several quantizations share one pass")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *out == "" {
		return errors.New("--model and --out are required")
	}
	opt := quant.Options{
		Spec: quant.Spec{Bits: *bits, Group: *group}, Method: *method, Damp: *damp, Score: *score,
		Head: quant.Spec{Bits: *bits, Group: *group}, CalibCache: *calibCache,
	}
	if *headBits >= 0 {
		opt.Head.Bits = *headBits
	}
	if *lowBits > 0 {
		if *avgBits <= float64(*lowBits) || *avgBits >= float64(*bits) {
			return fmt.Errorf("--avg-bits %v must lie between --low-bits %d and --bits %d", *avgBits, *lowBits, *bits)
		}
		opt.Low = quant.Spec{Bits: *lowBits, Group: *group}
		opt.AvgBits = *avgBits
	}
	var windows [][]int32
	if *calib != "" {
		text, err := os.ReadFile(*calib)
		if err != nil {
			return err
		}
		tok, err := loadTokenizer(*dir)
		if err != nil {
			return err
		}
		if tok == nil {
			return fmt.Errorf("%s has no tokenizer.json", *dir)
		}
		cfg, err := readConfig(*dir)
		if err != nil {
			return err
		}
		w := *calibWindow
		if w <= 0 {
			w = min(cfg.MaxPositions, 512)
		}
		if w > cfg.MaxPositions {
			return fmt.Errorf("--calib-window %d exceeds the model's context %d", w, cfg.MaxPositions)
		}
		ids := tok.EncodeWithSpecial(string(text))
		if len(ids) > *calibTokens {
			ids = ids[:*calibTokens]
		}
		for s := 0; s+w <= len(ids); s += w {
			windows = append(windows, ids[s:s+w])
		}
		if len(windows) == 0 && len(ids) >= 2 {
			windows = append(windows, ids)
		}
	}
	rep, err := quant.QuantizeFolder(*dir, *out, windows, opt, os.Stderr)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	fmt.Fprintf(stdout, "lamina quantize: %s → %s, %s, %d-bit (group %d), %d calibration tokens, %.1f s\n", *dir, *out, rep.Method, rep.Bits, rep.Group, rep.CalibTok, rep.Seconds)
	fmt.Fprintf(stdout, "  weights %.2f MB → %.2f MB (%.2fx)\n", float64(rep.BytesIn)/1e6, float64(rep.BytesOut)/1e6, float64(rep.BytesIn)/float64(rep.BytesOut))
	fmt.Fprintf(stdout, "  layer  block-influence  ZD       bits\n")
	lowSet := map[int]bool{}
	for _, i := range rep.LowLayers {
		lowSet[i] = true
	}
	for i, zd := range rep.ZD {
		b := rep.Bits
		if lowSet[i] {
			b = rep.LowBits
		}
		bi := "-"
		if i < len(rep.BI) {
			bi = fmt.Sprintf("%.5f", rep.BI[i])
		}
		fmt.Fprintf(stdout, "  %5d  %15s  %.5f  %d\n", i, bi, zd, b)
	}
	if rep.LowBits > 0 {
		fmt.Fprintf(stdout, "  mixed bits by %s: layers %v at %d bits, average %.3f bits over the decoder layers\n", rep.Score, rep.LowLayers, rep.LowBits, rep.AvgBits)
	}
	return nil
}

// readConfig parses a model folder's config.json.
func readConfig(dir string) (*model.Config, error) {
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	return model.ParseConfig(b)
}
