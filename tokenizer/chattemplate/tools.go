package chattemplate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Tool calling around a template: the tools go in through Options.Tools and
// the template writes them into the prompt with its model's instructions
// for calling them; these helpers read a model's answer in the formats
// lamina knows back into calls, and give templates the tool calls of
// earlier turns in the shape they expect.

// ToolFormat is how a chat template asks the model to write a tool call.
type ToolFormat int

const (
	// ToolsUnknown: no format lamina parses (the answer stays text).
	ToolsUnknown ToolFormat = iota
	// ToolsHermes: <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>,
	// one block per call (Hermes 2 Pro, Qwen2.5, Qwen3, SmolLM3).
	ToolsHermes
	// ToolsJSON: the whole answer is {"name": ..., "parameters": {...}}
	// (Llama 3.1/3.2's JSON tool calling, optionally after <|python_tag|>).
	ToolsJSON
)

// DetectToolFormat reads the format from a prompt rendered with tools: the
// instructions the template gave the model.
func DetectToolFormat(prompt string) ToolFormat {
	switch {
	case strings.Contains(prompt, "<tool_call>"):
		return ToolsHermes
	case strings.Contains(prompt, `{"name": function name, "parameters": dictionary of argument name and its value}`):
		return ToolsJSON
	}
	return ToolsUnknown
}

// ToolCallOpening is what an answer in format f writes before a call's
// JSON: lamina writes it for the model when it forces a call (tool_choice
// "required" or a named function), then generates the JSON.
func ToolCallOpening(f ToolFormat) string {
	if f == ToolsHermes {
		return "<tool_call>\n"
	}
	return ""
}

// ToolCall is one call read from an answer: the function's name and its
// arguments as compact JSON (an object).
type ToolCall struct {
	Name, Arguments string
}

// ParseToolCalls splits a finished answer in format f into its text and its
// tool calls; calls is nil when it holds none (a block that is not JSON
// with a name and object arguments stays text).
func ParseToolCalls(f ToolFormat, text string) (content string, calls []ToolCall) {
	switch f {
	case ToolsHermes:
		const open, close = "<tool_call>", "</tool_call>"
		var rest strings.Builder
		s := text
		for {
			i := strings.Index(s, open)
			if i < 0 {
				rest.WriteString(s)
				break
			}
			body := s[i+len(open):]
			end := strings.Index(body, close)
			after := ""
			if end >= 0 {
				body, after = body[:end], body[end+len(close):]
			}
			c, ok := toolCallJSON(body)
			if !ok {
				rest.WriteString(s) // not a call lamina can read: keep it as text
				break
			}
			rest.WriteString(s[:i])
			calls = append(calls, c)
			if end < 0 { // cut before </tool_call> (EOS, length) with the JSON whole
				break
			}
			s = after
		}
		if calls == nil {
			return text, nil
		}
		return strings.TrimSpace(rest.String()), calls
	case ToolsJSON:
		body := strings.TrimPrefix(strings.TrimSpace(text), "<|python_tag|>")
		if c, ok := toolCallJSON(body); ok {
			return "", []ToolCall{c}
		}
	}
	return text, nil
}

// toolCallJSON reads {"name": string, "arguments" or "parameters": object}.
func toolCallJSON(s string) (ToolCall, bool) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(strings.TrimSpace(s)), &obj); err != nil {
		return ToolCall{}, false
	}
	var name string
	if json.Unmarshal(obj["name"], &name) != nil || name == "" {
		return ToolCall{}, false
	}
	args, ok := obj["arguments"]
	if !ok {
		args, ok = obj["parameters"]
	}
	if !ok {
		args = json.RawMessage("{}")
	}
	var compact bytes.Buffer
	if json.Compact(&compact, args) != nil || compact.Len() == 0 || compact.Bytes()[0] != '{' {
		return ToolCall{}, false
	}
	return ToolCall{Name: name, Arguments: compact.String()}, true
}

// ToolHoldback is how many bytes at the end of a partial answer must not
// be streamed yet because they may be (the start of) a tool call: from
// "<tool_call>" or a prefix of it at the end (Hermes), or everything while
// the answer may still be one JSON call.
func ToolHoldback(f ToolFormat, text string) int {
	switch f {
	case ToolsHermes:
		const open = "<tool_call>"
		if i := strings.Index(text, open); i >= 0 {
			return len(text) - i
		}
		for n := min(len(open)-1, len(text)); n > 0; n-- {
			if strings.HasSuffix(text, open[:n]) {
				return n
			}
		}
	case ToolsJSON:
		t := strings.TrimSpace(text)
		if t == "" || strings.HasPrefix(t, "{") || strings.HasPrefix(t, "<|python_tag|>") || strings.HasPrefix("<|python_tag|>", t) {
			return len(text)
		}
	}
	return 0
}

// ToolCallArgumentsAsObjects rewrites a messages array for templates:
// OpenAI's clients send an assistant message's
// tool_calls[].function.arguments as a JSON string, while templates (and
// transformers' documentation) take an object and print it with tojson, so
// a string holding a JSON object becomes that object. Everything else,
// key order included, is kept.
func ToolCallArgumentsAsObjects(messages []byte) ([]byte, error) {
	var msgs []json.RawMessage
	if err := json.Unmarshal(messages, &msgs); err != nil {
		return nil, fmt.Errorf("messages must be an array: %v", err)
	}
	changed := false
	for i, m := range msgs {
		out, err := mapObject(m, func(k string, v json.RawMessage) (json.RawMessage, error) {
			if k != "tool_calls" || string(bytes.TrimSpace(v)) == "null" {
				return v, nil
			}
			var calls []json.RawMessage
			if err := json.Unmarshal(v, &calls); err != nil {
				return nil, fmt.Errorf("messages[%d].tool_calls must be an array of objects", i)
			}
			for j, c := range calls {
				var err error
				calls[j], err = mapObject(c, func(k string, v json.RawMessage) (json.RawMessage, error) {
					if k != "function" {
						return v, nil
					}
					return mapObject(v, func(k string, v json.RawMessage) (json.RawMessage, error) {
						var s string
						if k != "arguments" || json.Unmarshal(v, &s) != nil {
							return v, nil
						}
						var obj map[string]json.RawMessage
						if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") && json.Unmarshal([]byte(t), &obj) == nil {
							return json.RawMessage(t), nil
						}
						return v, nil
					})
				})
				if err != nil {
					return nil, fmt.Errorf("messages[%d].tool_calls[%d]: %v", i, j, err)
				}
			}
			changed = true
			return json.Marshal(calls)
		})
		if err != nil {
			return nil, err
		}
		msgs[i] = out
	}
	if !changed {
		return messages, nil
	}
	return json.Marshal(msgs)
}

// mapObject re-encodes the JSON object raw with each value replaced by
// f(key, value), keeping the keys' order. raw that is not an object is an
// error.
func mapObject(raw json.RawMessage, f func(key string, v json.RawMessage) (json.RawMessage, error)) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("want an object")
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if v, err = f(k, v); err != nil {
			return nil, err
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
