package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

// TestPruneCommand prunes llama-tiny (2 layers) by each score: the printed
// plan matches the printed scores (ShortGPT drops the layer of lowest block
// influence; AdaSkip skips the two most similar sub-blocks), and the written
// folder loads with one layer less (ShortGPT) and keeps the tokenizer.
func TestPruneCommand(t *testing.T) {
	dir := modelWithTokenizer(t, "llama-tiny")
	text := filepath.Join(t.TempDir(), "calib.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat("The quick brown fox jumps over the lazy dog. ", 8)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, score := range []string{"shortgpt", "adaskip"} {
		out := filepath.Join(t.TempDir(), "pruned")
		stdout, errs, code := capture(t, "prune", "--model", dir, "--out", out, "--remove", "1", "--score", score, "--text-file", text, "--window", "32")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", score, code, errs)
		}
		var res pruneJSON
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatal(err)
		}
		sc := res.Scores
		if sc.Tokens == 0 || len(sc.BlockInfluence) != 2 {
			t.Fatalf("%s: scores %+v", score, sc)
		}
		m, err := model.LoadDir(out, tensor.NewCPU())
		if err != nil {
			t.Fatal(err)
		}
		layers := m.Config.Layers
		m.Close()
		if layers != res.Layers {
			t.Errorf("%s: written model has %d layers, output says %d", score, layers, res.Layers)
		}
		if _, err := os.Stat(filepath.Join(out, "tokenizer.json")); err != nil {
			t.Errorf("%s: %v", score, err)
		}
		switch score {
		case "shortgpt":
			low := 0
			if sc.BlockInfluence[1] < sc.BlockInfluence[0] {
				low = 1
			}
			if !slices.Equal(res.Plan.DropLayers, []int{low}) || layers != 1 {
				t.Errorf("shortgpt: plan %+v, %d layers, for block influence %v", res.Plan, layers, sc.BlockInfluence)
			}
		case "adaskip":
			sims := slices.Concat(sc.AttnSimilarity, sc.MLPSimilarity)
			slices.Sort(sims)
			n := 0
			for i := range 2 {
				for _, v := range []float64{sc.AttnSimilarity[i], sc.MLPSimilarity[i]} {
					if v >= sims[2] {
						n++
					}
				}
			}
			got := 2*len(res.Plan.DropLayers) + len(res.Plan.SkipAttn) + len(res.Plan.SkipMLP)
			if n != 2 || got != 2 {
				t.Errorf("adaskip: plan %+v removes %d sub-blocks for similarities %v %v", res.Plan, got, sc.AttnSimilarity, sc.MLPSimilarity)
			}
		}
	}
	_, errs, code := capture(t, "prune", "--model", dir, "--out", t.TempDir(), "--score", "lamp", "--text-file", text)
	if code == 0 || !strings.Contains(errs, "want shortgpt or adaskip") {
		t.Errorf("--score lamp: exit %d, %s", code, errs)
	}
}
