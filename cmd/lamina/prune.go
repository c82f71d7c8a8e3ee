package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

func init() {
	register("prune", "remove layers by ShortGPT block influence or AdaSkip sub-block similarity from calibration text: --model DIR --out DIR --remove N --score shortgpt|adaskip --text-file F [--window W --max-tokens N]", runPrune)
}

// pruneJSON is what prune prints: the scores and what was removed.
type pruneJSON struct {
	Model  string            `json:"model"`
	Out    string            `json:"out"`
	Score  string            `json:"score"`
	Remove int               `json:"remove"`
	Scores model.LayerScores `json:"scores"`
	Plan   model.PrunePlan   `json:"plan"`
	Layers int               `json:"layers"` // in the written model
}

// runPrune scores every layer on calibration text (windows of --window
// tokens from position 0, as perplexity's), picks what to remove and writes
// the smaller model with model.PruneDir. --score shortgpt drops the N layers
// of lowest block influence; adaskip skips the 2N most input/output-similar
// attention or MLP sub-blocks (N layers' worth), dropping layers that lose
// both and zeroing the output projection of the others.
func runPrune(args []string) error {
	fs := newFlagSet("prune")
	dir := fs.String("model", "", "source model folder")
	out := fs.String("out", "", "folder to write the pruned model to")
	remove := fs.Int("remove", 1, "layers (shortgpt) or layers' worth of sub-blocks (adaskip, 2 per layer) to remove")
	score := fs.String("score", "shortgpt", "shortgpt (block influence) or adaskip (sub-block similarity)")
	textFile := fs.String("text-file", "", "calibration text")
	window := fs.Int("window", 256, "tokens per calibration window (at most the model's context)")
	maxTokens := fs.Int("max-tokens", 8192, "calibration tokens at most")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *out == "" || *textFile == "" {
		return errors.New("--model, --out and --text-file are required")
	}
	if *score != "shortgpt" && *score != "adaskip" {
		return fmt.Errorf("--score %q: want shortgpt or adaskip", *score)
	}
	tok, err := loadTokenizer(*dir)
	if err != nil {
		return err
	}
	if tok == nil {
		return fmt.Errorf("%s has no tokenizer.json", *dir)
	}
	text, err := os.ReadFile(*textFile)
	if err != nil {
		return err
	}
	m, err := model.LoadDir(*dir, tensor.NewCPU())
	if err != nil {
		return err
	}
	defer m.Close()
	w := *window
	if w < 1 || m.Config.MaxPositions > 0 && w > m.Config.MaxPositions {
		return fmt.Errorf("--window %d outside [1, %d] (the model's context)", w, m.Config.MaxPositions)
	}
	ids := tok.EncodeWithSpecial(string(text))
	if *maxTokens > 0 && len(ids) > *maxTokens {
		ids = ids[:*maxTokens]
	}
	var seqs [][]int32
	for len(ids) > 0 {
		n := min(w, len(ids))
		seqs = append(seqs, ids[:n])
		ids = ids[n:]
	}
	if len(seqs) == 0 {
		return errors.New("the calibration text encodes to no tokens")
	}
	sc, err := m.ScoreLayers(seqs)
	if err != nil {
		return err
	}
	plan := model.ShortGPTPlan
	if *score == "adaskip" {
		plan = model.AdaSkipPlan
	}
	p, err := plan(sc, *remove)
	if err != nil {
		return err
	}
	if err := model.PruneDir(*dir, *out, p); err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", " ")
	return enc.Encode(pruneJSON{Model: *dir, Out: *out, Score: *score, Remove: *remove, Scores: sc, Plan: p, Layers: m.Config.Layers - len(p.DropLayers)})
}
