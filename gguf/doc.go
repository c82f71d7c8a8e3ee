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
// type). HFTensor, HFConfig and TokenizerJSON convert llama, qwen2, qwen3, olmo2 and
// gpt2 files to the Hugging Face names, layout, config.json and
// tokenizer.json that the rest of lamina reads; HFDir bundles them as an
// fs.FS model folder. Writer and ExportHF go the other way, writing
// F32/F16/BF16/Q8_0/Q4_0/Q4_1 (with ggml's reference quantizers) and
// Q4_K/Q5_K/Q6_K (simple round-to-nearest) files that llama.cpp loads.
//
// # Testing against llama.cpp
//
// llamacpp_test.go compares with llama.cpp itself, through the npm package
// node-llama-cpp (pinned 3.21.1, prebuilt CPU binaries): it writes GGUF
// files of the HF fixtures and of a synthetic 256-wide llama, and checks
// llama.cpp's next-token log-probabilities against transformers' (F32)
// and against lamina's forward pass on the same file (lossy types), and
// llama.cpp's tokenization of the written vocabularies against HF. It runs
// when LAMINA_NODE_LLAMA_CPP names the node_modules folder:
//
//	mkdir -p .dev/nlc && (cd .dev/nlc && npm i -E node-llama-cpp@3.21.1)
//	LAMINA_NODE_LLAMA_CPP=$PWD/.dev/nlc/node_modules LAMINA_CACHE=$PWD/.cache go test -v -run LlamaCpp ./gguf/
//
// # Loading into the model package
//
// HFDir presents a GGUF as an in-memory HF folder (config.json,
// tokenizer.json, model.safetensors in F32), which model.Load accepts as
// it is; model_parity_test.go loads the fixtures that way. HFDirQuantized
// keeps Q8_0 and Q4_0 matrices quantized instead: their blocks are repacked
// (not requantized) into lamina's quantized-folder tensors with a
// quantization_config (model/quant.go), the llama Q/K row permutation
// undone on whole rows of codes, so model.Load on the CPU backend holds
// them as Q8/Q4 and runs the quantized kernels (quantdir_test.go: the
// logits of HFDir's dequantized folder to 3e-6). Other types are
// dequantized as in HFDir.
package gguf
