package jsonmode

import (
	"encoding/binary"
)

// A pattern's automaton as a DFA built lazily during one generation, for
// the mask's fast path inside a patterned string: a DFA state is a set of
// the NFA's states (regex.step's own sets, so the DFA is the NFA, only
// memoized), its transitions are filled in on first use, and each state
// keeps, once per vocabulary, the plain tokens (Vocab.plain: whole UTF-8
// characters with no quote, backslash or control byte, which stepPattern
// feeds byte by byte to the automaton and nothing else) grouped by the
// state they lead to. A mask step in a patterned string is then one check
// per group (the budget: the fewest bytes left from the group's state)
// instead of a walk of the whole vocabulary through the NFA; only the
// other tokens (Vocab.rest) are still walked byte by byte.

// maxDFAStates bounds the states one generation builds; past it the mask
// takes the slow path (the NFA walk) for new states.
const maxDFAStates = 4096

type dstate struct {
	set  []uint64
	next [256]*dstate // nil: not built yet; deadState: the pattern cannot go on
	rem  int          // frameRemaining of a plain patterned-string frame in this state
	// groups are the plain tokens by the state they lead to (built on
	// first use, for the vocabulary it was built with).
	groups []plainGroup
	built  bool
}

type plainGroup struct {
	end *dstate
	ids []int32
}

var deadState = &dstate{}

type patternDFA struct {
	re     *regex
	n      *node
	states map[string]*dstate
}

func newPatternDFA(n *node) *patternDFA {
	return &patternDFA{re: n.re, n: n, states: map[string]*dstate{}}
}

// state is the DFA state of set (nil when the cache is full).
func (d *patternDFA) state(set []uint64) *dstate {
	key := make([]byte, 8*len(set))
	for i, w := range set {
		binary.LittleEndian.PutUint64(key[8*i:], w)
	}
	if s, ok := d.states[string(key)]; ok {
		return s
	}
	if len(d.states) >= maxDFAStates {
		return nil
	}
	f := frame{k: fStr, n: d.n, set: set}
	s := &dstate{set: set, rem: frameRemaining(&f)}
	d.states[string(key)] = s
	return s
}

// step is the state after content byte b (deadState: none; nil: the cache
// is full).
func (d *patternDFA) step(s *dstate, b byte) *dstate {
	if t := s.next[b]; t != nil {
		return t
	}
	set := d.re.step(s.set, b)
	if set == nil {
		s.next[b] = deadState
		return deadState
	}
	t := d.state(set)
	if t != nil {
		s.next[b] = t
	}
	return t
}

// plainGroups walks the vocabulary's trie from s through the DFA and
// groups the plain tokens by the state they end in (ok false: the cache
// filled up on the way).
func (d *patternDFA) plainGroups(s *dstate, v *Vocab) ([]plainGroup, bool) {
	if s.built {
		return s.groups, true
	}
	byEnd := map[*dstate]int{}
	var groups []plainGroup
	ok := true
	var walk func(n *trieNode, at *dstate)
	walk = func(n *trieNode, at *dstate) {
		for _, id := range n.ids {
			if v.isPlain[id] {
				i, seen := byEnd[at]
				if !seen {
					i = len(groups)
					byEnd[at] = i
					groups = append(groups, plainGroup{end: at})
				}
				groups[i].ids = append(groups[i].ids, id)
			}
		}
		for _, e := range n.edges {
			if e.b == '"' || e.b == '\\' || e.b < 0x20 {
				continue // no plain token has these bytes
			}
			next := d.step(at, e.b)
			if next == nil {
				ok = false
				return
			}
			if next != deadState {
				walk(e.next, next)
			}
		}
	}
	walk(v.root, s)
	if !ok {
		return nil, false
	}
	s.groups, s.built = groups, true
	return groups, true
}
