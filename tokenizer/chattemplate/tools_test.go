package chattemplate

import (
	"encoding/json"
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
	} {
		if got := ToolHoldback(tc.f, tc.text); got != tc.hold {
			t.Errorf("%d %q: hold %d, want %d", tc.f, tc.text, got, tc.hold)
		}
	}
}

// FuzzParseToolCalls: any model output parses without panicking, and every
// call it finds has a name and arguments that are a JSON object.
func FuzzParseToolCalls(f *testing.F) {
	f.Add("<tool_call>\n{\"name\": \"a\", \"arguments\": {\"x\": 1}}\n</tool_call>", true)
	f.Add("{\"name\": \"f\", \"parameters\": {}}", false)
	f.Fuzz(func(t *testing.T, text string, hermes bool) {
		f := ToolsJSON
		if hermes {
			f = ToolsHermes
		}
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
