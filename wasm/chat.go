package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"slices"
	"sync"

	"github.com/lamina-ml/lamina/model/jsonmode"
	"github.com/lamina-ml/lamina/tokenizer/chattemplate"
)

// codeNoChatTemplate is lm.chat on a model whose tokenizer_config.json
// has no chat_template.
const codeNoChatTemplate = "no-chat-template"

// chatState is a loaded model's chat template and its vocabulary for
// response_format (built on first use).
type chatState struct {
	config *chattemplate.Config // nil: no tokenizer_config.json or no template
	err    error                // the template did not parse

	once  sync.Once
	vocab *jsonmode.Vocab
}

// loadChat reads tokenizer_config.json's chat template, if the files have one.
func (lm *loadedModel) loadChat(files fs.FS) {
	data, err := fs.ReadFile(files, "tokenizer_config.json")
	if err != nil || lm.tok == nil {
		return
	}
	cfg, err := chattemplate.ParseConfig(data)
	if err == nil && cfg.Template(false) == nil {
		cfg = nil
	}
	lm.chat.config, lm.chat.err = cfg, err
	lm.info.HasChatTemplate = cfg != nil
}

// chatRequest is lm.chat(): a generation whose prompt is the messages
// rendered with the model's chat template (add_generation_prompt), under
// response_format's constraint when it asks for JSON.
type chatRequest struct {
	genRequest
	Messages       []byte // JSON array of {role, content}
	ResponseFormat []byte // JSON, or nil
	Tools          []byte // JSON array of OpenAI tools, or nil
}

// chatResult is what lm.chat() resolves to besides the text.
type chatResult struct {
	IDs          []int32 // prompt + new tokens
	PromptTokens int
	// CompletionTokens counts the new tokens without a final EOS (as the
	// worker's usage does).
	CompletionTokens int
	Finish           string // "stop", "length" or "tool_calls"
	Cancelled        bool
	// With tools, the answer read as calls where the template's format is
	// known (chattemplate.ParseToolCalls); Content is then the text
	// outside them.
	ToolCalls []chattemplate.ToolCall
	Content   string
}

func (lm *loadedModel) chatGenerate(req chatRequest, onToken func(id int32, text string), cancelled func() bool) (chatResult, error) {
	if lm.tok == nil {
		return chatResult{}, coded(codeNoTokenizer, "lamina: chat needs a tokenizer.json")
	}
	if lm.chat.err != nil {
		return chatResult{}, coded(codeBadModel, "lamina: tokenizer_config.json: %v", lm.chat.err)
	}
	cfg := lm.chat.config
	if cfg == nil {
		return chatResult{}, coded(codeNoChatTemplate, "lamina: this model has no chat_template in tokenizer_config.json: use generate")
	}
	var msgs []json.RawMessage
	if err := json.Unmarshal(req.Messages, &msgs); err != nil || len(msgs) == 0 {
		return chatResult{}, coded(codeBadInput, "lamina: messages must be a non-empty array of {role, content}")
	}
	messages, err := chattemplate.ToolCallArgumentsAsObjects(req.Messages)
	if err != nil {
		return chatResult{}, coded(codeBadInput, "lamina: %v", err)
	}
	if len(req.Tools) > 0 {
		var tools []json.RawMessage
		if err := json.Unmarshal(req.Tools, &tools); err != nil {
			return chatResult{}, coded(codeBadInput, "lamina: tools must be an array of {type: 'function', function} objects")
		}
		if len(tools) == 0 {
			req.Tools = nil
		}
	}
	render := func(tools []byte) (string, error) {
		text, err := cfg.Apply(chattemplate.Options{Messages: messages, Tools: tools, AddGenerationPrompt: true})
		if err != nil {
			var te *chattemplate.Error
			if errors.As(err, &te) && te.Kind == chattemplate.ErrRaised {
				return "", coded(codeBadInput, "lamina: the chat template rejected the messages: %s", te.Msg)
			}
			return "", coded(codeBadInput, "lamina: rendering the chat template: %v", err)
		}
		return text, nil
	}
	text, err := render(req.Tools)
	if err != nil {
		return chatResult{}, err
	}
	tf := chattemplate.ToolsUnknown
	if req.Tools != nil {
		// As the worker: a template that ignores tools would leave the
		// model unaware of them.
		if plain, err := render(nil); err == nil && plain == text {
			return chatResult{}, coded(codeBadInput, "lamina: this model's chat template does not render tools")
		}
		if g := req.ResponseFormat; len(g) > 0 && string(g) != "null" {
			return chatResult{}, coded(codeBadInput, "lamina: tools cannot be combined with a JSON response_format")
		}
		tf = chattemplate.DetectToolFormat(text)
	}
	// The template writes the special tokens itself (apply_chat_template
	// tokenizes with add_special_tokens=False).
	req.IDs = lm.tok.Encode(text)
	if len(req.IDs) == 0 {
		return chatResult{}, coded(codeBadInput, "lamina: the rendered conversation encodes to no tokens")
	}
	// The template's end of turn is the config's eos_token, which the
	// model config may not list.
	eos := req.EOS
	if eos == nil {
		eos = slices.Clone(lm.m.EOS)
		if s, ok := cfg.SpecialTokens["eos_token"].(string); ok {
			if id, ok := lm.tok.TokenToID(s); ok && !slices.Contains(eos, id) {
				eos = append(eos, id)
			}
		}
		req.EOS = eos
	}
	g, err := jsonmode.ParseResponseFormat(req.ResponseFormat)
	if err != nil {
		return chatResult{}, coded(codeBadInput, "lamina: %v", err)
	}
	if g != nil && len(req.StopStrings) > 0 {
		return chatResult{}, coded(codeBadInput, "lamina: stop strings cannot be combined with a JSON response_format (a stop string could cut the JSON)")
	}
	var con *jsonmode.Constraint
	if g != nil {
		max := lm.options(req.genRequest).MaxNewTokens
		lm.chat.once.Do(func() { lm.chat.vocab = jsonmode.TokenizerVocab(lm.tok, lm.m.Config.VocabSize) })
		if con, err = g.NewConstraint(lm.chat.vocab, eos, max); err != nil {
			return chatResult{}, coded(codeBadInput, "lamina: %v", err)
		}
		req.constraint = con
	}
	ids, wasCancelled, err := lm.generate(req.genRequest, onToken, cancelled)
	if err != nil {
		return chatResult{}, err
	}
	res := chatResult{IDs: ids, PromptTokens: len(req.IDs), Cancelled: wasCancelled, Finish: "length"}
	newIDs := ids[len(req.IDs):]
	res.CompletionTokens = len(newIDs)
	switch {
	case len(newIDs) > 0 && slices.Contains(eos, newIDs[len(newIDs)-1]):
		res.Finish = "stop"
		res.CompletionTokens--
	case con != nil && con.Done():
		res.Finish = "stop"
	case len(newIDs) < lm.options(req.genRequest).MaxNewTokens && !wasCancelled:
		res.Finish = "stop" // a stop string
	}
	if req.Tools != nil {
		answer := newIDs[:res.CompletionTokens]
		if res.Content, res.ToolCalls = chattemplate.ParseToolCalls(tf, lm.tok.Decode(answer)); res.ToolCalls != nil {
			res.Finish = "tool_calls"
		}
	}
	return res, nil
}
