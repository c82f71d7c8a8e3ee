package model

import (
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

// ringModels are tiny random sliding-window models: Mistral (every layer
// windowed) and Gemma 3 (a local layer and a global one), window 4.
func ringModels(t *testing.T) map[string]*Model {
	t.Helper()
	out := map[string]*Model{}
	for name, js := range map[string]string{
		"mistral": archJSON("mistral", `,"sliding_window":4`),
		"gemma3": archJSON("gemma3_text", `,"head_dim":16,"query_pre_attn_scalar":16,"sliding_window":4,
			"layer_types":["sliding_attention","full_attention"]`),
	} {
		c, err := ParseConfig([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		m, err := NewRandom(*c, tensor.NewCPU(), tensor.F32, 11)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Close)
		out[name] = m
	}
	return out
}

func ringIDs(n int) []int32 {
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32((i*37 + 11) % 100)
	}
	return ids
}

// A session whose window layers keep rings of W (+slack) rows gives
// bit-for-bit the logits of a session with full caches (the window mask
// over all rows, which TestMistralSlidingWindow and the llama.cpp
// fixtures check), over 40 positions (ten wraps of the ring), fed as T=1
// steps and as prefill chunks that cross the wrap, on the path that
// attends over the ring and on the one other backends take (scratch copy
// of the window, chunks split where the window would cut).
func TestRingCacheMatchesFullCache(t *testing.T) {
	const N, W = 40, 4
	ids := ringIDs(N)
	chunks := []int{3, 1, 1, 5, 2, 1, 7, 1, 4, 2, 1, 6, 1, 1, 3, 1} // sums to 40
	for name, m := range ringModels(t) {
		for _, v := range []struct {
			slack  int
			linear bool
		}{{0, false}, {3, false}, {0, true}, {2, true}} {
			ref, err := m.newSession(N, -1)
			if err != nil {
				t.Fatal(err)
			}
			if ref.cache.hasRing() {
				t.Fatal("slack -1 made a ring")
			}
			m.linearRing = v.linear
			s, err := m.newSession(N, v.slack)
			if err != nil {
				t.Fatal(err)
			}
			rings := 0
			for i, r := range s.cache.ring {
				if _, w := m.layerRoPE(i); w > 0 {
					rings++
					if r != W+v.slack || s.cache.k[i].Shape()[0] != W+v.slack {
						t.Fatalf("%s layer %d: ring of %d rows, caches %v; want %d", name, i, r, s.cache.k[i].Shape(), W+v.slack)
					}
				} else if r != 0 || s.cache.k[i].Shape()[0] != N {
					t.Fatalf("%s global layer %d: ring %d, caches %v", name, i, r, s.cache.k[i].Shape())
				}
			}
			if rings == 0 {
				t.Fatalf("%s: no ring layer", name)
			}
			at := 0
			for _, n := range chunks {
				// Off the ring path, a chunk the window would cut runs
				// as the shorter passes Session.chunk makes: give both
				// sessions those, so that their matmuls batch the same
				// rows (a T-row product may round unlike T one-row ones).
				for rem := n; rem > 0; {
					k := s.chunk(rem)
					if v.linear && min(at, W-1)+k > W {
						t.Fatalf("%s: a pass of %d at %d reaches past %d scratch rows", name, k, at, W)
					}
					want, err := ref.Prefill(ids[at : at+k])
					if err != nil {
						t.Fatal(err)
					}
					got, err := s.Prefill(ids[at : at+k])
					if err != nil {
						t.Fatalf("%s %+v: chunk of %d at %d: %v", name, v, k, at, err)
					}
					for i := range want {
						if got[i] != want[i] {
							t.Fatalf("%s %+v: chunk of %d at %d: logit %d = %g, full cache %g", name, v, k, at, i, got[i], want[i])
						}
					}
					at += k
					rem -= k
				}
			}
			if at != N {
				t.Fatalf("chunks cover %d of %d", at, N)
			}
			m.linearRing = false
			s.Close()
			ref.Close()
		}
	}
}

// greedyFullCache is greedy decoding through a session with full caches.
func greedyFullCache(t *testing.T, m *Model, prompt []int32, n int) []int32 {
	t.Helper()
	s, err := m.newSession(len(prompt)+n, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []int32
	id, err := s.PrefillArgmax(prompt)
	for err == nil && len(out) < n {
		out = append(out, id)
		id, err = s.StepArgmax(id)
	}
	if err != nil && len(out) < n {
		t.Fatal(err)
	}
	return out
}

// Generate past several wraps of the ring, plain and with speculative
// decoding (self-speculation and a draft model, whose verification writes
// k+1 rows and crops the rejected ones), follows greedy decoding over full
// caches.
func TestRingCacheGenerate(t *testing.T) {
	ms := ringModels(t)
	prompt := ringIDs(6)
	const n = 30
	rejected := 0
	for name, m := range ms {
		want := greedyFullCache(t, m, prompt, n)
		for _, opts := range []GenerateOptions{
			{},
			{DraftExit: 1, DraftTokens: 3},
			{DraftModel: ms["mistral"], DraftTokens: 2},
		} {
			opts.MaxNewTokens, opts.IgnoreEOS = n, true
			stats := &SpecStats{}
			if opts.DraftExit > 0 || opts.DraftModel != nil {
				opts.Stats = stats
			}
			got, err := m.Generate(t.Context(), prompt, opts, nil)
			if err != nil {
				t.Fatalf("%s draft exit %d: %v", name, opts.DraftExit, err)
			}
			if len(got) != n {
				t.Fatalf("%s: %d tokens", name, len(got))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s draft exit %d model %v: %v, full-cache greedy %v", name, opts.DraftExit, opts.DraftModel != nil, got, want)
				}
			}
			rejected += stats.Drafted - stats.Accepted
		}
	}
	if rejected == 0 {
		t.Error("every draft was accepted: no crop of rejected rows was exercised")
	}
}

// A ring cache holds only slack rows that can be dropped; a full cache can
// drop any.
func TestRingCacheCrop(t *testing.T) {
	m := ringModels(t)["mistral"]
	ids := ringIDs(12)
	for _, c := range []struct {
		slack, to int
		ok        bool
	}{{0, 11, false}, {2, 10, true}, {2, 9, false}, {-1, 3, true}, {-1, 13, false}} {
		s, err := m.newSession(20, c.slack)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Prefill(ids); err != nil {
			t.Fatal(err)
		}
		if err := s.crop(c.to); (err == nil) != c.ok {
			t.Errorf("slack %d: crop 12 → %d: err %v, want ok=%v", c.slack, c.to, err, c.ok)
		}
		s.Close()
	}
}
