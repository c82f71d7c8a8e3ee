package jsonmode

// String pattern (JSON Schema's regular expression, ECMA-262 syntax; a
// pattern is an unanchored search, so the automaton is the pattern with
// any printable ASCII text allowed on each side it is not anchored by a
// leading ^ or a trailing $). The subset supported: literals (any UTF-8),
// escaped punctuation, \t \n \r \f \v \xHH (ASCII), \d \D \w \W \s \S, .,
// character classes with ranges and negation (ASCII), groups (…), (?:…)
// and named (?<n>…), alternation |, the quantifiers ? * + {m} {m,} {m,n}
// (m, n ≤ 1000; lazy forms match the same strings), and ^ at the start and
// $ at the end. Backreferences, lookaround, word boundaries, flags,
// Unicode property classes and \u are refused with an *UnsupportedError.
//
// The generated string content matches the pattern under both ECMA-262
// and Go (RE2) semantics: where they differ the generator keeps to what
// both accept (., negated classes and \S produce only ASCII, \s only
// tab, newline, form feed, carriage return and space, . never a line
// terminator). The automaton is a Thompson NFA over the content's bytes
// (a JSON escape feeds the byte it stands for; \uXXXX is not generated in
// a patterned string), its state sets kept as bitsets.

import (
	"fmt"
	"math/bits"
	"strings"
	"unicode/utf8"
)

type byteSet [4]uint64

func (c *byteSet) add(lo, hi byte) {
	for b := int(lo); b <= int(hi); b++ {
		c[b>>6] |= 1 << (b & 63)
	}
}

func (c *byteSet) has(b byte) bool { return c[b>>6]&(1<<(b&63)) != 0 }

// rnode is a parsed pattern.
type rnode struct {
	op       uint8 // rLit, rCat, rAlt, rRep
	cls      byteSet
	subs     []*rnode
	min, max int // rRep; max < 0: unbounded
}

const (
	rLit = iota
	rCat
	rAlt
	rRep
)

type rstate struct {
	cls  *byteSet // nil: an epsilon state
	next int      // after a byte of cls
	eps  []int
}

// regex is a compiled pattern.
type regex struct {
	states  []rstate
	closure [][]uint64 // epsilon closure of each state
	start   []uint64
	accept  int
	dist    []int // fewest content bytes (as JSON writes them) to accept
}

const (
	maxRegexStates = 20000
	maxRepeat      = 1000
	noPath         = 1 << 30
)

type patternErr struct {
	unsupported bool
	msg         string
}

type rparser struct {
	s string
	i int
}

func (p *rparser) fail(unsupported bool, format string, a ...any) {
	panic(patternErr{unsupported, fmt.Sprintf(format, a...)})
}

func (p *rparser) more() bool { return p.i < len(p.s) }

func (p *rparser) alt() *rnode {
	subs := []*rnode{p.cat()}
	for p.more() && p.s[p.i] == '|' {
		p.i++
		subs = append(subs, p.cat())
	}
	if len(subs) == 1 {
		return subs[0]
	}
	return &rnode{op: rAlt, subs: subs}
}

func (p *rparser) cat() *rnode {
	n := &rnode{op: rCat}
	for p.more() && p.s[p.i] != '|' && p.s[p.i] != ')' {
		a := p.atom()
		quantified := false
		for p.more() {
			lo, hi, ok := p.quant()
			if !ok {
				break
			}
			if quantified {
				p.fail(false, "nested repetition at offset %d", p.i)
			}
			quantified = true
			if p.more() && p.s[p.i] == '?' { // lazy: the same strings
				p.i++
			}
			a = &rnode{op: rRep, subs: []*rnode{a}, min: lo, max: hi}
		}
		n.subs = append(n.subs, a)
	}
	return n
}

// quant reads a quantifier, if one is next.
func (p *rparser) quant() (int, int, bool) {
	switch p.s[p.i] {
	case '*':
		p.i++
		return 0, -1, true
	case '+':
		p.i++
		return 1, -1, true
	case '?':
		p.i++
		return 0, 1, true
	case '{':
		j := p.i + 1
		num := func() (int, bool) {
			k := j
			v := 0
			for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
				v = min(v*10+int(p.s[j]-'0'), maxRepeat+1)
				j++
			}
			if j-k > 1 && p.s[k] == '0' {
				p.fail(true, "a repeat count with a leading zero (ECMA-262 and RE2 differ)")
			}
			return v, j > k
		}
		lo, ok := num()
		if !ok {
			p.fail(true, "{ not starting a quantifier (write \\{)")
		}
		hi := lo
		if j < len(p.s) && p.s[j] == ',' {
			j++
			var has bool
			if hi, has = num(); !has {
				hi = -1
			}
		}
		if j >= len(p.s) || p.s[j] != '}' {
			p.fail(true, "{ not starting a quantifier (write \\{)")
		}
		p.i = j + 1
		if lo > maxRepeat || hi > maxRepeat {
			p.fail(false, "repeat count above %d", maxRepeat)
		}
		if hi >= 0 && hi < lo {
			p.fail(false, "repeat {%d,%d} has max < min", lo, hi)
		}
		return lo, hi, true
	}
	return 0, 0, false
}

func lit(lo, hi byte) *rnode {
	n := &rnode{op: rLit}
	n.cls.add(lo, hi)
	return n
}

// Classes as the generator writes them (the intersection of ECMA-262's
// and RE2's readings).
func classDigit(c *byteSet) { c.add('0', '9') }
func classWord(c *byteSet)  { c.add('0', '9'); c.add('A', 'Z'); c.add('a', 'z'); c.add('_', '_') }
func classSpace(c *byteSet) { c.add('\t', '\n'); c.add('\f', '\r'); c.add(' ', ' ') }

// negate is the ASCII complement of c without the line terminators and
// \v (whitespace to ECMA-262, not to RE2).
func negate(c byteSet) byteSet {
	var out byteSet
	for b := 0; b < 0x80; b++ {
		if !c.has(byte(b)) && b != '\n' && b != '\r' && b != '\v' {
			out.add(byte(b), byte(b))
		}
	}
	return out
}

func (p *rparser) atom() *rnode {
	c := p.s[p.i]
	switch c {
	case '(':
		p.i++
		if strings.HasPrefix(p.s[p.i:], "?") {
			switch {
			case strings.HasPrefix(p.s[p.i:], "?:"):
				p.i += 2
			case strings.HasPrefix(p.s[p.i:], "?="), strings.HasPrefix(p.s[p.i:], "?!"), strings.HasPrefix(p.s[p.i:], "?<="), strings.HasPrefix(p.s[p.i:], "?<!"):
				p.fail(true, "lookaround")
			case strings.HasPrefix(p.s[p.i:], "?<"), strings.HasPrefix(p.s[p.i:], "?P<"):
				end := strings.IndexByte(p.s[p.i:], '>')
				if end < 0 {
					p.fail(false, "unterminated group name")
				}
				name := strings.TrimPrefix(strings.TrimPrefix(p.s[p.i:p.i+end], "?P<"), "?<")
				for k, r := range name {
					if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || k > 0 && r >= '0' && r <= '9') {
						p.fail(false, "bad group name %q", name)
					}
				}
				if name == "" {
					p.fail(false, "empty group name")
				}
				p.i += end + 1
			default:
				p.fail(true, "(? flags or other group syntax")
			}
		}
		n := p.alt()
		if !p.more() || p.s[p.i] != ')' {
			p.fail(false, "missing )")
		}
		p.i++
		return n
	case ')':
		p.fail(false, "unmatched )")
	case '[':
		p.i++
		return p.class()
	case '.':
		p.i++
		n := &rnode{op: rLit}
		n.cls = negate(byteSet{})
		return n
	case '\\':
		p.i++
		n := &rnode{op: rLit}
		p.escape(&n.cls, false)
		return n
	case '^', '$':
		p.fail(true, "^ or $ other than at the pattern's start and end")
	case '*', '+', '?':
		p.fail(false, "nothing to repeat at offset %d", p.i)
	case '{':
		p.fail(true, "{ not starting a quantifier (write \\{)")
	}
	if c < 0x80 {
		p.i++
		return lit(c, c)
	}
	r, size := utf8.DecodeRuneInString(p.s[p.i:])
	if r == utf8.RuneError && size <= 1 {
		p.fail(false, "invalid UTF-8")
	}
	n := &rnode{op: rCat}
	for k := 0; k < size; k++ {
		n.subs = append(n.subs, lit(p.s[p.i+k], p.s[p.i+k]))
	}
	p.i += size
	return n
}

// escape reads the escape after a backslash into c.
func (p *rparser) escape(c *byteSet, inClass bool) {
	if !p.more() {
		p.fail(false, "trailing backslash")
	}
	e := p.s[p.i]
	p.i++
	switch e {
	case 'd':
		classDigit(c)
	case 'w':
		classWord(c)
	case 's':
		classSpace(c)
	case 'D', 'W', 'S':
		if inClass {
			p.fail(true, "\\%c inside a character class", e)
		}
		var pos byteSet
		map[byte]func(*byteSet){'D': classDigit, 'W': classWord, 'S': classSpace}[e](&pos)
		*c = negate(pos)
	case 't':
		c.add('\t', '\t')
	case 'n':
		c.add('\n', '\n')
	case 'r':
		c.add('\r', '\r')
	case 'f':
		c.add('\f', '\f')
	case 'v':
		c.add('\v', '\v')
	case 'x':
		if p.i+2 > len(p.s) || !isHex(p.s[p.i]) || !isHex(p.s[p.i+1]) {
			p.fail(true, "\\x other than \\xHH")
		}
		var v byte
		for _, h := range []byte(p.s[p.i : p.i+2]) {
			v = v<<4 | hexVal(h)
		}
		if v >= 0x80 {
			p.fail(true, "\\x above \\x7F")
		}
		p.i += 2
		c.add(v, v)
	case 'b', 'B':
		p.fail(true, "\\%c (word boundary or backspace)", e)
	case 'p', 'P':
		p.fail(true, "\\%c (Unicode property classes)", e)
	case 'u':
		p.fail(true, "\\u escapes")
	case 'k':
		p.fail(true, "backreference")
	default:
		switch {
		case e >= '0' && e <= '9':
			p.fail(true, "backreference or octal escape \\%c", e)
		case e < 0x80 && !(e >= 'a' && e <= 'z' || e >= 'A' && e <= 'Z') && e >= 0x20:
			c.add(e, e)
		default:
			p.fail(true, "escape \\%c", e)
		}
	}
}

func hexVal(h byte) byte {
	switch {
	case h >= 'a':
		return h - 'a' + 10
	case h >= 'A':
		return h - 'A' + 10
	}
	return h - '0'
}

// class reads a character class after '['.
func (p *rparser) class() *rnode {
	neg := p.more() && p.s[p.i] == '^'
	if neg {
		p.i++
	}
	if p.more() && p.s[p.i] == ']' {
		p.fail(true, "] first in a character class (ECMA-262 and RE2 differ)")
	}
	var c byteSet
	// item reads one class member: a byte, or a multi-byte class (ok false).
	item := func() (byte, bool) {
		b := p.s[p.i]
		switch {
		case b == '\\':
			p.i++
			var e byteSet
			p.escape(&e, true)
			if n := bits.OnesCount64(e[0]) + bits.OnesCount64(e[1]); n == 1 {
				for x := 0; x < 0x80; x++ {
					if e.has(byte(x)) {
						return byte(x), true
					}
				}
			}
			for k := range c {
				c[k] |= e[k]
			}
			return 0, false
		case b == '[':
			p.fail(true, "[ inside a character class (ECMA-262 and RE2 differ)")
		case b >= 0x80:
			p.fail(true, "non-ASCII characters in a character class")
		}
		p.i++
		return b, true
	}
	for {
		if !p.more() {
			p.fail(false, "missing ]")
		}
		if p.s[p.i] == ']' {
			p.i++
			break
		}
		lo, single := item()
		if !single {
			continue
		}
		if p.i+1 < len(p.s) && p.s[p.i] == '-' && p.s[p.i+1] != ']' {
			p.i++
			hi, ok := item()
			if !ok {
				p.fail(true, "a class escape as a range's end")
			}
			if hi < lo {
				p.fail(false, "range %c-%c out of order", lo, hi)
			}
			c.add(lo, hi)
			continue
		}
		c.add(lo, lo)
	}
	if neg {
		c = negate(c)
	}
	return &rnode{op: rLit, cls: c}
}

// compilePattern parses and compiles a pattern.
func compilePattern(pat, path string) (re *regex, err error) {
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(patternErr)
			if !ok {
				panic(r)
			}
			if pe.unsupported {
				err = &UnsupportedError{Path: path, Keywords: []string{"pattern (" + pe.msg + ")"}}
			} else {
				err = &SchemaError{Path: path, Msg: fmt.Sprintf("pattern %q: %s", pat, pe.msg)}
			}
		}
	}()
	body := pat
	startAnchor := strings.HasPrefix(body, "^")
	body = strings.TrimPrefix(body, "^")
	endAnchor := false
	if strings.HasSuffix(body, "$") {
		k := 0 // backslashes before the $
		for k < len(body)-1 && body[len(body)-2-k] == '\\' {
			k++
		}
		if k%2 == 0 {
			endAnchor = true
			body = body[:len(body)-1]
		}
	}
	p := &rparser{s: body}
	n := p.alt()
	if p.more() {
		p.fail(false, "unmatched )")
	}
	if n.op == rAlt && (startAnchor || endAnchor) {
		p.fail(true, "^ or $ beside a top-level | (group the alternatives)")
	}
	text := &rnode{op: rRep, subs: []*rnode{lit(0x20, 0x7E)}, min: 0, max: -1}
	all := &rnode{op: rCat}
	if !startAnchor {
		all.subs = append(all.subs, text)
	}
	all.subs = append(all.subs, n)
	if !endAnchor {
		all.subs = append(all.subs, text)
	}
	re = &regex{}
	in, out := re.build(all, p)
	re.accept = out
	re.finish(in)
	return re, nil
}

func (re *regex) add(s rstate, p *rparser) int {
	if len(re.states) >= maxRegexStates {
		p.fail(true, "more than %d automaton states", maxRegexStates)
	}
	re.states = append(re.states, s)
	return len(re.states) - 1
}

// build adds n's states: entry in, exit out (an epsilon state).
func (re *regex) build(n *rnode, p *rparser) (in, out int) {
	switch n.op {
	case rLit:
		out = re.add(rstate{}, p)
		cls := n.cls
		return re.add(rstate{cls: &cls, next: out}, p), out
	case rCat:
		in = re.add(rstate{}, p)
		out = in
		for _, s := range n.subs {
			i, o := re.build(s, p)
			re.states[out].eps = append(re.states[out].eps, i)
			out = o
		}
		return in, out
	case rAlt:
		in, out = re.add(rstate{}, p), re.add(rstate{}, p)
		for _, s := range n.subs {
			i, o := re.build(s, p)
			re.states[in].eps = append(re.states[in].eps, i)
			re.states[o].eps = append(re.states[o].eps, out)
		}
		return in, out
	}
	// rRep: min copies, then a loop or max-min optional copies.
	in = re.add(rstate{}, p)
	out = in
	for k := 0; k < n.min; k++ {
		i, o := re.build(n.subs[0], p)
		re.states[out].eps = append(re.states[out].eps, i)
		out = o
	}
	if n.max < 0 {
		i, o := re.build(n.subs[0], p)
		end := re.add(rstate{}, p)
		re.states[out].eps = append(re.states[out].eps, i, end)
		re.states[o].eps = append(re.states[o].eps, out)
		return in, end
	}
	end := re.add(rstate{}, p)
	for k := n.min; k < n.max; k++ {
		i, o := re.build(n.subs[0], p)
		re.states[out].eps = append(re.states[out].eps, i, end)
		out = o
	}
	re.states[out].eps = append(re.states[out].eps, end)
	return in, end
}

// byteCost is the bytes JSON needs to write content byte b in a string
// (noPath: not generated).
func byteCost(b byte) int {
	switch {
	case b == '"' || b == '\\':
		return 2
	case b == '\b' || b == '\f' || b == '\n' || b == '\r' || b == '\t':
		return 2
	case b < 0x20:
		return noPath
	}
	return 1
}

// jsonEscape maps the byte after a backslash to the content byte.
var jsonEscape = map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

func (re *regex) finish(in int) {
	n := len(re.states)
	words := (n + 63) / 64
	re.closure = make([][]uint64, n)
	for s := range re.states {
		set := make([]uint64, words)
		stack := []int{s}
		set[s/64] |= 1 << (s % 64)
		for len(stack) > 0 {
			t := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, u := range re.states[t].eps {
				if set[u/64]&(1<<(u%64)) == 0 {
					set[u/64] |= 1 << (u % 64)
					stack = append(stack, u)
				}
			}
		}
		re.closure[s] = set
	}
	re.start = re.closure[in]
	// dist by relaxation to a fixed point (Bellman-Ford; costs ≥ 0).
	re.dist = make([]int, n)
	for i := range re.dist {
		re.dist[i] = noPath
	}
	re.dist[re.accept] = 0
	for changed := true; changed; {
		changed = false
		for s := n - 1; s >= 0; s-- {
			st := &re.states[s]
			d := re.dist[s]
			for _, u := range st.eps {
				d = min(d, re.dist[u])
			}
			if st.cls != nil && re.dist[st.next] < noPath {
				c := noPath
				for b := 0; b < 256; b++ {
					if st.cls.has(byte(b)) {
						c = min(c, byteCost(byte(b)))
					}
				}
				d = min(d, c+re.dist[st.next])
			}
			if d < re.dist[s] {
				re.dist[s] = d
				changed = true
			}
		}
	}
}

// step is the state set after content byte b (nil: none).
func (re *regex) step(set []uint64, b byte) []uint64 {
	var next []uint64
	for w, x := range set {
		for x != 0 {
			s := w*64 + bits.TrailingZeros64(x)
			x &= x - 1
			st := &re.states[s]
			if st.cls == nil || !st.cls.has(b) || re.dist[st.next] >= noPath {
				continue
			}
			if next == nil {
				next = make([]uint64, len(set))
			}
			for k, y := range re.closure[st.next] {
				next[k] |= y
			}
		}
	}
	return next
}

// remaining is the fewest bytes that finish the string content from set
// (afterEsc: a backslash has been written, so one of its escapes must
// come next), noPath when none.
func (re *regex) remaining(set []uint64, afterEsc bool) int {
	best := noPath
	for w, x := range set {
		for x != 0 {
			s := w*64 + bits.TrailingZeros64(x)
			x &= x - 1
			if !afterEsc {
				best = min(best, re.dist[s])
				continue
			}
			st := &re.states[s]
			if st.cls == nil || re.dist[st.next] >= noPath {
				continue
			}
			for _, c := range jsonEscape {
				if st.cls.has(c) {
					best = min(best, 1+re.dist[st.next])
				}
			}
		}
	}
	return best
}

func (re *regex) accepts(set []uint64) bool {
	return set[re.accept/64]&(1<<(re.accept%64)) != 0
}
