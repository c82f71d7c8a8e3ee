package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// promptLM runs the real model and keeps the last prompt it was given.
type promptLM struct {
	LM
	mu   *sync.Mutex
	last *[]int32
}

func (p promptLM) Generate(ctx context.Context, prompt []int32, opts SampleOptions, onToken func(int32) bool) error {
	p.mu.Lock()
	*p.last = slices.Clone(prompt)
	p.mu.Unlock()
	return p.LM.Generate(ctx, prompt, opts, onToken)
}

// toolChoiceModels is a models folder with chat-tools (qwen2-tiny under
// Qwen2.5's template: Hermes <tool_call> calls), chat-llama (the same
// weights under Llama 3.1's template: bare JSON calls with "parameters")
// and chat-mistral (Mistral Nemo's: [TOOL_CALLS][{...}]).
func toolChoiceModels(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, m := range []string{"chat-tools", "chat-llama", "chat-mistral"} {
		if err := os.MkdirAll(filepath.Join(dir, m), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"config.json", "generation_config.json", "model.safetensors", "tokenizer.json"} {
			if err := copyFile(filepath.Join(modelsDir, "chat-tools", f), filepath.Join(dir, m, f)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := copyFile(filepath.Join(modelsDir, "chat-tools", "tokenizer_config.json"), filepath.Join(dir, "chat-tools", "tokenizer_config.json")); err != nil {
		t.Fatal(err)
	}
	for m, tmpl := range map[string]string{"chat-llama": "meta-llama--Llama-3.1-8B-Instruct.jinja", "chat-mistral": "mistralai--Mistral-Nemo-Instruct-2407.jinja"} {
		src, err := os.ReadFile(filepath.Join("..", "tokenizer", "chattemplate", "testdata", "templates", tmpl))
		if err != nil {
			t.Fatal(err)
		}
		cfg, _ := json.Marshal(map[string]any{"bos_token": "<s>", "eos_token": "<|endoftext|>", "chat_template": string(src)})
		if err := os.WriteFile(filepath.Join(dir, m, "tokenizer_config.json"), cfg, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// weatherArgs and timeArgs check arguments against the tools' schemas
// below by hand (strict decoding, required keys, enum, maxLength): a
// check independent of jsonmode.
func weatherArgs(args string) error {
	var a struct {
		City *string `json:"city"`
		Unit *string `json:"unit"`
	}
	dec := json.NewDecoder(strings.NewReader(args))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil || dec.More() {
		return fmt.Errorf("not a weather arguments object: %v", err)
	}
	if a.City == nil || a.Unit == nil {
		return fmt.Errorf("city and unit are required")
	}
	if n := len([]rune(*a.City)); n > 12 {
		return fmt.Errorf("city has %d characters, maxLength is 12", n)
	}
	if *a.Unit != "celsius" && *a.Unit != "fahrenheit" {
		return fmt.Errorf("unit %q is not in the enum", *a.Unit)
	}
	return nil
}

func timeArgs(args string) error {
	var a struct {
		Offset *int `json:"utc_offset"`
	}
	dec := json.NewDecoder(strings.NewReader(args))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil || dec.More() {
		return fmt.Errorf("not a time arguments object: %v", err)
	}
	if a.Offset == nil || *a.Offset < -12 || *a.Offset > 14 {
		return fmt.Errorf("utc_offset missing or outside [-12, 14]")
	}
	return nil
}

const testTools = `[{"type":"function","function":{"name":"get_weather","description":"Weather in a city","parameters":{"type":"object","properties":{"city":{"type":"string","maxLength":12},"unit":{"enum":["celsius","fahrenheit"]}},"required":["city","unit"],"additionalProperties":false}}},
	{"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{"utc_offset":{"type":"integer","minimum":-12,"maximum":14}},"required":["utc_offset"]}}}]`

// tool_choice "required" and a named function force a call on a tiny
// random model (which never writes one by itself): every seed gives one
// call, to the named tool (or one of the tools), with arguments valid
// against its schema, finish_reason "tool_calls" ("stop" for a named
// function, as OpenAI answers), no content; the model was
// given its format's opening (Hermes' <tool_call>) after the generation
// prompt; streamed, the call comes as one tool_calls delta.
func TestChatToolChoiceForced(t *testing.T) {
	var mu sync.Mutex
	var last []int32
	var tok Tokenizer
	h := New(Config{Store: FSStore{FS: os.DirFS(toolChoiceModels(t))}, LoadLM: func(ctx context.Context, fsys fs.FS) (LM, Tokenizer, error) {
		lm, tk, err := LoadCPU(ctx, fsys)
		tok = tk
		return promptLM{LM: lm, mu: &mu, last: &last}, tk, err
	}})
	named := []string{`{"type":"function","function":{"name":"get_weather"}}`, `{"type":"function","function":{"name":"get_time"}}`, `"required"`}
	for _, tc := range []struct {
		model, opening string
		choices        []string
	}{
		{"chat-tools", "<|im_start|>assistant\n<tool_call>\n", named},
		{"chat-llama", "<|start_header_id|>assistant<|end_header_id|>\n\n", named},
		{"chat-mistral", "Weather in Oslo?[/INST][TOOL_CALLS][", []string{`"required"`}},
	} {
		names := map[string]int{}
		for _, choice := range tc.choices {
			for seed := 1; seed <= 3; seed++ {
				req := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"Weather in Oslo?"}],"temperature":1,"seed":%d,"max_tokens":120,"tools":%s,"tool_choice":%s}`, tc.model, seed, testTools, choice)
				rec := post(t, h, "/v1/chat/completions", req)
				if rec.Code != 200 {
					t.Fatalf("%s %s: status %d: %s", tc.model, choice, rec.Code, rec.Body)
				}
				m := oneChoice(t, rec.Body.Bytes())
				wantFinish := "stop"
				if choice == `"required"` {
					wantFinish = "tool_calls"
				}
				if m.FinishReason != wantFinish || m.Message.Content != nil || len(m.Message.ToolCalls) != 1 || m.Message.ToolCalls[0].Type != "function" || m.Message.ToolCalls[0].ID == "" {
					t.Fatalf("%s %s seed %d: %s", tc.model, choice, seed, rec.Body)
				}
				fn := m.Message.ToolCalls[0].Function
				names[fn.Name]++
				var err error
				switch {
				case strings.Contains(choice, "get_weather") && fn.Name != "get_weather", strings.Contains(choice, "get_time") && fn.Name != "get_time":
					err = fmt.Errorf("called %s", fn.Name)
				case fn.Name == "get_weather":
					err = weatherArgs(fn.Arguments)
				case fn.Name == "get_time":
					err = timeArgs(fn.Arguments)
				default:
					err = fmt.Errorf("called unknown %q", fn.Name)
				}
				if err != nil {
					t.Fatalf("%s %s seed %d: %v: %s", tc.model, choice, seed, err, rec.Body)
				}
				mu.Lock()
				prompt, _ := tok.Decode(last)
				mu.Unlock()
				if !strings.HasSuffix(prompt, tc.opening) || !strings.Contains(prompt, "get_weather") {
					t.Fatalf("%s: the prompt does not end with %q:\n%s", tc.model, tc.opening, prompt)
				}
			}
		}
		t.Logf("%s: calls per tool over all choices: %v", tc.model, names)

		for _, choice := range tc.choices {
			wantFinish := "stop"
			if choice == `"required"` {
				wantFinish = "tool_calls"
			}
			stream := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"Weather?"}],"stream":true,"seed":3,"temperature":1,"max_tokens":120,"tools":%s,"tool_choice":%s}`, tc.model, testTools, choice)
			rec := post(t, h, "/v1/chat/completions", stream)
			deltas, finish := streamDeltas(t, rec.Body.String())
			var calls []toolCallJSON
			for _, d := range deltas {
				if d.Content != nil && *d.Content != "" {
					t.Fatalf("%s: a forced call streamed text %q", tc.model, *d.Content)
				}
				calls = append(calls, d.ToolCalls...)
			}
			if finish != wantFinish || len(calls) != 1 || calls[0].Index == nil || *calls[0].Index != 0 {
				t.Fatalf("%s stream: %s", tc.model, rec.Body)
			}
			if err := weatherArgs(calls[0].Function.Arguments); calls[0].Function.Name == "get_weather" && err != nil {
				t.Fatalf("%s stream: %v", tc.model, err)
			}
			if err := timeArgs(calls[0].Function.Arguments); calls[0].Function.Name == "get_time" && err != nil {
				t.Fatalf("%s stream: %v", tc.model, err)
			}
		}
	}
}

// The forced call's grammar uses the model's key for the arguments and
// keeps the tool's schema as sent.
func TestForcedToolsGrammar(t *testing.T) {
	_, f, err := parseTools([]byte(testTools), []byte(`"required"`))
	if err != nil || f == nil || !slices.Equal(f.names, []string{"get_weather", "get_time"}) {
		t.Fatalf("parseTools: %v %+v", err, f)
	}
	for _, key := range []string{"arguments", "parameters"} {
		g, err := f.grammar(key)
		if err != nil {
			t.Fatal(err)
		}
		ok := `{"name":"get_time","` + key + `":{"utc_offset":-3}}`
		bad := []string{
			`{"name":"get_time","` + key + `":{"utc_offset":15}}`,
			`{"name":"get_clock","` + key + `":{"utc_offset":1}}`,
			`{"name":"get_weather","` + key + `":{"utc_offset":1}}`,
			strings.Replace(ok, key, map[string]string{"arguments": "parameters", "parameters": "arguments"}[key], 1),
		}
		if st := g.Start().Feed([]byte(ok)); st == nil || !st.Complete() {
			t.Errorf("%s: %s is refused", key, ok)
		}
		for _, b := range bad {
			if st := g.Start().Feed([]byte(b)); st != nil && st.Complete() {
				t.Errorf("%s: %s is accepted", key, b)
			}
		}
	}
	if _, f, err := parseTools([]byte(testTools), []byte(`"auto"`)); err != nil || f != nil {
		t.Fatalf("auto: %v %+v", err, f)
	}
	if tools, _, _ := parseTools([]byte(testTools), []byte(`{"type":"function","function":{"name":"get_time"}}`)); string(tools) != testTools {
		t.Fatalf("named: the tools rendered are not all the tools sent")
	}
}

// A Mistral answer (Nemo's [TOOL_CALLS][...] and Small 3.2's
// name[CALL_ID]id[ARGS]{...}) comes back as tool_calls, whole and streamed,
// with the text before it as content and no part of the call streamed.
func TestChatToolCallsMistral(t *testing.T) {
	dir := toolChoiceModels(t)
	const req = `{"model":"chat-mistral","messages":[{"role":"user","content":"Weather?"}],"max_tokens":200,"tools":[{"type":"function","function":{"name":"get_weather"}}]%s}`
	want := []toolFunction{{Name: "get_weather", Arguments: `{"city":"Oslo"}`}, {Name: "get_time", Arguments: `{}`}}
	for _, answer := range []string{
		`Checking.[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Oslo"}, "id": "abc123def"}, {"name": "get_time", "arguments": {}, "id": "abc123deg"}]`,
		`Checking.[TOOL_CALLS]get_weather[CALL_ID]abc123def[ARGS]{"city": "Oslo"}[TOOL_CALLS]get_time[ARGS]{}`,
	} {
		h := scriptedHandlerIn(t, dir, answer)
		rec := post(t, h, "/v1/chat/completions", fmt.Sprintf(req, ""))
		m := oneChoice(t, rec.Body.Bytes())
		if m.FinishReason != "tool_calls" || m.Message.Content == nil || *m.Message.Content != "Checking." || len(m.Message.ToolCalls) != 2 ||
			m.Message.ToolCalls[0].Function != want[0] || m.Message.ToolCalls[1].Function != want[1] {
			t.Fatalf("%q: %s", answer, rec.Body)
		}
		rec = post(t, h, "/v1/chat/completions", fmt.Sprintf(req, `,"stream":true`))
		deltas, finish := streamDeltas(t, rec.Body.String())
		text := ""
		var calls []toolFunction
		for _, d := range deltas {
			if d.Content != nil {
				text += *d.Content
			}
			for _, c := range d.ToolCalls {
				calls = append(calls, c.Function)
			}
		}
		if text != "Checking." || finish != "tool_calls" || !slices.Equal(calls, want) {
			t.Fatalf("%q streamed: text %q, finish %q, calls %+v", answer, text, finish, calls)
		}
	}
}

// choiceJSON is a chat.completion's one choice as a client reads it.
type choiceJSON struct {
	Message      toolDelta `json:"message"`
	FinishReason string    `json:"finish_reason"`
}

func oneChoice(t *testing.T, body []byte) choiceJSON {
	t.Helper()
	var resp struct{ Choices []choiceJSON }
	if err := json.Unmarshal(body, &resp); err != nil || len(resp.Choices) != 1 {
		t.Fatalf("%s: %v", body, err)
	}
	return resp.Choices[0]
}
