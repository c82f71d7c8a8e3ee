//go:build js && wasm

package wasmsimd

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"path/filepath"
	"syscall/js"
	"testing"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

// loadThreaded loads an engine on n threads; Node has SharedArrayBuffer
// and worker_threads, so the threads must be there.
func loadThreaded(t *testing.T, n int) *Engine {
	t.Helper()
	m, err := Load(WithThreads(context.Background(), n))
	if err != nil {
		t.Fatal(err)
	}
	e := m.(*Engine)
	if e.Threads() != n {
		if _, err := loadThreads(context.Background(), n); err != nil {
			t.Fatalf("Threads() = %d, want %d: %v", e.Threads(), n, err)
		}
		t.Fatalf("Threads() = %d, want %d", e.Threads(), n)
	}
	t.Cleanup(e.Close)
	return e
}

// TestThreadsBitIdentical: products split between 3 threads (every size
// split: SetMinWork(0)) give the same bits as on one thread, for the three
// weight types, matvecs and matmuls, shapes off the panel and tile sizes,
// and NaN/Inf among the values. Run twice on the same weights, the second
// time with the workers alone taking chunks (the calling thread only
// waits), so that the workers' results are checked whatever the machine's
// scheduling.
func TestThreadsBitIdentical(t *testing.T) {
	one := loadEngine(t)
	three := loadThreaded(t, 3)
	three.SetMinWork(0)
	done0 := three.workerChunks()
	r := rand.New(rand.NewPCG(7, 16))
	for _, dt := range []tensor.DType{tensor.F32, tensor.F16, tensor.BF16} {
		for _, s := range []struct{ T, K, N int }{{1, 384, 1024}, {1, 7, 77}, {1, 64, 200}, {2, 33, 70}, {5, 33, 70}, {9, 40, 130}, {37, 64, 200}, {128, 96, 40}} {
			w := randVec(r, s.N*s.K)
			x := randVec(r, s.T*s.K)
			w[3] = float32(math.Inf(1)) // row 0 of out: ±Inf or NaN
			if s.T > 1 {
				x[(s.T-1)*s.K+1] = float32(math.NaN()) // the last token's row: NaN
			}
			var f32 []float32
			var u16 []uint16
			if dt == tensor.F32 {
				f32 = w
			} else {
				b := weightBytes(dt, w)
				u16 = make([]uint16, len(w))
				for i := range u16 {
					u16[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
				}
			}
			var outs [3][]float32
			for i, e := range []*Engine{one, three, three} {
				three.pool.self = 1
				if i == 2 {
					three.pool.self = 0
				}
				h, err := e.Hold(dt, s.N, s.K, f32, u16)
				if err != nil {
					t.Fatal(err)
				}
				outs[i] = make([]float32, s.T*s.N)
				if err := e.MatMul(outs[i], x, h, s.T); err != nil {
					t.Fatal(err)
				}
				e.Release(h)
			}
			for i := 1; i < 3; i++ {
				for j := range outs[0] {
					if math.Float32bits(outs[0][j]) != math.Float32bits(outs[i][j]) {
						t.Fatalf("%v T=%d K=%d N=%d: out[%d] is %x on 3 threads, %x on one", dt, s.T, s.K, s.N, j, math.Float32bits(outs[i][j]), math.Float32bits(outs[0][j]))
					}
				}
			}
		}
	}
	if three.workerChunks() == done0 {
		t.Errorf("the workers ran no chunks")
	}
}

// workerChunks is the control block's count of chunks the workers ran.
func (e *Engine) workerChunks() int32 {
	b := make([]byte, 4)
	js.CopyBytesToGo(b, e.view(e.pool.ctrl+ctrlDone, 4))
	return int32(binary.LittleEndian.Uint32(b))
}

// TestThreadsBrown runs models/lamina-brown-20m on wasm-simd with one and
// with 2 threads (the default split threshold): the prompt's logits are the
// same bits and greedy decoding gives the same ids.
func TestThreadsBrown(t *testing.T) {
	if testing.Short() {
		t.Skip("20M-parameter model")
	}
	dir := filepath.Join("..", "models", "lamina-brown-20m")
	var ms [2]*model.Model
	for i, e := range []*Engine{loadEngine(t), loadThreaded(t, 2)} {
		m, err := model.LoadDir(dir, tensor.NewCPUWith(e))
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		ms[i] = m
	}
	prompt := []int32{0, 312, 95, 1012, 7, 45, 2203, 18, 640, 3, 77, 1500, 9, 260, 4000, 11, 2}
	var logits [2][][]float32
	var ids [2][]int32
	for i, m := range ms {
		var err error
		if logits[i], err = m.Logits(prompt); err != nil {
			t.Fatal(err)
		}
		if ids[i], err = m.Generate(context.Background(), prompt, model.GenerateOptions{MaxNewTokens: 16, IgnoreEOS: true}, nil); err != nil {
			t.Fatal(err)
		}
	}
	for p := range logits[0] {
		for v := range logits[0][p] {
			if math.Float32bits(logits[0][p][v]) != math.Float32bits(logits[1][p][v]) {
				t.Fatalf("logit [%d][%d]: %v on 2 threads, %v on one", p, v, logits[1][p][v], logits[0][p][v])
			}
		}
	}
	if len(ids[0]) != 16 || len(ids[1]) != 16 {
		t.Fatalf("generated %d and %d ids", len(ids[0]), len(ids[1]))
	}
	for i := range ids[0] {
		if ids[0][i] != ids[1][i] {
			t.Fatalf("greedy ids differ at %d: %v on one thread, %v on 2", i, ids[0], ids[1])
		}
	}
}
