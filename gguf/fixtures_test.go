package gguf

// The tiny HF checkpoints and tokenizers are model's and tokenizer's committed fixtures (stored
// once in the tree); the GGUF tests read them from there.
const (
	modelFixtures     = "../model/testdata"
	tokenizerFixtures = "../tokenizer/testdata"
)
