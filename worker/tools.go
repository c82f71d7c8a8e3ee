package worker

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
)

// Tool calling in /v1/chat/completions: the request's tools go to the chat
// template (which writes them into the prompt in the model's own format),
// and the answer is parsed back into OpenAI's tool_calls where the format
// is one lamina knows.

// toolFormat is how a chat template asks the model to write a tool call.
type toolFormat int

const (
	// toolsUnknown: the template writes the tools but in no format
	// lamina parses; the answer stays text.
	toolsUnknown toolFormat = iota
	// toolsHermes: <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>,
	// one block per call (Hermes 2 Pro, Qwen2.5, Qwen3, SmolLM3).
	toolsHermes
	// toolsJSON: the whole answer is {"name": ..., "parameters": {...}}
	// (Llama 3.1/3.2's JSON tool calling).
	toolsJSON
)

// detectToolFormat reads the format from the prompt the template rendered
// with the tools: the instructions it gives the model.
func detectToolFormat(prompt string) toolFormat {
	switch {
	case strings.Contains(prompt, "<tool_call>"):
		return toolsHermes
	case strings.Contains(prompt, `{"name": function name, "parameters": dictionary of argument name and its value}`):
		return toolsJSON
	}
	return toolsUnknown
}

// toolFunction and toolCall are OpenAI's tool_calls entries. Index is set
// only in streamed deltas.
type toolFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type toolCall struct {
	Index    *int         `json:"index,omitempty"`
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function toolFunction `json:"function"`
}

// toolName is OpenAI's rule for function names.
var toolName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// parseTools validates the request's tools (OpenAI's
// [{type: "function", function: {name, description, parameters}}]) and
// tool_choice, and returns the tools to render (nil for none: absent,
// empty, or tool_choice "none").
func parseTools(tools, choice json.RawMessage) ([]byte, error) {
	tools, choice = bytes.TrimSpace(tools), bytes.TrimSpace(choice)
	if len(choice) > 0 && string(choice) != "null" {
		var s string
		if err := json.Unmarshal(choice, &s); err != nil {
			var named struct {
				Type string `json:"type"`
			}
			if json.Unmarshal(choice, &named) != nil || named.Type != "function" {
				return nil, badRequest("invalid_tool_choice", `tool_choice must be "none", "auto", "required" or {"type": "function", "function": {"name": ...}}`)
			}
			return nil, unprocessable("unsupported_tool_choice", "tool_choice naming a function is not supported (only none and auto)")
		}
		switch s {
		case "none":
			return nil, nil
		case "auto":
		case "required":
			return nil, unprocessable("unsupported_tool_choice", `tool_choice "required" is not supported (only none and auto)`)
		default:
			return nil, badRequest("invalid_tool_choice", `tool_choice %q: want "none", "auto" or "required"`, s)
		}
	}
	if len(tools) == 0 || string(tools) == "null" {
		return nil, nil
	}
	var list []struct {
		Type     string                     `json:"type"`
		Function map[string]json.RawMessage `json:"function"`
	}
	if err := json.Unmarshal(tools, &list); err != nil {
		return nil, badRequest("invalid_tools", "tools must be an array of {type, function} objects: %v", err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	for i, t := range list {
		if t.Type != "function" {
			return nil, badRequest("invalid_tools", "tools[%d].type must be \"function\"", i)
		}
		var name string
		if err := json.Unmarshal(t.Function["name"], &name); err != nil || !toolName.MatchString(name) {
			return nil, badRequest("invalid_tools", "tools[%d].function.name must be 1-64 letters, digits, _ or -", i)
		}
		if p, ok := t.Function["parameters"]; ok {
			var obj map[string]json.RawMessage
			if json.Unmarshal(p, &obj) != nil {
				return nil, badRequest("invalid_tools", "tools[%d].function.parameters must be a JSON Schema object", i)
			}
		}
	}
	// The tools are rendered as sent (key order kept, as transformers
	// keeps a Python dict's).
	return tools, nil
}

// templateToolCalls rewrites an assistant message's tool_calls for the
// template: OpenAI sends function.arguments as a JSON string, while
// templates (and transformers' documentation) take an object and write it
// with tojson, so a string holding an object becomes that object.
func templateToolCalls(raw json.RawMessage, i int) (any, error) {
	var calls []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &calls); err != nil {
		return nil, badRequest("invalid_tool_calls", "messages[%d].tool_calls must be an array of objects", i)
	}
	out := make([]any, len(calls))
	for j, c := range calls {
		var fn map[string]json.RawMessage
		if err := json.Unmarshal(c["function"], &fn); err != nil {
			return nil, badRequest("invalid_tool_calls", "messages[%d].tool_calls[%d].function must be an object", i, j)
		}
		var args string
		if json.Unmarshal(fn["arguments"], &args) == nil {
			var obj map[string]json.RawMessage
			if json.Unmarshal([]byte(args), &obj) == nil && bytes.HasPrefix(bytes.TrimSpace([]byte(args)), []byte("{")) {
				fn["arguments"] = json.RawMessage(args)
			}
		}
		call := map[string]any{}
		for k, v := range c {
			call[k] = v
		}
		call["function"] = orderedFunction(fn)
		out[j] = call
	}
	return out, nil
}

// orderedFunction writes name before arguments, then any other keys:
// templates that print a whole call with tojson show it in that order.
type orderedFunction map[string]json.RawMessage

func (f orderedFunction) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	put := func(k string, v json.RawMessage) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(v)
	}
	for _, k := range []string{"name", "arguments"} {
		if v, ok := f[k]; ok {
			put(k, v)
		}
	}
	var others []string
	for k := range f {
		if k != "name" && k != "arguments" {
			others = append(others, k)
		}
	}
	sort.Strings(others)
	for _, k := range others {
		put(k, f[k])
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// parseToolCalls splits a finished answer in format f into its text and
// its tool calls; calls is nil when the answer holds none (or one that is
// not valid JSON with a name, which then stays text).
func parseToolCalls(f toolFormat, text string) (content string, calls []toolCall) {
	switch f {
	case toolsHermes:
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
			c, ok := toolCallJSON(body, "arguments")
			if !ok {
				rest.WriteString(s) // not a call lamina can read: keep it as text
				break
			}
			rest.WriteString(s[:i])
			calls = append(calls, c)
			if end < 0 {
				break
			}
			s = after
		}
		if calls == nil {
			return text, nil
		}
		return strings.TrimSpace(rest.String()), calls
	case toolsJSON:
		body := strings.TrimPrefix(strings.TrimSpace(text), "<|python_tag|>")
		if c, ok := toolCallJSON(body, "parameters"); ok {
			return "", []toolCall{c}
		}
	}
	return text, nil
}

// toolCallJSON reads {"name": string, argsKey: object} (either key name for
// the arguments is accepted) as a call with a fresh id.
func toolCallJSON(s, argsKey string) (toolCall, bool) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(strings.TrimSpace(s)), &obj); err != nil {
		return toolCall{}, false
	}
	var name string
	if json.Unmarshal(obj["name"], &name) != nil || name == "" {
		return toolCall{}, false
	}
	args, ok := obj[argsKey]
	if !ok {
		args, ok = obj["arguments"]
	}
	if !ok {
		args, ok = obj["parameters"]
	}
	if !ok {
		args = json.RawMessage("{}")
	}
	var compact bytes.Buffer
	if json.Compact(&compact, args) != nil || compact.Len() == 0 || compact.Bytes()[0] != '{' {
		return toolCall{}, false
	}
	return toolCall{ID: newToolCallID(), Type: "function", Function: toolFunction{Name: name, Arguments: compact.String()}}, true
}

func newToolCallID() string {
	var b [12]byte
	rand.Read(b[:])
	return "call_" + hex.EncodeToString(b[:])
}

// toolHoldback is how much of the text streamed so far must wait because
// it may be (the start of) a tool call: from "<tool_call>" or a prefix of it
// at the end (Hermes), or everything while the answer may be one JSON call.
func toolHoldback(f toolFormat, text string) int {
	switch f {
	case toolsHermes:
		const open = "<tool_call>"
		if i := strings.Index(text, open); i >= 0 {
			return len(text) - i
		}
		for n := min(len(open)-1, len(text)); n > 0; n-- {
			if strings.HasSuffix(text, open[:n]) {
				return n
			}
		}
	case toolsJSON:
		t := strings.TrimSpace(text)
		if t == "" || strings.HasPrefix(t, "{") || strings.HasPrefix(t, "<|python_tag|>") || strings.HasPrefix("<|python_tag|>", t) {
			return len(text)
		}
	}
	return 0
}
