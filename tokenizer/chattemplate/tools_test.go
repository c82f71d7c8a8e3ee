package chattemplate

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestParseToolCalls(t *testing.T) {
	for _, tc := range []struct {
		f       ToolFormat
		text    string
		content string
		calls   []ToolCall // nil: the text stays text
	}{
		{ToolsHermes, "<tool_call>\n{\"name\": \"get_current_temperature\", \"arguments\": {\"location\": \"Paris, France\", \"unit\": \"celsius\"}}\n</tool_call>", "",
			[]ToolCall{{"get_current_temperature", `{"location":"Paris, France","unit":"celsius"}`}}},
		{ToolsHermes, "Let me check.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call>\n<tool_call>\n{\"name\": \"b\", \"arguments\": {\"x\": [1, 2]}}\n</tool_call>", "Let me check.",
			[]ToolCall{{"a", `{}`}, {"b", `{"x":[1,2]}`}}},
		// Cut before </tool_call> (EOS or length) but the JSON is whole.
		{ToolsHermes, "<tool_call>\n{\"name\": \"a\", \"arguments\": {\"q\": \"x\"}}", "", []ToolCall{{"a", `{"q":"x"}`}}},
		{ToolsHermes, "<tool_call>\n{\"name\": \"a\", \"arguments\": {\"q\": ", "<tool_call>\n{\"name\": \"a\", \"arguments\": {\"q\": ", nil},
		{ToolsHermes, "<tool_call>{\"arguments\": {}}</tool_call>", "<tool_call>{\"arguments\": {}}</tool_call>", nil},
		{ToolsHermes, "<tool_call>{\"name\": \"a\", \"arguments\": \"x=1\"}</tool_call>", "<tool_call>{\"name\": \"a\", \"arguments\": \"x=1\"}</tool_call>", nil},
		{ToolsHermes, "It is 22 degrees.", "It is 22 degrees.", nil},
		{ToolsJSON, "{\"name\": \"get_current_temperature\", \"parameters\": {\"location\": \"Paris\"}}", "",
			[]ToolCall{{"get_current_temperature", `{"location":"Paris"}`}}},
		{ToolsJSON, "<|python_tag|>{\"name\": \"f\", \"parameters\": {}}", "", []ToolCall{{"f", `{}`}}},
		{ToolsJSON, "The answer is {\"name\": 1}", "The answer is {\"name\": 1}", nil},
		{ToolsUnknown, "<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call>", "<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call>", nil},
		{ToolsMistral, "Checking.[TOOL_CALLS]f[ARGS]{\"a\": 1} done", "Checking. done", []ToolCall{{"f", `{"a":1}`}}},
		{ToolsMistral, "[TOOL_CALLS]f[ARGS]\"a\"", "[TOOL_CALLS]f[ARGS]\"a\"", nil},
		{ToolsMistral, "[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": []}]", "[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": []}]", nil},
		{ToolsMistral, "[TOOL_CALLS] []", "[TOOL_CALLS] []", nil},
		{ToolsMistral, "[TOOL_CALLS]bad name[ARGS]{}", "[TOOL_CALLS]bad name[ARGS]{}", nil},
		// Granite 3.3's instructions: <|tool_call|> followed by a JSON list.
		{ToolsToolCallToken, "<|tool_call|>[{\"name\": \"f\", \"arguments\": {\"x\": \"y\"}}, {\"name\": \"g\", \"arguments\": {}}]", "",
			[]ToolCall{{"f", `{"x":"y"}`}, {"g", `{}`}}},
		{ToolsToolCallToken, "<|tool_call|>{\"name\": \"f\"", "<|tool_call|>{\"name\": \"f\"", nil},
	} {
		content, calls := ParseToolCalls(tc.f, tc.text)
		fns := calls
		if content != tc.content || len(fns) != len(tc.calls) {
			t.Errorf("%q: content %q, calls %+v; want %q, %+v", tc.text, content, fns, tc.content, tc.calls)
			continue
		}
		for i := range fns {
			if fns[i] != tc.calls[i] {
				t.Errorf("%q: call %d is %+v, want %+v", tc.text, i, fns[i], tc.calls[i])
			}
		}
	}
}

func TestToolHoldback(t *testing.T) {
	for _, tc := range []struct {
		f    ToolFormat
		text string
		hold int
	}{
		{ToolsHermes, "Hello", 0},
		{ToolsHermes, "Hello <tool", 5},
		{ToolsHermes, "Hello <", 1},
		{ToolsHermes, "Hello <b>", 0},
		{ToolsHermes, "Hi <tool_call>\n{\"na", len("<tool_call>\n{\"na")},
		{ToolsJSON, "", 0},
		{ToolsJSON, " {\"name\"", 8},
		{ToolsJSON, "<|pyt", 5},
		{ToolsJSON, "Sunny", 0},
		{ToolsUnknown, "<tool_call>", 0},
		{ToolsMistral, "Sure [TOOL_", 6},
		{ToolsMistral, "Sure [b]", 0},
		{ToolsToolCallToken, "ok <|tool_call|>{", 14},
		{ToolsToolCallToken, "ok <|", 2},
	} {
		if got := ToolHoldback(tc.f, tc.text); got != tc.hold {
			t.Errorf("%d %q: hold %d, want %d", tc.f, tc.text, got, tc.hold)
		}
	}
}

// FuzzParseToolCalls: any model output parses without panicking in every
// format, and every call it finds has a name and arguments that are a JSON
// object.
func FuzzParseToolCalls(f *testing.F) {
	f.Add("<tool_call>\n{\"name\": \"a\", \"arguments\": {\"x\": 1}}\n</tool_call>", uint8(ToolsHermes))
	f.Add("{\"name\": \"f\", \"parameters\": {}}", uint8(ToolsJSON))
	f.Fuzz(func(t *testing.T, text string, format uint8) {
		f := ToolFormat(format % 5)
		_, calls := ParseToolCalls(f, text)
		for _, c := range calls {
			var args map[string]any
			if c.Name == "" || json.Unmarshal([]byte(c.Arguments), &args) != nil {
				t.Fatalf("call %+v from %q", c, text)
			}
		}
		if h := ToolHoldback(f, text); h < 0 || h > len(text) {
			t.Fatalf("holdback %d of %q", h, text)
		}
	})
}

// The calls real templates write (rendered by jinja2: tool_answers.py) parse
// back into the calls they were rendered from, in the format read from the
// same template's prompt with tools.
func TestParseTemplateToolCalls(t *testing.T) {
	var entries []struct {
		Template, Format, Prompt string
		Answers                  []struct {
			Calls []struct {
				Function struct {
					Name      string
					Arguments json.RawMessage
				}
			}
			Text        *string
			NotRendered bool `json:"not_rendered"`
		}
	}
	data, err := os.ReadFile("testdata/tool_answers.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &entries); err != nil {
		t.Fatal(err)
	}
	formats := map[string]ToolFormat{"hermes": ToolsHermes, "json": ToolsJSON, "mistral": ToolsMistral, "tool_call_token": ToolsToolCallToken}
	parsed := map[ToolFormat]int{}
	for _, e := range entries {
		f, ok := formats[e.Format]
		if !ok {
			t.Fatalf("%s: format %q", e.Template, e.Format)
		}
		if got := DetectToolFormat(e.Prompt); got != f {
			t.Errorf("%s: detected format %d, want %s", e.Template, got, e.Format)
			continue
		}
		for _, a := range e.Answers {
			if a.Text == nil {
				continue // raised (one call at a time) or not rendered
			}
			content, calls := ParseToolCalls(f, *a.Text)
			if len(calls) != len(a.Calls) || (toolOpening[f] != "" && strings.Contains(content, toolOpening[f])) || strings.Contains(content, "{") {
				t.Errorf("%s: %q: content %q, calls %+v", e.Template, *a.Text, content, calls)
				continue
			}
			for i, c := range calls {
				var want bytes.Buffer
				json.Compact(&want, a.Calls[i].Function.Arguments)
				if c.Name != a.Calls[i].Function.Name || c.Arguments != want.String() {
					t.Errorf("%s: call %d is %+v, want %s %s", e.Template, i, c, a.Calls[i].Function.Name, want.String())
				}
			}
			parsed[f]++
		}
	}
	if len(parsed) != 4 {
		t.Fatalf("answers parsed per format: %v", parsed)
	}
	t.Logf("answers parsed per format (hermes, json, mistral, <|tool_call|>): %d %d %d %d", parsed[ToolsHermes], parsed[ToolsJSON], parsed[ToolsMistral], parsed[ToolsToolCallToken])
}

// OpenAI-style string arguments become objects; the rest of the messages,
// key order included, is unchanged.
func TestToolCallArgumentsAsObjects(t *testing.T) {
	in := `[{"role":"user","content":"x"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"b\": 1, \"a\": [2]}"}},` +
		`{"function":{"arguments":"not json","name":"g"}},{"function":{"name":"h","arguments":{"z":1}}}]},{"role":"tool","tool_call_id":"c1","content":"3"}]`
	want := `[{"role":"user","content":"x"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":{"b": 1, "a": [2]}}},` +
		`{"function":{"arguments":"not json","name":"g"}},{"function":{"name":"h","arguments":{"z":1}}}]},{"role":"tool","tool_call_id":"c1","content":"3"}]`
	got, err := ToolCallArgumentsAsObjects([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if json.Unmarshal(got, &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		t.Fatalf("not JSON: %s", got)
	}
	if gb, _ := json.Marshal(g); string(gb) != func() string { wb, _ := json.Marshal(w); return string(wb) }() {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	// Key order: "arguments" before "name" stays so in the second call.
	if i, j := strings.Index(string(got), `"arguments":"not json"`), strings.Index(string(got), `"name":"g"`); i < 0 || j < i {
		t.Fatalf("key order lost: %s", got)
	}
	for _, bad := range []string{`{}`, `[{"role":"assistant","tool_calls":{}}]`, `[{"role":"assistant","tool_calls":[{"function":[]}]}]`} {
		if _, err := ToolCallArgumentsAsObjects([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
