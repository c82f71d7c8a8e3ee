package jsonmode

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"unicode/utf8"
)

// Vocab is a tokenizer's vocabulary as the bytes each token adds to the
// text, arranged in a trie so that tokens sharing a prefix share the
// grammar steps over it. Build it once per tokenizer; it is immutable.
type Vocab struct {
	size  int
	root  *trieNode
	bytes [][]byte
	// plain are the tokens that are string content whatever the string
	// (whole UTF-8 characters, no quote, backslash or control byte), and
	// rest the trie of all other tokens: inside a string Mask allows the
	// plain ones at once and walks only rest (GPT-2: 50,257 → a few
	// thousand tokens walked).
	plain   []int32
	isPlain []bool // by id
	rest    *trieNode
}

type trieNode struct {
	ids   []int32
	edges []trieEdge // sorted by byte
}

type trieEdge struct {
	b    byte
	next *trieNode
}

// NewVocab indexes tokens: tokens[id] is the byte string token id adds
// in the middle of a text, or nil (empty) for a token that must never be
// generated under a constraint (special and control tokens).
func NewVocab(tokens [][]byte) *Vocab {
	v := &Vocab{size: len(tokens), root: &trieNode{}, rest: &trieNode{}, bytes: tokens, isPlain: make([]bool, len(tokens))}
	for id, t := range tokens {
		if len(t) == 0 {
			continue
		}
		insert(v.root, t, int32(id))
		if plainString(t) {
			v.plain = append(v.plain, int32(id))
			v.isPlain[id] = true
		} else {
			insert(v.rest, t, int32(id))
		}
	}
	return v
}

// plainString reports whether t is string content in any plain-text
// string position: whole UTF-8 characters and none of '"', '\\' or a
// control byte (what stepString accepts without changing its frame).
func plainString(t []byte) bool {
	if !utf8.Valid(t) {
		return false
	}
	for _, b := range t {
		if b == '"' || b == '\\' || b < 0x20 {
			return false
		}
	}
	return true
}

// insert adds token id with bytes t to the trie at n.
func insert(n *trieNode, t []byte, id int32) {
	for _, b := range t {
		i := sort.Search(len(n.edges), func(i int) bool { return n.edges[i].b >= b })
		if i == len(n.edges) || n.edges[i].b != b {
			n.edges = append(n.edges, trieEdge{})
			copy(n.edges[i+1:], n.edges[i:])
			n.edges[i] = trieEdge{b: b, next: &trieNode{}}
		}
		n = n.edges[i].next
	}
	n.ids = append(n.ids, id)
}

// Size is the number of ids the vocabulary covers.
func (v *Vocab) Size() int { return v.size }

// ErrBudget is returned when the token budget cannot hold the shortest
// valid output.
var ErrBudget = errors.New("jsonmode: max_tokens is too small for the shortest output the schema allows")

// Constraint walks one generation: Mask before each step, Accept after it.
// It implements model.Constraint. A Constraint is not safe for concurrent
// use; make one per generation.
type Constraint struct {
	g     *Grammar
	vocab *Vocab
	eos   []int32
	state State
	done  bool
	// dfas are the patterns' lazily built DFAs (dfa.go), kept for the
	// generation; slowPatterns turns that fast path off (tests compare).
	dfas         map[*regex]*patternDFA
	slowPatterns bool
}

// NewConstraint starts a generation of at most maxTokens tokens. eos are
// the ids that end it (allowed only where the output is complete). It
// fails with ErrBudget when even one byte per token cannot fit the
// shortest valid output (the budget rule in Mask).
func (g *Grammar) NewConstraint(v *Vocab, eos []int32, maxTokens int) (*Constraint, error) {
	if need := g.root.minLen; need > maxTokens {
		return nil, fmt.Errorf("%w (needs %d tokens, max_tokens is %d)", ErrBudget, need, maxTokens)
	}
	return &Constraint{g: g, vocab: v, eos: eos, state: g.Start()}, nil
}

// Mask sets logits[id] to -Inf for every id not allowed next. remaining
// counts the tokens left including this one. A token is allowed when its
// bytes extend the output to a prefix of a valid document that the
// tokens left after it can finish at one byte per token (every byte has a
// token in byte-level and byte-fallback vocabularies), so a generation
// that starts within budget always ends valid. EOS ids are allowed where
// the output is already complete.
func (c *Constraint) Mask(logits []float32, remaining int) error {
	allowed := make([]bool, len(logits))
	found := false
	var walk func(n *trieNode, st State)
	walk = func(n *trieNode, st State) {
		if len(n.ids) > 0 && st.Remaining() <= remaining-1 {
			for _, id := range n.ids {
				if int(id) < len(allowed) {
					allowed[id] = true
					found = true
				}
			}
		}
		for _, e := range n.edges {
			if next := st.advance(e.b); len(next) > 0 {
				walk(e.next, next)
			}
		}
	}
	root := c.vocab.root
	if len(c.state) == 1 && c.state[0] != nil {
		if f := &c.state[0].f; f.k == fStr && f.sub == strPlain && f.need == 0 && f.n != nil && f.n.re != nil && !c.slowPatterns {
			if groups, ok := c.patternGroups(f); ok {
				// A plain token leaves the frame as it is but for the
				// automaton's state: its stack's budget is the group's.
				upRem := 0
				if up := c.state[0].up; up != nil {
					upRem = up.rem
				}
				for _, g := range groups {
					if upRem+g.end.rem <= remaining-1 {
						for _, id := range g.ids {
							if int(id) < len(allowed) {
								allowed[id] = true
								found = true
							}
						}
					}
				}
				root = c.vocab.rest
			}
		} else if f.k == fStr && f.sub == strPlain && f.need == 0 && !f.n.bounded() {
			// Plain tokens leave the stack as it is (stepString returns it
			// unchanged), so they share its budget check.
			if c.state.Remaining() <= remaining-1 {
				for _, id := range c.vocab.plain {
					if int(id) < len(allowed) {
						allowed[id] = true
						found = true
					}
				}
			}
			root = c.vocab.rest
		}
	}
	walk(&trieNode{edges: root.edges}, c.state) // the root holds no ids
	if c.state.Complete() {
		for _, id := range c.eos {
			if int(id) < len(allowed) && id >= 0 {
				allowed[id] = true
				found = true
			}
		}
	}
	if !found {
		return fmt.Errorf("jsonmode: no token can continue the output (the vocabulary lacks the bytes the schema needs next)")
	}
	inf := float32(math.Inf(-1))
	for id, ok := range allowed {
		if !ok {
			logits[id] = inf
		}
	}
	return nil
}

// Accept advances past token id.
func (c *Constraint) Accept(id int32) error {
	for _, e := range c.eos {
		if e == id {
			if !c.state.Complete() {
				return fmt.Errorf("jsonmode: end of sequence before the JSON is complete")
			}
			c.done = true
			return nil
		}
	}
	if id < 0 || int(id) >= c.vocab.size || len(c.vocab.bytes[id]) == 0 {
		return fmt.Errorf("jsonmode: token %d is not allowed under the constraint", id)
	}
	next := c.state.Feed(c.vocab.bytes[id])
	if next == nil {
		return fmt.Errorf("jsonmode: token %d (%q) does not continue the JSON", id, c.vocab.bytes[id])
	}
	c.state = next
	if c.state.Final() {
		c.done = true
	}
	return nil
}

// Done reports that the output is a complete document no byte can extend
// (or an EOS was accepted): generation should stop.
func (c *Constraint) Done() bool { return c.done }

// Complete reports whether the output so far is a valid document.
func (c *Constraint) Complete() bool { return c.state.Complete() }

// patternGroups is the plain tokens by end state from patterned-string
// frame f's automaton state (ok false: the DFA cache is full; walk the
// slow way).
func (c *Constraint) patternGroups(f *frame) ([]plainGroup, bool) {
	if c.dfas == nil {
		c.dfas = map[*regex]*patternDFA{}
	}
	d := c.dfas[f.n.re]
	if d == nil {
		d = newPatternDFA(f.n)
		c.dfas[f.n.re] = d
	}
	s := d.state(f.set)
	if s == nil {
		return nil, false
	}
	return d.plainGroups(s, c.vocab)
}
