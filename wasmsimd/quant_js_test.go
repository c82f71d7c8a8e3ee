//go:build js && wasm

package wasmsimd

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/quant"
	"github.com/lamina-ml/lamina/tensor"
)

// randQuant is a (N,K) matrix of random codes, scales and (Q4) mins.
func randQuant(t *testing.T, r *rand.Rand, bits, N, K, group int) *kernels.QMatrix {
	t.Helper()
	m, err := kernels.NewQMatrix(bits, N, K, group)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < N; n++ {
		for k := 0; k < K; k++ {
			if bits == 8 {
				m.SetCode(n, k, r.IntN(255)-127)
			} else {
				m.SetCode(n, k, r.IntN(16))
			}
		}
	}
	for i := range m.Scale {
		m.Scale[i] = float32(r.Float64()*0.1 + 0.001)
		if m.Min != nil {
			m.Min[i] = -8 * m.Scale[i] * float32(r.Float64()+0.5)
		}
	}
	return m
}

// quantShapes are (T, K, N): the one-row matvec and the dequantize-then-
// tile path, K off the 32-column block and the groups, N off the 8-row
// panel, T off the 4-row tile, and a large K.
var quantShapes = [][3]int{
	{1, 1, 1}, {1, 31, 7}, {1, 32, 8}, {1, 100, 9}, {1, 128, 17}, {1, 300, 33}, {1, 384, 1024},
	{2, 33, 17}, {3, 100, 8}, {5, 129, 31}, {9, 257, 24}, {17, 64, 41},
	{1, 8195, 9}, {2, 8195, 5}, // large K
}

// TestQuantMatMul compares mm_q8 and mm_q4 with the CPU backend's
// MatMulQ (the Go reference kernels) for groups 32, 128 and one per row,
// relative to Σ|x||w| of the dequantized w (the order of the sums differs).
func TestQuantMatMul(t *testing.T) {
	e := loadEngine(t)
	simd, cpu := tensor.NewCPUWith(e), tensor.NewCPU()
	r := rand.New(rand.NewPCG(3, 18))
	for _, bits := range []int{8, 4} {
		for _, group := range []int{0, 32, 128} {
			for _, s := range quantShapes {
				T, K, N := s[0], s[1], s[2]
				checkQuant(t, simd, cpu, randQuant(t, r, bits, N, K, group), T, randVec(r, T*K))
			}
		}
	}
	if e.top > 1<<20 || len(e.free) > 1 {
		t.Errorf("weights not released: top %d, free list %v", e.top, e.free)
	}
}

func checkQuant(t *testing.T, simd, cpu tensor.Backend, q *kernels.QMatrix, T int, x []float32) {
	t.Helper()
	N, K := q.N, q.K
	var outs [2][]float32
	for i, be := range []tensor.Backend{cpu, simd} {
		wt, err := be.(tensor.QuantUploader).UploadQuant(q)
		if err != nil {
			t.Fatal(err)
		}
		xt, _ := be.UploadF32([]int{T, K}, x)
		ot, _ := be.Zeros(T, N)
		be.MatMul(ot, xt, wt, nil)
		be.MatMul(ot, xt, wt, nil) // the held weight again
		if outs[i], err = be.Read(ot, 0, -1); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []tensor.Tensor{wt, xt, ot} {
			be.Free(tt)
		}
	}
	wv := q.Dequantize()
	bad := 0
	for r := 0; r < T; r++ {
		for n := 0; n < N; n++ {
			g, c := outs[1][r*N+n], outs[0][r*N+n]
			var s float64
			for k := 0; k < K; k++ {
				s += math.Abs(float64(x[r*K+k]) * float64(wv[n*K+k]))
			}
			if d := math.Abs(float64(g - c)); !(d <= tolMatMul*(s+1)) {
				if bad < 5 {
					t.Errorf("Q%d group %d T=%d K=%d N=%d [%d,%d]: simd %v, cpu %v (|Σ| %g)", q.Bits, q.Group, T, K, N, r, n, g, c, s)
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Fatalf("Q%d group %d T=%d K=%d N=%d: %d outputs differ", q.Bits, q.Group, T, K, N, bad)
	}
}

// TestQuantHold: matrices the kernels cannot take are refused with
// ErrWeight (the CPU kernels then serve them), not run.
func TestQuantHold(t *testing.T) {
	e := loadEngine(t)
	bad := &kernels.QMatrix{Bits: 8, N: 2, K: 40, Q: make([]byte, 3)}
	if _, err := e.HoldQuant(bad); err == nil {
		t.Errorf("HoldQuant took a matrix with %d code bytes for (2,40)", len(bad.Q))
	}
	empty, _ := kernels.NewQMatrix(4, 0, 32, 32)
	if _, err := e.HoldQuant(empty); err == nil {
		t.Errorf("HoldQuant took an empty matrix")
	}
}

// TestThreadsQuantBitIdentical: quantized products split between 3
// threads give the same bits as on one, matvecs (panel chunks) and
// matmuls (token chunks), the workers alone taking chunks the second time.
func TestThreadsQuantBitIdentical(t *testing.T) {
	one := loadEngine(t)
	three := loadThreaded(t, 3)
	three.SetMinWork(0)
	done0 := three.workerChunks()
	r := rand.New(rand.NewPCG(5, 9))
	for _, bits := range []int{8, 4} {
		for _, group := range []int{0, 32, 128} {
			for _, s := range [][3]int{{1, 384, 1024}, {1, 100, 77}, {1, 300, 200}, {5, 129, 70}, {37, 64, 200}} {
				T, K, N := s[0], s[1], s[2]
				q := randQuant(t, r, bits, N, K, group)
				x := randVec(r, T*K)
				var outs [3][]float32
				for i, e := range []*Engine{one, three, three} {
					three.pool.self = 1
					if i == 2 {
						three.pool.self = 0
					}
					h, err := e.HoldQuant(q)
					if err != nil {
						t.Fatal(err)
					}
					outs[i] = make([]float32, T*N)
					if err := e.MatMul(outs[i], x, h, T); err != nil {
						t.Fatal(err)
					}
					e.Release(h)
				}
				for i := 1; i < 3; i++ {
					for j := range outs[0] {
						if math.Float32bits(outs[0][j]) != math.Float32bits(outs[i][j]) {
							t.Fatalf("Q%d group %d T=%d K=%d N=%d: out[%d] is %v on 3 threads, %v on one", bits, group, T, K, N, j, outs[i][j], outs[0][j])
						}
					}
				}
			}
		}
	}
	if three.workerChunks() == done0 {
		t.Errorf("the workers ran no chunks")
	}
}

// quantCounter counts the quantized weights an engine takes and the
// reads back of their rows.
type quantCounter struct {
	*Engine
	held, reads int
}

func (q *quantCounter) ReadHeldQuant(h tensor.EngineWeight, from, n int) (*kernels.QMatrix, error) {
	q.reads++
	return q.Engine.ReadHeldQuant(h, from, n)
}

func (q *quantCounter) HoldQuant(m *kernels.QMatrix) (tensor.EngineWeight, error) {
	w, err := q.Engine.HoldQuant(m)
	if err == nil {
		q.held++
	}
	return w, err
}

// quantParity runs prompt through the model new makes on the CPU backend
// and on wasm-simd: the logits of every position agree within tolLogits
// and greedy decoding gives the same n ids. It returns the engine.
func quantParity(t *testing.T, name string, newModel func(tensor.Backend) (*model.Model, error), prompt []int32, n int) *quantCounter {
	t.Helper()
	e := &quantCounter{Engine: loadEngine(t)}
	var logits [2][][]float32
	var ids [2][]int32
	for i, be := range []tensor.Backend{tensor.NewCPU(), tensor.NewCPUWith(e)} {
		m, err := newModel(be)
		if err != nil {
			t.Fatal(err)
		}
		if logits[i], err = m.Logits(prompt); err != nil {
			t.Fatal(err)
		}
		if ids[i], err = m.Generate(context.Background(), prompt, model.GenerateOptions{MaxNewTokens: n, IgnoreEOS: true}, nil); err != nil {
			t.Fatal(err)
		}
		m.Close()
	}
	worst := 0.0
	for p := range logits[0] {
		for v := range logits[0][p] {
			worst = math.Max(worst, math.Abs(float64(logits[0][p][v]-logits[1][p][v])))
		}
	}
	t.Logf("%s: max |logit difference| %.3g over %d positions", name, worst, len(prompt))
	if !(worst <= tolLogits) {
		t.Errorf("%s: logits differ by %g > %g", name, worst, tolLogits)
	}
	if len(ids[0]) != n || len(ids[1]) != n {
		t.Fatalf("%s: generated %d and %d ids", name, len(ids[0]), len(ids[1]))
	}
	for i := range ids[0] {
		if ids[0][i] != ids[1][i] {
			t.Fatalf("%s: greedy ids differ at %d: cpu %v, simd %v", name, i, ids[0], ids[1])
		}
	}
	return e
}

// quantTiny is a llama shape off the 32-column blocks (K = 200, 360) and
// the 8-row panels.
var quantTiny = model.Config{Arch: model.Llama, VocabSize: 1003, Hidden: 200, Layers: 2, Heads: 5, KVHeads: 1,
	HeadDim: 40, Intermediate: 360, MaxPositions: 256, NormEps: 1e-5, RopeTheta: 10000, TieWordEmbeddings: true}

// TestQuantRandomParity: a random model of quantTiny's shape with Q8
// (per row) and Q4 (group 32) linears gives the CPU backend's logits and
// greedy ids on wasm-simd.
func TestQuantRandomParity(t *testing.T) {
	prompt := []int32{1, 500, 7, 999, 42, 3, 250, 8, 611, 90, 12}
	for _, dt := range []tensor.DType{tensor.Q8, tensor.Q4} {
		e := quantParity(t, dt.String(), func(be tensor.Backend) (*model.Model, error) {
			return model.NewRandom(quantTiny, be, dt, 11)
		}, prompt, 24)
		if e.held < 2*7 {
			t.Errorf("%v: the module holds %d quantized weights (want the 14 linears)", dt, e.held)
		}
	}
}

// TestQuantBrownParity quantizes models/lamina-brown-20m (RTN, Q4 group
// 32, lm_head — the tied embedding table — too) and runs the folder on the
// CPU backend and on wasm-simd (quantParity).
func TestQuantBrownParity(t *testing.T) {
	if testing.Short() {
		t.Skip("20M-parameter model")
	}
	dir := t.TempDir()
	spec := quant.Spec{Bits: 4, Group: 32}
	if _, err := quant.QuantizeFolder(filepath.Join("..", "models", "lamina-brown-20m"), dir, nil, quant.Options{Spec: spec, Head: spec, Method: "rtn"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	prompt := []int32{0, 312, 95, 1012, 7, 45, 2203, 18, 640, 3, 77, 1500, 9, 260, 4000, 11, 2}
	e := quantParity(t, "brown-20m Q4 g32", func(be tensor.Backend) (*model.Model, error) { return model.LoadDir(dir, be) }, prompt, 24)
	if e.held < 12*7+1 { // 12 layers of 7 linears, and lm_head
		t.Errorf("the module holds %d quantized weights", e.held)
	}
}

// TestQuantReadBack: once the module holds a quantized weight, the CPU
// backend reads it back from the module (its Go copy freed): Read and
// Embedding give the CPU backend's values, bit for bit.
func TestQuantReadBack(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 1))
	for _, c := range []struct{ bits, group int }{{8, 0}, {4, 32}, {4, 128}} {
		q := randQuant(t, r, c.bits, 21, 200, c.group)
		var reads, embs [2][]float32
		e := &quantCounter{Engine: loadEngine(t)}
		for i, be := range []tensor.Backend{tensor.NewCPU(), tensor.NewCPUWith(e)} {
			w, err := be.(tensor.QuantUploader).UploadQuant(q)
			if err != nil {
				t.Fatal(err)
			}
			x, _ := be.UploadF32([]int{1, 200}, randVec(rand.New(rand.NewPCG(1, 1)), 200))
			out, _ := be.Zeros(1, 21)
			be.MatMul(out, x, w, nil) // the engine takes the weight
			if reads[i], err = be.Read(w, 3, 11); err != nil {
				t.Fatal(err)
			}
			emb, _ := be.Zeros(4, 200)
			be.Embedding(emb, w, []int32{20, 0, 7, 8})
			if embs[i], err = be.Read(emb, 0, -1); err != nil {
				t.Fatal(err)
			}
		}
		if e.held != 1 || e.reads != 5 { // Read, then one per id
			t.Errorf("Q%d group %d: %d weights held, %d reads from the module (want 1, 5)", c.bits, c.group, e.held, e.reads)
		}
		for _, p := range [][2][]float32{reads, embs} {
			for j := range p[0] {
				if math.Float32bits(p[0][j]) != math.Float32bits(p[1][j]) {
					t.Fatalf("Q%d group %d: value %d read back %v, cpu %v", c.bits, c.group, j, p[1][j], p[0][j])
				}
			}
		}
	}
}
