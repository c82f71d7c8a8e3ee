//go:build js && wasm

package wasmsimd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

// tolAttention bounds |simd - cpu| relative to max|v| of the heads' value
// rows: the kernel repeats the reference's f32 ops in its order, so the
// difference is expected to be 0 and is at most rounding.
const tolAttention = 1e-6

// attnCase is one Attention call after rows [from, pos+T) of the caches
// were written by CopyRows.
type attnCase struct {
	H, G, D, S  int
	steps       [][2]int // (pos, T) calls in order, each writing its T new rows first
	window      int
	nanQ, infK  bool
	scribble    bool // an Add over the whole k cache before the last call
	wantEngine  bool // the module runs it (D % 4 == 0)
	description string
}

// TestAttention compares the module's attention with the CPU backend's:
// decode steps and prefill blocks, grouped-query heads, head dimensions off
// the vector width, sliding windows, a long cache, NaN in q and -Inf in k,
// and caches written by an op the mirror does not track.
func TestAttention(t *testing.T) {
	e := loadEngine(t)
	simd, cpu := tensor.NewCPUWith(e), tensor.NewCPU()
	cases := []attnCase{
		{H: 6, G: 2, D: 64, S: 40, steps: [][2]int{{0, 16}, {16, 1}, {17, 1}, {18, 3}}, wantEngine: true, description: "brown-20m heads, prefill then decode"},
		{H: 1, G: 1, D: 4, S: 9, steps: [][2]int{{0, 1}, {1, 1}, {2, 7}}, wantEngine: true, description: "one head of 4"},
		{H: 4, G: 4, D: 12, S: 23, steps: [][2]int{{0, 5}, {5, 6}, {11, 1}}, wantEngine: true, description: "D 12, no grouping"},
		{H: 8, G: 2, D: 16, S: 30, steps: [][2]int{{0, 9}, {9, 1}, {10, 13}}, window: 6, wantEngine: true, description: "sliding window"},
		{H: 2, G: 1, D: 64, S: 1100, steps: [][2]int{{0, 1030}, {1030, 1}, {1031, 2}}, wantEngine: true, description: "long cache"},
		{H: 2, G: 2, D: 8, S: 12, steps: [][2]int{{0, 4}, {4, 3}}, nanQ: true, infK: true, wantEngine: true, description: "NaN q, -Inf k"},
		{H: 3, G: 1, D: 8, S: 12, steps: [][2]int{{0, 4}, {4, 1}, {5, 2}}, scribble: true, wantEngine: true, description: "cache written by Add"},
		{H: 2, G: 1, D: 6, S: 10, steps: [][2]int{{0, 3}, {3, 1}}, description: "D 6: the Go kernels"},
	}
	r := rand.New(rand.NewPCG(9, 10))
	for _, c := range cases {
		if got := e.Attends(tensor.AttentionArgs{Heads: c.H, KVHeads: c.G, HeadDim: c.D, Window: c.window}); got != c.wantEngine {
			t.Fatalf("%s: Attends = %v", c.description, got)
		}
		KW, QW := c.G*c.D, c.H*c.D
		kRows, vRows := randVec(r, c.S*KW), randVec(r, c.S*KW)
		if c.infK {
			kRows[2*KW+1] = float32(math.Inf(-1)) // row 2 of head 0: score -Inf for q > 0
		}
		var qs [][]float32
		for _, st := range c.steps {
			q := randVec(r, st[1]*QW)
			if c.nanQ {
				q[QW+3] = float32(math.NaN()) // row 1, head 0: all NaN
			}
			qs = append(qs, q)
		}
		var outs [2][][]float32
		calls := e.attn.calls
		for bi, be := range []tensor.Backend{cpu, simd} {
			kc, _ := be.Zeros(c.S, KW)
			vc, _ := be.Zeros(c.S, KW)
			ks, _ := be.UploadF32([]int{c.S, KW}, kRows)
			vs, _ := be.UploadF32([]int{c.S, KW}, vRows)
			for si, st := range c.steps {
				pos, T := st[0], st[1]
				be.CopyRows(kc, pos, ks, pos, T)
				be.CopyRows(vc, pos, vs, pos, T)
				if c.scribble && si == len(c.steps)-1 {
					be.Add(kc, kc, ks) // every row changes, behind the mirror's back
				}
				qt, _ := be.UploadF32([]int{T, QW}, qs[si])
				ot, _ := be.Zeros(T, QW)
				scale := float32(1 / math.Sqrt(float64(c.D)))
				be.Attention(ot, qt, kc, vc, tensor.AttentionArgs{Heads: c.H, KVHeads: c.G, HeadDim: c.D, Pos: pos, Scale: scale, Window: c.window})
				o, err := be.Read(ot, 0, -1)
				if err != nil {
					t.Fatalf("%s: %v", c.description, err)
				}
				outs[bi] = append(outs[bi], o)
				be.Free(qt)
				be.Free(ot)
			}
			for _, tt := range []tensor.Tensor{kc, vc, ks, vs} {
				be.Free(tt)
			}
		}
		if ran := e.attn.calls - calls; (ran == len(c.steps)) != c.wantEngine || (ran != 0 && ran != len(c.steps)) {
			t.Fatalf("%s: the module ran %d of %d calls", c.description, ran, len(c.steps))
		}
		worst := 0.0
		for si := range c.steps {
			for i, want := range outs[0][si] {
				got := outs[1][si][i]
				if classify(got) != classify(want) {
					t.Fatalf("%s, call %d, value %d: simd %v, cpu %v", c.description, si, i, got, want)
				}
				if classify(want) != "" {
					continue
				}
				d := math.Abs(float64(got - want))
				worst = max(worst, d)
				if d > tolAttention*4 { // |v| ≤ ~4 for normal samples
					t.Fatalf("%s, call %d, value %d: simd %v, cpu %v", c.description, si, i, got, want)
				}
			}
		}
		t.Logf("%s: max |simd - cpu| %g", c.description, worst)
	}
	if len(e.free) > 1 {
		t.Errorf("free list not merged: %v (top %d)", e.free, e.top)
	}
}
