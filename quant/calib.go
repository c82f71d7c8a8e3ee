package quant

import (
	"encoding/gob"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

// Calibration is what one pass over calibration text measures: the
// Hessian Σ x·xᵀ of every linear's inputs and, per decoder layer, the
// ShortGPT block influence.
type Calibration struct {
	// Hessians maps a Linear's Name to its (K,K) Hessian; linears that
	// read the same input (q/k/v, gate/up) share one slice.
	Hessians map[string][]float64
	// BI[i] is block influence of decoder layer i: the mean over tokens of
	// 1 − cos(h_in, h_out) (Men et al. 2024, "ShortGPT", eq. 1). Higher is
	// more important.
	BI     []float64
	Tokens int
}

// recorder is a tensor.Backend that passes every op to the CPU backend and,
// for MatMuls whose weight is a watched linear, adds xᵀx to that linear's
// Hessian. It offers no FusedOps, so the model runs its plain ops and every
// linear is one MatMul.
type recorder struct {
	tensor.Backend
	group map[tensor.Tensor]int // weight → Hessian index
	hess  [][]float64
	k     []int
	seen  map[int]bool // Hessians fed in the current pass
	// QEP's two streams: with quantized set, MatMul runs the weights in
	// swap (already quantized linears) instead of the float ones, and the
	// inputs of the weights in capture are copied there, by float weight.
	swap      map[tensor.Tensor]tensor.Tensor
	quantized bool
	capture   map[tensor.Tensor][]float32
	err       error
	mu        sync.Mutex
}

func (r *recorder) MatMul(out, x, w, bias tensor.Tensor) {
	run := w
	if q, ok := r.swap[w]; ok && r.quantized {
		run = q
	}
	r.Backend.MatMul(out, x, run, bias)
	if got, ok := r.capture[w]; ok && got == nil && r.err == nil {
		r.capture[w], r.err = r.Backend.Read(x, 0, -1)
	}
	gi, ok := r.group[w]
	if !ok || r.seen[gi] || r.err != nil {
		return
	}
	r.seen[gi] = true
	v, err := r.Backend.Read(x, 0, -1)
	if err != nil {
		r.err = err
		return
	}
	K := r.k[gi]
	T := len(v) / K
	// xᵀx as the product xT·xTᵀ of xT (K,T) with itself, on the f32 gemm;
	// each pass's sum is added to the f64 total.
	xT := make([]float32, K*T)
	for t := 0; t < T; t++ {
		for k := 0; k < K; k++ {
			xT[k*T+t] = v[t*K+k]
		}
	}
	p := make([]float32, K*K)
	kernels.MatMulF32(p, xT, xT, K, T, K)
	h := r.hess[gi]
	for i, s := range p {
		h[i] += float64(s)
	}
}

// Calibrate loads nothing: it runs m (which must live on a recorder made by
// NewCalibrationBackend) over the windows of token ids and returns the
// Hessians and block influence.
func Calibrate(m *model.Model, windows [][]int32) (*Calibration, error) {
	r, ok := m.Backend().(*recorder)
	if !ok {
		return nil, fmt.Errorf("quant: Calibrate needs a model loaded on NewCalibrationBackend()")
	}
	lin := m.Linears()
	if len(lin) == 0 {
		return nil, fmt.Errorf("quant: %s models have no quantizable linears", m.Config.Arch)
	}
	r.group = map[tensor.Tensor]int{}
	names := map[int][]string{}
	keys := map[string]int{}
	for _, l := range lin {
		key := inputKey(l)
		gi, ok := keys[key]
		if !ok {
			gi = len(r.hess)
			keys[key] = gi
			r.hess = append(r.hess, make([]float64, l.K*l.K))
			r.k = append(r.k, l.K)
		}
		r.group[l.W] = gi
		names[gi] = append(names[gi], l.Name)
	}
	L := m.Config.Layers
	c := &Calibration{Hessians: map[string][]float64{}, BI: make([]float64, L)}
	C := m.Config.Hidden
	for _, ids := range windows {
		r.seen = map[int]bool{}
		if _, err := m.Logits(ids); err != nil {
			return nil, err
		}
		if r.err != nil {
			return nil, r.err
		}
		// Block influence from the residual stream around each layer.
		var prev []float32
		err := m.ResidualStates(ids, func(i int, rows []float32) error {
			if i > 0 {
				for t := 0; t < len(ids); t++ {
					c.BI[i-1] += 1 - cosine(prev[t*C:t*C+C], rows[t*C:t*C+C])
				}
			}
			prev = rows
			return nil
		})
		if err != nil {
			return nil, err
		}
		c.Tokens += len(ids)
	}
	for i := range c.BI {
		c.BI[i] /= float64(max(c.Tokens, 1))
	}
	for gi, ns := range names {
		for _, n := range ns {
			c.Hessians[n] = r.hess[gi]
		}
	}
	return c, nil
}

// inputKey names the input a linear reads: linears of one layer that read
// one input (q/k/v, gate/up) share it, and with it a Hessian.
func inputKey(l model.Linear) string {
	for _, s := range []struct{ suffix, key string }{
		{"q_proj.weight", "qkv"}, {"k_proj.weight", "qkv"}, {"v_proj.weight", "qkv"},
		{"gate_proj.weight", "gateup"}, {"up_proj.weight", "gateup"},
	} {
		if strings.HasSuffix(l.Name, s.suffix) {
			return fmt.Sprintf("%d/%s", l.Layer, s.key)
		}
	}
	return l.Name
}

// NewCalibrationBackend is the CPU backend with the MatMul recorder
// Calibrate needs; load the float model on it.
func NewCalibrationBackend() tensor.Backend {
	return &recorder{Backend: tensor.NewCPU()}
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// ZD is the z-score distribution score of one decoder layer (Dumitru et
// al. 2025, "Layer-Wise Quantization"): the fraction of the layer's
// weights (all its linears together) whose z-score (w−mean)/std over the
// layer exceeds 1.
func ZD(weights ...[]float32) float64 {
	var n, sum, sq float64
	for _, w := range weights {
		for _, v := range w {
			sum += float64(v)
			sq += float64(v) * float64(v)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	mean := sum / n
	std := math.Sqrt(math.Max(sq/n-mean*mean, 0))
	if std == 0 {
		return 0
	}
	var above float64
	for _, w := range weights {
		for _, v := range w {
			if (float64(v)-mean)/std > 1 {
				above++
			}
		}
	}
	return above / n
}

// LowBitLayers picks the n layers to put at the low width for a target
// average over the L decoder layers, avg = hi − n·(hi−lo)/L (rounded to the
// nearest n), taking the least important by score (lowest first when
// higherImportant, else highest first). It returns the chosen layers and the
// average the choice gives.
func LowBitLayers(score []float64, higherImportant bool, hi, lo int, avg float64) ([]int, float64) {
	L := len(score)
	if L == 0 || hi == lo {
		return nil, float64(hi)
	}
	n := int(math.Round((float64(hi) - avg) * float64(L) / float64(hi-lo)))
	n = max(0, min(L, n))
	idx := make([]int, L)
	for i := range idx {
		idx[i] = i
	}
	less := func(a, b int) bool {
		if higherImportant {
			return score[a] < score[b] || (score[a] == score[b] && a < b)
		}
		return score[a] > score[b] || (score[a] == score[b] && a < b)
	}
	// Selection sort: L is a few dozen layers.
	for i := 0; i < L; i++ {
		for j := i + 1; j < L; j++ {
			if less(idx[j], idx[i]) {
				idx[i], idx[j] = idx[j], idx[i]
			}
		}
	}
	chosen := append([]int(nil), idx[:n]...)
	for i := 0; i < len(chosen); i++ {
		for j := i + 1; j < len(chosen); j++ {
			if chosen[j] < chosen[i] {
				chosen[i], chosen[j] = chosen[j], chosen[i]
			}
		}
	}
	return chosen, float64(hi) - float64(n)*float64(hi-lo)/float64(L)
}

// calibFile is a Calibration as stored by SaveCalibration: each shared
// Hessian once, with the linears that read it.
type calibFile struct {
	Names  [][]string
	H      [][]float64
	BI     []float64
	Tokens int
}

// SaveCalibration writes c to path (gob), so several quantizations of one
// model can share one calibration pass.
func SaveCalibration(path string, c *Calibration) error {
	var cf calibFile
	idx := map[*float64]int{}
	for _, name := range sortedKeys(c.Hessians) {
		h := c.Hessians[name]
		i, ok := idx[&h[0]]
		if !ok {
			i = len(cf.H)
			idx[&h[0]] = i
			cf.H = append(cf.H, h)
			cf.Names = append(cf.Names, nil)
		}
		cf.Names[i] = append(cf.Names[i], name)
	}
	cf.BI, cf.Tokens = c.BI, c.Tokens
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := gob.NewEncoder(f).Encode(&cf); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// LoadCalibration reads what SaveCalibration wrote.
func LoadCalibration(path string) (*Calibration, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var cf calibFile
	if err := gob.NewDecoder(f).Decode(&cf); err != nil {
		return nil, fmt.Errorf("quant: %s: %w", path, err)
	}
	if len(cf.Names) != len(cf.H) {
		return nil, fmt.Errorf("quant: %s: %d name groups for %d Hessians", path, len(cf.Names), len(cf.H))
	}
	c := &Calibration{Hessians: map[string][]float64{}, BI: cf.BI, Tokens: cf.Tokens}
	for i, ns := range cf.Names {
		for _, n := range ns {
			c.Hessians[n] = cf.H[i]
		}
	}
	return c, nil
}

func sortedKeys(m map[string][]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
