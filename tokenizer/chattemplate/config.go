package chattemplate

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Config is the chat part of a Hugging Face tokenizer_config.json: its
// chat template(s) and the special tokens apply_chat_template passes to
// them as variables.
type Config struct {
	// Templates by name. A config whose chat_template is one string has
	// just "default"; the list form ([{"name": ..., "template": ...}])
	// keeps its names (e.g. "default", "tool_use", "rag").
	Templates map[string]*Template
	// SpecialTokens holds bos_token, eos_token, unk_token, sep_token,
	// pad_token, cls_token and mask_token where the config sets them
	// (plain strings or AddedToken objects), and additional_special_tokens.
	SpecialTokens map[string]any
}

var specialTokenKeys = []string{"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}

// ParseConfig reads tokenizer_config.json. A config without a
// chat_template gives a Config with no Templates (the model has no chat
// format); a template that does not parse is an error naming it.
func ParseConfig(data []byte) (*Config, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, &Error{Kind: ErrType, Msg: fmt.Sprintf("tokenizer_config.json: %v", err)}
	}
	c := &Config{Templates: map[string]*Template{}, SpecialTokens: map[string]any{}}
	for _, k := range specialTokenKeys {
		if tok, ok := tokenContent(raw[k]); ok {
			c.SpecialTokens[k] = tok
		}
	}
	if extra, ok := raw["additional_special_tokens"]; ok {
		var items []json.RawMessage
		if json.Unmarshal(extra, &items) == nil {
			list := []any{}
			for _, it := range items {
				if tok, ok := tokenContent(it); ok {
					list = append(list, tok)
				}
			}
			c.SpecialTokens["additional_special_tokens"] = list
		}
	}
	ct, ok := raw["chat_template"]
	if !ok || string(ct) == "null" {
		return c, nil
	}
	var one string
	if json.Unmarshal(ct, &one) == nil {
		t, err := Parse(one)
		if err != nil {
			return nil, fmt.Errorf("chat_template: %w", err)
		}
		c.Templates["default"] = t
		return c, nil
	}
	var named []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(ct, &named); err != nil {
		return nil, &Error{Kind: ErrType, Msg: "chat_template is neither a string nor a list of {name, template}"}
	}
	for _, n := range named {
		t, err := Parse(n.Template)
		if err != nil {
			return nil, fmt.Errorf("chat_template %q: %w", n.Name, err)
		}
		c.Templates[n.Name] = t
	}
	return c, nil
}

// tokenContent reads a special token written as "text" or as an
// AddedToken object {"content": "text", ...}.
func tokenContent(raw json.RawMessage) (string, bool) {
	if raw == nil {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var obj struct {
		Content *string `json:"content"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.Content != nil {
		return *obj.Content, true
	}
	return "", false
}

// Template picks the template apply_chat_template would: "tool_use" when
// tools are given and the config has one, else "default", else the only
// one. It returns nil when the config has no chat template.
func (c *Config) Template(hasTools bool) *Template {
	if hasTools {
		if t, ok := c.Templates["tool_use"]; ok {
			return t
		}
	}
	if t, ok := c.Templates["default"]; ok {
		return t
	}
	if len(c.Templates) == 1 {
		for _, t := range c.Templates {
			return t
		}
	}
	return nil
}

// Names lists the config's template names, sorted.
func (c *Config) Names() []string {
	var out []string
	for n := range c.Templates {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ErrNoTemplate is returned by Apply for a config without a chat template.
var ErrNoTemplate = &Error{Kind: ErrSyntax, Msg: "tokenizer_config.json has no usable chat_template"}

// Apply renders a conversation the way
// tokenizer.apply_chat_template(messages, tools=tools, tokenize=False,
// add_generation_prompt=..., **vars) does: the chosen template with the
// special tokens and then vars (which win) as variables. opts.Vars is
// copied, not modified.
func (c *Config) Apply(opts Options) (string, error) {
	t := c.Template(opts.Tools != nil)
	if t == nil {
		return "", ErrNoTemplate
	}
	vars := make(map[string]any, len(c.SpecialTokens)+len(opts.Vars))
	for k, v := range c.SpecialTokens {
		vars[k] = v
	}
	for k, v := range opts.Vars {
		vars[k] = v
	}
	opts.Vars = vars
	return t.Render(opts)
}
