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

// TestGeluBitIdentical: the module's gelu gives kernels.GeluTanh's bits
// (the Go code the CPU backend runs) for lengths off the vector width and
// a large one, values whose exponent overflows to +Inf and underflows to
// 0, ±Inf, NaN and signed zeros; in place and through the CPU backend.
func TestGeluBitIdentical(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 16))
	e := loadEngine(t)
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), 1e-30, -1e-30, 4.5, -4.5, 9.9, -9.9, 30, -30, 1e10, -1e10, math.MaxFloat32, -math.MaxFloat32}
	for _, n := range []int{1, 3, 4, 5, 17, 31, 100, len(special), 1 << 18} {
		x := make([]float32, n)
		for i := range x {
			switch i % 3 {
			case 0:
				x[i] = float32(r.NormFloat64())
			case 1:
				x[i] = 12 * (2*r.Float32() - 1)
			default:
				x[i] = special[r.IntN(len(special))]
			}
		}
		if n == len(special) {
			copy(x, special)
		}
		want := make([]float32, n)
		kernels.GeluTanh(want, x)
		got := make([]float32, n)
		if err := e.GeluTanh(got, x); err != nil {
			t.Fatal(err)
		}
		in := append([]float32(nil), x...)
		if err := e.GeluTanh(in, in); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
				t.Fatalf("n=%d: gelu(%g) = %g, want %g", n, x[i], got[i], want[i])
			}
			if math.Float32bits(in[i]) != math.Float32bits(got[i]) && !(got[i] != got[i] && in[i] != in[i]) {
				t.Fatalf("n=%d: in place gelu(%g) = %g, want %g", n, x[i], in[i], got[i])
			}
		}
	}
	if err := e.GeluTanh(make([]float32, 3), make([]float32, 4)); err == nil {
		t.Error("GeluTanh of 4 values into 3: no error")
	}
	// Through the CPU backend: GeluTanh goes to the engine.
	ce := &countGelu{Engine: e}
	be := tensor.NewCPUWith(ce)
	x := randVec(r, 37)
	xt, err := be.UploadF32([]int{37}, x)
	if err != nil {
		t.Fatal(err)
	}
	ot, err := be.Zeros(37)
	if err != nil {
		t.Fatal(err)
	}
	be.GeluTanh(ot, xt)
	got, err := be.Read(ot, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if ce.n != 1 {
		t.Errorf("the engine ran %d GeluTanh, want 1", ce.n)
	}
	want := make([]float32, len(x))
	kernels.GeluTanh(want, x)
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("backend gelu(%g) = %g, want %g", x[i], got[i], want[i])
		}
	}
}

// countGelu counts the engine's GeluTanh calls.
type countGelu struct {
	*Engine
	n int
}

func (c *countGelu) GeluTanh(out, x []float32) error {
	c.n++
	return c.Engine.GeluTanh(out, x)
}

// TestBiasBitIdentical: MatMul with a bias on wasm-simd (the bias added in
// the module, tensor.BiasEngine) gives the bits of the engine's product
// plus the CPU backend's own bias add, for f32/f16/Q4 weights, matvecs and
// matmuls, N off the 8-row panel, and biases with ±Inf and NaN.
func TestBiasBitIdentical(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 17))
	ref, got := tensor.NewCPUWith(unfused{loadEngine(t)}), tensor.NewCPUWith(loadEngine(t))
	for _, dt := range []tensor.DType{tensor.F32, tensor.F16, tensor.Q4} {
		for _, s := range [][3]int{{1, 100, 36}, {5, 64, 7}, {9, 130, 33}, {4, 1024, 1024}} {
			T, K, N := s[0], s[1], s[2]
			w, x, bias := randVec(r, N*K), randVec(r, T*K), randVec(r, N)
			bias[0], bias[N/2] = float32(math.Inf(1)), float32(math.NaN())
			var outs [2][]float32
			for bi, be := range []tensor.Backend{ref, got} {
				var wt tensor.Tensor
				var err error
				if dt == tensor.Q4 {
					var q *kernels.QMatrix
					if q, err = kernels.QuantizeRTN(w, N, K, 4, 32); err == nil {
						wt, err = be.(tensor.QuantUploader).UploadQuant(q)
					}
				} else {
					wt, err = be.Upload([]int{N, K}, dt, weightBytes(dt, w))
				}
				if err != nil {
					t.Fatal(err)
				}
				xt, _ := be.UploadF32([]int{T, K}, x)
				bt, _ := be.UploadF32([]int{N}, bias)
				ot, _ := be.Zeros(T, N)
				be.MatMul(ot, xt, wt, bt)
				if outs[bi], err = be.Read(ot, 0, -1); err != nil {
					t.Fatal(err)
				}
				for _, tt := range []tensor.Tensor{wt, xt, bt, ot} {
					be.Free(tt)
				}
			}
			for i := range outs[0] {
				a, b := outs[0][i], outs[1][i]
				if math.Float32bits(a) != math.Float32bits(b) && !(a != a && b != b) {
					t.Fatalf("%v T=%d K=%d N=%d: out[%d] = %g, want %g", dt, T, K, N, i, b, a)
				}
			}
		}
	}
}
