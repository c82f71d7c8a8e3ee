package tensor

import (
	"math"
	"slices"
	"testing"
)

// sampleFreqTol bounds |empirical frequency − probability| over
// sampleDraws draws: 4 standard deviations of a frequency near 0.5.
const (
	sampleDraws   = 40000
	sampleFreqTol = 4 * 0.5 / 200 // 4·sqrt(0.25/40000)
)

func randRow(n int, seed uint32, scale float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		seed = pcgHash(seed + uint32(i))
		x[i] = (float32(seed>>8)/(1<<24) - 0.5) * scale
	}
	return x
}

// TestPCGKnownValues pins the hash to values computed independently (Python,
// from the constants of sample.wgsl), so a CPU/GPU mismatch is not hidden by
// changing both.
func TestPCGKnownValues(t *testing.T) {
	for _, c := range []struct{ in, want uint32 }{{0, 129708002}, {1, 2831084092}, {42, 1223963391}, {0xffffffff, 3861530882}} {
		if got := pcgHash(c.in); got != c.want {
			t.Errorf("pcg(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}

// sortedIDs returns x's ids by descending value, lower id first on ties.
func sortedIDs(x []float32) []int32 {
	ids := make([]int32, len(x))
	for i := range ids {
		ids[i] = int32(i)
	}
	slices.SortStableFunc(ids, func(a, b int32) int {
		switch {
		case x[a] > x[b]:
			return -1
		case x[a] < x[b]:
			return 1
		}
		return 0
	})
	return ids
}

func TestSampleRowSupport(t *testing.T) {
	x := randRow(1000, 3, 8)
	order := sortedIDs(x)
	rank := make(map[int32]int)
	for r, id := range order {
		rank[id] = r
	}
	// nucleus is the number of top tokens transformers' top-p keeps at
	// temperature 1, computed in float64 from the sorted order.
	nucleus := func(p float64, k int) int {
		mx := float64(x[order[0]])
		var total float64
		for _, id := range order[:k] {
			total += math.Exp(float64(x[id]) - mx)
		}
		var cum float64
		for i, id := range order[:k] {
			if cum/total >= p {
				return i
			}
			cum += math.Exp(float64(x[id]) - mx)
		}
		return k
	}
	for _, c := range []struct {
		name    string
		p       SampleParams
		maxRank int
	}{
		{"topk1-is-argmax", SampleParams{Temperature: 1, TopK: 1}, 1},
		{"topk5", SampleParams{Temperature: 3, TopK: 5}, 5},
		// No top-k limit and a top-k above the vocabulary draw from every
		// token (the reference is not sized to any kernel's workgroup).
		{"no-topk-draws-from-all", SampleParams{Temperature: 100}, len(x)},
		{"topk-above-vocab", SampleParams{Temperature: 100, TopK: 5000}, len(x)},
		{"topp0.5", SampleParams{Temperature: 1, TopP: 0.5}, nucleus(0.5, len(x))},
		{"topk20-topp0.9", SampleParams{Temperature: 1, TopK: 20, TopP: 0.9}, nucleus(0.9, 20)},
	} {
		t.Run(c.name, func(t *testing.T) {
			seen := map[int]bool{}
			for step := range 1000 {
				p := c.p
				p.Seed, p.Step = 99, uint32(step)
				id := SampleRow(x, p)
				if rank[id] >= c.maxRank {
					t.Fatalf("step %d drew id %d of rank %d, want rank < %d", step, id, rank[id], c.maxRank)
				}
				seen[rank[id]] = true
			}
			// At these temperatures every allowed rank but the far tail
			// is drawn; more than one must be for sampling to be sampling.
			if c.maxRank > 1 && len(seen) < 2 {
				t.Errorf("only ranks %v drawn", seen)
			}
			// Nearly uniform over all 1000 tokens, 1000 draws land beyond
			// rank 256 about 740 times: a sampler capped there never does.
			if c.maxRank == len(x) && c.p.TopP == 0 {
				tail := 0
				for r := range seen {
					if r >= 256 {
						tail++
					}
				}
				if tail == 0 {
					t.Errorf("no draw beyond rank 256 with no top-k limit")
				}
			}
		})
	}
}

// TestSampleRowDistribution compares draw frequencies with softmax(x/T).
func TestSampleRowDistribution(t *testing.T) {
	x := []float32{1.5, -0.3, 0.9, 2.2, 0.1, -1.7, 1.5, 0.4}
	const temp = 1.4
	want := make([]float64, len(x))
	var sum float64
	for i, v := range x {
		want[i] = math.Exp(float64(v) / temp)
		sum += want[i]
	}
	got := make([]float64, len(x))
	for step := range sampleDraws {
		got[SampleRow(x, SampleParams{Temperature: temp, Seed: 7, Step: uint32(step)})]++
	}
	for i := range x {
		w, g := want[i]/sum, got[i]/sampleDraws
		if math.Abs(w-g) > sampleFreqTol {
			t.Errorf("id %d: frequency %.4f, probability %.4f", i, g, w)
		}
	}
}

func TestSampleRowSeeded(t *testing.T) {
	x := randRow(500, 11, 6)
	draw := func(seed uint32) []int32 {
		ids := make([]int32, 64)
		for i := range ids {
			ids[i] = SampleRow(x, SampleParams{Temperature: 1, TopK: 50, Seed: seed, Step: uint32(i)})
		}
		return ids
	}
	a, b, c := draw(5), draw(5), draw(6)
	if !slices.Equal(a, b) {
		t.Errorf("same seed differs: %v vs %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 5 and 6 drew the same 64 tokens %v", a)
	}
}

// TestFusedOpsCPU checks the CPU fused ops against their plain compositions
// on shapes with T ≠ 1, including RoPEKV leaving k and v unchanged and the
// offsets of EmbeddingAt and ArgmaxAt.
func TestFusedOpsCPU(t *testing.T) {
	be := NewCPU()
	f := be.(FusedOps)
	const T, K, N, Nkv, H, G, D, S, pos = 3, 12, 10, 4, 3, 1, 4, 9, 2
	up := func(r, c int, seed uint32) Tensor {
		tt, err := be.UploadF32([]int{r, c}, randRow(r*c, seed, 2))
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	read := func(tt Tensor) []float32 {
		v, err := be.Read(tt, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	zeros := func(r, c int) Tensor {
		tt, err := be.Zeros(r, c)
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	x, nw, w, w2 := up(T, K, 1), up(1, K, 2), up(N, K, 3), up(N, K, 4)
	n := zeros(T, K)
	be.RMSNorm(n, x, nw, 1e-5)

	want, got := zeros(T, N), zeros(T, N)
	be.MatMul(want, n, w, nil)
	f.MatMulNorm(got, x, nw, w, 1e-5)
	if !slices.Equal(read(got), read(want)) {
		t.Error("MatMulNorm differs from RMSNorm + MatMul")
	}

	g := zeros(T, N)
	be.MatMul(g, n, w, nil)
	be.MatMul(want, n, w2, nil)
	be.SiLUMul(want, g, want)
	f.MatMulNormSiLU(got, x, nw, w, w2, 1e-5)
	if !slices.Equal(read(got), read(want)) {
		t.Error("MatMulNormSiLU differs from RMSNorm + MatMul + MatMul + SiLUMul")
	}

	acc := up(T, N, 5)
	be.MatMul(want, x, w, nil)
	be.Add(want, want, acc)
	f.MatMulAcc(acc, x, w)
	if !slices.Equal(read(acc), read(want)) {
		t.Error("MatMulAcc differs from MatMul + Add")
	}

	wk, wv := up(Nkv, K, 6), up(Nkv, K, 7)
	q, k, v := zeros(T, N), zeros(T, Nkv), zeros(T, Nkv)
	f.MatMulNormQKV(q, k, v, x, nw, w, wk, wv, 1e-5)
	for _, c := range []struct {
		got Tensor
		w   Tensor
		n   int
	}{{q, w, N}, {k, wk, Nkv}, {v, wv, Nkv}} {
		want := zeros(T, c.n)
		be.MatMul(want, n, c.w, nil)
		if !slices.Equal(read(c.got), read(want)) {
			t.Error("MatMulNormQKV differs from RMSNorm + MatMul")
		}
	}

	// RoPEKV with H=3, G=1, D=4: q (T,12), k and v (T,4).
	q2, k2, v2 := up(T, H*D, 8), up(T, G*D, 9), up(T, G*D, 10)
	inv, err := be.UploadF32([]int{D / 2}, []float32{1, 0.01})
	if err != nil {
		t.Fatal(err)
	}
	kc, vc := zeros(S, G*D), zeros(S, G*D)
	wantQ, wantK, kBefore, vBefore := up(T, H*D, 8), up(T, G*D, 9), read(k2), read(v2)
	be.RoPE(wantQ, inv, H, D, pos)
	be.RoPE(wantK, inv, G, D, pos)
	f.RoPEKV(q2, k2, v2, inv, kc, vc, H, G, D, pos)
	if !slices.Equal(read(q2), read(wantQ)) {
		t.Error("RoPEKV q differs from RoPE")
	}
	if !slices.Equal(read(k2), kBefore) || !slices.Equal(read(v2), vBefore) {
		t.Error("RoPEKV modified k or v")
	}
	kcv, vcv := read(kc), read(vc)
	if !slices.Equal(kcv[pos*G*D:(pos+T)*G*D], read(wantK)) || !slices.Equal(vcv[pos*G*D:(pos+T)*G*D], vBefore) {
		t.Error("RoPEKV cache rows differ from RoPE + CopyRows")
	}
	if slices.ContainsFunc(kcv[:pos*G*D], func(v float32) bool { return v != 0 }) {
		t.Error("RoPEKV wrote cache rows before pos0")
	}

	ids, err := be.ZerosI32(6)
	if err != nil {
		t.Fatal(err)
	}
	logits := up(2, 7, 11)
	f.ArgmaxAt(ids, 3, logits)
	gotIDs, _ := be.ReadInts(ids)
	lv := read(logits)
	for r := range 2 {
		if want := int32(slices.Index(lv[r*7:r*7+7], slices.Max(lv[r*7:r*7+7]))); gotIDs[3+r] != want {
			t.Errorf("ArgmaxAt row %d = %d, want %d", r, gotIDs[3+r], want)
		}
	}
	f.Sample(ids, 1, logits, 1, SampleParams{Temperature: 1, TopK: 1, Seed: 3})
	gotIDs, _ = be.ReadInts(ids)
	if gotIDs[1] != gotIDs[4] {
		t.Errorf("Sample with TopK 1 drew %d, want the argmax %d", gotIDs[1], gotIDs[4])
	}
	table := up(7, K, 12)
	row := zeros(1, K)
	f.EmbeddingAt(row, table, ids, 4)
	tv := read(table)
	id := int(gotIDs[4])
	if !slices.Equal(read(row), tv[id*K:id*K+K]) {
		t.Errorf("EmbeddingAt differs from row %d of the table", id)
	}
}

func TestKthLargest(t *testing.T) {
	w := []float32{3, -1, 7, 7, 0, 2, 7, -5, 4}
	sorted := slices.Clone(w)
	slices.Sort(sorted)
	slices.Reverse(sorted)
	for k := 1; k <= len(w); k++ {
		if got := kthLargest(nil, w, k); got != sorted[k-1] {
			t.Errorf("k=%d: %g, want %g", k, got, sorted[k-1])
		}
	}
}
