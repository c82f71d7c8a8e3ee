package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lamina-ml/lamina/worker/workertest"
)

// TestGenerateAgreesAcrossFrontEnds runs the shared requests through the
// browser runtime's generate (the logic behind lm.generate) and compares
// ids and streamed text with the worker's /v1/completions and the
// independent decode loop (cmd/lamina's test does the same for the CLI).
func TestGenerateAgreesAcrossFrontEnds(t *testing.T) {
	dir := workertest.Dir("..")
	files := memFS{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		} else if !strings.HasPrefix(e.Name(), "reference") {
			files[e.Name()] = b
		}
	}
	r := newRegistry(nil)
	_, lm, err := r.loadModel(newCPURuntime(t, r), files)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range workertest.Cases {
		t.Run(c.Name, func(t *testing.T) {
			prompt := lm.tok.EncodeWithSpecial(c.Prompt)
			req := genRequest{IDs: prompt, MaxNewTokens: c.MaxTokens, Seed: uint64(c.Seed), StopStrings: c.Stop}
			if c.Temperature != nil {
				v := float32(*c.Temperature)
				req.Temperature = &v
			}
			if c.TopP != nil {
				v := float32(*c.TopP)
				req.TopP = &v
			}
			req.TopK = c.TopK
			if c.IgnoreEOS {
				req.EOS = []int32{}
			}
			var text strings.Builder
			ids, _, err := lm.generate(req, func(_ int32, piece string) { text.WriteString(piece) }, func() bool { return false })
			if err != nil {
				t.Fatal(err)
			}
			got := workertest.Result{IDs: ids[len(prompt):], Text: text.String()}
			ref := workertest.Reference(t, "..", c)
			wk := workertest.Worker(t, "..", c)
			for name, res := range map[string]workertest.Result{"browser runtime": got, "worker": wk} {
				if !slices.Equal(res.IDs, ref.IDs) || res.Text != ref.Text {
					t.Errorf("%s: ids %v text %q; reference ids %v text %q", name, res.IDs, res.Text, ref.IDs, ref.Text)
				}
			}
		})
	}
}
