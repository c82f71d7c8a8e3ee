// Package gguf reads and writes GGUF files, llama.cpp's single-file model
// format (spec: ggml docs/gguf.md; reference reader ggml/src/gguf.cpp).
//
// A file is a header — magic "GGUF", version (2 or 3 here), tensor and
// metadata counts — then typed metadata key/values, then tensor infos
// (name, ggml dims with dims[0] fastest, ggml type, offset), then the
// tensor data, each tensor at a multiple of general.alignment (default 32)
// from the start of the data section, which itself begins at the first
// aligned offset after the infos.
//
// Open reads a header from any io.ReaderAt (a local file, bytes in memory,
// or a URL through RangeReaderAt) and reads tensors only when asked.
// Dequantize turns F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K and Q6_K
// data into f32 (other types give an *UnsupportedTypeError naming the
// type). HFTensor, HFConfig and TokenizerJSON convert llama, qwen2 and
// gpt2 files to the Hugging Face names, layout, config.json and
// tokenizer.json that the rest of lamina reads; HFDir bundles them as an
// fs.FS model folder. Writer and ExportHF go the other way, writing
// F32/F16/BF16/Q8_0/Q4_0/Q4_1 files that llama.cpp loads.
package gguf
