package tensor

import (
	"math"
	"testing"

	"github.com/lamina-ml/lamina/kernels"
)

// testQMatrix is a (N,K) quantized matrix with codes and scales from a
// fixed sequence.
func testQMatrix(t *testing.T, bits, N, K, group int) *kernels.QMatrix {
	t.Helper()
	m, err := kernels.NewQMatrix(bits, N, K, group)
	if err != nil {
		t.Fatal(err)
	}
	l := lcg(uint64(bits*1000 + group))
	for n := 0; n < N; n++ {
		for k := 0; k < K; k++ {
			v := l.next()
			if bits == 8 {
				m.SetCode(n, k, int(v*127))
			} else {
				m.SetCode(n, k, int((v+1)*7.99))
			}
		}
	}
	for i := range m.Scale {
		m.Scale[i] = 0.01 + 0.005*l.next()
		if m.Min != nil {
			m.Min[i] = -8 * m.Scale[i]
		}
	}
	return m
}

// TestQuantMatMul: MatMul, the fused matmuls, Embedding and Read of a
// quantized weight equal the same ops on its dequantized f32 copy, with
// the exact f32 matrix-vector path (the int8-activation one is bounded in
// package kernels).
func TestQuantMatMul(t *testing.T) {
	defer kernels.SetExactQuantDot(kernels.SetExactQuantDot(true))
	be := NewCPU()
	fb := be.(FusedOps)
	for _, c := range []struct{ bits, group, T, K, N int }{
		{8, 0, 1, 70, 33}, {8, 32, 5, 100, 40}, {4, 32, 1, 100, 40}, {4, 128, 4, 200, 67}, {4, 32, 2, 64, 64},
	} {
		q := testQMatrix(t, c.bits, c.N, c.K, c.group)
		wq, err := be.(QuantUploader).UploadQuant(q)
		if err != nil {
			t.Fatal(err)
		}
		if wq.DType() != map[int]DType{8: Q8, 4: Q4}[c.bits] {
			t.Fatalf("dtype %v for %d bits", wq.DType(), c.bits)
		}
		deq := q.Dequantize()
		wf := upload(t, be, []int{c.N, c.K}, deq)
		if got := read(t, be, wq); !equalF32(got, deq) {
			t.Fatalf("Read of the quantized tensor differs from Dequantize")
		}
		x := upload(t, be, []int{c.T, c.K}, randVals(c.T*c.K, 7))
		normW := upload(t, be, []int{c.K}, randVals(c.K, 8))
		for name, op := range map[string]func(out, w Tensor){
			"MatMul":     func(out, w Tensor) { be.MatMul(out, x, w, nil) },
			"MatMulNorm": func(out, w Tensor) { fb.MatMulNorm(out, x, normW, w, 1e-5) },
		} {
			a, _ := be.Zeros(c.T, c.N)
			b, _ := be.Zeros(c.T, c.N)
			op(a, wq)
			op(b, wf)
			ga, gb := read(t, be, a), read(t, be, b)
			for i := range ga {
				if math.Abs(float64(ga[i]-gb[i])) > 1e-4*(1+math.Abs(float64(gb[i]))) {
					t.Fatalf("%+v %s: out[%d] = %v, f32 weights give %v", c, name, i, ga[i], gb[i])
				}
			}
		}
		// As an embedding table (tied lm_head): rows are the dequantized rows.
		ids := []int32{0, int32(c.N - 1), int32(c.N / 2)}
		e, _ := be.Zeros(len(ids), c.K)
		be.Embedding(e, wq, ids)
		got := read(t, be, e)
		for i, id := range ids {
			if !equalF32(got[i*c.K:(i+1)*c.K], deq[int(id)*c.K:int(id+1)*c.K]) {
				t.Fatalf("%+v: embedding row %d differs", c, id)
			}
		}
	}
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestUploadQuantRejectsBadMatrix(t *testing.T) {
	be := NewCPU()
	q := &kernels.QMatrix{Bits: 4, N: 2, K: 32, Q: make([]byte, 3)}
	if _, err := be.(QuantUploader).UploadQuant(q); err == nil {
		t.Fatal("UploadQuant accepted a matrix with too few codes")
	}
	if _, err := be.Upload([]int{2, 2}, Q8, make([]byte, 4)); err == nil {
		t.Fatal("Upload accepted a quantized dtype")
	}
}
