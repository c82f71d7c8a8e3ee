package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/lamina-ml/lamina/tokenizer"
)

func init() {
	register("tokenize", "encode text with a Hugging Face tokenizer.json", runTokenize)
	register("detokenize", "decode token ids with a Hugging Face tokenizer.json", runDetokenize)
}

// runTokenize is `lamina tokenize --tokenizer FILE --text TEXT [--special]`
// → {"ids": [...], "tokens": [...]}. Without --special it matches HF
// encode(add_special_tokens=False).
func runTokenize(args []string) error {
	fl := newFlagSet("tokenize")
	file := fl.String("tokenizer", "", "path to tokenizer.json")
	text := fl.String("text", "", "text to encode")
	special := fl.Bool("special", false, "apply the post_processor (add BOS etc.)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fl.Args())
	}
	tk, err := loadTokenizerFile(*file)
	if err != nil {
		return err
	}
	ids := tk.Encode(*text)
	if *special {
		ids = tk.EncodeWithSpecial(*text)
	}
	if ids == nil {
		ids = []int32{}
	}
	return printTokenJSON(struct {
		IDs    []int32  `json:"ids"`
		Tokens []string `json:"tokens"`
	}{ids, tk.Tokens(ids)})
}

// runDetokenize is `lamina detokenize --tokenizer FILE --ids 1,2,3` →
// {"text": "..."} (HF decode with skip_special_tokens=False).
func runDetokenize(args []string) error {
	fl := newFlagSet("detokenize")
	file := fl.String("tokenizer", "", "path to tokenizer.json")
	idsFlag := fl.String("ids", "", "comma-separated token ids")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fl.Args())
	}
	ids, err := parseIDs(*idsFlag)
	if err != nil {
		return err
	}
	tk, err := loadTokenizerFile(*file)
	if err != nil {
		return err
	}
	return printTokenJSON(struct {
		Text string `json:"text"`
	}{tk.Decode(ids)})
}

func loadTokenizerFile(path string) (*tokenizer.Tokenizer, error) {
	if path == "" {
		return nil, fmt.Errorf("--tokenizer FILE is required")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	tk, err := tokenizer.Load(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tk, nil
}

// printTokenJSON prints v as one JSON line without HTML escaping, so tokens such
// as "<s>" stay readable.
func printTokenJSON(v any) error {
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
