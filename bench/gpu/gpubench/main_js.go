//go:build js && wasm

// Command gpubench measures lamina's WebGPU backend on a real GPU: the f32
// tiled matmul at 4096³, batch-1 greedy decode at SmolLM2-135M's shape
// with random weights, and the decode matvec on f16 against int8/int4
// weights (bandwidth). It runs under Node with Dawn as navigator.gpu
// (bench/gpu/driver.mjs) and prints one JSON object per line, prefixed
// "RESULT ", for bench/gpu/report.py.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/webgpu"
)

// label tags every result (e.g. the Dawn toggles of this run).
var label = ""

func emit(v map[string]any) {
	if label != "" {
		v["label"] = label
	}
	b, _ := json.Marshal(v)
	fmt.Println("RESULT " + string(b))
}

func die(err error) {
	fmt.Fprintln(os.Stderr, "gpubench:", err)
	emit(map[string]any{"error": err.Error()})
	os.Exit(1)
}

// rng is xorshift64*: fast enough to fill half a gigabyte of weights in wasm.
type rng uint64

func (r *rng) f32(scale float32) float32 {
	x := uint64(*r)
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	*r = rng(x)
	return (float32((x*2685821657736338717)>>40)/float32(1<<24)*2 - 1) * scale
}

func randBytes(r *rng, n int, dt tensor.DType, scale float32) []byte {
	b := make([]byte, n*dt.Size())
	for i := 0; i < n; i++ {
		f := r.f32(scale)
		switch dt {
		case tensor.F32:
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
		case tensor.F16:
			binary.LittleEndian.PutUint16(b[2*i:], kernels.F32ToF16(f))
		case tensor.BF16:
			binary.LittleEndian.PutUint16(b[2*i:], uint16(math.Float32bits(f)>>16))
		}
	}
	return b
}

func f32At(b []byte, i int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])) }

func main() {
	which := flag.String("run", "matmul,decode,matvecq", "comma list: matmul, decode, matvecq")
	qN := flag.Int("qn", 16384, "matvecq: output features N of the (N,K) weight")
	qK := flag.Int("qk", 8192, "matvecq: inner dimension K")
	qIters := flag.Int("qiters", 50, "matvecq: products per format")
	tokens := flag.Int("tokens", 128, "decode tokens per measurement")
	iters := flag.Int("iters", 20, "matmul iterations")
	mmN := flag.Int("n", 4096, "matmul size")
	flag.StringVar(&label, "label", "", "tag added to every result")
	flag.IntVar(&layers, "layers", layers, "decoder layers (30 in SmolLM2-135M)")
	flag.IntVar(&vocab, "vocab", vocab, "vocabulary size (49152 in SmolLM2-135M)")
	flag.Parse()
	ctx := context.Background()
	t0 := time.Now()
	be, err := webgpu.NewBackend(ctx)
	if err != nil {
		die(err)
	}
	gb := be.(*webgpu.Backend)
	emit(map[string]any{"metric": "adapter", "adapter": gb.AdapterInfo(), "shader_f16": gb.HasFeature("shader-f16"),
		"subgroups": gb.HasFeature("subgroups"), "max_binding": gb.MaxBindingSize(), "open_s": time.Since(t0).Seconds()})
	for _, w := range splitComma(*which) {
		switch w {
		case "matmul":
			benchMatMul(gb, *mmN, *iters)
		case "decode":
			for _, dt := range []tensor.DType{tensor.F32, tensor.BF16} {
				benchDecode(gb, dt, *tokens)
			}
		case "matvecq":
			benchMatVecQ(gb, *qN, *qK, *qIters)
		}
	}
	emit(map[string]any{"metric": "done", "total_s": time.Since(t0).Seconds()})
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// benchMatMul times out = x·wᵀ at n³ with f32 everything, and spot-checks
// a few outputs against float64 dot products of the same host data.
func benchMatMul(be *webgpu.Backend, n, iters int) {
	r := rng(0x9E3779B97F4A7C15)
	xb := randBytes(&r, n*n, tensor.F32, 1)
	wb := randBytes(&r, n*n, tensor.F32, 1)
	x, err := be.Upload([]int{n, n}, tensor.F32, xb)
	if err != nil {
		die(err)
	}
	w, err := be.Upload([]int{n, n}, tensor.F32, wb)
	if err != nil {
		die(err)
	}
	out, err := be.Zeros(n, n)
	if err != nil {
		die(err)
	}
	for i := 0; i < 3; i++ { // warm-up: pipeline creation, clocks
		be.MatMul(out, x, w, nil)
	}
	if _, err := be.Read(out, 0, 1); err != nil {
		die(err)
	}
	start := time.Now()
	for i := 0; i < iters; i++ {
		be.MatMul(out, x, w, nil)
	}
	if _, err := be.Read(out, 0, 1); err != nil {
		die(err)
	}
	el := time.Since(start).Seconds()
	gflops := 2 * float64(n) * float64(n) * float64(n) * float64(iters) / el / 1e9
	// Spot check: rows/cols spread over tiles, incl. the last.
	var maxRel float64
	for _, rc := range [][2]int{{0, 0}, {1, n - 1}, {127 % n, 128 % n}, {n / 2, 77 % n}, {n - 1, n - 1}, {300 % n, 2999 % n}} {
		row, err := be.Read(out, rc[0], 1)
		if err != nil {
			die(err)
		}
		var ref, mag float64
		for k := 0; k < n; k++ {
			p := float64(f32At(xb, rc[0]*n+k)) * float64(f32At(wb, rc[1]*n+k))
			ref += p
			mag += math.Abs(p)
		}
		maxRel = math.Max(maxRel, math.Abs(float64(row[rc[1]])-ref)/mag)
	}
	emit(map[string]any{"metric": "matmul_f32", "n": n, "iters": iters, "seconds": el, "gflops": gflops, "max_rel_err": maxRel})
	be.Free(x)
	be.Free(w)
	be.Free(out)
}

// SmolLM2-135M's shape (config.json of HuggingFaceTB/SmolLM2-135M).
const (
	hidden   = 576
	heads    = 9
	kvHeads  = 3
	headDim  = 64
	inter    = 1536
	ctxLen   = 1024
	ropeBase = 100000
	eps      = 1e-5
)

// layers and vocab are flags so a functional run fits a software adapter.
var (
	layers = 30
	vocab  = 49152
)

type layer struct {
	ln1, ln2, wq, wk, wv, wo, wg, wu, wd, kc, vc tensor.Tensor
}

type lm struct {
	emb, lnf, invFreq tensor.Tensor
	layers            []layer
	// activations
	h, q, k, v, att, m, tmp, tmpI, logits tensor.Tensor
	tokens                                tensor.Tensor
}

func buildLM(be *webgpu.Backend, dt tensor.DType) *lm {
	r := rng(12345)
	up := func(shape []int, scale float32) tensor.Tensor {
		t, err := be.Upload(shape, dt, randBytes(&r, tensor.NumElements(shape), dt, scale))
		if err != nil {
			die(err)
		}
		return t
	}
	ones := func(n int) tensor.Tensor {
		v := make([]float32, n)
		for i := range v {
			v[i] = 1 + r.f32(0.1)
		}
		t, err := be.UploadF32([]int{n}, v)
		if err != nil {
			die(err)
		}
		return t
	}
	z := func(shape ...int) tensor.Tensor {
		t, err := be.Zeros(shape...)
		if err != nil {
			die(err)
		}
		return t
	}
	m := &lm{emb: up([]int{vocab, hidden}, 0.5), lnf: ones(hidden)}
	inv := make([]float32, headDim/2)
	for j := range inv {
		inv[j] = float32(1 / math.Pow(ropeBase, float64(2*j)/headDim))
	}
	var err error
	if m.invFreq, err = be.UploadF32([]int{headDim / 2}, inv); err != nil {
		die(err)
	}
	s1, s2 := float32(1/math.Sqrt(hidden)), float32(1/math.Sqrt(inter))
	for l := 0; l < layers; l++ {
		m.layers = append(m.layers, layer{
			ln1: ones(hidden), ln2: ones(hidden),
			wq: up([]int{heads * headDim, hidden}, s1), wk: up([]int{kvHeads * headDim, hidden}, s1),
			wv: up([]int{kvHeads * headDim, hidden}, s1), wo: up([]int{hidden, heads * headDim}, s1),
			wg: up([]int{inter, hidden}, s1), wu: up([]int{inter, hidden}, s1), wd: up([]int{hidden, inter}, s2),
			kc: z(ctxLen, kvHeads*headDim), vc: z(ctxLen, kvHeads*headDim),
		})
	}
	m.h, m.q, m.k, m.v = z(1, hidden), z(1, heads*headDim), z(1, kvHeads*headDim), z(1, kvHeads*headDim)
	m.att, m.m, m.tmp, m.tmpI, m.logits = z(1, heads*headDim), z(1, inter), z(1, hidden), z(1, inter), z(1, vocab)
	if m.tokens, err = be.ZerosI32(ctxLen + 1); err != nil {
		die(err)
	}
	return m
}

func (m *lm) free(be *webgpu.Backend) {
	for _, t := range []tensor.Tensor{m.emb, m.lnf, m.invFreq, m.h, m.q, m.k, m.v, m.att, m.m, m.tmp, m.tmpI, m.logits, m.tokens} {
		be.Free(t)
	}
	for _, l := range m.layers {
		for _, t := range []tensor.Tensor{l.ln1, l.ln2, l.wq, l.wk, l.wv, l.wo, l.wg, l.wu, l.wd, l.kc, l.vc} {
			be.Free(t)
		}
	}
}

// stepFused records one decode step with the fused ops: 6 dispatches per
// layer, 184 per token.
func (m *lm) stepFused(be *webgpu.Backend, pos int) {
	be.EmbeddingAt(m.h, m.emb, m.tokens, pos)
	for _, l := range m.layers {
		be.MatMulNormQKV(m.q, m.k, m.v, m.h, l.ln1, l.wq, l.wk, l.wv, eps)
		be.RoPEKV(m.q, m.k, m.v, m.invFreq, l.kc, l.vc, heads, kvHeads, headDim, pos)
		be.Attention(m.att, m.q, l.kc, l.vc, tensor.AttentionArgs{Heads: heads, KVHeads: kvHeads, HeadDim: headDim, Pos: pos, Scale: 0.125})
		be.MatMulAcc(m.h, m.att, l.wo)
		be.MatMulNormSiLU(m.m, m.h, l.ln2, l.wg, l.wu, eps)
		be.MatMulAcc(m.h, m.m, l.wd)
	}
	be.MatMulNorm(m.logits, m.h, m.lnf, m.emb, eps)
	be.ArgmaxAt(m.tokens, pos+1, m.logits)
}

// stepPlain records the same step with only tensor.Backend ops, as the
// model package's forward pass does today: 17 dispatches per layer.
func (m *lm) stepPlain(be *webgpu.Backend, pos int) {
	be.EmbeddingAt(m.h, m.emb, m.tokens, pos)
	for _, l := range m.layers {
		be.RMSNorm(m.tmp, m.h, l.ln1, eps)
		be.MatMul(m.q, m.tmp, l.wq, nil)
		be.MatMul(m.k, m.tmp, l.wk, nil)
		be.MatMul(m.v, m.tmp, l.wv, nil)
		be.RoPE(m.q, m.invFreq, heads, headDim, pos)
		be.RoPE(m.k, m.invFreq, kvHeads, headDim, pos)
		be.CopyRows(l.kc, pos, m.k, 0, 1)
		be.CopyRows(l.vc, pos, m.v, 0, 1)
		be.Attention(m.att, m.q, l.kc, l.vc, tensor.AttentionArgs{Heads: heads, KVHeads: kvHeads, HeadDim: headDim, Pos: pos, Scale: 0.125})
		be.MatMul(m.tmp, m.att, l.wo, nil)
		be.Add(m.h, m.h, m.tmp)
		be.RMSNorm(m.tmp, m.h, l.ln2, eps)
		be.MatMul(m.m, m.tmp, l.wg, nil)
		be.MatMul(m.tmpI, m.tmp, l.wu, nil)
		be.SiLUMul(m.m, m.m, m.tmpI)
		be.MatMul(m.tmp, m.m, l.wd, nil)
		be.Add(m.h, m.h, m.tmp)
	}
	be.RMSNorm(m.tmp, m.h, m.lnf, eps)
	be.MatMul(m.logits, m.tmp, m.emb, nil)
	be.ArgmaxAt(m.tokens, pos+1, m.logits)
}

// run decodes n tokens from position 0, reading the token ids back every
// syncEvery tokens (the only host round trip) and, with flushEach,
// submitting every token. It returns tokens/s, the ids, and the host time
// per token spent recording and submitting (excluding waits for the GPU).
func (m *lm) run(be *webgpu.Backend, n, syncEvery int, fused, flushEach bool) (float64, []int32, float64) {
	start := time.Now()
	var ids []int32
	var err error
	var host time.Duration
	for i := 0; i < n; i++ {
		t0 := time.Now()
		if fused {
			m.stepFused(be, i)
		} else {
			m.stepPlain(be, i)
		}
		if (i+1)%syncEvery == 0 || i == n-1 {
			host += time.Since(t0)
			if ids, err = be.ReadInts(m.tokens); err != nil {
				die(err)
			}
			continue
		}
		if flushEach {
			if err := be.Flush(); err != nil {
				die(err)
			}
		}
		host += time.Since(t0)
	}
	return float64(n) / time.Since(start).Seconds(), ids[:n+1], host.Seconds() * 1e3 / float64(n)
}

func benchDecode(be *webgpu.Backend, dt tensor.DType, n int) {
	t0 := time.Now()
	m := buildLM(be, dt)
	load := time.Since(t0).Seconds()
	m.run(be, 8, 8, true, true) // warm-up: pipelines and bind groups
	m.run(be, 8, 8, false, true)
	fusedIDs := []int32(nil)
	for _, c := range []struct {
		name      string
		fused     bool
		syncEvery int
		flushEach bool
	}{{"fused_sync8", true, 8, true}, {"fused_sync1", true, 1, true}, {"fused_batch8", true, 8, false},
		{"plain_sync1", false, 1, true}, {"plain_sync8", false, 8, true}} {
		tps, ids, hostMS := m.run(be, n, c.syncEvery, c.fused, c.flushEach)
		agree := true
		if fusedIDs == nil {
			fusedIDs = ids
		} else {
			for i := range ids {
				agree = agree && ids[i] == fusedIDs[i]
			}
		}
		dispatches := 1 + layers*6 + 1 + 2
		if !c.fused {
			dispatches = 1 + layers*17 + 2 + 2
		}
		emit(map[string]any{"metric": "decode", "dtype": dt.String(), "variant": c.name, "tokens": n, "tok_per_s": tps,
			"dispatches_per_token": dispatches, "host_ms_per_token": hostMS, "layers": layers, "vocab": vocab, "same_tokens_as_fused_sync8": agree, "load_s": load, "first_ids": ids[:min(9, len(ids))]})
	}
	m.free(be)
	if err := be.Flush(); err != nil {
		die(err)
	}
}
