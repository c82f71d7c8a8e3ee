package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	"github.com/lamina-ml/lamina/tokenizer"
)

func init() {
	register("logits", "next-token logits of every position: --model DIR|FILE.gguf|URL --ids 1,2,3", runLogits)
}

// runLogits prints {"logits": [[V floats] × T]} for the ids at positions
// 0..T-1 (no cache), the same rows transformers' model(ids).logits gives.
func runLogits(args []string) error {
	fs := newFlagSet("logits")
	dir := fs.String("model", "", modelFlagHelp)
	idsFlag := fs.String("ids", "", "comma-separated token ids")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *idsFlag == "" {
		return errors.New("--model and --ids are required")
	}
	ids, err := parseIDs(*idsFlag)
	if err != nil {
		return err
	}
	m, _, closeModel, err := openModel(*dir)
	if err != nil {
		return err
	}
	defer closeModel()
	logits, err := m.Logits(ids)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(struct {
		Logits [][]float32 `json:"logits"`
	}{logits})
}

// loadTokenizer loads DIR/tokenizer.json; it returns nil, nil when the
// folder has none.
func loadTokenizer(dir string) (*tokenizer.Tokenizer, error) {
	return readTokenizer(os.DirFS(dir), filepath.Join(dir, "tokenizer.json"))
}
