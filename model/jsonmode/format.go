package jsonmode

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/lamina-ml/lamina/tokenizer"
)

// TokenizerVocab is the Vocab of ids 0..size-1 (the model's vocabulary,
// which may be larger or smaller than the tokenizer's) as tok.TokenBytes
// gives them; special tokens other than byte-fallback ones are left out,
// so a constraint never picks them.
func TokenizerVocab(tok *tokenizer.Tokenizer, size int) *Vocab {
	special := map[int32]bool{}
	for _, a := range tok.SpecialTokens() {
		if !tok.IsByteToken(a.ID) {
			special[a.ID] = true
		}
	}
	toks := make([][]byte, size)
	for id := range toks {
		if !special[int32(id)] {
			toks[id], _ = tok.TokenBytes(int32(id))
		}
	}
	return NewVocab(toks)
}

// FormatError is a response_format that is not one of OpenAI's shapes.
type FormatError struct{ Msg string }

func (e *FormatError) Error() string { return "jsonmode: response_format: " + e.Msg }

// ParseResponseFormat reads OpenAI's response_format: {"type": "text"}
// (nil grammar: free text), {"type": "json_object"} (JSONObject) or
// {"type": "json_schema", "json_schema": {"name", "schema", "strict"}}
// (Compile of schema). Errors are *FormatError, or Compile's
// *SchemaError and *UnsupportedError.
func ParseResponseFormat(raw []byte) (*Grammar, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var rf struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
			Strict *bool           `json:"strict"`
		} `json:"json_schema"`
	}
	if err := json.Unmarshal(raw, &rf); err != nil {
		return nil, &FormatError{"must be an object with a type"}
	}
	switch rf.Type {
	case "text":
		return nil, nil
	case "json_object":
		return JSONObject(), nil
	case "json_schema":
		if rf.JSONSchema == nil || len(bytes.TrimSpace(rf.JSONSchema.Schema)) == 0 {
			return nil, &FormatError{"json_schema.schema is required"}
		}
		return Compile(rf.JSONSchema.Schema)
	}
	return nil, &FormatError{fmt.Sprintf("type must be text, json_object or json_schema, got %q", rf.Type)}
}
