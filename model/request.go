package model

// GenerationConfig is the sampling part of a model's generation_config.json
// (transformers' GenerationConfig): defaults for what a request leaves out.
// The sampling fields apply only when DoSample is set, as in transformers'
// generate; MaxNewTokens applies always.
type GenerationConfig struct {
	DoSample          bool     `json:"do_sample"`
	Temperature       *float32 `json:"temperature"`
	TopK              *int     `json:"top_k"`
	TopP              *float32 `json:"top_p"`
	RepetitionPenalty *float32 `json:"repetition_penalty"`
	MaxNewTokens      *int     `json:"max_new_tokens"`
}

// DefaultMaxNewTokens is the built-in length of a generation when neither
// the request nor generation_config.json sets one.
const DefaultMaxNewTokens = 32

// Request is what a front end (the CLI's flags, the worker's JSON body, the
// browser's generate() options) asks for. A nil field takes the model's
// generation_config.json value, then the built-in default: the one
// resolution every front end shares (ResolveOptions), so the same request
// and seed give the same tokens everywhere.
type Request struct {
	MaxNewTokens      *int
	Temperature       *float32 // 0: greedy
	TopK              *int     // 0: no top-k limit
	TopP              *float32 // 0 or 1: no nucleus cut
	RepetitionPenalty *float32 // 0 or 1: none
	Seed              uint64
	// EOS overrides the model's end-of-sequence ids when non-nil; an empty
	// list never stops early.
	EOS []int32
	// IgnoreEOS generates MaxNewTokens even past an EOS token.
	IgnoreEOS bool
	// StopStrings end the text before the first of them (see TextStream).
	StopStrings []string
	// DraftExit and DraftTokens turn on LayerSkip self-speculative
	// decoding (GenerateOptions.DraftExit); 0 leaves it off.
	DraftExit, DraftTokens int
}

// ResolveOptions turns a request into GenerateOptions: the request's value,
// else g's (sampling fields only when g.DoSample), else the built-in default
// (greedy decoding, no top-k/top-p/penalty, DefaultMaxNewTokens; a
// temperature of 1 once g asks for sampling without one, as transformers).
// Decode is left for the caller.
func ResolveOptions(r Request, g GenerationConfig) GenerateOptions {
	o := GenerateOptions{Seed: r.Seed, EOS: r.EOS, IgnoreEOS: r.IgnoreEOS || (r.EOS != nil && len(r.EOS) == 0),
		StopStrings: r.StopStrings, MaxNewTokens: DefaultMaxNewTokens, TopP: 1,
		DraftExit: r.DraftExit, DraftTokens: r.DraftTokens}
	if g.MaxNewTokens != nil {
		o.MaxNewTokens = *g.MaxNewTokens
	}
	if g.DoSample {
		o.Temperature = 1
		pick(&o.Temperature, g.Temperature)
		pick(&o.TopK, g.TopK)
		pick(&o.TopP, g.TopP)
		pick(&o.RepetitionPenalty, g.RepetitionPenalty)
	}
	pick(&o.MaxNewTokens, r.MaxNewTokens)
	pick(&o.Temperature, r.Temperature)
	pick(&o.TopK, r.TopK)
	pick(&o.TopP, r.TopP)
	pick(&o.RepetitionPenalty, r.RepetitionPenalty)
	return o
}

// Options is ResolveOptions against the model's generation_config.json.
func (m *Model) Options(r Request) GenerateOptions { return ResolveOptions(r, m.Generation) }

func pick[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
