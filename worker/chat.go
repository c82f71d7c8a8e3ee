package worker

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"sync"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/model/jsonmode"
	"github.com/lamina-ml/lamina/tokenizer/chattemplate"
)

// chatTokenizer is what /v1/chat/completions needs beyond Tokenizer:
// the model's chat template (tokenizer_config.json), encoding of a
// rendered prompt (the template writes the special tokens itself, so none
// are added, as transformers' apply_chat_template(tokenize=True) does),
// and the vocabulary as bytes for response_format.
type chatTokenizer interface {
	ChatTemplate() (*chattemplate.Config, error)
	EncodeRendered(text string) ([]int32, error)
	JSONVocab(size int) *jsonmode.Vocab
	TokenID(token string) (int32, bool)
}

// chatExtras is the chat state of a loaded tokenizer.
type chatExtras struct {
	config *chattemplate.Config // nil: no tokenizer_config.json
	err    error                // the chat template did not parse

	once  sync.Once
	vocab *jsonmode.Vocab
}

// ChatTemplate implements chatTokenizer.
func (t modelTokenizer) ChatTemplate() (*chattemplate.Config, error) {
	if t.chat == nil {
		return nil, nil
	}
	return t.chat.config, t.chat.err
}

// EncodeRendered implements chatTokenizer.
func (t modelTokenizer) EncodeRendered(s string) ([]int32, error) { return t.t.Encode(s), nil }

// TokenID implements chatTokenizer.
func (t modelTokenizer) TokenID(s string) (int32, bool) { return t.t.TokenToID(s) }

// JSONVocab implements chatTokenizer (built once).
func (t modelTokenizer) JSONVocab(size int) *jsonmode.Vocab {
	t.chat.once.Do(func() { t.chat.vocab = jsonmode.TokenizerVocab(t.t, size) })
	return t.chat.vocab
}

// chatRequest is the OpenAI /v1/chat/completions subset lamina serves.
type chatRequest struct {
	Model               string          `json:"model"`
	Messages            json.RawMessage `json:"messages"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	TopK                *int            `json:"top_k"`
	Seed                *int64          `json:"seed"`
	Stop                json.RawMessage `json:"stop"`
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	N              *int            `json:"n"`
	ResponseFormat json.RawMessage `json:"response_format"`
	Tools          json.RawMessage `json:"tools"`
	ToolChoice     json.RawMessage `json:"tool_choice"`
	// ParallelToolCalls is accepted and has no effect: a template that
	// allows several calls lets the model write several.
	ParallelToolCalls *bool `json:"parallel_tool_calls"`
	IgnoreEOS         bool  `json:"ignore_eos"`
}

// chat is a validated chat request.
type chat struct {
	completion
	messages     []byte // the messages array, content parts joined to strings
	includeUsage bool
	format       *jsonmode.Grammar // nil: free text
	tools        []byte            // the tools to render; nil: none
	forced       *forcedTools      // tool_choice "required" or named; nil: auto
}

var chatRoles = map[string]bool{"system": true, "developer": true, "user": true, "assistant": true, "tool": true}

// parseChat decodes and validates a chat body: sampling fields as for
// /v1/completions (400 for types, 422 for ranges).
func parseChat(body []byte) (*chat, error) {
	var req chatRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, badRequest("invalid_json", "%v", err)
	}
	tools, forced, err := parseTools(req.Tools, req.ToolChoice)
	if err != nil {
		return nil, err
	}
	if req.MaxTokens == nil {
		req.MaxTokens = req.MaxCompletionTokens
	}
	// The sampling fields are /v1/completions' (one validation); the
	// prompt is rendered once the model's template is known.
	creq, err := json.Marshal(completionRequest{Model: req.Model, Prompt: json.RawMessage(`"-"`),
		MaxTokens: req.MaxTokens, Temperature: req.Temperature, TopP: req.TopP, TopK: req.TopK,
		Seed: req.Seed, Stop: req.Stop, Stream: req.Stream, N: req.N, IgnoreEOS: req.IgnoreEOS})
	if err != nil {
		return nil, badRequest("invalid_json", "%v", err)
	}
	c, err := parseCompletion(creq)
	if err != nil {
		return nil, err
	}
	ch := &chat{completion: *c, tools: tools, forced: forced}
	ch.text = nil
	if req.StreamOptions != nil {
		ch.includeUsage = req.StreamOptions.IncludeUsage
	}
	if ch.messages, err = parseMessages(req.Messages); err != nil {
		return nil, err
	}
	if ch.format, err = parseResponseFormat(req.ResponseFormat); err != nil {
		return nil, err
	}
	if ch.format != nil && len(ch.stops) > 0 {
		return nil, unprocessable("unsupported_stop", "stop cannot be combined with a JSON response_format (a stop string could cut the JSON)")
	}
	if ch.forced != nil && len(ch.stops) > 0 {
		return nil, unprocessable("unsupported_stop", "stop cannot be combined with tool_choice %q (a stop string could cut the call)", forcedName(ch.forced, req.ToolChoice))
	}
	if ch.format != nil && ch.tools != nil {
		return nil, unprocessable("unsupported_tools", "tools cannot be combined with a JSON response_format (the grammar leaves no room for a tool call)")
	}
	return ch, nil
}

// parseMessages checks the messages array (roles, string or text-part
// content) and returns it with each list of text parts joined into one
// string, the form text-only chat templates expect.
func parseMessages(raw json.RawMessage) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, badRequest("missing_messages", "messages is required")
	}
	var msgs []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &msgs); err != nil {
		return nil, badRequest("invalid_messages", "messages must be an array of objects")
	}
	if len(msgs) == 0 {
		return nil, unprocessable("empty_messages", "messages is empty")
	}
	out := make([]map[string]any, len(msgs))
	for i, m := range msgs {
		var role string
		if err := json.Unmarshal(m["role"], &role); err != nil || !chatRoles[role] {
			return nil, badRequest("invalid_role", "messages[%d].role must be one of system, developer, user, assistant, tool", i)
		}
		msg := map[string]any{}
		for k, v := range m {
			msg[k] = v
		}
		content := bytes.TrimSpace(m["content"])
		var s string
		var parts []struct {
			Type string  `json:"type"`
			Text *string `json:"text"`
		}
		switch {
		case len(content) == 0 || string(content) == "null":
			if role != "assistant" {
				return nil, badRequest("invalid_content", "messages[%d].content is required", i)
			}
			msg["content"] = ""
		case json.Unmarshal(content, &s) == nil:
			msg["content"] = s
		case json.Unmarshal(content, &parts) == nil:
			joined := ""
			for j, p := range parts {
				if p.Type != "text" || p.Text == nil {
					return nil, unprocessable("unsupported_content", "messages[%d].content[%d]: only text parts are supported", i, j)
				}
				joined += *p.Text
			}
			msg["content"] = joined
		default:
			return nil, badRequest("invalid_content", "messages[%d].content must be a string or an array of text parts", i)
		}
		out[i] = msg
	}
	// Keys are re-encoded sorted; templates read messages by key.
	data, err := json.Marshal(out)
	if err != nil {
		return nil, badRequest("invalid_messages", "%v", err)
	}
	if data, err = chattemplate.ToolCallArgumentsAsObjects(data); err != nil {
		return nil, badRequest("invalid_tool_calls", "%v", err)
	}
	return data, nil
}

// parseResponseFormat is jsonmode.ParseResponseFormat with its errors as
// API errors: a keyword jsonmode cannot enforce is 422, a malformed format
// or schema 400.
func parseResponseFormat(raw json.RawMessage) (*jsonmode.Grammar, error) {
	g, err := jsonmode.ParseResponseFormat(raw)
	var ue *jsonmode.UnsupportedError
	var fe *jsonmode.FormatError
	switch {
	case errors.As(err, &ue):
		return nil, unprocessable("unsupported_schema", "%v", err)
	case errors.As(err, &fe):
		return nil, badRequest("invalid_response_format", "%v", err)
	case err != nil:
		return nil, badRequest("invalid_schema", "%v", err)
	}
	return g, nil
}

// chatMessage, chatChoice, chatResponse are OpenAI's chat.completion and
// chat.completion.chunk shapes.
type chatMessage struct {
	Role      string     `json:"role,omitempty"`
	Content   *string    `json:"content,omitempty"`
	ToolCalls []toolCall `json:"tool_calls,omitempty"`
}

type chatChoice struct {
	Index        int          `json:"index"`
	Message      *chatMessage `json:"message,omitempty"`
	Delta        *chatMessage `json:"delta,omitempty"`
	Logprobs     any          `json:"logprobs"`
	FinishReason *string      `json:"finish_reason"`
}

type chatResponse struct {
	ID                string           `json:"id"`
	Object            string           `json:"object"`
	Created           int64            `json:"created"`
	Model             string           `json:"model"`
	SystemFingerprint *string          `json:"system_fingerprint"`
	Choices           []chatChoice     `json:"choices"`
	Usage             *completionUsage `json:"usage,omitempty"`
}

func (h *Handler) chatCompletions(w http.ResponseWriter, r *http.Request) {
	var raw json.RawMessage
	if !readJSONBody(w, r, &raw) {
		return
	}
	c, err := parseChat(raw)
	if err != nil {
		writeRequestError(w, err)
		return
	}
	e, ok := h.lmFor(w, r, c.model)
	if !ok {
		return
	}
	if err := h.runChat(w, r.Context(), c, e); err != nil {
		writeRequestError(w, err)
	}
}

// runChat renders the conversation with the model's chat template,
// generates (under the response_format's constraint, if any) and writes
// the answer, streamed as chat.completion.chunk events or as one
// chat.completion.
func (h *Handler) runChat(w http.ResponseWriter, ctx context.Context, c *chat, e *lmEntry) error {
	ct, ok := e.tok.(chatTokenizer)
	if !ok {
		return unprocessable("no_chat_template", "model %s has no tokenizer: it cannot chat (use /v1/completions with token ids)", c.model)
	}
	cfg, err := ct.ChatTemplate()
	if err != nil {
		return unprocessable("chat_template_invalid", "model %s: %v", c.model, err)
	}
	if cfg == nil || cfg.Template(false) == nil {
		return unprocessable("no_chat_template", "model %s has no chat_template in tokenizer_config.json: use /v1/completions", c.model)
	}
	render := func(tools []byte) (string, error) {
		text, err := cfg.Apply(chattemplate.Options{Messages: c.messages, Tools: tools, AddGenerationPrompt: true, Now: h.cfg.Now})
		if err != nil {
			var te *chattemplate.Error
			if errors.As(err, &te) && te.Kind == chattemplate.ErrRaised {
				return "", unprocessable("chat_template_rejected", "the chat template rejected the messages: %s", te.Msg)
			}
			return "", unprocessable("chat_template_failed", "rendering the chat template: %v", err)
		}
		return text, nil
	}
	text, err := render(c.tools)
	if err != nil {
		return err
	}
	tf := chattemplate.ToolsUnknown
	if c.tools != nil {
		// A template that ignores tools would leave the model unaware of
		// them: refuse rather than answer as if they were offered.
		if plain, err := render(nil); err == nil && plain == text {
			return unprocessable("unsupported_tools", "model %s's chat template does not render tools", c.model)
		}
		tf = chattemplate.DetectToolFormat(text)
	}
	grammar := c.format
	if c.forced != nil {
		// The answer is one call in the model's own format: its opening is
		// written for the model (Hermes' <tool_call>) and the call's JSON is
		// generated under the tools' grammar.
		key := "arguments"
		if tf == chattemplate.ToolsJSON {
			key = "parameters"
		}
		if grammar, err = c.forced.grammar(key); err != nil {
			return err
		}
		text += chattemplate.ToolCallOpening(tf)
	}
	prompt, err := ct.EncodeRendered(text)
	if err != nil {
		return unprocessable("tokenize_failed", "tokenizing prompt: %v", err)
	}
	if len(prompt) == 0 {
		return unprocessable("empty_prompt", "the rendered conversation encodes to no tokens")
	}
	if g, ok := e.lm.(generationDefaults); ok {
		c.opts = sampleOptions(model.ResolveOptions(c.req, g.Generation()))
	}
	vocab := e.lm.VocabSize()
	for i, id := range prompt {
		if int(id) >= vocab {
			return unprocessable("token_id_out_of_range", "prompt token %d is %d; the vocabulary has %d", i, id, vocab)
		}
	}
	n := e.lm.ContextLength()
	if c.req.MaxNewTokens == nil && grammar != nil {
		// JSON needs room to close: a default length is the worker's limit.
		c.opts.MaxTokens = MaxNewTokens
	}
	if c.req.MaxNewTokens == nil && len(prompt) < n {
		c.opts.MaxTokens = min(c.opts.MaxTokens, n-len(prompt))
	}
	if len(prompt)+c.opts.MaxTokens > n {
		return unprocessable("context_length_exceeded", "prompt (%d tokens) + max_tokens (%d) exceeds the model's context of %d", len(prompt), c.opts.MaxTokens, n)
	}
	eos := map[int32]bool{}
	var eosList []int32
	if !c.ignoreEOS {
		ids := e.lm.EOS()
		// The template's end of turn is the config's eos_token, which the
		// model config may not list.
		if s, ok := cfg.SpecialTokens["eos_token"].(string); ok {
			if id, ok := ct.TokenID(s); ok {
				ids = append(ids, id)
			}
		}
		for _, t := range ids {
			if !eos[t] {
				eos[t] = true
				eosList = append(eosList, t)
			}
		}
	}
	if grammar != nil {
		con, err := grammar.NewConstraint(ct.JSONVocab(vocab), eosList, c.opts.MaxTokens)
		if err != nil {
			return unprocessable("max_tokens_too_small", "%v", err)
		}
		c.opts.Constraint = con
	}

	id := newChatID()
	created := h.cfg.Now().Unix()
	var sse *sseWriter
	chunk := func(delta *chatMessage, finish *string) chatResponse {
		return chatResponse{ID: id, Object: "chat.completion.chunk", Created: created, Model: c.model,
			Choices: []chatChoice{{Delta: delta, FinishReason: finish}}}
	}
	if c.stream {
		sse = newSSEWriter(w)
		empty := ""
		sse.event(chunk(&chatMessage{Role: "assistant", Content: &empty}, nil))
	}
	var out []int32
	pending := ""
	// With tools, streamed text waits while it may be a tool call
	// (toolHoldback): acc is the text so far, acc[:sent] went out.
	acc, sent := "", 0
	// A forced call is held back whole and parsed as the bare JSON call the
	// grammar generates.
	holdback := func(acc string) int { return chattemplate.ToolHoldback(tf, acc) }
	if c.forced != nil {
		holdback = func(acc string) int { return len(acc) }
		tf = chattemplate.ToolsJSON
	}
	streamSafe := func(sent int) int {
		safe := max(sent, len(acc)-holdback(acc))
		if safe > sent {
			d := acc[sent:safe]
			sse.event(chunk(&chatMessage{Content: &d}, nil))
		}
		return safe
	}
	finish := "length"
	var decErr error
	decode := func(ids []int32) string {
		s, err := e.tok.Decode(ids)
		if err != nil && decErr == nil {
			decErr = err
		}
		return s
	}
	var isByte func(int32) bool
	if bf, ok := e.tok.(byteFallbackTokenizer); ok {
		isByte = bf.IsByteToken
	}
	ts := model.NewTextStream(decode, isByte, c.stops)
	onToken := func(t int32) bool {
		if eos[t] {
			finish = "stop"
			return false
		}
		out = append(out, t)
		delta, stopped := ts.Push(t)
		if decErr != nil {
			return false
		}
		if stopped {
			finish = "stop"
		}
		if con := c.opts.Constraint; con != nil && con.Done() {
			finish = "stop"
		}
		switch {
		case sse != nil && !stopped && c.tools != nil:
			acc += delta
			sent = streamSafe(sent)
		case sse != nil && !stopped:
			if delta != "" {
				sse.event(chunk(&chatMessage{Content: &delta}, nil))
			}
		case sse != nil:
			pending = delta
		}
		return !stopped && len(out) < c.opts.MaxTokens
	}
	e.gen.Lock()
	err = e.lm.Generate(ctx, prompt, c.opts, onToken)
	e.gen.Unlock()
	if err == nil {
		err = decErr
	}
	pending += ts.Finish()
	usage := &completionUsage{PromptTokens: len(prompt), CompletionTokens: len(out), TotalTokens: len(prompt) + len(out)}
	if sse != nil {
		if err != nil {
			sse.event(apiError{apiErrorBody{Message: err.Error(), Type: typeServer, Code: "generation_failed"}})
			return nil
		}
		if c.tools != nil {
			acc += pending
			pending = acc[sent:]
			if _, parsed := chattemplate.ParseToolCalls(tf, acc); parsed != nil {
				calls := openAIToolCalls(parsed)
				for i := range calls {
					calls[i].Index = &i
				}
				sse.event(chunk(&chatMessage{ToolCalls: calls}, nil))
				pending, finish = "", callFinish(c.forced)
			}
		}
		if pending != "" {
			sse.event(chunk(&chatMessage{Content: &pending}, nil))
		}
		sse.event(chunk(&chatMessage{}, &finish))
		if c.includeUsage {
			sse.event(chatResponse{ID: id, Object: "chat.completion.chunk", Created: created, Model: c.model, Choices: []chatChoice{}, Usage: usage})
		}
		sse.done()
		return nil
	}
	if err != nil {
		return err
	}
	msg := &chatMessage{Role: "assistant"}
	content := ts.Text()
	if c.tools != nil {
		var calls []chattemplate.ToolCall
		if content, calls = chattemplate.ParseToolCalls(tf, content); calls != nil {
			msg.ToolCalls, finish = openAIToolCalls(calls), callFinish(c.forced)
		}
	}
	if content != "" || msg.ToolCalls == nil {
		msg.Content = &content
	}
	writeJSON(w, http.StatusOK, chatResponse{ID: id, Object: "chat.completion", Created: created, Model: c.model,
		Choices: []chatChoice{{Message: msg, FinishReason: &finish}},
		Usage:   usage})
	return nil
}

func newChatID() string {
	var b [12]byte
	rand.Read(b[:])
	return "chatcmpl-" + hex.EncodeToString(b[:])
}
