//go:build js && wasm

// Kernel tests: every op of the WebGPU backend against the CPU backend
// (tensor.NewCPU, the reference) on random shapes, including sizes that are
// not multiples of the workgroup or tile sizes and ones that cross tile
// edges. Run in headless Chromium by browsertest/run.sh (the Go test binary
// is compiled with GOOS=js GOARCH=wasm go test -c and loaded by a page).
package webgpu

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/tensor"
)

// Tolerances on normalised MSE (Σ(a-b)²/Σb²) and max abs difference. Both
// sides widen f16/bf16 weights exactly, so weight dtypes differ only in
// summation order like f32; the f16 bounds are still kept looser because a
// native-f16 device may convert through its own path.
const (
	nmseF32   = 1e-10
	nmseF16   = 1e-8
	absF32    = 1e-4
	absF16    = 5e-4
	nmseTrans = 1e-9 // exp/tanh/sin/cos: GPU and Go libm differ in the last bits
	absTrans  = 5e-4
)

var (
	gpu      *Backend // default device
	gpuSplit *Backend // pretends maxStorageBufferBindingSize = splitLimit
	cpu      = tensor.NewCPU()
)

// splitLimit forces weights above 4 KiB into several buffers.
const splitLimit = 4096

func TestMain(m *testing.M) {
	ctx := context.Background()
	be, err := NewBackendWithOptions(ctx, Options{PreferF16: true})
	if err != nil {
		fmt.Println("FAIL: no WebGPU backend:", err)
		os.Exit(1)
	}
	gpu = be.(*Backend)
	fmt.Printf("adapter: %s; shader-f16=%v; maxBinding=%d\n", gpu.AdapterInfo(), gpu.HasFeature("shader-f16"), gpu.MaxBindingSize())
	be, err = NewBackendWithOptions(ctx, Options{MaxBindingSize: splitLimit})
	if err != nil {
		fmt.Println("FAIL: second WebGPU backend:", err)
		os.Exit(1)
	}
	gpuSplit = be.(*Backend)
	os.Exit(m.Run())
}

// report appends one result row to globalThis.laminaResults (when the page
// defined it) so the page and the runner can show per-op numbers.
func report(op string, nmse, maxAbs float64, ok bool) {
	r := js.Global().Get("laminaResults")
	if r.Type() != js.TypeObject {
		return
	}
	r.Call("push", map[string]any{"op": op, "nmse": nmse, "maxAbs": maxAbs, "ok": ok})
}

func compare(t *testing.T, op string, got, want []float32, nmseTol, absTol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", op, len(got), len(want))
	}
	var num, den, maxAbs float64
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) != math.IsNaN(w) {
			report(op, math.NaN(), math.NaN(), false)
			t.Fatalf("%s: [%d] = %v, want %v", op, i, g, w)
		}
		d := g - w
		num += d * d
		den += w * w
		maxAbs = math.Max(maxAbs, math.Abs(d))
	}
	nmse := num / math.Max(den, 1e-30)
	ok := nmse <= nmseTol && maxAbs <= absTol
	report(op, nmse, maxAbs, ok)
	t.Logf("%-40s nmse=%.2e maxAbs=%.2e", op, nmse, maxAbs)
	if !ok {
		t.Errorf("%s: nmse %.3e (tol %.0e), max abs %.3e (tol %.0e)", op, nmse, nmseTol, maxAbs, absTol)
	}
}

// pair holds the same tensor on the GPU and on the CPU.
type pair struct{ g, c tensor.Tensor }

func randF32(r *rand.Rand, n int, scale float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = (r.Float32()*2 - 1) * scale
	}
	return v
}

// upload stores values with dtype dt on both backends (rounded once, so
// both see identical bits).
func upload(t *testing.T, g *Backend, shape []int, dt tensor.DType, v []float32) pair {
	t.Helper()
	if dt == tensor.F32 {
		// Activations come from UploadF32; only weights (uploadW) are split.
		gt, err := g.UploadF32(shape, v)
		if err != nil {
			t.Fatal(err)
		}
		ct, _ := cpu.UploadF32(shape, v)
		return pair{gt, ct}
	}
	return uploadW(t, g, shape, dt, v)
}

// uploadW stores a weight through Upload (split above the binding limit).
func uploadW(t *testing.T, g *Backend, shape []int, dt tensor.DType, v []float32) pair {
	t.Helper()
	raw := make([]byte, len(v)*dt.Size())
	for i, f := range v {
		switch dt {
		case tensor.F32:
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
		case tensor.F16:
			binary.LittleEndian.PutUint16(raw[2*i:], kernels.F32ToF16(f))
		case tensor.BF16:
			binary.LittleEndian.PutUint16(raw[2*i:], uint16(math.Float32bits(f)>>16))
		}
	}
	gt, err := g.Upload(shape, dt, raw)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := cpu.Upload(shape, dt, raw)
	if err != nil {
		t.Fatal(err)
	}
	return pair{gt, ct}
}

func zeros(t *testing.T, g *Backend, shape ...int) pair {
	t.Helper()
	gt, err := g.Zeros(shape...)
	if err != nil {
		t.Fatal(err)
	}
	ct, _ := cpu.Zeros(shape...)
	return pair{gt, ct}
}

func check(t *testing.T, g *Backend, op string, p pair, nmseTol, absTol float64) {
	t.Helper()
	got, err := g.Read(p.g, 0, -1)
	if err != nil {
		t.Fatalf("%s: read: %v", op, err)
	}
	want, err := cpu.Read(p.c, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, op, got, want, nmseTol, absTol)
}

func tolFor(dt tensor.DType) (float64, float64) {
	if dt == tensor.F32 {
		return nmseF32, absF32
	}
	return nmseF16, absF16
}

var weightDTypes = []tensor.DType{tensor.F32, tensor.F16, tensor.BF16}

func TestMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	shapes := []struct{ T, K, N int }{
		{1, 7, 5},       // matvec, scalar path, N < 8
		{1, 64, 129},    // matvec, vec4, N crosses a workgroup
		{3, 33, 70},     // matvec with T>1, odd K
		{5, 16, 8},      // tiled, tiny
		{130, 37, 131},  // tiled, every dimension crosses a 128 tile, odd K
		{129, 256, 200}, // tiled, vec4, K several 16-steps
	}
	for _, be := range []*Backend{gpu, gpuSplit} {
		for _, s := range shapes {
			for _, dt := range weightDTypes {
				for _, withBias := range []bool{false, true} {
					name := fmt.Sprintf("MatMul/T%d_K%d_N%d/%v/bias=%v/split=%v", s.T, s.K, s.N, dt, withBias, be == gpuSplit)
					t.Run(name, func(t *testing.T) {
						x := upload(t, be, []int{s.T, s.K}, tensor.F32, randF32(r, s.T*s.K, 1))
						w := uploadW(t, be, []int{s.N, s.K}, dt, randF32(r, s.N*s.K, 0.5))
						out := zeros(t, be, s.T, s.N)
						var bg, bc tensor.Tensor
						if withBias {
							b := upload(t, be, []int{s.N}, tensor.F32, randF32(r, s.N, 1))
							bg, bc = b.g, b.c
						}
						be.MatMul(out.g, x.g, w.g, bg)
						cpu.MatMul(out.c, x.c, w.c, bc)
						n, a := tolFor(dt)
						check(t, be, name, out, n, a)
						if be == gpuSplit && s.N*s.K*dt.Size() > splitLimit {
							if got := len(w.g.(*gtensor).chunks); got < 2 {
								t.Errorf("weight of %d bytes in %d buffers, want a split", s.N*s.K*dt.Size(), got)
							}
							// Reading a split weight back goes chunk by chunk.
							check(t, be, name+"/readback", w, 0, 0)
						}
					})
				}
			}
		}
	}
}

func TestFusedMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, be := range []*Backend{gpu, gpuSplit} {
		for _, T := range []int{1, 3, 6} { // 6 takes the unfused fallback
			for _, s := range []struct{ K, N int }{{12, 20}, {64, 37}, {30, 9}} {
				for _, dt := range weightDTypes {
					name := fmt.Sprintf("T%d_K%d_N%d/%v/split=%v", T, s.K, s.N, dt, be == gpuSplit)
					nt, at := tolFor(dt)
					weight := func(t *testing.T, _, n, k int) pair {
						return uploadW(t, be, []int{n, k}, dt, randF32(r, n*k, 0.5))
					}
					testFused(t, be, r, T, s.K, s.N, "", name, weight, nt, at)
				}
			}
		}
	}
}

// fusedWeight makes one weight (n,k) of a fused-op test; which is 0 for
// each op's first weight and 1 for the weight that shares its kernel with
// it (MatMulNormQKV's v, MatMulNormSiLU's up).
type fusedWeight func(t *testing.T, which, n, k int) pair

// testFused compares MatMulNorm, MatMulNormQKV, MatMulNormSiLU and
// MatMulAcc on x (T,K) with the CPU's unfused ops; tests are named
// prefix+op+"/"+name.
func testFused(t *testing.T, be *Backend, r *rand.Rand, T, K, N int, prefix, name string, weight fusedWeight, nt, at float64) {
	const eps = 1e-5
	t.Run(prefix+"MatMulNorm/"+name, func(t *testing.T) {
		x := upload(t, be, []int{T, K}, tensor.F32, randF32(r, T*K, 2))
		nw := upload(t, be, []int{K}, tensor.F32, randF32(r, K, 1))
		w := weight(t, 0, N, K)
		out, tmp := zeros(t, be, T, N), zeros(t, be, T, K)
		be.MatMulNorm(out.g, x.g, nw.g, w.g, eps)
		cpu.RMSNorm(tmp.c, x.c, nw.c, eps)
		cpu.MatMul(out.c, tmp.c, w.c, nil)
		check(t, be, prefix+"MatMulNorm/"+name, out, nt, at)
	})
	t.Run(prefix+"MatMulNormQKV/"+name, func(t *testing.T) {
		Nkv := N/3 + 1 // k, v narrower than q, as with grouped-query heads
		x := upload(t, be, []int{T, K}, tensor.F32, randF32(r, T*K, 2))
		nw := upload(t, be, []int{K}, tensor.F32, randF32(r, K, 1))
		wq, wk, wv := weight(t, 0, N, K), weight(t, 0, Nkv, K), weight(t, 1, Nkv, K)
		q, k, v, tmp := zeros(t, be, T, N), zeros(t, be, T, Nkv), zeros(t, be, T, Nkv), zeros(t, be, T, K)
		be.MatMulNormQKV(q.g, k.g, v.g, x.g, nw.g, wq.g, wk.g, wv.g, eps)
		cpu.RMSNorm(tmp.c, x.c, nw.c, eps)
		cpu.MatMul(q.c, tmp.c, wq.c, nil)
		cpu.MatMul(k.c, tmp.c, wk.c, nil)
		cpu.MatMul(v.c, tmp.c, wv.c, nil)
		check(t, be, prefix+"MatMulNormQKV/"+name+"/q", q, nt, at)
		check(t, be, prefix+"MatMulNormQKV/"+name+"/k", k, nt, at)
		check(t, be, prefix+"MatMulNormQKV/"+name+"/v", v, nt, at)
	})
	t.Run(prefix+"MatMulNormSiLU/"+name, func(t *testing.T) {
		x := upload(t, be, []int{T, K}, tensor.F32, randF32(r, T*K, 2))
		nw := upload(t, be, []int{K}, tensor.F32, randF32(r, K, 1))
		g, u := weight(t, 0, N, K), weight(t, 1, N, K)
		out, tmp, uo := zeros(t, be, T, N), zeros(t, be, T, K), zeros(t, be, T, N)
		be.MatMulNormSiLU(out.g, x.g, nw.g, g.g, u.g, eps)
		cpu.RMSNorm(tmp.c, x.c, nw.c, eps)
		cpu.MatMul(out.c, tmp.c, g.c, nil)
		cpu.MatMul(uo.c, tmp.c, u.c, nil)
		cpu.SiLUMul(out.c, out.c, uo.c)
		check(t, be, prefix+"MatMulNormSiLU/"+name, out, math.Max(nt, nmseTrans), math.Max(at, absTrans))
	})
	t.Run(prefix+"MatMulAcc/"+name, func(t *testing.T) {
		x := upload(t, be, []int{T, K}, tensor.F32, randF32(r, T*K, 1))
		w := weight(t, 0, N, K)
		acc := upload(t, be, []int{T, N}, tensor.F32, randF32(r, T*N, 1))
		tmp := zeros(t, be, T, N)
		be.MatMulAcc(acc.g, x.g, w.g)
		cpu.MatMul(tmp.c, x.c, w.c, nil)
		cpu.Add(acc.c, acc.c, tmp.c)
		check(t, be, prefix+"MatMulAcc/"+name, acc, nt, at)
	})
}

func TestNorms(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, s := range []struct{ T, C int }{{1, 5}, {3, 256}, {4, 300}, {2, 1000}} {
		for _, inPlace := range []bool{false, true} {
			for _, kind := range []string{"RMSNorm", "LayerNorm", "LayerNormNoBias"} {
				name := fmt.Sprintf("%s/T%d_C%d/inplace=%v", kind, s.T, s.C, inPlace)
				t.Run(name, func(t *testing.T) {
					x := upload(t, gpu, []int{s.T, s.C}, tensor.F32, randF32(r, s.T*s.C, 3))
					w := upload(t, gpu, []int{s.C}, tensor.F32, randF32(r, s.C, 1))
					b := upload(t, gpu, []int{s.C}, tensor.F32, randF32(r, s.C, 1))
					out := x
					if !inPlace {
						out = zeros(t, gpu, s.T, s.C)
					}
					switch kind {
					case "RMSNorm":
						gpu.RMSNorm(out.g, x.g, w.g, 1e-6)
						cpu.RMSNorm(out.c, x.c, w.c, 1e-6)
					case "LayerNorm":
						gpu.LayerNorm(out.g, x.g, w.g, b.g, 1e-5)
						cpu.LayerNorm(out.c, x.c, w.c, b.c, 1e-5)
					default:
						gpu.LayerNorm(out.g, x.g, w.g, nil, 1e-5)
						cpu.LayerNorm(out.c, x.c, w.c, nil, 1e-5)
					}
					check(t, gpu, name, out, nmseF32, absF32)
				})
			}
		}
	}
}

// The ops Qwen3 (per-head q/k RMSNorm) and Gemma 3 (embedding scale) need
// beyond tensor.Backend, against the CPU backend; GeluTanhMul is in
// TestElementwise.
func TestArchOps(t *testing.T) {
	c := cpu.(interface {
		RMSNormHeads(out, x, w tensor.Tensor, eps float32)
		Scale(x tensor.Tensor, s float32)
	})
	r := rand.New(rand.NewPCG(43, 44))
	for _, s := range []struct{ T, H, D int }{{1, 4, 16}, {3, 2, 64}, {5, 3, 300}, {70, 1, 5}} {
		for _, inPlace := range []bool{false, true} {
			name := fmt.Sprintf("RMSNormHeads/T%d_H%d_D%d/inplace=%v", s.T, s.H, s.D, inPlace)
			t.Run(name, func(t *testing.T) {
				x := upload(t, gpu, []int{s.T, s.H * s.D}, tensor.F32, randF32(r, s.T*s.H*s.D, 3))
				w := upload(t, gpu, []int{s.D}, tensor.F32, randF32(r, s.D, 1))
				out := x
				if !inPlace {
					out = zeros(t, gpu, s.T, s.H*s.D)
				}
				gpu.RMSNormHeads(out.g, x.g, w.g, 1e-6)
				c.RMSNormHeads(out.c, x.c, w.c, 1e-6)
				check(t, gpu, name, out, nmseF32, absF32)
			})
		}
	}
	for _, n := range []int{1, 257, 1000} {
		name := fmt.Sprintf("Scale/n%d", n)
		t.Run(name, func(t *testing.T) {
			x := upload(t, gpu, []int{n}, tensor.F32, randF32(r, n, 4))
			gpu.Scale(x.g, 25.3)
			c.Scale(x.c, 25.3)
			check(t, gpu, name, x, nmseF32, absF32)
		})
	}
	// A weight that does not divide the rows into heads is an error.
	x, w := zeros(t, gpu, 2, 10), zeros(t, gpu, 4)
	gpu.RMSNormHeads(x.g, x.g, w.g, 1e-6)
	if err := gpu.Flush(); err == nil || !strings.Contains(err.Error(), "RMSNormHeads") {
		t.Errorf("RMSNormHeads with D=4 over rows of 10: err %v", err)
	}
}

func invFreq(t *testing.T, D int) pair {
	f := make([]float32, D/2)
	for j := range f {
		f[j] = float32(1 / math.Pow(10000, float64(2*j)/float64(D)))
	}
	return upload(t, gpu, []int{D / 2}, tensor.F32, f)
}

func TestRoPE(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range []struct{ T, H, D, pos int }{{1, 1, 2, 0}, {5, 3, 8, 7}, {4, 9, 64, 300}} {
		name := fmt.Sprintf("RoPE/T%d_H%d_D%d_pos%d", s.T, s.H, s.D, s.pos)
		t.Run(name, func(t *testing.T) {
			x := upload(t, gpu, []int{s.T, s.H * s.D}, tensor.F32, randF32(r, s.T*s.H*s.D, 1))
			f := invFreq(t, s.D)
			gpu.RoPE(x.g, f.g, s.H, s.D, s.pos)
			cpu.RoPE(x.c, f.c, s.H, s.D, s.pos)
			check(t, gpu, name, x, nmseF32, absF32)
		})
	}
}

func TestRoPEKV(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, s := range []struct{ T, H, G, D, pos, S int }{{1, 6, 2, 16, 5, 8}, {3, 4, 4, 8, 0, 3}, {2, 9, 3, 64, 10, 20}} {
		name := fmt.Sprintf("RoPEKV/T%d_H%d_G%d_D%d_pos%d", s.T, s.H, s.G, s.D, s.pos)
		t.Run(name, func(t *testing.T) {
			q := upload(t, gpu, []int{s.T, s.H * s.D}, tensor.F32, randF32(r, s.T*s.H*s.D, 1))
			k := upload(t, gpu, []int{s.T, s.G * s.D}, tensor.F32, randF32(r, s.T*s.G*s.D, 1))
			v := upload(t, gpu, []int{s.T, s.G * s.D}, tensor.F32, randF32(r, s.T*s.G*s.D, 1))
			kc := upload(t, gpu, []int{s.S, s.G * s.D}, tensor.F32, randF32(r, s.S*s.G*s.D, 1))
			vc := upload(t, gpu, []int{s.S, s.G * s.D}, tensor.F32, randF32(r, s.S*s.G*s.D, 1))
			f := invFreq(t, s.D)
			gpu.RoPEKV(q.g, k.g, v.g, f.g, kc.g, vc.g, s.H, s.G, s.D, s.pos)
			cpu.RoPE(q.c, f.c, s.H, s.D, s.pos)
			cpu.RoPE(k.c, f.c, s.G, s.D, s.pos) // the GPU leaves k unchanged; compare via the cache
			cpu.CopyRows(kc.c, s.pos, k.c, 0, s.T)
			cpu.CopyRows(vc.c, s.pos, v.c, 0, s.T)
			check(t, gpu, name+"/q", q, nmseF32, absF32)
			check(t, gpu, name+"/kCache", kc, nmseF32, absF32)
			check(t, gpu, name+"/vCache", vc, 0, 0)
		})
	}
}

func TestAttention(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, s := range []struct{ T, H, G, D, pos int }{
		{1, 6, 2, 16, 70},  // decode, keys cross a 64-key chunk
		{9, 4, 4, 8, 0},    // prefill from empty, MHA
		{5, 6, 3, 72, 3},   // prefill on a prefix, D not a multiple of 64
		{1, 9, 3, 64, 130}, // SmolLM2 head shape
		{70, 2, 1, 32, 0},  // long prefill, MQA
		{3, 2, 1, 6, 5},    // D not a multiple of 4: scalar key loads
		{2, 3, 3, 20, 64},  // D/4 = 5: vec4 loop remainder
	} {
		name := fmt.Sprintf("Attention/T%d_H%d_G%d_D%d_pos%d", s.T, s.H, s.G, s.D, s.pos)
		t.Run(name, func(t *testing.T) {
			S := s.pos + s.T + 3
			q := upload(t, gpu, []int{s.T, s.H * s.D}, tensor.F32, randF32(r, s.T*s.H*s.D, 1))
			kc := upload(t, gpu, []int{S, s.G * s.D}, tensor.F32, randF32(r, S*s.G*s.D, 1))
			vc := upload(t, gpu, []int{S, s.G * s.D}, tensor.F32, randF32(r, S*s.G*s.D, 1))
			out := zeros(t, gpu, s.T, s.H*s.D)
			a := tensor.AttentionArgs{Heads: s.H, KVHeads: s.G, HeadDim: s.D, Pos: s.pos, Scale: float32(1 / math.Sqrt(float64(s.D)))}
			gpu.Attention(out.g, q.g, kc.g, vc.g, a)
			cpu.Attention(out.c, q.c, kc.c, vc.c, a)
			check(t, gpu, name, out, nmseTrans, absTrans)
		})
	}
}

// Sliding-window attention (Window) over linear caches and over ring
// caches (Ring: position p at row p mod Ring) against the CPU reference.
func TestAttentionWindow(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, s := range []struct{ T, H, G, D, pos, W, R int }{
		{1, 6, 2, 16, 100, 40, 0},  // decode past the window
		{70, 2, 1, 32, 0, 20, 0},   // long prefill crossing the window edge, MQA
		{5, 6, 3, 72, 30, 8, 0},    // chunk on a prefix, every row cut, scalar-ish D
		{3, 4, 2, 64, 150, 100, 0}, // window over two 64-key chunks, starting mid-chunk
		{4, 4, 4, 8, 2, 16, 0},     // window not reached: plain causal
		{1, 4, 2, 16, 200, 50, 50}, // ring decode, window = ring, wraps
		{4, 6, 2, 16, 95, 30, 33},  // ring chunk, the window wraps mid-way
		{2, 2, 1, 8, 300, 80, 81},  // ring: one 64-key chunk wraps
		{3, 3, 3, 6, 77, 10, 12},   // ring, D not a multiple of 4: scalar key loads
		{5, 2, 2, 16, 3, 6, 10},    // ring not yet full
	} {
		name := fmt.Sprintf("AttentionWindow/T%d_H%d_G%d_D%d_pos%d_W%d_R%d", s.T, s.H, s.G, s.D, s.pos, s.W, s.R)
		t.Run(name, func(t *testing.T) {
			S := s.pos + s.T + 3
			if s.R > 0 {
				S = s.R
			}
			q := upload(t, gpu, []int{s.T, s.H * s.D}, tensor.F32, randF32(r, s.T*s.H*s.D, 1))
			kc := upload(t, gpu, []int{S, s.G * s.D}, tensor.F32, randF32(r, S*s.G*s.D, 1))
			vc := upload(t, gpu, []int{S, s.G * s.D}, tensor.F32, randF32(r, S*s.G*s.D, 1))
			out := zeros(t, gpu, s.T, s.H*s.D)
			a := tensor.AttentionArgs{Heads: s.H, KVHeads: s.G, HeadDim: s.D, Pos: s.pos,
				Scale: float32(1 / math.Sqrt(float64(s.D))), Window: s.W, Ring: s.R}
			gpu.Attention(out.g, q.g, kc.g, vc.g, a)
			cpu.Attention(out.c, q.c, kc.c, vc.c, a)
			check(t, gpu, name, out, nmseTrans, absTrans)
		})
	}
	if !gpu.RingAttention() {
		t.Error("RingAttention() = false")
	}
	// A ring too short for the chunk's window, or one without a window, is
	// an error at the next synchronisation, as on the CPU (a panic there).
	for _, a := range []tensor.AttentionArgs{
		{Heads: 2, KVHeads: 1, HeadDim: 8, Pos: 40, Scale: 1, Window: 8, Ring: 10}, // 8+4-1 > 10
		{Heads: 2, KVHeads: 1, HeadDim: 8, Pos: 40, Scale: 1, Ring: 10},
		{Heads: 2, KVHeads: 1, HeadDim: 8, Pos: 0, Scale: 1, Window: -1},
	} {
		q := zeros(t, gpu, 4, 16)
		c := zeros(t, gpu, 10, 8)
		out := zeros(t, gpu, 4, 16)
		gpu.Attention(out.g, q.g, c.g, c.g, a)
		if err := gpu.Flush(); err == nil || !strings.Contains(err.Error(), "Attention") {
			t.Errorf("window %d ring %d: err %v, want an Attention error", a.Window, a.Ring, err)
		}
	}
}

func TestElementwise(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{1, 255, 257, 1000} {
		for _, alias := range []string{"none", "a", "b", "both"} {
			for _, op := range []string{"Add", "SiLUMul", "GeluTanhMul", "GeluTanh"} {
				if op == "GeluTanh" && (alias == "b" || alias == "both") {
					continue
				}
				name := fmt.Sprintf("%s/n%d/alias=%s", op, n, alias)
				t.Run(name, func(t *testing.T) {
					a := upload(t, gpu, []int{n}, tensor.F32, randF32(r, n, 4))
					b := upload(t, gpu, []int{n}, tensor.F32, randF32(r, n, 4))
					out := zeros(t, gpu, n)
					switch alias {
					case "a":
						out = a
					case "b":
						out = b
					case "both":
						out, b = a, a
					}
					switch op {
					case "Add":
						gpu.Add(out.g, a.g, b.g)
						cpu.Add(out.c, a.c, b.c)
					case "SiLUMul":
						gpu.SiLUMul(out.g, a.g, b.g)
						cpu.SiLUMul(out.c, a.c, b.c)
					case "GeluTanhMul": // model.GemmaOps
						gpu.GeluTanhMul(out.g, a.g, b.g)
						cpu.(interface {
							GeluTanhMul(out, gate, up tensor.Tensor)
						}).GeluTanhMul(out.c, a.c, b.c)
					default:
						gpu.GeluTanh(out.g, a.g)
						cpu.GeluTanh(out.c, a.c)
					}
					check(t, gpu, name, out, nmseTrans, absTrans)
				})
			}
		}
	}
}

func TestEmbedding(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, be := range []*Backend{gpu, gpuSplit} {
		for _, dt := range weightDTypes {
			for _, s := range []struct{ V, C int }{{10, 3}, {300, 70}, {50, 257}} {
				name := fmt.Sprintf("Embedding/V%d_C%d/%v/split=%v", s.V, s.C, dt, be == gpuSplit)
				t.Run(name, func(t *testing.T) {
					table := uploadW(t, be, []int{s.V, s.C}, dt, randF32(r, s.V*s.C, 1))
					ids := []int32{0, int32(s.V - 1), 3, int32(s.V / 2), 3}
					out := zeros(t, be, len(ids), s.C)
					be.Embedding(out.g, table.g, ids)
					cpu.Embedding(out.c, table.c, ids)
					check(t, be, name, out, 0, 0)
					// EmbeddingAt reads the id from a device tensor.
					idt, err := be.ZerosI32(2)
					if err != nil {
						t.Fatal(err)
					}
					src := upload(t, be, []int{1, s.V}, tensor.F32, make([]float32, s.V))
					one := make([]float32, s.V)
					one[s.V-2] = 1
					src2 := upload(t, be, []int{1, s.V}, tensor.F32, one)
					be.ArgmaxAt(idt, 1, src2.g) // ids[1] = V-2
					row := zeros(t, be, 1, s.C)
					be.EmbeddingAt(row.g, table.g, idt, 1)
					cpu.Embedding(row.c, table.c, []int32{int32(s.V - 2)})
					check(t, be, name+"/At", row, 0, 0)
					be.Free(src.g)
				})
			}
		}
	}
}

func TestCopyRows(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	src := upload(t, gpu, []int{7, 13}, tensor.F32, randF32(r, 91, 1))
	dst := upload(t, gpu, []int{9, 13}, tensor.F32, randF32(r, 117, 1))
	gpu.CopyRows(dst.g, 2, src.g, 3, 4)
	cpu.CopyRows(dst.c, 2, src.c, 3, 4)
	check(t, gpu, "CopyRows", dst, 0, 0)
	gpu.CopyRows(dst.g, 0, dst.g, 5, 3) // same tensor, goes through a temporary
	cpu.CopyRows(dst.c, 0, dst.c, 5, 3)
	check(t, gpu, "CopyRows/same", dst, 0, 0)
}

func TestArgmax(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for _, s := range []struct{ T, N int }{{1, 1}, {3, 1000}, {2, 3000}, {1, 49152}} {
		name := fmt.Sprintf("Argmax/T%d_N%d", s.T, s.N)
		t.Run(name, func(t *testing.T) {
			v := randF32(r, s.T*s.N, 1)
			if s.N > 2000 { // a tie across argmax chunks: the lower index wins
				v[2500%s.N] = 5
				v[1500] = 5
			}
			x := upload(t, gpu, []int{s.T, s.N}, tensor.F32, v)
			og, _ := gpu.ZerosI32(s.T)
			oc, _ := cpu.ZerosI32(s.T)
			gpu.Argmax(og, x.g)
			cpu.Argmax(oc, x.c)
			got, err := gpu.ReadInts(og)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := cpu.ReadInts(oc)
			ok := fmt.Sprint(got) == fmt.Sprint(want)
			report(name, 0, 0, ok)
			if !ok {
				t.Errorf("%s: %v, want %v", name, got, want)
			}
		})
	}
}

// TestSample checks the GPU sampler's contract: top-k 1 is argmax; a
// (seed, step) pair is deterministic; draws stay inside the top-k set and
// the top-p nucleus; and frequencies follow softmax(logits/T).
func TestSample(t *testing.T) {
	logits := []float32{0.5, 2.0, 1.0, -1.0, 1.5, 0.0, 2.0 - 1e-3, -3}
	N := len(logits)
	x := upload(t, gpu, []int{2, N}, tensor.F32, append(append([]float32{}, logits...), logits...))
	// SwiftShader runs the sampler's ~400 workgroup barriers slowly, so the
	// property checks use few draws and only the chi-square test many.
	const few, draws = 200, 1000
	run := func(p tensor.SampleParams, draws int) []int32 {
		out, err := gpu.ZerosI32(draws)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < draws; i++ {
			p.Step = uint32(i)
			gpu.Sample(out, i, x.g, 1, p)
		}
		ids, err := gpu.ReadInts(out)
		if err != nil {
			t.Fatal(err)
		}
		gpu.Free(out)
		return ids
	}
	t.Run("topk1", func(t *testing.T) {
		for _, id := range run(tensor.SampleParams{Temperature: 1, TopK: 1, TopP: 1, Seed: 1}, few)[:50] {
			if id != 1 {
				t.Fatalf("top-k 1 drew %d, want argmax 1", id)
			}
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		a := run(tensor.SampleParams{Temperature: 0.8, TopK: 0, TopP: 1, Seed: 42}, few)
		b := run(tensor.SampleParams{Temperature: 0.8, TopK: 0, TopP: 1, Seed: 42}, few)
		c := run(tensor.SampleParams{Temperature: 0.8, TopK: 0, TopP: 1, Seed: 43}, few)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("same seed gave different draws")
		}
		if fmt.Sprint(a) == fmt.Sprint(c) {
			t.Errorf("different seeds gave identical draws")
		}
	})
	t.Run("topk3", func(t *testing.T) {
		allowed := map[int32]bool{1: true, 6: true, 4: true}
		for _, id := range run(tensor.SampleParams{Temperature: 1, TopK: 3, TopP: 1, Seed: 7}, few) {
			if !allowed[id] {
				t.Fatalf("top-k 3 drew %d outside {1,6,4}", id)
			}
		}
	})
	t.Run("topp", func(t *testing.T) {
		// Sorted probs at T=1: 1 (.29), 6 (.29), 4 (.18), 2 (.11), ... top-p
		// 0.6 keeps the smallest prefix reaching 60%: {1, 6, 4}.
		for _, id := range run(tensor.SampleParams{Temperature: 1, TopK: 0, TopP: 0.6, Seed: 9}, few) {
			if id != 1 && id != 6 && id != 4 {
				t.Fatalf("top-p 0.6 drew %d outside {1,6,4}", id)
			}
		}
	})
	t.Run("distribution", func(t *testing.T) {
		ids := run(tensor.SampleParams{Temperature: 1.3, TopK: 0, TopP: 1, Seed: 2024}, draws)
		var z float64
		p := make([]float64, N)
		for i, l := range logits {
			p[i] = math.Exp(float64(l) / 1.3)
			z += p[i]
		}
		counts := make([]float64, N)
		for _, id := range ids {
			counts[id]++
		}
		// Pearson chi-square with N-1 = 7 degrees of freedom; 24.3 is the
		// 0.999 quantile, so a correct sampler fails this 1 time in 1000 (the
		// draws are deterministic, so in practice it passes or fails always).
		var chi2 float64
		for i := range p {
			e := p[i] / z * float64(draws)
			chi2 += (counts[i] - e) * (counts[i] - e) / e
		}
		report("Sample/distribution chi2", chi2, 0, chi2 < 24.3)
		t.Logf("chi2=%.2f counts=%v", chi2, counts)
		if chi2 >= 24.3 {
			t.Errorf("chi-square %.1f ≥ 24.3: frequencies do not follow softmax", chi2)
		}
	})
}

// TestErrors checks that misuse becomes an error from the next Read, not a
// panic or a GPU validation failure.
func TestErrors(t *testing.T) {
	ctx := context.Background()
	be, err := NewBackendWithOptions(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := be.(*Backend)
	defer b.Close()
	x, _ := b.Zeros(2, 3)
	w, _ := b.Zeros(4, 5)
	out, _ := b.Zeros(2, 4)
	b.MatMul(out, x, w, nil)
	if _, err := b.Read(out, 0, -1); err == nil {
		t.Fatal("MatMul with mismatched K: want an error")
	}
	if _, err := gpu.Upload([]int{2, 2}, tensor.F32, make([]byte, 3)); err == nil {
		t.Error("Upload with a short buffer: want an error")
	}
	own, _ := gpu.Zeros(2)
	if _, err := b.Read(own, 0, -1); err == nil || errors.Is(err, ErrDeviceLost) {
		t.Errorf("tensor of another backend: want a plain error, got %v", err)
	}
	// The backend stays usable after reporting an error.
	y, _ := b.UploadF32([]int{2}, []float32{1, 2})
	b.Add(y, y, y)
	if got, err := b.Read(y, 0, -1); err != nil || got[0] != 2 || got[1] != 4 {
		t.Errorf("after an error: Add gave %v, %v; want [2 4]", got, err)
	}
}

// TestDeviceLost destroys a device and checks the loss is reported through
// LossNotifier and as ErrDeviceLost from the next Read, which is what lets a
// runtime fall back to the CPU backend.
func TestDeviceLost(t *testing.T) {
	be, err := NewBackendWithOptions(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := be.(*Backend)
	x, _ := b.UploadF32([]int{4}, []float32{1, 2, 3, 4})
	b.Close()
	select {
	case <-b.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("Lost() not closed 10 s after destroy")
	}
	t.Logf("lost: %s", b.LostReason())
	b.Add(x, x, x)
	if _, err := b.Read(x, 0, -1); !errors.Is(err, ErrDeviceLost) {
		t.Errorf("Read after loss: %v, want ErrDeviceLost", err)
	}
}

func TestDiffusionOps(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	cpuD := cpu.(tensor.DiffusionOps)
	for _, s := range []struct{ Tq, Tk, H, D int }{{1, 1, 1, 8}, {7, 70, 3, 16}, {65, 5, 2, 72}, {4, 9, 2, 6}} {
		name := fmt.Sprintf("AttentionFull/Tq%d_Tk%d_H%d_D%d", s.Tq, s.Tk, s.H, s.D)
		t.Run(name, func(t *testing.T) {
			q := upload(t, gpu, []int{s.Tq, s.H * s.D}, tensor.F32, randF32(r, s.Tq*s.H*s.D, 1))
			k := upload(t, gpu, []int{s.Tk, s.H * s.D}, tensor.F32, randF32(r, s.Tk*s.H*s.D, 1))
			v := upload(t, gpu, []int{s.Tk, s.H * s.D}, tensor.F32, randF32(r, s.Tk*s.H*s.D, 1))
			out := zeros(t, gpu, s.Tq, s.H*s.D)
			scale := float32(1 / math.Sqrt(float64(s.D)))
			gpu.AttentionFull(out.g, q.g, k.g, v.g, s.H, s.D, scale)
			cpuD.AttentionFull(out.c, q.c, k.c, v.c, s.H, s.D, scale)
			check(t, gpu, name, out, nmseTrans, absTrans)
		})
	}
	for _, s := range []struct{ T, C int }{{1, 3}, {5, 300}} {
		for _, inPlace := range []bool{false, true} {
			name := fmt.Sprintf("AddScaled/T%d_C%d/inplace=%v", s.T, s.C, inPlace)
			t.Run(name, func(t *testing.T) {
				a := upload(t, gpu, []int{s.T, s.C}, tensor.F32, randF32(r, s.T*s.C, 1))
				sc := upload(t, gpu, []int{s.C}, tensor.F32, randF32(r, s.C, 1))
				b := upload(t, gpu, []int{s.T, s.C}, tensor.F32, randF32(r, s.T*s.C, 1))
				out := a
				if !inPlace {
					out = zeros(t, gpu, s.T, s.C)
				}
				gpu.AddScaled(out.g, a.g, sc.g, b.g)
				cpuD.AddScaled(out.c, a.c, sc.c, b.c)
				check(t, gpu, name, out, nmseF32, absF32)
			})
		}
	}
	dst := make([]float32, 3)
	x, _ := gpu.UploadF32([]int{3}, []float32{1, 2, 3})
	if err := gpu.ReadInto(dst, x, 0, -1); err != nil || dst[2] != 3 {
		t.Errorf("ReadInto: %v, %v", dst, err)
	}
}

// TestRingsAndLargeGrids covers the paths ordinary shapes never reach: more
// dispatches than the parameter ring holds before a Read (an early submit),
// more token ids than the id ring holds (it grows), and a 1-D grid over
// maxComputeWorkgroupsPerDimension workgroups (folded into 2-D).
func TestRingsAndLargeGrids(t *testing.T) {
	t.Run("param ring wrap", func(t *testing.T) {
		x, _ := gpu.UploadF32([]int{3}, []float32{0, 1, 2})
		one, _ := gpu.UploadF32([]int{3}, []float32{1, 1, 1})
		const n = paramSlots + 500
		for i := 0; i < n; i++ {
			gpu.Add(x, x, one)
		}
		got, err := gpu.Read(x, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != n || got[1] != n+1 || got[2] != n+2 {
			t.Errorf("after %d in-place adds: %v, want [%d %d %d]", n, got, n, n+1, n+2)
		}
	})
	t.Run("id ring growth", func(t *testing.T) {
		r := rand.New(rand.NewPCG(23, 24))
		table := upload(t, gpu, []int{10, 2}, tensor.F32, randF32(r, 20, 1))
		ids := make([]int32, hostIntsCap+1000)
		for i := range ids {
			ids[i] = int32(i % 10)
		}
		out := zeros(t, gpu, len(ids), 2)
		gpu.Embedding(out.g, table.g, ids)
		cpu.Embedding(out.c, table.c, ids)
		check(t, gpu, "Embedding/ids>ring", out, 0, 0)
	})
	t.Run("folded grid", func(t *testing.T) {
		if gpu.d.maxWorkgroupsX > 65535 {
			t.Skipf("maxComputeWorkgroupsPerDimension %d: folding needs a bigger tensor", gpu.d.maxWorkgroupsX)
		}
		const rows, cols = 65536 + 1, 256 // 65537 workgroups of 256
		ones := make([]float32, rows*cols)
		for i := range ones {
			ones[i] = 1
		}
		x, err := gpu.UploadF32([]int{rows, cols}, ones)
		if err != nil {
			t.Fatal(err)
		}
		gpu.GeluTanh(x, x) // gelu(1) on every element, tail included
		tail, err := gpu.Read(x, rows-2, 2)
		if err != nil {
			t.Fatal(err)
		}
		want := float32(0.5 * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(1+0.044715))))
		for i, v := range tail {
			if math.Abs(float64(v-want)) > absTrans {
				t.Fatalf("tail[%d] = %v, want gelu(1) = %v", i, v, want)
			}
		}
		gpu.Free(x)
	})
}

// TestCompileErrors checks that WGSL errors come back as Go errors carrying
// the compiler's line:column message (getCompilationInfo), and that a
// shader that compiles but does not fit the layout fails pipeline creation.
func TestCompileErrors(t *testing.T) {
	l, err := gpu.kernelLayout("fill")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, src, want string }{
		{"syntax", "@compute @workgroup_size(1) fn main( {", "compile bad/syntax: 1:"},
		{"type", "@compute @workgroup_size(1) fn main() { let x: u32 = 1.5; }", "compile bad/type: 1:"},
		{"layout", "@group(0) @binding(3) var<storage, read> o: array<u32>;\n@compute @workgroup_size(1) fn main() { _ = o[0]; }", "pipeline bad/layout"},
	}
	for _, tc := range tests {
		_, err := gpu.d.compile("bad/"+tc.name, tc.src, l.pl)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
	}
	// The errors were this call's; they must not leak into later work.
	x, _ := gpu.UploadF32([]int{2}, []float32{1, 2})
	gpu.Add(x, x, x)
	if got, err := gpu.Read(x, 0, -1); err != nil || got[1] != 4 {
		t.Errorf("after compile errors: %v, %v; want [2 4]", got, err)
	}
}
