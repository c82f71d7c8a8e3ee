package tensor

import (
	"fmt"
	"math"
	"testing"
)

func TestAttentionFull(t *testing.T) {
	be := NewCPU().(DiffusionOps)
	cpu := be.(Backend)
	for _, c := range []struct{ tq, tk, h, d int }{{1, 1, 1, 4}, {5, 3, 2, 8}, {48, 17, 8, 32}, {7, 48, 3, 5}} {
		t.Run(fmt.Sprintf("q%d_k%d_h%d_d%d", c.tq, c.tk, c.h, c.d), func(t *testing.T) {
			W := c.h * c.d
			qv, kv, vv := randVals(c.tq*W, 1), randVals(c.tk*W, 2), randVals(c.tk*W, 3)
			q, k, v := upload(t, cpu, []int{c.tq, W}, qv), upload(t, cpu, []int{c.tk, W}, kv), upload(t, cpu, []int{c.tk, W}, vv)
			out, _ := cpu.Zeros(c.tq, W)
			scale := float32(1 / math.Sqrt(float64(c.d)))
			be.AttentionFull(out, q, k, v, c.h, c.d, scale)
			want := make([]float64, c.tq*W)
			for i := 0; i < c.tq; i++ {
				for h := 0; h < c.h; h++ {
					s := make([]float64, c.tk)
					mx := math.Inf(-1)
					for j := range s {
						for d := 0; d < c.d; d++ {
							s[j] += float64(qv[i*W+h*c.d+d]) * float64(kv[j*W+h*c.d+d])
						}
						s[j] *= float64(scale)
						mx = math.Max(mx, s[j])
					}
					var sum float64
					for j := range s {
						s[j] = math.Exp(s[j] - mx)
						sum += s[j]
					}
					for j := range s {
						for d := 0; d < c.d; d++ {
							want[i*W+h*c.d+d] += s[j] / sum * float64(vv[j*W+h*c.d+d])
						}
					}
				}
			}
			checkClose(t, "AttentionFull", read(t, cpu, out), want, reduceTol)
		})
	}
}

func TestAddScaled(t *testing.T) {
	cpu := NewCPU()
	be := cpu.(DiffusionOps)
	const T, C = 5, 7
	av, sv, bv := randVals(T*C, 4), randVals(C, 5), randVals(T*C, 6)
	a, s, b := upload(t, cpu, []int{T, C}, av), upload(t, cpu, []int{1, C}, sv), upload(t, cpu, []int{T, C}, bv)
	be.AddScaled(a, a, s, b) // in place, as the DiT uses it
	want := make([]float64, T*C)
	for i := range want {
		want[i] = float64(av[i]) + float64(sv[i%C])*float64(bv[i])
	}
	checkClose(t, "AddScaled", read(t, cpu, a), want, elemTol)
}
