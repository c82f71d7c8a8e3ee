package quant

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/lamina-ml/lamina/model"
)

const tinyLM = "../train/lm/testdata/tiny-random"

// TestCalibrate: the Hessian of each linear is Σ xᵀx of the inputs it
// receives (checked for the lm_head against the final-normed hidden states
// the model reports), q/k/v share one, block influence is in [0,2], and
// the calibration survives SaveCalibration/LoadCalibration.
func TestCalibrate(t *testing.T) {
	m, err := model.LoadDir(tinyLM, NewCalibrationBackend())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	win := [][]int32{{0, 5, 17, 99, 3, 250, 7, 1}, {0, 42, 43, 44}}
	c, err := Calibrate(m, win)
	if err != nil {
		t.Fatal(err)
	}
	C := m.Config.Hidden
	// lm_head's input is the final-normed state: HiddenStates' last entry.
	want := make([]float64, C*C)
	for _, ids := range win {
		hs, err := m.HiddenStates(ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range hs[len(hs)-1] {
			for i := range row {
				for j := range row {
					want[i*C+j] += float64(row[i]) * float64(row[j])
				}
			}
		}
	}
	got := c.Hessians["model.embed_tokens.weight"]
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-4*(1+math.Abs(want[i])) {
			t.Fatalf("lm_head Hessian[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	q, k := c.Hessians["model.layers.0.self_attn.q_proj.weight"], c.Hessians["model.layers.0.self_attn.k_proj.weight"]
	if &q[0] != &k[0] {
		t.Error("q_proj and k_proj do not share their Hessian")
	}
	for i, b := range c.BI {
		if !(b >= 0 && b <= 2) {
			t.Errorf("BI[%d] = %v", i, b)
		}
	}
	if c.Tokens != 12 {
		t.Errorf("%d tokens, want 12", c.Tokens)
	}
	path := filepath.Join(t.TempDir(), "calib.gob")
	if err := SaveCalibration(path, c); err != nil {
		t.Fatal(err)
	}
	c2, err := LoadCalibration(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c2.Hessians) != len(c.Hessians) || c2.Tokens != c.Tokens || c2.BI[0] != c.BI[0] || c2.Hessians["model.embed_tokens.weight"][5] != got[5] {
		t.Error("calibration changed through SaveCalibration/LoadCalibration")
	}
	if q2, v2 := c2.Hessians["model.layers.1.self_attn.q_proj.weight"], c2.Hessians["model.layers.1.self_attn.v_proj.weight"]; &q2[0] != &v2[0] {
		t.Error("loaded calibration does not share q/v Hessians")
	}
}

func TestLowBitLayers(t *testing.T) {
	bi := []float64{0.5, 0.1, 0.3, 0.05, 0.2, 0.4}
	// 6 layers 4→3 bits at 3.5: 3 layers low, the three lowest BI: 3, 1, 4.
	got, avg := LowBitLayers(bi, true, 4, 3, 3.5)
	if len(got) != 3 || got[0] != 1 || got[1] != 3 || got[2] != 4 || avg != 3.5 {
		t.Fatalf("LowBitLayers = %v, %v", got, avg)
	}
	got, _ = LowBitLayers(bi, false, 4, 3, 3.5)
	if len(got) != 3 || got[0] != 0 || got[1] != 2 || got[2] != 5 {
		t.Fatalf("smaller-is-more-important order = %v", got)
	}
}

func TestZD(t *testing.T) {
	// mean 0, std √1.25 ≈ 1.118: z = 1.34 for 1.5, 0.45 for 0.5, so only
	// the largest value has z > 1.
	w := []float32{-1.5, -0.5, 0.5, 1.5}
	if z := ZD(w); math.Abs(z-0.25) > 1e-12 {
		t.Fatalf("ZD = %v, want 0.25", z)
	}
}
