package gguf

import (
	"io/fs"

	"github.com/lamina-ml/lamina/internal/memfs"
)

// HFDir presents the GGUF as a Hugging Face model folder: config.json
// (HFConfig), tokenizer.json (TokenizerJSON, when the file has a
// tokenizer) and model.safetensors with every weight dequantized to F32 in
// HF names and layout. It is the hook by which a loader of HF folders
// (lamina's model.Load takes an fs.FS) reads GGUF files before it gains
// quantized weights of its own. The whole f32 checkpoint is built in
// memory.
func (f *File) HFDir() (fs.FS, error) {
	cfg, err := f.HFConfig()
	if err != nil {
		return nil, err
	}
	a, _ := f.Architecture()
	var ts []HFTensor
	for _, t := range f.Tensors {
		if _, ok := HFName(Arch(a), t.Name); !ok {
			continue
		}
		h, err := f.HFTensor(t.Name)
		if err != nil {
			return nil, err
		}
		ts = append(ts, h)
	}
	// memfs.FS files are io.ReaderAt, as model.Load's safetensors reader wants.
	files := memfs.FS{"config.json": cfg, "model.safetensors": WriteSafetensors(ts)}
	if _, ok := f.Lookup("tokenizer.ggml.model"); ok {
		tok, err := f.TokenizerJSON()
		if err != nil {
			return nil, err
		}
		files["tokenizer.json"] = tok
	}
	return files, nil
}
