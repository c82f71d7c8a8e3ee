package chattemplate

import (
	"errors"
	"testing"
	"time"
)

// FuzzParseRender feeds arbitrary template sources through Parse and
// Render with a small conversation. Whatever the input, the result is a
// string or an *Error, never a panic, a hang or an unbounded allocation.
// The seed corpus (testdata/fuzz/FuzzParseRender) holds every vendored
// real template (real_*) and hand-written edge cases.
//
//	go test -run '^$' -fuzz FuzzParseRender -fuzztime 60s ./tokenizer/chattemplate
func FuzzParseRender(f *testing.F) {
	msgs := []byte(`[{"role":"system","content":"sys"},{"role":"user","content":"hi 🙂"},` +
		`{"role":"assistant","content":"yo","tool_calls":[{"id":"call_123456789","type":"function","function":{"name":"f","arguments":{"a":1}}}]},` +
		`{"role":"tool","tool_call_id":"call_123456789","content":"42"},{"role":"user","content":[{"type":"text","text":"x"}]}]`)
	tools := []byte(`[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object","properties":{"a":{"type":"integer"}}}}}]`)
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := Parse(src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse error %T %v is not *Error", err, err)
			}
			return
		}
		for _, agp := range []bool{false, true} {
			out, err := tmpl.Render(Options{
				Messages: msgs, Tools: tools, AddGenerationPrompt: agp,
				Vars:     map[string]any{"bos_token": "<s>", "eos_token": "</s>"},
				Now:      func() time.Time { return time.Unix(0, 0).UTC() },
				MaxSteps: 200_000, MaxOutput: 1 << 20,
			})
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("Render error %T %v is not *Error", err, err)
				}
				continue
			}
			if len(out) > 1<<20 {
				t.Fatalf("output %d bytes exceeds MaxOutput", len(out))
			}
		}
	})
}
