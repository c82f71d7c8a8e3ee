package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lamina-ml/lamina/tensor"
)

func init() {
	register("layers", "per-layer hidden-state norms and logit-lens top tokens: --model DIR|FILE.gguf|URL (--ids 1,2,3 | --prompt TEXT) [--top 5]", runLayers)
}

// lensToken is one logit-lens candidate; Token is the decoded text of ID
// when the model folder has a tokenizer.json.
type lensToken struct {
	ID    int32   `json:"id"`
	Prob  float32 `json:"prob"`
	Token *string `json:"token,omitempty"`
}

type lensLayerJSON struct {
	// Layer 0 is the embeddings, layer i the output of decoder layer i.
	Layer int           `json:"layer"`
	Name  string        `json:"name"`
	Norm  []float32     `json:"norm"`
	Top   [][]lensToken `json:"top"`
}

type layersJSON struct {
	IDs    []int32         `json:"ids"`
	Tokens []string        `json:"tokens,omitempty"`
	Layers []lensLayerJSON `json:"layers"`
}

// runLayers prints, for the embeddings and every decoder layer, the L2
// norm of the residual stream at each position and the logit lens there
// (final norm + lm_head applied to that layer's output): the --top most
// probable next tokens per position.
func runLayers(args []string) error {
	fs := newFlagSet("layers")
	dir := fs.String("model", "", modelFlagHelp)
	idsFlag := fs.String("ids", "", "comma-separated token ids")
	prompt := fs.String("prompt", "", "input text (needs tokenizer.json)")
	top := fs.Int("top", 5, "top tokens per position")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("--model is required")
	}
	if (*prompt == "") == (*idsFlag == "") {
		return errors.New("give exactly one of --ids and --prompt")
	}
	if *top <= 0 {
		return fmt.Errorf("--top %d must be positive", *top)
	}
	src, err := openModelSource(context.Background(), *dir)
	if err != nil {
		return err
	}
	defer src.close()
	tok, err := src.tokenizer()
	if err != nil {
		return err
	}
	var ids []int32
	if *prompt != "" {
		if tok == nil {
			return fmt.Errorf("--prompt needs %s/tokenizer.json; use --ids", *dir)
		}
		// Like transformers' tokenizer(text): special tokens from the
		// post-processor (e.g. Llama's BOS) are added.
		if ids = tok.EncodeWithSpecial(*prompt); len(ids) == 0 {
			return errors.New("the prompt encodes to no tokens")
		}
	} else if ids, err = parseIDs(*idsFlag); err != nil {
		return err
	}
	m, err := src.load(tensor.NewCPU())
	if err != nil {
		return err
	}
	defer m.Close()
	lens, err := m.LogitLens(ids, *top)
	if err != nil {
		return err
	}
	res := layersJSON{IDs: ids}
	decode := func(id int32) *string { return nil }
	if tok != nil {
		for _, id := range ids {
			res.Tokens = append(res.Tokens, tok.Decode([]int32{id}))
		}
		decode = func(id int32) *string { s := tok.Decode([]int32{id}); return &s }
	}
	for _, l := range lens {
		name := "embeddings"
		if l.Layer > 0 {
			name = fmt.Sprintf("layer %d", l.Layer-1)
		}
		lj := lensLayerJSON{Layer: l.Layer, Name: name, Norm: l.Norm}
		for _, pos := range l.Top {
			row := make([]lensToken, len(pos))
			for i, tp := range pos {
				row[i] = lensToken{ID: tp.ID, Prob: tp.Prob, Token: decode(tp.ID)}
			}
			lj.Top = append(lj.Top, row)
		}
		res.Layers = append(res.Layers, lj)
	}
	return json.NewEncoder(stdout).Encode(res)
}
