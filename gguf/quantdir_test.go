package gguf_test

import (
	"math"
	"testing"

	"github.com/lamina-ml/lamina/gguf"
	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

// quantDirTol: HFDirQuantized holds the file's exact weights (repacked,
// not requantized), so its logits differ from HFDir's dequantized f32 copy
// only by summation order.
const quantDirTol = 2e-4

// TestHFDirQuantized: Q8_0 and Q4_0 files of the llama and qwen2 fixtures
// load with their matrices kept quantized and give the logits of the
// dequantized folder (HFDir), which model_parity_test.go checks against
// transformers.
//
// The matrix-vector kernels run the exact f32 path here (this is a check
// of the repacking); their int8-activation default is bounded against it
// in package kernels.
func TestHFDirQuantized(t *testing.T) {
	defer kernels.SetExactQuantDot(kernels.SetExactQuantDot(true))
	for _, name := range []string{"llama-tiny", "qwen2-tiny"} {
		for _, typ := range []gguf.TensorType{gguf.Q8_0, gguf.Q4_0} {
			f, _ := exportFixture(t, name, typ)
			qfs, err := f.HFDirQuantized()
			if err != nil {
				t.Fatal(err)
			}
			ffs, err := f.HFDir()
			if err != nil {
				t.Fatal(err)
			}
			qm, err := model.Load(qfs, tensor.NewCPU())
			if err != nil {
				t.Fatalf("%s %v: %v", name, typ, err)
			}
			fm, err := model.Load(ffs, tensor.NewCPU())
			if err != nil {
				t.Fatal(err)
			}
			if qm.Config.Quant == nil || len(qm.Config.Quant.Modules) == 0 {
				t.Fatalf("%s %v: no quantized modules", name, typ)
			}
			held := 0
			for _, l := range qm.Linears() {
				if dt := l.W.DType(); dt == tensor.Q8 || dt == tensor.Q4 {
					held++
				}
			}
			if held == 0 {
				t.Fatalf("%s %v: no matrix held quantized", name, typ)
			}
			ids := loadReference(t, name).InputIDs
			var worst float64
			// Two tokens run the fused matrix-vector kernels, all of them
			// the prefill path.
			for _, in := range [][]int32{ids[:2], ids} {
				want, err := fm.Logits(in)
				if err != nil {
					t.Fatal(err)
				}
				got, err := qm.Logits(in)
				if err != nil {
					t.Fatal(err)
				}
				for i := range want {
					for j := range want[i] {
						worst = math.Max(worst, math.Abs(float64(got[i][j]-want[i][j])))
					}
				}
			}
			t.Logf("%s %v: %d of %d matrices quantized, max |Δlogit| %.2g vs the dequantized folder", name, typ, held, len(qm.Linears()), worst)
			if worst > quantDirTol {
				t.Errorf("%s %v: logits differ by %v", name, typ, worst)
			}
			qm.Close()
			fm.Close()
		}
	}
}
