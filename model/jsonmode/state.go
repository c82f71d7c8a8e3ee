package jsonmode

// The matcher is a nondeterministic pushdown automaton over bytes. A state
// is a set of stacks (anyOf and enum prefixes can keep several readings
// alive); a stack is a persistent linked list of frames, so feeding a byte
// shares everything below the top and a vocabulary walk can branch cheaply.
// A nil stack is a finished document.

type fkind uint8

const (
	fValue fkind = iota // expecting the first byte of a value of n
	fSpace              // the root: one optional space, then a value of n
	fLit                // inside one of lits, pos bytes matched
	fStr                // inside a string
	fNum                // inside a number
	fObj                // an object of n, phase sub, next property idx
	fKey                // a declared key: candidates cands, pos bytes matched after the quote
	fArr                // an array of n, phase sub, cnt items so far
)

// String phases (fStr.sub): plain text, after a backslash, or inside \uXXXX
// (strHex+i: i hex digits seen).
const (
	strPlain = 0
	strEsc   = 1
	strHex   = 2
)

// Number phases (fNum.sub).
const (
	numSign      = iota // after '-'
	numZero             // after a leading 0
	numInt              // integer digits
	numFracStart        // after '.'
	numFrac             // fraction digits
	numExpStart         // after 'e'
	numExpSign          // after the exponent's sign
	numExp              // exponent digits
)

// Digit limits keep every number finite and exactly representable enough
// for JavaScript's JSON.parse (|x| < 1e15 · 1e99).
const (
	maxIntDigits  = 15
	maxFracDigits = 15
	maxExpDigits  = 2
)

// Object phases (fObj.sub).
const (
	objOpen  = iota // after '{'
	objAfter        // after a property's value
	objComma        // after ','
	objInKey        // a key is being read (fKey or fStr above)
	objColon        // free objects: after the key string
)

// Array phases (fArr.sub).
const (
	arrOpen  = iota // after '['
	arrAfter        // after an item
	arrComma        // after ','
)

type frame struct {
	k       fkind
	sub     uint8
	integer bool  // fNum
	neg     bool  // fNum of a bounded integer: after '-'
	val     int64 // fNum of a bounded number: the integer digits so far
	frac    int64 // fNum of a bounded number: the fraction digits so far
	need    uint8
	lo, hi  byte // fStr: UTF-8 continuation bytes still needed and the next one's range
	n       *node
	lits    []string
	cands   []int    // fKey
	set     []uint64 // fStr of a patterned string: the automaton's states
	pos     int
	idx     int
	cnt     int
}

type stack struct {
	f  frame
	up *stack
	// rem is the fewest bytes that finish this stack (frameRemaining
	// summed down to the root), kept so Remaining is O(1) at any depth.
	rem int
}

func push(up *stack, f frame) *stack {
	s := &stack{f: f, up: up, rem: frameRemaining(&f)}
	if up != nil {
		s.rem += up.rem
	}
	return s
}

// step feeds byte b to stack s, appending the stacks it can lead to.
func step(s *stack, b byte, out []*stack) []*stack {
	if s == nil {
		return out // a finished document takes nothing more
	}
	f := s.f
	switch f.k {
	case fSpace:
		if b == ' ' {
			return append(out, push(s.up, frame{k: fValue, n: f.n}))
		}
		return start(f.n, s.up, b, out)
	case fValue:
		return start(f.n, s.up, b, out)
	case fLit:
		var keep []string
		ended := false
		for _, l := range f.lits {
			if len(l) == f.pos {
				ended = true
			} else if l[f.pos] == b {
				keep = append(keep, l)
			}
		}
		if keep != nil {
			out = append(out, push(s.up, frame{k: fLit, lits: keep, pos: f.pos + 1}))
		}
		if ended {
			out = step(s.up, b, out)
		}
		return out
	case fStr:
		return stepString(s, f, b, out)
	case fNum:
		return stepNumber(s, f, b, out)
	case fObj:
		return stepObject(s, f, b, out)
	case fKey:
		var keep []int
		o := f.n
		for _, j := range f.cands {
			key := o.props[j].key
			if key[f.pos] != b {
				continue
			}
			if f.pos+1 == len(key) {
				// Key done: the object (below) moves past property j and
				// the value comes next.
				obj := s.up.f
				obj.sub, obj.idx = objAfter, j+1
				out = append(out, push(push(s.up.up, obj), frame{k: fValue, n: o.props[j].val}))
				continue
			}
			keep = append(keep, j)
		}
		if keep != nil {
			out = append(out, push(s.up, frame{k: fKey, n: o, cands: keep, pos: f.pos + 1}))
		}
		return out
	case fArr:
		return stepArray(s, f, b, out)
	}
	return out
}

// start begins a value of n with byte b above up.
func start(n *node, up *stack, b byte, out []*stack) []*stack {
	switch n.kind {
	case kUnion:
		for _, a := range n.alts {
			out = start(a, up, b, out)
		}
	case kLit:
		var keep []string
		for _, l := range n.lits {
			if l[0] == b {
				keep = append(keep, l)
			}
		}
		if keep != nil {
			out = append(out, push(up, frame{k: fLit, lits: keep, pos: 1}))
		}
	case kString:
		if b == '"' {
			f := frame{k: fStr, n: n}
			if n.re != nil {
				f.set = n.re.start
			}
			out = append(out, push(up, f))
		}
	case kNumber, kInteger:
		f := frame{k: fNum, integer: n.kind == kInteger}
		if n.ibound || n.nbound {
			f.n = n
		}
		switch {
		case b == '-':
			f.sub, f.neg = numSign, true
		case b == '0':
			f.sub, f.cnt = numZero, 1
		case b >= '1' && b <= '9':
			f.sub, f.cnt, f.val = numInt, 1, int64(b-'0')
		default:
			return out
		}
		if numNeed(&f) < 0 {
			return out
		}
		out = append(out, push(up, f))
	case kBool:
		if b == 't' {
			out = append(out, push(up, frame{k: fLit, lits: litTrue, pos: 1}))
		} else if b == 'f' {
			out = append(out, push(up, frame{k: fLit, lits: litFalse, pos: 1}))
		}
	case kNull:
		if b == 'n' {
			out = append(out, push(up, frame{k: fLit, lits: litNull, pos: 1}))
		}
	case kObject:
		if b == '{' {
			out = append(out, push(up, frame{k: fObj, n: n, sub: objOpen}))
		}
	case kArray:
		if b == '[' {
			out = append(out, push(up, frame{k: fArr, n: n, sub: arrOpen}))
		}
	}
	return out
}

func stepString(s *stack, f frame, b byte, out []*stack) []*stack {
	if f.n != nil && f.n.re != nil {
		return stepPattern(s, f, b, out)
	}
	if f.need > 0 {
		if b < f.lo || b > f.hi {
			return out
		}
		f.need--
		f.lo, f.hi = 0x80, 0xBF
		return append(out, push(s.up, f))
	}
	switch {
	case f.sub == strEsc:
		switch b {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			f.sub = strPlain
		case 'u':
			if f.n.bounded() {
				return out // \uD83D\uDE00 would count twice here, once in JSON Schema
			}
			f.sub = strHex
		default:
			return out
		}
		return append(out, push(s.up, f))
	case f.sub >= strHex:
		if !isHex(b) {
			return out
		}
		if f.sub == strHex+3 {
			f.sub = strPlain
		} else {
			f.sub++
		}
		return append(out, push(s.up, f))
	}
	// Plain text; UTF-8 validity per RFC 3629 §4 (no overlongs, no
	// surrogates, nothing above U+10FFFF). A bounded string (minLength,
	// maxLength) counts code points in cnt: each plain byte below 0x80,
	// lead byte or escape starts one.
	if f.n.bounded() {
		if b == '"' {
			if f.cnt < f.n.minChars {
				return out
			}
			return append(out, s.up)
		}
		if b >= 0x80 && b < 0xC0 || b < 0x20 {
			return out // a stray continuation byte or a control: refused below anyway
		}
		if f.n.maxChars >= 0 && f.cnt >= f.n.maxChars {
			return out
		}
		f.cnt++
	}
	switch {
	case b == '"':
		return append(out, s.up)
	case b == '\\':
		f.sub = strEsc
	case b < 0x20:
		return out
	case b < 0x80:
		if f.n.bounded() {
			return append(out, push(s.up, f))
		}
		return append(out, s)
	default:
		var ok bool
		if f.need, f.lo, f.hi, ok = utf8Lead(b); !ok {
			return out
		}
	}
	return append(out, push(s.up, f))
}

// utf8Lead is, for a UTF-8 lead byte b, the continuation bytes that
// follow and the first one's range (RFC 3629 §4: no overlongs, no
// surrogates, nothing above U+10FFFF).
func utf8Lead(b byte) (need, lo, hi byte, ok bool) {
	switch {
	case b >= 0xC2 && b <= 0xDF:
		return 1, 0x80, 0xBF, true
	case b == 0xE0:
		return 2, 0xA0, 0xBF, true
	case b == 0xED:
		return 2, 0x80, 0x9F, true
	case b >= 0xE1 && b <= 0xEF:
		return 2, 0x80, 0xBF, true
	case b == 0xF0:
		return 3, 0x90, 0xBF, true
	case b >= 0xF1 && b <= 0xF3:
		return 3, 0x80, 0xBF, true
	case b == 0xF4:
		return 3, 0x80, 0x8F, true
	}
	return 0, 0, 0, false
}

// stepPattern feeds byte b to a patterned string's frame: each content
// byte (a JSON escape's included) steps the pattern's automaton, and the
// string closes only in an accepting state.
func stepPattern(s *stack, f frame, b byte, out []*stack) []*stack {
	re := f.n.re
	c := b
	switch {
	case f.need > 0:
		if b < f.lo || b > f.hi {
			return out
		}
		f.need--
		f.lo, f.hi = 0x80, 0xBF
	case f.sub == strEsc:
		var ok bool
		if c, ok = jsonEscape[b]; !ok {
			return out
		}
		f.sub = strPlain
	case b == '"':
		if re.accepts(f.set) {
			return append(out, s.up)
		}
		return out
	case b == '\\':
		f.sub = strEsc
		if re.remaining(f.set, true) >= noPath {
			return out
		}
		return append(out, push(s.up, f))
	case b < 0x20:
		return out
	case b >= 0x80:
		var ok bool
		if f.need, f.lo, f.hi, ok = utf8Lead(b); !ok {
			return out
		}
	}
	set := re.step(f.set, c) // only states that can still reach acceptance
	if set == nil {
		return out
	}
	f.set = set
	return append(out, push(s.up, f))
}

func isHex(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func stepNumber(s *stack, f frame, b byte, out []*stack) []*stack {
	next := func(sub uint8, cnt int) []*stack {
		f.sub, f.cnt = sub, cnt
		if f.n != nil {
			if isDigit(b) && sub == numFrac {
				f.frac = f.frac*10 + int64(b-'0')
			} else if isDigit(b) {
				f.val = f.val*10 + int64(b-'0')
			}
			if numNeed(&f) < 0 { // no way left into the bounds
				return out
			}
		}
		return append(out, push(s.up, f))
	}
	switch f.sub {
	case numSign:
		if b == '0' {
			return next(numZero, 1)
		}
		if b >= '1' && b <= '9' {
			return next(numInt, 1)
		}
		return out
	case numFracStart:
		if isDigit(b) {
			return next(numFrac, 1)
		}
		return out
	case numExpStart:
		if b == '+' || b == '-' {
			return next(numExpSign, 0)
		}
		if isDigit(b) {
			return next(numExp, 1)
		}
		return out
	case numExpSign:
		if isDigit(b) {
			return next(numExp, 1)
		}
		return out
	}
	// numZero, numInt, numFrac, numExp: a complete number that may go on.
	switch {
	case isDigit(b) && f.sub == numInt && f.cnt < maxIntDigits:
		return next(numInt, f.cnt+1)
	case isDigit(b) && f.sub == numFrac && f.cnt < maxFracDigits:
		return next(numFrac, f.cnt+1)
	case isDigit(b) && f.sub == numExp && f.cnt < maxExpDigits:
		return next(numExp, f.cnt+1)
	case b == '.' && !f.integer && (f.sub == numZero || f.sub == numInt):
		return next(numFracStart, 0)
	case (b == 'e' || b == 'E') && !f.integer && f.n == nil && f.sub != numExp:
		return next(numExpStart, 0)
	}
	if f.n != nil && numNeed(&f) != 0 { // the number ends outside the bounds
		return out
	}
	return step(s.up, b, out)
}

// numNeed is, for a bounded number's frame (f.n set), the fewest more
// bytes that finish it inside its bounds, or -1 when none can.
func numNeed(f *frame) int {
	if f.n != nil && f.n.kind == kNumber {
		return decNeed(f)
	}
	return intNeed(f)
}

// intNeed is, for a bounded integer's frame (f.n set), the fewest more
// digits that bring it into [ilo, ihi], or -1 when none can; 0 for an
// unbounded one. After k digits of value m, j more digits reach the
// magnitudes [m·10^j, m·10^j+10^j-1] (a lone 0 takes none), up to
// maxIntDigits in all.
func intNeed(f *frame) int {
	n := f.n
	if n == nil {
		return 0
	}
	if f.sub == numSign { // only '-' so far: the best first digit
		best := -1
		for d := int64(0); d <= 9; d++ {
			g := *f
			g.sub, g.cnt, g.val = numInt, 1, d
			if d == 0 {
				g.sub = numZero
			}
			if r := intNeed(&g); r >= 0 && (best < 0 || r+1 < best) {
				best = r + 1
			}
		}
		return best
	}
	maxMore := maxIntDigits - f.cnt
	if f.sub == numZero {
		maxMore = 0
	}
	p := int64(1)
	for j := 0; j <= maxMore; j++ {
		lo, hi := f.val*p, f.val*p+p-1
		if f.neg {
			lo, hi = -hi, -lo
		}
		if lo <= n.ihi && hi >= n.ilo {
			return j
		}
		p *= 10
	}
	return -1
}

// keyCands are the properties a key at idx may name: the next ones up to
// and including the first required one (properties come in order and a
// required one cannot be skipped).
func keyCands(n *node, idx int) []int {
	var c []int
	for j := idx; j < len(n.props); j++ {
		c = append(c, j)
		if n.props[j].required {
			break
		}
	}
	return c
}

func stepObject(s *stack, f frame, b byte, out []*stack) []*stack {
	n := f.n
	switch f.sub {
	case objOpen, objComma:
		if b == '}' && f.sub == objOpen && n.req[0] == 0 {
			return append(out, s.up)
		}
		if b != '"' {
			return out
		}
		f.sub = objInKey
		if n.free {
			f.sub = objColon
			return append(out, push(push(s.up, f), frame{k: fStr}))
		}
		c := keyCands(n, f.idx)
		if c == nil {
			return out
		}
		return append(out, push(push(s.up, f), frame{k: fKey, n: n, cands: c}))
	case objAfter:
		if b == '}' && n.req[f.idx] == 0 {
			return append(out, s.up)
		}
		if b == ',' && (n.free || f.idx < len(n.props)) {
			f.sub = objComma
			return append(out, push(s.up, f))
		}
	case objColon:
		if b == ':' {
			f.sub = objAfter
			return append(out, push(push(s.up, f), frame{k: fValue, n: anyNode}))
		}
	}
	return out
}

func stepArray(s *stack, f frame, b byte, out []*stack) []*stack {
	n := f.n
	switch f.sub {
	case arrOpen:
		if b == ']' && n.minItems == 0 {
			return append(out, s.up)
		}
		if n.maxItems == 0 {
			return out
		}
		f.sub, f.cnt = arrAfter, 1
		return start(n.items, push(s.up, f), b, out)
	case arrAfter:
		if b == ']' && f.cnt >= n.minItems {
			return append(out, s.up)
		}
		if b == ',' && (n.maxItems < 0 || f.cnt < n.maxItems) {
			f.sub = arrComma
			return append(out, push(s.up, f))
		}
	case arrComma:
		f.sub, f.cnt = arrAfter, f.cnt+1
		return start(n.items, push(s.up, f), b, out)
	}
	return out
}

// remaining is the fewest bytes that finish stack s.
func remaining(s *stack) int {
	if s == nil {
		return 0
	}
	return s.rem
}

func frameRemaining(f *frame) int {
	switch f.k {
	case fValue:
		return f.n.minLen
	case fSpace:
		return f.n.minLen
	case fLit:
		best := -1
		for _, l := range f.lits {
			if r := len(l) - f.pos; best < 0 || r < best {
				best = r
			}
		}
		return best
	case fStr:
		if f.n != nil && f.n.re != nil {
			return f.n.re.remaining(f.set, f.sub == strEsc) + 1
		}
		r := int(f.need) + 1
		if f.n != nil && f.cnt < f.n.minChars {
			r += f.n.minChars - f.cnt
		}
		switch {
		case f.sub == strEsc:
			r++
		case f.sub >= strHex:
			r += 4 - int(f.sub-strHex)
		}
		return r
	case fNum:
		if f.n != nil {
			return numNeed(f)
		}
		switch f.sub {
		case numSign, numFracStart, numExpStart, numExpSign:
			return 1
		}
		return 0
	case fObj:
		n := f.n
		switch f.sub {
		case objOpen:
			return max(n.req[0], 1)
		case objAfter:
			return n.req[f.idx] + 1
		case objInKey:
			return 1
		case objColon:
			return 1 + anyNode.minLen + 1
		case objComma:
			if n.free {
				return 3 + anyNode.minLen + 1
			}
			best := -1
			for _, j := range keyCands(n, f.idx) {
				p := n.props[j]
				if r := 1 + len(p.key) + p.val.minLen + n.req[j+1]; best < 0 || r < best {
					best = r
				}
			}
			if best < 0 {
				return 1 << 30 // unreachable: ',' is refused without a candidate
			}
			return best + 1
		}
	case fKey:
		n := f.n
		best := -1
		for _, j := range f.cands {
			p := n.props[j]
			if r := len(p.key) - f.pos + p.val.minLen + n.req[j+1]; best < 0 || r < best {
				best = r
			}
		}
		return best
	case fArr:
		n := f.n
		m := n.items.minLen
		switch f.sub {
		case arrOpen:
			if n.minItems == 0 {
				return 1
			}
			return n.minItems*m + n.minItems - 1 + 1
		case arrAfter:
			return max(n.minItems-f.cnt, 0)*(m+1) + 1
		case arrComma:
			return m + max(n.minItems-f.cnt-1, 0)*(m+1) + 1
		}
	}
	return 0
}

// canEnd reports whether the document may end here: every frame left is
// complete without more bytes.
func canEnd(s *stack) bool {
	for ; s != nil; s = s.up {
		switch s.f.k {
		case fLit:
			ok := false
			for _, l := range s.f.lits {
				ok = ok || len(l) == s.f.pos
			}
			if !ok {
				return false
			}
		case fNum:
			if frameRemaining(&s.f) != 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// State is a set of grammar positions (the readings of the output so far).
type State []*stack

// Start is the state before any output.
func (g *Grammar) Start() State {
	return State{push(nil, frame{k: fSpace, n: g.root})}
}

// Feed returns the state after bytes p; an empty state means p is not a
// prefix of any valid document.
func (st State) Feed(p []byte) State {
	cur := st
	for _, b := range p {
		if cur = cur.advance(b); len(cur) == 0 {
			return nil
		}
	}
	return cur
}

// advance feeds one byte. Readings that have become the same stack are
// merged: without that, an array of anyOf items whose alternatives end
// alike doubles the set with every item.
func (st State) advance(b byte) State {
	var next State
	for _, s := range st {
		next = step(s, b, next)
	}
	if len(next) < 2 {
		return next
	}
	out := next[:1]
	for _, s := range next[1:] {
		dup := false
		for _, t := range out {
			if sameStack(s, t) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

func sameStack(a, b *stack) bool {
	for a != b {
		if a == nil || b == nil || !sameFrame(&a.f, &b.f) {
			return false
		}
		a, b = a.up, b.up
	}
	return true
}

func sameFrame(a, b *frame) bool {
	if a.k != b.k || a.sub != b.sub || a.integer != b.integer || a.neg != b.neg || a.val != b.val || a.frac != b.frac || a.need != b.need || a.lo != b.lo || a.hi != b.hi ||
		a.n != b.n || a.pos != b.pos || a.idx != b.idx || a.cnt != b.cnt || len(a.lits) != len(b.lits) || len(a.cands) != len(b.cands) {
		return false
	}
	for i := range a.lits {
		if a.lits[i] != b.lits[i] {
			return false
		}
	}
	if len(a.set) != len(b.set) {
		return false
	}
	for i := range a.set {
		if a.set[i] != b.set[i] {
			return false
		}
	}
	for i := range a.cands {
		if a.cands[i] != b.cands[i] {
			return false
		}
	}
	return true
}

// Remaining is the fewest bytes that finish a valid document from st.
func (st State) Remaining() int {
	best := -1
	for _, s := range st {
		if r := remaining(s); best < 0 || r < best {
			best = r
		}
	}
	return best
}

// Complete reports whether the output so far is a valid document.
func (st State) Complete() bool {
	for _, s := range st {
		if canEnd(s) {
			return true
		}
	}
	return false
}

// Final reports whether the output is complete and no byte can follow.
func (st State) Final() bool {
	if !st.Complete() {
		return false
	}
	for b := 0; b < 256; b++ {
		if len(st.advance(byte(b))) > 0 {
			return false
		}
	}
	return true
}
