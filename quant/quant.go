// Package quant chooses quantized weights: round-to-nearest (RTN) and GPTQ
// (Frantar et al. 2022, "GPTQ: Accurate Post-Training Quantization for
// Generative Pre-trained Transformers", arXiv:2210.17323), Hessians from
// calibration text run on the CPU backend, per-layer importance scores for
// layer-wise mixed bits (ZD z-score, Dumitru et al. 2025; ShortGPT block
// influence, Men et al. 2024), and the writer of the quantized model folder
// that model.Load reads (format: model/quant.go).
//
// Widths: 8 bits is symmetric per output channel (s = max|w|/127); 4 and 3
// bits are asymmetric per group of columns, with GPTQ's range rule (the
// range always contains 0): s = (max−min)/(2^b−1), z = round(−min/s),
// q = clamp(round(w/s)+z, 0, 2^b−1), ŵ = s·(q−z).
package quant

import (
	"fmt"
	"math"

	"github.com/lamina-ml/lamina/kernels"
)

// Spec is one matrix's width: Bits 8, 4 or 3; Group columns per scale for 4
// and 3 bits (a multiple of 32; 0 = per row). 8 bits is always per row.
type Spec struct {
	Bits, Group int
}

func (s Spec) check() error {
	if s.Bits != 8 && s.Bits != 4 && s.Bits != 3 {
		return fmt.Errorf("quant: %d bits (want 8, 4 or 3)", s.Bits)
	}
	if s.Group < 0 || s.Group%kernels.QuantBlock != 0 {
		return fmt.Errorf("quant: group %d is not 0 or a multiple of %d", s.Group, kernels.QuantBlock)
	}
	return nil
}

// group is the layout group: per row for 8 bits.
func (s Spec) group() int {
	if s.Bits == 8 {
		return 0
	}
	return s.Group
}

func (s Spec) container() int {
	if s.Bits == 8 {
		return 8
	}
	return 4
}

// params is one group's scale and zero point.
type params struct {
	scale float32
	zero  int
	maxq  int // 2^b−1 (asymmetric) or 127 (symmetric)
	sym   bool
}

// findParams computes the scale (and zero point) of a group of weights.
func findParams(w []float32, bits int) params {
	if bits == 8 {
		var m float64
		for _, v := range w {
			m = math.Max(m, math.Abs(float64(v)))
		}
		if m == 0 {
			m = 1
		}
		return params{scale: float32(m / 127), maxq: 127, sym: true}
	}
	lo, hi := 0.0, 0.0
	for _, v := range w {
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	if lo == 0 && hi == 0 {
		lo, hi = -1, 1
	}
	maxq := 1<<bits - 1
	s := (hi - lo) / float64(maxq)
	return params{scale: float32(s), zero: int(math.Round(-lo / s)), maxq: maxq}
}

// code is the quantized code of v and the value it stands for.
func (p params) code(v float32) (int, float32) {
	q := int(math.Round(float64(v/p.scale))) + p.zero
	lo := 0
	if p.sym {
		lo = -p.maxq
	}
	q = max(lo, min(p.maxq, q))
	return q, p.scale * float32(q-p.zero)
}

// store writes group gi of row n's scale (and min).
func (p params) store(m *kernels.QMatrix, n, gi int) {
	i := n*m.Groups() + gi
	m.Scale[i] = p.scale
	if m.Min != nil {
		m.Min[i] = -p.scale * float32(p.zero)
	}
}

// RTN quantizes w (N,K) by rounding each weight to the nearest code of its
// group.
func RTN(w []float32, N, K int, s Spec) (*kernels.QMatrix, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if len(w) != N*K {
		return nil, fmt.Errorf("quant: %d weights for (%d,%d)", len(w), N, K)
	}
	m, err := kernels.NewQMatrix(s.container(), N, K, s.group())
	if err != nil {
		return nil, err
	}
	G := groupCols(s, K)
	kernels.ParallelFor(N, func(n int) {
		row := w[n*K : n*K+K]
		for g0 := 0; g0 < K; g0 += G {
			p := findParams(row[g0:min(g0+G, K)], s.Bits)
			p.store(m, n, g0/G)
			for k := g0; k < min(g0+G, K); k++ {
				q, _ := p.code(row[k])
				m.SetCode(n, k, q)
			}
		}
	})
	return m, nil
}

func groupCols(s Spec, K int) int {
	if g := s.group(); g > 0 {
		return g
	}
	return max(K, 1)
}
