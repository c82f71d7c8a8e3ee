package tensor

import (
	"math"
	"testing"
)

// attentionRef is softmax(q·kᵀ·scale)·v per head in float64: q (Tq,H·D), k and v (Tk,H·D).
func attentionRef(qv, kv, vv []float32, H, D int, scale float64) []float64 {
	W := H * D
	Tq, Tk := len(qv)/W, len(kv)/W
	want := make([]float64, Tq*W)
	for i := 0; i < Tq; i++ {
		for h := 0; h < H; h++ {
			s := make([]float64, Tk)
			mx := math.Inf(-1)
			for j := range s {
				for d := 0; d < D; d++ {
					s[j] += float64(qv[i*W+h*D+d]) * float64(kv[j*W+h*D+d])
				}
				s[j] *= scale
				mx = math.Max(mx, s[j])
			}
			var sum float64
			for j := range s {
				s[j] = math.Exp(s[j] - mx)
				sum += s[j]
			}
			for j := range s {
				for d := 0; d < D; d++ {
					want[i*W+h*D+d] += s[j] / sum * float64(vv[j*W+h*D+d])
				}
			}
		}
	}
	return want
}

func TestAttentionFullRows(t *testing.T) {
	cpu := NewCPU()
	gr := cpu.(GroupedDiffusionOps)
	const H, D, Tq, Tk = 3, 8, 10, 9
	W := H * D
	qv, kv, vv := randVals(Tq*W, 7), randVals(Tk*W, 8), randVals(Tk*W, 9)
	q, k, v := upload(t, cpu, []int{Tq, W}, qv), upload(t, cpu, []int{Tk, W}, kv), upload(t, cpu, []int{Tk, W}, vv)
	sentinel := make([]float32, Tq*W)
	for i := range sentinel {
		sentinel[i] = 42
	}
	out := upload(t, cpu, []int{Tq, W}, sentinel)
	scale := 1 / math.Sqrt(D)
	// Query rows 3..7 attend to key rows 2..6; the other rows of out stay as they were.
	gr.AttentionFullRows(out, q, k, v, 3, 5, 2, 5, H, D, float32(scale))
	want := make([]float64, Tq*W)
	for i := range want {
		want[i] = 42
	}
	copy(want[3*W:8*W], attentionRef(qv[3*W:8*W], kv[2*W:7*W], vv[2*W:7*W], H, D, scale))
	checkClose(t, "AttentionFullRows", read(t, cpu, out), want, reduceTol)
	for _, bad := range [][4]int{{8, 5, 0, 1}, {0, 1, 5, 5}, {-1, 2, 0, 1}, {0, 1, 0, 0}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("rows %v: no panic", bad)
				}
			}()
			gr.AttentionFullRows(out, q, k, v, bad[0], bad[1], bad[2], bad[3], H, D, 1)
		}()
	}
}

func TestGroupedModulation(t *testing.T) {
	cpu := NewCPU()
	gr := cpu.(GroupedDiffusionOps)
	const G, per, C = 3, 2, 6
	const T = G * per
	const eps = 1e-6
	xv, wv, bv, sv, yv := randVals(T*C, 10), randVals(G*C, 11), randVals(G*C, 12), randVals(G*C, 13), randVals(T*C, 14)
	x, w, b := upload(t, cpu, []int{T, C}, xv), upload(t, cpu, []int{G, C}, wv), upload(t, cpu, []int{G, C}, bv)
	s, y := upload(t, cpu, []int{G, C}, sv), upload(t, cpu, []int{T, C}, yv)
	ln, as := make([]float64, T*C), make([]float64, T*C)
	for r := 0; r < T; r++ {
		g := r / per
		var sum float64
		for c := 0; c < C; c++ {
			sum += float64(xv[r*C+c])
		}
		mean := sum / C
		var vs float64
		for c := 0; c < C; c++ {
			d := float64(xv[r*C+c]) - mean
			vs += d * d
		}
		for c := 0; c < C; c++ {
			ln[r*C+c] = (float64(xv[r*C+c])-mean)/math.Sqrt(vs/C+eps)*float64(wv[g*C+c]) + float64(bv[g*C+c])
			as[r*C+c] = float64(xv[r*C+c]) + float64(sv[g*C+c])*float64(yv[r*C+c])
		}
	}
	out, _ := cpu.Zeros(T, C)
	gr.LayerNormGroups(out, x, w, b, eps)
	checkClose(t, "LayerNormGroups", read(t, cpu, out), ln, reduceTol)
	gr.AddScaledGroups(x, x, s, y) // in place, as the DiT uses it
	checkClose(t, "AddScaledGroups", read(t, cpu, x), as, elemTol)
	odd, _ := cpu.Zeros(T+1, C)
	defer func() {
		if recover() == nil {
			t.Error("rows not a multiple of the groups: no panic")
		}
	}()
	gr.LayerNormGroups(odd, odd, w, b, eps)
}
