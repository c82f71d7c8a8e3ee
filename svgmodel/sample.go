package svgmodel

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/lamina-ml/lamina/vector"
)

// Defaults for generation: 24 Euler steps of the rectified flow and a guidance of 3 were the
// best trade-off between prompt fidelity and clean shapes in the gallery runs (see the model card).
const (
	DefaultSteps = 24
	DefaultCFG   = 3.0
	MaxSteps     = 256
)

// ErrOptions is wrapped by every bad-option error.
var ErrOptions = errors.New("svgmodel: bad options")

// Options control one generation or edit. Zero values take the defaults.
type Options struct {
	Prompt string
	Seed   uint64
	Steps  int     // Euler steps (DefaultSteps)
	CFG    float32 // classifier-free guidance scale (DefaultCFG); 1 disables guidance
	// OnStep, when set, gets after every step the model's current estimate of the finished
	// drawing (x̂₀ = x_t − t·v) as tokens; returning an error stops the generation.
	OnStep func(step, steps int, estimate []float32) error
}

func (o *Options) fill() error {
	if o.Steps == 0 {
		o.Steps = DefaultSteps
	}
	if o.CFG == 0 {
		o.CFG = DefaultCFG
	}
	if o.Steps < 1 || o.Steps > MaxSteps {
		return fmt.Errorf("%w: steps %d outside [1, %d]", ErrOptions, o.Steps, MaxSteps)
	}
	if math.IsNaN(float64(o.CFG)) || math.IsInf(float64(o.CFG), 0) || o.CFG < 0 || o.CFG > 50 {
		return fmt.Errorf("%w: cfg %g outside [0, 50]", ErrOptions, o.CFG)
	}
	return nil
}

// Noise returns the seeded standard-normal starting state (K·F values): splitmix64 feeding
// Box–Muller, so it is the same natively, under js/wasm and in any other implementation.
func Noise(seed uint64, n int) []float32 {
	s := seed
	next := func() float64 {
		s += 0x9e3779b97f4a7c15
		z := s
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		return (float64(z>>11) + 0.5) / (1 << 53) // (0,1)
	}
	out := make([]float32, n)
	for i := 0; i < n; i += 2 {
		u1, u2 := next(), next()
		r := math.Sqrt(-2 * math.Log(u1))
		out[i] = float32(r * math.Cos(2*math.Pi*u2))
		if i+1 < n {
			out[i+1] = float32(r * math.Sin(2*math.Pi*u2))
		}
	}
	return out
}

// Sample integrates the rectified flow from noise (t=1) to data (t=0) with Euler steps and
// classifier-free guidance, as train/svg/dit.py's sample does. keep and mask (K·F each), when
// mask is not nil, re-impose the kept values at every step at the current noise level
// ((1−t)·keep + t·noise, RePaint-style) and exactly at the end.
func (m *Model) Sample(ctx context.Context, noise []float32, keep []float32, mask []bool, o Options) ([]float32, error) {
	n := m.Config.Slots * m.Config.Fields
	if len(noise) != n {
		return nil, fmt.Errorf("%w: noise/keep/mask must have K·F = %d values", ErrOptions, n)
	}
	x := append([]float32(nil), noise...)
	if err := m.sampleBatch(ctx, x, noise, keep, mask, 1, 0, o); err != nil {
		return nil, err
	}
	return x, nil
}

// sampleBatch integrates n samples (x and noise: n·K·F, sample i at [i·K·F, (i+1)·K·F)) from
// Euler step `from` of o.Steps (t = 1 − from/Steps; x holds the state there) to t = 0, in place,
// all under o.Prompt: every step runs the candidates batchCandidates at a time, each chunk under
// both captions in one DiT pass when the backend batches (VelocityBatch). keep and mask (K·F, nil mask: none) apply to every sample as
// in Sample. OnStep gets the n estimates in x's layout.
func (m *Model) sampleBatch(ctx context.Context, x, noise, keep []float32, mask []bool, n, from int, o Options) error {
	if err := o.fill(); err != nil {
		return err
	}
	kf := m.Config.Slots * m.Config.Fields
	if n < 1 || len(x) != n*kf || len(noise) != n*kf || (mask != nil && (len(mask) != kf || len(keep) != kf)) {
		return fmt.Errorf("%w: noise/keep/mask must have K·F = %d values", ErrOptions, kf)
	}
	if from < 0 || from > o.Steps {
		return fmt.Errorf("%w: start step %d outside [0, %d]", ErrOptions, from, o.Steps)
	}
	caps, err := m.captions(o)
	if err != nil {
		return err
	}
	defer func() {
		for _, c := range caps {
			c.Free()
		}
	}()
	G := len(caps)
	// xin holds x once per caption; v the velocities in the same layout.
	// Candidates go through the DiT batchCandidates at a time (each under every caption).
	per := min(n, max(batchCandidates, 1))
	xin, vb := make([]float32, G*per*kf), make([]float32, G*per*kf)
	vc := make([]float32, n*kf) // the guided velocity of every candidate
	est := make([]float32, n*kf)
	remask := func(tf float32) {
		if mask == nil {
			return
		}
		for s := 0; s < n; s++ {
			xs, ns := x[s*kf:(s+1)*kf], noise[s*kf:(s+1)*kf]
			for j, kept := range mask {
				if kept {
					xs[j] = (1-tf)*keep[j] + tf*ns[j]
				}
			}
		}
	}
	for i := from; i < o.Steps; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		t := 1 - float64(i)/float64(o.Steps)
		tNext := 1 - float64(i+1)/float64(o.Steps)
		remask(float32(t))
		for c0 := 0; c0 < n; c0 += per {
			c1 := min(c0+per, n)
			c := c1 - c0
			for g := 0; g < G; g++ {
				copy(xin[g*c*kf:], x[c0*kf:c1*kf])
			}
			if err := m.VelocityBatch(vb[:G*c*kf], xin[:G*c*kf], float32(t), caps, c); err != nil {
				return err
			}
			cond := vb[:c*kf]
			if G == 2 {
				uncond := vb[c*kf : 2*c*kf]
				for j := range cond {
					cond[j] = uncond[j] + o.CFG*(cond[j]-uncond[j])
				}
			}
			copy(vc[c0*kf:], cond)
		}
		dt := float32(tNext - t)
		for j := range x {
			est[j] = x[j] - float32(t)*vc[j]
			x[j] += dt * vc[j]
		}
		if o.OnStep != nil {
			if mask != nil {
				for s := 0; s < n; s++ {
					es := est[s*kf : (s+1)*kf]
					for j, kept := range mask {
						if kept {
							es[j] = keep[j]
						}
					}
				}
			}
			if err := o.OnStep(i+1, o.Steps, est); err != nil {
				return err
			}
		}
	}
	if mask != nil {
		for s := 0; s < n; s++ {
			xs := x[s*kf : (s+1)*kf]
			for j, kept := range mask {
				if kept {
					xs[j] = keep[j]
				}
			}
		}
	}
	return nil
}

// batchCandidates is how many candidates share one DiT pass (each with its guidance pair).
// Measured on the 2-core machine (BenchmarkGenerateNLayeredEmoji, n = 4, interleaved, under
// load): 0.74 s/candidate with 1 per pass, 0.87 with 2, 0.89 with 4 — past one guided pair
// (96 rows) the activations outgrow the caches and the wider matmuls gain nothing; in Chromium's
// wasm 4 per pass took 33 s/candidate against 32 s for one alone. So candidates loop within each
// step, and the guidance pair (1.5–1.8× faster than two passes) is what is batched.
var batchCandidates = 1

// captions encodes o.Prompt and, with guidance (CFG ≠ 1), the empty caption after it.
func (m *Model) captions(o Options) ([]*Caption, error) {
	cond, err := m.EncodeCaption(o.Prompt)
	if err != nil {
		return nil, err
	}
	caps := []*Caption{cond}
	if o.CFG != 1 {
		uncond, err := m.EncodeCaption("")
		if err != nil {
			cond.Free()
			return nil, err
		}
		caps = append(caps, uncond)
	}
	return caps, nil
}

// Result is a generated or edited drawing.
type Result struct {
	Tokens []float32        // (K,F)
	Doc    *vector.Document // the layers in paint order
	SVG    []byte
	Layers []LayerInfo
}

// LayerInfo describes one layer of a result.
type LayerInfo struct {
	Index    int     `json:"index"` // paint order, 0 = bottom
	ID       string  `json:"id"`
	Fill     string  `json:"fill"` // #rrggbb
	Opacity  float64 `json:"opacity"`
	Subpaths int     `json:"subpaths"`
	Kept     bool    `json:"kept"` // an edit kept this layer unchanged
}

// viewBox is the square the tokens' [-1,1] coordinates map to (Twemoji's).
var viewBox = [4]float64{0, 0, 36, 36}

// Generate draws a new layered SVG for o.Prompt.
func (m *Model) Generate(ctx context.Context, o Options) (*Result, error) {
	res, err := m.GenerateN(ctx, o, 1)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// MaxCandidates bounds n in GenerateN and VariationN (each candidate is K rows of every DiT
// pass, twice with guidance).
const MaxCandidates = 16

// CandidateSeed is the seed of candidate i of a batch seeded with seed: seed+i (mod 2⁶⁴). So
// candidate i of GenerateN(Seed: s) is exactly Generate(Seed: s+i), token for token, and a
// batch of n seeded s holds the first candidates of any larger batch seeded s.
func CandidateSeed(seed uint64, i int) uint64 { return seed + uint64(i) }

// GenerateN draws n candidates for o.Prompt in one sampling run, candidate i from the noise of
// CandidateSeed(o.Seed, i). The candidates advance step by step together (one caption encoding,
// one OnStep per step); where the backend batches (tensor.GroupedDiffusionOps) each candidate's
// guided pair is one DiT pass (batchCandidates per pass). Each result equals the one-candidate
// run of its seed. OnStep, when set, gets the n estimates one after another
// (candidate i at [i·K·F, (i+1)·K·F)).
func (m *Model) GenerateN(ctx context.Context, o Options, n int) ([]*Result, error) {
	if n < 1 || n > MaxCandidates {
		return nil, fmt.Errorf("%w: n %d outside [1, %d]", ErrOptions, n, MaxCandidates)
	}
	kf := m.Config.Slots * m.Config.Fields
	noise := make([]float32, 0, n*kf)
	for i := 0; i < n; i++ {
		noise = append(noise, Noise(CandidateSeed(o.Seed, i), kf)...)
	}
	x := append([]float32(nil), noise...)
	if err := m.sampleBatch(ctx, x, noise, nil, nil, n, 0, o); err != nil {
		return nil, err
	}
	out := make([]*Result, n)
	for i := range out {
		xi := x[i*kf : (i+1)*kf : (i+1)*kf]
		dropInvisible(xi, m.Config.Fields, nil)
		res, err := m.result(xi)
		if err != nil {
			return nil, err
		}
		out[i] = res
	}
	return out, nil
}

// TokensToDoc decodes tokens (K,F) into a document in the model's viewBox.
func (m *Model) TokensToDoc(x []float32) (*vector.Document, error) {
	return vector.Detokenize(&vector.Tokens{K: m.Config.Slots, N: m.Config.Cubics, ViewBox: viewBox, Data: x})
}

// result decodes x into a fresh drawing in the model's viewBox.
func (m *Model) result(x []float32) (*Result, error) {
	doc, err := m.TokensToDoc(x)
	if err != nil {
		return nil, err
	}
	doc.ViewBox = viewBox
	res := &Result{Tokens: x, Doc: doc, SVG: vector.WriteSVG(doc)}
	res.Layers = layerInfos(doc, nil)
	return res, nil
}

// layerInfos describes doc's layers; kept (nil or one per layer) marks layers an edit kept.
func layerInfos(doc *vector.Document, kept []bool) []LayerInfo {
	infos := make([]LayerInfo, len(doc.Layers))
	for i, l := range doc.Layers {
		infos[i] = LayerInfo{
			Index: i, ID: fmt.Sprintf("layer-%d", i), Fill: l.Fill.Hex(), Opacity: l.Fill.A,
			Subpaths: len(l.Subpaths), Kept: kept != nil && kept[i],
		}
	}
	return infos
}

// minAlpha is the opacity below which a generated layer is dropped: it would be invisible at
// 8 bits per channel, and an SVG reader drops a layer whose opacity is written as 0.
const minAlpha = 1.0 / 255

// dropInvisible clears exists on the slots of every layer whose fill is invisible, so the
// decoded drawing has no invisible layers; a layer whose exists field mask keeps (nil: none)
// gets the minimum opacity instead.
func dropInvisible(x []float32, f int, mask []bool) {
	k := len(x) / f
	drop := false
	for i := 0; i < k; i++ {
		row := x[i*f : (i+1)*f]
		if row[vector.FieldExists] <= 0 {
			drop = false
			continue
		}
		starts := !(row[vector.FieldJoinsPrev] > 0 && i > 0 && x[(i-1)*f+vector.FieldExists] > 0)
		if starts && (row[vector.FieldA]+1)/2 < minAlpha {
			if mask != nil && mask[i*f+vector.FieldExists] {
				// The edit keeps this layer's slot structure: keep the layer, barely visible,
				// rather than let it vanish from the SVG.
				row[vector.FieldA] = 2*minAlpha - 1
			} else {
				drop = true
			}
		} else if starts {
			drop = false
		}
		if drop {
			row[vector.FieldExists] = -1
		}
	}
}

// layerOfSlot gives, per slot of tokens x (K,F), the index of the layer it decodes into (the
// rule of vector.Detokenize), or -1 for an empty slot.
func layerOfSlot(x []float32, f int) []int {
	k := len(x) / f
	out := make([]int, k)
	layer, prev := -1, false
	for i := 0; i < k; i++ {
		row := x[i*f : (i+1)*f]
		if row[vector.FieldExists] <= 0 {
			out[i], prev = -1, false
			continue
		}
		if !(row[vector.FieldJoinsPrev] > 0 && prev) {
			layer++
		}
		out[i], prev = layer, true
	}
	return out
}
