package model

import (
	"context"
	"fmt"

	"github.com/lamina-ml/lamina/tensor"
)

// RNG is a small seeded generator (SplitMix64, Steele et al. 2014) for
// random weights (NewRandom) and test data. It is used instead of math/rand
// so that a seed gives the same values natively and under js/wasm, across Go
// versions. Token sampling does not use it: tensor.SampleRow draws from a
// counter-based hash of (seed, step), which a GPU kernel can reproduce.
type RNG struct{ state uint64 }

// NewRNG returns a generator seeded with seed.
func NewRNG(seed uint64) *RNG { return &RNG{state: seed} }

// Uint64 returns the next 64 random bits.
func (r *RNG) Uint64() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Float64 returns a uniform value in [0, 1) with 53 random bits.
func (r *RNG) Float64() float64 { return float64(r.Uint64()>>11) / (1 << 53) }

// GenerateOptions control Generate. The zero value is greedy decoding of
// nothing (MaxNewTokens 0); set MaxNewTokens.
type GenerateOptions struct {
	// MaxNewTokens is the number of tokens to generate at most.
	MaxNewTokens int
	// Temperature divides the logits before sampling; 0 means greedy
	// (argmax) decoding, and then TopK/TopP/Seed are ignored.
	Temperature float32
	// TopK keeps only the K most likely tokens (a tie at the K-th logit
	// goes to the lower id; see tensor.SampleRow); 0 disables it.
	TopK int
	// TopP keeps the smallest set of most likely tokens whose probability
	// reaches TopP (nucleus sampling); 0 or 1 disables it.
	TopP float32
	// RepetitionPenalty (CTRL, Keskar et al. 2019, with transformers'
	// semantics) divides positive and multiplies negative logits of every
	// token already in the prompt or output; 0 or 1 disables it.
	RepetitionPenalty float32
	// Seed seeds the sampler (tensor.SampleRow with SampleSeed(Seed) and
	// the token's index as Step): the same seed, model and options give
	// the same tokens on every platform and backend.
	Seed uint64
	// EOS overrides the model's end-of-sequence ids when non-nil.
	EOS []int32
	// IgnoreEOS generates MaxNewTokens even past an EOS token.
	IgnoreEOS bool
	// StopStrings end generation once Decode(generated ids) contains one of
	// them (FirstStop; TextStream cuts the text there). They need Decode.
	StopStrings []string
	// Decode turns generated ids into text, for StopStrings.
	Decode func(ids []int32) string
	// DraftExit E > 0 turns on LayerSkip self-speculative decoding
	// (generateSpeculative): layers [0, E) with the final norm and lm_head
	// draft DraftTokens tokens, the full model verifies them in one pass.
	// Greedy output is identical to plain decoding; sampled output has the
	// same distribution but not the same draws for a seed. 0 disables it.
	DraftExit int
	// DraftTokens is K, the tokens drafted per round (default
	// DefaultDraftTokens when DraftExit is set).
	DraftTokens int
	// BareExit drafts with the plain early exit (final norm and lm_head
	// right after layer DraftExit) even when the model has a draft adapter
	// (DraftAdapterFile) for that exit; otherwise the adapter runs before
	// the draft's head.
	BareExit bool
	// DraftModel, if non-nil, drafts the DraftTokens tokens instead: a
	// separate (smaller) model sharing the tokenizer, with the same
	// acceptance rule and guarantees as DraftExit. It must not be combined
	// with DraftExit.
	DraftModel *Model
	// EarlyExitThreshold in (0,1] turns on CALM-style early exit
	// (generateEarlyExit; greedy only, NOT exact: tokens may differ from
	// plain decoding); 0 disables it.
	EarlyExitThreshold float32
	// Stats, if non-nil, receives counts from speculative decoding and
	// the exit layers of early exit.
	Stats *SpecStats
	// Constraint, if non-nil, restricts every token to those it allows
	// (structured output: model/jsonmode). Generation then takes the
	// logits path on every backend (the mask needs the logits), so it
	// cannot be combined with DraftExit or EarlyExitThreshold.
	Constraint Constraint
}

// Constraint restricts which tokens Generate may choose at each step.
type Constraint interface {
	// Mask sets the logits of the tokens not allowed next to -Inf.
	// remaining is the number of tokens Generate may still produce,
	// this one included.
	Mask(logits []float32, remaining int) error
	// Accept is told the token chosen.
	Accept(id int32) error
	// Done reports that the output is complete: Generate stops.
	Done() bool
}

// Generate continues prompt and returns the generated ids (not including
// the prompt). A generated EOS token is included as the last id, like
// transformers does. onToken, if not nil, is called with each new token as
// it is produced; returning false stops generation. ctx cancellation is
// checked before every token and returned as the error, together with the
// ids produced so far.
func (m *Model) Generate(ctx context.Context, prompt []int32, opts GenerateOptions, onToken func(id int32) bool) ([]int32, error) {
	if len(prompt) == 0 {
		return nil, fmt.Errorf("model: Generate needs a non-empty prompt")
	}
	if opts.MaxNewTokens < 0 {
		return nil, fmt.Errorf("model: MaxNewTokens %d is negative", opts.MaxNewTokens)
	}
	if len(opts.StopStrings) > 0 && opts.Decode == nil {
		return nil, fmt.Errorf("model: StopStrings need a Decode function")
	}
	if opts.Temperature < 0 || opts.TopK < 0 || opts.TopP < 0 || opts.TopP > 1 || opts.RepetitionPenalty < 0 {
		return nil, fmt.Errorf("model: invalid sampling options %+v", opts)
	}
	if err := m.checkIDs(prompt); err != nil {
		return nil, err
	}
	if err := m.checkSpeculative(opts); err != nil {
		return nil, err
	}
	if err := m.checkEarlyExit(opts); err != nil {
		return nil, err
	}
	if opts.Constraint != nil && (opts.DraftExit > 0 || opts.EarlyExitThreshold > 0) {
		return nil, fmt.Errorf("model: a Constraint cannot be combined with DraftExit or EarlyExitThreshold")
	}
	if opts.MaxNewTokens == 0 {
		return nil, nil
	}
	// The last generated token never needs to enter the cache.
	// Speculative decoding drops up to DraftTokens rejected rows per
	// round, which a ring cache must still hold the window before.
	slack := 0
	if opts.DraftExit > 0 || opts.DraftModel != nil {
		slack = opts.DraftTokens
		if slack == 0 {
			slack = DefaultDraftTokens
		}
	}
	s, err := m.newSession(len(prompt)+opts.MaxNewTokens-1, slack)
	if err != nil {
		return nil, err
	}
	defer s.Close()

	eos := m.EOS
	if opts.EOS != nil {
		eos = opts.EOS
	}
	if opts.IgnoreEOS {
		eos = nil
	}
	penalty := opts.RepetitionPenalty != 0 && opts.RepetitionPenalty != 1
	greedy := opts.Temperature == 0
	smp := newSampler(opts, m.Config.VocabSize)
	if penalty {
		for _, id := range prompt {
			smp.seen[id] = true
		}
	}

	// stop reports whether generation ends after appending next to out.
	stop := func(out []int32, next int32) bool {
		if onToken != nil && !onToken(next) {
			return true
		}
		if containsID(eos, next) {
			return true
		}
		if len(opts.StopStrings) > 0 && FirstStop(opts.Decode(out), opts.StopStrings) >= 0 {
			return true
		}
		return false
	}
	if opts.Constraint != nil {
		return m.generateConstrained(ctx, s, prompt, opts, smp, stop)
	}
	if opts.DraftExit > 0 || opts.DraftModel != nil {
		return m.generateSpeculative(ctx, s, prompt, opts, stop)
	}
	if opts.EarlyExitThreshold > 0 {
		return m.generateEarlyExit(ctx, s, prompt, opts, stop)
	}
	if f, ok := m.be.(tensor.FusedOps); ok && onDeviceSampling(f, opts) {
		return m.generateOnDevice(ctx, s, f, prompt, opts, stop)
	}

	var out []int32
	var next int32
	for i := 0; i < opts.MaxNewTokens; i++ {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		in := prompt
		if i > 0 {
			in = out[len(out)-1:]
		}
		if greedy && !penalty {
			// Argmax on the backend: no logits readback.
			next, err = s.PrefillArgmax(in)
		} else {
			var logits []float32
			if logits, err = s.Prefill(in); err == nil {
				next = smp.sample(logits)
			}
		}
		if err != nil {
			return out, err
		}
		out = append(out, next)
		smp.seen[next] = true
		if stop(out, next) {
			break
		}
	}
	return out, nil
}

// onDeviceSyncEvery is how many tokens generateOnDevice records between
// reads of the generated ids. Each read is a full GPU round trip (on an H200
// the gpubench decode loop ran 660 tok/s reading every token and 980 reading
// every 8), while a larger batch delays streaming callbacks and wastes up to
// this many steps minus one after an EOS or stop.
const onDeviceSyncEvery = 4

// onDeviceSampling reports whether opts can be decoded with the backend's
// own token choice (FusedOps.ArgmaxAt, FusedOps.Sample): both draw exactly
// what the logits path would (argmax, tensor.SampleRow), so this only
// decides where the draw runs. The fused ops have no repetition penalty, and
// a backend's sampler may hold fewer candidates than a draw needs
// (Limits.SampleMaxCandidates); those take the logits path.
func onDeviceSampling(f tensor.FusedOps, opts GenerateOptions) bool {
	if p := opts.RepetitionPenalty; p != 0 && p != 1 {
		return false
	}
	if opts.Temperature == 0 {
		return true
	}
	// No top-k limit (TopK 0) means a draw over the whole vocabulary,
	// which is only worth a device pass when its sampler takes any k.
	lim := f.Limits().SampleMaxCandidates
	return opts.TopK >= 1 && opts.TopK <= lim || lim == tensor.Unlimited
}

// sampleParams are the tensor.SampleParams of the step-th generated token.
func sampleParams(opts GenerateOptions, step int) tensor.SampleParams {
	return tensor.SampleParams{Temperature: opts.Temperature, TopK: opts.TopK, TopP: opts.TopP,
		Seed: SampleSeed(opts.Seed), Step: uint32(step)}
}

// SampleSeed is the 32-bit seed the on-device sampler (tensor.SampleParams)
// gets for GenerateOptions.Seed: the two halves xor-ed, so seeds below 2³²
// map to themselves.
func SampleSeed(seed uint64) uint32 { return uint32(seed) ^ uint32(seed>>32) }

// generateOnDevice is Generate's loop for a backend with fused ops: the
// next token is chosen on the backend (ArgmaxAt for greedy, Sample with
// sampleParams(opts, i) for the i-th generated token) into an I32 tensor
// that the next step embeds from (EmbeddingAt), so logits are never read
// back; the first id is read right after the prefill, later ones every
// onDeviceSyncEvery tokens, and handed to stop in order. The ids are those
// of the logits path (the same reference sampler).
func (m *Model) generateOnDevice(ctx context.Context, s *Session, f tensor.FusedOps, prompt []int32, opts GenerateOptions, stop func(out []int32, next int32) bool) ([]int32, error) {
	n := opts.MaxNewTokens
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	toks, err := f.ZerosI32(n)
	if err != nil {
		return nil, err
	}
	defer f.Free(toks)
	pick := func(i int) {
		if opts.Temperature == 0 {
			f.ArgmaxAt(toks, i, s.logits)
			return
		}
		f.Sample(toks, i, s.logits, 0, sampleParams(opts, i))
	}
	if err := s.run(prompt); err != nil {
		return nil, err
	}
	pick(0)
	recorded := 1
	var out []int32
	for {
		var ctxErr error
		// The first token is read as soon as the prompt is in (time to
		// first token is one prefill); later ones in batches.
		for len(out) > 0 && recorded < n && recorded-len(out) < onDeviceSyncEvery {
			if ctxErr = ctx.Err(); ctxErr != nil {
				break
			}
			if err := s.stepOnDevice(f, toks, recorded-1); err != nil {
				return out, err
			}
			pick(recorded)
			recorded++
		}
		ids, err := f.ReadInts(toks)
		if err != nil {
			return out, err
		}
		for len(out) < recorded {
			next := ids[len(out)]
			out = append(out, next)
			if stop(out, next) {
				return out, nil
			}
		}
		if ctxErr != nil {
			return out, ctxErr
		}
		if recorded == n {
			return out, nil
		}
	}
}

func containsID(ids []int32, id int32) bool {
	for _, e := range ids {
		if e == id {
			return true
		}
	}
	return false
}

// sampler is the logits path's token choice: transformers' repetition
// penalty (on the host, where the seen set is), then greedy argmax or
// tensor.SampleRow — the one sampler, whose draws the on-device path
// reproduces — for the next step.
type sampler struct {
	opts GenerateOptions
	step int
	seen []bool    // tokens in prompt or output (repetition penalty)
	work []float32 // penalised logits
}

func newSampler(opts GenerateOptions, vocab int) *sampler {
	return &sampler{opts: opts, seen: make([]bool, vocab), work: make([]float32, vocab)}
}

// sample picks the next token from a logits row. It does not modify logits.
func (s *sampler) sample(logits []float32) int32 {
	o := s.opts
	w := logits
	if p := o.RepetitionPenalty; p != 0 && p != 1 {
		w = s.work
		copy(w, logits)
		for id, seen := range s.seen {
			if seen {
				if w[id] < 0 {
					w[id] *= p
				} else {
					w[id] /= p
				}
			}
		}
	}
	step := s.step
	s.step++
	if o.Temperature == 0 {
		return argmax(w)
	}
	return tensor.SampleRow(w, sampleParams(o, step))
}

func argmax(w []float32) int32 {
	best := 0
	for i, v := range w {
		if v > w[best] {
			best = i
		}
	}
	return int32(best)
}

// generateConstrained is Generate's loop under a Constraint: the logits of
// every step are read back, masked and sampled (the same sampler as the
// logits path, so an all-allowing constraint gives the same tokens).
func (m *Model) generateConstrained(ctx context.Context, s *Session, prompt []int32, opts GenerateOptions, smp *sampler, stop func(out []int32, next int32) bool) ([]int32, error) {
	c := opts.Constraint
	var out []int32
	work := make([]float32, m.Config.VocabSize)
	for i := 0; i < opts.MaxNewTokens; i++ {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		in := prompt
		if i > 0 {
			in = out[len(out)-1:]
		}
		logits, err := s.Prefill(in)
		if err != nil {
			return out, err
		}
		copy(work, logits)
		if err := c.Mask(work, opts.MaxNewTokens-i); err != nil {
			return out, err
		}
		next := smp.sample(work)
		if err := c.Accept(next); err != nil {
			return out, err
		}
		out = append(out, next)
		smp.seen[next] = true
		if stop(out, next) || c.Done() {
			break
		}
	}
	return out, nil
}
