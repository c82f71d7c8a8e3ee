package tokenizer

import (
	"encoding/json"
	"unicode/utf8"
)

func parseModel(raw json.RawMessage) (model, error) {
	var t typed
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, &FormatError{Component: "model", Msg: "want an object", Err: err}
	}
	switch t.Type {
	case "BPE":
		return parseBPE(raw)
	case "WordPiece":
		return parseWordPiece(raw)
	case "WordLevel":
		return parseWordLevel(raw)
	case "":
		// Old files omit the model type; the Rust crate then guesses from
		// the fields. Only BPE (the only one with merges) is guessed here.
		var probe struct {
			Merges json.RawMessage `json:"merges"`
		}
		if json.Unmarshal(raw, &probe) == nil && !isNull(probe.Merges) {
			return parseBPE(raw)
		}
		return nil, formatErr("model", "missing type")
	default:
		return nil, &UnsupportedError{Component: "model", Type: t.Type}
	}
}

// vocabModel holds the token <-> id maps shared by WordPiece and WordLevel.
type vocabModel struct {
	vocab      map[string]int32
	vocabR     map[int32]string
	maxTokenID int32
}

func newVocabModel(v map[string]int32) (vocabModel, error) {
	m := vocabModel{vocab: v, vocabR: make(map[int32]string, len(v)), maxTokenID: -1}
	if m.vocab == nil {
		m.vocab = map[string]int32{}
	}
	for tok, id := range m.vocab {
		if id < 0 {
			return m, formatErr("model", "negative id %d for token %q", id, tok)
		}
		m.vocabR[id] = tok
		m.maxTokenID = max(m.maxTokenID, id)
	}
	return m, nil
}

func (m *vocabModel) idToToken(id int32) (string, bool) { s, ok := m.vocabR[id]; return s, ok }
func (m *vocabModel) tokenToID(t string) (int32, bool)  { id, ok := m.vocab[t]; return id, ok }
func (m *vocabModel) vocabSize() int                    { return len(m.vocab) }
func (m *vocabModel) maxID() int32                      { return m.maxTokenID }

// wordPiece is models/wordpiece: greedy longest-match-first.
type wordPiece struct {
	vocabModel
	unkID    int32
	prefix   string
	maxChars int
}

func parseWordPiece(raw json.RawMessage) (model, error) {
	j := struct {
		UnkToken string           `json:"unk_token"`
		Prefix   string           `json:"continuing_subword_prefix"`
		MaxChars int              `json:"max_input_chars_per_word"`
		Vocab    map[string]int32 `json:"vocab"`
	}{UnkToken: "[UNK]", Prefix: "##", MaxChars: 100}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, &FormatError{Component: "model", Msg: "WordPiece", Err: err}
	}
	vm, err := newVocabModel(j.Vocab)
	if err != nil {
		return nil, err
	}
	unk, ok := vm.vocab[j.UnkToken]
	if !ok {
		return nil, formatErr("model", "WordPiece unk_token %q is not in the vocabulary", j.UnkToken)
	}
	return &wordPiece{vocabModel: vm, unkID: unk, prefix: j.Prefix, maxChars: j.MaxChars}, nil
}

func (m *wordPiece) tokenize(w string, dst []int32) []int32 {
	if w == "" {
		return dst
	}
	if utf8.RuneCountInString(w) > m.maxChars {
		return append(dst, m.unkID)
	}
	base := len(dst)
	for start := 0; start < len(w); {
		end := len(w)
		found := int32(-1)
		for start < end {
			sub := w[start:end]
			if start > 0 {
				sub = m.prefix + sub
			}
			if id, ok := m.vocab[sub]; ok {
				found = id
				break
			}
			_, n := utf8.DecodeLastRuneInString(w[start:end])
			end -= n
		}
		if found < 0 {
			return append(dst[:base], m.unkID)
		}
		dst = append(dst, found)
		start = end
	}
	return dst
}

// wordLevel maps each word to its id or the unk token.
type wordLevel struct {
	vocabModel
	unkID int32
}

func parseWordLevel(raw json.RawMessage) (model, error) {
	var j struct {
		UnkToken string           `json:"unk_token"`
		Vocab    map[string]int32 `json:"vocab"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, &FormatError{Component: "model", Msg: "WordLevel", Err: err}
	}
	vm, err := newVocabModel(j.Vocab)
	if err != nil {
		return nil, err
	}
	unk := int32(-1)
	if id, ok := vm.vocab[j.UnkToken]; ok {
		unk = id
	}
	return &wordLevel{vocabModel: vm, unkID: unk}, nil
}

func (m *wordLevel) tokenize(w string, dst []int32) []int32 {
	if id, ok := m.vocab[w]; ok {
		return append(dst, id)
	}
	if m.unkID >= 0 {
		return append(dst, m.unkID)
	}
	// models/wordlevel errors out here; Encode has no error path, so the
	// word is dropped, like BPE without unk_token.
	return dst
}
