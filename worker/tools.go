package worker

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"regexp"

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
