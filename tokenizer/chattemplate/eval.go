package chattemplate

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// scope is one level of jinja2's variable lookup. A for-loop iteration, a
// macro call and a with block get their own; if blocks do not, so a set
// inside a loop does not leak out of it (which is why templates use
// namespace()).
type scope struct {
	// The first few names live inline: a loop iteration usually binds
	// just its target and loop, and a map per iteration dominates the cost.
	names  [3]string
	vals   [3]value
	n      int
	vars   map[string]value
	parent *scope
}

func (s *scope) lookup(name string) (value, bool) {
	for c := s; c != nil; c = c.parent {
		for i := 0; i < c.n; i++ {
			if c.names[i] == name {
				return c.vals[i], true
			}
		}
		if v, ok := c.vars[name]; ok {
			return v, true
		}
	}
	return nil, false
}

// child makes a nested scope.
func (s *scope) child() *scope { return &scope{parent: s} }

func (s *scope) set(name string, v value) {
	for i := 0; i < s.n; i++ {
		if s.names[i] == name {
			s.vals[i] = v
			return
		}
	}
	if s.n < len(s.names) {
		s.names[s.n], s.vals[s.n] = name, v
		s.n++
		return
	}
	if s.vars == nil {
		s.vars = map[string]value{}
	}
	s.vars[name] = v
}

type renderer struct {
	out       strings.Builder
	steps     int
	maxSteps  int
	maxOutput int
	depth     int
	evalDepth int
	globals   *scope
	opts      *Options
}

type loopControl int

const (
	ctlNone loopControl = iota
	ctlBreak
	ctlContinue
)

// errAt wraps a failure with the template position it happened at; an
// *Error that already has a position keeps it.
func errAt(at pos, kind ErrorKind, format string, args ...any) error {
	return &Error{Kind: kind, Line: at.line, Col: at.col, Msg: fmt.Sprintf(format, args...)}
}

func placeErr(err error, at pos) error {
	var e *Error
	if errors.As(err, &e) {
		if e.Line == 0 {
			e.Line, e.Col = at.line, at.col
		}
		return e
	}
	return &Error{Kind: ErrType, Line: at.line, Col: at.col, Msg: err.Error()}
}

func typeErr(format string, args ...any) error {
	return &Error{Kind: ErrType, Msg: fmt.Sprintf(format, args...)}
}

func undefErr(u *undefined) error {
	return &Error{Kind: ErrUndefined, Msg: u.hint}
}

func (r *renderer) step(at pos) error {
	r.steps++
	if r.steps > r.maxSteps {
		return errAt(at, ErrLimit, "render exceeded %d steps", r.maxSteps)
	}
	return nil
}

func (r *renderer) write(at pos, s string) error {
	if r.out.Len()+len(s) > r.maxOutput {
		return errAt(at, ErrLimit, "output exceeds %d bytes", r.maxOutput)
	}
	r.out.WriteString(s)
	return nil
}

func (r *renderer) enter(at pos) error {
	r.depth++
	if r.depth > maxNesting {
		return errAt(at, ErrLimit, "calls nest deeper than %d", maxNesting)
	}
	return nil
}

func (r *renderer) execBody(nodes []node, s *scope) (loopControl, error) {
	for _, n := range nodes {
		ctl, err := r.exec(n, s)
		if err != nil || ctl != ctlNone {
			return ctl, err
		}
	}
	return ctlNone, nil
}

func (r *renderer) exec(n node, s *scope) (loopControl, error) {
	if err := r.step(n.at()); err != nil {
		return ctlNone, err
	}
	switch n := n.(type) {
	case *textNode:
		return ctlNone, r.write(n.at(), n.s)
	case *outputNode:
		v, err := r.eval(n.x, s)
		if err != nil {
			return ctlNone, err
		}
		sv, err := r.softStr(v)
		if err != nil {
			return ctlNone, placeErr(err, n.p)
		}
		return ctlNone, r.write(n.p, sv)
	case *ifNode:
		for i, c := range n.conds {
			v, err := r.eval(c, s)
			if err != nil {
				return ctlNone, err
			}
			if truthy(v) {
				return r.execBody(n.bodies[i], s)
			}
		}
		return r.execBody(n.els, s)
	case *forNode:
		return ctlNone, r.execFor(n, s)
	case *setNode:
		return ctlNone, r.execSet(n, s)
	case *macroNode:
		s.set(n.name, &macro{name: n.name, params: n.params, body: n.body, closure: s, p: n.p})
		return ctlNone, nil
	case *callBlockNode:
		caller := &macro{name: "caller", params: n.params, body: n.body, closure: s, p: n.p}
		v, err := r.evalCall(n.call, s, caller)
		if err != nil {
			return ctlNone, err
		}
		sv, err := r.softStr(v)
		if err != nil {
			return ctlNone, placeErr(err, n.p)
		}
		return ctlNone, r.write(n.p, sv)
	case *filterBlockNode:
		body, err := r.capture(n.body, s)
		if err != nil {
			return ctlNone, err
		}
		var v value = body
		for _, f := range n.filters {
			if v, err = r.applyFilter(f, v, s); err != nil {
				return ctlNone, err
			}
		}
		sv, err := r.softStr(v)
		if err != nil {
			return ctlNone, placeErr(err, n.p)
		}
		return ctlNone, r.write(n.p, sv)
	case *withNode:
		inner := s.child()
		for i, t := range n.targets {
			v, err := r.eval(n.values[i], s)
			if err != nil {
				return ctlNone, err
			}
			inner.set(t, v)
		}
		return r.execBody(n.body, inner)
	case *bodyNode:
		return r.execBody(n.body, s)
	case *breakNode:
		return ctlBreak, nil
	case *continueNode:
		return ctlContinue, nil
	}
	return ctlNone, fmt.Errorf("chattemplate: unknown node %T", n)
}

// capture renders nodes into a string instead of the output.
func (r *renderer) capture(nodes []node, s *scope) (string, error) {
	saved := r.out
	r.out = strings.Builder{}
	_, err := r.execBody(nodes, s)
	got := r.out.String()
	r.out = saved
	if err == nil && r.out.Len()+len(got) > r.maxOutput {
		err = &Error{Kind: ErrLimit, Msg: fmt.Sprintf("output exceeds %d bytes", r.maxOutput)}
	}
	return got, err
}

func (r *renderer) execSet(n *setNode, s *scope) error {
	var v value
	var err error
	if n.x != nil {
		if v, err = r.eval(n.x, s); err != nil {
			return err
		}
	} else {
		body, err := r.capture(n.body, s)
		if err != nil {
			return err
		}
		v = body
		for _, f := range n.filters {
			if v, err = r.applyFilter(f, v, s); err != nil {
				return err
			}
		}
	}
	if n.nsAttr != "" {
		target, ok := s.lookup(n.targets[0])
		ns, isNS := target.(*namespace)
		if !ok || !isNS {
			return errAt(n.p, ErrType, "cannot assign attribute on non-namespace object")
		}
		ns.d.set(n.nsAttr, v)
		return nil
	}
	return r.assign(n.p, s, n.targets, v)
}

func (r *renderer) assign(at pos, s *scope, targets []string, v value) error {
	if len(targets) == 1 {
		s.set(targets[0], v)
		return nil
	}
	items, err := r.iterate(v)
	if err != nil {
		return placeErr(err, at)
	}
	if len(items) != len(targets) {
		if len(items) > len(targets) {
			return errAt(at, ErrType, "too many values to unpack (expected %d)", len(targets))
		}
		return errAt(at, ErrType, "not enough values to unpack (expected %d, got %d)", len(targets), len(items))
	}
	for i, t := range targets {
		s.set(t, items[i])
	}
	return nil
}

// iterate lists what a for loop over v visits.
func (r *renderer) iterate(v value) ([]value, error) {
	switch v := plain(v).(type) {
	case *undefined:
		if v.hint == unsafeHint {
			return nil, &Error{Kind: ErrSecurity, Msg: v.hint}
		}
		return nil, nil
	case *list:
		return v.items, nil
	case *view:
		return v.rest(), nil
	case *dict:
		out := make([]value, len(v.keys))
		for i, k := range v.keys {
			out[i] = v.keyValue(k)
		}
		return out, nil
	case string:
		var out []value
		for _, c := range v {
			out = append(out, string(c))
		}
		return out, nil
	}
	return nil, typeErr("'%s' object is not iterable", typeName(v))
}

type loopInfo struct {
	index0      int
	items       []value
	depth       int
	node        *forNode
	scope       *scope
	lastChanged value
	hasChanged  bool
}

func (r *renderer) execFor(n *forNode, s *scope) error {
	seq, err := r.eval(n.iter, s)
	if err != nil {
		return err
	}
	return r.loop(n, s, seq, 1)
}

func (r *renderer) loop(n *forNode, s *scope, seq value, depth int) error {
	items, err := r.iterate(seq)
	if err != nil {
		return placeErr(err, n.p)
	}
	if n.cond != nil {
		var kept []value
		for _, it := range items {
			inner := s.child()
			if err := r.assign(n.p, inner, n.targets, it); err != nil {
				return err
			}
			c, err := r.eval(n.cond, inner)
			if err != nil {
				return err
			}
			if truthy(c) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	if len(items) == 0 {
		_, err := r.execBody(n.els, s)
		return err
	}
	li := &loopInfo{items: items, depth: depth, node: n, scope: s}
	for i, it := range items {
		if err := r.step(n.p); err != nil {
			return err
		}
		li.index0 = i
		inner := s.child()
		if err := r.assign(n.p, inner, n.targets, it); err != nil {
			return err
		}
		inner.set("loop", li)
		ctl, err := r.execBody(n.body, inner)
		if err != nil {
			return err
		}
		if ctl == ctlBreak {
			break
		}
	}
	return nil
}

// maxEvalDepth bounds expression recursion: a.b.c... and 1+1+... chains
// parse iteratively into deep trees.
const maxEvalDepth = 2000

func (r *renderer) eval(x expr, s *scope) (value, error) {
	if err := r.step(x.at()); err != nil {
		return nil, err
	}
	r.evalDepth++
	defer func() { r.evalDepth-- }()
	if r.evalDepth > maxEvalDepth {
		return nil, errAt(x.at(), ErrLimit, "expression nests deeper than %d", maxEvalDepth)
	}
	switch x := x.(type) {
	case *literal:
		return x.v, nil
	case *nameExpr:
		if v, ok := s.lookup(x.name); ok {
			return v, nil
		}
		return &undefined{hint: fmt.Sprintf("'%s' is undefined", x.name)}, nil
	case *listExpr:
		l := &list{tuple: x.tuple, items: make([]value, 0, len(x.items))}
		for _, it := range x.items {
			v, err := r.eval(it, s)
			if err != nil {
				return nil, err
			}
			l.items = append(l.items, v)
		}
		return l, nil
	case *dictExpr:
		d := newDict()
		for i := range x.keys {
			k, err := r.eval(x.keys[i], s)
			if err != nil {
				return nil, err
			}
			v, err := r.eval(x.vals[i], s)
			if err != nil {
				return nil, err
			}
			if err := d.setKey(k, v); err != nil {
				return nil, placeErr(err, x.keys[i].at())
			}
		}
		return d, nil
	case *attrExpr:
		obj, err := r.eval(x.x, s)
		if err != nil {
			return nil, err
		}
		v, err := getAttr(obj, x.name)
		if err != nil {
			return nil, placeErr(err, x.p)
		}
		return v, nil
	case *itemExpr:
		obj, err := r.eval(x.x, s)
		if err != nil {
			return nil, err
		}
		idx, err := r.eval(x.index, s)
		if err != nil {
			return nil, err
		}
		v, err := getItem(obj, idx)
		if err != nil {
			return nil, placeErr(err, x.p)
		}
		return v, nil
	case *sliceExpr:
		return r.evalSlice(x, s)
	case *callExpr:
		return r.evalCall(x, s, nil)
	case *filterExpr:
		v, err := r.eval(x.x, s)
		if err != nil {
			return nil, err
		}
		return r.applyFilter(x, v, s)
	case *testExpr:
		return r.evalTest(x, s)
	case *unaryExpr:
		v, err := r.eval(x.x, s)
		if err != nil {
			return nil, err
		}
		switch x.op {
		case "not":
			return !truthy(v), nil
		case "-":
			switch n := v.(type) {
			case bool:
				i, _ := asInt(n)
				return -i, nil
			case int64:
				return -n, nil
			case float64:
				return -n, nil
			case *undefined:
				return nil, placeErr(undefErr(n), x.p)
			}
			return nil, errAt(x.p, ErrType, "bad operand type for unary -: '%s'", typeName(v))
		default:
			if _, ok := number(v); !ok {
				if u, ok := v.(*undefined); ok {
					return nil, placeErr(undefErr(u), x.p)
				}
				return nil, errAt(x.p, ErrType, "bad operand type for unary +: '%s'", typeName(v))
			}
			return v, nil
		}
	case *binExpr:
		l, err := r.eval(x.l, s)
		if err != nil {
			return nil, err
		}
		switch x.op {
		case "and":
			if !truthy(l) {
				return l, nil
			}
			return r.eval(x.r, s)
		case "or":
			if truthy(l) {
				return l, nil
			}
			return r.eval(x.r, s)
		}
		rv, err := r.eval(x.r, s)
		if err != nil {
			return nil, err
		}
		v, err := arith(x.op, l, rv, r.maxOutput)
		if err != nil {
			return nil, placeErr(err, x.p)
		}
		return v, nil
	case *compareExpr:
		l, err := r.eval(x.first, s)
		if err != nil {
			return nil, err
		}
		for i, op := range x.ops {
			rv, err := r.eval(x.rest[i], s)
			if err != nil {
				return nil, err
			}
			ok, err := compare(op, l, rv)
			if err != nil {
				return nil, placeErr(err, x.p)
			}
			if !ok {
				return false, nil
			}
			l = rv
		}
		return true, nil
	case *condExpr:
		t, err := r.eval(x.test, s)
		if err != nil {
			return nil, err
		}
		if truthy(t) {
			return r.eval(x.a, s)
		}
		if x.b == nil {
			return &undefined{hint: "the inline if-expression evaluated to false and no else section was defined."}, nil
		}
		return r.eval(x.b, s)
	}
	return nil, fmt.Errorf("chattemplate: unknown expression %T", x)
}

func (r *renderer) evalSlice(x *sliceExpr, s *scope) (value, error) {
	obj, err := r.eval(x.x, s)
	if err != nil {
		return nil, err
	}
	var bounds [3]value
	for i, e := range []expr{x.lo, x.hi, x.step} {
		if e == nil {
			continue
		}
		if bounds[i], err = r.eval(e, s); err != nil {
			return nil, err
		}
	}
	v, err := slice(obj, bounds[0], bounds[1], bounds[2])
	if err != nil {
		return nil, placeErr(err, x.p)
	}
	return v, nil
}

// sliceIndices is Python's slice.indices.
func sliceIndices(n int, lo, hi, step value) (start, stop, st int, err error) {
	st = 1
	if step != nil {
		s, ok := asInt(step)
		if !ok {
			return 0, 0, 0, typeErr("slice indices must be integers or None")
		}
		if s == 0 {
			return 0, 0, 0, typeErr("slice step cannot be zero")
		}
		st = int(s)
	}
	get := func(v value, def int) (int, error) {
		if v == nil {
			return def, nil
		}
		i, ok := asInt(v)
		if !ok {
			return 0, typeErr("slice indices must be integers or None")
		}
		x := int(i)
		if x < 0 {
			x += n
			if x < 0 {
				if st < 0 {
					x = -1
				} else {
					x = 0
				}
			}
		} else if x >= n {
			if st < 0 {
				x = n - 1
			} else {
				x = n
			}
		}
		return x, nil
	}
	if st > 0 {
		if start, err = get(lo, 0); err != nil {
			return
		}
		stop, err = get(hi, n)
	} else {
		if start, err = get(lo, n-1); err != nil {
			return
		}
		stop, err = get(hi, -1)
	}
	return
}

func slice(obj, lo, hi, step value) (value, error) {
	obj = plain(obj)
	for _, b := range []value{lo, hi, step} {
		if u, ok := b.(*undefined); ok {
			return nil, undefErr(u)
		}
	}
	pick := func(n int, f func(i int)) error {
		start, stop, st, err := sliceIndices(n, lo, hi, step)
		if err != nil {
			return err
		}
		// Count the picks first so a huge step cannot overflow i.
		count := 0
		if st > 0 && stop > start {
			count = (stop-start-1)/st + 1
		} else if st < 0 && stop < start {
			count = (start-stop-1)/(-st) + 1
		}
		for k, i := 0, start; k < count; k, i = k+1, i+st {
			f(i)
		}
		return nil
	}
	switch o := obj.(type) {
	case *list:
		out := &list{tuple: o.tuple}
		err := pick(len(o.items), func(i int) { out.items = append(out.items, o.items[i]) })
		return out, err
	case string:
		rs := []rune(o)
		var b []rune
		err := pick(len(rs), func(i int) { b = append(b, rs[i]) })
		return string(b), err
	case *view:
		if o.kind == viewRange {
			out := &view{kind: viewRange, repr: o.repr}
			err := pick(len(o.items), func(i int) { out.items = append(out.items, o.items[i]) })
			return out, err
		}
	case *undefined:
		return nil, undefErr(o)
	}
	return &undefined{hint: fmt.Sprintf("'%s object' has no element slice", typeName(obj))}, nil
}

const unsafeHint = "access to an unsafe attribute"

// getAttr is jinja2's Environment.getattr under the immutable sandbox:
// Python attributes (string, list and dict methods) first, then the item.
func getAttr(obj value, name string) (value, error) {
	obj = plain(obj)
	switch o := obj.(type) {
	case *undefined:
		return nil, undefErr(o)
	case *namespace:
		if v, ok := o.d.get(name); ok {
			return v, nil
		}
		return &undefined{hint: fmt.Sprintf("'Namespace object' has no attribute '%s'", name)}, nil
	case *loopInfo:
		return o.attr(name), nil
	}
	if strings.HasPrefix(name, "_") {
		return &undefined{hint: unsafeHint}, nil
	}
	if m, ok := methodFor(obj, name); ok {
		return m, nil
	}
	if d, ok := obj.(*dict); ok {
		if v, ok := d.get(name); ok {
			return v, nil
		}
	}
	return &undefined{hint: fmt.Sprintf("'%s object' has no attribute '%s'", typeName(obj), name)}, nil
}

// getItem is jinja2's Environment.getitem: the item first, then (for a
// string key) the attribute.
func getItem(obj, key value) (value, error) {
	obj, key = plain(obj), plain(key)
	if u, ok := obj.(*undefined); ok {
		return nil, undefErr(u)
	}
	switch o := obj.(type) {
	case *dict:
		if v, ok := o.getKey(key); ok {
			return v, nil
		}
	case *namespace:
		if k, ok := key.(string); ok {
			return getAttr(o, k)
		}
	case *view:
		if i, ok := asInt(key); ok && o.kind == viewRange {
			n := int64(len(o.items))
			if i < 0 {
				i += n
			}
			if i >= 0 && i < n {
				return o.items[i], nil
			}
		}
	case *list:
		if i, ok := asInt(key); ok {
			n := int64(len(o.items))
			if i < 0 {
				i += n
			}
			if i >= 0 && i < n {
				return o.items[i], nil
			}
		}
	case string:
		if i, ok := asInt(key); ok {
			rs := []rune(o)
			n := int64(len(rs))
			if i < 0 {
				i += n
			}
			if i >= 0 && i < n {
				return string(rs[i]), nil
			}
		}
	}
	if k, ok := key.(string); ok {
		return getAttr(obj, k)
	}
	return &undefined{hint: fmt.Sprintf("%s object has no element %s", typeName(obj), repr(key))}, nil
}

func concatErr(l, r value) error {
	return typeErr("can only concatenate %s (not \"%s\") to %s", typeName(l), typeName(r), typeName(l))
}

func arith(op string, l, r value, maxLen int) (value, error) {
	if op == "~" {
		ls, err := boundedStr(l, maxLen)
		if err != nil {
			return nil, err
		}
		rs, err := boundedStr(r, maxLen)
		if err != nil {
			return nil, err
		}
		if len(ls)+len(rs) > maxLen {
			return nil, &Error{Kind: ErrLimit, Msg: "string too long"}
		}
		return ls + rs, nil
	}
	for _, v := range []value{l, r} {
		if u, ok := v.(*undefined); ok {
			return nil, undefErr(u)
		}
	}
	if op == "+" {
		if v, ok := markupAdd(l, r); ok {
			return v, nil
		}
	}
	l, r = plain(l), plain(r)
	li, lInt := asInt(l)
	ri, rInt := asInt(r)
	lf, lNum := number(l)
	rf, rNum := number(r)
	if lNum && rNum {
		both := lInt && rInt
		switch op {
		case "+":
			if both {
				return li + ri, nil
			}
			return lf + rf, nil
		case "-":
			if both {
				return li - ri, nil
			}
			return lf - rf, nil
		case "*":
			if both {
				return li * ri, nil
			}
			return lf * rf, nil
		case "/":
			if rf == 0 {
				return nil, typeErr("division by zero")
			}
			return lf / rf, nil
		case "//":
			if rf == 0 {
				return nil, typeErr("integer division or modulo by zero")
			}
			if both {
				q := li / ri
				if (li%ri != 0) && ((li < 0) != (ri < 0)) {
					q--
				}
				return q, nil
			}
			return math.Floor(lf / rf), nil
		case "%":
			if rf == 0 {
				return nil, typeErr("integer division or modulo by zero")
			}
			if both {
				m := li % ri
				if m != 0 && ((m < 0) != (ri < 0)) {
					m += ri
				}
				return m, nil
			}
			m := math.Mod(lf, rf)
			if m != 0 && ((m < 0) != (rf < 0)) {
				m += rf
			}
			return m, nil
		case "**":
			if both && ri >= 0 {
				out := int64(1)
				for i := int64(0); i < ri && i < 64; i++ {
					out *= li
				}
				return out, nil
			}
			return math.Pow(lf, rf), nil
		}
	}
	switch op {
	case "+":
		switch lv := l.(type) {
		case string:
			rs, ok := r.(string)
			if !ok {
				return nil, concatErr(l, r)
			}
			if len(lv)+len(rs) > maxLen {
				return nil, &Error{Kind: ErrLimit, Msg: "string too long"}
			}
			return lv + rs, nil
		case *list:
			rl, ok := r.(*list)
			if !ok || rl.tuple != lv.tuple {
				return nil, concatErr(l, r)
			}
			if len(lv.items)+len(rl.items) > maxLen {
				return nil, &Error{Kind: ErrLimit, Msg: "list too long"}
			}
			out := &list{tuple: lv.tuple, items: make([]value, 0, len(lv.items)+len(rl.items))}
			out.items = append(append(out.items, lv.items...), rl.items...)
			return out, nil
		}
	case "*":
		if s, ok := l.(string); ok && rInt {
			if ri <= 0 {
				return "", nil
			}
			if int64(len(s))*ri > int64(maxLen) {
				return nil, &Error{Kind: ErrLimit, Msg: "string too long"}
			}
			return strings.Repeat(s, int(ri)), nil
		}
		if lst, ok := l.(*list); ok && rInt {
			out := &list{tuple: lst.tuple}
			if int64(len(lst.items))*ri > int64(maxLen) {
				return nil, &Error{Kind: ErrLimit, Msg: "list too long"}
			}
			for i := int64(0); i < ri; i++ {
				out.items = append(out.items, lst.items...)
			}
			return out, nil
		}
	case "%":
		if s, ok := l.(string); ok {
			return percentFormat(s, r, maxLen)
		}
	}
	return nil, typeErr("unsupported operand type(s) for %s: '%s' and '%s'", op, typeName(l), typeName(r))
}

func compare(op string, l, r value) (bool, error) {
	l, r = plain(l), plain(r)
	switch op {
	case "==":
		return equal(l, r), nil
	case "!=":
		return !equal(l, r), nil
	case "in", "notin":
		in, err := contains(r, l)
		if op == "notin" {
			in = !in
		}
		return in, err
	}
	c, err := order(l, r)
	if err != nil {
		return false, typeErr("'%s' not supported between instances of '%s' and '%s'", op, typeName(l), typeName(r))
	}
	switch op {
	case "<":
		return c < 0, nil
	case ">":
		return c > 0, nil
	case "<=":
		return c <= 0, nil
	}
	return c >= 0, nil
}

func order(l, r value) (int, error) {
	if lf, ok := number(l); ok {
		if rf, ok := number(r); ok {
			switch {
			case lf < rf:
				return -1, nil
			case lf > rf:
				return 1, nil
			}
			return 0, nil
		}
	}
	if ls, ok := l.(string); ok {
		if rs, ok := r.(string); ok {
			return strings.Compare(ls, rs), nil
		}
	}
	if ll, ok := l.(*list); ok {
		if rl, ok := r.(*list); ok {
			for i := 0; i < len(ll.items) && i < len(rl.items); i++ {
				if equal(ll.items[i], rl.items[i]) {
					continue
				}
				return order(ll.items[i], rl.items[i])
			}
			return len(ll.items) - len(rl.items), nil
		}
	}
	if u, ok := l.(*undefined); ok {
		return 0, undefErr(u)
	}
	if u, ok := r.(*undefined); ok {
		return 0, undefErr(u)
	}
	return 0, errors.New("unorderable")
}

func contains(container, item value) (bool, error) {
	switch c := container.(type) {
	case string:
		s, ok := item.(string)
		if !ok {
			return false, typeErr("'in <string>' requires string as left operand, not %s", typeName(item))
		}
		return strings.Contains(c, s), nil
	case *list:
		for _, x := range c.items {
			if equal(x, item) {
				return true, nil
			}
		}
		return false, nil
	case *view:
		// Python's "in" on an iterator consumes it up to the match.
		for i := c.pos; i < len(c.items); i++ {
			if equal(c.items[i], item) {
				if c.once() {
					c.pos = i + 1
				}
				return true, nil
			}
		}
		if c.once() {
			c.pos = len(c.items)
		}
		return false, nil
	case *dict:
		if _, ok := encodeKey(item); !ok {
			return false, typeErr("unhashable type: '%s'", typeName(item))
		}
		_, has := c.getKey(item)
		return has, nil
	case *undefined:
		// Undefined iterates as empty, so Python's "in" finds nothing.
		return false, nil
	}
	return false, typeErr("argument of type '%s' is not iterable", typeName(container))
}

func (li *loopInfo) attr(name string) value {
	n := len(li.items)
	switch name {
	case "index":
		return int64(li.index0 + 1)
	case "index0":
		return int64(li.index0)
	case "revindex":
		return int64(n - li.index0)
	case "revindex0":
		return int64(n - li.index0 - 1)
	case "first":
		return li.index0 == 0
	case "last":
		return li.index0 == n-1
	case "length":
		return int64(n)
	case "depth":
		return int64(li.depth)
	case "depth0":
		return int64(li.depth - 1)
	case "previtem":
		if li.index0 > 0 {
			return li.items[li.index0-1]
		}
		return &undefined{hint: "there is no previous item"}
	case "nextitem":
		if li.index0+1 < n {
			return li.items[li.index0+1]
		}
		return &undefined{hint: "there is no next item"}
	case "cycle":
		return &builtin{name: "loop.cycle", fn: func(r *renderer, args []value, _ *dict) (value, error) {
			if len(args) == 0 {
				return nil, typeErr("no items for cycling given")
			}
			return args[li.index0%len(args)], nil
		}}
	case "changed":
		return &builtin{name: "loop.changed", fn: func(r *renderer, args []value, _ *dict) (value, error) {
			cur := &list{items: args}
			if li.hasChanged && equal(li.lastChanged, cur) {
				return false, nil
			}
			li.hasChanged, li.lastChanged = true, cur
			return true, nil
		}}
	}
	return &undefined{hint: fmt.Sprintf("'LoopContext object' has no attribute '%s'", name)}
}
