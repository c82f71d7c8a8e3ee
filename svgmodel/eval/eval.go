package eval

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sort"
	"time"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/vector"
)

// ValTimes is train.py's val_loss t grid.
var ValTimes = [5]float32{0.1, 0.3, 0.5, 0.7, 0.9}

// valNoiseSeed seeds the validation-loss noise: row i at grid point j uses
// svgmodel.Noise(valNoiseSeed + 5i + j). train.py seeds torch.Generator with 1234 too, but
// torch.randn draws different numbers, so the two losses agree in trend, not in digits.
const valNoiseSeed = 1234

// CopyIoU is the IoU at or above which a sample counts as a near-copy of its nearest
// training drawing.
const CopyIoU = 0.95

// Options control an evaluation. Zero values take the defaults.
type Options struct {
	Prompts    int     // validation prompts (default 32; ≤ 0 after fill means all)
	Seeds      int     // samples per prompt, seeds SeedBase … SeedBase+Seeds−1 (default 4)
	SeedBase   uint64  // first sample seed
	PromptSeed uint64  // shuffles the validation prompts before taking the first Prompts
	Steps      int     // sampler steps (default svgmodel.DefaultSteps)
	CFG        float32 // guidance (default svgmodel.DefaultCFG)
	LossRows   int     // validation rows for the loss, the first ones (0: all, <0: skip the loss)
	// Classifier overrides the fidelity classifier's training options.
	Classifier ClassifierOptions
	// Log, when set, gets progress lines.
	Log func(format string, args ...any)
}

func (o *Options) fill() {
	if o.Prompts == 0 {
		o.Prompts = 32
	}
	if o.Seeds <= 0 {
		o.Seeds = 4
	}
	if o.Steps == 0 {
		o.Steps = svgmodel.DefaultSteps
	}
	if o.CFG == 0 {
		o.CFG = svgmodel.DefaultCFG
	}
	if o.Log == nil {
		o.Log = func(string, ...any) {}
	}
}

// Sample is one generated drawing.
type Sample struct {
	Prompt
	Seed         uint64           `json:"seed"`
	Layers       int              `json:"layers"`
	Slots        int              `json:"slots"`
	Valid        bool             `json:"valid"`
	Faults       map[string]int   `json:"faults,omitempty"`
	Nearest      string           `json:"nearest_train"`
	NearestIoU   float64          `json:"nearest_iou"`
	PredGroup    string           `json:"pred_group"`
	PredSubgroup string           `json:"pred_subgroup"`
	Millis       float64          `json:"ms"`
	Doc          *vector.Document `json:"-"`
}

// ValLoss is the rectified-flow validation loss.
type ValLoss struct {
	Loss float64 `json:"loss"`
	// ShuffledLoss is the same loss with every drawing captioned by the next row's name
	// (train.py's shuffle_captions); CaptionGap = ShuffledLoss − Loss is how much the prompt
	// informs the prediction — about 0 for a model that ignores its text.
	ShuffledLoss float64    `json:"shuffled_loss"`
	CaptionGap   float64    `json:"caption_gap"`
	PerT         []float64  `json:"per_t"`
	Times        [5]float32 `json:"t_grid"`
	Rows         int        `json:"rows"`
	Note         string     `json:"note"`
}

// Validity summarises CheckDrawing over the samples, with the real validation drawings of
// the same prompts as a reference.
type Validity struct {
	Drawings      int            `json:"drawings"`
	ValidDrawings int            `json:"valid_drawings"`
	DrawingRate   float64        `json:"drawing_rate"`
	Empty         int            `json:"empty_drawings"`
	Layers        int            `json:"layers"`
	ValidLayers   int            `json:"valid_layers"`
	LayerRate     float64        `json:"layer_rate"`
	Faults        map[string]int `json:"faults"`
	MeanLayers    float64        `json:"mean_layers"`
	MeanSlots     float64        `json:"mean_slots"`
	RealLayerRate float64        `json:"real_layer_rate"`
	RealMeanLayer float64        `json:"real_mean_layers"`
	Rule          string         `json:"rule"`
}

// Novelty compares every sample with its nearest training drawing.
type Novelty struct {
	MeanNearestIoU  float64      `json:"mean_nearest_iou"`
	MeanNearestSil  float64      `json:"mean_nearest_silhouette_iou"`
	NearCopies      int          `json:"near_copies"`
	CopyThreshold   float64      `json:"copy_threshold"`
	Copies          []CopyReport `json:"copies,omitempty"`
	RealMeanNearest float64      `json:"real_mean_nearest_iou"`
	RealMeanSil     float64      `json:"real_mean_nearest_silhouette_iou"`
	RealNearCopies  int          `json:"real_near_copies"`
	RealDrawings    int          `json:"real_drawings"`
	Metric          string       `json:"metric"`
}

// CopyReport names a near-copy.
type CopyReport struct {
	Prompt  string  `json:"prompt"`
	Seed    uint64  `json:"seed"`
	Nearest string  `json:"nearest_train"`
	IoU     float64 `json:"iou"`
}

// Diversity is the mean pairwise distance 1 − IoU among the seeds of one prompt. CrossPrompt
// is the same distance between samples of different prompts drawn from the same seed: a
// model that ignores its prompt has CrossPrompt ≈ 0 (the seed alone decides the drawing),
// one that follows it has CrossPrompt well above 0.
type Diversity struct {
	MeanPairwise float64 `json:"mean_pairwise_distance"`
	Min          float64 `json:"min_prompt"`
	Max          float64 `json:"max_prompt"`
	Pairs        int     `json:"pairs"`
	CrossPrompt  float64 `json:"cross_prompt_same_seed_distance"`
	CrossPairs   int     `json:"cross_pairs"`
}

// Fidelity is one classifier's accuracies.
type Fidelity struct {
	Classes          int     `json:"classes"`
	TrainRows        int     `json:"train_rows"`
	TrainAccuracy    float64 `json:"train_accuracy"`
	RealValAccuracy  float64 `json:"real_val_accuracy"`
	RealValRows      int     `json:"real_val_rows"`
	RealPromptAcc    float64 `json:"real_prompt_accuracy"`
	GeneratedAcc     float64 `json:"generated_accuracy"`
	GeneratedRows    int     `json:"generated_rows"`
	ChanceUniform    float64 `json:"chance_uniform"`
	ChanceMajority   float64 `json:"chance_majority"`
	MajorityClass    string  `json:"majority_class"`
	TrainSeconds     float64 `json:"train_seconds"`
	FeatureRenderPx  int     `json:"feature_px"`
	ClassifierHidden int     `json:"hidden"`
}

// Latency is the time per generated sample.
type Latency struct {
	NativeCPUMedianMs float64  `json:"native_cpu_median_ms"`
	NativeCPUP90Ms    float64  `json:"native_cpu_p90_ms"`
	Samples           int      `json:"samples"`
	Steps             int      `json:"steps"`
	CFG               float32  `json:"cfg"`
	ForwardPasses     int      `json:"forward_passes_per_sample"`
	GOMAXPROCS        int      `json:"gomaxprocs"`
	WasmCPUMs         *float64 `json:"wasm_cpu_median_ms"`
	WebGPUMs          *float64 `json:"webgpu_median_ms"`
	Note              string   `json:"note"`
}

// Report is the evaluation's JSON output.
type Report struct {
	Params    map[string]any      `json:"params"`
	ValLoss   *ValLoss            `json:"val_loss,omitempty"`
	Validity  Validity            `json:"validity"`
	Novelty   Novelty             `json:"novelty"`
	Diversity Diversity           `json:"diversity"`
	Fidelity  map[string]Fidelity `json:"prompt_fidelity"`
	Latency   Latency             `json:"latency"`
	Samples   []Sample            `json:"samples"`
	Seconds   float64             `json:"seconds"`
}

// Run evaluates m on ds's validation prompts.
func Run(ctx context.Context, m *svgmodel.Model, ds *Dataset, o Options) (*Report, error) {
	o.fill()
	start := time.Now()
	c := m.Config
	if c.Slots != ds.K || c.Fields != ds.F {
		return nil, fmt.Errorf("%w: the model has K=%d F=%d, the dataset K=%d F=%d", ErrData, c.Slots, c.Fields, ds.K, ds.F)
	}
	prompts := ds.SelectPrompts(o.Prompts, o.PromptSeed)
	rep := &Report{Params: map[string]any{
		"prompts": len(prompts), "seeds": o.Seeds, "seed_base": o.SeedBase, "prompt_seed": o.PromptSeed,
		"steps": o.Steps, "cfg": o.CFG, "K": c.Slots, "d_model": c.DModel, "layers": c.Layers,
		"raster_px": RasterSize,
	}}
	if o.LossRows >= 0 {
		o.Log("validation loss …")
		vl, err := ValidationLoss(ctx, m, ds, o.LossRows)
		if err != nil {
			return nil, err
		}
		rep.ValLoss = vl
	}

	o.Log("sampling %d prompts × %d seeds (%d steps, cfg %g) …", len(prompts), o.Seeds, o.Steps, o.CFG)
	samples, err := Generate(ctx, m, prompts, o)
	if err != nil {
		return nil, err
	}
	rep.Samples = samples

	rep.Validity = validity(samples, ds, prompts, c.Slots)
	rep.Latency = latency(samples, o)

	o.Log("rendering %d training drawings …", ds.Train.Rows)
	trainRasters, err := rasters(ds, &ds.Train)
	if err != nil {
		return nil, err
	}
	sampleRasters := make([]Raster, len(samples))
	for i := range samples {
		sampleRasters[i] = RasterOf(samples[i].Doc, RasterSize)
	}
	rep.Novelty, err = novelty(samples, sampleRasters, trainRasters, ds, prompts)
	if err != nil {
		return nil, err
	}
	rep.Diversity = diversity(sampleRasters, len(prompts), o.Seeds)

	o.Log("training the fidelity classifiers …")
	rep.Fidelity = map[string]Fidelity{}
	for _, field := range []string{"group", "subgroup"} {
		f, err := fidelity(ds, prompts, samples, field, o.Classifier)
		if err != nil {
			return nil, err
		}
		rep.Fidelity[field] = f
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// ValidationLoss is train.py's val_loss: the mean squared error of the predicted velocity
// against noise − x₀ at t ∈ ValTimes, on the canonical caption (the emoji's name) of each of
// the first rows validation rows (0: all).
func ValidationLoss(ctx context.Context, m *svgmodel.Model, ds *Dataset, rows int) (*ValLoss, error) {
	if rows <= 0 || rows > ds.Val.Rows {
		rows = ds.Val.Rows
	}
	vl := &ValLoss{Times: ValTimes, Rows: rows,
		Note: fmt.Sprintf("train.py's val_loss (t grid, caption = name) with svgmodel.Noise(%d+5·row+j) noise: train.py's log draws torch.randn noise, so compare it in trend, not digits (PyTorch on this noise agrees to 1e-5, TestValidationLossMatchesPyTorch)", valNoiseSeed)}
	perT, err := valLoss(ctx, m, ds, rows, 0)
	if err != nil {
		return nil, err
	}
	shuffled, err := valLoss(ctx, m, ds, rows, 1)
	if err != nil {
		return nil, err
	}
	vl.PerT = perT
	vl.Loss, vl.ShuffledLoss = mean(perT), mean(shuffled)
	vl.CaptionGap = vl.ShuffledLoss - vl.Loss
	return vl, nil
}

// valLoss is the per-t validation loss with row i captioned by row (i+shift) mod rows.
func valLoss(ctx context.Context, m *svgmodel.Model, ds *Dataset, rows, shift int) ([]float64, error) {
	kf := ds.K * ds.F
	perT := make([]float64, len(ValTimes))
	xt, v := make([]float32, kf), make([]float32, kf)
	for i := 0; i < rows; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		x0 := ds.Val.Row(i, kf)
		cap, err := m.EncodeCaption(ds.Val.Meta[(i+shift)%rows].Label)
		if err != nil {
			return nil, err
		}
		for j, t := range ValTimes {
			noise := svgmodel.Noise(valNoiseSeed+uint64(5*i+j), kf)
			for p := range xt {
				xt[p] = (1-t)*x0[p] + t*noise[p]
			}
			if err := m.Velocity(v, xt, t, cap); err != nil {
				cap.Free()
				return nil, err
			}
			var se float64
			for p := range v {
				d := float64(v[p] - (noise[p] - x0[p]))
				se += d * d
			}
			perT[j] += se / float64(kf)
		}
		cap.Free()
	}
	for j := range perT {
		perT[j] /= float64(rows)
	}
	return perT, nil
}

// Generate draws o.Seeds samples for every prompt (prompt-major order) and times each one.
func Generate(ctx context.Context, m *svgmodel.Model, prompts []Prompt, o Options) ([]Sample, error) {
	o.fill()
	var out []Sample
	for _, p := range prompts {
		for s := 0; s < o.Seeds; s++ {
			seed := o.SeedBase + uint64(s)
			t0 := time.Now()
			res, err := m.Generate(ctx, svgmodel.Options{Prompt: p.Text, Seed: seed, Steps: o.Steps, CFG: o.CFG})
			if err != nil {
				return nil, fmt.Errorf("eval: %q seed %d: %w", p.Text, seed, err)
			}
			out = append(out, Sample{
				Prompt: p, Seed: seed, Doc: res.Doc, Layers: len(res.Doc.Layers),
				Slots:  UsedSlots(res.Tokens, m.Config.Fields),
				Millis: float64(time.Since(t0).Microseconds()) / 1000,
			})
		}
		o.Log("  %-40q %d samples", p.Text, o.Seeds)
	}
	return out, nil
}

func validity(samples []Sample, ds *Dataset, prompts []Prompt, k int) Validity {
	v := Validity{Faults: map[string]int{},
		Rule: fmt.Sprintf("a layer is valid when every subpath is closed and finite, it covers ≥ %g units² of the %g-unit viewBox and its control points lie within %g of the viewBox side outside it; a drawing when it has ≥ 1 layer, ≤ K slots and only valid layers", MinLayerArea, ds.ViewBox[2], BBoxMargin)}
	for i := range samples {
		s := &samples[i]
		d := CheckDrawing(s.Doc, s.Slots, k)
		s.Valid = d.OK
		v.Drawings++
		if d.OK {
			v.ValidDrawings++
		}
		if d.Layers == 0 {
			v.Empty++
		}
		v.Layers += d.Layers
		v.ValidLayers += d.Valid
		v.MeanSlots += float64(s.Slots)
		for _, f := range d.Faults {
			if f != FaultNone {
				if s.Faults == nil {
					s.Faults = map[string]int{}
				}
				s.Faults[string(f)]++
				v.Faults[string(f)]++
			}
		}
	}
	v.DrawingRate = ratio(v.ValidDrawings, v.Drawings)
	v.LayerRate = ratio(v.ValidLayers, v.Layers)
	if v.Drawings > 0 {
		v.MeanLayers = float64(v.Layers) / float64(v.Drawings)
		v.MeanSlots /= float64(v.Drawings)
	}
	var realLayers, realValid int
	for _, p := range prompts {
		doc, err := ds.Doc(&ds.Val, p.Row)
		if err != nil {
			continue
		}
		d := CheckDrawing(doc, UsedSlots(ds.Val.Row(p.Row, ds.K*ds.F), ds.F), ds.K)
		realLayers += d.Layers
		realValid += d.Valid
	}
	v.RealLayerRate = ratio(realValid, realLayers)
	if len(prompts) > 0 {
		v.RealMeanLayer = float64(realLayers) / float64(len(prompts))
	}
	return v
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func latency(samples []Sample, o Options) Latency {
	ms := make([]float64, len(samples))
	for i, s := range samples {
		ms[i] = s.Millis
	}
	sort.Float64s(ms)
	passes := o.Steps
	if o.CFG != 1 {
		passes *= 2 // a conditional and an unconditional velocity per step
	}
	l := Latency{Samples: len(ms), Steps: o.Steps, CFG: o.CFG, ForwardPasses: passes, GOMAXPROCS: runtime.GOMAXPROCS(0),
		Note: "native CPU backend (tensor.NewCPU), one sample at a time, caption encoding included; wasm CPU and WebGPU figures come from the browser runtime (null here)"}
	if len(ms) > 0 {
		l.NativeCPUMedianMs = ms[len(ms)/2]
		l.NativeCPUP90Ms = ms[min(len(ms)-1, int(math.Ceil(0.9*float64(len(ms))))-1)]
	}
	return l
}

// rasters renders every row of split s at RasterSize.
func rasters(ds *Dataset, s *Split) ([]Raster, error) {
	out := make([]Raster, s.Rows)
	for i := range out {
		doc, err := ds.Doc(s, i)
		if err != nil {
			return nil, fmt.Errorf("%w: row %d: %v", ErrData, i, err)
		}
		out[i] = RasterOf(doc, RasterSize)
	}
	return out, nil
}

func novelty(samples []Sample, sr, train []Raster, ds *Dataset, prompts []Prompt) (Novelty, error) {
	n := Novelty{CopyThreshold: CopyIoU,
		Metric: fmt.Sprintf("weighted IoU Σmin/Σmax of %d×%d rasters of coverage split by colour (α·rgb, α·(1−rgb)) against all %d training drawings", RasterSize, RasterSize, len(train))}
	for i := range samples {
		s := &samples[i]
		j, iou := Nearest(sr[i], train)
		if j >= 0 {
			s.Nearest = ds.Train.Meta[j].Label
			n.MeanNearestSil += SilhouetteIoU(sr[i], train[j])
		}
		s.NearestIoU = iou
		n.MeanNearestIoU += iou
		if iou >= CopyIoU {
			n.NearCopies++
			n.Copies = append(n.Copies, CopyReport{Prompt: s.Text, Seed: s.Seed, Nearest: s.Nearest, IoU: iou})
		}
	}
	if len(samples) > 0 {
		n.MeanNearestIoU /= float64(len(samples))
		n.MeanNearestSil /= float64(len(samples))
	}
	// Reference: how close the real validation drawings of the same prompts are to training.
	for _, p := range prompts {
		doc, err := ds.Doc(&ds.Val, p.Row)
		if err != nil {
			return n, fmt.Errorf("%w: val row %d: %v", ErrData, p.Row, err)
		}
		r := RasterOf(doc, RasterSize)
		j, iou := Nearest(r, train)
		n.RealMeanNearest += iou
		if j >= 0 {
			n.RealMeanSil += SilhouetteIoU(r, train[j])
		}
		if iou >= CopyIoU {
			n.RealNearCopies++
		}
		n.RealDrawings++
	}
	if n.RealDrawings > 0 {
		n.RealMeanNearest /= float64(n.RealDrawings)
		n.RealMeanSil /= float64(n.RealDrawings)
	}
	return n, nil
}

// diversity averages 1 − IoU over the seed pairs of each prompt; sr is prompt-major.
func diversity(sr []Raster, prompts, seeds int) Diversity {
	d := Diversity{Min: math.Inf(1), Max: math.Inf(-1)}
	var sum float64
	for p := 0; p < prompts; p++ {
		var ps float64
		var pn int
		for a := 0; a < seeds; a++ {
			for b := a + 1; b < seeds; b++ {
				ps += 1 - IoU(sr[p*seeds+a], sr[p*seeds+b])
				pn++
			}
		}
		if pn == 0 {
			continue
		}
		sum += ps
		d.Pairs += pn
		d.Min = math.Min(d.Min, ps/float64(pn))
		d.Max = math.Max(d.Max, ps/float64(pn))
	}
	var cross float64
	for s := 0; s < seeds; s++ {
		for a := 0; a < prompts; a++ {
			for b := a + 1; b < prompts; b++ {
				cross += 1 - IoU(sr[a*seeds+s], sr[b*seeds+s])
				d.CrossPairs++
			}
		}
	}
	if d.CrossPairs > 0 {
		d.CrossPrompt = cross / float64(d.CrossPairs)
	}
	if d.Pairs == 0 {
		d.Min, d.Max = 0, 0
		return d
	}
	d.MeanPairwise = sum / float64(d.Pairs)
	return d
}

func label(m Prompt, field string) string {
	if field == "group" {
		return m.Group
	}
	return m.Subgroup
}

// fidelity trains a classifier of field (group or subgroup) on renders of the training
// drawings, one per base emoji (skin-tone variants would give people-body five times the
// weight), and measures it on the real validation drawings and on the samples. Rows without
// a label are left out.
func fidelity(ds *Dataset, prompts []Prompt, samples []Sample, field string, co ClassifierOptions) (Fidelity, error) {
	var xt [][]float32
	var yt []string
	for _, i := range bases(&ds.Train) {
		m := ds.Train.Meta[i]
		y := label(Prompt{Group: m.Group, Subgroup: m.Subgroup}, field)
		if y == "" {
			continue
		}
		doc, err := ds.Doc(&ds.Train, i)
		if err != nil {
			return Fidelity{}, fmt.Errorf("%w: train row %d: %v", ErrData, i, err)
		}
		xt = append(xt, Features(doc))
		yt = append(yt, y)
	}
	t0 := time.Now()
	clf, err := TrainClassifier(xt, yt, co)
	if err != nil {
		return Fidelity{}, err
	}
	co.fill()
	f := Fidelity{Classes: len(clf.Classes), TrainRows: len(xt), TrainAccuracy: clf.Accuracy(xt, yt),
		TrainSeconds: time.Since(t0).Seconds(), FeatureRenderPx: FeatureSize, ClassifierHidden: co.Hidden}
	// Real validation drawings: one per base emoji, all of them and the evaluated prompts.
	var xv [][]float32
	var yv []string
	counts := map[string]int{}
	for _, i := range bases(&ds.Val) {
		m := ds.Val.Meta[i]
		y := label(Prompt{Group: m.Group, Subgroup: m.Subgroup}, field)
		if y == "" {
			continue
		}
		doc, err := ds.Doc(&ds.Val, i)
		if err != nil {
			return f, fmt.Errorf("%w: val row %d: %v", ErrData, i, err)
		}
		xv = append(xv, Features(doc))
		yv = append(yv, y)
	}
	f.RealValAccuracy, f.RealValRows = clf.Accuracy(xv, yv), len(xv)
	var xp [][]float32
	var yp []string
	for _, p := range prompts {
		if y := label(p, field); y != "" {
			doc, err := ds.Doc(&ds.Val, p.Row)
			if err != nil {
				return f, fmt.Errorf("%w: val row %d: %v", ErrData, p.Row, err)
			}
			xp = append(xp, Features(doc))
			yp = append(yp, y)
		}
	}
	f.RealPromptAcc = clf.Accuracy(xp, yp)
	var xs [][]float32
	var ys []string
	for i := range samples {
		s := &samples[i]
		feat := Features(s.Doc)
		pred := clf.Predict(feat)
		if field == "group" {
			s.PredGroup = pred
		} else {
			s.PredSubgroup = pred
		}
		if y := label(s.Prompt, field); y != "" {
			xs = append(xs, feat)
			ys = append(ys, y)
			counts[y]++
		}
	}
	f.GeneratedAcc, f.GeneratedRows = clf.Accuracy(xs, ys), len(xs)
	// Chance: a uniform guess over the classes, and always answering the commonest label of
	// the evaluated samples (the best constant guess on this set).
	f.ChanceUniform = 1 / float64(len(clf.Classes))
	for y, n := range counts {
		if n > counts[f.MajorityClass] || (n == counts[f.MajorityClass] && y < f.MajorityClass) {
			f.MajorityClass = y
		}
	}
	f.ChanceMajority = ratio(counts[f.MajorityClass], len(xs))
	return f, nil
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
