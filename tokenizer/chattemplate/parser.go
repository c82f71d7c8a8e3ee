package chattemplate

import (
	"fmt"
	"strconv"
	"strings"
)

// The parser follows jinja2's Parser (jinja2/parser.py): the same statement
// tags and the same expression precedence, from loosest to tightest:
// conditional, or, and, not, comparisons and in, + -, ~, * / // %, **,
// unary - +, then primaries with .attr, [index], (call), |filter and
// "is test" applied left to right.

// maxNesting bounds how deeply tags and expressions nest, so a hostile
// template cannot exhaust the stack.
const maxNesting = 200

type node interface{ at() pos }

type (
	textNode   struct{ s string }
	outputNode struct {
		p pos
		x expr
	}
	ifNode struct {
		p      pos
		conds  []expr
		bodies [][]node
		els    []node
	}
	forNode struct {
		p         pos
		targets   []string
		iter      expr
		cond      expr
		body, els []node
	}
	setNode struct {
		p       pos
		targets []string
		nsAttr  string // set targets[0].nsAttr = x
		x       expr
		body    []node // block set when x is nil
		filters []*filterExpr
	}
	macroNode struct {
		p      pos
		name   string
		params []param
		body   []node
	}
	callBlockNode struct {
		p      pos
		call   *callExpr
		params []param
		body   []node
	}
	filterBlockNode struct {
		p       pos
		filters []*filterExpr
		body    []node
	}
	withNode struct {
		p       pos
		targets []string
		values  []expr
		body    []node
	}
	bodyNode     struct{ body []node } // {% generation %}
	breakNode    struct{ p pos }
	continueNode struct{ p pos }
)

type param struct {
	name string
	def  expr // nil when required
}

func (n *textNode) at() pos        { return pos{} }
func (n *outputNode) at() pos      { return n.p }
func (n *ifNode) at() pos          { return n.p }
func (n *forNode) at() pos         { return n.p }
func (n *setNode) at() pos         { return n.p }
func (n *macroNode) at() pos       { return n.p }
func (n *callBlockNode) at() pos   { return n.p }
func (n *filterBlockNode) at() pos { return n.p }
func (n *withNode) at() pos        { return n.p }
func (n *bodyNode) at() pos        { return pos{} }
func (n *breakNode) at() pos       { return n.p }
func (n *continueNode) at() pos    { return n.p }

type expr interface{ at() pos }

type (
	literal struct {
		p pos
		v value
	}
	nameExpr struct {
		p    pos
		name string
	}
	listExpr struct {
		p     pos
		items []expr
		tuple bool
	}
	dictExpr struct {
		p          pos
		keys, vals []expr
	}
	attrExpr struct {
		p    pos
		x    expr
		name string
	}
	itemExpr struct {
		p        pos
		x, index expr
	}
	sliceExpr struct {
		p              pos
		x              expr
		lo, hi, step   expr
		hasLo, hasHigh bool
	}
	callExpr struct {
		p      pos
		fn     expr
		args   []expr
		kwargs []kwarg
		star   expr
		kwstar expr
	}
	filterExpr struct {
		p      pos
		x      expr // nil inside {% filter %} and block set
		name   string
		args   []expr
		kwargs []kwarg
	}
	testExpr struct {
		p      pos
		x      expr
		name   string
		args   []expr
		negate bool
	}
	binExpr struct {
		p    pos
		op   string
		l, r expr
	}
	unaryExpr struct {
		p  pos
		op string
		x  expr
	}
	compareExpr struct {
		p     pos
		first expr
		ops   []string
		rest  []expr
	}
	condExpr struct {
		p          pos
		test, a, b expr
	}
)

type kwarg struct {
	name string
	x    expr
}

func (e *literal) at() pos     { return e.p }
func (e *nameExpr) at() pos    { return e.p }
func (e *listExpr) at() pos    { return e.p }
func (e *dictExpr) at() pos    { return e.p }
func (e *attrExpr) at() pos    { return e.p }
func (e *itemExpr) at() pos    { return e.p }
func (e *sliceExpr) at() pos   { return e.p }
func (e *callExpr) at() pos    { return e.p }
func (e *filterExpr) at() pos  { return e.p }
func (e *testExpr) at() pos    { return e.p }
func (e *binExpr) at() pos     { return e.p }
func (e *unaryExpr) at() pos   { return e.p }
func (e *compareExpr) at() pos { return e.p }
func (e *condExpr) at() pos    { return e.p }

type parser struct {
	toks  []token
	i     int
	depth int
}

func (p *parser) cur() token { return p.toks[p.i] }
func (p *parser) peek() token {
	if p.i+1 < len(p.toks) {
		return p.toks[p.i+1]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *parser) errf(at pos, format string, args ...any) error {
	return &Error{Kind: ErrSyntax, Line: at.line, Col: at.col, Msg: fmt.Sprintf(format, args...)}
}

func describe(t token) string {
	switch t.kind {
	case tkEOF:
		return "end of template"
	case tkText:
		return "template data"
	case tkVarBeg:
		return "'{{'"
	case tkVarEnd:
		return "end of print statement"
	case tkBlockBeg:
		return "'{%'"
	case tkBlockEnd:
		return "end of statement block"
	case tkString:
		return "string"
	case tkInt, tkFloat:
		return "number " + t.val
	}
	return "'" + t.val + "'"
}

func (p *parser) isOp(v string) bool   { t := p.cur(); return t.kind == tkOp && t.val == v }
func (p *parser) isName(v string) bool { t := p.cur(); return t.kind == tkName && t.val == v }

func (p *parser) expectOp(v string) error {
	if !p.isOp(v) {
		return p.errf(p.cur().pos, "expected '%s', got %s", v, describe(p.cur()))
	}
	p.next()
	return nil
}

func (p *parser) expectKind(k tokKind, what string) (token, error) {
	t := p.cur()
	if t.kind != k {
		return t, p.errf(t.pos, "expected %s, got %s", what, describe(t))
	}
	return p.next(), nil
}

func (p *parser) enter(at pos) error {
	p.depth++
	if p.depth > maxNesting {
		return &Error{Kind: ErrLimit, Line: at.line, Col: at.col, Msg: "template nests too deeply"}
	}
	return nil
}
func (p *parser) leave() { p.depth-- }

// parseBody parses nodes until a block tag whose name is in ends; it
// returns that name with the parser just after the name.
func (p *parser) parseBody(ends ...string) ([]node, string, error) {
	var out []node
	for {
		t := p.cur()
		switch t.kind {
		case tkEOF:
			if len(ends) > 0 {
				return nil, "", p.errf(t.pos, "unexpected end of template, expected '%s'", strings.Join(ends, "' or '"))
			}
			return out, "", nil
		case tkText:
			p.next()
			out = append(out, &textNode{s: t.val})
		case tkVarBeg:
			p.next()
			x, err := p.parseTuple(true)
			if err != nil {
				return nil, "", err
			}
			if _, err := p.expectKind(tkVarEnd, "end of print statement"); err != nil {
				return nil, "", err
			}
			out = append(out, &outputNode{p: t.pos, x: x})
		case tkBlockBeg:
			nt := p.peek()
			if nt.kind != tkName {
				return nil, "", p.errf(nt.pos, "tag name expected")
			}
			for _, e := range ends {
				if nt.val == e {
					p.next()
					p.next()
					return out, e, nil
				}
			}
			p.next()
			n, err := p.parseStatement()
			if err != nil {
				return nil, "", err
			}
			if n != nil {
				out = append(out, n)
			}
		default:
			return nil, "", p.errf(t.pos, "unexpected %s", describe(t))
		}
	}
}

func (p *parser) endBlock() error {
	_, err := p.expectKind(tkBlockEnd, "end of statement block")
	return err
}

func (p *parser) parseStatement() (node, error) {
	t := p.next()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	switch t.val {
	case "if":
		return p.parseIf(t.pos)
	case "for":
		return p.parseFor(t.pos)
	case "set":
		return p.parseSet(t.pos)
	case "macro":
		return p.parseMacro(t.pos)
	case "call":
		return p.parseCallBlock(t.pos)
	case "filter":
		return p.parseFilterBlock(t.pos)
	case "with":
		return p.parseWith(t.pos)
	case "generation":
		if err := p.endBlock(); err != nil {
			return nil, err
		}
		body, _, err := p.parseBody("endgeneration")
		if err != nil {
			return nil, err
		}
		return &bodyNode{body: body}, p.endBlock()
	case "break":
		return &breakNode{p: t.pos}, p.endBlock()
	case "continue":
		return &continueNode{p: t.pos}, p.endBlock()
	}
	return nil, p.errf(t.pos, "encountered unknown tag '%s'", t.val)
}

func (p *parser) parseIf(at pos) (node, error) {
	n := &ifNode{p: at}
	for {
		c, err := p.parseTuple(false)
		if err != nil {
			return nil, err
		}
		if err := p.endBlock(); err != nil {
			return nil, err
		}
		body, end, err := p.parseBody("elif", "else", "endif")
		if err != nil {
			return nil, err
		}
		n.conds = append(n.conds, c)
		n.bodies = append(n.bodies, body)
		switch end {
		case "elif":
			continue
		case "else":
			if err := p.endBlock(); err != nil {
				return nil, err
			}
			n.els, _, err = p.parseBody("endif")
			if err != nil {
				return nil, err
			}
		}
		return n, p.endBlock()
	}
}

func (p *parser) parseTargets() ([]string, error) {
	var names []string
	paren := p.isOp("(")
	if paren {
		p.next()
	}
	for {
		t, err := p.expectKind(tkName, "name")
		if err != nil {
			return nil, err
		}
		names = append(names, t.val)
		if !p.isOp(",") {
			break
		}
		p.next()
		if paren && p.isOp(")") {
			break
		}
	}
	if paren {
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
	}
	return names, nil
}

func (p *parser) parseFor(at pos) (node, error) {
	n := &forNode{p: at}
	var err error
	if n.targets, err = p.parseTargets(); err != nil {
		return nil, err
	}
	if !p.isName("in") {
		return nil, p.errf(p.cur().pos, "expected 'in', got %s", describe(p.cur()))
	}
	p.next()
	if n.iter, err = p.parseTupleNoCond(); err != nil {
		return nil, err
	}
	if p.isName("if") {
		p.next()
		if n.cond, err = p.parseExpression(true); err != nil {
			return nil, err
		}
	}
	if p.isName("recursive") {
		return nil, p.errf(p.cur().pos, "recursive for loops are not supported")
	}
	if err := p.endBlock(); err != nil {
		return nil, err
	}
	body, end, err := p.parseBody("endfor", "else")
	if err != nil {
		return nil, err
	}
	n.body = body
	if end == "else" {
		if err := p.endBlock(); err != nil {
			return nil, err
		}
		if n.els, _, err = p.parseBody("endfor"); err != nil {
			return nil, err
		}
	}
	return n, p.endBlock()
}

func (p *parser) parseSet(at pos) (node, error) {
	n := &setNode{p: at}
	if p.cur().kind == tkName && p.peek().kind == tkOp && p.peek().val == "." {
		ns := p.next().val
		p.next()
		attr, err := p.expectKind(tkName, "attribute name")
		if err != nil {
			return nil, err
		}
		n.targets, n.nsAttr = []string{ns}, attr.val
	} else {
		var err error
		if n.targets, err = p.parseTargets(); err != nil {
			return nil, err
		}
	}
	if p.isOp("=") {
		p.next()
		x, err := p.parseTuple(true)
		if err != nil {
			return nil, err
		}
		n.x = x
		return n, p.endBlock()
	}
	if n.nsAttr != "" || len(n.targets) != 1 {
		return nil, p.errf(p.cur().pos, "expected '='")
	}
	for p.isOp("|") {
		f, err := p.parseFilter(nil)
		if err != nil {
			return nil, err
		}
		n.filters = append(n.filters, f)
	}
	if err := p.endBlock(); err != nil {
		return nil, err
	}
	body, _, err := p.parseBody("endset")
	if err != nil {
		return nil, err
	}
	n.body = body
	return n, p.endBlock()
}

func (p *parser) parseParams() ([]param, error) {
	var ps []param
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	for !p.isOp(")") {
		if len(ps) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
			if p.isOp(")") {
				break
			}
		}
		t, err := p.expectKind(tkName, "parameter name")
		if err != nil {
			return nil, err
		}
		pr := param{name: t.val}
		if p.isOp("=") {
			p.next()
			if pr.def, err = p.parseExpression(true); err != nil {
				return nil, err
			}
		}
		ps = append(ps, pr)
	}
	p.next()
	return ps, nil
}

func (p *parser) parseMacro(at pos) (node, error) {
	name, err := p.expectKind(tkName, "macro name")
	if err != nil {
		return nil, err
	}
	ps, err := p.parseParams()
	if err != nil {
		return nil, err
	}
	if err := p.endBlock(); err != nil {
		return nil, err
	}
	body, _, err := p.parseBody("endmacro")
	if err != nil {
		return nil, err
	}
	if p.cur().kind == tkName && p.cur().val == name.val {
		p.next()
	}
	return &macroNode{p: at, name: name.val, params: ps, body: body}, p.endBlock()
}

func (p *parser) parseCallBlock(at pos) (node, error) {
	n := &callBlockNode{p: at}
	if p.isOp("(") {
		ps, err := p.parseParams()
		if err != nil {
			return nil, err
		}
		n.params = ps
	}
	x, err := p.parseExpression(true)
	if err != nil {
		return nil, err
	}
	c, ok := x.(*callExpr)
	if !ok {
		return nil, p.errf(x.at(), "expected call")
	}
	n.call = c
	if err := p.endBlock(); err != nil {
		return nil, err
	}
	if n.body, _, err = p.parseBody("endcall"); err != nil {
		return nil, err
	}
	return n, p.endBlock()
}

func (p *parser) parseFilterBlock(at pos) (node, error) {
	n := &filterBlockNode{p: at}
	for {
		f, err := p.parseFilter(nil)
		if err != nil {
			return nil, err
		}
		n.filters = append(n.filters, f)
		if !p.isOp("|") {
			break
		}
	}
	if err := p.endBlock(); err != nil {
		return nil, err
	}
	body, _, err := p.parseBody("endfilter")
	if err != nil {
		return nil, err
	}
	n.body = body
	return n, p.endBlock()
}

func (p *parser) parseWith(at pos) (node, error) {
	n := &withNode{p: at}
	for p.cur().kind != tkBlockEnd {
		if len(n.targets) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
		}
		t, err := p.expectKind(tkName, "name")
		if err != nil {
			return nil, err
		}
		if err := p.expectOp("="); err != nil {
			return nil, err
		}
		x, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		n.targets = append(n.targets, t.val)
		n.values = append(n.values, x)
	}
	p.next()
	body, _, err := p.parseBody("endwith")
	if err != nil {
		return nil, err
	}
	n.body = body
	return n, p.endBlock()
}

// endsTuple reports whether the current token ends an implicit tuple.
func (p *parser) endsTuple() bool {
	t := p.cur()
	switch t.kind {
	case tkVarEnd, tkBlockEnd, tkEOF:
		return true
	case tkOp:
		return t.val == ")" || t.val == "]" || t.val == "}" || t.val == "="
	case tkName:
		return t.val == "if" || t.val == "recursive" || t.val == "in"
	}
	return false
}

// parseTuple parses an expression or an unparenthesised tuple a, b, ...
func (p *parser) parseTuple(withCond bool) (expr, error) {
	at := p.cur().pos
	var items []expr
	comma := false
	for {
		if len(items) > 0 {
			if !p.isOp(",") {
				break
			}
			p.next()
			comma = true
			if p.endsTuple() {
				break
			}
		}
		x, err := p.parseExpression(withCond)
		if err != nil {
			return nil, err
		}
		items = append(items, x)
	}
	if !comma {
		return items[0], nil
	}
	return &listExpr{p: at, items: items, tuple: true}, nil
}

func (p *parser) parseTupleNoCond() (expr, error) { return p.parseTuple(false) }

func (p *parser) parseExpression(withCond bool) (expr, error) {
	at := p.cur().pos
	if err := p.enter(at); err != nil {
		return nil, err
	}
	defer p.leave()
	if !withCond {
		return p.parseOr()
	}
	x, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	for p.isName("if") {
		p.next()
		test, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		c := &condExpr{p: at, test: test, a: x}
		if p.isName("else") {
			p.next()
			if c.b, err = p.parseExpression(true); err != nil {
				return nil, err
			}
		}
		x = c
	}
	return x, nil
}

func (p *parser) parseOr() (expr, error) {
	x, err := p.parseAnd()
	for err == nil && p.isName("or") {
		at := p.next().pos
		var r expr
		if r, err = p.parseAnd(); err == nil {
			x = &binExpr{p: at, op: "or", l: x, r: r}
		}
	}
	return x, err
}

func (p *parser) parseAnd() (expr, error) {
	x, err := p.parseNot()
	for err == nil && p.isName("and") {
		at := p.next().pos
		var r expr
		if r, err = p.parseNot(); err == nil {
			x = &binExpr{p: at, op: "and", l: x, r: r}
		}
	}
	return x, err
}

func (p *parser) parseNot() (expr, error) {
	if p.isName("not") {
		at := p.next().pos
		if err := p.enter(at); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &unaryExpr{p: at, op: "not", x: x}, nil
	}
	return p.parseCompare()
}

func (p *parser) parseCompare() (expr, error) {
	at := p.cur().pos
	x, err := p.parseMath1()
	if err != nil {
		return nil, err
	}
	c := &compareExpr{p: at, first: x}
	for {
		t := p.cur()
		op := ""
		switch {
		case t.kind == tkOp && (t.val == "==" || t.val == "!=" || t.val == "<" || t.val == ">" || t.val == "<=" || t.val == ">="):
			op = t.val
			p.next()
		case p.isName("in"):
			op = "in"
			p.next()
		case p.isName("not") && p.peek().kind == tkName && p.peek().val == "in":
			op = "notin"
			p.next()
			p.next()
		}
		if op == "" {
			break
		}
		r, err := p.parseMath1()
		if err != nil {
			return nil, err
		}
		c.ops = append(c.ops, op)
		c.rest = append(c.rest, r)
	}
	if len(c.ops) == 0 {
		return x, nil
	}
	return c, nil
}

func (p *parser) parseBinary(ops []string, sub func() (expr, error)) (expr, error) {
	x, err := sub()
	if err != nil {
		return nil, err
	}
	for {
		t := p.cur()
		matched := false
		for _, o := range ops {
			if t.kind == tkOp && t.val == o {
				matched = true
			}
		}
		if !matched {
			return x, nil
		}
		p.next()
		r, err := sub()
		if err != nil {
			return nil, err
		}
		x = &binExpr{p: t.pos, op: t.val, l: x, r: r}
	}
}

func (p *parser) parseMath1() (expr, error) { return p.parseBinary([]string{"+", "-"}, p.parseConcat) }
func (p *parser) parseConcat() (expr, error) {
	return p.parseBinary([]string{"~"}, p.parseMath2)
}
func (p *parser) parseMath2() (expr, error) {
	return p.parseBinary([]string{"*", "/", "//", "%"}, p.parsePow)
}
func (p *parser) parsePow() (expr, error) {
	return p.parseBinary([]string{"**"}, func() (expr, error) { return p.parseUnary(true) })
}

func (p *parser) parseUnary(withFilter bool) (expr, error) {
	t := p.cur()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	var x expr
	var err error
	if t.kind == tkOp && (t.val == "-" || t.val == "+") {
		p.next()
		var inner expr
		if inner, err = p.parseUnary(false); err != nil {
			return nil, err
		}
		x = &unaryExpr{p: t.pos, op: t.val, x: inner}
	} else if x, err = p.parsePrimary(); err != nil {
		return nil, err
	}
	if x, err = p.parsePostfix(x); err != nil {
		return nil, err
	}
	if withFilter {
		return p.parseFilterExpr(x)
	}
	return x, nil
}

func (p *parser) parsePrimary() (expr, error) {
	t := p.cur()
	switch t.kind {
	case tkName:
		p.next()
		switch t.val {
		case "true", "True":
			return &literal{p: t.pos, v: true}, nil
		case "false", "False":
			return &literal{p: t.pos, v: false}, nil
		case "none", "None":
			return &literal{p: t.pos, v: nil}, nil
		}
		return &nameExpr{p: t.pos, name: t.val}, nil
	case tkString:
		p.next()
		s := t.val
		for p.cur().kind == tkString {
			s += p.next().val
		}
		return &literal{p: t.pos, v: s}, nil
	case tkInt:
		p.next()
		v, err := strconv.ParseInt(strings.ReplaceAll(t.val, "_", ""), 10, 64)
		if err != nil {
			return nil, p.errf(t.pos, "integer literal %s out of range", t.val)
		}
		return &literal{p: t.pos, v: v}, nil
	case tkFloat:
		p.next()
		v, err := strconv.ParseFloat(strings.ReplaceAll(t.val, "_", ""), 64)
		if err != nil {
			return nil, p.errf(t.pos, "bad float literal %s", t.val)
		}
		return &literal{p: t.pos, v: v}, nil
	case tkOp:
		switch t.val {
		case "(":
			p.next()
			if p.isOp(")") {
				p.next()
				return &listExpr{p: t.pos, tuple: true}, nil
			}
			x, err := p.parseTuple(true)
			if err != nil {
				return nil, err
			}
			if l, ok := x.(*listExpr); ok && l.tuple {
				l.p = t.pos
			}
			return x, p.expectOp(")")
		case "[":
			p.next()
			l := &listExpr{p: t.pos}
			for !p.isOp("]") {
				if len(l.items) > 0 {
					if err := p.expectOp(","); err != nil {
						return nil, err
					}
					if p.isOp("]") {
						break
					}
				}
				x, err := p.parseExpression(true)
				if err != nil {
					return nil, err
				}
				l.items = append(l.items, x)
			}
			p.next()
			return l, nil
		case "{":
			p.next()
			d := &dictExpr{p: t.pos}
			for !p.isOp("}") {
				if len(d.keys) > 0 {
					if err := p.expectOp(","); err != nil {
						return nil, err
					}
					if p.isOp("}") {
						break
					}
				}
				k, err := p.parseExpression(true)
				if err != nil {
					return nil, err
				}
				if err := p.expectOp(":"); err != nil {
					return nil, err
				}
				v, err := p.parseExpression(true)
				if err != nil {
					return nil, err
				}
				d.keys = append(d.keys, k)
				d.vals = append(d.vals, v)
			}
			p.next()
			return d, nil
		}
	}
	return nil, p.errf(t.pos, "unexpected %s", describe(t))
}

func (p *parser) parsePostfix(x expr) (expr, error) {
	for {
		t := p.cur()
		if t.kind != tkOp {
			return x, nil
		}
		var err error
		switch t.val {
		case ".":
			p.next()
			a := p.next()
			switch a.kind {
			case tkName:
				x = &attrExpr{p: t.pos, x: x, name: a.val}
			case tkInt:
				n, _ := strconv.ParseInt(a.val, 10, 64)
				x = &itemExpr{p: t.pos, x: x, index: &literal{p: a.pos, v: n}}
			default:
				return nil, p.errf(a.pos, "expected name or number after '.'")
			}
		case "[":
			p.next()
			if x, err = p.parseSubscript(t.pos, x); err != nil {
				return nil, err
			}
		case "(":
			if x, err = p.parseCall(x); err != nil {
				return nil, err
			}
		default:
			return x, nil
		}
	}
}

func (p *parser) parseSubscript(at pos, x expr) (expr, error) {
	var parts [3]expr
	var has [3]bool
	n := 0
	for {
		if !p.isOp(":") && !p.isOp("]") {
			e, err := p.parseExpression(true)
			if err != nil {
				return nil, err
			}
			parts[n], has[n] = e, true
		}
		if p.isOp(":") && n < 2 {
			p.next()
			n++
			continue
		}
		break
	}
	if err := p.expectOp("]"); err != nil {
		return nil, err
	}
	if n == 0 {
		if !has[0] {
			return nil, p.errf(at, "expected subscript")
		}
		return &itemExpr{p: at, x: x, index: parts[0]}, nil
	}
	return &sliceExpr{p: at, x: x, lo: parts[0], hi: parts[1], step: parts[2]}, nil
}

func (p *parser) parseArgs() ([]expr, []kwarg, expr, expr, error) {
	var args []expr
	var kws []kwarg
	var star, kwstar expr
	if err := p.expectOp("("); err != nil {
		return nil, nil, nil, nil, err
	}
	first := true
	for !p.isOp(")") {
		if !first {
			if err := p.expectOp(","); err != nil {
				return nil, nil, nil, nil, err
			}
			if p.isOp(")") {
				break
			}
		}
		first = false
		switch {
		case p.isOp("**"):
			p.next()
			x, err := p.parseExpression(true)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			kwstar = x
		case p.isOp("*"):
			p.next()
			x, err := p.parseExpression(true)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			star = x
		case p.cur().kind == tkName && p.peek().kind == tkOp && p.peek().val == "=":
			name := p.next().val
			p.next()
			x, err := p.parseExpression(true)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			kws = append(kws, kwarg{name: name, x: x})
		default:
			if len(kws) > 0 {
				return nil, nil, nil, nil, p.errf(p.cur().pos, "positional argument follows keyword argument")
			}
			x, err := p.parseExpression(true)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			args = append(args, x)
		}
	}
	p.next()
	return args, kws, star, kwstar, nil
}

func (p *parser) parseCall(fn expr) (expr, error) {
	at := p.cur().pos
	args, kws, star, kwstar, err := p.parseArgs()
	if err != nil {
		return nil, err
	}
	return &callExpr{p: at, fn: fn, args: args, kwargs: kws, star: star, kwstar: kwstar}, nil
}

func (p *parser) parseFilter(x expr) (*filterExpr, error) {
	if x != nil || p.isOp("|") {
		if err := p.expectOp("|"); err != nil {
			return nil, err
		}
	}
	t, err := p.expectKind(tkName, "filter name")
	if err != nil {
		return nil, err
	}
	name := t.val
	for p.isOp(".") && p.peek().kind == tkName {
		p.next()
		name += "." + p.next().val
	}
	f := &filterExpr{p: t.pos, x: x, name: name}
	if p.isOp("(") {
		args, kws, _, _, err := p.parseArgs()
		if err != nil {
			return nil, err
		}
		f.args, f.kwargs = args, kws
	}
	return f, nil
}

func (p *parser) parseFilterExpr(x expr) (expr, error) {
	for {
		var err error
		switch {
		case p.isOp("|"):
			if x, err = p.parseFilter(x); err != nil {
				return nil, err
			}
		case p.isName("is"):
			if x, err = p.parseTest(x); err != nil {
				return nil, err
			}
		case p.isOp("("):
			if x, err = p.parseCall(x); err != nil {
				return nil, err
			}
		default:
			return x, nil
		}
	}
}

func (p *parser) parseTest(x expr) (expr, error) {
	at := p.next().pos
	t := &testExpr{p: at, x: x}
	if p.isName("not") {
		p.next()
		t.negate = true
	}
	name, err := p.expectKind(tkName, "test name")
	if err != nil {
		return nil, err
	}
	t.name = name.val
	for p.isOp(".") && p.peek().kind == tkName {
		p.next()
		t.name += "." + p.next().val
	}
	c := p.cur()
	switch {
	case p.isOp("("):
		args, _, _, _, err := p.parseArgs()
		if err != nil {
			return nil, err
		}
		t.args = args
	case c.kind == tkString || c.kind == tkInt || c.kind == tkFloat || (c.kind == tkOp && (c.val == "[" || c.val == "{")) ||
		(c.kind == tkName && c.val != "else" && c.val != "or" && c.val != "and" && c.val != "if" && c.val != "is" && c.val != "in" && c.val != "not" && c.val != "recursive"):
		arg, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		if arg, err = p.parsePostfix(arg); err != nil {
			return nil, err
		}
		t.args = []expr{arg}
	}
	return t, nil
}
