package gguf

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/lamina-ml/lamina/tokenizer"
)

// GGUF tokenizer metadata (llama.cpp's llama-vocab.cpp reads these keys):
// tokenizer.ggml.model is "llama" (SentencePiece-style BPE over scores,
// "▁" for spaces, <0xNN> byte fallback) or "gpt2" (byte-level BPE over
// tokenizer.ggml.merges, pre-split by the regex that tokenizer.ggml.pre
// names). token_type uses SentencePiece's numbering.
const (
	tokNormal      = 1
	tokUnknown     = 2
	tokControl     = 3
	tokUserDefined = 4
	tokUnused      = 5
	tokByte        = 6
)

// Pre-tokenizer regexes by tokenizer.ggml.pre, as written in the HF
// tokenizer.json of the models llama.cpp names them after.
const (
	llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	qwen2Pattern  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

type tokJSON struct {
	AddedTokens []tokenizer.AddedToken `json:"added_tokens"`
	Normalizer  json.RawMessage        `json:"normalizer"`
	PreTok      json.RawMessage        `json:"pre_tokenizer"`
	Model       struct {
		Type        string           `json:"type"`
		Vocab       map[string]int32 `json:"vocab"`
		Merges      json.RawMessage  `json:"merges"`
		ByteFallbck bool             `json:"byte_fallback"`
		UnkToken    *string          `json:"unk_token"`
	} `json:"model"`
}

// parseMerges accepts both tokenizer.json merge spellings: "a b" strings
// and ["a", "b"] pairs.
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("gguf: tokenizer.json merges: %w", err)
	}
	pairs := make([][2]string, len(items))
	for i, it := range items {
		var s string
		if err := json.Unmarshal(it, &s); err == nil {
			a, b, ok := strings.Cut(s, " ")
			if !ok {
				return nil, fmt.Errorf("gguf: tokenizer.json merge %q has no space", s)
			}
			pairs[i] = [2]string{a, b}
			continue
		}
		var p []string
		if err := json.Unmarshal(it, &p); err != nil || len(p) != 2 {
			return nil, fmt.Errorf("gguf: tokenizer.json merge %d is neither \"a b\" nor [a, b]", i)
		}
		pairs[i] = [2]string{p[0], p[1]}
	}
	return pairs, nil
}

// setTokenizerMetadata writes tokenizer.ggml.* for an HF tokenizer.json.
// A BPE model with byte_fallback becomes "llama" (scores: minus the rank of
// the first merge that makes the token, so llama.cpp's highest-score-first
// bigram merging replays the merge order); a ByteLevel one becomes "gpt2".
func setTokenizerMetadata(w *Writer, arch Arch, data []byte, c hfConfig) error {
	var t tokJSON
	if err := json.Unmarshal(data, &t); err != nil {
		return fmt.Errorf("gguf: tokenizer.json: %w", err)
	}
	if t.Model.Type != "BPE" {
		return fmt.Errorf("gguf: tokenizer model %q export: %w", t.Model.Type, ErrUnsupported)
	}
	merges, err := parseMerges(t.Model.Merges)
	if err != nil {
		return err
	}
	n := int32(0)
	for _, id := range t.Model.Vocab {
		n = max(n, id+1)
	}
	for _, a := range t.AddedTokens {
		n = max(n, a.ID+1)
	}
	if c.VocabSize > int(n) {
		n = int32(c.VocabSize)
	}
	tokens := make([]string, n)
	types := make([]int32, n)
	for tok, id := range t.Model.Vocab {
		if id < 0 {
			return fmt.Errorf("gguf: tokenizer.json: negative id %d", id)
		}
		tokens[id], types[id] = tok, tokNormal
	}
	for _, a := range t.AddedTokens {
		tokens[a.ID] = a.Content
		if a.Special {
			types[a.ID] = tokControl
		} else {
			types[a.ID] = tokUserDefined
		}
	}
	for i := range tokens {
		if types[i] == 0 { // a hole in the ids: llama.cpp wants every id named
			tokens[i], types[i] = fmt.Sprintf("[PAD%d]", i), tokUnused
		}
	}
	set := func(k string, v any) {
		if err == nil {
			err = w.Set(k, v)
		}
	}
	spm := t.Model.ByteFallbck
	if spm {
		rank := map[string]int{}
		for r, m := range merges {
			if _, ok := rank[m[0]+m[1]]; !ok {
				rank[m[0]+m[1]] = r
			}
		}
		scores := make([]float32, n)
		for i, tok := range tokens {
			if r, ok := rank[tok]; ok && types[i] == tokNormal {
				scores[i] = -float32(r)
			} else if types[i] == tokNormal {
				// Single characters are never the result of a merge; they
				// rank below every merged piece.
				scores[i] = -float32(len(merges) + i)
			}
			if isByteToken(tok) {
				types[i] = tokByte
			}
		}
		unk := int32(0)
		if t.Model.UnkToken != nil {
			if id, ok := t.Model.Vocab[*t.Model.UnkToken]; ok {
				unk = id
				types[id] = tokUnknown
			}
		}
		set("tokenizer.ggml.model", "llama")
		set("tokenizer.ggml.pre", "default")
		set("tokenizer.ggml.tokens", tokens)
		set("tokenizer.ggml.scores", scores)
		set("tokenizer.ggml.token_type", types)
		set("tokenizer.ggml.unknown_token_id", uint32(unk))
		set("tokenizer.ggml.add_space_prefix", strings.Contains(string(t.Normalizer), `"Prepend"`))
	} else {
		pre, err := preName(t.PreTok)
		if err != nil {
			return err
		}
		ms := make([]string, len(merges))
		for i, m := range merges {
			ms[i] = m[0] + " " + m[1]
		}
		set("tokenizer.ggml.model", "gpt2")
		set("tokenizer.ggml.pre", pre)
		set("tokenizer.ggml.tokens", tokens)
		set("tokenizer.ggml.token_type", types)
		set("tokenizer.ggml.merges", ms)
	}
	if c.BOS != nil && *c.BOS >= 0 && *c.BOS < int(n) {
		set("tokenizer.ggml.bos_token_id", uint32(*c.BOS))
	}
	var eos int
	if json.Unmarshal(c.EOS, &eos) == nil && eos >= 0 && eos < int(n) {
		set("tokenizer.ggml.eos_token_id", uint32(eos))
	}
	set("tokenizer.ggml.add_bos_token", false)
	return err
}

// preName recognises the HF pre-tokenizers llama.cpp names.
func preName(raw json.RawMessage) (string, error) {
	s := string(raw)
	switch {
	case strings.Contains(s, `"Split"`) && strings.Contains(s, `\\p{N}{1,3}`):
		return "llama-bpe", nil
	case strings.Contains(s, `"Split"`) && strings.Contains(s, `\\p{N}|`):
		return "qwen2", nil
	case strings.Contains(s, `"ByteLevel"`) && !strings.Contains(s, `"Split"`):
		return "gpt-2", nil
	}
	return "", fmt.Errorf("gguf: pre-tokenizer %s export: %w", s, ErrUnsupported)
}

// TokenizerJSON converts the tokenizer in the GGUF metadata to an
// equivalent HF tokenizer.json, the structure transformers' GGUF loader
// (integrations/ggml.py) builds: for "llama", a byte-fallback BPE whose
// merges are every split of a token into two vocabulary pieces, ordered by
// the token's score (highest first); for "gpt2", a byte-level BPE with the
// stored merges and the pre-tokenizer regex tokenizer.ggml.pre names.
func (f *File) TokenizerJSON() ([]byte, error) {
	model, err := f.metaString("tokenizer.ggml.model")
	if err != nil {
		return nil, err
	}
	tv, ok := f.Lookup("tokenizer.ggml.tokens")
	if !ok {
		return nil, &MetadataError{Key: "tokenizer.ggml.tokens", Reason: "missing"}
	}
	tokens, ok := tv.Strings()
	if !ok {
		return nil, &MetadataError{Key: "tokenizer.ggml.tokens", Reason: "not a string array"}
	}
	types := make([]int32, len(tokens))
	for i := range types {
		types[i] = tokNormal
	}
	if v, ok := f.Lookup("tokenizer.ggml.token_type"); ok {
		tt, ok := v.Int32s()
		if !ok || len(tt) != len(tokens) {
			return nil, &MetadataError{Key: "tokenizer.ggml.token_type", Reason: "not an integer array as long as the tokens"}
		}
		types = tt
	}
	vocab := make(map[string]int32, len(tokens))
	for i, t := range tokens {
		if _, dup := vocab[t]; !dup {
			vocab[t] = int32(i)
		}
	}
	var added []tokenizer.AddedToken
	for i, t := range tokens {
		switch types[i] {
		case tokControl, tokUnknown:
			added = append(added, tokenizer.AddedToken{ID: int32(i), Content: t, Special: true})
		case tokUserDefined:
			added = append(added, tokenizer.AddedToken{ID: int32(i), Content: t})
		}
	}
	doc := map[string]any{"version": "1.0", "added_tokens": added, "truncation": nil, "padding": nil, "post_processor": nil}
	switch model {
	case "llama":
		sv, ok := f.Lookup("tokenizer.ggml.scores")
		if !ok {
			return nil, &MetadataError{Key: "tokenizer.ggml.scores", Reason: "missing"}
		}
		scores, ok := sv.Float32s()
		if !ok || len(scores) != len(tokens) {
			return nil, &MetadataError{Key: "tokenizer.ggml.scores", Reason: "not a float array as long as the tokens"}
		}
		unk := 0
		if unk, err = f.metaIntOr("tokenizer.ggml.unknown_token_id", 0); err != nil {
			return nil, err
		}
		if unk >= len(tokens) {
			return nil, &MetadataError{Key: "tokenizer.ggml.unknown_token_id", Reason: "out of range"}
		}
		prefix := true
		if v, ok := f.Lookup("tokenizer.ggml.add_space_prefix"); ok {
			prefix, _ = v.V.(bool)
		}
		var norms []any
		if prefix {
			norms = append(norms, map[string]any{"type": "Prepend", "prepend": "▁"})
		}
		norms = append(norms, map[string]any{"type": "Replace", "pattern": map[string]any{"String": " "}, "content": "▁"})
		doc["normalizer"] = map[string]any{"type": "Sequence", "normalizers": norms}
		doc["pre_tokenizer"] = nil
		decs := []any{
			map[string]any{"type": "Replace", "pattern": map[string]any{"String": "▁"}, "content": " "},
			map[string]any{"type": "ByteFallback"},
			map[string]any{"type": "Fuse"},
		}
		if prefix {
			decs = append(decs, map[string]any{"type": "Strip", "content": " ", "start": 1, "stop": 0})
		}
		doc["decoder"] = map[string]any{"type": "Sequence", "decoders": decs}
		doc["model"] = map[string]any{"type": "BPE", "dropout": nil, "unk_token": tokens[unk],
			"continuing_subword_prefix": nil, "end_of_word_suffix": nil, "fuse_unk": true,
			"byte_fallback": true, "ignore_merges": false, "vocab": vocab,
			"merges": mergesFromScores(tokens, types, scores, vocab)}
	case "gpt2":
		mv, ok := f.Lookup("tokenizer.ggml.merges")
		if !ok {
			return nil, &MetadataError{Key: "tokenizer.ggml.merges", Reason: "missing"}
		}
		ms, ok := mv.Strings()
		if !ok {
			return nil, &MetadataError{Key: "tokenizer.ggml.merges", Reason: "not a string array"}
		}
		merges := make([][2]string, len(ms))
		for i, m := range ms {
			a, b, ok := strings.Cut(m, " ")
			if !ok {
				return nil, &MetadataError{Key: "tokenizer.ggml.merges", Reason: fmt.Sprintf("merge %d (%q) has no space", i, m)}
			}
			merges[i] = [2]string{a, b}
		}
		pre := "gpt2"
		if v, ok := f.Lookup("tokenizer.ggml.pre"); ok {
			pre, _ = v.Str()
		}
		byteLevel := func(regex bool) map[string]any {
			return map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": regex}
		}
		split := func(pat string) map[string]any {
			return map[string]any{"type": "Sequence", "pretokenizers": []any{
				map[string]any{"type": "Split", "pattern": map[string]any{"Regex": pat}, "behavior": "Isolated", "invert": false},
				byteLevel(false)}}
		}
		doc["normalizer"] = nil
		switch pre {
		case "gpt-2", "gpt2", "default", "":
			doc["pre_tokenizer"] = byteLevel(true)
		case "llama-bpe", "llama3", "smaug-bpe":
			doc["pre_tokenizer"] = split(llama3Pattern)
		case "qwen2":
			doc["normalizer"] = map[string]any{"type": "NFC"}
			doc["pre_tokenizer"] = split(qwen2Pattern)
		default:
			return nil, &MetadataError{Key: "tokenizer.ggml.pre", Reason: fmt.Sprintf("pre-tokenizer %q is not supported", pre)}
		}
		doc["decoder"] = byteLevel(true)
		doc["model"] = map[string]any{"type": "BPE", "dropout": nil, "unk_token": nil,
			"continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": false,
			"byte_fallback": false, "ignore_merges": false, "vocab": vocab, "merges": merges}
	default:
		return nil, &MetadataError{Key: "tokenizer.ggml.model", Reason: fmt.Sprintf("tokenizer model %q is not supported", model)}
	}
	return json.Marshal(doc)
}

// mergesFromScores lists, for every normal token, each split into two
// vocabulary pieces, ordered by the token's score (highest first), then by
// the ids of the left and right pieces.
func mergesFromScores(tokens []string, types []int32, scores []float32, vocab map[string]int32) [][2]string {
	type merge struct {
		l, r  int32
		score float32
	}
	var ms []merge
	for i, t := range tokens {
		if types[i] != tokNormal || utf8.RuneCountInString(t) < 2 {
			continue
		}
		for j := range t {
			if j == 0 {
				continue
			}
			l, okL := vocab[t[:j]]
			r, okR := vocab[t[j:]]
			if okL && okR {
				ms = append(ms, merge{l, r, scores[i]})
			}
		}
	}
	sort.SliceStable(ms, func(a, b int) bool {
		if ms[a].score != ms[b].score {
			return ms[a].score > ms[b].score
		}
		if ms[a].l != ms[b].l {
			return ms[a].l < ms[b].l
		}
		return ms[a].r < ms[b].r
	})
	out := make([][2]string, len(ms))
	for i, m := range ms {
		out[i] = [2]string{tokens[m.l], tokens[m.r]}
	}
	return out
}

// Tokenizer loads the GGUF's tokenizer as a lamina tokenizer (through the
// equivalent tokenizer.json; see TokenizerJSON).
func (f *File) Tokenizer() (*tokenizer.Tokenizer, error) {
	doc, err := f.TokenizerJSON()
	if err != nil {
		return nil, err
	}
	return tokenizer.Load(doc)
}

func isByteToken(t string) bool {
	const hex = "0123456789ABCDEF"
	return len(t) == 6 && t[:3] == "<0x" && t[5] == '>' && strings.IndexByte(hex, t[3]) >= 0 && strings.IndexByte(hex, t[4]) >= 0
}
