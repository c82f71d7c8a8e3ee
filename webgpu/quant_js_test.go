//go:build js && wasm

// Quantized weights on WebGPU (UploadQuant, the q8/q4 formats of
// shaders/weights.wgsl) against the CPU reference: the same product on the
// matrix dequantized to f32 first (QMatrix.Dequantize uploaded as an F32
// weight), so these tests check the packing and the fused dequantization,
// not the quantizer.
package webgpu

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

// Quantized weights dequantize to the same f32 values on both sides (the
// GPU may fuse scale·q + min into one FMA), so only summation order
// differs, as for F32 weights; the bounds are a little looser for the
// large-K rows.
const (
	nmseQ = 1e-9
	absQ  = 2e-4
)

// randQ quantizes a random (N,K) matrix (values in ±1/√K, so products stay
// near 1 for any K) to bits in groups of group columns. With oddMins the Q4
// mins are moved off −scale·zero-point, as GGUF's Q4_1 stores them.
func randQ(t *testing.T, r *rand.Rand, bits, N, K, group int, oddMins bool) *kernels.QMatrix {
	t.Helper()
	w := randF32(r, N*K, float32(1/math.Sqrt(float64(max(K, 1)))))
	m, err := kernels.QuantizeRTN(w, N, K, bits, group)
	if err != nil {
		t.Fatal(err)
	}
	if bits == 8 && group != 0 {
		// QuantizeRTN's int8 is per channel; grouped int8 scales are
		// legal too (QMatrix.Group applies to both widths).
		g, err := kernels.NewQMatrix(8, N, K, group)
		if err != nil {
			t.Fatal(err)
		}
		g.Q = m.Q
		for n := 0; n < N; n++ {
			for i := 0; i < g.Groups(); i++ {
				g.Scale[n*g.Groups()+i] = m.Scale[n] * (0.5 + r.Float32())
			}
		}
		m = g
	}
	if oddMins {
		for i := range m.Min {
			m.Min[i] += (r.Float32() - 0.5) * m.Scale[i]
		}
	}
	return m
}

// uploadQ stores m quantized on the GPU and dequantized (F32) on the CPU.
func uploadQ(t *testing.T, g *Backend, m *kernels.QMatrix) pair {
	t.Helper()
	gt, err := g.UploadQuant(m)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := cpu.UploadF32([]int{m.N, m.K}, m.Dequantize())
	if err != nil {
		t.Fatal(err)
	}
	return pair{gt, ct}
}

// quantFixtures are the quantized folders of testdata/quantized.
//
//go:embed testdata/quantized
var quantFixtures embed.FS

type qcase struct{ bits, group, T, K, N int }

func (c qcase) String() string {
	return fmt.Sprintf("q%d_g%d/T%d_K%d_N%d", c.bits, c.group, c.T, c.K, c.N)
}

// TestQuantMatMul: MatMul on Q8/Q4 weights, decode (matvec, T ≤ 4) and
// prefill (the tiled matmul), on shapes off the group size (K not a
// multiple of 32 or of the group), off the workgroup sizes (N not a
// multiple of 8 or 128), odd K (the scalar path), and large K.
func TestQuantMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	cases := []struct {
		qcase
		oddMins, bias, split bool
	}{
		{qcase{8, 0, 1, 70, 33}, false, false, true},   // per channel, scalar path, K off 32
		{qcase{8, 32, 3, 100, 40}, false, true, true},  // grouped int8, vec4, last group short
		{qcase{4, 32, 1, 100, 37}, false, false, true}, // vec4, K off 32
		{qcase{4, 32, 2, 50, 9}, true, true, true},     // scalar (K%4 = 2), arbitrary mins
		{qcase{4, 128, 4, 200, 67}, false, false, true},
		{qcase{4, 0, 1, 33, 20}, false, false, true},        // per-channel 4-bit, scalar
		{qcase{4, 32, 1, 4132, 70}, false, false, false},    // large K, off 32
		{qcase{4, 128, 1, 4100, 129}, true, false, false},   // large K, off the group, N off 128
		{qcase{8, 0, 1, 4099, 20}, false, false, false},     // large K, scalar
		{qcase{4, 32, 130, 100, 131}, false, true, true},    // tiled, every tile edge crossed
		{qcase{8, 0, 129, 70, 200}, false, false, true},     // tiled, scalar loads
		{qcase{4, 128, 129, 256, 130}, false, false, false}, // tiled, vec4, several K tiles
	}
	for _, c := range cases {
		for _, be := range []*Backend{gpu, gpuSplit} {
			if be == gpuSplit && !c.split {
				continue
			}
			name := fmt.Sprintf("QuantMatMul/%v/mins=%v/bias=%v/split=%v", c.qcase, c.oddMins, c.bias, be == gpuSplit)
			t.Run(name, func(t *testing.T) {
				m := randQ(t, r, c.bits, c.N, c.K, c.group, c.oddMins)
				x := upload(t, be, []int{c.T, c.K}, tensor.F32, randF32(r, c.T*c.K, 1))
				w := uploadQ(t, be, m)
				if want := map[int]tensor.DType{8: tensor.Q8, 4: tensor.Q4}[c.bits]; w.g.DType() != want {
					t.Fatalf("dtype %v, want %v", w.g.DType(), want)
				}
				out := zeros(t, be, c.T, c.N)
				var bg, bc tensor.Tensor
				if c.bias {
					b := upload(t, be, []int{c.N}, tensor.F32, randF32(r, c.N, 1))
					bg, bc = b.g, b.c
				}
				be.MatMul(out.g, x.g, w.g, bg)
				cpu.MatMul(out.c, x.c, w.c, bc)
				check(t, be, name, out, nmseQ, absQ)
				// Read dequantizes on the host: exactly QMatrix.Dequantize.
				check(t, be, name+"/read", w, 0, 0)
				if be == gpuSplit && m.Bytes() > splitLimit {
					if got := len(w.g.(*gtensor).chunks); got < 2 {
						t.Errorf("%d-byte quantized weight in %d buffers, want a split", m.Bytes(), got)
					}
				}
				if got, err := be.Read(w.g, c.N-1, 1); err != nil || len(got) != c.K {
					t.Errorf("Read of the last row: %d values, %v", len(got), err)
				}
			})
		}
	}
}

// TestQuantFusedMatMul: the fused decode kernels read quantized weights
// through the same declarations (MatMulNormQKV, MatMulNormSiLU when their
// weights share a format and layout; mixed ones — v or up in the next
// format — take the unfused path).
func TestQuantFusedMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	formats := []struct{ bits, group int }{{8, 0}, {4, 32}, {4, 128}}
	for _, be := range []*Backend{gpu, gpuSplit} {
		for _, T := range []int{1, 3, 6} { // 6 takes the unfused fallback
			for _, s := range []struct{ K, N int }{{100, 37}, {30, 9}} {
				for fi, f := range formats {
					for _, mixed := range []bool{false, true} {
						name := fmt.Sprintf("T%d_K%d_N%d/q%d_g%d/mixed=%v/split=%v", T, s.K, s.N, f.bits, f.group, mixed, be == gpuSplit)
						weight := func(t *testing.T, which, n, k int) pair {
							g := f
							if mixed && which == 1 {
								g = formats[(fi+1)%len(formats)]
							}
							return uploadQ(t, be, randQ(t, r, g.bits, n, k, g.group, which == 1))
						}
						testFused(t, be, r, T, s.K, s.N, "Quant", name, weight, nmseQ, absQ)
					}
				}
			}
		}
	}
}

// TestQuantEmbedding: a quantized table (a tied embedding / lm_head) gathers
// the dequantized rows exactly.
func TestQuantEmbedding(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, be := range []*Backend{gpu, gpuSplit} {
		for _, c := range []struct{ bits, group, V, C int }{{8, 0, 300, 70}, {4, 32, 50, 100}, {4, 128, 40, 257}} {
			name := fmt.Sprintf("QuantEmbedding/q%d_g%d/V%d_C%d/split=%v", c.bits, c.group, c.V, c.C, be == gpuSplit)
			t.Run(name, func(t *testing.T) {
				table := uploadQ(t, be, randQ(t, r, c.bits, c.V, c.C, c.group, true))
				ids := []int32{0, int32(c.V - 1), 3, int32(c.V / 2), 3}
				out := zeros(t, be, len(ids), c.C)
				be.Embedding(out.g, table.g, ids)
				cpu.Embedding(out.c, table.c, ids)
				check(t, be, name, out, 0, 0)
			})
		}
	}
}

// TestQuantUploadErrors: a matrix whose fields disagree is a typed error,
// and ops that take only float tensors refuse a quantized one.
func TestQuantUploadErrors(t *testing.T) {
	m, _ := kernels.NewQMatrix(4, 3, 40, 32)
	m.Min = m.Min[:1]
	if _, err := gpu.UploadQuant(m); err == nil {
		t.Errorf("UploadQuant of a matrix with too few mins: no error")
	}
	if _, err := gpu.UploadQuant(nil); err == nil {
		t.Errorf("UploadQuant(nil): no error")
	}
	w, err := gpu.UploadQuant(randQ(t, rand.New(rand.NewPCG(1, 1)), 4, 3, 40, 32, false))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := gpu.Zeros(3, 40)
	defer gpu.Free(out)
	defer gpu.Free(w)
	gpu.Add(out, w, out)
	if _, err := gpu.Read(out, 0, -1); err == nil {
		t.Errorf("Add of a quantized tensor: no error")
	}
	// A row too wide for the (lowered) binding limit is ErrTooLarge.
	wide, _ := kernels.NewQMatrix(8, 2, 2*splitLimit, 0)
	if _, err := gpuSplit.UploadQuant(wide); !errors.Is(err, ErrTooLarge) {
		t.Errorf("UploadQuant of a row over the binding limit: %v, want ErrTooLarge", err)
	}
}

// TestQuantModel runs the quantized folders `lamina quantize` wrote from
// testdata/models/llama-tiny and qwen2-tiny (whose tied embedding table,
// quantized, is both Embedding's table and lm_head; testdata/quantized, see
// its README) on WebGPU
// and on the CPU backend, which keeps them quantized too: the logits of a
// prompt agree, greedy generation gives the same ids, and the GPU holds the
// weights at their quantized size.
func TestQuantModel(t *testing.T) {
	for _, name := range []string{"llama-tiny-q8", "llama-tiny-q4g32", "llama-tiny-q4g128", "llama-tiny-mixed43", "qwen2-tiny-q4g32"} {
		t.Run(name, func(t *testing.T) {
			sub, err := fs.Sub(quantFixtures, "testdata/quantized/"+name)
			if err != nil {
				t.Fatal(err)
			}
			before := gpu.UploadedBytes()
			mg, err := model.Load(sub, gpu)
			if err != nil {
				t.Fatalf("load on webgpu: %v", err)
			}
			defer mg.Close()
			weights := gpu.UploadedBytes() - before
			mc, err := model.Load(sub, cpu)
			if err != nil {
				t.Fatal(err)
			}
			defer mc.Close()
			quantized := 0
			var qbytes int64
			for _, l := range mg.Linears() {
				if dt := l.W.DType(); dt == tensor.Q8 || dt == tensor.Q4 {
					quantized++
					for _, c := range l.W.(*gtensor).chunks {
						qbytes += int64(c.size)
					}
				}
			}
			if quantized == 0 {
				t.Fatalf("no linear of %s is quantized on WebGPU", name)
			}
			t.Logf("%d quantized linears, %d bytes of them; %d bytes uploaded in all", quantized, qbytes, weights)
			prompt := []int32{1, 5, 17, 300, 42, 7, 99, 250}
			got, err := mg.Logits(prompt)
			if err != nil {
				t.Fatal(err)
			}
			want, err := mc.Logits(prompt)
			if err != nil {
				t.Fatal(err)
			}
			var flatG, flatW []float32
			for i := range want {
				flatG, flatW = append(flatG, got[i]...), append(flatW, want[i]...)
			}
			compare(t, "model/"+name+"/logits vs CPU", flatG, flatW, nmseQ, 1e-3)
			opts := model.GenerateOptions{MaxNewTokens: 10, IgnoreEOS: true}
			ig, err := mg.Generate(t.Context(), prompt[:3], opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			ic, err := mc.Generate(t.Context(), prompt[:3], opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			ok := slices.Equal(ig, ic)
			report("model/"+name+"/greedy == CPU", 0, 0, ok)
			if !ok {
				t.Errorf("greedy ids\n got %v\nwant %v (CPU)", ig, ic)
			}
		})
	}
}

// TestQuantMemory: the GPU memory of lamina-brown-20m's weights (its
// config.json, copied into testdata/quantized; random weights of that
// shape, model.NewRandom) at F16, Q8 (per channel) and Q4 (groups of 32),
// as the buffers the backend created (UploadedBytes), against the sizes
// worked out by hand from the layouts: f16 2 bytes a weight; int8 Kp bytes
// a row plus a 4-byte scale; int4 Kp/2 bytes a row plus 8 bytes (scale,
// min) per group of 32; norms and the RoPE table f32 in every case.
func TestQuantMemory(t *testing.T) {
	raw, err := fs.ReadFile(quantFixtures, "testdata/quantized/lamina-brown-20m-config.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := model.ParseConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	C, I, V, L := cfg.Hidden, cfg.Intermediate, cfg.VocabSize, cfg.Layers
	QW, KW := cfg.Heads*cfg.HeadDim, cfg.KVHeads*cfg.HeadDim
	type mat struct{ n, k int }
	mats := []mat{{V, C}} // the tied embedding / lm_head
	for range L {
		mats = append(mats, mat{QW, C}, mat{KW, C}, mat{KW, C}, mat{C, QW}, mat{I, C}, mat{I, C}, mat{C, I})
	}
	pad := func(k int) int { return (k + 31) / 32 * 32 }
	var want [3]int64 // F16, Q8, Q4
	for _, m := range mats {
		want[0] += int64(2 * m.n * m.k)
		want[1] += int64(m.n * (pad(m.k) + 4))
		want[2] += int64(m.n * (pad(m.k)/2 + 8*((m.k+31)/32)))
	}
	var got [3]int64
	for i, dt := range []tensor.DType{tensor.F16, tensor.Q8, tensor.Q4} {
		before := gpu.UploadedBytes()
		m, err := model.NewRandom(*cfg, gpu, dt, 1)
		if err != nil {
			t.Fatal(err)
		}
		got[i] = gpu.UploadedBytes() - before
		m.Close()
		if after := gpu.UploadedBytes(); after != before {
			t.Errorf("%v: %d bytes still uploaded after Close", dt, after-before)
		}
		// Everything but the matrices (norm weights, RoPE frequencies) is
		// the same f32 in every dtype: the difference must be exact.
		if i > 0 && got[i]-want[i] != got[0]-want[0] {
			t.Errorf("%v: %d bytes on the GPU, %d beyond the matrices; F16 had %d beyond", dt, got[i], got[i]-want[i], got[0]-want[0])
		}
	}
	t.Logf("lamina-brown-20m weights on the GPU: F16 %d B (%.2f MB), Q8 %d B (%.2f MB, %.2fx smaller), Q4 g32 %d B (%.2f MB, %.2fx smaller); matrices alone %d / %d / %d B",
		got[0], float64(got[0])/1e6, got[1], float64(got[1])/1e6, float64(got[0])/float64(got[1]),
		got[2], float64(got[2])/1e6, float64(got[0])/float64(got[2]), want[0], want[1], want[2])
}
