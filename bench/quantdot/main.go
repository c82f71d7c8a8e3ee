// Command quantdot measures what the int8-activation matrix-vector kernels
// (kernels.SetExactQuantDot(false), the amd64 default) cost in accuracy
// against the exact f32 path on a quantized model: it scores a text token
// by token through the KV cache (the decode path, where those kernels run;
// `lamina perplexity` runs whole windows through the prefill path, which
// is exact either way), in windows of -window tokens each starting without
// context, once per path, and greedy-decodes -gen tokens from the text's
// first tokens with each. It prints both perplexities, their relative
// difference, the largest logit difference against the logit span, how
// often the two paths' argmax agree, and whether the greedy ids match.
//
//	go run ./bench/quantdot -model DIR -text .cache/brown/val.txt [-tokens 2048] [-window 512] [-gen 64]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/tokenizer"
)

func main() {
	dir := flag.String("model", "", "quantized model folder (lamina quantize output, or any folder)")
	text := flag.String("text", "", "UTF-8 text to score")
	tokens := flag.Int("tokens", 2048, "tokens of the text to score")
	window := flag.Int("window", 512, "tokens per window")
	gen := flag.Int("gen", 64, "greedy tokens to generate from the text's first 16")
	flag.Parse()
	if err := run(*dir, *text, *tokens, *window, *gen); err != nil {
		fmt.Fprintln(os.Stderr, "quantdot:", err)
		os.Exit(1)
	}
}

type pathResult struct {
	PPL    float64 `json:"ppl"`
	Argmax []int32 `json:"-"`
	Greedy []int32 `json:"greedy_ids"`
	logits [][]float32
}

func run(dir, textFile string, tokens, window, gen int) error {
	if dir == "" || textFile == "" {
		return fmt.Errorf("-model and -text are required")
	}
	tj, err := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		return err
	}
	tok, err := tokenizer.Load(tj)
	if err != nil {
		return err
	}
	txt, err := os.ReadFile(textFile)
	if err != nil {
		return err
	}
	ids := tok.EncodeWithSpecial(string(txt))
	if len(ids) > tokens {
		ids = ids[:tokens]
	}
	m, err := model.LoadDir(dir, tensor.NewCPU())
	if err != nil {
		return err
	}
	defer m.Close()
	var res [2]pathResult
	for i, exact := range []bool{true, false} {
		kernels.SetExactQuantDot(exact)
		r, err := score(m, ids, window, gen)
		if err != nil {
			return err
		}
		res[i] = r
	}
	var worst, span float64
	agree := 0
	for t := range res[0].logits {
		a, b := res[0].logits[t], res[1].logits[t]
		lo, hi := math.Inf(1), math.Inf(-1)
		for j := range a {
			worst = math.Max(worst, math.Abs(float64(a[j]-b[j])))
			lo, hi = math.Min(lo, float64(a[j])), math.Max(hi, float64(a[j]))
		}
		span = math.Max(span, hi-lo)
		if res[0].Argmax[t] == res[1].Argmax[t] {
			agree++
		}
	}
	same := len(res[0].Greedy) == len(res[1].Greedy)
	for i := range res[0].Greedy {
		same = same && res[0].Greedy[i] == res[1].Greedy[i]
	}
	out := map[string]any{
		"model": dir, "kernels": kernels.QuantKernelsName(), "scored_tokens": len(res[0].logits),
		"ppl_f32": res[0].PPL, "ppl_int8": res[1].PPL, "ppl_rel_diff": res[1].PPL/res[0].PPL - 1,
		"max_abs_dlogit": worst, "max_logit_span": span, "argmax_agree": agree,
		"greedy_identical": same, "greedy_f32": res[0].Greedy, "greedy_int8": res[1].Greedy,
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

func argmax(v []float32) int32 {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return int32(best)
}

// score runs ids one token at a time in windows of w, each from an empty
// cache, and returns the perplexity of the predicted tokens, every step's
// logits and argmax, and gen greedy ids after the first 16 tokens.
func score(m *model.Model, ids []int32, w, gen int) (pathResult, error) {
	var r pathResult
	sess, err := m.NewSession(max(w, 16+gen))
	if err != nil {
		return r, err
	}
	defer sess.Close()
	var nll float64
	n := 0
	for s := 0; s+1 < len(ids); s += w {
		e := min(s+w, len(ids))
		sess.Reset()
		for t := s; t+1 < e; t++ {
			lg, err := sess.Step(ids[t])
			if err != nil {
				return r, err
			}
			mx := float64(lg[argmax(lg)])
			var z float64
			for _, v := range lg {
				z += math.Exp(float64(v) - mx)
			}
			nll += mx + math.Log(z) - float64(lg[ids[t+1]])
			n++
			r.logits = append(r.logits, append([]float32(nil), lg...))
			r.Argmax = append(r.Argmax, argmax(lg))
		}
	}
	r.PPL = math.Exp(nll / float64(n))
	sess.Reset()
	var lg []float32
	for _, id := range ids[:min(16, len(ids))] {
		if lg, err = sess.Step(id); err != nil {
			return r, err
		}
	}
	for i := 0; i < gen; i++ {
		id := argmax(lg)
		r.Greedy = append(r.Greedy, id)
		if lg, err = sess.Step(id); err != nil {
			return r, err
		}
	}
	return r, nil
}
