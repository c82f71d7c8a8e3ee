package tensor

import (
	"math"
	"testing"
)

func windowVal(i int, f float64) float32 { return float32(math.Sin(float64(i)*f) * 1.5) }

// windowCaches makes key and value caches (S,KW) of smooth test values,
// on the host and on be.
func windowCaches(be Backend, S, KW int) (kc, vc []float32, kt, vt Tensor) {
	kc, vc = make([]float32, S*KW), make([]float32, S*KW)
	for i := range kc {
		kc[i], vc[i] = windowVal(i, 0.37), windowVal(i, 0.91)
	}
	kt, _ = be.UploadF32([]int{S, KW}, kc)
	vt, _ = be.UploadF32([]int{S, KW}, vc)
	return kc, vc, kt, vt
}

// Sliding-window attention against a float64 loop over the window's keys
// only, for a prefill at Pos 0, a chunk at Pos > 0 and single-row decodes.
func TestAttentionWindow(t *testing.T) {
	be := NewCPU()
	const H, G, D, S, W = 4, 2, 8, 20, 5
	kc, vc, kt, vt := windowCaches(be, S, G*D)
	scale := float32(1 / math.Sqrt(D))
	for _, c := range []struct{ pos, T, window int }{{0, 12, W}, {7, 6, W}, {15, 1, W}, {19, 1, W}, {3, 4, 1}, {0, 9, 100}} {
		q := make([]float32, c.T*H*D)
		for i := range q {
			q[i] = windowVal(i+c.pos, 0.53)
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

// A ring cache (position p at row p mod R) gives exactly the linear
// cache's output for the same window: the same keys in the same order. The
// expected values are the linear cache's, which TestAttentionWindow checks
// against a float64 loop.
func TestAttentionRing(t *testing.T) {
	be := NewCPU()
	const H, G, D, S = 4, 2, 8, 40
	kc, vc, kt, vt := windowCaches(be, S, G*D)
	scale := float32(1 / math.Sqrt(D))
	KW := G * D
	for _, c := range []struct{ pos, T, W, R int }{
		{0, 1, 5, 5}, {4, 1, 5, 5}, {5, 1, 5, 5}, {23, 1, 5, 5}, {39, 1, 5, 5},
		{0, 3, 5, 7}, {9, 3, 5, 7}, {12, 3, 5, 7}, {30, 2, 5, 6}, {17, 4, 4, 7}, {33, 1, 1, 1},
	} {
		// The ring holds the last R positions before pos+T.
		ring := make([]float32, 2*c.R*KW)
		for p := max(0, c.pos+c.T-c.R); p < c.pos+c.T; p++ {
			copy(ring[(p%c.R)*KW:], kc[p*KW:(p+1)*KW])
			copy(ring[(c.R+p%c.R)*KW:], vc[p*KW:(p+1)*KW])
		}
		rk, _ := be.UploadF32([]int{c.R, KW}, ring[:c.R*KW])
		rv, _ := be.UploadF32([]int{c.R, KW}, ring[c.R*KW:])
		q := make([]float32, c.T*H*D)
		for i := range q {
			q[i] = windowVal(i+c.pos, 0.53)
		}
		qt, _ := be.UploadF32([]int{c.T, H * D}, q)
		want, _ := be.Zeros(c.T, H*D)
		got, _ := be.Zeros(c.T, H*D)
		args := AttentionArgs{Heads: H, KVHeads: G, HeadDim: D, Pos: c.pos, Scale: scale, Window: c.W}
		be.Attention(want, qt, kt, vt, args)
		args.Ring = c.R
		be.Attention(got, qt, rk, rv, args)
		w, err := be.Read(want, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		g, err := be.Read(got, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		for i := range w {
			if g[i] != w[i] {
				t.Fatalf("%+v: ring out[%d] = %g, linear %g", c, i, g[i], w[i])
			}
		}
		for _, tt := range []Tensor{rk, rv, qt, want, got} {
			be.Free(tt)
		}
	}
	// A ring too small for the chunk, or a ring without a window, is an
	// error at the next read, not a panic.
	rk, _ := be.Zeros(5, KW)
	rv, _ := be.Zeros(5, KW)
	qt, _ := be.Zeros(2, H*D)
	out, _ := be.Zeros(2, H*D)
	for _, a := range []AttentionArgs{{Window: 5, Ring: 5}, {Window: 0, Ring: 5}, {Window: 3, Ring: 4}, {Window: 3, Ring: -1}} {
		a.Heads, a.KVHeads, a.HeadDim, a.Pos, a.Scale = H, G, D, 9, scale
		be.Attention(out, qt, rk, rv, a)
		if _, err := be.Read(out, 0, -1); err == nil {
			t.Errorf("window %d ring %d over 5 rows for 2 queries: no error", a.Window, a.Ring)
		}
	}
}
