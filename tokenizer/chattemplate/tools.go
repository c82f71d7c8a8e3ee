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
	// one block per call (Hermes 2 Pro, Qwen2.5, Qwen3, SmolLM3, Granite 4).
	ToolsHermes
	// ToolsJSON: the whole answer is {"name": ..., "parameters": {...}}
	// (Llama 3.1/3.2's JSON tool calling, optionally after <|python_tag|>).
	ToolsJSON
	// ToolsMistral: [TOOL_CALLS] then a JSON array of {"name", "arguments",
	// "id"} (Mistral 7B v0.3, Nemo, Small 3.1), or [TOOL_CALLS]name[ARGS]{...}
	// per call, with [CALL_ID]id before [ARGS] in some (Small 3.2,
	// Devstral, Ministral 3).
	ToolsMistral
	// ToolsToolCallToken: <|tool_call|> then a call object or an array of
	// them, closed by <|/tool_call|> where the template says so (Phi-4-mini;
	// Granite 3.3 writes a list).
	ToolsToolCallToken
)

// toolOpening is the marker that starts a call in each format with one.
var toolOpening = map[ToolFormat]string{
	ToolsHermes:        "<tool_call>",
	ToolsMistral:       "[TOOL_CALLS]",
	ToolsToolCallToken: "<|tool_call|>",
}

// DetectToolFormat reads the format from a prompt rendered with tools: the
// instructions the template gave the model.
func DetectToolFormat(prompt string) ToolFormat {
	switch {
	case strings.Contains(prompt, "<tool_call>"):
		return ToolsHermes
	case strings.Contains(prompt, `{"name": function name, "parameters": dictionary of argument name and its value}`):
		return ToolsJSON
	case strings.Contains(prompt, "[AVAILABLE_TOOLS]"):
		return ToolsMistral
	case strings.Contains(prompt, "<|tool_call|>"):
		return ToolsToolCallToken
	}
	return ToolsUnknown
}

// ToolCallOpening is what an answer in format f writes before a call's
// JSON object: lamina writes it for the model when it forces a call
// (tool_choice "required" or a named function), then generates the object.
func ToolCallOpening(f ToolFormat) string {
	switch f {
	case ToolsHermes:
		return "<tool_call>\n"
	case ToolsMistral:
		return "[TOOL_CALLS]["
	}
	return toolOpening[f]
}

// ToolCall is one call read from an answer: the function's name and its
// arguments as compact JSON (an object).
type ToolCall struct {
	Name, Arguments string
}

// ParseToolCalls splits a finished answer in format f into its text and its
// tool calls; calls is nil when it holds none (an answer whose calls are not
// JSON with a name and object arguments stays text, whole).
func ParseToolCalls(f ToolFormat, text string) (content string, calls []ToolCall) {
	if f == ToolsJSON {
		body := strings.TrimPrefix(strings.TrimSpace(text), "<|python_tag|>")
		if c, ok := toolCallJSON(body); ok {
			return "", []ToolCall{c}
		}
		return text, nil
	}
	open := toolOpening[f]
	i := strings.Index(text, open)
	if open == "" || i < 0 {
		return text, nil
	}
	var before strings.Builder
	before.WriteString(text[:i])
	s := text[i:]
	for s != "" {
		var got []ToolCall
		var rest string
		var ok bool
		switch f {
		case ToolsHermes:
			got, rest, ok = hermesCall(s)
		case ToolsMistral:
			got, rest, ok = mistralCalls(s)
		case ToolsToolCallToken:
			got, rest, ok = tokenCalls(s)
		}
		if !ok {
			return text, nil // not calls lamina can read: keep it as text
		}
		calls = append(calls, got...)
		// Text between and after calls is content.
		j := strings.Index(rest, open)
		if f == ToolsHermes && j != 0 {
			// Hermes 2 Pro's template writes a second call without its
			// <tool_call> (only the closing tag): a bare call object
			// followed by </tool_call> is a call too.
			if t := strings.TrimLeft(rest, " \n"); strings.HasPrefix(t, "{") {
				if k := strings.Index(t, "</tool_call>"); k >= 0 {
					if c, ok := toolCallJSON(t[:k]); ok {
						calls = append(calls, c)
						rest = t[k+len("</tool_call>"):]
						j = strings.Index(rest, open)
					}
				}
			}
		}
		if j < 0 {
			before.WriteString(rest)
			break
		}
		before.WriteString(rest[:j])
		s = rest[j:]
	}
	return strings.TrimSpace(before.String()), calls
}

// hermesCall reads <tool_call>{json}</tool_call> at the start of s (the
// closing tag may be missing when the answer was cut after the JSON).
func hermesCall(s string) ([]ToolCall, string, bool) {
	body := strings.TrimPrefix(s, "<tool_call>")
	rest := ""
	if end := strings.Index(body, "</tool_call>"); end >= 0 {
		body, rest = body[:end], body[end+len("</tool_call>"):]
	}
	c, ok := toolCallJSON(body)
	return []ToolCall{c}, rest, ok
}

// mistralCalls reads [TOOL_CALLS] and its calls at the start of s: a JSON
// array of call objects, or name([CALL_ID]id)?[ARGS]{json}.
func mistralCalls(s string) ([]ToolCall, string, bool) {
	s = strings.TrimLeft(strings.TrimPrefix(s, "[TOOL_CALLS]"), " ")
	if strings.HasPrefix(s, "[") {
		return callList(s)
	}
	i := strings.Index(s, "[ARGS]")
	if i < 0 {
		return nil, "", false
	}
	name := s[:i]
	if j := strings.Index(name, "[CALL_ID]"); j >= 0 {
		name = name[:j]
	}
	if !validName(name) {
		return nil, "", false
	}
	args, rest, ok := jsonPrefix(s[i+len("[ARGS]"):])
	if !ok || !strings.HasPrefix(args, "{") {
		return nil, "", false
	}
	return []ToolCall{{Name: name, Arguments: args}}, rest, true
}

// tokenCalls reads <|tool_call|> and one call object or an array of them at
// the start of s, then an optional <|/tool_call|>.
func tokenCalls(s string) ([]ToolCall, string, bool) {
	s = strings.TrimLeft(strings.TrimPrefix(s, "<|tool_call|>"), " \n")
	var calls []ToolCall
	var rest string
	ok := false
	if strings.HasPrefix(s, "[") {
		calls, rest, ok = callList(s)
	} else if obj, r, isJSON := jsonPrefix(s); isJSON {
		var c ToolCall
		c, ok = toolCallJSON(obj)
		calls, rest = []ToolCall{c}, r
	}
	if !ok {
		return nil, "", false
	}
	return calls, strings.TrimPrefix(strings.TrimLeft(rest, " \n"), "<|/tool_call|>"), true
}

// callList reads a JSON array of call objects at the start of s.
func callList(s string) ([]ToolCall, string, bool) {
	arr, rest, ok := jsonPrefix(s)
	var items []json.RawMessage
	if !ok || json.Unmarshal([]byte(arr), &items) != nil || len(items) == 0 {
		return nil, "", false
	}
	calls := make([]ToolCall, len(items))
	for i, it := range items {
		if calls[i], ok = toolCallJSON(string(it)); !ok {
			return nil, "", false
		}
	}
	return calls, rest, true
}

// jsonPrefix reads the JSON value at the start of s (after spaces) and
// returns it compacted and the text after it.
func jsonPrefix(s string) (value, rest string, ok bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	var v json.RawMessage
	if dec.Decode(&v) != nil {
		return "", "", false
	}
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return "", "", false
	}
	return b.String(), s[dec.InputOffset():], true
}

// validName is a function name a parsed call may have: non-empty, no
// spaces or brackets (what a model writes before [ARGS]).
func validName(s string) bool {
	return s != "" && !strings.ContainsAny(s, " \t\n[]{}\"")
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
// be streamed yet because they may be (the start of) a tool call: from the
// format's opening marker or a prefix of it at the end, or everything while
// the answer may still be one JSON call (Llama 3).
func ToolHoldback(f ToolFormat, text string) int {
	if f == ToolsJSON {
		t := strings.TrimSpace(text)
		if t == "" || strings.HasPrefix(t, "{") || strings.HasPrefix(t, "<|python_tag|>") || strings.HasPrefix("<|python_tag|>", t) {
			return len(text)
		}
		return 0
	}
	open := toolOpening[f]
	if open == "" {
		return 0
	}
	if i := strings.Index(text, open); i >= 0 {
		return len(text) - i
	}
	for n := min(len(open)-1, len(text)); n > 0; n-- {
		if strings.HasSuffix(text, open[:n]) {
			return n
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
