package tokenizer

import "encoding/json"

type postProcessor interface {
	// process adds special tokens around one sequence's ids.
	process(ids []int32) []int32
}

type templatePiece struct {
	special []int32 // ids of a SpecialToken piece; nil for the sequence itself
	isSeq   bool
}

// template is processors/template.rs for a single sequence.
type template []templatePiece

func (t template) process(ids []int32) []int32 {
	out := make([]int32, 0, len(ids)+4)
	for _, p := range t {
		if p.isSeq {
			out = append(out, ids...)
		} else {
			out = append(out, p.special...)
		}
	}
	return out
}

type seqPost []postProcessor

func (s seqPost) process(ids []int32) []int32 {
	for _, p := range s {
		ids = p.process(ids)
	}
	return ids
}

type identityPost struct{}

func (identityPost) process(ids []int32) []int32 { return ids }

func parsePostProcessor(raw json.RawMessage) (postProcessor, error) {
	if isNull(raw) {
		return nil, nil
	}
	var t typed
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, &FormatError{Component: "post_processor", Msg: "want an object with a type", Err: err}
	}
	bad := func(err error) error { return &FormatError{Component: "post_processor", Msg: t.Type, Err: err} }
	switch t.Type {
	case "TemplateProcessing":
		var j struct {
			Single []struct {
				Sequence *struct {
					ID string `json:"id"`
				} `json:"Sequence"`
				SpecialToken *struct {
					ID string `json:"id"`
				} `json:"SpecialToken"`
			} `json:"single"`
			SpecialTokens map[string]struct {
				IDs []int32 `json:"ids"`
			} `json:"special_tokens"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, bad(err)
		}
		var tpl template
		for _, p := range j.Single {
			switch {
			case p.Sequence != nil:
				tpl = append(tpl, templatePiece{isSeq: true})
			case p.SpecialToken != nil:
				st, ok := j.SpecialTokens[p.SpecialToken.ID]
				if !ok {
					return nil, formatErr("post_processor", "template uses undefined special token %q", p.SpecialToken.ID)
				}
				tpl = append(tpl, templatePiece{special: st.IDs})
			default:
				return nil, formatErr("post_processor", "template piece is neither Sequence nor SpecialToken")
			}
		}
		return tpl, nil
	case "BertProcessing", "RobertaProcessing":
		// Both serialise sep and cls as [token, id] and wrap one sequence
		// as cls A sep.
		var j struct {
			Sep []json.RawMessage `json:"sep"`
			Cls []json.RawMessage `json:"cls"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, bad(err)
		}
		var sep, cls int32
		if len(j.Sep) != 2 || len(j.Cls) != 2 || json.Unmarshal(j.Sep[1], &sep) != nil || json.Unmarshal(j.Cls[1], &cls) != nil {
			return nil, formatErr("post_processor", "%s wants sep and cls as [token, id]", t.Type)
		}
		return template{{special: []int32{cls}}, {isSeq: true}, {special: []int32{sep}}}, nil
	case "ByteLevel":
		// Only trims offsets; ids are unchanged.
		return identityPost{}, nil
	case "Sequence":
		var j struct {
			Processors []json.RawMessage `json:"processors"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, bad(err)
		}
		var seq seqPost
		for _, r := range j.Processors {
			p, err := parsePostProcessor(r)
			if err != nil {
				return nil, err
			}
			if p != nil {
				seq = append(seq, p)
			}
		}
		return seq, nil
	case "":
		return nil, formatErr("post_processor", "missing type")
	default:
		return nil, &UnsupportedError{Component: "post_processor", Type: t.Type}
	}
}
