package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lamina-ml/lamina/vector"
	"github.com/lamina-ml/lamina/vector/dataset"
)

func init() {
	register("svg", "layered SVG tools: roundtrip, tokens, render, dataset", runSVG)
	registerSVG("roundtrip", "SVG -> tokens -> SVG: --in X.svg --out Y.svg [--report] [--k K --n N]", svgRoundtrip)
	registerSVG("tokens", "print an SVG's tokens as JSON: --in X.svg [--k K --n N]", svgTokens)
	registerSVG("render", "rasterize an SVG to PNG: --in X.svg --out X.png [--size 256]", svgRender)
	registerSVG("dataset", "build the Twemoji training set and print the fidelity summary: --out DIR [--src node_modules]", svgDataset)
}

type svgCommand struct {
	summary string
	run     func(args []string) error
}

var svgCommands = map[string]svgCommand{}

// registerSVG adds a `lamina svg NAME` sub-subcommand; other files (e.g. svgmodel.go for
// generate/edit) call it from their init functions.
func registerSVG(name, summary string, run func(args []string) error) {
	if _, dup := svgCommands[name]; dup {
		panic("lamina svg: duplicate subcommand " + name)
	}
	svgCommands[name] = svgCommand{summary, run}
}

func svgUsage() string {
	names := make([]string, 0, len(svgCommands))
	for n := range svgCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usage: lamina svg COMMAND [flags]\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", n, svgCommands[n].summary)
	}
	return b.String()
}

func runSVG(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(os.Stderr, svgUsage())
		if len(args) == 0 {
			return errors.New("svg: missing command")
		}
		return nil
	}
	c, ok := svgCommands[args[0]]
	if !ok {
		return fmt.Errorf("svg: unknown command %q\n%s", args[0], svgUsage())
	}
	return c.run(args[1:])
}

func printJSON(v any) error {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func readSVG(path string) (*vector.Document, error) {
	return readSVGWith(path, vector.ParseOptions{})
}

func readSVGWith(path string, opt vector.ParseOptions) (*vector.Document, error) {
	if path == "" {
		return nil, errors.New("--in is required")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return vector.ParseSVGWith(raw, opt)
}

func tokenFlags(fl *flag.FlagSet) (*int, *int) {
	return fl.Int("k", vector.DefaultK, "slots per document (K)"), fl.Int("n", vector.DefaultN, "cubics per subpath (N)")
}

func parseFlags(fl *flag.FlagSet, args []string) error {
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("%s: unexpected arguments %q", fl.Name(), fl.Args())
	}
	return nil
}

func checkKN(k, n int) error {
	if k < 1 || k > 4096 || n < 1 || n > 1024 {
		return fmt.Errorf("--k must be in [1,4096] and --n in [1,1024], got %d, %d", k, n)
	}
	return nil
}

// roundtripReport is what `svg roundtrip --report` prints. The fidelity compares the round
// trip with a render of the original document with everything the reader draws (gradients,
// patterns, clip paths, masks, group opacity, markers), not with the layers the tokens kept,
// so a gradient reduced to its mean color or a layer merged away shows in the numbers; what
// the reader itself does not draw is listed in unsupported.
type roundtripReport struct {
	In           string   `json:"in"`
	Out          string   `json:"out"`
	K            int      `json:"K"`
	N            int      `json:"N"`
	Fits         bool     `json:"fits_in_k"`
	SlotsNeeded  int      `json:"slots_needed"`
	LayersMerged int      `json:"layers_merged"`   // layers merged into a neighbour to fit K (least visible first)
	Gradients    int      `json:"gradient_layers"` // layers painted with a gradient, reduced to its mean color in the tokens
	Unsupported  []string `json:"unsupported"`
	vector.Fidelity
}

func svgRoundtrip(args []string) error {
	fl := flag.NewFlagSet("svg roundtrip", flag.ContinueOnError)
	in := fl.String("in", "", "input SVG")
	out := fl.String("out", "", "output SVG")
	report := fl.Bool("report", false, "print a JSON fidelity report")
	k, n := tokenFlags(fl)
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if err := checkKN(*k, *n); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("svg roundtrip: --out is required")
	}
	doc, err := readSVG(*in)
	if err != nil {
		return err
	}
	// More layers than K: merge the least visible instead of dropping the last painted.
	fit, merged := vector.FitLayers(doc, *k)
	tk := vector.Tokenize(fit, *k, *n)
	back, err := vector.Detokenize(tk)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, vector.WriteSVG(back), 0o644); err != nil {
		return err
	}
	if !*report {
		return nil
	}
	unsup := doc.Unsupported
	if unsup == nil {
		unsup = []string{}
	}
	grads := 0
	for _, l := range doc.Layers {
		if l.Paint != nil {
			grads++
		}
	}
	return printJSON(roundtripReport{
		In: *in, Out: *out, K: *k, N: *n, Fits: tk.Fits, SlotsNeeded: tk.Needed, LayersMerged: merged,
		Gradients: grads, Unsupported: unsup, Fidelity: vector.Compare(doc, back, vector.MetricSize),
	})
}

// tokensJSON is what `svg tokens` prints: the (K,F) array plus enough to decode it.
type tokensJSON struct {
	K           int         `json:"K"`
	N           int         `json:"N"`
	F           int         `json:"F"`
	Fields      []string    `json:"fields"`
	ViewBox     [4]float64  `json:"viewbox"`
	Fits        bool        `json:"fits_in_k"`
	SlotsNeeded int         `json:"slots_needed"`
	Unsupported []string    `json:"unsupported"`
	Slots       [][]float32 `json:"slots"` // slots is (K,F)
}

func svgTokens(args []string) error {
	fl := flag.NewFlagSet("svg tokens", flag.ContinueOnError)
	in := fl.String("in", "", "input SVG")
	k, n := tokenFlags(fl)
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if err := checkKN(*k, *n); err != nil {
		return err
	}
	doc, err := readSVG(*in)
	if err != nil {
		return err
	}
	tk := vector.Tokenize(doc, *k, *n)
	out := tokensJSON{K: tk.K, N: tk.N, F: vector.SlotFields(tk.N), Fields: vector.FieldNames(tk.N),
		ViewBox: tk.ViewBox, Fits: tk.Fits, SlotsNeeded: tk.Needed, Unsupported: doc.Unsupported}
	if out.Unsupported == nil {
		out.Unsupported = []string{}
	}
	for i := 0; i < tk.K; i++ {
		out.Slots = append(out.Slots, tk.Slot(i))
	}
	enc := json.NewEncoder(stdout) // one slot per line would need a custom encoder; compact is fine for scripts
	return enc.Encode(out)
}

func svgRender(args []string) error {
	fl := flag.NewFlagSet("svg render", flag.ContinueOnError)
	in := fl.String("in", "", "input SVG")
	out := fl.String("out", "", "output PNG")
	size := fl.Int("size", 256, "output width in pixels (height follows the viewBox aspect)")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("svg render: --out is required")
	}
	if *size < 1 || *size > 8192 {
		return fmt.Errorf("svg render: --size must be in [1,8192], got %d", *size)
	}
	// Read for the output width: dashes are measured per device pixel, as browsers do.
	doc, err := readSVGWith(*in, vector.ParseOptions{RenderWidth: *size})
	if err != nil {
		return err
	}
	h := int(float64(*size)*doc.ViewBox[3]/doc.ViewBox[2] + 0.5)
	if h < 1 || h > 8192 {
		return fmt.Errorf("svg render: viewBox aspect gives height %d", h)
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := png.Encode(f, vector.Render(doc, *size, h).NRGBA()); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return printJSON(map[string]any{"in": *in, "out": *out, "width": *size, "height": h,
		"layers": len(doc.Layers), "unsupported": doc.Unsupported})
}

func defaultDataSrc() string {
	cache := os.Getenv("LAMINA_CACHE")
	if cache == "" {
		cache = ".cache"
	}
	return filepath.Join(cache, "npm", "node_modules")
}

func svgDataset(args []string) error {
	fl := flag.NewFlagSet("svg dataset", flag.ContinueOnError)
	out := fl.String("out", "", "output folder (e.g. .cache/dataset)")
	src := fl.String("src", defaultDataSrc(), "node_modules folder from scripts/fetch-data.sh")
	workers := fl.Int("workers", 0, "parallel workers (0 = GOMAXPROCS)")
	sets := fl.String("sets", "", "comma-separated drawing sets (twemoji,noto,fluent,emojione,fxemoji,streamline,openmoji); empty = every installed set except the share-alike openmoji")
	k, n := tokenFlags(fl)
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if err := checkKN(*k, *n); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("svg dataset: --out is required")
	}
	var names []string
	if *sets != "" {
		names = strings.Split(*sets, ",")
	}
	m, err := dataset.Build(dataset.Options{Src: *src, Out: *out, K: *k, N: *n, Workers: *workers, Sets: names})
	if err != nil {
		return err
	}
	perSet := map[string]any{}
	for _, s := range m.Sets {
		perSet[s.Name] = map[string]any{"rows": s.Rows, "dropped": s.Dropped, "license": s.License}
	}
	return printJSON(map[string]any{
		"out": *out, "K": m.K, "N": m.N, "F": m.F,
		"train_rows": m.Splits["train"].Rows, "val_rows": m.Splits["val"].Rows,
		"sets": perSet, "missing_sets": m.MissingSets, "fidelity": m.Fidelity,
	})
}
