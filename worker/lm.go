package worker

import (
	"context"
	"io/fs"
	"sort"
	"sync"
	"time"

	"github.com/lamina-ml/lamina/model"
)

// LM is a loaded causal language model, as the completions route needs it.
// worker/lm_model.go adapts lamina's model package to it.
type LM interface {
	// Generate runs prompt through the model and calls onToken with each
	// new token id until onToken returns false, opts.MaxTokens tokens have
	// been produced, or ctx is done. It must not stop on EOS by itself: the
	// handler decides (ignore_eos).
	Generate(ctx context.Context, prompt []int32, opts SampleOptions, onToken func(id int32) bool) error
	// VocabSize bounds valid token ids.
	VocabSize() int
	// ContextLength is the most positions (prompt + new tokens) it takes.
	ContextLength() int
	// EOS lists the ids that end a completion (may be empty).
	EOS() []int32
}

// Tokenizer turns text into ids and back. A model folder without
// tokenizer.json has none; its clients send and receive token ids.
type Tokenizer interface {
	Encode(text string) ([]int32, error)
	Decode(ids []int32) (string, error)
}

// byteFallbackTokenizer is implemented by tokenizers with byte-fallback
// tokens (SentencePiece's <0xHH>). A run of them decodes as one group, and
// when the group is not valid UTF-8 every byte in it becomes U+FFFD
// (tokenizers' ByteFallback decoder), so text decoded from a trailing run
// can still change when the next token arrives; streaming holds it back.
type byteFallbackTokenizer interface {
	IsByteToken(id int32) bool
}

// SampleOptions are the decoding settings of one completion, resolved
// (model.ResolveOptions) from the request and the model's defaults.
type SampleOptions struct {
	MaxTokens   int
	Temperature float32 // 0 is greedy (argmax)
	TopK        int     // 0: no top-k limit
	TopP        float32 // 1 keeps the whole distribution
	Seed        uint64
	// DraftExit > 0 asks for self-speculative decoding with DraftTokens
	// per round (model.GenerateOptions); LMs without it ignore it, which
	// changes no greedy output.
	DraftExit, DraftTokens int
	// Stats, if non-nil, receives the speculative decoding counts
	// (model.GenerateOptions.Stats); LMs without it leave it zero.
	Stats *model.SpecStats
	// Constraint, if set, masks every step (response_format; see
	// model.GenerateOptions.Constraint).
	Constraint model.Constraint
}

// layerCounter is implemented by LMs that know their decoder depth
// (modelLM), so a speculative exit_layer past it is refused as a 422.
type layerCounter interface {
	Layers() int
}

// generationDefaults is implemented by LMs whose folder has a
// generation_config.json (modelLM): its values fill in what a request
// leaves out.
type generationDefaults interface {
	Generation() model.GenerationConfig
}

// LMLoader loads a model folder. tok is nil when the folder has no
// tokenizer.
type LMLoader func(ctx context.Context, fsys fs.FS) (lm LM, tok Tokenizer, err error)

// lmCache keeps loaded models between requests, keyed by kind and name and
// checked against the content digest so a redeployed model is reloaded. In
// the Workers build this is what makes a warm request cost compute only: the
// Go instance (and this cache) lives as long as the isolate (see
// worker/js/shim.mjs). Language models and layered-SVG models share it and
// its byte budget.
type lmCache struct {
	budget int64

	mu      sync.Mutex
	entries map[string]*lmEntry
}

type lmEntry struct {
	name, digest string
	kind         modelKind
	size         int64

	ready chan struct{} // closed when loading finished
	lm    LM            // kindLM
	tok   Tokenizer     // kindLM, nil without tokenizer.json
	svg   SVGModel      // kindSVG
	err   error
	load  time.Duration

	// gen serialises Generate calls: a model's forward pass and KV cache
	// are not promised to be safe for concurrent use, and in js/wasm
	// goroutines only interleave at I/O anyway.
	gen      sync.Mutex
	lastUsed time.Time
}

func newLMCache(budget int64) *lmCache {
	return &lmCache{budget: budget, entries: map[string]*lmEntry{}}
}

// modelKind tells the cache's two kinds of model apart: one model folder
// asked for as a language model and as an SVG model gets two entries, so a
// loaded entry always has the value its kind promises.
type modelKind string

const (
	kindLM  modelKind = "lm"
	kindSVG modelKind = "svg"
)

// entryLoader fills a new entry's model fields (lm/tok or svg) from the
// model folder.
type entryLoader func(ctx context.Context, fsys fs.FS, e *lmEntry) error

// lmLoad adapts an LMLoader.
func lmLoad(load LMLoader) entryLoader {
	return func(ctx context.Context, fsys fs.FS, e *lmEntry) (err error) {
		e.lm, e.tok, err = load(ctx, fsys)
		return err
	}
}

// svgLoad adapts an SVGLoader.
func svgLoad(load SVGLoader) entryLoader {
	return func(ctx context.Context, fsys fs.FS, e *lmEntry) (err error) {
		e.svg, err = load(ctx, fsys)
		return err
	}
}

// get returns the loaded model, loading it once however many requests ask at
// the same time. warm reports whether it was already loaded.
func (c *lmCache) get(ctx context.Context, kind modelKind, mm *ManifestModel, store Store, load entryLoader) (e *lmEntry, warm bool, err error) {
	digest := mm.digest()
	key := string(kind) + "/" + mm.Name
	c.mu.Lock()
	e = c.entries[key]
	if e != nil && e.digest != digest {
		delete(c.entries, key)
		e = nil
	}
	if e == nil {
		var size int64
		for _, f := range mm.Files {
			size += f.Size
		}
		e = &lmEntry{name: mm.Name, kind: kind, digest: digest, size: size, ready: make(chan struct{})}
		c.entries[key] = e
		c.mu.Unlock()
		start := time.Now()
		// The load must not be cancelled by the first requester going
		// away: others may be waiting on it.
		e.err = load(context.WithoutCancel(ctx), modelFS{ctx: context.WithoutCancel(ctx), store: store, model: mm}, e)
		e.load = time.Since(start)
		close(e.ready)
		c.mu.Lock()
		if e.err != nil {
			delete(c.entries, key)
		}
		e.lastUsed = time.Now()
		c.evict(key)
		c.mu.Unlock()
		return e, false, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.ready:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	c.mu.Lock()
	e.lastUsed = time.Now()
	c.mu.Unlock()
	return e, true, e.err
}

// evict drops least recently used loaded models until the budget holds,
// never the one just loaded (cache key keep). Callers hold c.mu.
func (c *lmCache) evict(keep string) {
	var total int64
	type loadedEntry struct {
		key string
		e   *lmEntry
	}
	var loaded []loadedEntry
	for key, e := range c.entries {
		select {
		case <-e.ready:
			total += e.size
			if key != keep {
				loaded = append(loaded, loadedEntry{key, e})
			}
		default:
		}
	}
	sort.Slice(loaded, func(i, j int) bool { return loaded[i].e.lastUsed.Before(loaded[j].e.lastUsed) })
	for _, l := range loaded {
		if total <= c.budget {
			break
		}
		delete(c.entries, l.key)
		total -= l.e.size
	}
}

func (c *lmCache) names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []string{}
	seen := map[string]bool{}
	for _, e := range c.entries {
		select {
		case <-e.ready:
			if e.err == nil && !seen[e.name] {
				seen[e.name] = true
				out = append(out, e.name)
			}
		default:
		}
	}
	sort.Strings(out)
	return out
}
