//go:build js && wasm

package webgpu

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

// TestModelSlidingWindow runs tiny random-weight models with a window much
// shorter than the sequence on WebGPU and on the CPU: a long prefill over a
// linear cache (Logits), a session's prefill and greedy decode over its
// ring caches, and self-speculative generation, whose verification passes
// attend over a ring past the window. Mistral has the window on every
// layer; Gemma 3 on its sliding layers only (and needs model.GemmaOps and
// per-head q/k norms); Qwen3 has no window but per-head q/k norms. Logits
// must be close and greedy ids equal.
func TestModelSlidingWindow(t *testing.T) {
	const W = 6
	for _, a := range []struct{ name, json string }{
		{"mistral", fmt.Sprintf(`"model_type":"mistral","sliding_window":%d`, W)},
		{"gemma3", fmt.Sprintf(`"model_type":"gemma3_text","head_dim":16,"query_pre_attn_scalar":16,"sliding_window":%d,
			"layer_types":["sliding_attention","full_attention"],"rope_local_base_freq":10000.0,"rope_theta":1000000.0`, W)},
		{"qwen3", `"model_type":"qwen3","head_dim":16`},
	} {
		t.Run(a.name, func(t *testing.T) {
			cfg, err := model.ParseConfig([]byte(`{"vocab_size":100,"hidden_size":64,"num_hidden_layers":2,
				"num_attention_heads":4,"num_key_value_heads":2,"intermediate_size":128,` + a.json + `}`))
			if err != nil {
				t.Fatal(err)
			}
			modelWindowParity(t, a.name, cfg)
		})
	}
}

func modelWindowParity(t *testing.T, name string, cfg *model.Config) {
	const N, steps = 20, 8
	mg, err := model.NewRandom(*cfg, gpu, tensor.F32, 9)
	if err != nil {
		t.Fatal(err)
	}
	defer mg.Close()
	mc, err := model.NewRandom(*cfg, tensor.NewCPU(), tensor.F32, 9)
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	ids := make([]int32, N)
	for i := range ids {
		ids[i] = int32((i*37 + 11) % 100)
	}
	const tol = 1e-3
	closeRows := func(what string, got, want []float32) {
		t.Helper()
		d := 0.0
		for i := range want {
			d = max(d, math.Abs(float64(got[i]-want[i])))
		}
		ok := len(got) == len(want) && d <= tol
		report("model/"+name+"-window/"+what, 0, d, ok)
		if !ok {
			t.Errorf("%s: %d logits, want %d; max |Δ| %.3g (tol %g)", what, len(got), len(want), d, tol)
		}
	}

	lg, err := mg.Logits(ids)
	if err != nil {
		t.Fatal(err)
	}
	lc, err := mc.Logits(ids)
	if err != nil {
		t.Fatal(err)
	}
	for p := range N {
		closeRows(fmt.Sprintf("logits[%d]", p), lg[p], lc[p])
	}

	session := func(m *model.Model) ([][]float32, []int32) {
		s, err := m.NewSession(N + steps)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		l, err := s.Prefill(ids)
		if err != nil {
			t.Fatal(err)
		}
		rows, out := [][]float32{l}, []int32(nil)
		for range steps {
			id := int32(slices.Index(l, slices.Max(l)))
			out = append(out, id)
			if l, err = s.Step(id); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, l)
		}
		return rows, out
	}
	rg, ig := session(mg)
	rc, ic := session(mc)
	for i := range rc {
		closeRows(fmt.Sprintf("session step %d", i), rg[i], rc[i])
	}
	if !slices.Equal(ig, ic) {
		t.Errorf("session greedy ids: webgpu %v, cpu %v", ig, ic)
	}

	for _, o := range []model.GenerateOptions{
		{MaxNewTokens: steps, IgnoreEOS: true},
		{MaxNewTokens: steps, IgnoreEOS: true, DraftExit: 1, DraftTokens: 3},
	} {
		got, err := mg.Generate(context.Background(), ids, o, nil)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		want, err := mc.Generate(context.Background(), ids, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		ok := slices.Equal(got, want)
		report(fmt.Sprintf("model/%s-window/generate draft %d", name, o.DraftExit), 0, 0, ok)
		if !ok {
			t.Errorf("%+v:\nwebgpu %v\n   cpu %v", o, got, want)
		}
	}
}
