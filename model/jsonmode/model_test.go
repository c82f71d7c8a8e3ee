package jsonmode_test

import (
	"context"
	"encoding/json"
	"os"
	"runtime"
	"testing"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/model/jsonmode"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/tokenizer"
)

// TestGenerateConstrained runs the tiny Llama fixture with a SentencePiece
// byte-fallback tokenizer through model.Generate under a schema, sampled
// at temperature 1 over many seeds: every output parses and has the
// required shape.
func TestGenerateConstrained(t *testing.T) {
	m, err := model.Load(os.DirFS("../testdata/llama-tiny"), tensor.NewCPU())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	data, err := os.ReadFile("../../tokenizer/testdata/llama-sp-bpe-bytefallback/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	special := map[int32]bool{}
	for _, a := range tok.SpecialTokens() {
		if !tok.IsByteToken(a.ID) {
			special[a.ID] = true
		}
	}
	toks := make([][]byte, m.Config.VocabSize)
	for id := range toks {
		if !special[int32(id)] {
			toks[id], _ = tok.TokenBytes(int32(id))
		}
	}
	vocab := jsonmode.NewVocab(toks)
	g, err := jsonmode.Compile([]byte(`{"type":"object","properties":{"name":{"type":"string"},"n":{"type":"integer"},"ok":{"type":"boolean"},"tags":{"type":"array","items":{"enum":["a","b"]},"maxItems":3}},"required":["name","n","tags"],"additionalProperties":false}`))
	if err != nil {
		t.Fatal(err)
	}
	prompt := []int32{1, 300, 301, 302} // the model knows ids below 512 only
	seeds := 40
	if testing.Short() || runtime.GOOS == "js" {
		seeds = 10
	}
	for seed := 0; seed < seeds; seed++ {
		maxTokens := 40 + seed%30
		c, err := g.NewConstraint(vocab, m.EOS, maxTokens)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := m.Generate(context.Background(), prompt, model.GenerateOptions{
			MaxNewTokens: maxTokens, Temperature: 1, Seed: uint64(seed), Constraint: c,
		}, nil)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if n := len(ids); n > 0 && ids[n-1] == m.EOS[0] {
			ids = ids[:n-1]
		}
		text := tok.Decode(ids)
		var v struct {
			Name *string  `json:"name"`
			N    *float64 `json:"n"`
			Tags []string `json:"tags"`
		}
		if err := json.Unmarshal([]byte(text), &v); err != nil || v.Name == nil || v.N == nil || v.Tags == nil {
			t.Fatalf("seed %d: %q: %v", seed, text, err)
		}
		if seed < 3 {
			t.Logf("seed %d: %s", seed, text)
		}
	}
}
