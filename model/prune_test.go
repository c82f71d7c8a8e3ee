package model

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

// cosineTol bounds cosines computed from our hidden states against ones
// from transformers' (hiddenTol-close) states.
const cosineTol = 1e-4

// TestLayerCosinesMatchTransformers checks ShortGPT's per-token cosines
// against the ones computed from transformers' hidden states of the
// fixtures (the last position; entry i of hidden_states is the stream
// entering layer i, the last entry is after the final norm so the last
// layer is not covered).
func TestLayerCosinesMatchTransformers(t *testing.T) {
	for _, name := range fixtureModels {
		m, ref := loadFixture(t, name)
		block, attn, mlp, err := m.layerCosines(ref.InputIDs)
		if err != nil {
			t.Fatal(err)
		}
		L, last := m.Config.Layers, len(ref.InputIDs)-1
		if len(block) != L || len(attn) != L || len(mlp) != L || len(block[0]) != len(ref.InputIDs) {
			t.Fatalf("%s: %d/%d/%d layers of cosines", name, len(block), len(attn), len(mlp))
		}
		for i := 0; i+1 < len(ref.HiddenLastPos)-1; i++ {
			want := cosine(ref.HiddenLastPos[i], ref.HiddenLastPos[i+1])
			if d := math.Abs(block[i][last] - want); d > cosineTol {
				t.Errorf("%s layer %d: cos %v, transformers' states give %v", name, i, block[i][last], want)
			}
		}
	}
}

// TestPruneDropMatchesLens checks PruneDir on the sharded f16 fixture: with
// the last of its 3 layers dropped, the written model's logits are the
// source model's logit lens after layer 2; with the first dropped it has 2
// layers and is a different model.
func TestPruneDropMatchesLens(t *testing.T) {
	src := filepath.Join("testdata", "llama-tiny-sharded-f16")
	m, ref := loadFixture(t, "llama-tiny-sharded-f16")
	V := m.Config.VocabSize
	var want []float32
	if err := m.LensLogits(ref.InputIDs, func(layer int, lg []float32) error {
		if layer == 2 {
			want = slices.Clone(lg)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if err := PruneDir(src, dst, PrunePlan{DropLayers: []int{2}}); err != nil {
		t.Fatal(err)
	}
	p, err := LoadDir(dst, tensor.NewCPU())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Config.Layers != 2 {
		t.Fatalf("pruned model has %d layers", p.Config.Layers)
	}
	got, err := p.Logits(ref.InputIDs)
	if err != nil {
		t.Fatal(err)
	}
	for tk, row := range got {
		if d := maxAbsDiff(row, want[tk*V:(tk+1)*V]); d > 1e-4 {
			t.Fatalf("position %d: pruned logits differ from the lens after layer 2 by %.3g", tk, d)
		}
	}

	dst0 := t.TempDir()
	if err := PruneDir(src, dst0, PrunePlan{DropLayers: []int{0}}); err != nil {
		t.Fatal(err)
	}
	p0, err := LoadDir(dst0, tensor.NewCPU())
	if err != nil {
		t.Fatal(err)
	}
	defer p0.Close()
	got0, err := p0.Logits(ref.InputIDs)
	if err != nil {
		t.Fatal(err)
	}
	if p0.Config.Layers != 2 || maxAbsDiff(got0[0], got[0]) == 0 {
		t.Fatalf("dropping layer 0: %d layers, logits equal to dropping layer 2", p0.Config.Layers)
	}
	for _, f := range []string{"tokenizer.json", "generation_config.json"} {
		if _, err := os.Stat(filepath.Join(src, f)); err == nil {
			if _, err := os.Stat(filepath.Join(dst0, f)); err != nil {
				t.Errorf("%s not copied: %v", f, err)
			}
		}
	}
}

// TestPruneSkipMLP checks a skipped MLP sub-block: after zeroing layer 1's
// down projection in llama-tiny, the layer's whole-block cosine equals the
// source's attention-sub-block cosine (the stream leaves the layer as it
// left the attention) and its MLP cosine is 1.
func TestPruneSkipMLP(t *testing.T) {
	for _, name := range []string{"llama-tiny", "gpt2-tiny"} {
		m, ref := loadFixture(t, name)
		_, attn, _, err := m.layerCosines(ref.InputIDs)
		if err != nil {
			t.Fatal(err)
		}
		dst := t.TempDir()
		if err := PruneDir(filepath.Join("testdata", name), dst, PrunePlan{SkipMLP: []int{1}}); err != nil {
			t.Fatal(err)
		}
		p, err := LoadDir(dst, tensor.NewCPU())
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		block, _, mlp, err := p.layerCosines(ref.InputIDs)
		if err != nil {
			t.Fatal(err)
		}
		for tk := range ref.InputIDs {
			if math.Abs(block[1][tk]-attn[1][tk]) > 1e-9 || math.Abs(mlp[1][tk]-1) > 1e-9 {
				t.Fatalf("%s position %d: block cos %v, source attention cos %v, MLP cos %v", name, tk, block[1][tk], attn[1][tk], mlp[1][tk])
			}
		}
	}
}

func TestPrunePlans(t *testing.T) {
	s := LayerScores{
		BlockInfluence: []float64{0.9, 0.1, 0.3, 0.05, 0.5},
		AttnSimilarity: []float64{0.1, 0.95, 0.2, 0.99, 0.3},
		MLPSimilarity:  []float64{0.2, 0.9, 0.97, 0.4, 0.1},
	}
	p, err := ShortGPTPlan(s, 2)
	if err != nil || !slices.Equal(p.DropLayers, []int{1, 3}) {
		t.Errorf("ShortGPT remove 2: %+v %v", p, err)
	}
	// The 4 most similar sub-blocks: attn 3, mlp 2, attn 1, mlp 1.
	p, err = AdaSkipPlan(s, 2)
	if err != nil || !slices.Equal(p.DropLayers, []int{1}) || !slices.Equal(p.SkipAttn, []int{3}) || !slices.Equal(p.SkipMLP, []int{2}) {
		t.Errorf("AdaSkip remove 2: %+v %v", p, err)
	}
	if _, err := ShortGPTPlan(s, 5); err == nil {
		t.Error("removing every layer: no error")
	}
	if err := PruneDir(filepath.Join("testdata", "llama-tiny"), t.TempDir(), PrunePlan{DropLayers: []int{0, 1}}); err == nil {
		t.Error("dropping both layers: no error")
	}
	if err := PruneDir(filepath.Join("testdata", "llama-tiny"), t.TempDir(), PrunePlan{DropLayers: []int{1}, SkipMLP: []int{1}}); err == nil {
		t.Error("skipping inside a dropped layer: no error")
	}
}

// TestPruneConfig checks the written config.json: the new layer count, and
// every other field as it was.
func TestPruneConfig(t *testing.T) {
	src := filepath.Join("testdata", "gpt2-tiny")
	dst := t.TempDir()
	if err := PruneDir(src, dst, PrunePlan{DropLayers: []int{0}}); err != nil {
		t.Fatal(err)
	}
	var a, b map[string]any
	for _, x := range []struct {
		dir string
		v   *map[string]any
	}{{src, &a}, {dst, &b}} {
		data, err := os.ReadFile(filepath.Join(x.dir, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, x.v); err != nil {
			t.Fatal(err)
		}
	}
	if b["n_layer"] != float64(1) {
		t.Errorf("n_layer %v, want 1", b["n_layer"])
	}
	delete(a, "n_layer")
	delete(b, "n_layer")
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("other fields changed:\n%s\n%s", ja, jb)
	}
}
