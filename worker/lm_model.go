package worker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/lamina-ml/lamina/gguf"
	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/tokenizer"
	"github.com/lamina-ml/lamina/tokenizer/chattemplate"
)

// LoadCPU is the LMLoader of the worker: lamina's model package on the
// pure-Go CPU backend (Workers have no GPU), plus the folder's
// tokenizer.json when it has one. A folder holding one .gguf file and no
// config.json is that GGUF (gguf.FolderFS: Q8_0/Q4_0 matrices kept 8/4-bit,
// other quantized types as F16, the tokenizer from its metadata), read
// tensor by tensor through the store's ranged reads.
func LoadCPU(ctx context.Context, fsys fs.FS) (LM, Tokenizer, error) {
	fsys, _, err := gguf.FolderFS(fsys)
	if err != nil {
		return nil, nil, err
	}
	m, err := model.Load(fsys, tensor.NewCPU())
	if err != nil {
		return nil, nil, err
	}
	data, err := fs.ReadFile(fsys, "tokenizer.json")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return modelLM{m}, nil, nil
	case err != nil:
		m.Close()
		return nil, nil, err
	}
	tok, err := tokenizer.Load(data)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("tokenizer.json: %w", err)
	}
	mt := modelTokenizer{tok, &chatExtras{}}
	// tokenizer_config.json carries the chat template; a model without
	// one (or with one that does not parse) still completes text, and
	// /v1/chat/completions reports why it cannot chat.
	switch cfg, err := fs.ReadFile(fsys, "tokenizer_config.json"); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		m.Close()
		return nil, nil, err
	default:
		mt.chat.config, mt.chat.err = chattemplate.ParseConfig(cfg)
	}
	return modelLM{m}, mt, nil
}

type modelLM struct{ m *model.Model }

func (l modelLM) Generate(ctx context.Context, prompt []int32, o SampleOptions, onToken func(int32) bool) error {
	_, err := l.m.Generate(ctx, prompt, model.GenerateOptions{
		MaxNewTokens: o.MaxTokens,
		Temperature:  o.Temperature,
		TopK:         o.TopK,
		TopP:         o.TopP,
		Seed:         o.Seed,
		DraftExit:    o.DraftExit,
		DraftTokens:  o.DraftTokens,
		Stats:        o.Stats,
		Constraint:   o.Constraint,
		// The handler ends on EOS itself (it must not emit the EOS
		// token, and ignore_eos turns that off).
		IgnoreEOS: true,
	}, onToken)
	return err
}

// Generation implements generationDefaults.
func (l modelLM) Generation() model.GenerationConfig { return l.m.Generation }

func (l modelLM) VocabSize() int     { return l.m.Config.VocabSize }
func (l modelLM) ContextLength() int { return l.m.Config.MaxPositions }
func (l modelLM) Layers() int        { return l.m.Config.Layers }
func (l modelLM) EOS() []int32       { return l.m.EOS }

type modelTokenizer struct {
	t    *tokenizer.Tokenizer
	chat *chatExtras
}

// Encode adds the special tokens the file's post-processor asks for (a BOS
// for most Llama tokenizers), as HF tokenizers and OpenAI-compatible
// servers do for completion prompts.
func (t modelTokenizer) Encode(s string) ([]int32, error) { return t.t.EncodeWithSpecial(s), nil }

func (t modelTokenizer) Decode(ids []int32) (string, error) { return t.t.Decode(ids), nil }

// IsByteToken reports SentencePiece byte-fallback tokens (<0xHH>).
func (t modelTokenizer) IsByteToken(id int32) bool { return t.t.IsByteToken(id) }
