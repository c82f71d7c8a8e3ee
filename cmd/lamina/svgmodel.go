package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/tensor"
)

func init() {
	registerSVG("generate", "draw a layered SVG from a prompt: --prompt TEXT --seed N [--n 4] [--steps S --cfg G] [--model DIR] --out F.svg", svgGenerate)
	registerSVG("edit", "edit layers of an SVG: --in IN.svg [--keep 0,2,5] [--recolor] [--add N] | [--strength 0.6 [--n 4]] --prompt TEXT --seed N [--model DIR] --out OUT.svg", svgEdit)
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
	steps, n           int
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
	fs.IntVar(&f.n, "n", 1, fmt.Sprintf("candidates to draw (1 to %d): candidate i has seed --seed + i and goes to OUT-i.svg", svgmodel.MaxCandidates))
}

// checkN validates --n against --out before the model loads.
func (f *svgModelFlags) checkN() error {
	if f.n < 1 || f.n > svgmodel.MaxCandidates {
		return fmt.Errorf("--n %d outside [1, %d]", f.n, svgmodel.MaxCandidates)
	}
	if f.out == "" {
		return errors.New("--out is required")
	}
	if f.n > 1 && f.out == "-" {
		return errors.New("--out - takes one drawing; with --n > 1 give a file name (candidate i goes to NAME-i.svg)")
	}
	return nil
}

// candidatePath is where candidate i of n goes: out itself for one, else out's name with -i
// before the extension (heart.svg → heart-0.svg, heart-1.svg, …).
func candidatePath(out string, i, n int) string {
	if n == 1 {
		return out
	}
	ext := filepath.Ext(out)
	return fmt.Sprintf("%s-%d%s", strings.TrimSuffix(out, ext), i, ext)
}

// svgCandidate is one line of the JSON `generate --n` and `edit --strength --n` print.
type svgCandidate struct {
	Out    string               `json:"out"`
	Seed   uint64               `json:"seed"`
	Layers []svgmodel.LayerInfo `json:"layers"`
}

// writeSVGResults writes the candidates (see candidatePath) and prints, for one, what
// writeSVGResult prints, and for several {"candidates": [{out, seed, layers}, …]}.
func (f *svgModelFlags) writeSVGResults(res []*svgmodel.Result) error {
	if len(res) == 1 {
		return writeSVGResult(f.out, res[0])
	}
	cands := make([]svgCandidate, len(res))
	for i, r := range res {
		p := candidatePath(f.out, i, len(res))
		if err := os.WriteFile(p, r.SVG, 0o644); err != nil {
			return err
		}
		cands[i] = svgCandidate{Out: p, Seed: svgmodel.CandidateSeed(f.seed, i), Layers: r.Layers}
	}
	return printJSON(map[string]any{"candidates": cands})
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
	if err := f.checkN(); err != nil {
		return err
	}
	m, err := f.load()
	if err != nil {
		return err
	}
	defer m.Close()
	res, err := m.GenerateN(context.Background(), f.options(), f.n)
	if err != nil {
		return err
	}
	return f.writeSVGResults(res)
}

func svgEdit(args []string) error {
	fs := newFlagSet("svg edit")
	var f svgModelFlags
	f.register(fs)
	in := fs.String("in", "", "SVG to edit")
	keep := fs.String("keep", "", "layer indices (paint order, 0 = bottom) that stay unchanged, e.g. 0,2,5")
	recolor := fs.Bool("recolor", false, "keep the other layers' geometry and regenerate their colors")
	add := fs.Int("add", 0, "add this many new layers on top")
	strength := fs.Float64("strength", 0, "make a variation of the whole drawing instead (SDEdit): noise it to t = S in [0, 1] and redraw it with the prompt; 1 = a new drawing (as generate), 0 = the drawing itself")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" {
		return errors.New("--in is required")
	}
	vary := false
	fs.Visit(func(fl *flag.Flag) { vary = vary || fl.Name == "strength" })
	if vary && (*keep != "" || *recolor || *add != 0) {
		return errors.New("--strength makes a variation of the whole drawing; it does not combine with --keep, --recolor or --add")
	}
	if !vary && f.n != 1 {
		return errors.New("--n applies to generate and to edit --strength")
	}
	if vary && !(*strength >= 0 && *strength <= 1) {
		return fmt.Errorf("--strength %g outside [0, 1]", *strength)
	}
	if err := f.checkN(); err != nil {
		return err
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
	if vary {
		res, err := m.VariationN(context.Background(), svgmodel.VariationOptions{Options: f.options(), SVG: data, Strength: *strength}, f.n)
		if err != nil {
			return err
		}
		return f.writeSVGResults(res)
	}
	res, err := m.Edit(context.Background(), svgmodel.EditOptions{
		Options: f.options(), SVG: data, Keep: keepIdx, Recolor: *recolor, Add: *add,
	})
	if err != nil {
		return err
	}
	return writeSVGResult(f.out, res)
}
