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
	register("quantize", "quantize a float llama/qwen2 folder: --model DIR --out DIR --bits 8|4|3 [--low-bits 3 --avg-bits 3.5 --score bi|zd|zd-rev] --method rtn|gptq|qep [--act-order] [--qep-alpha 0.5] --group 32|128 [--calib FILE]", runQuantize)
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
	method := fs.String("method", "rtn", "rtn (round to nearest), gptq, or qep (quantization error propagation: layer by layer, each weight corrected for the error of the quantized layers before it, then GPTQ; needs --calib)")
	qepAlpha := fs.Float64("qep-alpha", 0.5, "qep: propagation strength α of the weight correction (0 = none, 1 = full least-squares correction)")
	qepDamp := fs.Float64("qep-damp", 0.01, "qep: damping of the correction's Hessian, as a fraction of its mean diagonal")
	actOrder := fs.Bool("act-order", false, "gptq, qep: quantize columns by descending Hessian diagonal (stored layout unchanged; group scales from the weights before GPTQ's updates, the reference's static groups)")
	damp := fs.Float64("damp", 0.01, "GPTQ damping, as a fraction of the Hessian's mean diagonal")
	calib := fs.String("calib", "", "calibration text (UTF-8), tokenized with the model's tokenizer; needed by gptq, qep and --score bi")
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
		Spec: quant.Spec{Bits: *bits, Group: *group}, Method: *method, Damp: *damp, ActOrder: *actOrder, Score: *score,
		Head: quant.Spec{Bits: *bits, Group: *group}, CalibCache: *calibCache,
		QEP: quant.QEPOptions{Alpha: *qepAlpha, Damp: *qepDamp},
	}
	if *qepAlpha < 0 || *qepAlpha > 1 {
		return fmt.Errorf("--qep-alpha %v outside [0, 1]", *qepAlpha)
	}
	if *qepAlpha == 0 { // QEPOptions reads Alpha 0 as its default
		opt.QEP.NoCorrection = func(string) bool { return true }
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
		if *calibTokens <= 0 {
			return fmt.Errorf("--calib-tokens %d must be positive", *calibTokens)
		}
		ids, err := encodeTextFile(*dir, *calib, *calibTokens)
		if err != nil {
			return err
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
