//go:build js && wasm

package wasmsimd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/tensor"
)

// unfused is an engine with the products only (not a FusedEngine): the
// CPU backend then runs MatMulNormQKV and MatMulNormSiLU as its own
// RMSNorm and SiLUMul around the engine's products — the reference the
// fused ops must give bit for bit.
type unfused struct{ e *Engine }

func (u unfused) Name() string { return u.e.Name() }
func (u unfused) Hold(dt tensor.DType, N, K int, f32 []float32, u16 []uint16) (tensor.EngineWeight, error) {
	return u.e.Hold(dt, N, K, f32, u16)
}
func (u unfused) MatMul(out, x []float32, w tensor.EngineWeight, T int) error {
	return u.e.MatMul(out, x, w, T)
}
func (u unfused) Release(w tensor.EngineWeight) { u.e.Release(w) }
func (u unfused) HoldQuant(m *kernels.QMatrix) (tensor.EngineWeight, error) {
	return u.e.HoldQuant(m)
}
func (u unfused) ReadHeldQuant(w tensor.EngineWeight, from, n int) (*kernels.QMatrix, error) {
	return u.e.ReadHeldQuant(w, from, n)
}

// TestFusedBitIdentical: MatMulNormQKV and MatMulNormSiLU on wasm-simd (x
// in once, rms, the products, silu in the module) give the bits of the
// unfused ops, for f32/f16 and Q8/Q4 weights, matvecs and matmuls, K and N
// off the vector width and the panels, and gates large enough that e^-g
// overflows to +Inf and underflows to 0.
func TestFusedBitIdentical(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	ref, fused := tensor.NewCPUWith(unfused{loadEngine(t)}), tensor.NewCPUWith(loadEngine(t))
	for _, dt := range []tensor.DType{tensor.F32, tensor.F16, tensor.Q8, tensor.Q4} {
		for _, s := range [][4]int{{1, 100, 36, 20}, {5, 100, 36, 20}, {1, 64, 48, 16}, {9, 130, 17, 9}} {
			T, K, N, Nkv := s[0], s[1], s[2], s[3]
			ws := make([][]float32, 5) // q, k, v, gate, up
			shapes := []int{N, Nkv, Nkv, N, N}
			for i := range ws {
				ws[i] = randVec(r, shapes[i]*K)
			}
			x := randVec(r, T*K)
			normW := make([]float32, K)
			for i := range normW {
				normW[i] = 30 * r.Float32()
			}
			var outs [2][][]float32
			for bi, be := range []tensor.Backend{ref, fused} {
				tw := make([]tensor.Tensor, len(ws))
				for i, w := range ws {
					var err error
					switch dt {
					case tensor.Q8, tensor.Q4:
						bits := 8
						if dt == tensor.Q4 {
							bits = 4
						}
						var q *kernels.QMatrix
						if q, err = kernels.QuantizeRTN(w, shapes[i], K, bits, 32); err == nil {
							tw[i], err = be.(tensor.QuantUploader).UploadQuant(q)
						}
					default:
						tw[i], err = be.Upload([]int{shapes[i], K}, dt, weightBytes(dt, w))
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				xt, _ := be.UploadF32([]int{T, K}, x)
				nt, _ := be.UploadF32([]int{K}, normW)
				q, _ := be.Zeros(T, N)
				k, _ := be.Zeros(T, Nkv)
				v, _ := be.Zeros(T, Nkv)
				mlp, _ := be.Zeros(T, N)
				f := be.(tensor.FusedOps)
				f.MatMulNormQKV(q, k, v, xt, nt, tw[0], tw[1], tw[2], 1e-5)
				f.MatMulNormSiLU(mlp, xt, nt, tw[3], tw[4], 1e-5)
				for _, o := range []tensor.Tensor{q, k, v, mlp} {
					got, err := be.Read(o, 0, -1)
					if err != nil {
						t.Fatal(err)
					}
					outs[bi] = append(outs[bi], got)
				}
				for _, tt := range append(tw, xt, nt, q, k, v, mlp) {
					be.Free(tt)
				}
			}
			for o, name := range []string{"q", "k", "v", "silu"} {
				for j := range outs[0][o] {
					if a, b := outs[0][o][j], outs[1][o][j]; math.Float32bits(a) != math.Float32bits(b) {
						t.Fatalf("%v T=%d K=%d: %s[%d] fused %v, unfused %v", dt, T, K, name, j, b, a)
					}
				}
			}
		}
	}
}
