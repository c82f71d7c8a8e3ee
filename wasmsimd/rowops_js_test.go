//go:build js && wasm

package wasmsimd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

// sameBits says whether a and b are the same f32 (any NaN equals any NaN).
func sameBits(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// allSizes is e taking row ops of every size (the tests' small shapes
// included).
func allSizes(e *Engine) *Engine {
	e.rowMin = rowMins{}
	return e
}

// readAll reads all of x.
func readAll(t *testing.T, be tensor.Backend, x tensor.Tensor) []float32 {
	t.Helper()
	v, err := be.Read(x, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestLayerNormBitIdentical: the module's ln gives the CPU backend's
// LayerNorm bits, for widths off the vector width (1, 3, 5, 17, …) and a
// long row, with and without a bias, rows far from zero mean, NaN and ±Inf
// in a row, out aliasing x, and LayerNormGroups' per-group weights.
func TestLayerNormBitIdentical(t *testing.T) {
	e := allSizes(loadEngine(t))
	simd, cpu := tensor.NewCPUWith(e), tensor.NewCPU()
	r := rand.New(rand.NewPCG(21, 5))
	type lnCase struct {
		T, C, G  int // G > 0: LayerNormGroups with G groups
		bias     bool
		offset   float32
		nan, inf bool
		alias    bool
		eps      float32
	}
	var cases []lnCase
	for _, C := range []int{1, 3, 4, 5, 8, 17, 128, 131, 4099} {
		for _, T := range []int{1, 3, 7} {
			cases = append(cases, lnCase{T: T, C: C, bias: T != 3, eps: 1e-5, offset: float32(T-1) * 50})
		}
	}
	cases = append(cases,
		lnCase{T: 4, C: 9, nan: true, inf: true, bias: true, eps: 1e-6},
		lnCase{T: 5, C: 128, alias: true, bias: true, eps: 1e-5},
		lnCase{T: 6, C: 13, G: 3, bias: true, eps: 1e-6, offset: 3},
		lnCase{T: 192, C: 128, G: 2, bias: true, eps: 1e-6, alias: true},
		lnCase{T: 2, C: 6, eps: 0.5},
	)
	for _, c := range cases {
		G := max(c.G, 1)
		x := randVec(r, c.T*c.C)
		for i := range x {
			x[i] += c.offset
		}
		if c.nan {
			x[c.C+2] = float32(math.NaN()) // row 1
		}
		if c.inf {
			x[2*c.C] = float32(math.Inf(1)) // row 2
			x[3*c.C+1] = float32(math.Inf(-1))
		}
		w, b := randVec(r, G*c.C), randVec(r, G*c.C)
		var outs [2][]float32
		calls := e.rows.ln
		for bi, be := range []tensor.Backend{cpu, simd} {
			xt, _ := be.UploadF32([]int{c.T, c.C}, x)
			wt, _ := be.UploadF32([]int{G, c.C}, w)
			bt, _ := be.UploadF32([]int{G, c.C}, b)
			ot := xt
			if !c.alias {
				ot, _ = be.Zeros(c.T, c.C)
			}
			switch {
			case c.G > 0:
				be.(tensor.GroupedDiffusionOps).LayerNormGroups(ot, xt, wt, bt, c.eps)
			case c.bias:
				be.LayerNorm(ot, xt, wt, bt, c.eps)
			default:
				be.LayerNorm(ot, xt, wt, nil, c.eps)
			}
			outs[bi] = readAll(t, be, ot)
			for _, tt := range []tensor.Tensor{xt, wt, bt} {
				be.Free(tt)
			}
			if !c.alias {
				be.Free(ot)
			}
		}
		if e.rows.ln == calls {
			t.Fatalf("%+v: the module did not run", c)
		}
		for i, want := range outs[0] {
			if got := outs[1][i]; !sameBits(got, want) {
				t.Fatalf("%+v: value %d: simd %v, cpu %v", c, i, got, want)
			}
		}
		if c.nan && classify(outs[0][c.C]) != "NaN" {
			t.Fatalf("%+v: the NaN row gives %v", c, outs[0][c.C])
		}
	}
}

// ropeFreq is RoPE's inverse frequencies of a head of D (base 10000).
func ropeFreq(D int) []float32 {
	f := make([]float32, D/2)
	for j := range f {
		f[j] = float32(1 / math.Pow(10000, float64(2*j)/float64(D)))
	}
	return f
}

// TestRoPEBitIdentical: the module's rope gives the CPU backend's RoPE
// bits (and RoPEKV's, which rotates through RoPE), for head dimensions
// whose half is off the vector width (2, 6, 10, 34, …), one to several
// heads and rows, large positions, NaN and ±Inf among the values, and
// frequencies of either sign and zero (the module makes the angles'
// cosines and sines, and must give math.Cos's and math.Sin's bits).
func TestRoPEBitIdentical(t *testing.T) {
	e := allSizes(loadEngine(t))
	simd, cpu := tensor.NewCPUWith(e), tensor.NewCPU()
	r := rand.New(rand.NewPCG(3, 8))
	for _, D := range []int{2, 6, 8, 10, 34, 64, 128} {
		for _, s := range []struct{ T, H, pos int }{{1, 1, 0}, {5, 3, 7}, {17, 2, 4093}, {2, 9, 131071}} {
			W := s.H * D
			x := randVec(r, s.T*W)
			x[0] = float32(math.NaN())
			x[len(x)-1] = float32(math.Inf(1))
			if len(x) > 3 {
				x[len(x)/2] = float32(math.Inf(-1))
			}
			f := ropeFreq(D)
			var outs [2][]float32
			calls := e.rows.rope
			for bi, be := range []tensor.Backend{cpu, simd} {
				xt, _ := be.UploadF32([]int{s.T, W}, x)
				ft, _ := be.UploadF32([]int{D / 2}, f)
				be.RoPE(xt, ft, s.H, D, s.pos)
				outs[bi] = readAll(t, be, xt)
				be.Free(xt)
				be.Free(ft)
			}
			if e.rows.rope != calls+1 {
				t.Fatalf("D %d %+v: the module ran %d times", D, s, e.rows.rope-calls)
			}
			for i, want := range outs[0] {
				if got := outs[1][i]; !sameBits(got, want) {
					t.Fatalf("D %d %+v: value %d: simd %v, cpu %v", D, s, i, got, want)
				}
			}
		}
	}
	// Frequencies of either sign, zero and tiny (angles ±0 and in every
	// octant) run in the module; a NaN or infinite one, or angles past
	// ropeMaxAngle, in Go.
	for _, fc := range []struct {
		f      []float32
		pos    int
		module bool
	}{
		{[]float32{-1, 0, 0.5, -3e-5, 1e-30}, 0, true},
		{[]float32{-1, 0, 0.5, -3e-5, 1e-30}, 1000, true},
		{[]float32{1, -0.75, 2.5, 1, 7}, 65535, true},
		{[]float32{1, float32(math.Inf(1)), 0.5, 1, 1}, 3, false},
		{[]float32{1, float32(math.NaN()), 0.5, 1, 1}, 3, false},
		{[]float32{1, 3000, 0.5, 1, 1}, 131071, false},
	} {
		const T, H, D = 4, 2, 10
		x := randVec(r, T*H*D)
		var outs [2][]float32
		calls := e.rows.rope
		for bi, be := range []tensor.Backend{cpu, simd} {
			xt, _ := be.UploadF32([]int{T, H * D}, x)
			ft, _ := be.UploadF32([]int{D / 2}, fc.f)
			be.RoPE(xt, ft, H, D, fc.pos)
			outs[bi] = readAll(t, be, xt)
			be.Free(xt)
			be.Free(ft)
		}
		if ran := e.rows.rope - calls; (ran == 1) != fc.module {
			t.Fatalf("frequencies %v at %d: the module ran %d times", fc.f, fc.pos, ran)
		}
		for i, want := range outs[0] {
			if got := outs[1][i]; !sameBits(got, want) {
				t.Fatalf("frequencies %v at %d: value %d: simd %v, cpu %v", fc.f, fc.pos, i, got, want)
			}
		}
	}
	// RoPEKV: q and k rotated, k and v into the caches at pos0.
	const T, H, G, D, S, pos = 3, 4, 2, 10, 9, 5
	q, k, v := randVec(r, T*H*D), randVec(r, T*G*D), randVec(r, T*G*D)
	var outs [2][3][]float32
	for bi, be := range []tensor.Backend{cpu, simd} {
		qt, _ := be.UploadF32([]int{T, H * D}, q)
		kt, _ := be.UploadF32([]int{T, G * D}, k)
		vt, _ := be.UploadF32([]int{T, G * D}, v)
		ft, _ := be.UploadF32([]int{D / 2}, ropeFreq(D))
		kc, _ := be.Zeros(S, G*D)
		vc, _ := be.Zeros(S, G*D)
		be.(interface {
			RoPEKV(q, k, v, invFreq, kCache, vCache tensor.Tensor, heads, kvHeads, headDim, pos0 int)
		}).RoPEKV(qt, kt, vt, ft, kc, vc, H, G, D, pos)
		for i, tt := range []tensor.Tensor{qt, kc, vc} {
			outs[bi][i] = readAll(t, be, tt)
		}
	}
	for i := range outs[0] {
		for j, want := range outs[0][i] {
			if got := outs[1][i][j]; !sameBits(got, want) {
				t.Fatalf("RoPEKV output %d value %d: simd %v, cpu %v", i, j, got, want)
			}
		}
	}
}

// tolAttentionFull bounds |simd - cpu| of AttentionFull (outputs of
// normal samples, |v| ≤ ~4): the two sum the products in different orders.
const tolAttentionFull = 4e-6

// fullCase is one AttentionFull (or, rows set, AttentionFullRows) call.
type fullCase struct {
	H, D, Tq, Tk int
	rows         [4]int // qRow, qRows, kRow, kRows when qRows > 0
	nanQ, infK   bool
	wantEngine   bool
	name         string
}

// checkAttentionFull runs the cases on the CPU backend and on simd and
// compares; it returns simd's outputs.
func checkAttentionFull(t *testing.T, e *Engine, cases []fullCase, seed uint64) [][]float32 {
	t.Helper()
	simd, cpu := tensor.NewCPUWith(e), tensor.NewCPU()
	r := rand.New(rand.NewPCG(seed, 12))
	var got [][]float32
	for _, c := range cases {
		W := c.H * c.D
		q, k, v := randVec(r, c.Tq*W), randVec(r, c.Tk*W), randVec(r, c.Tk*W)
		if c.nanQ {
			q[W+1] = float32(math.NaN()) // query row 1, head 0: all NaN
		}
		if c.infK {
			k[2*W+c.D] = float32(math.Inf(-1)) // key row 2 of head 1: ±Inf scores
		}
		var outs [2][]float32
		calls := e.rows.attnFull
		for bi, be := range []tensor.Backend{cpu, simd} {
			qt, _ := be.UploadF32([]int{c.Tq, W}, q)
			kt, _ := be.UploadF32([]int{c.Tk, W}, k)
			vt, _ := be.UploadF32([]int{c.Tk, W}, v)
			ot, _ := be.Zeros(c.Tq, W)
			scale := float32(1 / math.Sqrt(float64(c.D)))
			if c.rows[1] > 0 {
				be.(tensor.GroupedDiffusionOps).AttentionFullRows(ot, qt, kt, vt, c.rows[0], c.rows[1], c.rows[2], c.rows[3], c.H, c.D, scale)
			} else {
				be.(tensor.DiffusionOps).AttentionFull(ot, qt, kt, vt, c.H, c.D, scale)
			}
			outs[bi] = readAll(t, be, ot)
			for _, tt := range []tensor.Tensor{qt, kt, vt, ot} {
				be.Free(tt)
			}
		}
		if ran := e.rows.attnFull - calls; (ran == 1) != c.wantEngine {
			t.Fatalf("%s: the module ran %d times", c.name, ran)
		}
		worst := 0.0
		for i, want := range outs[0] {
			g := outs[1][i]
			if classify(g) != classify(want) {
				t.Fatalf("%s: value %d: simd %v, cpu %v", c.name, i, g, want)
			}
			if classify(want) != "" {
				continue
			}
			d := math.Abs(float64(g - want))
			worst = max(worst, d)
			if d > tolAttentionFull {
				t.Fatalf("%s: value %d: simd %v, cpu %v", c.name, i, g, want)
			}
		}
		if c.nanQ && classify(outs[0][W]) != "NaN" {
			t.Fatalf("%s: the NaN query gives %v", c.name, outs[0][W])
		}
		t.Logf("%s: max |simd - cpu| %g", c.name, worst)
		got = append(got, outs[1])
	}
	return got
}

// fullCases are AttentionFull's test cases: the DiT's heads (of 32, which
// attn_full keeps in registers, with key counts off its 4-key step), one
// head of 4, key counts off the vector width (1, 3, 17), a long key sequence, NaN
// in q and -Inf in k, AttentionFullRows at row offsets, and a head
// dimension the module does not take.
var fullCases = []fullCase{
	{H: 4, D: 32, Tq: 48, Tk: 48, wantEngine: true, name: "DiT self-attention"},
	{H: 4, D: 32, Tq: 96, Tk: 20, wantEngine: true, name: "DiT cross-attention"},
	{H: 1, D: 4, Tq: 1, Tk: 1, wantEngine: true, name: "one head of 4, one key"},
	{H: 2, D: 32, Tq: 3, Tk: 1, wantEngine: true, name: "heads of 32 (registers), one key"},
	{H: 3, D: 32, Tq: 5, Tk: 7, wantEngine: true, name: "heads of 32 (registers), 7 keys"},
	{H: 1, D: 32, Tq: 2, Tk: 1031, wantEngine: true, name: "heads of 32 (registers), 1031 keys"},
	{H: 2, D: 32, Tq: 6, Tk: 17, nanQ: true, infK: true, wantEngine: true, name: "heads of 32 (registers), NaN q, -Inf k"},
	{H: 3, D: 12, Tq: 5, Tk: 17, wantEngine: true, name: "D 12, 17 keys"},
	{H: 2, D: 8, Tq: 7, Tk: 3, wantEngine: true, name: "3 keys"},
	{H: 2, D: 64, Tq: 9, Tk: 1100, wantEngine: true, name: "long key sequence"},
	{H: 2, D: 8, Tq: 4, Tk: 5, nanQ: true, infK: true, wantEngine: true, name: "NaN q, -Inf k"},
	{H: 2, D: 16, Tq: 30, Tk: 30, rows: [4]int{11, 13, 5, 19}, wantEngine: true, name: "rows at offsets"},
	{H: 2, D: 6, Tq: 3, Tk: 4, name: "D 6: the Go code"},
}

// TestAttentionFull compares the module's attn_full with the CPU backend's
// AttentionFull and AttentionFullRows.
func TestAttentionFull(t *testing.T) {
	checkAttentionFull(t, allSizes(loadEngine(t)), fullCases, 31)
}

// TestThreadsAttentionFullBitIdentical: attn_full split between 3 threads
// (chunks of query rows, the calling thread taking some or none) gives the
// one-thread bits.
func TestThreadsAttentionFullBitIdentical(t *testing.T) {
	one := checkAttentionFull(t, allSizes(loadEngine(t)), fullCases, 77)
	three := allSizes(loadThreaded(t, 3))
	done0 := three.workerChunks()
	for self := 1; self >= 0; self-- {
		three.pool.self = self
		got := checkAttentionFull(t, three, fullCases, 77)
		for i := range one {
			for j, want := range one[i] {
				if !sameBits(got[i][j], want) {
					t.Fatalf("self %d, %s: value %d: 3 threads %v, one %v", self, fullCases[i].name, j, got[i][j], want)
				}
			}
		}
	}
	three.pool.self = 1
	if three.workerChunks() == done0 {
		t.Fatal("the workers ran no chunk")
	}
}

// TestRowOpsSmallStayInGo: with the default minimums a decode step's RoPE,
// a short LayerNorm and a small attention run in Go, the DiT's sizes in
// the module, and both give the CPU backend's results.
func TestRowOpsSmallStayInGo(t *testing.T) {
	e := loadEngine(t)
	simd, cpu := tensor.NewCPUWith(e), tensor.NewCPU()
	r := rand.New(rand.NewPCG(4, 4))
	for _, c := range []struct {
		T, W   int
		module bool
	}{{1, 384, false}, {8, 384, false}, {16, 384, true}, {128, 384, true}} {
		x := randVec(r, c.T*c.W)
		var outs [2][]float32
		calls := e.rows.rope
		for bi, be := range []tensor.Backend{cpu, simd} {
			xt, _ := be.UploadF32([]int{c.T, c.W}, x)
			ft, _ := be.UploadF32([]int{32}, ropeFreq(64))
			be.RoPE(xt, ft, 6, 64, 100)
			outs[bi] = readAll(t, be, xt)
		}
		if ran := e.rows.rope - calls; (ran == 1) != c.module {
			t.Errorf("RoPE of %d rows: the module ran %d times", c.T, ran)
		}
		for i := range outs[0] {
			if !sameBits(outs[0][i], outs[1][i]) {
				t.Fatalf("RoPE of %d rows, value %d: simd %v, cpu %v", c.T, i, outs[1][i], outs[0][i])
			}
		}
	}
	for _, c := range []struct {
		T, C   int
		module bool
	}{{1, 128, false}, {16, 128, false}, {32, 128, true}, {192, 128, true}} {
		x, w := randVec(r, c.T*c.C), randVec(r, c.C)
		var outs [2][]float32
		calls := e.rows.ln
		for bi, be := range []tensor.Backend{cpu, simd} {
			xt, _ := be.UploadF32([]int{c.T, c.C}, x)
			wt, _ := be.UploadF32([]int{c.C}, w)
			be.LayerNorm(xt, xt, wt, wt, 1e-5)
			outs[bi] = readAll(t, be, xt)
		}
		if ran := e.rows.ln - calls; (ran == 1) != c.module {
			t.Errorf("LayerNorm of %d rows: the module ran %d times", c.T, ran)
		}
		for i := range outs[0] {
			if !sameBits(outs[0][i], outs[1][i]) {
				t.Fatalf("LayerNorm of %d rows, value %d: simd %v, cpu %v", c.T, i, outs[1][i], outs[0][i])
			}
		}
	}
	checkAttentionFull(t, e, []fullCase{
		{H: 4, D: 32, Tq: 4, Tk: 4, name: "4 queries of 4 keys: Go"},
		{H: 4, D: 32, Tq: 200, Tk: 4, name: "200 queries of 4 keys: Go (not decided by Tq)"},
		{H: 4, D: 32, Tq: 16, Tk: 16, wantEngine: true, name: "16 queries of 16 keys: the module"},
		{H: 4, D: 32, Tq: 1, Tk: 16, wantEngine: true, name: "1 query of 16 keys: the module"},
	}, 5)
}
