package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/lamina-ml/lamina/gguf"
	"github.com/lamina-ml/lamina/model"
)

func init() {
	register("gguf", "write a float model folder as one GGUF file for llama.cpp, wllama or lamina: --model DIR --out FILE.gguf [--type f16|f32|bf16|q8_0|q4_0|q4_1|q4_k|q5_k|q6_k] [--name NAME]", runGGUFExport)
}

// ggufExportTypes are the encodings --type names (ExportOptions.Type).
var ggufExportTypes = map[string]gguf.TensorType{
	"f32": gguf.F32, "f16": gguf.F16, "bf16": gguf.BF16, "q8_0": gguf.Q8_0, "q4_0": gguf.Q4_0,
	"q4_1": gguf.Q4_1, "q4_k": gguf.Q4_K, "q5_k": gguf.Q5_K, "q6_k": gguf.Q6_K,
}

func runGGUFExport(args []string) error {
	fs := newFlagSet("gguf")
	dir := fs.String("model", "", "float model folder: config.json, model.safetensors (or an index and its shards), tokenizer.json")
	out := fs.String("out", "", "GGUF file to write")
	typ := fs.String("type", "f16", "encoding of the 2-D weight matrices (a matrix whose rows are not whole blocks is written F16, as llama.cpp's quantizer falls back; norms and biases are F32)")
	name := fs.String("name", "", "general.name (default: the folder's name)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *out == "" {
		return errors.New("--model and --out are required")
	}
	t, ok := ggufExportTypes[strings.ToLower(*typ)]
	if !ok {
		return fmt.Errorf("--type %q: one of f32, f16, bf16, q8_0, q4_0, q4_1, q4_k, q5_k, q6_k", *typ)
	}
	if *name == "" {
		abs, _ := filepath.Abs(*dir)
		*name = filepath.Base(abs)
	}
	w, tokenizer, err := exportGGUF(*dir, gguf.ExportOptions{Type: t, Name: *name})
	if err != nil {
		return err
	}
	if !tokenizer {
		fmt.Fprintf(os.Stderr, "lamina gguf: %s has no tokenizer.json: the file has no tokenizer (lamina reads it; llama.cpp refuses it)\n", *dir)
	}
	n, err := writeFileAtomic(*out, w)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d bytes, matrices %v\n", *out, n, t)
	return nil
}

// exportGGUF reads a float folder whole (as f32: a model of P parameters needs 4P bytes) and
// makes its GGUF writer; tokenizer says whether the folder had a tokenizer.json.
func exportGGUF(dir string, opts gguf.ExportOptions) (w *gguf.Writer, tokenizer bool, err error) {
	fsys := os.DirFS(dir)
	cfg, err := fs.ReadFile(fsys, "config.json")
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", dir, err)
	}
	var probe struct {
		Quant json.RawMessage `json:"quantization_config"`
	}
	if err := json.Unmarshal(cfg, &probe); err != nil {
		return nil, false, fmt.Errorf("%s: config.json: %w", dir, err)
	}
	if len(probe.Quant) > 0 && string(probe.Quant) != "null" {
		return nil, false, fmt.Errorf("%s is a quantized folder (quantization_config): export the float folder it was made from, with --type q8_0 or q4_0 for a quantized file", dir)
	}
	tok, err := fs.ReadFile(fsys, "tokenizer.json")
	switch {
	case err == nil:
		opts.Tokenizer, tokenizer = tok, true
	case !errors.Is(err, fs.ErrNotExist):
		return nil, false, fmt.Errorf("%s: %w", dir, err)
	}
	ws, err := model.OpenWeights(fsys)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", dir, err)
	}
	defer ws.Close()
	var tensors []gguf.HFTensor
	for _, n := range ws.Names() {
		shape, _ := ws.Shape(n)
		dt, b, err := ws.Float(n, shape...)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", dir, err)
		}
		tensors = append(tensors, gguf.HFTensor{Name: n, Shape: shape, Data: model.DecodeF32(dt, b)})
	}
	w, err = gguf.ExportHF(cfg, tensors, opts)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", dir, err)
	}
	return w, tokenizer, nil
}

// writeFileAtomic writes w to path through a temporary file in the same folder, so a failed
// or interrupted write leaves no partial file under path.
func writeFileAtomic(path string, w *gguf.Writer) (int64, error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return 0, err
	}
	n, err := w.WriteTo(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return 0, err
	}
	return n, nil
}
