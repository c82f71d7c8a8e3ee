package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/tensor"
)

func init() {
	registerSVG("generate", "draw a layered SVG from a prompt: --prompt TEXT --seed N [--steps S --cfg G] [--model DIR] --out F.svg", svgGenerate)
	registerSVG("edit", "edit layers of an SVG: --in IN.svg [--keep 0,2,5] [--recolor] [--add N] --prompt TEXT --seed N [--model DIR] --out OUT.svg", svgEdit)
}

// defaultSVGModel is the shipped model's folder, relative to the working directory or to the
// folder above the lamina binary (dist/lamina → models/).
const defaultSVGModel = "models/layered-emoji"

func resolveSVGModel(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	cands := []string{defaultSVGModel}
	if exe, err := os.Executable(); err == nil {
		cands = append(cands, filepath.Join(filepath.Dir(exe), "..", defaultSVGModel))
	}
	for _, c := range cands {
		if _, err := os.Stat(filepath.Join(c, "config.json")); err == nil {
			return c, nil
		}
	}
	return "", fmt.Errorf("no --model given and the shipped model is not at %s (run from the repository root)", defaultSVGModel)
}

type svgModelFlags struct {
	model, prompt, out string
	seed               uint64
	steps              int
	cfg                float64
}

func (f *svgModelFlags) register(fs interface {
	StringVar(*string, string, string, string)
	Uint64Var(*uint64, string, uint64, string)
	IntVar(*int, string, int, string)
	Float64Var(*float64, string, float64, string)
}) {
	fs.StringVar(&f.model, "model", "", "model folder (default: the shipped "+defaultSVGModel+")")
	fs.StringVar(&f.prompt, "prompt", "", "what to draw, e.g. \"red heart\"")
	fs.StringVar(&f.out, "out", "", "output SVG file (- for stdout)")
	fs.Uint64Var(&f.seed, "seed", 0, "random seed: the same seed gives the same drawing")
	fs.IntVar(&f.steps, "steps", svgmodel.DefaultSteps, "sampling steps")
	fs.Float64Var(&f.cfg, "cfg", svgmodel.DefaultCFG, "classifier-free guidance scale (1 = none)")
}

func (f *svgModelFlags) load() (*svgmodel.Model, error) {
	dir, err := resolveSVGModel(f.model)
	if err != nil {
		return nil, err
	}
	return svgmodel.Load(os.DirFS(dir), tensor.NewCPU())
}

func (f *svgModelFlags) options() svgmodel.Options {
	return svgmodel.Options{Prompt: f.prompt, Seed: f.seed, Steps: f.steps, CFG: float32(f.cfg)}
}

func writeSVGResult(out string, res *svgmodel.Result) error {
	if out == "" {
		return errors.New("--out is required")
	}
	if out == "-" {
		_, err := stdout.Write(res.SVG)
		return err
	}
	if err := os.WriteFile(out, res.SVG, 0o644); err != nil {
		return err
	}
	return printJSON(map[string]any{"out": out, "layers": res.Layers})
}

func svgGenerate(args []string) error {
	fs := newFlagSet("svg generate")
	var f svgModelFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := f.load()
	if err != nil {
		return err
	}
	defer m.Close()
	res, err := m.Generate(context.Background(), f.options())
	if err != nil {
		return err
	}
	return writeSVGResult(f.out, res)
}

func svgEdit(args []string) error {
	fs := newFlagSet("svg edit")
	var f svgModelFlags
	f.register(fs)
	in := fs.String("in", "", "SVG to edit")
	keep := fs.String("keep", "", "layer indices (paint order, 0 = bottom) that stay unchanged, e.g. 0,2,5")
	recolor := fs.Bool("recolor", false, "keep the other layers' geometry and regenerate their colors")
	add := fs.Int("add", 0, "add this many new layers on top")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" {
		return errors.New("--in is required")
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	var keepIdx []int
	if *keep != "" {
		for _, p := range strings.Split(*keep, ",") {
			v, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil {
				return fmt.Errorf("bad layer index %q in --keep", p)
			}
			keepIdx = append(keepIdx, v)
		}
	}
	m, err := f.load()
	if err != nil {
		return err
	}
	defer m.Close()
	res, err := m.Edit(context.Background(), svgmodel.EditOptions{
		Options: f.options(), SVG: data, Keep: keepIdx, Recolor: *recolor, Add: *add,
	})
	if err != nil {
		return err
	}
	return writeSVGResult(f.out, res)
}
