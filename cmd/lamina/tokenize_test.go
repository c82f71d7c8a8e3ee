package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// tokenizerFixture is the HF tokenizers fixture kept in package tokenizer's
// testdata (same repository).
const tokenizerFixture = "../../tokenizer/testdata/llama-sp-bpe-bytefallback/tokenizer.json"

// runTokenCmd runs a command in-process and returns stdout, stderr, status.
func runTokenCmd(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	old := stdout
	stdout = &out
	defer func() { stdout = old }()
	code := runMain(args, &errb)
	return out.String(), errb.String(), code
}

// TestTokenizeCLI uses a case from the fixture's expected.json (made by HF
// tokenizers): "Hello world" → ▁He ll o ▁world.
func TestTokenizeCLI(t *testing.T) {
	out, errOut, code := runTokenCmd("tokenize", "--tokenizer", tokenizerFixture, "--text", "Hello world")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		IDs    []int32  `json:"ids"`
		Tokens []string `json:"tokens"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("bad JSON %q: %v", out, err)
	}
	if !slices.Equal(got.IDs, []int32{610, 380, 326, 839}) || !slices.Equal(got.Tokens, []string{"▁He", "ll", "o", "▁world"}) {
		t.Errorf("tokenize = %+v", got)
	}

	out, errOut, code = runTokenCmd("detokenize", "--tokenizer", tokenizerFixture, "--ids", "610,380,326,839")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var text struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal([]byte(out), &text); err != nil || text.Text != "Hello world" {
		t.Errorf("detokenize = %q (%v)", out, err)
	}

	// Empty text gives empty lists, not null.
	out, _, _ = runTokenCmd("tokenize", "--tokenizer", tokenizerFixture, "--text", "")
	if strings.TrimSpace(out) != `{"ids":[],"tokens":[]}` {
		t.Errorf("empty tokenize = %q", out)
	}
}

func TestTokenizeCLIErrors(t *testing.T) {
	cases := [][]string{
		{"tokenize", "--text", "x"},
		{"tokenize", "--tokenizer", "does-not-exist.json", "--text", "x"},
		{"tokenize", "--tokenizer", "tokenize_test.go", "--text", "x"},
		{"detokenize", "--tokenizer", tokenizerFixture, "--ids", "1,x"},
		{"detokenize", "--tokenizer", tokenizerFixture},
	}
	for _, args := range cases {
		out, errOut, code := runTokenCmd(args...)
		if code == 0 || out != "" || errOut == "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want failure on stderr", args, code, out, errOut)
		}
	}
}
