// Package tokenizer implements the Hugging Face tokenizers pipeline as
// serialised in tokenizer.json: added-token extraction, normalizer,
// pre-tokenizer, model (BPE, WordPiece, WordLevel), post-processor and decoder.
//
// Encode matches the Rust crate's encode(text, add_special_tokens=false) and
// Decode its decode(ids, skip_special_tokens=false). The reference is
// huggingface/tokenizers (tokenizers/src); comments name the file whose
// behaviour a piece of code reproduces.
package tokenizer

import (
	"encoding/json"
	"sort"
)

// AddedToken is one entry of tokenizer.json's "added_tokens".
type AddedToken struct {
	ID         int32  `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// Tokenizer is a loaded tokenizer.json. It is safe for concurrent use.
type Tokenizer struct {
	normalizer normalizer   // nil: identity
	preTok     preTokenizer // nil: the whole piece is one word
	model      model
	post       postProcessor // nil: EncodeWithSpecial == Encode
	decoder    decoder       // nil: tokens joined with " "

	added          []AddedToken
	addedByID      map[int32]string
	addedByContent map[string]int32
	rawMatcher     *addedMatcher // added tokens with normalized=false, matched on the input text
	normMatcher    *addedMatcher // added tokens with normalized=true, matched on normalized text
}

type fileJSON struct {
	AddedTokens   []AddedToken    `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	Model         json.RawMessage `json:"model"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
}

// Load parses a tokenizer.json document. Malformed input yields a
// *FormatError, components this package does not implement an
// *UnsupportedError naming the component type.
func Load(data []byte) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, &FormatError{Component: "tokenizer.json", Msg: "invalid JSON", Err: err}
	}
	if isNull(f.Model) {
		return nil, formatErr("model", "missing")
	}
	t := &Tokenizer{}
	var err error
	if t.model, err = parseModel(f.Model); err != nil {
		return nil, err
	}
	if t.normalizer, err = parseNormalizer(f.Normalizer); err != nil {
		return nil, err
	}
	if t.preTok, err = parsePreTokenizer(f.PreTokenizer); err != nil {
		return nil, err
	}
	if t.decoder, err = parseDecoder(f.Decoder); err != nil {
		return nil, err
	}
	if t.post, err = parsePostProcessor(f.PostProcessor); err != nil {
		return nil, err
	}
	if err := t.setAdded(f.AddedTokens); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Tokenizer) setAdded(tokens []AddedToken) error {
	t.addedByID = make(map[int32]string, len(tokens))
	t.addedByContent = make(map[string]int32, len(tokens))
	var raw, norm []AddedToken
	for _, a := range tokens {
		if a.ID < 0 {
			return formatErr("added_tokens", "negative id %d for %q", a.ID, a.Content)
		}
		if a.Content == "" {
			return formatErr("added_tokens", "empty content for id %d", a.ID)
		}
		t.added = append(t.added, a)
		t.addedByID[a.ID] = a.Content
		t.addedByContent[a.Content] = a.ID
		if a.Normalized {
			// added_vocabulary.rs matches normalized tokens by their
			// normalized form against normalized text.
			b := a
			if t.normalizer != nil {
				b.Content = t.normalizer.normalize(a.Content)
			}
			if b.Content != "" {
				norm = append(norm, b)
			}
		} else {
			raw = append(raw, a)
		}
	}
	t.rawMatcher = newAddedMatcher(raw)
	t.normMatcher = newAddedMatcher(norm)
	return nil
}

// Encode tokenizes text without adding special tokens (HF
// encode(text, add_special_tokens=False)).
func (t *Tokenizer) Encode(text string) []int32 {
	var ids []int32
	for _, p := range t.splitAdded(text) {
		if p.id >= 0 {
			ids = append(ids, p.id)
			continue
		}
		words := []split{{s: p.s, atStart: p.atStart}}
		if t.preTok != nil {
			words = t.preTok.preTokenize(words)
		}
		for _, w := range words {
			ids = t.model.tokenize(w.s, ids)
		}
	}
	return ids
}

// EncodeWithSpecial tokenizes text and applies the file's post_processor
// (HF encode(text, add_special_tokens=True)), e.g. prepending BOS.
func (t *Tokenizer) EncodeWithSpecial(text string) []int32 {
	ids := t.Encode(text)
	if t.post != nil {
		ids = t.post.process(ids)
	}
	return ids
}

// Decode turns ids back into text (HF decode(ids, skip_special_tokens=False)).
// Unknown ids are skipped, as in the Rust crate.
func (t *Tokenizer) Decode(ids []int32) string {
	tokens := t.Tokens(ids)
	if t.decoder == nil {
		return joinStrings(tokens, " ")
	}
	return joinStrings(t.decoder.decodeChain(tokens), "")
}

// Tokens maps ids to their token strings, skipping ids outside the vocabulary.
func (t *Tokenizer) Tokens(ids []int32) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if s, ok := t.IDToToken(id); ok {
			out = append(out, s)
		}
	}
	return out
}

// IDToToken returns the token string for id; added tokens take precedence
// over the model vocabulary, as in the Rust crate.
func (t *Tokenizer) IDToToken(id int32) (string, bool) {
	if s, ok := t.addedByID[id]; ok {
		return s, true
	}
	return t.model.idToToken(id)
}

// TokenToID returns the id of token, looking at added tokens first.
func (t *Tokenizer) TokenToID(token string) (int32, bool) {
	if id, ok := t.addedByContent[token]; ok {
		return id, true
	}
	return t.model.tokenToID(token)
}

// VocabSize is HF get_vocab_size(with_added_tokens=True): the number of
// distinct token strings in the model vocabulary and the added tokens.
func (t *Tokenizer) VocabSize() int {
	n := t.model.vocabSize()
	for _, a := range t.added {
		if _, ok := t.model.tokenToID(a.Content); !ok {
			n++
		}
	}
	return n
}

// MaxID is the largest id any token maps to (-1 for an empty vocabulary);
// an embedding table needs MaxID()+1 rows.
func (t *Tokenizer) MaxID() int32 {
	m := t.model.maxID()
	for _, a := range t.added {
		if a.ID > m {
			m = a.ID
		}
	}
	return m
}

// AddedTokens lists the file's added tokens sorted by id.
func (t *Tokenizer) AddedTokens() []AddedToken {
	out := append([]AddedToken(nil), t.added...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// SpecialTokens lists the added tokens marked special, sorted by id.
func (t *Tokenizer) SpecialTokens() []AddedToken {
	var out []AddedToken
	for _, a := range t.AddedTokens() {
		if a.Special {
			out = append(out, a)
		}
	}
	return out
}

func joinStrings(parts []string, sep string) string {
	n := 0
	for _, p := range parts {
		n += len(p) + len(sep)
	}
	b := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			b = append(b, sep...)
		}
		b = append(b, p...)
	}
	return string(b)
}

func isNull(m json.RawMessage) bool {
	s := string(m)
	return len(m) == 0 || s == "null"
}
