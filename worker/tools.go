package worker

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/lamina-ml/lamina/model/jsonmode"
	"github.com/lamina-ml/lamina/tokenizer/chattemplate"
)

// Tool calling in /v1/chat/completions: the request's tools go to the chat
// template (which writes them into the prompt in the model's own format),
// and the answer is parsed back into OpenAI's tool_calls where the format
// is one lamina knows (chattemplate.ParseToolCalls).

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

// forcedTools is a tool_choice that makes the model call a tool: "required"
// (any of the tools) or a named function (that one). The answer is then
// generated under a grammar for one call, {"name": one of names,
// "arguments": an object valid against that tool's parameters}, so it always
// is a call and its arguments always validate.
type forcedTools struct {
	names  []string
	params []json.RawMessage // each tool's parameters schema; nil: none given
	named  bool              // tool_choice named one function (not "required")
}

// callFinish is the finish_reason of an answer that made tool calls. OpenAI
// answers "stop" for a call forced by a named tool_choice, streamed or not,
// and "tool_calls" otherwise (the API's answers that vLLM PR #25054 records
// and aligns with: required → tool_calls, named → stop).
func callFinish(f *forcedTools) string {
	if f != nil && f.named {
		return "stop"
	}
	return "tool_calls"
}

// grammar compiles the call's grammar with argKey as the arguments' key
// (the model's format: "arguments" for Hermes, "parameters" for Llama 3's
// JSON calls). A parameters schema jsonmode cannot enforce is 422, a
// malformed one 400.
func (f *forcedTools) grammar(argKey string) (*jsonmode.Grammar, error) {
	key, _ := json.Marshal(argKey)
	var b bytes.Buffer
	b.WriteString(`{"anyOf":[`)
	for i, name := range f.names {
		if i > 0 {
			b.WriteByte(',')
		}
		n, _ := json.Marshal(name)
		params := f.params[i]
		if params == nil {
			params = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		fmt.Fprintf(&b, `{"type":"object","properties":{"name":{"const":%s},%s:%s},"required":["name",%s],"additionalProperties":false}`, n, key, params, key)
	}
	b.WriteString(`]}`)
	g, err := jsonmode.Compile(b.Bytes())
	var ue *jsonmode.UnsupportedError
	switch {
	case errors.As(err, &ue):
		return nil, unprocessable("unsupported_schema", "tool_choice forces a call, so the tools' parameters must be enforceable: %v", err)
	case err != nil:
		return nil, badRequest("invalid_tools", "tool_choice forces a call, so the tools' parameters must be valid JSON Schemas: %v", err)
	}
	return g, nil
}

// parseTools validates the request's tools (OpenAI's
// [{type: "function", function: {name, description, parameters}}]) and
// tool_choice, and returns the tools to render (nil for none: absent,
// empty, or tool_choice "none") and, for "required" or a named function,
// the call to force.
func parseTools(tools, choice json.RawMessage) ([]byte, *forcedTools, error) {
	tools, choice = bytes.TrimSpace(tools), bytes.TrimSpace(choice)
	mode, named := "auto", ""
	if len(choice) > 0 && string(choice) != "null" {
		if err := json.Unmarshal(choice, &mode); err != nil {
			var fn struct {
				Type     string `json:"type"`
				Function struct {
					Name string `json:"name"`
				} `json:"function"`
			}
			if json.Unmarshal(choice, &fn) != nil || fn.Type != "function" || fn.Function.Name == "" {
				return nil, nil, badRequest("invalid_tool_choice", `tool_choice must be "none", "auto", "required" or {"type": "function", "function": {"name": ...}}`)
			}
			mode, named = "named", fn.Function.Name
		}
		switch mode {
		case "none":
			return nil, nil, nil
		case "auto", "required", "named":
		default:
			return nil, nil, badRequest("invalid_tool_choice", `tool_choice %q: want "none", "auto" or "required"`, mode)
		}
	}
	var list []struct {
		Type     string                     `json:"type"`
		Function map[string]json.RawMessage `json:"function"`
	}
	if len(tools) > 0 && string(tools) != "null" {
		if err := json.Unmarshal(tools, &list); err != nil {
			return nil, nil, badRequest("invalid_tools", "tools must be an array of {type, function} objects: %v", err)
		}
	}
	if len(list) == 0 {
		if mode != "auto" {
			return nil, nil, badRequest("invalid_tool_choice", "tool_choice %s needs tools", string(choice))
		}
		return nil, nil, nil
	}
	var forced *forcedTools
	if mode != "auto" {
		forced = &forcedTools{named: mode == "named"}
	}
	for i, t := range list {
		if t.Type != "function" {
			return nil, nil, badRequest("invalid_tools", "tools[%d].type must be \"function\"", i)
		}
		var name string
		if err := json.Unmarshal(t.Function["name"], &name); err != nil || !toolName.MatchString(name) {
			return nil, nil, badRequest("invalid_tools", "tools[%d].function.name must be 1-64 letters, digits, _ or -", i)
		}
		p, ok := t.Function["parameters"]
		if ok {
			var obj map[string]json.RawMessage
			if json.Unmarshal(p, &obj) != nil {
				return nil, nil, badRequest("invalid_tools", "tools[%d].function.parameters must be a JSON Schema object", i)
			}
		}
		if forced != nil && (mode == "required" || name == named) {
			if slices.Contains(forced.names, name) {
				return nil, nil, badRequest("invalid_tools", "tools[%d]: a second function named %q", i, name)
			}
			forced.names = append(forced.names, name)
			forced.params = append(forced.params, p)
		}
	}
	if forced != nil && len(forced.names) == 0 {
		return nil, nil, badRequest("invalid_tool_choice", "tool_choice names function %q, which is not in tools", named)
	}
	if forced != nil {
		// Checked here so that a bad schema is a request error before the
		// model loads; runChat compiles it again with the model's key.
		if _, err := forced.grammar("arguments"); err != nil {
			return nil, nil, err
		}
	}
	// The tools are rendered as sent (key order kept, as transformers
	// keeps a Python dict's).
	return tools, forced, nil
}

// openAIToolCalls gives parsed calls OpenAI's shape with fresh ids.
func openAIToolCalls(calls []chattemplate.ToolCall) []toolCall {
	var out []toolCall
	for _, c := range calls {
		out = append(out, toolCall{ID: newToolCallID(), Type: "function", Function: toolFunction{Name: c.Name, Arguments: c.Arguments}})
	}
	return out
}

func newToolCallID() string {
	var b [12]byte
	rand.Read(b[:])
	return "call_" + hex.EncodeToString(b[:])
}

// forcedName names a forced tool_choice for messages: "required" or the
// function's name.
func forcedName(f *forcedTools, choice json.RawMessage) string {
	var s string
	if json.Unmarshal(choice, &s) == nil {
		return s
	}
	return f.names[0]
}
