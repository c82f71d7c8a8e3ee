package model

import (
	"testing"
)

func ptrTo[T any](v T) *T { return &v }

// TestResolveOptions checks the one resolution, request > generation_config
// > built-in, with values worked out by hand from transformers' rules
// (sampling fields of generation_config.json count only with do_sample).
func TestResolveOptions(t *testing.T) {
	sampling := GenerationConfig{DoSample: true, Temperature: ptrTo[float32](0.8), TopK: ptrTo(40), MaxNewTokens: ptrTo(64)}
	greedyCfg := GenerationConfig{Temperature: ptrTo[float32](0.8), TopK: ptrTo(40)} // no do_sample
	for _, c := range []struct {
		name string
		req  Request
		g    GenerationConfig
		want GenerateOptions
	}{
		{"built-in", Request{}, GenerationConfig{}, GenerateOptions{MaxNewTokens: 32, TopP: 1}},
		{"generation_config samples", Request{Seed: 3}, sampling, GenerateOptions{MaxNewTokens: 64, Temperature: 0.8, TopK: 40, TopP: 1, Seed: 3}},
		{"without do_sample its sampling fields do not count", Request{}, greedyCfg, GenerateOptions{MaxNewTokens: 32, TopP: 1}},
		{"do_sample alone is temperature 1", Request{}, GenerationConfig{DoSample: true}, GenerateOptions{MaxNewTokens: 32, Temperature: 1, TopP: 1}},
		{"the request wins", Request{Temperature: ptrTo[float32](0), TopK: ptrTo(0), MaxNewTokens: ptrTo(5)}, sampling,
			GenerateOptions{MaxNewTokens: 5, TopP: 1}},
		{"empty EOS never stops", Request{EOS: []int32{}}, GenerationConfig{}, GenerateOptions{MaxNewTokens: 32, TopP: 1, EOS: []int32{}, IgnoreEOS: true}},
	} {
		got := ResolveOptions(c.req, c.g)
		if got.MaxNewTokens != c.want.MaxNewTokens || got.Temperature != c.want.Temperature || got.TopK != c.want.TopK ||
			got.TopP != c.want.TopP || got.Seed != c.want.Seed || got.IgnoreEOS != c.want.IgnoreEOS || (got.EOS == nil) != (c.want.EOS == nil) {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// FuzzGenerationConfig feeds generation_config.json bytes to the parser: it
// never panics, and what it accepts resolves to options Generate checks.
func FuzzGenerationConfig(f *testing.F) {
	f.Add([]byte(`{"do_sample":true,"temperature":0.8,"top_k":40,"max_new_tokens":64,"eos_token_id":[0,2]}`))
	f.Add([]byte(`{"temperature":null,"eos_token_id":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, g, err := parseGeneration(data)
		if err != nil {
			return
		}
		_ = ResolveOptions(Request{}, g)
	})
}
