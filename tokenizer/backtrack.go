package tokenizer

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A small backtracking regex engine for tokenizer.json patterns, including
// what RE2 cannot run (lookahead, lookbehind, atomic groups, possessive
// quantifiers).
// It follows Oniguruma's search semantics as used by tokenizers' SysRegex:
// leftmost match, alternatives tried in order, greedy quantifiers that
// backtrack; \s \d \w are Unicode-aware and "." does not match "\n".
// It runs every pattern other than the hand-scanned GPT-2/Llama-3/Qwen2
// ones (compileRegex); RE2 is its reference in the tests.

type reNode interface{}

type (
	reChar struct {
		match func(rune) bool
	}
	reConcat []reNode
	reAlt    []reNode
	reRepeat struct {
		sub        reNode
		min, max   int // max < 0: unbounded
		greedy     bool
		possessive bool
	}
	reLook struct {
		sub    reNode
		negate bool
		behind bool
	}
	reAtomic struct{ sub reNode }
	reAssert byte // '^' '$' 'A' 'z' 'Z' 'b' 'B'
)

type reParser struct {
	src  string
	pos  int
	fold bool
}

type backtrackMatcher struct {
	root reNode
}

// maxBacktrackSteps bounds the work per match attempt so a pathological
// pattern cannot hang Encode; a match that exceeds it is treated as failed.
const maxBacktrackSteps = 1 << 20

// maxLookbehind bounds how far back a lookbehind looks, in bytes; Oniguruma
// only allows bounded-length lookbehind anyway.
const maxLookbehind = 256

func compileBacktrack(expr string) (*backtrackMatcher, error) {
	p := &reParser{src: expr}
	n, err := p.parseAlt()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.src) {
		return nil, fmt.Errorf("unexpected %q at offset %d", p.src[p.pos], p.pos)
	}
	return &backtrackMatcher{root: n}, nil
}

func (p *reParser) more() bool { return p.pos < len(p.src) }
func (p *reParser) peek() byte { return p.src[p.pos] }

func (p *reParser) parseAlt() (reNode, error) {
	var alts reAlt
	for {
		c, err := p.parseConcat()
		if err != nil {
			return nil, err
		}
		alts = append(alts, c)
		if p.more() && p.peek() == '|' {
			p.pos++
			continue
		}
		break
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return alts, nil
}

func (p *reParser) parseConcat() (reNode, error) {
	var seq reConcat
	for p.more() && p.peek() != '|' && p.peek() != ')' {
		atom, err := p.parseAtom()
		if err != nil {
			return nil, err
		}
		if atom == nil { // a flag group such as (?i) that changes later atoms
			continue
		}
		atom, err = p.parseQuantifier(atom)
		if err != nil {
			return nil, err
		}
		seq = append(seq, atom)
	}
	return seq, nil
}

func (p *reParser) parseQuantifier(atom reNode) (reNode, error) {
	for p.more() {
		min, max := -1, -1
		switch p.peek() {
		case '?':
			min, max = 0, 1
			p.pos++
		case '*':
			min, max = 0, -1
			p.pos++
		case '+':
			min, max = 1, -1
			p.pos++
		case '{':
			end := strings.IndexByte(p.src[p.pos:], '}')
			if end < 0 {
				return atom, nil // a literal '{' in Oniguruma
			}
			body := p.src[p.pos+1 : p.pos+end]
			lo, hi, ok := parseBraces(body)
			if !ok {
				return atom, nil
			}
			min, max = lo, hi
			p.pos += end + 1
		default:
			return atom, nil
		}
		r := &reRepeat{sub: atom, min: min, max: max, greedy: true}
		if p.more() && p.peek() == '?' {
			r.greedy = false
			p.pos++
		} else if p.more() && p.peek() == '+' {
			r.possessive = true
			p.pos++
		}
		atom = r
	}
	return atom, nil
}

func parseBraces(body string) (int, int, bool) {
	lo, hi, comma := body, body, false
	if i := strings.IndexByte(body, ','); i >= 0 {
		lo, hi, comma = body[:i], body[i+1:], true
	}
	l, h := 0, -1
	var err error
	if lo != "" {
		if l, err = strconv.Atoi(lo); err != nil || l < 0 || l > 1000 {
			return 0, 0, false
		}
	} else if !comma {
		return 0, 0, false
	}
	if !comma {
		return l, l, true
	}
	if hi != "" {
		if h, err = strconv.Atoi(hi); err != nil || h < l || h > 1000 {
			return 0, 0, false
		}
	}
	return l, h, true
}

func (p *reParser) parseAtom() (reNode, error) {
	c := p.peek()
	switch c {
	case '(':
		return p.parseGroup()
	case '[':
		f, err := p.parseClass()
		if err != nil {
			return nil, err
		}
		return reChar{match: p.folded(f)}, nil
	case '.':
		p.pos++
		return reChar{match: func(r rune) bool { return r != '\n' }}, nil
	case '^', '$':
		p.pos++
		return reAssert(c), nil
	case '\\':
		if p.pos+1 < len(p.src) {
			switch p.src[p.pos+1] {
			case 'A', 'z', 'Z', 'b', 'B':
				a := p.src[p.pos+1]
				p.pos += 2
				return reAssert(a), nil
			}
		}
		f, err := p.parseEscape(false)
		if err != nil {
			return nil, err
		}
		return reChar{match: p.folded(f)}, nil
	case '*', '+', '?':
		return nil, fmt.Errorf("quantifier %q without operand at offset %d", c, p.pos)
	}
	r, n := utf8.DecodeRuneInString(p.src[p.pos:])
	p.pos += n
	return reChar{match: p.folded(func(x rune) bool { return x == r })}, nil
}

// folded makes a rune predicate case-insensitive when (?i) is in effect,
// by testing every rune of the simple case-folding orbit.
func (p *reParser) folded(f func(rune) bool) func(rune) bool {
	if !p.fold {
		return f
	}
	return func(r rune) bool {
		if f(r) {
			return true
		}
		for o := unicode.SimpleFold(r); o != r; o = unicode.SimpleFold(o) {
			if f(o) {
				return true
			}
		}
		return false
	}
}

func (p *reParser) parseGroup() (reNode, error) {
	p.pos++ // (
	saved := p.fold
	defer func() { p.fold = saved }()
	var wrap func(reNode) reNode
	if strings.HasPrefix(p.src[p.pos:], "?") {
		rest := p.src[p.pos+1:]
		switch {
		case strings.HasPrefix(rest, ":"):
			p.pos += 2
		case strings.HasPrefix(rest, "="), strings.HasPrefix(rest, "!"):
			neg := rest[0] == '!'
			p.pos += 2
			wrap = func(n reNode) reNode { return &reLook{sub: n, negate: neg} }
		case strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, "<!"):
			neg := rest[1] == '!'
			p.pos += 3
			wrap = func(n reNode) reNode { return &reLook{sub: n, negate: neg, behind: true} }
		case strings.HasPrefix(rest, ">"):
			p.pos += 2
			wrap = func(n reNode) reNode { return &reAtomic{sub: n} }
		case strings.HasPrefix(rest, "<"), strings.HasPrefix(rest, "P<"):
			end := strings.IndexByte(rest, '>')
			if end < 0 {
				return nil, fmt.Errorf("unterminated group name at offset %d", p.pos)
			}
			p.pos += 1 + end + 1
		default:
			// Inline flags: (?i) (?-i) (?i:...) ; only i is meaningful here.
			j := 0
			on := true
			fold := p.fold
			for j < len(rest) && rest[j] != ')' && rest[j] != ':' {
				switch rest[j] {
				case '-':
					on = false
				case 'i':
					fold = on
				case 'm', 's', 'x', 'u':
					return nil, fmt.Errorf("unsupported inline flag %q", rest[j])
				default:
					return nil, fmt.Errorf("unsupported group syntax at offset %d", p.pos)
				}
				j++
			}
			if j == len(rest) {
				return nil, fmt.Errorf("unterminated group at offset %d", p.pos)
			}
			p.pos += 1 + j + 1
			if rest[j] == ')' {
				// (?i) applies to the rest of the enclosing group.
				saved = fold
				return nil, nil
			}
			p.fold = fold
		}
	}
	n, err := p.parseAlt()
	if err != nil {
		return nil, err
	}
	if !p.more() || p.peek() != ')' {
		return nil, fmt.Errorf("missing ) at offset %d", p.pos)
	}
	p.pos++
	if wrap != nil {
		n = wrap(n)
	}
	return n, nil
}

// parseClass parses [...] into a predicate.
func (p *reParser) parseClass() (func(rune) bool, error) {
	p.pos++ // [
	negate := false
	if p.more() && p.peek() == '^' {
		negate = true
		p.pos++
	}
	var preds []func(rune) bool
	first := true
	for {
		if !p.more() {
			return nil, fmt.Errorf("unterminated character class")
		}
		c := p.peek()
		if c == ']' && !first {
			p.pos++
			break
		}
		first = false
		if c == '[' {
			return nil, fmt.Errorf("nested character classes are not supported")
		}
		if c == '&' && strings.HasPrefix(p.src[p.pos:], "&&") {
			return nil, fmt.Errorf("class intersection is not supported")
		}
		var lo rune
		if c == '\\' {
			f, single, err := p.parseClassEscape()
			if err != nil {
				return nil, err
			}
			if single < 0 {
				preds = append(preds, f)
				continue
			}
			lo = single
		} else {
			r, n := utf8.DecodeRuneInString(p.src[p.pos:])
			p.pos += n
			lo = r
		}
		// Range lo-hi?
		if p.pos+1 < len(p.src) && p.peek() == '-' && p.src[p.pos+1] != ']' {
			p.pos++
			var hi rune
			if p.peek() == '\\' {
				_, single, err := p.parseClassEscape()
				if err != nil {
					return nil, err
				}
				if single < 0 {
					return nil, fmt.Errorf("bad range end in class")
				}
				hi = single
			} else {
				r, n := utf8.DecodeRuneInString(p.src[p.pos:])
				p.pos += n
				hi = r
			}
			if hi < lo {
				return nil, fmt.Errorf("bad range %q-%q", lo, hi)
			}
			l, h := lo, hi
			preds = append(preds, func(r rune) bool { return r >= l && r <= h })
			continue
		}
		l := lo
		preds = append(preds, func(r rune) bool { return r == l })
	}
	return func(r rune) bool {
		in := false
		for _, f := range preds {
			if f(r) {
				in = true
				break
			}
		}
		return in != negate
	}, nil
}

// parseClassEscape returns either a class predicate (single < 0) or one rune.
func (p *reParser) parseClassEscape() (func(rune) bool, rune, error) {
	if p.pos+1 >= len(p.src) {
		return nil, 0, fmt.Errorf("trailing backslash")
	}
	switch p.src[p.pos+1] {
	case 's', 'S', 'd', 'D', 'w', 'W', 'p', 'P', 'h', 'H':
		f, err := p.parseEscape(true)
		return f, -1, err
	}
	r, err := p.parseSingleEscape()
	return nil, r, err
}

// parseEscape parses an escape outside or inside a class into a predicate.
func (p *reParser) parseEscape(inClass bool) (func(rune) bool, error) {
	if p.pos+1 >= len(p.src) {
		return nil, fmt.Errorf("trailing backslash")
	}
	c := p.src[p.pos+1]
	not := func(f func(rune) bool) func(rune) bool { return func(r rune) bool { return !f(r) } }
	switch c {
	case 's':
		p.pos += 2
		return unicode.IsSpace, nil
	case 'S':
		p.pos += 2
		return not(unicode.IsSpace), nil
	case 'd':
		p.pos += 2
		return func(r rune) bool { return unicode.Is(unicode.Nd, r) }, nil
	case 'D':
		p.pos += 2
		return func(r rune) bool { return !unicode.Is(unicode.Nd, r) }, nil
	case 'w':
		p.pos += 2
		return isWordChar, nil
	case 'W':
		p.pos += 2
		return not(isWordChar), nil
	case 'h': // Oniguruma: hexadecimal digit
		p.pos += 2
		return func(r rune) bool { return r < 128 && strings.ContainsRune("0123456789abcdefABCDEF", r) }, nil
	case 'H':
		p.pos += 2
		return func(r rune) bool { return !(r < 128 && strings.ContainsRune("0123456789abcdefABCDEF", r)) }, nil
	case 'p', 'P':
		neg := c == 'P'
		p.pos += 2
		var name string
		if p.more() && p.peek() == '{' {
			end := strings.IndexByte(p.src[p.pos:], '}')
			if end < 0 {
				return nil, fmt.Errorf("unterminated \\p{")
			}
			name = p.src[p.pos+1 : p.pos+end]
			p.pos += end + 1
		} else if p.more() {
			name = p.src[p.pos : p.pos+1]
			p.pos++
		}
		if strings.HasPrefix(name, "^") {
			neg = !neg
			name = name[1:]
		}
		tab := unicodeTable(name)
		if tab == nil {
			return nil, fmt.Errorf("unknown Unicode property %q", name)
		}
		if neg {
			return func(r rune) bool { return !unicode.Is(tab, r) }, nil
		}
		return func(r rune) bool { return unicode.Is(tab, r) }, nil
	}
	r, err := p.parseSingleEscape()
	if err != nil {
		return nil, err
	}
	return func(x rune) bool { return x == r }, nil
}

func unicodeTable(name string) *unicode.RangeTable {
	switch name {
	case "L", "Letter":
		return unicode.L
	case "N", "Number":
		return unicode.N
	case "P", "Punctuation":
		return unicode.P
	case "S", "Symbol":
		return unicode.S
	case "M", "Mark":
		return unicode.M
	case "Z", "Separator":
		return unicode.Z
	case "C", "Other":
		return unicode.C
	}
	if t, ok := unicode.Categories[name]; ok {
		return t
	}
	if t, ok := unicode.Scripts[name]; ok {
		return t
	}
	return nil
}

// parseSingleEscape parses \n \t \xHH \x{H..} \uHHHH or an escaped literal.
func (p *reParser) parseSingleEscape() (rune, error) {
	c := p.src[p.pos+1]
	p.pos += 2
	switch c {
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'f':
		return '\f', nil
	case 'v':
		return '\v', nil
	case 'a':
		return '\a', nil
	case 'e':
		return 0x1b, nil
	case '0':
		return 0, nil
	case 'x', 'u':
		var hex string
		switch {
		case c == 'x' && p.more() && p.peek() == '{':
			end := strings.IndexByte(p.src[p.pos:], '}')
			if end < 0 {
				return 0, fmt.Errorf("unterminated \\x{")
			}
			hex = p.src[p.pos+1 : p.pos+end]
			p.pos += end + 1
		default:
			n := 2
			if c == 'u' {
				n = 4
			}
			if p.pos+n > len(p.src) {
				return 0, fmt.Errorf("short \\%c escape", c)
			}
			hex = p.src[p.pos : p.pos+n]
			p.pos += n
		}
		v, err := strconv.ParseUint(hex, 16, 32)
		if err != nil || v > unicode.MaxRune {
			return 0, fmt.Errorf("bad hex escape %q", hex)
		}
		return rune(v), nil
	}
	if c >= '1' && c <= '9' {
		return 0, fmt.Errorf("backreferences are not supported")
	}
	if c < utf8.RuneSelf && (unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c))) {
		return 0, fmt.Errorf("unsupported escape \\%c", c)
	}
	r, n := utf8.DecodeRuneInString(p.src[p.pos-1:])
	p.pos += n - 1
	return r, nil
}

// matchState carries the input and the step budget of one match attempt.
type matchState struct {
	s     string
	steps int
}

func (st *matchState) tick() bool {
	st.steps++
	return st.steps <= maxBacktrackSteps
}

// m tries node n at byte offset i and calls k with each possible end, in
// priority order, until k returns true.
func (st *matchState) m(n reNode, i int, k func(int) bool) bool {
	if !st.tick() {
		return false
	}
	switch n := n.(type) {
	case reChar:
		if i >= len(st.s) {
			return false
		}
		r, size := utf8.DecodeRuneInString(st.s[i:])
		return n.match(r) && k(i+size)
	case reConcat:
		return st.seq(n, 0, i, k)
	case reAlt:
		for _, a := range n {
			if st.m(a, i, k) {
				return true
			}
		}
		return false
	case *reRepeat:
		if n.possessive {
			end, ok := st.first(&reRepeat{sub: n.sub, min: n.min, max: n.max, greedy: true}, i)
			return ok && k(end)
		}
		if c, ok := n.sub.(reChar); ok {
			return st.repeatChar(c, n, i, k)
		}
		return st.repeat(n, i, 0, k)
	case *reLook:
		if n.behind {
			found := false
			for j := i; j >= 0 && j >= i-maxLookbehind && !found; j-- {
				if j < len(st.s) && j > 0 && !utf8.RuneStart(st.s[j]) {
					continue
				}
				found = st.m(n.sub, j, func(e int) bool { return e == i })
			}
			if found == n.negate {
				return false
			}
			return k(i)
		}
		_, ok := st.first(n.sub, i)
		if ok == n.negate {
			return false
		}
		return k(i)
	case *reAtomic:
		end, ok := st.first(n.sub, i)
		return ok && k(end)
	case reAssert:
		if st.assert(byte(n), i) {
			return k(i)
		}
		return false
	}
	return false
}

func (st *matchState) first(n reNode, i int) (int, bool) {
	end := -1
	ok := st.m(n, i, func(e int) bool { end = e; return true })
	return end, ok
}

func (st *matchState) seq(nodes reConcat, idx, i int, k func(int) bool) bool {
	if idx == len(nodes) {
		return k(i)
	}
	return st.m(nodes[idx], i, func(j int) bool { return st.seq(nodes, idx+1, j, k) })
}

// repeatChar handles a quantified single-character node without recursion:
// collect the run of matching runes, then hand ends to k in greedy or lazy order.
func (st *matchState) repeatChar(c reChar, n *reRepeat, i int, k func(int) bool) bool {
	ends := []int{i}
	for j := i; (n.max < 0 || len(ends)-1 < n.max) && j < len(st.s); {
		r, size := utf8.DecodeRuneInString(st.s[j:])
		if !c.match(r) {
			break
		}
		j += size
		ends = append(ends, j)
	}
	if len(ends)-1 < n.min {
		return false
	}
	if n.greedy {
		for x := len(ends) - 1; x >= n.min; x-- {
			if !st.tick() {
				return false
			}
			if k(ends[x]) {
				return true
			}
		}
		return false
	}
	for x := n.min; x < len(ends); x++ {
		if !st.tick() {
			return false
		}
		if k(ends[x]) {
			return true
		}
	}
	return false
}

func (st *matchState) repeat(n *reRepeat, i, count int, k func(int) bool) bool {
	canMore := n.max < 0 || count < n.max
	tryMore := func() bool {
		return canMore && st.m(n.sub, i, func(j int) bool {
			if j == i { // an empty iteration cannot make progress
				return false
			}
			return st.repeat(n, j, count+1, k)
		})
	}
	if n.greedy {
		if tryMore() {
			return true
		}
		return count >= n.min && k(i)
	}
	if count >= n.min && k(i) {
		return true
	}
	return tryMore()
}

func (st *matchState) assert(a byte, i int) bool {
	s := st.s
	switch a {
	case '^': // Oniguruma: beginning of line
		return i == 0 || s[i-1] == '\n'
	case '$':
		return i == len(s) || s[i] == '\n'
	case 'A':
		return i == 0
	case 'z':
		return i == len(s)
	case 'Z':
		return i == len(s) || (i == len(s)-1 && s[i] == '\n')
	case 'b', 'B':
		before, after := false, false
		if i > 0 {
			r, _ := utf8.DecodeLastRuneInString(s[:i])
			before = isWordChar(r)
		}
		if i < len(s) {
			r, _ := utf8.DecodeRuneInString(s[i:])
			after = isWordChar(r)
		}
		return (before != after) == (a == 'b')
	}
	return false
}

// findAll returns the leftmost non-empty matches, scanning left to right.
// Empty matches are skipped: they only ever produce empty splits, which
// tokenizers drops.
func (b *backtrackMatcher) findAll(s string) [][2]int {
	var out [][2]int
	st := &matchState{s: s}
	for i := 0; i < len(s); {
		st.steps = 0
		end, ok := st.first(b.root, i)
		if ok && end > i {
			out = append(out, [2]int{i, end})
			i = end
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return out
}
