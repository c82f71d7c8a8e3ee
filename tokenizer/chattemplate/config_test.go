package chattemplate

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestConfigApply builds tokenizer_config.json files around vendored
// templates (special tokens as plain strings and as AddedToken objects,
// chat_template as a string and as the named list) and checks Apply
// against jinja2's expected output for the same case.
func TestConfigApply(t *testing.T) {
	var cases []refCase
	var tools map[string]json.RawMessage
	var expected struct {
		Results map[string]map[string]refResult `json:"results"`
	}
	loadJSON(t, "cases.json", &cases)
	loadJSON(t, "tools.json", &tools)
	loadJSON(t, "expected.json", &expected)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", "templates", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	llama, qwen := read("meta-llama--Llama-3.1-8B-Instruct.jinja"), read("Qwen--Qwen2.5-7B-Instruct.jinja")
	cfg := func(chatTemplate any) []byte {
		b, err := json.Marshal(map[string]any{
			"bos_token":        map[string]any{"__type": "AddedToken", "content": "<s>", "lstrip": false},
			"eos_token":        "</s>",
			"unk_token":        map[string]any{"content": "<unk>"},
			"pad_token":        "<pad>",
			"chat_template":    chatTemplate,
			"model_max_length": 131072,
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	single, err := ParseConfig(cfg(llama))
	if err != nil {
		t.Fatal(err)
	}
	named, err := ParseConfig(cfg([]map[string]string{{"name": "default", "template": llama}, {"name": "tool_use", "template": qwen}}))
	if err != nil {
		t.Fatal(err)
	}
	if got := named.Names(); len(got) != 2 || got[0] != "default" || got[1] != "tool_use" {
		t.Fatalf("names %v", got)
	}
	for _, c := range cases {
		o := caseOptions(c, tools, true)
		o.Vars = nil
		if c.Vars != nil {
			o.Vars = c.Vars
		}
		check := func(conf *Config, tmplFile string) {
			w := expected.Results[tmplFile][c.Name+"/agp=true"]
			got, err := conf.Apply(o)
			switch {
			case w.Output != nil:
				if err != nil || got != *w.Output {
					t.Errorf("%s via config: got (%q, %v), want %q", c.Name, got, err, *w.Output)
				}
			case err == nil:
				t.Errorf("%s via config: got %q, want an error", c.Name, got)
			}
		}
		check(single, "meta-llama--Llama-3.1-8B-Instruct.jinja")
		if o.Tools != nil {
			check(named, "Qwen--Qwen2.5-7B-Instruct.jinja")
		} else {
			check(named, "meta-llama--Llama-3.1-8B-Instruct.jinja")
		}
	}
}

func TestConfigWithoutTemplate(t *testing.T) {
	c, err := ParseConfig([]byte(`{"bos_token": "<s>", "eos_token": {"content": "</s>"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.SpecialTokens["eos_token"] != "</s>" {
		t.Errorf("eos_token %v", c.SpecialTokens["eos_token"])
	}
	if _, err := c.Apply(Options{Messages: []byte(`[]`)}); !errors.Is(err, ErrNoTemplate) {
		t.Errorf("got %v, want ErrNoTemplate", err)
	}
	if _, err := ParseConfig([]byte(`{"chat_template": "{% if %}"}`)); err == nil {
		t.Error("a broken template parsed")
	}
	if _, err := ParseConfig([]byte(`{"chat_template": 5}`)); err == nil {
		t.Error("a numeric chat_template parsed")
	}
	if _, err := ParseConfig([]byte(`not json`)); err == nil {
		t.Error("bad JSON parsed")
	}
}
