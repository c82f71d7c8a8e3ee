package worker

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lamina-ml/lamina/tokenizer/chattemplate"
)

// The conversations of testdata/chat-tools/cases.json, sent as an OpenAI
// client sends them (tool_calls arguments as JSON strings), go through the
// worker's request parsing and the Go template engine and give byte for
// byte what Python's jinja2 renders from the same conversation in
// transformers' shape (arguments as objects): expected.json, written by
// render_expected.py.
func TestToolRenderingMatchesJinja2(t *testing.T) {
	dir := filepath.Join("testdata", "chat-tools")
	var cases []struct {
		Name   string          `json:"name"`
		OpenAI json.RawMessage `json:"openai"`
	}
	readJSON(t, filepath.Join(dir, "cases.json"), &cases)
	var expected map[string]map[string]struct {
		Output *string `json:"output"`
		Raised *string `json:"raised"`
		Error  *string `json:"error"`
	}
	readJSON(t, filepath.Join(dir, "expected.json"), &expected)
	if len(expected) < 5 {
		t.Fatalf("expected.json has %d templates", len(expected))
	}
	now := func() time.Time { return time.Date(2025, 7, 10, 12, 0, 0, 0, time.UTC) } // render_reference.py's FIXED_NOW
	for fn, results := range expected {
		src, err := os.ReadFile(filepath.Join("..", "tokenizer", "chattemplate", "testdata", "templates", fn))
		if err != nil {
			t.Fatal(err)
		}
		tc, _ := json.Marshal(map[string]string{"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>", "chat_template": string(src)})
		cfg, err := chattemplate.ParseConfig(tc)
		if err != nil {
			t.Fatalf("%s: %v", fn, err)
		}
		for _, cs := range cases {
			want, ok := results[cs.Name]
			if !ok {
				t.Fatalf("%s: no expected result for %s", fn, cs.Name)
			}
			body := strings.Replace(string(cs.OpenAI), "{", `{"model":"m",`, 1)
			c, err := parseChat([]byte(body))
			if err != nil {
				t.Fatalf("%s: %v", cs.Name, err)
			}
			got, err := cfg.Apply(chattemplate.Options{Messages: c.messages, Tools: c.tools, AddGenerationPrompt: true, Now: now})
			var te *chattemplate.Error
			switch {
			case want.Output != nil:
				if err != nil || got != *want.Output {
					t.Errorf("%s / %s: err %v, got\n%q\nwant (jinja2)\n%q", fn, cs.Name, err, got, *want.Output)
				}
			case want.Raised != nil:
				if !errors.As(err, &te) || te.Kind != chattemplate.ErrRaised || te.Msg != *want.Raised {
					t.Errorf("%s / %s: err %v, want raise_exception(%q)", fn, cs.Name, err, *want.Raised)
				}
			default:
				if err == nil {
					t.Errorf("%s / %s: rendered, but jinja2 failed: %s", fn, cs.Name, *want.Error)
				}
			}
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// scriptedLM answers every prompt with fixed token ids (then EOS): a tiny
// random model never writes a tool call by itself.
type scriptedLM struct {
	LM
	ids []int32
}

// ContextLength fits the tools' system prompt (the scripted answer does not
// run the model).
func (s scriptedLM) ContextLength() int { return 1 << 16 }

func (s scriptedLM) Generate(_ context.Context, _ []int32, _ SampleOptions, onToken func(int32) bool) error {
	for _, id := range s.ids {
		if !onToken(id) {
			break
		}
	}
	return nil
}

func scriptedHandler(t *testing.T, answer string) *Handler {
	t.Helper()
	return scriptedHandlerIn(t, modelsDir, answer)
}

// scriptedHandlerIn serves the models folder dir with scripted answers.
func scriptedHandlerIn(t *testing.T, dir, answer string) *Handler {
	t.Helper()
	return New(Config{Store: FSStore{FS: os.DirFS(dir)}, LoadLM: func(ctx context.Context, fsys fs.FS) (LM, Tokenizer, error) {
		lm, tok, err := LoadCPU(ctx, fsys)
		if err != nil {
			return nil, nil, err
		}
		ids, err := tok.(chatTokenizer).EncodeRendered(answer)
		if err != nil {
			return nil, nil, err
		}
		eos, ok := tok.(chatTokenizer).TokenID("<|endoftext|>") // the config's eos_token
		if !ok {
			return nil, nil, errors.New("no <|endoftext|> token")
		}
		ids = append(ids, eos)
		return scriptedLM{LM: lm, ids: ids}, tok, nil
	}})
}

// An answer in Qwen's format comes back as OpenAI tool_calls with
// finish_reason "tool_calls", whole and streamed; a plain answer with tools
// offered stays content.
func TestChatToolCalls(t *testing.T) {
	const req = `{"model":"chat-tools","messages":[{"role":"user","content":"How warm is it in Paris?"}],"max_tokens":200,
		"tools":[{"type":"function","function":{"name":"get_current_temperature","parameters":{"type":"object","properties":{"location":{"type":"string"}}}}}]}`
	call := "Let me check.\n<tool_call>\n{\"name\": \"get_current_temperature\", \"arguments\": {\"location\": \"Paris, France\"}}\n</tool_call>"
	type delta = toolDelta
	var whole struct {
		Choices []struct {
			Message      delta  `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	rec := post(t, scriptedHandler(t, call), "/v1/chat/completions", req)
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &whole); err != nil || len(whole.Choices) != 1 {
		t.Fatalf("%s: %v", rec.Body, err)
	}
	m := whole.Choices[0]
	wantFn := toolFunction{Name: "get_current_temperature", Arguments: `{"location":"Paris, France"}`}
	if m.FinishReason != "tool_calls" || len(m.Message.ToolCalls) != 1 || m.Message.ToolCalls[0].Function != wantFn ||
		m.Message.ToolCalls[0].Type != "function" || m.Message.ToolCalls[0].ID == "" || m.Message.ToolCalls[0].Index != nil ||
		m.Message.Content == nil || *m.Message.Content != "Let me check." {
		t.Fatalf("tool call answer: %s", rec.Body)
	}

	stream := strings.Replace(req, `"max_tokens":200`, `"max_tokens":200,"stream":true`, 1)
	rec = post(t, scriptedHandler(t, call), "/v1/chat/completions", stream)
	text := ""
	var calls []toolFunction
	deltas, finish := streamDeltas(t, rec.Body.String())
	for _, d := range deltas {
		if d.Content != nil {
			if strings.Contains(*d.Content, "<tool") {
				t.Fatalf("streamed the tool call as text: %q", *d.Content)
			}
			text += *d.Content
		}
		for i, tc := range d.ToolCalls {
			if tc.Index == nil || *tc.Index != i || tc.ID == "" || tc.Type != "function" {
				t.Fatalf("streamed tool call %+v", tc)
			}
			calls = append(calls, tc.Function)
		}
	}
	if strings.TrimSpace(text) != "Let me check." || finish != "tool_calls" || len(calls) != 1 || calls[0] != wantFn {
		t.Fatalf("stream: text %q, finish %q, calls %+v", text, finish, calls)
	}

	rec = post(t, scriptedHandler(t, "It is 22 <b>degrees</b>."), "/v1/chat/completions", req)
	whole.Choices = nil
	if err := json.Unmarshal(rec.Body.Bytes(), &whole); err != nil || len(whole.Choices) != 1 {
		t.Fatalf("%s: %v", rec.Body, err)
	}
	if m := whole.Choices[0]; m.FinishReason != "stop" || m.Message.ToolCalls != nil || m.Message.Content == nil || *m.Message.Content != "It is 22 <b>degrees</b>." {
		t.Fatalf("plain answer with tools: %s", rec.Body)
	}
}

// toolDelta is a message or a streamed delta with tool calls as a client
// reads it.
type toolDelta struct {
	Content   *string        `json:"content"`
	ToolCalls []toolCallJSON `json:"tool_calls"`
}

type toolCallJSON struct {
	Index    *int         `json:"index"`
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function toolFunction `json:"function"`
}

// streamDeltas reads a chat SSE stream (one choice per chunk) into its
// deltas and its finish reason.
func streamDeltas(t *testing.T, body string) (deltas []toolDelta, finish string) {
	t.Helper()
	for _, ev := range strings.Split(strings.TrimSpace(body), "\n\n") {
		ev = strings.TrimPrefix(ev, "data: ")
		if ev == "[DONE]" {
			continue
		}
		var c struct {
			Choices []struct {
				Delta        toolDelta `json:"delta"`
				FinishReason *string   `json:"finish_reason"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(ev), &c); err != nil || len(c.Choices) != 1 {
			t.Fatalf("event %q: %v", ev, err)
		}
		deltas = append(deltas, c.Choices[0].Delta)
		if f := c.Choices[0].FinishReason; f != nil {
			finish = *f
		}
	}
	return deltas, finish
}
