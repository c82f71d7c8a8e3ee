package quant

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

// QEPOptions are the knobs of quantization error propagation (Arai and
// Ichikawa, "Quantization Error Propagation: Revisiting Layer-Wise
// Post-Training Quantization", NeurIPS 2025; defaults from the official
// code, FujitsuResearch/qep, QEPConfig).
type QEPOptions struct {
	// Alpha is the propagation strength (perccorr) in (0, 1]: 1 corrects
	// fully; 0 means the default, 0.5 (NoCorrection returning true for
	// every name turns the correction off).
	Alpha float64
	// Damp is added to Ĥ's diagonal for the correction, as a fraction of
	// its mean (percdamp, 0.01 by default).
	Damp float64
	// Base is the quantizer run on the corrected weights: "gptq" (with the
	// quantized stream's Hessian) or "rtn".
	Base string
	GPTQ GPTQOptions
	// NoCorrection says which linears are quantized without the weight
	// correction (their Hessian still comes from the quantized stream).
	// Default: mlp.down_proj, as in the official code.
	NoCorrection func(name string) bool
}

func (o *QEPOptions) defaults() {
	if o.Alpha == 0 {
		o.Alpha = 0.5
	}
	if o.Damp <= 0 {
		o.Damp = 0.01
	}
	if o.Base == "" {
		o.Base = "gptq"
	}
	if o.NoCorrection == nil {
		o.NoCorrection = func(name string) bool { return strings.HasSuffix(name, "mlp.down_proj.weight") }
	}
}

// errStopPass ends a forward pass early from a layer callback.
var errStopPass = errors.New("quant: pass stopped")

// QEP quantizes the linears of m (a float llama-family model loaded on
// NewCalibrationBackend) one input group at a time in forward order (q/k/v
// together, o, gate/up together, down, per layer; lm_head last), keeping
// two residual streams over the calibration windows: the float model's and
// the model quantized so far. For each group it accumulates, over the
// calibration tokens, Ĥ = Σ x̂·x̂ᵀ of the quantized stream's inputs and the
// cross term H_δ = Σ (x−x̂)·x̂ᵀ with the float stream's inputs x, corrects
// each weight toward reproducing the float layer's outputs on the float
// inputs from the quantized inputs,
//
//	W ← W + α·W·H_δ·(Ĥ + damp·mean(diag Ĥ)·I)⁻¹
//
// (α = 1 is the least-squares solution of min ‖W·X − W'·X̂‖²), and
// quantizes it with the base quantizer (GPTQ with Ĥ, or RTN). spec gives
// each linear's width; Bits 0 keeps it float. The tied embedding table is
// lm_head too: it gets no correction (that would move the input
// embeddings), and the quantized stream reads float embeddings, since the
// table is quantized last.
func QEP(m *model.Model, windows [][]int32, spec func(model.Linear) Spec, opt QEPOptions, log io.Writer) (map[string]*kernels.QMatrix, error) {
	opt.defaults()
	if opt.Base != "gptq" && opt.Base != "rtn" {
		return nil, fmt.Errorf("quant: QEP base quantizer %q (want gptq or rtn)", opt.Base)
	}
	r, ok := m.Backend().(*recorder)
	if !ok {
		return nil, errors.New("quant: QEP needs a model loaded on NewCalibrationBackend()")
	}
	if len(windows) == 0 {
		return nil, errors.New("quant: QEP needs calibration text")
	}
	lin := m.Linears()
	if len(lin) == 0 {
		return nil, fmt.Errorf("quant: %s models have no quantizable linears", m.Config.Arch)
	}
	quantUp, ok := r.Backend.(tensor.QuantUploader)
	if !ok {
		return nil, errors.New("quant: QEP needs a backend that keeps quantized weights")
	}
	r.group = nil // Calibrate's Hessians are not fed by QEP's passes
	r.swap = map[tensor.Tensor]tensor.Tensor{}
	defer func() {
		for _, t := range r.swap {
			r.Backend.Free(t)
		}
		r.swap, r.capture, r.quantized = nil, nil, false
	}()
	// Both streams start from the embeddings.
	xf := make([][]float32, len(windows))
	for w, ids := range windows {
		err := m.ResidualStates(ids, func(i int, rows []float32) error {
			xf[w] = rows
			return errStopPass
		})
		if err != nil && !errors.Is(err, errStopPass) {
			return nil, err
		}
	}
	xq := make([][]float32, len(windows))
	for w := range xf {
		xq[w] = append([]float32(nil), xf[w]...)
	}
	out := map[string]*kernels.QMatrix{}
	quantizeGroup := func(group []model.Linear, fin, qin [][]float32) error {
		todo := group[:0:0]
		for _, l := range group {
			if spec(l).Bits > 0 {
				todo = append(todo, l)
			}
		}
		if len(todo) == 0 {
			return nil
		}
		K := todo[0].K
		H := make([]float64, K*K)
		D := make([]float64, K*K)
		for w := range fin {
			accumulateQEP(H, D, fin[w], qin[w], K)
		}
		for _, l := range todo {
			t0 := time.Now()
			wf, err := r.Backend.Read(l.W, 0, -1)
			if err != nil {
				return err
			}
			s := spec(l)
			correct := !opt.NoCorrection(l.Name) && !(l.Layer < 0 && m.Config.TieWordEmbeddings)
			if correct {
				if wf, err = qepCorrect(wf, l.N, K, H, D, opt.Alpha, opt.Damp); err != nil {
					return fmt.Errorf("%s: %w", l.Name, err)
				}
			}
			var q *kernels.QMatrix
			if opt.Base == "gptq" {
				q, err = GPTQ(wf, l.N, K, H, s, opt.GPTQ)
			} else {
				q, err = RTN(wf, l.N, K, s)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", l.Name, err)
			}
			t, err := quantUp.UploadQuant(q)
			if err != nil {
				return err
			}
			r.swap[l.W] = t
			out[l.Name] = q
			if log != nil {
				c := ""
				if !correct {
					c = " (no correction)"
				}
				fmt.Fprintf(log, "  %-40s (%d,%d) %d-bit g%d qep%s  %.2fs\n", l.Name, l.N, l.K, s.Bits, s.group(), c, time.Since(t0).Seconds())
			}
		}
		return nil
	}
	// runLayer advances every window of one stream through layer i,
	// capturing the inputs of the given weights.
	runLayer := func(xs [][]float32, i int, quantized bool, watch []tensor.Tensor) ([][]float32, map[tensor.Tensor][][]float32, error) {
		r.quantized = quantized
		next := make([][]float32, len(xs))
		got := map[tensor.Tensor][][]float32{}
		for w := range xs {
			r.capture = map[tensor.Tensor][]float32{}
			for _, t := range watch {
				r.capture[t] = nil
			}
			y, err := m.RunLayers(xs[w], i, i+1, false)
			if err == nil {
				err = r.err
			}
			if err != nil {
				return nil, nil, err
			}
			next[w] = y
			for _, t := range watch {
				if r.capture[t] == nil {
					return nil, nil, fmt.Errorf("quant: layer %d did not read its weight", i)
				}
				got[t] = append(got[t], r.capture[t])
			}
		}
		r.capture = nil
		return next, got, nil
	}
	for i := 0; i < m.Config.Layers; i++ {
		var groups [][]model.Linear
		for _, l := range lin {
			if l.Layer != i {
				continue
			}
			if n := len(groups); n > 0 && inputKey(groups[n-1][0]) == inputKey(l) {
				groups[n-1] = append(groups[n-1], l)
			} else {
				groups = append(groups, []model.Linear{l})
			}
		}
		watch := make([]tensor.Tensor, len(groups))
		for g := range groups {
			watch[g] = groups[g][0].W
		}
		nextF, fIn, err := runLayer(xf, i, false, watch)
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			// The quantized stream's inputs to g, with every group before
			// it (this layer's included) already quantized.
			_, qIn, err := runLayer(xq, i, true, []tensor.Tensor{g[0].W})
			if err != nil {
				return nil, err
			}
			if err := quantizeGroup(g, fIn[g[0].W], qIn[g[0].W]); err != nil {
				return nil, err
			}
		}
		if xq, _, err = runLayer(xq, i, true, nil); err != nil {
			return nil, err
		}
		xf = nextF
	}
	// lm_head reads the final-normed last layer output.
	L := m.Config.Layers
	head := lin[len(lin)-1]
	for w := range xf {
		var err error
		r.quantized = false
		if xf[w], err = m.RunLayers(xf[w], L, L, true); err != nil {
			return nil, err
		}
		r.quantized = true
		if xq[w], err = m.RunLayers(xq[w], L, L, true); err != nil {
			return nil, err
		}
	}
	if err := quantizeGroup([]model.Linear{head}, xf, xq); err != nil {
		return nil, err
	}
	return out, nil
}

// accumulateQEP adds x̂ᵀx̂ to H and (x−x̂)ᵀx̂ to D (both (K,K)) for the T
// rows of x (float stream) and xq (quantized stream), each (T,K): D[i][j]
// = Σ_t (x−x̂)[t][i]·x̂[t][j], the official code's delta_hatX.
func accumulateQEP(H, D []float64, x, xq []float32, K int) {
	T := len(xq) / K
	qT := make([]float32, K*T)
	dT := make([]float32, K*T)
	for t := 0; t < T; t++ {
		for k := 0; k < K; k++ {
			qT[k*T+t] = xq[t*K+k]
			dT[k*T+t] = x[t*K+k] - xq[t*K+k]
		}
	}
	p := make([]float32, K*K)
	kernels.MatMulF32(p, qT, qT, K, T, K) // x̂ᵀx̂
	for i, v := range p {
		H[i] += float64(v)
	}
	kernels.MatMulF32(p, dT, qT, K, T, K) // (x−x̂)ᵀx̂
	for i, v := range p {
		D[i] += float64(v)
	}
}

// qepCorrect returns W + α·W·D·(H + damp·mean(diag H)·I)⁻¹ for W (N,K),
// H = Σ x̂x̂ᵀ and D = Σ (x−x̂)x̂ᵀ (K,K). Inputs never non-zero (H_ii = 0)
// get H_ii = 1 and zero weights, as the official code does before its
// correction.
func qepCorrect(w []float32, N, K int, H, D []float64, alpha, damp float64) ([]float32, error) {
	W := make([]float64, N*K)
	for i, v := range w {
		W[i] = float64(v)
	}
	A := append([]float64(nil), H...)
	for i := 0; i < K; i++ {
		if A[i*K+i] == 0 {
			A[i*K+i] = 1
			for n := 0; n < N; n++ {
				W[n*K+i] = 0
			}
		}
	}
	var mean float64
	for i := 0; i < K; i++ {
		mean += A[i*K+i]
	}
	mean /= float64(K)
	for i := 0; i < K; i++ {
		A[i*K+i] += damp * mean
	}
	if err := choleskyLower(A, K); err != nil {
		return nil, err
	}
	out := make([]float32, N*K)
	kernels.ParallelFor(N, func(n int) {
		row := W[n*K : n*K+K]
		// b = row·D, then solve A·z = b (A symmetric: z = b·A⁻¹) with
		// A = L·Lᵀ: L·y = b, Lᵀ·z = y.
		z := make([]float64, K)
		for i, wi := range row {
			if wi == 0 {
				continue
			}
			d := D[i*K : i*K+K]
			for j, v := range d {
				z[j] += wi * v
			}
		}
		for i := 0; i < K; i++ {
			s := z[i]
			for k := 0; k < i; k++ {
				s -= A[i*K+k] * z[k]
			}
			z[i] = s / A[i*K+i]
		}
		for i := K - 1; i >= 0; i-- {
			s := z[i]
			for k := i + 1; k < K; k++ {
				s -= A[k*K+i] * z[k]
			}
			z[i] = s / A[i*K+i]
		}
		for k := range row {
			out[n*K+k] = float32(row[k] + alpha*z[k])
		}
	})
	return out, nil
}
