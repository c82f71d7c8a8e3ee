// Package quant chooses quantized weights: round-to-nearest (RTN) and GPTQ
// (Frantar et al. 2022, "GPTQ: Accurate Post-Training Quantization for
// Generative Pre-trained Transformers", arXiv:2210.17323) with optional
// act-order, QEP (Arai and Ichikawa 2025: each layer's weights corrected
// for the error of the quantized layers before it, then GPTQ), Hessians
// from calibration text run on the CPU backend, per-layer importance scores for
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

// RTN quantizes w (N,K) by rounding each weight to the nearest code of its
// group (kernels.QuantizeRTN).
func RTN(w []float32, N, K int, s Spec) (*kernels.QMatrix, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return kernels.QuantizeRTN(w, N, K, s.Bits, s.group())
}

func groupCols(s Spec, K int) int {
	if g := s.group(); g > 0 {
		return g
	}
	return max(K, 1)
}
