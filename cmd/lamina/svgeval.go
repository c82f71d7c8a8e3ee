package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"os"
	"time"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/svgmodel/eval"
	"github.com/lamina-ml/lamina/tensor"
)

func init() {
	registerSVG("eval", "evaluate the diffusion model on validation prompts (loss, validity, novelty, diversity, fidelity, latency): --data DIR [--model DIR] [--prompts 32 --seeds 4 --steps 24 --cfg 3]", svgEval)
	registerSVG("gallery", "PNG grid of samples for validation prompts: --data DIR --out grid.png [--model DIR] [--prompts 16 --seeds 4]", svgGallery)
}

// evalFlags are the flags svg eval and svg gallery share.
type evalFlags struct {
	model, data string
	prompts     int
	seeds       int
	seedBase    uint64
	promptSeed  uint64
	steps       int
	cfg         float64
}

func (f *evalFlags) register(fs *flag.FlagSet, prompts int) {
	fs.StringVar(&f.model, "model", "", "model folder (default: the shipped "+defaultSVGModel+")")
	fs.StringVar(&f.data, "data", "", "dataset `folder` (from lamina svg dataset: manifest.json, train/val .npy and .jsonl)")
	fs.IntVar(&f.prompts, "prompts", prompts, "validation prompts (one per base emoji, seeded shuffle); -1 for all")
	fs.IntVar(&f.seeds, "seeds", 4, "samples per prompt")
	fs.Uint64Var(&f.seedBase, "seed", 0, "first sample seed (seeds seed … seed+seeds-1)")
	fs.Uint64Var(&f.promptSeed, "prompt-seed", 0, "seed of the prompt shuffle")
	fs.IntVar(&f.steps, "steps", svgmodel.DefaultSteps, "sampling steps")
	fs.Float64Var(&f.cfg, "cfg", svgmodel.DefaultCFG, "classifier-free guidance scale (1 = none)")
}

func (f *evalFlags) load() (*svgmodel.Model, *eval.Dataset, error) {
	if f.data == "" {
		return nil, nil, errors.New("--data is required")
	}
	if f.seeds < 1 {
		return nil, nil, fmt.Errorf("--seeds %d < 1", f.seeds)
	}
	ds, err := eval.LoadDataset(os.DirFS(f.data))
	if err != nil {
		return nil, nil, err
	}
	dir, err := resolveSVGModel(f.model)
	if err != nil {
		return nil, nil, err
	}
	m, err := svgmodel.Load(os.DirFS(dir), tensor.NewCPU())
	if err != nil {
		return nil, nil, err
	}
	return m, ds, nil
}

func (f *evalFlags) options() eval.Options {
	return eval.Options{
		Prompts: f.prompts, Seeds: f.seeds, SeedBase: f.seedBase, PromptSeed: f.promptSeed,
		Steps: f.steps, CFG: float32(f.cfg),
		Log: func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) },
	}
}

func printEvalJSON(v any) error {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func svgEval(args []string) error {
	fs := newFlagSet("svg eval")
	var f evalFlags
	f.register(fs, 32)
	lossRows := fs.Int("loss-rows", 0, "validation rows for the loss, the first ones (0: all, -1: skip)")
	epochs := fs.Int("classifier-epochs", 0, "epochs of the fidelity classifiers (0: default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, ds, err := f.load()
	if err != nil {
		return err
	}
	defer m.Close()
	o := f.options()
	o.LossRows = *lossRows
	o.Classifier.Epochs = *epochs
	rep, err := eval.Run(context.Background(), m, ds, o)
	if err != nil {
		return err
	}
	rep.Params["model"], rep.Params["data"] = f.model, f.data
	if err := printEvalJSON(rep); err != nil {
		return err
	}
	fmt.Fprint(os.Stderr, summary(rep))
	return nil
}

// summary is the short human reading of a report.
func summary(r *eval.Report) string {
	s := fmt.Sprintf("svg eval: %v prompts × %v seeds, %v steps, cfg %v\n", r.Params["prompts"], r.Params["seeds"], r.Params["steps"], r.Params["cfg"])
	if r.ValLoss != nil {
		s += fmt.Sprintf("  val loss        %.4f over %d rows (per t %.3f)\n", r.ValLoss.Loss, r.ValLoss.Rows, r.ValLoss.PerT)
		s += fmt.Sprintf("  caption gap     %.5f (loss with another row's caption %.4f; ~0 = prompt ignored)\n", r.ValLoss.CaptionGap, r.ValLoss.ShuffledLoss)
	}
	v := r.Validity
	s += fmt.Sprintf("  validity        drawings %.1f%% (%d/%d), layers %.1f%% (real %.1f%%), %.1f layers/drawing (real %.1f), faults %v\n",
		100*v.DrawingRate, v.ValidDrawings, v.Drawings, 100*v.LayerRate, 100*v.RealLayerRate, v.MeanLayers, v.RealMeanLayer, v.Faults)
	n := r.Novelty
	s += fmt.Sprintf("  novelty         nearest-train IoU %.3f (real val %.3f; silhouette %.3f, real %.3f), near-copies %d/%d (IoU ≥ %.2f; real val %d/%d)\n",
		n.MeanNearestIoU, n.RealMeanNearest, n.MeanNearestSil, n.RealMeanSil, n.NearCopies, r.Validity.Drawings, n.CopyThreshold, n.RealNearCopies, n.RealDrawings)
	s += fmt.Sprintf("  diversity       mean 1−IoU across seeds %.3f (prompt range %.3f–%.3f); across prompts, same seed %.3f\n", r.Diversity.MeanPairwise, r.Diversity.Min, r.Diversity.Max, r.Diversity.CrossPrompt)
	for _, k := range []string{"group", "subgroup"} {
		f := r.Fidelity[k]
		s += fmt.Sprintf("  fidelity %-8s generated %.1f%%, real val %.1f%% (prompts' own %.1f%%), chance %.1f%% uniform / %.1f%% majority, %d classes\n",
			k, 100*f.GeneratedAcc, 100*f.RealValAccuracy, 100*f.RealPromptAcc, 100*f.ChanceUniform, 100*f.ChanceMajority, f.Classes)
	}
	l := r.Latency
	s += fmt.Sprintf("  latency         native CPU median %.0f ms/sample (p90 %.0f, %d forward passes, GOMAXPROCS %d)\n", l.NativeCPUMedianMs, l.NativeCPUP90Ms, l.ForwardPasses, l.GOMAXPROCS)
	s += fmt.Sprintf("  took %.1f s\n", r.Seconds)
	return s
}

func svgGallery(args []string) error {
	fs := newFlagSet("svg gallery")
	var f evalFlags
	f.register(fs, 16)
	out := fs.String("out", "", "output PNG")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out is required")
	}
	m, ds, err := f.load()
	if err != nil {
		return err
	}
	defer m.Close()
	o := f.options()
	start := time.Now()
	prompts := ds.SelectPrompts(f.prompts, f.promptSeed)
	samples, err := eval.Generate(context.Background(), m, prompts, o)
	if err != nil {
		return err
	}
	rows := make([]eval.GalleryRow, len(prompts))
	for i, p := range prompts {
		real, err := ds.Doc(&ds.Val, p.Row)
		if err != nil {
			return err
		}
		rows[i] = eval.GalleryRow{Label: p.Text, Sublabel: p.Group + " / " + p.Subgroup, Real: real}
		for s := 0; s < f.seeds; s++ {
			rows[i].Samples = append(rows[i].Samples, samples[i*f.seeds+s].Doc)
		}
	}
	headers := []string{"real (val)"}
	for s := 0; s < f.seeds; s++ {
		headers = append(headers, fmt.Sprintf("seed %d", f.seedBase+uint64(s)))
	}
	img := eval.Gallery(rows, headers)
	fh, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := png.Encode(fh, img); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Close(); err != nil {
		return err
	}
	return printEvalJSON(map[string]any{
		"out": *out, "width": img.Bounds().Dx(), "height": img.Bounds().Dy(),
		"prompts": len(prompts), "seeds": f.seeds, "steps": f.steps, "cfg": f.cfg,
		"seconds": time.Since(start).Seconds(),
	})
}
