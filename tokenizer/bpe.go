package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

type model interface {
	// tokenize appends the ids of one pre-tokenized word to dst.
	tokenize(word string, dst []int32) []int32
	idToToken(id int32) (string, bool)
	tokenToID(tok string) (int32, bool)
	vocabSize() int
	maxID() int32
}

type bpeJSON struct {
	Type                    string           `json:"type"`
	Dropout                 *float64         `json:"dropout"`
	UnkToken                *string          `json:"unk_token"`
	ContinuingSubwordPrefix *string          `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string          `json:"end_of_word_suffix"`
	FuseUnk                 bool             `json:"fuse_unk"`
	ByteFallback            bool             `json:"byte_fallback"`
	IgnoreMerges            bool             `json:"ignore_merges"`
	Vocab                   map[string]int32 `json:"vocab"`
	Merges                  json.RawMessage  `json:"merges"`
}

type mergeVal struct {
	rank  int32
	newID int32
}

// bpeCacheCap bounds the word cache, like the Rust crate's DEFAULT_CACHE_CAPACITY.
const bpeCacheCap = 10000

// bpeCacheMaxWord is the longest word worth caching (the Rust crate's MAX_LENGTH).
const bpeCacheMaxWord = 256

type bpe struct {
	vocab        map[string]int32
	vocabR       map[int32]string
	merges       *mergeTable
	unkID        int32 // -1: no unk token, unknown characters are dropped
	fuseUnk      bool
	byteFallback bool
	byteIDs      [256]int32 // ids of "<0xNN>", -1 where absent
	ignoreMerges bool
	prefix       string // continuing_subword_prefix
	suffix       string // end_of_word_suffix
	maxTokenID   int32

	mu    sync.Mutex
	cache map[string][]int32
}

func parseBPE(raw json.RawMessage) (*bpe, error) {
	var j bpeJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, &FormatError{Component: "model", Msg: "BPE", Err: err}
	}
	if j.Dropout != nil && *j.Dropout != 0 {
		// Dropout is a training-time regulariser; inference files have null.
		return nil, &UnsupportedError{Component: "model", Type: "BPE", Detail: "dropout is not supported"}
	}
	m := &bpe{
		vocab:        j.Vocab,
		vocabR:       make(map[int32]string, len(j.Vocab)),
		unkID:        -1,
		fuseUnk:      j.FuseUnk,
		byteFallback: j.ByteFallback,
		ignoreMerges: j.IgnoreMerges,
		maxTokenID:   -1,
		cache:        make(map[string][]int32),
	}
	if m.vocab == nil {
		m.vocab = map[string]int32{}
	}
	if j.ContinuingSubwordPrefix != nil {
		m.prefix = *j.ContinuingSubwordPrefix
	}
	if j.EndOfWordSuffix != nil {
		m.suffix = *j.EndOfWordSuffix
	}
	for tok, id := range m.vocab {
		if id < 0 {
			return nil, formatErr("model", "negative id %d for token %q", id, tok)
		}
		m.vocabR[id] = tok
		m.maxTokenID = max(m.maxTokenID, id)
	}
	if j.UnkToken != nil {
		id, ok := m.vocab[*j.UnkToken]
		if !ok {
			return nil, formatErr("model", "unk_token %q is not in the vocabulary", *j.UnkToken)
		}
		m.unkID = id
	}
	for b := 0; b < 256; b++ {
		m.byteIDs[b] = -1
		if id, ok := m.vocab[fmt.Sprintf("<0x%02X>", b)]; ok {
			m.byteIDs[b] = id
		}
	}
	pairs, err := parseMerges(j.Merges)
	if err != nil {
		return nil, err
	}
	m.merges = newMergeTable(len(pairs))
	for rank, p := range pairs {
		a, ok := m.vocab[p[0]]
		if !ok {
			return nil, formatErr("model", "merge %d: token %q is not in the vocabulary", rank, p[0])
		}
		b, ok := m.vocab[p[1]]
		if !ok {
			return nil, formatErr("model", "merge %d: token %q is not in the vocabulary", rank, p[1])
		}
		// models/bpe/model.rs: the merged token drops the right part's
		// continuing_subword_prefix.
		right := p[1]
		if m.prefix != "" {
			right = strings.TrimPrefix(right, m.prefix)
		}
		n, ok := m.vocab[p[0]+right]
		if !ok {
			return nil, formatErr("model", "merge %d: merged token %q is not in the vocabulary", rank, p[0]+right)
		}
		m.merges.put(a, b, mergeVal{rank: int32(rank), newID: n})
	}
	return m, nil
}

// parseMerges accepts the legacy "a b" strings and the [a, b] pairs written
// by tokenizers >= 0.20.
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	// Fast paths: a list of one form decodes in a single pass. A mixed
	// list (allowed by the Rust crate) falls through to per-item decoding.
	if first := bytes.TrimLeft(raw, " \t\r\n"); len(first) > 0 && first[0] == '[' {
		rest := bytes.TrimLeft(first[1:], " \t\r\n")
		if len(rest) > 0 && rest[0] == '"' {
			var ss []string
			if json.Unmarshal(raw, &ss) == nil {
				out := make([][2]string, len(ss))
				for i, s := range ss {
					a, b, ok := strings.Cut(s, " ")
					if !ok {
						return nil, formatErr("model", "merge %d: %q is not two space-separated tokens", i, s)
					}
					out[i] = [2]string{a, b}
				}
				return out, nil
			}
		} else if len(rest) > 0 && rest[0] == '[' {
			var pp [][]string
			if json.Unmarshal(raw, &pp) == nil {
				out := make([][2]string, len(pp))
				for i, p := range pp {
					if len(p) != 2 {
						return nil, formatErr("model", "merge %d: want a pair of strings", i)
					}
					out[i] = [2]string{p[0], p[1]}
				}
				return out, nil
			}
		}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, &FormatError{Component: "model", Msg: "merges must be a list", Err: err}
	}
	out := make([][2]string, len(items))
	for i, it := range items {
		if len(it) > 0 && it[0] == '"' {
			var s string
			if err := json.Unmarshal(it, &s); err != nil {
				return nil, &FormatError{Component: "model", Msg: fmt.Sprintf("merge %d", i), Err: err}
			}
			a, b, ok := strings.Cut(s, " ")
			if !ok {
				return nil, formatErr("model", "merge %d: %q is not two space-separated tokens", i, s)
			}
			out[i] = [2]string{a, b}
			continue
		}
		var pair []string
		if err := json.Unmarshal(it, &pair); err != nil || len(pair) != 2 {
			return nil, formatErr("model", "merge %d: want a string or a pair of strings", i)
		}
		out[i] = [2]string{pair[0], pair[1]}
	}
	return out, nil
}

func (m *bpe) idToToken(id int32) (string, bool) { s, ok := m.vocabR[id]; return s, ok }
func (m *bpe) tokenToID(t string) (int32, bool)  { id, ok := m.vocab[t]; return id, ok }
func (m *bpe) vocabSize() int                    { return len(m.vocab) }
func (m *bpe) maxID() int32                      { return m.maxTokenID }

func (m *bpe) tokenize(word string, dst []int32) []int32 {
	if word == "" {
		return dst
	}
	if m.ignoreMerges {
		if id, ok := m.vocab[word]; ok {
			return append(dst, id)
		}
	}
	m.mu.Lock()
	ids, hit := m.cache[word]
	m.mu.Unlock()
	if hit {
		return append(dst, ids...)
	}
	ids = m.mergeWord(word)
	if len(word) < bpeCacheMaxWord {
		m.mu.Lock()
		if len(m.cache) >= bpeCacheCap {
			// Drop everything rather than track recency: cheap and bounded.
			clear(m.cache)
		}
		m.cache[word] = ids
		m.mu.Unlock()
	}
	return append(dst, ids...)
}

// symbol is one node of the doubly linked list of word parts (word.rs).
type symbol struct {
	id         int32
	prev, next int32 // -1 at the ends
	removed    bool
}

type mergeCand struct {
	pos   int32
	rank  int32
	newID int32
}

// mergeHeap is a min-heap on (rank, pos), the order of word.rs's Merge.
// Typed rather than container/heap to avoid boxing every candidate.
type mergeHeap []mergeCand

func (h mergeHeap) less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].pos < h[j].pos
}

func (h *mergeHeap) push(c mergeCand) {
	*h = append(*h, c)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (h *mergeHeap) pop() mergeCand {
	q := *h
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q = q[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && q.less(l, m) {
			m = l
		}
		if r < n && q.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}

// mergeScratch holds mergeWord's working buffers between calls.
type mergeScratch struct {
	syms []symbol
	heap mergeHeap
	buf  []byte
}

var scratchPool = sync.Pool{New: func() any { return new(mergeScratch) }}

// mergeWord is model.rs merge_word + word.rs merge_all: map characters to
// ids (with byte fallback / unk), then apply merges lowest rank first using
// a heap, O(n log n) in the word length.
func (m *bpe) mergeWord(w string) []int32 {
	sc := scratchPool.Get().(*mergeScratch)
	defer scratchPool.Put(sc)
	syms := sc.syms[:0]
	add := func(id int32) {
		n := int32(len(syms))
		syms = append(syms, symbol{id: id, prev: n - 1, next: -1})
		if n > 0 {
			syms[n-1].next = n
		}
	}
	pendingUnk := false
	for i := 0; i < len(w); {
		_, size := utf8.DecodeRuneInString(w[i:])
		ch := w[i : i+size]
		isFirst, isLast := i == 0, i+size == len(w)
		i += size
		s := ch
		var id int32
		var ok bool
		if (!isFirst && m.prefix != "") || (isLast && m.suffix != "") {
			b := sc.buf[:0]
			if !isFirst {
				b = append(b, m.prefix...)
			}
			b = append(b, ch...)
			if isLast {
				b = append(b, m.suffix...)
			}
			sc.buf = b
			id, ok = m.vocab[string(b)] // no allocation for a map index
			if !ok {
				s = string(b)
			}
		} else {
			id, ok = m.vocab[s]
		}
		if ok {
			if pendingUnk {
				add(m.unkID)
				pendingUnk = false
			}
			add(id)
			continue
		}
		if m.byteFallback && m.allBytes(s) {
			for k := 0; k < len(s); k++ {
				add(m.byteIDs[s[k]])
			}
			continue
		}
		if m.unkID >= 0 {
			if pendingUnk && !m.fuseUnk {
				add(m.unkID)
			}
			pendingUnk = true
		}
	}
	if pendingUnk {
		add(m.unkID)
	}

	if len(syms) > 1 && m.merges.len() > 0 {
		h := sc.heap[:0]
		for i := 0; i+1 < len(syms); i++ {
			if mv, ok := m.merges.get(syms[i].id, syms[i+1].id); ok {
				h.push(mergeCand{pos: int32(i), rank: mv.rank, newID: mv.newID})
			}
		}
		for len(h) > 0 {
			top := h.pop()
			cur := &syms[top.pos]
			if cur.removed || cur.next < 0 {
				continue
			}
			right := syms[cur.next]
			// Skip stale entries: the pair at pos must still produce newID.
			if mv, ok := m.merges.get(cur.id, right.id); !ok || mv.newID != top.newID {
				continue
			}
			cur.id = top.newID
			syms[cur.next].removed = true
			cur.next = right.next
			if right.next >= 0 {
				syms[right.next].prev = top.pos
			}
			if cur.prev >= 0 {
				if mv, ok := m.merges.get(syms[cur.prev].id, cur.id); ok {
					h.push(mergeCand{pos: cur.prev, rank: mv.rank, newID: mv.newID})
				}
			}
			if cur.next >= 0 {
				if mv, ok := m.merges.get(cur.id, syms[cur.next].id); ok {
					h.push(mergeCand{pos: top.pos, rank: mv.rank, newID: mv.newID})
				}
			}
		}
		sc.heap = h
	}
	n := 0
	for _, s := range syms {
		if !s.removed {
			n++
		}
	}
	out := make([]int32, 0, n)
	for _, s := range syms {
		if !s.removed {
			out = append(out, s.id)
		}
	}
	sc.syms = syms
	return out
}

func (m *bpe) allBytes(s string) bool {
	for k := 0; k < len(s); k++ {
		if m.byteIDs[s[k]] < 0 {
			return false
		}
	}
	return true
}
