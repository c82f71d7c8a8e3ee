// Package chattemplate renders the Jinja chat templates that Hugging Face
// models ship in tokenizer_config.json ("chat_template"), producing the same
// prompt string as transformers' apply_chat_template(tokenize=False).
//
// It implements the part of Jinja that real chat templates use, with the
// environment transformers sets up: jinja2's ImmutableSandboxedEnvironment
// with trim_blocks and lstrip_blocks, the loopcontrols extension
// (break/continue), the {% generation %} block, a tojson filter that is
// json.dumps(ensure_ascii=False), and the raise_exception and strftime_now
// globals. Supported: text with {{ }}, {% %} and {# #} and the -/+
// whitespace controls; if/elif/else, for (else, inline if filter, tuple
// targets, loop.index/index0/revindex/first/last/length/previtem/nextitem/
// cycle), set (also to namespace attributes and as a block), macro and
// call, filter, with, raw; Python-like literals, arithmetic, comparisons,
// in, is tests, slicing with steps, the usual filters and the str, list and
// dict methods templates call, printf-style % and str.format. Mutating
// methods (list.append, dict.update) fail with ErrSecurity, as in the
// sandbox. Python's object behaviours that change output are kept: map and
// select filters return one-pass generators (truthy even when empty, no
// length), Markup + str escapes the str, dicts keep insertion order and
// accept int keys, floats print as Python's repr.
//
// Not supported (no chat template we know of uses them): include, extends,
// import, recursive for loops, the do extension, and the filters batch,
// slice, groupby, truncate, wordwrap, striptags, urlencode, xmlattr and
// pprint; using one is an ErrSyntax naming it (for an unknown filter or
// test, when it is evaluated: jinja2 3.1 also defers those inside if
// blocks to run time).
//
// Use: ParseConfig(tokenizer_config.json) once per model, then
// Config.Apply(Options{Messages, Tools, AddGenerationPrompt, Vars}) per
// request. A template is parsed once and may be rendered concurrently.
// Rendering is bounded (steps, output size, nesting), so a hostile template
// fails with ErrLimit instead of hanging or exhausting memory.
//
// Parity: testdata/render_reference.py renders every vendored real template
// (testdata/templates, sources in testdata/NOTICE.md) against every case in
// testdata/cases.json with Python's jinja2 the way transformers does, and
// TestJinja2Parity compares byte for byte.
package chattemplate

import (
	"fmt"
	"time"
)

// ErrorKind classifies an *Error.
type ErrorKind int

const (
	// ErrSyntax: the template does not parse (or names an unknown filter
	// or test).
	ErrSyntax ErrorKind = iota + 1
	// ErrUndefined: a missing variable, key or attribute was used in a way
	// that needs a value (jinja2's UndefinedError).
	ErrUndefined
	// ErrType: an operation got the wrong kind of value (Python's
	// TypeError), or the messages/tools JSON is malformed.
	ErrType
	// ErrRaised: the template called raise_exception(message); Msg is the
	// message, which templates use to reject a conversation (e.g. roles
	// that do not alternate).
	ErrRaised
	// ErrSecurity: the template tried what the sandbox forbids.
	ErrSecurity
	// ErrLimit: a resource bound was hit (Options.MaxSteps, MaxOutput,
	// nesting depth, range size).
	ErrLimit
)

func (k ErrorKind) String() string {
	switch k {
	case ErrSyntax:
		return "syntax error"
	case ErrUndefined:
		return "undefined"
	case ErrType:
		return "type error"
	case ErrRaised:
		return "template raised"
	case ErrSecurity:
		return "security error"
	case ErrLimit:
		return "limit exceeded"
	}
	return "error"
}

// Error is every error Parse and Render return. Line and Col (1-based,
// columns in characters) locate the tag or expression in the template
// source; they are 0 for errors about the inputs.
type Error struct {
	Kind      ErrorKind
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("chat template: %s: %s", e.Kind, e.Msg)
	}
	return fmt.Sprintf("chat template:%d:%d: %s: %s", e.Line, e.Col, e.Kind, e.Msg)
}

// Template is a parsed chat template.
type Template struct {
	body []node
}

// maxTokens bounds the lexer's output for one template.
const maxTokens = 1 << 20

// Parse parses a chat template. Errors are *Error with Kind ErrSyntax (or
// ErrLimit for absurd nesting or size).
func Parse(src string) (*Template, error) {
	toks, err := lex(src, maxTokens)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	body, _, err := p.parseBody()
	if err != nil {
		return nil, err
	}
	return &Template{body: body}, nil
}

// Options are the inputs of one render, as apply_chat_template passes them.
type Options struct {
	// Messages is the JSON array of chat messages (OpenAI shape: role,
	// content as a string or a list of parts, optional tool_calls,
	// tool_call_id, name, reasoning_content, ...). Object key order is
	// kept, as Python dicts keep it.
	Messages []byte
	// Tools is the JSON array of tool schemas, or nil for none (rendered
	// as tools=None, as transformers does).
	Tools []byte
	// Documents is the JSON array of RAG documents, or nil.
	Documents []byte
	// AddGenerationPrompt appends the header that starts the assistant's
	// turn.
	AddGenerationPrompt bool
	// Vars are further template variables: the tokenizer's special tokens
	// (bos_token, eos_token, ...) and template switches such as
	// enable_thinking. Values are nil, bool, int, float64, string,
	// json.RawMessage, []any, []string or map[string]any (keys sorted).
	Vars map[string]any
	// Now is the clock strftime_now reads; nil means time.Now.
	Now func() time.Time
	// MaxSteps bounds evaluation work (default 10,000,000 node visits).
	MaxSteps int
	// MaxOutput bounds the rendered size in bytes and any string or list
	// built along the way (default 16 MiB).
	MaxOutput int
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Render renders the template. Errors are *Error; a template's own
// raise_exception has Kind ErrRaised.
func (t *Template) Render(opts Options) (string, error) {
	if opts.MaxSteps <= 0 {
		opts.MaxSteps = 10_000_000
	}
	if opts.MaxOutput <= 0 {
		opts.MaxOutput = 16 << 20
	}
	globals := &scope{vars: globalFuncs(&opts)}
	root := globals.child()
	for k, v := range opts.Vars {
		c, err := fromGo(v)
		if err != nil {
			return "", &Error{Kind: ErrType, Msg: fmt.Sprintf("variable %s: %v", k, err)}
		}
		root.set(k, c)
	}
	for _, in := range []struct {
		name string
		data []byte
	}{{"messages", opts.Messages}, {"tools", opts.Tools}, {"documents", opts.Documents}} {
		var v value
		if in.data != nil {
			var err error
			if v, err = fromJSON(in.data); err != nil {
				return "", &Error{Kind: ErrType, Msg: fmt.Sprintf("%s JSON: %v", in.name, err)}
			}
		} else if in.name == "messages" {
			v = &list{}
		}
		root.set(in.name, v)
	}
	root.set("add_generation_prompt", opts.AddGenerationPrompt)
	r := &renderer{maxSteps: opts.MaxSteps, maxOutput: opts.MaxOutput, globals: globals, opts: &opts}
	if _, err := r.execBody(t.body, root); err != nil {
		return "", err
	}
	return r.out.String(), nil
}
