package tensor

import (
	"math"
	"testing"
)

// Sliding-window attention against a float64 loop over the window's keys
// only, for a prefill at Pos 0, a chunk at Pos > 0 and single-row decodes.
func TestAttentionWindow(t *testing.T) {
	be := NewCPU()
	const H, G, D, S, W = 4, 2, 8, 20, 5
	val := func(i int, f float64) float32 { return float32(math.Sin(float64(i)*f) * 1.5) }
	kc := make([]float32, S*G*D)
	vc := make([]float32, S*G*D)
	for i := range kc {
		kc[i], vc[i] = val(i, 0.37), val(i, 0.91)
	}
	kt, _ := be.UploadF32([]int{S, G * D}, kc)
	vt, _ := be.UploadF32([]int{S, G * D}, vc)
	scale := float32(1 / math.Sqrt(D))
	for _, c := range []struct{ pos, T, window int }{{0, 12, W}, {7, 6, W}, {15, 1, W}, {19, 1, W}, {3, 4, 1}, {0, 9, 100}} {
		q := make([]float32, c.T*H*D)
		for i := range q {
			q[i] = val(i+c.pos, 0.53)
		}
		qt, _ := be.UploadF32([]int{c.T, H * D}, q)
		out, _ := be.Zeros(c.T, H*D)
		be.Attention(out, qt, kt, vt, AttentionArgs{Heads: H, KVHeads: G, HeadDim: D, Pos: c.pos, Scale: scale, Window: c.window})
		got, err := be.Read(out, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		for r := range c.T {
			i := c.pos + r
			lo := max(0, i-c.window+1)
			for h := range H {
				g := h / (H / G)
				var sc []float64
				mx := math.Inf(-1)
				for j := lo; j <= i; j++ {
					var d float64
					for e := range D {
						d += float64(q[r*H*D+h*D+e]) * float64(kc[j*G*D+g*D+e])
					}
					d *= float64(scale)
					sc = append(sc, d)
					mx = math.Max(mx, d)
				}
				var z float64
				for k := range sc {
					sc[k] = math.Exp(sc[k] - mx)
					z += sc[k]
				}
				for e := range D {
					var want float64
					for k, j := 0, lo; j <= i; k, j = k+1, j+1 {
						want += sc[k] / z * float64(vc[j*G*D+g*D+e])
					}
					if d := math.Abs(float64(got[r*H*D+h*D+e]) - want); d > 1e-5 {
						t.Fatalf("pos %d T %d window %d: row %d head %d [%d] = %g, want %g", c.pos, c.T, c.window, r, h, e, got[r*H*D+h*D+e], want)
					}
				}
			}
		}
		be.Free(qt)
		be.Free(out)
	}
}
