package worker

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/lamina-ml/lamina/model"
)

// Limits on stop strings (OpenAI's legacy completions endpoint allows 4).
// What a request leaves out (max_tokens, temperature, top_k, top_p) comes
// from the model's generation_config.json, then lamina's built-in defaults
// (model.ResolveOptions): the same resolution as the CLI and the browser.
const (
	maxStopStrings = 4
	maxStopLen     = 256
)

// completionRequest is the OpenAI /v1/completions subset lamina serves.
// Unknown fields are ignored, as OpenAI-compatible servers do, except the
// ones below whose other values would change the answer.
type completionRequest struct {
	Model       string          `json:"model"`
	Prompt      json.RawMessage `json:"prompt"`
	MaxTokens   *int            `json:"max_tokens"`
	Temperature *float64        `json:"temperature"`
	TopP        *float64        `json:"top_p"`
	// TopK is vLLM's extension (0 or -1: no limit).
	TopK           *int            `json:"top_k"`
	Seed           *int64          `json:"seed"`
	Stop           json.RawMessage `json:"stop"`
	Stream         bool            `json:"stream"`
	ReturnTokenIDs bool            `json:"return_token_ids"`
	// IgnoreEOS (vLLM's extension) keeps generating past end-of-sequence
	// tokens, which is how greedy reference outputs are produced.
	IgnoreEOS bool `json:"ignore_eos"`
	N         *int `json:"n"`
	Echo      bool `json:"echo"`
	// Speculative is lamina's extension: LayerSkip self-speculative
	// decoding with the first exit_layer layers drafting draft_tokens
	// tokens per round (greedy output is unchanged).
	Speculative *speculativeRequest `json:"speculative"`
}

// speculativeRequest is completions' "speculative" object.
type speculativeRequest struct {
	ExitLayer   int `json:"exit_layer"`
	DraftTokens int `json:"draft_tokens"`
}

// maxDraftTokens bounds "speculative".draft_tokens.
const maxDraftTokens = 16

// completion is a validated request.
type completion struct {
	model     string
	text      *string       // prompt as text, or
	ids       []int32       // prompt as token ids
	req       model.Request // what the body asked for (nil fields: model defaults)
	opts      SampleOptions // req resolved, against built-in defaults until the model is known
	stops     []string
	stream    bool
	returnIDs bool
	ignoreEOS bool
}

// requestError is a validation failure with its HTTP status.
type requestError struct {
	status int
	code   string
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(code, format string, args ...any) *requestError {
	return &requestError{http.StatusBadRequest, code, fmt.Sprintf(format, args...)}
}

func unprocessable(code, format string, args ...any) *requestError {
	return &requestError{http.StatusUnprocessableEntity, code, fmt.Sprintf(format, args...)}
}

// parseCompletion decodes and validates a /v1/completions body. Type
// errors are 400; values outside the limits are 422.
func parseCompletion(body []byte) (*completion, error) {
	var req completionRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, badRequest("invalid_json", "%v", err)
	}
	c := &completion{model: req.Model, stream: req.Stream, returnIDs: req.ReturnTokenIDs, ignoreEOS: req.IgnoreEOS}
	if req.Model == "" {
		return nil, badRequest("missing_model", "model is required")
	}
	if req.N != nil && *req.N != 1 {
		return nil, unprocessable("unsupported_n", "only n=1 is supported")
	}
	if req.Echo {
		return nil, unprocessable("unsupported_echo", "echo is not supported")
	}
	if err := parsePrompt(req.Prompt, c); err != nil {
		return nil, err
	}
	if req.MaxTokens != nil {
		if *req.MaxTokens < 1 || *req.MaxTokens > MaxNewTokens {
			return nil, unprocessable("max_tokens_out_of_range", "max_tokens must be between 1 and %d, got %d", MaxNewTokens, *req.MaxTokens)
		}
		c.req.MaxNewTokens = req.MaxTokens
	}
	if req.Temperature != nil {
		if *req.Temperature < 0 || *req.Temperature > 2 {
			return nil, unprocessable("temperature_out_of_range", "temperature must be in [0, 2], got %g", *req.Temperature)
		}
		t := float32(*req.Temperature)
		c.req.Temperature = &t
	}
	if req.TopP != nil {
		if !(*req.TopP > 0 && *req.TopP <= 1) {
			return nil, unprocessable("top_p_out_of_range", "top_p must be in (0, 1], got %g", *req.TopP)
		}
		p := float32(*req.TopP)
		c.req.TopP = &p
	}
	if req.TopK != nil {
		k := *req.TopK
		if k < -1 || k > 1<<20 {
			return nil, unprocessable("top_k_out_of_range", "top_k must be -1, 0 (no limit) or a positive count, got %d", k)
		}
		k = max(k, 0)
		c.req.TopK = &k
	}
	if req.Seed != nil {
		c.req.Seed = uint64(*req.Seed)
	} else {
		var b [8]byte
		rand.Read(b[:])
		for _, x := range b {
			c.req.Seed = c.req.Seed<<8 | uint64(x)
		}
	}
	if sp := req.Speculative; sp != nil {
		if sp.ExitLayer < 1 {
			return nil, unprocessable("speculative_out_of_range", "speculative.exit_layer must be a positive layer count, got %d", sp.ExitLayer)
		}
		if sp.DraftTokens < 0 || sp.DraftTokens > maxDraftTokens {
			return nil, unprocessable("speculative_out_of_range", "speculative.draft_tokens must be in [0, %d] (0: the default), got %d", maxDraftTokens, sp.DraftTokens)
		}
		c.req.DraftExit, c.req.DraftTokens = sp.ExitLayer, sp.DraftTokens
	}
	c.opts = sampleOptions(model.ResolveOptions(c.req, model.GenerationConfig{}))
	stops, err := parseStop(req.Stop)
	if err != nil {
		return nil, err
	}
	c.stops = stops
	return c, nil
}

// parsePrompt accepts a string, an array of token ids, or a one-element
// array of either (the batch forms OpenAI allows, limited to one prompt).
func parsePrompt(raw json.RawMessage, c *completion) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return badRequest("missing_prompt", "prompt is required (a string or an array of token ids)")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return unprocessable("empty_prompt", "prompt is empty")
		}
		c.text = &s
		return nil
	}
	var ids []int64
	if json.Unmarshal(raw, &ids) == nil {
		return setPromptIDs(ids, c)
	}
	var batch []json.RawMessage
	if json.Unmarshal(raw, &batch) == nil {
		if len(batch) != 1 {
			return unprocessable("unsupported_batch", "only one prompt per request is supported, got %d", len(batch))
		}
		if json.Unmarshal(batch[0], &s) == nil {
			if s == "" {
				return unprocessable("empty_prompt", "prompt is empty")
			}
			c.text = &s
			return nil
		}
		if json.Unmarshal(batch[0], &ids) == nil {
			return setPromptIDs(ids, c)
		}
	}
	return badRequest("invalid_prompt", "prompt must be a string or an array of integer token ids")
}

func setPromptIDs(ids []int64, c *completion) error {
	if len(ids) == 0 {
		return unprocessable("empty_prompt", "prompt is empty")
	}
	c.ids = make([]int32, len(ids))
	for i, id := range ids {
		if id < 0 || id > 1<<31-1 {
			return unprocessable("token_id_out_of_range", "prompt token %d is %d", i, id)
		}
		c.ids[i] = int32(id)
	}
	return nil
}

// sampleOptions are the LM's options from resolved GenerateOptions; a
// max_tokens the model's defaults set above the worker's limit is capped.
func sampleOptions(o model.GenerateOptions) SampleOptions {
	return SampleOptions{MaxTokens: min(max(o.MaxNewTokens, 1), MaxNewTokens), Temperature: o.Temperature,
		TopK: o.TopK, TopP: o.TopP, Seed: o.Seed, DraftExit: o.DraftExit, DraftTokens: o.DraftTokens}
}

func parseStop(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	var many []string
	if json.Unmarshal(raw, &one) == nil {
		many = []string{one}
	} else if json.Unmarshal(raw, &many) != nil {
		return nil, badRequest("invalid_stop", "stop must be a string or an array of strings")
	}
	if len(many) > maxStopStrings {
		return nil, unprocessable("too_many_stops", "at most %d stop strings, got %d", maxStopStrings, len(many))
	}
	var out []string
	for _, s := range many {
		if len(s) > maxStopLen {
			return nil, unprocessable("stop_too_long", "stop strings are at most %d bytes", maxStopLen)
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// completionResponse and completionChoice are OpenAI's shapes, plus
// token_ids when return_token_ids is set.
type completionResponse struct {
	ID      string             `json:"id"`
	Object  string             `json:"object"`
	Created int64              `json:"created"`
	Model   string             `json:"model"`
	Choices []completionChoice `json:"choices"`
	Usage   *completionUsage   `json:"usage,omitempty"`
	// LaminaStats is lamina's extension, only when the request asked for
	// "speculative": what speculative decoding did (in a stream, on the
	// final event).
	LaminaStats *laminaStats `json:"lamina_stats,omitempty"`
}

// laminaStats is a completion's "lamina_stats": draft-and-verify rounds,
// tokens drafted by the first exit_layer layers, how many of them the full
// model accepted, and accepted/drafted.
type laminaStats struct {
	Rounds         int     `json:"rounds"`
	Drafted        int     `json:"drafted"`
	Accepted       int     `json:"accepted"`
	AcceptanceRate float64 `json:"acceptance_rate"`
}

func newLaminaStats(st *model.SpecStats) *laminaStats {
	if st == nil {
		return nil
	}
	return &laminaStats{Rounds: st.Rounds, Drafted: st.Drafted, Accepted: st.Accepted, AcceptanceRate: st.AcceptanceRate()}
}

type completionChoice struct {
	Index        int     `json:"index"`
	Text         string  `json:"text"`
	Logprobs     any     `json:"logprobs"`
	FinishReason *string `json:"finish_reason"`
	TokenIDs     []int32 `json:"token_ids,omitempty"`
}

type completionUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

func (h *Handler) completions(w http.ResponseWriter, r *http.Request) {
	var raw json.RawMessage
	if !readJSONBody(w, r, &raw) {
		return
	}
	c, err := parseCompletion(raw)
	if err != nil {
		writeRequestError(w, err)
		return
	}
	e, ok := h.lmFor(w, r, c.model)
	if !ok {
		return
	}
	if err := h.runCompletion(w, r.Context(), c, e); err != nil {
		writeRequestError(w, err)
	}
}

func writeRequestError(w http.ResponseWriter, err error) {
	var re *requestError
	if errors.As(err, &re) {
		typ := typeInvalidRequest
		switch {
		case re.status == http.StatusNotFound:
			typ = typeNotFound
		case re.status >= 500:
			typ = typeServer
		}
		writeError(w, re.status, typ, re.code, re.msg)
		return
	}
	writeError(w, http.StatusInternalServerError, typeServer, "generation_failed", err.Error())
}

// runCompletion generates and writes the answer. Errors it returns are
// written by the caller (nothing has been sent yet); errors after the first
// streamed byte are sent as an SSE error event.
func (h *Handler) runCompletion(w http.ResponseWriter, ctx context.Context, c *completion, e *lmEntry) error {
	prompt := c.ids
	if c.text != nil {
		if e.tok == nil {
			return unprocessable("no_tokenizer", "model %s has no tokenizer.json: send prompt as an array of token ids", c.model)
		}
		ids, err := e.tok.Encode(*c.text)
		if err != nil {
			return unprocessable("tokenize_failed", "tokenizing prompt: %v", err)
		}
		if len(ids) == 0 {
			return unprocessable("empty_prompt", "prompt encodes to no tokens")
		}
		prompt = ids
	}
	// The model's generation_config.json fills in what the request left out.
	if g, ok := e.lm.(generationDefaults); ok {
		c.opts = sampleOptions(model.ResolveOptions(c.req, g.Generation()))
	}
	if len(c.stops) > 0 && e.tok == nil {
		return unprocessable("no_tokenizer", "stop strings need a tokenizer; model %s has none", c.model)
	}
	if l, ok := e.lm.(layerCounter); ok && c.opts.DraftExit >= l.Layers() {
		return unprocessable("speculative_out_of_range", "speculative.exit_layer %d must be below model %s's %d layers", c.opts.DraftExit, c.model, l.Layers())
	}
	if c.opts.DraftExit > 0 {
		c.opts.Stats = &model.SpecStats{}
	}
	vocab := e.lm.VocabSize()
	for i, id := range prompt {
		if int(id) >= vocab {
			return unprocessable("token_id_out_of_range", "prompt token %d is %d; the vocabulary has %d", i, id, vocab)
		}
	}
	if n := e.lm.ContextLength(); c.req.MaxNewTokens == nil && len(prompt) < n {
		// A length the request did not ask for (the model's default) is
		// cut to the context rather than refused.
		c.opts.MaxTokens = min(c.opts.MaxTokens, n-len(prompt))
	}
	if n := e.lm.ContextLength(); len(prompt)+c.opts.MaxTokens > n {
		return unprocessable("context_length_exceeded", "prompt (%d tokens) + max_tokens (%d) exceeds the model's context of %d", len(prompt), c.opts.MaxTokens, n)
	}

	id := newCompletionID()
	created := h.cfg.Now().Unix()
	eos := map[int32]bool{}
	if !c.ignoreEOS {
		for _, t := range e.lm.EOS() {
			eos[t] = true
		}
	}

	var sse *sseWriter
	if c.stream {
		sse = newSSEWriter(w)
	}
	chunk := func(text string, ids []int32, finish *string) completionResponse {
		ch := completionChoice{Text: text, FinishReason: finish}
		if c.returnIDs {
			ch.TokenIDs = ids
		}
		return completionResponse{ID: id, Object: "text_completion", Created: created, Model: c.model, Choices: []completionChoice{ch}}
	}

	var out []int32
	pending := "" // text released by the last token, sent with the final event
	finish := "length"
	var decErr error
	var ts *model.TextStream
	if e.tok != nil {
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
		ts = model.NewTextStream(decode, isByte, c.stops)
	}
	onToken := func(t int32) bool {
		if eos[t] {
			finish = "stop"
			return false
		}
		out = append(out, t)
		delta, stopped := "", false
		if ts != nil {
			delta, stopped = ts.Push(t)
			if decErr != nil {
				return false
			}
			if stopped {
				finish = "stop"
			}
		}
		if sse != nil && !stopped {
			sse.event(chunk(delta, []int32{t}, nil))
		} else if sse != nil {
			// The token that completed a stop string: its text (cut) goes
			// out with the final event.
			pending = delta
		}
		return !stopped && len(out) < c.opts.MaxTokens
	}
	e.gen.Lock()
	err := e.lm.Generate(ctx, prompt, c.opts, onToken)
	e.gen.Unlock()
	if err == nil {
		err = decErr
	}
	text := ""
	if ts != nil {
		pending += ts.Finish()
		text = ts.Text()
	}
	if sse != nil {
		if err != nil {
			sse.event(apiError{apiErrorBody{Message: err.Error(), Type: typeServer, Code: "generation_failed"}})
			return nil
		}
		last := chunk(pending, nil, &finish)
		last.LaminaStats = newLaminaStats(c.opts.Stats)
		sse.event(last)
		sse.done()
		return nil
	}
	if err != nil {
		return err
	}
	resp := chunk(text, out, &finish)
	if c.returnIDs && resp.Choices[0].TokenIDs == nil {
		resp.Choices[0].TokenIDs = []int32{}
	}
	resp.Usage = &completionUsage{PromptTokens: len(prompt), CompletionTokens: len(out), TotalTokens: len(prompt) + len(out)}
	resp.LaminaStats = newLaminaStats(c.opts.Stats)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func newCompletionID() string {
	var b [12]byte
	rand.Read(b[:])
	return "cmpl-" + hex.EncodeToString(b[:])
}

// sseWriter frames server-sent events (WHATWG HTML §9.2): one `data:` line
// of JSON per event, a blank line after each, and `data: [DONE]` last as
// OpenAI's streaming clients expect.
type sseWriter struct {
	w     http.ResponseWriter
	flush func()
}

func newSSEWriter(w http.ResponseWriter) *sseWriter {
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream; charset=utf-8")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	s := &sseWriter{w: w, flush: func() {}}
	if f, ok := w.(http.Flusher); ok {
		s.flush = f.Flush
	}
	return s
}

func (s *sseWriter) event(v any) {
	b, _ := json.Marshal(v) // JSON has no raw newlines, so one data line
	s.w.Write([]byte("data: "))
	s.w.Write(b)
	s.w.Write([]byte("\n\n"))
	s.flush()
}

func (s *sseWriter) done() {
	s.w.Write([]byte("data: [DONE]\n\n"))
	s.flush()
}

// lmFor loads the language model a completion or chat request names, writing the
// OpenAI-shaped error (and false) when there is none, it is a drawing model, or it fails
// to load; on success it sets the cache headers.
func (h *Handler) lmFor(w http.ResponseWriter, r *http.Request, model string) (*lmEntry, bool) {
	if h.cfg.LoadLM == nil {
		writeError(w, http.StatusServiceUnavailable, typeUnavailable, "completions_unavailable", "this worker has no language-model runtime")
		return nil, false
	}
	m, err := h.getManifest(r.Context())
	if err != nil {
		writeError(w, http.StatusBadGateway, typeServer, "store_error", err.Error())
		return nil, false
	}
	mm := m.model(model)
	if mm == nil {
		writeError(w, http.StatusNotFound, typeNotFound, "model_not_found", "no model "+strconv.Quote(model))
		return nil, false
	}
	if typ, err := h.modelType(r.Context(), mm); err != nil {
		writeRequestError(w, err)
		return nil, false
	} else if typ == svgModelType {
		writeError(w, http.StatusNotFound, typeNotFound, "model_not_lm",
			fmt.Sprintf("model %q is a layered-SVG model; use /v1/svg/generate or /v1/svg/edit", model))
		return nil, false
	}
	e, warm, err := h.models.get(r.Context(), kindLM, mm, h.cfg.Store, lmLoad(h.cfg.LoadLM))
	if err != nil {
		writeError(w, http.StatusInternalServerError, typeServer, "model_load_failed", fmt.Sprintf("loading %s: %v", model, err))
		return nil, false
	}
	setCacheHeaders(w, e, warm)
	return e, true
}
