package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/lamina-ml/lamina/worker/workertest"
)

// TestGenerateAgreesAcrossFrontEnds runs the shared requests through
// `lamina generate --json`, the worker's /v1/completions and an
// independent decode loop: the same request and seed must give the same ids
// and text (wasm's runtime test does the same for the browser runtime).
func TestGenerateAgreesAcrossFrontEnds(t *testing.T) {
	for _, c := range workertest.Cases {
		t.Run(c.Name, func(t *testing.T) {
			args := []string{"generate", "--model", workertest.Dir("../.."), "--prompt", c.Prompt, "--json",
				"--max-new-tokens", fmt.Sprint(c.MaxTokens), "--seed", fmt.Sprint(c.Seed)}
			if c.Temperature != nil {
				args = append(args, "--temperature", fmt.Sprint(*c.Temperature))
			}
			if c.TopK != nil {
				args = append(args, "--top-k", fmt.Sprint(*c.TopK))
			}
			if c.TopP != nil {
				args = append(args, "--top-p", fmt.Sprint(*c.TopP))
			}
			for _, s := range c.Stop {
				args = append(args, "--stop", s)
			}
			if c.IgnoreEOS {
				args = append(args, "--ignore-eos")
			}
			out, errs, code := capture(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var cli workertest.Result
			if err := json.Unmarshal([]byte(out), &struct {
				IDs  *[]int32 `json:"ids"`
				Text *string  `json:"text"`
			}{&cli.IDs, &cli.Text}); err != nil {
				t.Fatal(err)
			}
			ref := workertest.Reference(t, "../..", c)
			wk := workertest.Worker(t, "../..", c)
			for name, got := range map[string]workertest.Result{"cli": cli, "worker": wk} {
				if !slices.Equal(got.IDs, ref.IDs) || got.Text != ref.Text {
					t.Errorf("%s: ids %v text %q; reference ids %v text %q", name, got.IDs, got.Text, ref.IDs, ref.Text)
				}
			}
			if len(ref.IDs) == 0 {
				t.Error("the reference generated nothing")
			}
		})
	}
}
