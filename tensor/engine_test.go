package tensor

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/lamina-ml/lamina/kernels"
)

// fakeEngine computes products with a plain loop and counts what it is
// asked to do.
type fakeEngine struct {
	held, released, calls int
	refuse, fail          bool
}

type fakeWeight struct {
	w    []float32
	N, K int
}

func (f *fakeEngine) Name() string { return "fake" }

func (f *fakeEngine) Hold(dt DType, N, K int, f32 []float32, u16 []uint16) (EngineWeight, error) {
	if f.refuse {
		return nil, errors.New("refused")
	}
	if dt != F32 {
		return nil, errors.New("only f32")
	}
	f.held++
	return &fakeWeight{append([]float32(nil), f32...), N, K}, nil
}

func (f *fakeEngine) MatMul(out, x []float32, h EngineWeight, T int) error {
	f.calls++
	if f.fail {
		return errors.New("engine broke")
	}
	w := h.(*fakeWeight)
	for t := 0; t < T; t++ {
		for n := 0; n < w.N; n++ {
			var s float32
			for k := 0; k < w.K; k++ {
				s += x[t*w.K+k] * w.w[n*w.K+k]
			}
			out[t*w.N+n] = s + 1000 // marks the engine's results
		}
	}
	return nil
}

func (f *fakeEngine) Release(EngineWeight) { f.released++ }

func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// TestNewCPUWith: products by an uploaded 2-D weight go to the engine (held
// once, released on Free); activations as w, weights it refuses and its
// errors take the documented paths.
func TestNewCPUWith(t *testing.T) {
	f := &fakeEngine{}
	be := NewCPUWith(f)
	if be.Name() != "fake" {
		t.Fatalf("Name %q", be.Name())
	}
	wv := []float32{1, 2, 3, 4, 5, 6} // (3,2)
	w, _ := be.Upload([]int{3, 2}, F32, f32Bytes(wv))
	x, _ := be.UploadF32([]int{1, 2}, []float32{1, 1})
	out, _ := be.Zeros(1, 3)
	for i := 0; i < 2; i++ {
		be.MatMul(out, x, w, nil)
	}
	got, err := be.Read(out, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if f.held != 1 || f.calls != 2 || got[0] != 1003 || got[2] != 1011 {
		t.Fatalf("held %d, calls %d, out %v", f.held, f.calls, got)
	}
	// An activation (UploadF32) as w stays on the Go kernels.
	wa, _ := be.UploadF32([]int{3, 2}, wv)
	be.MatMul(out, x, wa, nil)
	if got, _ = be.Read(out, 0, -1); f.calls != 2 || got[0] != 3 {
		t.Fatalf("activation w: calls %d, out %v", f.calls, got)
	}
	be.Free(w)
	if f.released != 1 {
		t.Fatalf("released %d", f.released)
	}
	// A weight the engine refuses runs on the Go kernels, and is not
	// offered again.
	f.refuse = true
	w2, _ := be.Upload([]int{3, 2}, F32, f32Bytes(wv))
	be.MatMul(out, x, w2, nil)
	be.MatMul(out, x, w2, nil)
	if got, _ = be.Read(out, 0, -1); f.calls != 2 || got[1] != 7 {
		t.Fatalf("refused: calls %d, out %v", f.calls, got)
	}
	// An engine error is the op's sticky error.
	f.refuse, f.fail = false, true
	w3, _ := be.Upload([]int{3, 2}, F32, f32Bytes(wv))
	be.MatMul(out, x, w3, nil)
	if _, err := be.Read(out, 0, -1); err == nil {
		t.Fatal("engine failure not reported")
	}
	if _, err := be.Read(out, 0, -1); err != nil {
		t.Fatalf("the error was not forgotten: %v", err)
	}
}

// readingEngine is a fakeEngine that gives its weights back (HeldReader).
type readingEngine struct {
	fakeEngine
	reads int
}

func (f *readingEngine) CanReadHeld(EngineWeight) bool { return true }

func (f *readingEngine) ReadHeld(h EngineWeight, from, n int, f32 []float32, u16 []uint16) error {
	f.reads++
	w := h.(*fakeWeight)
	copy(f32, w.w[from*w.K:(from+n)*w.K])
	return nil
}

// TestHeldReader: with an engine that reads its weights back, the CPU
// backend frees a weight's Go copy once the engine holds it; Read and
// Embedding read rows back from the engine, and an op that takes the weight
// as an activation gets its Go copy restored.
func TestHeldReader(t *testing.T) {
	f := &readingEngine{}
	be := NewCPUWith(f)
	wv := []float32{1, 2, 3, 4, 5, 6} // (3,2)
	w, _ := be.Upload([]int{3, 2}, F32, f32Bytes(wv))
	x, _ := be.UploadF32([]int{1, 2}, []float32{1, 1})
	out, _ := be.Zeros(1, 3)
	be.MatMul(out, x, w, nil)
	if c := ct(w); c.f32 != nil || c.reader == nil {
		t.Fatalf("Go copy kept after Hold: %v", c.f32)
	}
	got, err := be.Read(w, 1, 2)
	if err != nil || !slices.Equal(got, wv[2:]) || f.reads != 1 {
		t.Fatalf("Read rows 1-2: %v, %v (reads %d)", got, err, f.reads)
	}
	emb, _ := be.Zeros(2, 2)
	be.Embedding(emb, w, []int32{2, 0})
	if got, _ = be.Read(emb, 0, -1); !slices.Equal(got, []float32{5, 6, 1, 2}) || f.reads != 3 {
		t.Fatalf("Embedding: %v (reads %d)", got, f.reads)
	}
	// Add reads w as an activation: the Go copy comes back, for good.
	sum, _ := be.Zeros(3, 2)
	be.Add(sum, w, w)
	if got, _ = be.Read(sum, 0, -1); !slices.Equal(got, []float32{2, 4, 6, 8, 10, 12}) || ct(w).reader != nil {
		t.Fatalf("Add: %v (reader %v)", got, ct(w).reader)
	}
	reads := f.reads
	if got, _ = be.Read(w, 0, -1); !slices.Equal(got, wv) || f.reads != reads {
		t.Fatalf("Read after restore: %v (reads %d → %d)", got, reads, f.reads)
	}
	be.Free(w)
	if f.released != 1 {
		t.Fatalf("released %d", f.released)
	}
}

// fakeQuantEngine also holds quantized weights (a copy, and their
// dequantized values for MatMul).
type fakeQuantEngine struct {
	fakeEngine
	quant, reads int
}

type fakeQuantWeight struct {
	fakeWeight
	q *kernels.QMatrix
}

func (f *fakeQuantEngine) HoldQuant(w *kernels.QMatrix) (EngineWeight, error) {
	f.quant++
	c := *w
	c.Q, c.Scale = slices.Clone(w.Q), slices.Clone(w.Scale)
	return &fakeQuantWeight{fakeWeight{w.Dequantize(), w.N, w.K}, &c}, nil
}

func (f *fakeQuantEngine) MatMul(out, x []float32, h EngineWeight, T int) error {
	return f.fakeEngine.MatMul(out, x, &h.(*fakeQuantWeight).fakeWeight, T)
}

func (f *fakeQuantEngine) ReadHeldQuant(h EngineWeight, from, n int) (*kernels.QMatrix, error) {
	f.reads++
	return h.(*fakeQuantWeight).q.Rows(from, from+n), nil
}

// TestQuantEngine: a Q8/Q4 weight goes to a QuantEngine's HoldQuant once
// and its products to the engine; its Go copy is freed and Embedding and
// Read read rows back from the engine; a MatMulEngine without HoldQuant
// leaves it to the Go kernels.
func TestQuantEngine(t *testing.T) {
	q, err := kernels.NewQMatrix(8, 3, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < 3; n++ {
		q.Scale[n] = 0.5
		for k := 0; k < 2; k++ {
			q.SetCode(n, k, n+k+1)
		}
	}
	for _, tc := range []struct {
		name   string
		engine MatMulEngine
		want   []float32 // out of x = (1, 1): the engine adds 1000
	}{
		{"quant engine", &fakeQuantEngine{}, []float32{1001.5, 1002.5, 1003.5}},
		{"float engine", &fakeEngine{}, []float32{1.5, 2.5, 3.5}},
	} {
		be := NewCPUWith(tc.engine)
		w, err := be.(QuantUploader).UploadQuant(q)
		if err != nil {
			t.Fatal(err)
		}
		x, _ := be.UploadF32([]int{1, 2}, []float32{1, 1})
		out, _ := be.Zeros(1, 3)
		be.MatMul(out, x, w, nil)
		be.MatMul(out, x, w, nil)
		got, _ := be.Read(out, 0, -1)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: MatMul %v, want %v", tc.name, got, tc.want)
		}
		if f, ok := tc.engine.(*fakeQuantEngine); ok && (f.quant != 1 || f.calls != 2) {
			t.Errorf("%s: held %d times, %d engine products (want 1, 2)", tc.name, f.quant, f.calls)
		}
		emb, _ := be.Zeros(1, 2)
		be.Embedding(emb, w, []int32{2})
		if e, _ := be.Read(emb, 0, -1); !slices.Equal(e, []float32{1.5, 2}) {
			t.Errorf("%s: Embedding %v, want [1.5 2]", tc.name, e)
		}
		if r, _ := be.Read(w, 1, 2); !slices.Equal(r, []float32{1, 1.5, 1.5, 2}) {
			t.Errorf("%s: Read rows 1–2 %v, want [1 1.5 1.5 2]", tc.name, r)
		}
		if f, ok := tc.engine.(*fakeQuantEngine); ok {
			if ct(w).q != nil || f.reads != 2 {
				t.Errorf("%s: Go copy kept (%v), %d rows reads (want freed, 2)", tc.name, ct(w).q != nil, f.reads)
			}
		}
	}
}

// opsEngine is a fakeEngine that also adds biases (BiasEngine) and runs
// GeluTanh (ActivationEngine), counting both and marking GeluTanh's
// results.
type opsEngine struct {
	fakeEngine
	biasCalls, geluCalls int
}

func (f *opsEngine) MatMulBias(out, x, bias []float32, h EngineWeight, T int) error {
	f.biasCalls++
	if err := f.MatMul(out, x, h, T); err != nil {
		return err
	}
	for i := range out {
		out[i] += bias[i%len(bias)]
	}
	return nil
}

func (f *opsEngine) GeluTanh(out, x []float32) error {
	f.geluCalls++
	for i, v := range x {
		out[i] = v + 500
	}
	return nil
}

// TestBiasActivationEngine: MatMul with a bias by a held weight goes to a
// BiasEngine whole (bias added once, by it); by an activation the Go
// kernels and the Go bias add serve it; GeluTanh goes to an
// ActivationEngine.
func TestBiasActivationEngine(t *testing.T) {
	f := &opsEngine{}
	be := NewCPUWith(f)
	wv := []float32{1, 2, 3, 4, 5, 6} // (3,2)
	w, _ := be.Upload([]int{3, 2}, F32, f32Bytes(wv))
	x, _ := be.UploadF32([]int{1, 2}, []float32{1, 1})
	bias, _ := be.UploadF32([]int{3}, []float32{10, 20, 30})
	out, _ := be.Zeros(1, 3)
	be.MatMul(out, x, w, bias)
	got, err := be.Read(out, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if f.biasCalls != 1 || f.calls != 1 || !slices.Equal(got, []float32{1013, 1027, 1041}) {
		t.Fatalf("held: bias calls %d, calls %d, out %v", f.biasCalls, f.calls, got)
	}
	wa, _ := be.UploadF32([]int{3, 2}, wv)
	be.MatMul(out, x, wa, bias)
	if got, _ = be.Read(out, 0, -1); f.biasCalls != 1 || !slices.Equal(got, []float32{13, 27, 41}) {
		t.Fatalf("activation w: bias calls %d, out %v", f.biasCalls, got)
	}
	be.GeluTanh(out, out)
	if got, _ = be.Read(out, 0, -1); f.geluCalls != 1 || !slices.Equal(got, []float32{513, 527, 541}) {
		t.Fatalf("GeluTanh: calls %d, out %v", f.geluCalls, got)
	}
}
