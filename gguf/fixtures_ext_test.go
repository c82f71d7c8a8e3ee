package gguf_test

// See fixtures_test.go: the same fixture folders for the external test package.
const (
	modelFixtures     = "../model/testdata"
	tokenizerFixtures = "../tokenizer/testdata"
)
