//go:build js && wasm

package wasmsimd

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

// TestHeldReadBack: once a weight is held (its Go copy freed by the CPU
// backend), Read and Embedding of it read the rows back from the module's
// panels and give what the plain CPU backend gives, for every dtype, for
// row ranges inside and across panels, with WidenHalf too (whose weights
// keep their Go copy).
func TestHeldReadBack(t *testing.T) {
	const N, K = 21, 5
	r := rand.New(rand.NewPCG(5, 6))
	w := randVec(r, N*K)
	w[4*K+2] = float32(math.Inf(-1))
	cpu := tensor.NewCPU()
	plain := loadEngine(t)
	wide := loadEngine(t)
	wide.WidenHalf = true
	for _, eng := range []*Engine{plain, wide} {
		simd := tensor.NewCPUWith(eng)
		for _, dt := range []tensor.DType{tensor.F32, tensor.F16, tensor.BF16} {
			wb := weightBytes(dt, w)
			var reads [2][][]float32
			for i, be := range []tensor.Backend{cpu, simd} {
				wt, err := be.Upload([]int{N, K}, dt, wb)
				if err != nil {
					t.Fatal(err)
				}
				x, _ := be.UploadF32([]int{1, K}, randVec(rand.New(rand.NewPCG(7, 8)), K))
				out, _ := be.Zeros(1, N)
				be.MatMul(out, x, wt, nil) // the engine takes the weight
				emb, _ := be.Zeros(4, K)
				be.Embedding(emb, wt, []int32{0, 20, 7, 8})
				for _, rr := range [][2]int{{0, -1}, {3, 9}, {16, 5}, {8, 1}} {
					v, err := be.Read(wt, rr[0], rr[1])
					if err != nil {
						t.Fatal(err)
					}
					reads[i] = append(reads[i], v)
				}
				v, err := be.Read(emb, 0, -1)
				if err != nil {
					t.Fatal(err)
				}
				reads[i] = append(reads[i], v)
				be.Free(wt)
			}
			for j := range reads[0] {
				if !slices.Equal(reads[0][j], reads[1][j]) {
					t.Fatalf("%v widen=%v read %d: simd %v, cpu %v", dt, eng.WidenHalf, j, reads[1][j], reads[0][j])
				}
			}
		}
	}
	if len(plain.free) > 1 || len(wide.free) > 1 {
		t.Errorf("free lists not merged: %v, %v", plain.free, wide.free)
	}
}

// TestHoldPicksFiniteKernel: f16 weights without ±Inf/NaN take the matvec
// without the Inf/NaN fix-up; one Inf or NaN keeps the full widening (both
// are compared with the CPU backend by TestMatMul and TestMatMulNaNInf).
func TestHoldPicksFiniteKernel(t *testing.T) {
	e := loadEngine(t)
	for _, c := range []struct {
		h    []uint16
		want dtype
	}{
		{[]uint16{0x3c00, 0x0001, 0xfbff}, dF16Finite},
		{[]uint16{0x3c00, 0x7c00, 0}, dF16},
		{[]uint16{0x7e00, 0, 0}, dF16},
	} {
		h, err := e.Hold(tensor.F16, 1, 3, nil, c.h)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.(*weight).d; got != c.want {
			t.Errorf("Hold(%#04x) uses %v, want %v", c.h, got, c.want)
		}
		e.Release(h)
	}
}
