package eval

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/lamina-ml/lamina/vector"
)

// FeatureSize is the side of the renders the prompt-fidelity classifier reads: 24×24 RGB
// composited over white, 1,728 features, small enough to train on CPU in seconds.
const FeatureSize = 24

// Features renders doc at FeatureSize² and returns its RGB over white, (S,S,3) in [0,1].
func Features(doc *vector.Document) []float32 {
	img := vector.Render(doc, FeatureSize, FeatureSize)
	out := make([]float32, 0, FeatureSize*FeatureSize*3)
	for i := 0; i < len(img.Pix); i += 4 {
		a := img.Pix[i+3]
		for c := 0; c < 3; c++ {
			out = append(out, img.Pix[i+c]*a+(1-a))
		}
	}
	return out
}

// ClassifierOptions control training. Zero values take the defaults.
type ClassifierOptions struct {
	Hidden int     // hidden units of the one-hidden-layer MLP (default 64)
	Epochs int     // passes over the data (default 10: on the Twemoji groups validation accuracy was the same at 30)
	Batch  int     // minibatch size (default 32)
	LR     float32 // SGD learning rate with momentum 0.9 (default 0.05)
	Decay  float32 // L2 weight decay (default 1e-4)
	Seed   uint64
}

func (o *ClassifierOptions) fill() {
	if o.Hidden == 0 {
		o.Hidden = 64
	}
	if o.Epochs == 0 {
		o.Epochs = 10
	}
	if o.Batch == 0 {
		o.Batch = 32
	}
	if o.LR == 0 {
		o.LR = 0.05
	}
	if o.Decay == 0 {
		o.Decay = 1e-4
	}
}

// Classifier is a one-hidden-layer MLP (ReLU) with a softmax output over Classes, on
// standardised features.
type Classifier struct {
	Classes   []string
	mean, inv []float32 // per-feature standardisation
	d, h      int
	w1, b1    []float32 // w1 is (H,D)
	w2, b2    []float32 // w2 is (C,H)
}

// ErrClassifier is returned when there is nothing to train on.
var ErrClassifier = errors.New("eval: classifier needs ≥ 2 classes and equal-length features")

// TrainClassifier fits a classifier to features x (each of the same length) and labels y.
// Training is deterministic for a given seed.
func TrainClassifier(x [][]float32, y []string, o ClassifierOptions) (*Classifier, error) {
	o.fill()
	if len(x) == 0 || len(x) != len(y) {
		return nil, fmt.Errorf("%w: %d feature rows, %d labels", ErrClassifier, len(x), len(y))
	}
	d := len(x[0])
	idx := map[string]int{}
	for _, l := range y {
		idx[l] = 0
	}
	c := &Classifier{d: d, h: o.Hidden}
	for l := range idx {
		c.Classes = append(c.Classes, l)
	}
	sort.Strings(c.Classes)
	if len(c.Classes) < 2 {
		return nil, fmt.Errorf("%w: only %d class", ErrClassifier, len(c.Classes))
	}
	for i, l := range c.Classes {
		idx[l] = i
	}
	for _, r := range x {
		if len(r) != d {
			return nil, fmt.Errorf("%w: rows of %d and %d features", ErrClassifier, d, len(r))
		}
	}
	// Standardise each feature over the training set; constant features get scale 1.
	c.mean, c.inv = make([]float32, d), make([]float32, d)
	for j := 0; j < d; j++ {
		var s, ss float64
		for _, r := range x {
			s += float64(r[j])
			ss += float64(r[j]) * float64(r[j])
		}
		m := s / float64(len(x))
		sd := math.Sqrt(math.Max(ss/float64(len(x))-m*m, 0))
		c.mean[j] = float32(m)
		c.inv[j] = 1
		if sd > 1e-6 {
			c.inv[j] = float32(1 / sd)
		}
	}
	xs := make([][]float32, len(x))
	for i, r := range x {
		xs[i] = c.standardise(r)
	}
	labels := make([]int, len(y))
	for i, l := range y {
		labels[i] = idx[l]
	}
	nc := len(c.Classes)
	rng := rand.New(rand.NewPCG(o.Seed, 0x636c6173))
	// He initialisation for the ReLU layer, small output weights.
	c.w1, c.b1 = make([]float32, o.Hidden*d), make([]float32, o.Hidden)
	c.w2, c.b2 = make([]float32, nc*o.Hidden), make([]float32, nc)
	s1 := math.Sqrt(2 / float64(d))
	for i := range c.w1 {
		c.w1[i] = float32(rng.NormFloat64() * s1)
	}
	s2 := math.Sqrt(1 / float64(o.Hidden))
	for i := range c.w2 {
		c.w2[i] = float32(rng.NormFloat64() * s2)
	}
	params := [][]float32{c.w1, c.b1, c.w2, c.b2}
	grads := make([][]float32, len(params))
	vel := make([][]float32, len(params))
	for i, p := range params {
		grads[i] = make([]float32, len(p))
		vel[i] = make([]float32, len(p))
	}
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	hid := make([]float32, o.Hidden)
	logits := make([]float32, nc)
	dh := make([]float32, o.Hidden)
	for ep := 0; ep < o.Epochs; ep++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		// Cosine learning-rate decay over the epochs.
		lr := o.LR * float32(0.5*(1+math.Cos(math.Pi*float64(ep)/float64(o.Epochs))))
		for start := 0; start < len(order); start += o.Batch {
			end := min(start+o.Batch, len(order))
			for _, g := range grads {
				clear(g)
			}
			for _, i := range order[start:end] {
				c.forward(xs[i], hid, logits)
				softmax(logits)
				logits[labels[i]]-- // dL/dlogits = p − onehot
				g1, gb1, g2, gb2 := grads[0], grads[1], grads[2], grads[3]
				clear(dh)
				for k := 0; k < nc; k++ {
					gk := logits[k]
					gb2[k] += gk
					row := g2[k*o.Hidden : (k+1)*o.Hidden]
					w := c.w2[k*o.Hidden : (k+1)*o.Hidden]
					for j, hv := range hid {
						row[j] += gk * hv
						dh[j] += gk * w[j]
					}
				}
				xi := xs[i]
				for j := range dh {
					if hid[j] <= 0 {
						continue // ReLU gate
					}
					gj := dh[j]
					gb1[j] += gj
					row := g1[j*d : (j+1)*d]
					for f, v := range xi {
						row[f] += gj * v
					}
				}
			}
			scale := 1 / float32(end-start)
			for pi, p := range params {
				g, v := grads[pi], vel[pi]
				for j := range p {
					v[j] = 0.9*v[j] + g[j]*scale + o.Decay*p[j]
					p[j] -= lr * v[j]
				}
			}
		}
	}
	return c, nil
}

func (c *Classifier) standardise(r []float32) []float32 {
	out := make([]float32, len(r))
	for j, v := range r {
		out[j] = (v - c.mean[j]) * c.inv[j]
	}
	return out
}

// forward computes hid (H) and logits (C) of a standardised feature row x (D).
func (c *Classifier) forward(x, hid, logits []float32) {
	for j := range hid {
		w := c.w1[j*c.d : (j+1)*c.d]
		s := c.b1[j]
		for f, v := range x {
			s += w[f] * v
		}
		hid[j] = max(s, 0)
	}
	for k := range logits {
		w := c.w2[k*c.h : (k+1)*c.h]
		s := c.b2[k]
		for j, v := range hid {
			s += w[j] * v
		}
		logits[k] = s
	}
}

func softmax(z []float32) {
	m := z[0]
	for _, v := range z {
		m = max(m, v)
	}
	var s float32
	for i, v := range z {
		z[i] = float32(math.Exp(float64(v - m)))
		s += z[i]
	}
	for i := range z {
		z[i] /= s
	}
}

// Predict returns the most likely class of a feature row (of the training length).
func (c *Classifier) Predict(x []float32) string {
	if len(x) != c.d {
		return ""
	}
	hid := make([]float32, c.h)
	logits := make([]float32, len(c.Classes))
	c.forward(c.standardise(x), hid, logits)
	best := 0
	for k, v := range logits {
		if v > logits[best] {
			best = k
		}
	}
	return c.Classes[best]
}

// Accuracy is the share of rows whose prediction equals the label (0 for no rows).
func (c *Classifier) Accuracy(x [][]float32, y []string) float64 {
	if len(x) == 0 {
		return 0
	}
	ok := 0
	for i, r := range x {
		if c.Predict(r) == y[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(x))
}
