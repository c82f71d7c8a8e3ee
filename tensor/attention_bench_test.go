package tensor

import "testing"

// BenchmarkAttentionDecode: one decode step's attention (T=1) over 1024
// cached positions, 8 query heads on 2 key/value heads of 64, full
// causal, a 256-position sliding window over a linear cache, and the same
// window over a ring of 256 rows. Compare with -count and benchstat-style
// medians; run beside a baseline build, not as a timed test.
func BenchmarkAttentionDecode(b *testing.B) {
	be := NewCPU()
	const H, G, D, S, W = 8, 2, 64, 1024, 256
	_, _, kt, vt := windowCaches(be, S, G*D)
	_, _, rk, rv := windowCaches(be, W, G*D)
	q, _ := be.Zeros(1, H*D)
	out, _ := be.Zeros(1, H*D)
	for _, c := range []struct {
		name   string
		k, v   Tensor
		window int
		ring   int
	}{{"full", kt, vt, 0, 0}, {"window", kt, vt, W, 0}, {"ring", rk, rv, W, W}} {
		b.Run(c.name, func(b *testing.B) {
			a := AttentionArgs{Heads: H, KVHeads: G, HeadDim: D, Pos: S - 1, Scale: 0.125, Window: c.window, Ring: c.ring}
			for b.Loop() {
				be.Attention(out, q, c.k, c.v, a)
			}
			if _, err := be.Read(out, 0, -1); err != nil {
				b.Fatal(err)
			}
		})
	}
}
