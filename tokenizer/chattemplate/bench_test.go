package chattemplate

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkRender renders a 5-message conversation with tools through two
// large real templates; it reports the time per prompt (a chat endpoint
// pays it once per request, next to a forward pass of milliseconds).
//
//	go test -run '^$' -bench Render -benchtime 200x ./tokenizer/chattemplate
func BenchmarkRender(b *testing.B) {
	msgs := []byte(`[{"role":"system","content":"You are helpful."},{"role":"user","content":"Weather in Paris?"},` +
		`{"role":"assistant","content":"","tool_calls":[{"id":"call123456789","type":"function","function":{"name":"get_current_temperature","arguments":{"location":"Paris, France","unit":"celsius"}}}]},` +
		`{"role":"tool","tool_call_id":"call123456789","content":"22.5"},{"role":"user","content":"Thanks, and tomorrow?"}]`)
	tools, err := os.ReadFile(filepath.Join("testdata", "tools.json"))
	if err != nil {
		b.Fatal(err)
	}
	v, err := fromJSON(tools)
	if err != nil {
		b.Fatal(err)
	}
	weather, err := toJSON(v.(*dict).m["weather"], "", false, ", ", ": ", false, false, maxNesting, 1<<20)
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"Qwen--Qwen3-0.6B.jinja", "meta-llama--Llama-3.1-8B-Instruct.jinja"} {
		src, err := os.ReadFile(filepath.Join("testdata", "templates", name))
		if err != nil {
			b.Fatal(err)
		}
		tmpl, err := Parse(string(src))
		if err != nil {
			b.Fatal(err)
		}
		opts := Options{Messages: msgs, Tools: []byte(weather), AddGenerationPrompt: true, Vars: map[string]any{"bos_token": "<s>"}}
		b.Run(name, func(b *testing.B) {
			out, err := tmpl.Render(opts)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(out)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := tmpl.Render(opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("parse/Qwen3", func(b *testing.B) {
		src, _ := os.ReadFile(filepath.Join("testdata", "templates", "Qwen--Qwen3-0.6B.jinja"))
		for i := 0; i < b.N; i++ {
			if _, err := Parse(string(src)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
