package gguf_test

import (
	"fmt"
	"math"
	"strconv"
	"testing"

	"github.com/lamina-ml/lamina/gguf"
)

// gemma3Ref is a plain float64 Gemma 3 forward written from
// transformers' modeling_gemma3 (Gemma3RMSNorm's 1+w, scaled embeddings,
// per-head q/k norms, rotate_half RoPE with the local base on sliding
// layers, sliding-window mask i-j < W, query_pre_attn_scalar,
// gelu_pytorch_tanh GeGLU, sandwich norms, tied head), sharing no code
// with lamina's. It returns the logits at every position of ids.
func gemma3Ref(cfg map[string]any, ts []gguf.HFTensor, ids []int32) [][]float64 {
	w := map[string][]float32{}
	for _, t := range ts {
		w[t.Name] = t.Data
	}
	num := func(k string) int { return cfg[k].(int) }
	V, C, L, H, G, I, D := num("vocab_size"), num("hidden_size"), num("num_hidden_layers"),
		num("num_attention_heads"), num("num_key_value_heads"), num("intermediate_size"), num("head_dim")
	W, pat := num("sliding_window"), num("sliding_window_pattern")
	eps := cfg["rms_norm_eps"].(float64)
	scale := 1 / math.Sqrt(float64(num("query_pre_attn_scalar")))
	T := len(ids)
	rms := func(x []float64, wt []float32) []float64 {
		ss := 0.0
		for _, v := range x {
			ss += v * v
		}
		r := 1 / math.Sqrt(ss/float64(len(x))+eps)
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = v * r * (1 + float64(wt[i]))
		}
		return out
	}
	lin := func(x []float64, wt []float32, out int) []float64 {
		in := len(x)
		y := make([]float64, out)
		for o := range y {
			s := 0.0
			for i := range in {
				s += float64(wt[o*in+i]) * x[i]
			}
			y[o] = s
		}
		return y
	}
	rope := func(x []float64, heads, pos int, base float64) {
		for h := range heads {
			v := x[h*D : (h+1)*D]
			for j := range D / 2 {
				a := float64(pos) * math.Pow(base, -float64(2*j)/float64(D))
				c, s := math.Cos(a), math.Sin(a)
				x1, x2 := v[j], v[j+D/2]
				v[j], v[j+D/2] = x1*c-x2*s, x2*c+x1*s
			}
		}
	}
	x := make([][]float64, T)
	emb := w["model.embed_tokens.weight"]
	for t, id := range ids {
		x[t] = make([]float64, C)
		for i := range C {
			x[t][i] = float64(emb[int(id)*C+i]) * math.Sqrt(float64(C))
		}
	}
	for l := range L {
		p := "model.layers." + strconv.Itoa(l) + "."
		sliding := (l+1)%pat != 0
		base := cfg["rope_theta"].(float64)
		if sliding {
			base = cfg["rope_local_base_freq"].(float64)
		}
		q, k, v := make([][]float64, T), make([][]float64, T), make([][]float64, T)
		for t := range T {
			h := rms(x[t], w[p+"input_layernorm.weight"])
			q[t], k[t], v[t] = lin(h, w[p+"self_attn.q_proj.weight"], H*D), lin(h, w[p+"self_attn.k_proj.weight"], G*D), lin(h, w[p+"self_attn.v_proj.weight"], G*D)
			for hh := range H {
				copy(q[t][hh*D:], rms(q[t][hh*D:(hh+1)*D], w[p+"self_attn.q_norm.weight"]))
			}
			for g := range G {
				copy(k[t][g*D:], rms(k[t][g*D:(g+1)*D], w[p+"self_attn.k_norm.weight"]))
			}
			rope(q[t], H, t, base)
			rope(k[t], G, t, base)
		}
		for t := range T {
			att := make([]float64, H*D)
			for hh := range H {
				g := hh / (H / G)
				var sc []float64
				var js []int
				mx := math.Inf(-1)
				for j := 0; j <= t; j++ {
					if sliding && t-j >= W {
						continue
					}
					s := 0.0
					for d := range D {
						s += q[t][hh*D+d] * k[j][g*D+d]
					}
					s *= scale
					sc, js = append(sc, s), append(js, j)
					mx = math.Max(mx, s)
				}
				sum := 0.0
				for i := range sc {
					sc[i] = math.Exp(sc[i] - mx)
					sum += sc[i]
				}
				for i, j := range js {
					for d := range D {
						att[hh*D+d] += sc[i] / sum * v[j][g*D+d]
					}
				}
			}
			o := rms(lin(att, w[p+"self_attn.o_proj.weight"], C), w[p+"post_attention_layernorm.weight"])
			for i := range C {
				x[t][i] += o[i]
			}
			h := rms(x[t], w[p+"pre_feedforward_layernorm.weight"])
			gt, up := lin(h, w[p+"mlp.gate_proj.weight"], I), lin(h, w[p+"mlp.up_proj.weight"], I)
			for i, g := range gt {
				up[i] *= 0.5 * g * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(g+0.044715*g*g*g)))
			}
			d := rms(lin(up, w[p+"mlp.down_proj.weight"], C), w[p+"post_feedforward_layernorm.weight"])
			for i := range C {
				x[t][i] += d[i]
			}
		}
	}
	out := make([][]float64, T)
	for t := range T {
		out[t] = lin(rms(x[t], w["model.norm.weight"]), emb, V)
	}
	return out
}

// TestGemma3Reference: lamina against gemma3Ref on the gemma3 fixture's
// weights, at the f32 tolerance (the llama.cpp comparison is looser; see
// testdata/llamacpp/arch/README.md).
func TestGemma3Reference(t *testing.T) {
	var c archCase
	for _, a := range archCases() {
		if a.cfg["model_type"] == "gemma3_text" {
			c = a
		}
	}
	_, ts := archTensors(t, c)
	m := loadArchHF(t, c)
	defer m.Close()
	lp, greedy := laminaArch(t, m)
	ref := gemma3Ref(c.cfg, ts, archInputIDs)
	rl := make([][]float64, len(ref))
	for i, r := range ref {
		rf := make([]float32, len(r))
		for j, v := range r {
			rf[j] = float32(v)
		}
		rl[i] = logSoftmax(rf)
	}
	seq := append([]int32{}, archGreedyPrompt...)
	for range archGreedyN {
		r := gemma3Ref(c.cfg, ts, seq)
		last := r[len(r)-1]
		best := 0
		for i, v := range last {
			if v > last[best] {
				best = i
			}
		}
		seq = append(seq, int32(best))
	}
	refGreedy := seq[len(archGreedyPrompt):]
	d := maxLogProbDiff(rl, lp)
	t.Logf("gemma3: max |Δ log p| lamina vs float64 reference %.3g; greedy lamina %v reference %v", d, greedy, refGreedy)
	if d > archTol {
		t.Errorf("max |Δ log p| = %.3g > %.3g", d, archTol)
	}
	if fmt.Sprint(greedy) != fmt.Sprint(refGreedy) {
		t.Errorf("greedy ids: lamina %v, reference %v", greedy, refGreedy)
	}
}
