package chattemplate

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Filters and tests are jinja2's built-ins (jinja2/filters.py, tests.py)
// that chat templates use, with tojson replaced by Hugging Face's.

func (r *renderer) applyFilter(f *filterExpr, v value, s *scope) (value, error) {
	args := make([]value, 0, len(f.args))
	for _, a := range f.args {
		x, err := r.eval(a, s)
		if err != nil {
			return nil, err
		}
		args = append(args, x)
	}
	kw := newDict()
	for _, k := range f.kwargs {
		x, err := r.eval(k.x, s)
		if err != nil {
			return nil, err
		}
		kw.set(k.name, x)
	}
	out, err := r.filter(f.name, v, args, kw, s)
	if err != nil {
		return nil, placeErr(err, f.p)
	}
	return out, nil
}

// softStr is jinja2's soft_str: str() except that undefined is ""; an
// unsafe attribute fails.
func (r *renderer) softStr(v value) (string, error) {
	return boundedStr(v, r.maxOutput)
}

// boundedStr is str(v) that refuses (ErrLimit) to build a printed form
// longer than limit bytes or nested deeper than maxNesting; a namespace
// can hold itself, and [s] * n holds n copies of a long string.
func boundedStr(v value, limit int) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case markup:
		return string(x), nil
	case *undefined:
		if x.hint == unsafeHint {
			return "", &Error{Kind: ErrSecurity, Msg: x.hint}
		}
		return "", nil
	}
	n := 0
	var walk func(v value, d int) bool
	walk = func(v value, d int) bool {
		if d > maxNesting {
			return false
		}
		n += 8
		switch x := v.(type) {
		case string:
			n += len(x)
		case *list:
			for _, it := range x.items {
				if !walk(it, d+1) {
					return false
				}
			}
		case *dict:
			for _, k := range x.keys {
				n += len(k)
				if !walk(x.m[k], d+1) {
					return false
				}
			}
		case *namespace:
			return walk(x.d, d+1)
		case *view:
			for _, it := range x.items {
				if !walk(it, d+1) {
					return false
				}
			}
		}
		return n <= limit
	}
	if !walk(v, 0) {
		return "", &Error{Kind: ErrLimit, Msg: fmt.Sprintf("printed value would exceed %d bytes or nest too deeply", limit)}
	}
	return str(v), nil
}

func length(v value) (value, error) {
	switch x := v.(type) {
	case string:
		return int64(utf8.RuneCountInString(x)), nil
	case *list:
		return int64(len(x.items)), nil
	case *dict:
		return int64(len(x.keys)), nil
	case *namespace:
		return int64(len(x.d.keys)), nil
	case *view:
		if x.hasLen() {
			return int64(len(x.items)), nil
		}
	case *undefined:
		return int64(0), nil
	}
	return nil, typeErr("object of type '%s' has no len()", typeName(v))
}

// attrGetter is jinja2's make_attrgetter: a dotted path looked up with
// getitem at each step (integers index lists).
func attrGetter(path value) func(value) (value, error) {
	parts := []value{path}
	if s, ok := path.(string); ok {
		parts = nil
		for _, p := range strings.Split(s, ".") {
			if i, ok := toInt(p, nil, 10).(int64); ok && strings.TrimLeft(p, "0123456789") == "" && p != "" {
				parts = append(parts, i)
			} else {
				parts = append(parts, p)
			}
		}
	}
	return func(v value) (value, error) {
		for _, p := range parts {
			var err error
			if v, err = getItem(v, p); err != nil {
				return nil, err
			}
		}
		return v, nil
	}
}

func (r *renderer) filter(name string, v value, args []value, kw *dict, s *scope) (value, error) {
	switch name {
	case "safe", "e", "escape", "forceescape":
	default:
		v = plain(v)
	}
	args = plainAll(args)
	switch name {
	case "tojson":
		indentV, _ := arg(args, kw, 0, "indent")
		indent, hasIndent := "", false
		switch iv := indentV.(type) {
		case int64:
			indent, hasIndent = strings.Repeat(" ", int(max(min(iv, maxNesting), 0))), true
		case string:
			indent, hasIndent = iv, true
		case nil:
		default:
			return nil, typeErr("indent must be int or str")
		}
		itemSep, keySep := ", ", ": "
		if hasIndent {
			itemSep = ","
		}
		if sep, ok := kw.get("separators"); ok && sep != nil {
			l, isList := sep.(*list)
			if !isList || len(l.items) != 2 {
				return nil, typeErr("separators must be a pair of strings")
			}
			a, ok1 := l.items[0].(string)
			b, ok2 := l.items[1].(string)
			if !ok1 || !ok2 {
				return nil, typeErr("separators must be a pair of strings")
			}
			itemSep, keySep = a, b
		}
		sortKeys := false
		if sk, ok := kw.get("sort_keys"); ok {
			sortKeys = truthy(sk)
		}
		ascii := false
		if ea, ok := kw.get("ensure_ascii"); ok {
			ascii = truthy(ea)
		}
		if u, ok := v.(*undefined); ok {
			return nil, undefErr(u)
		}
		return toJSON(v, indent, hasIndent, itemSep, keySep, sortKeys, ascii, maxNesting, r.maxOutput)
	case "trim":
		sv, err := r.softStr(v)
		if err != nil {
			return nil, err
		}
		c, ok, err := strArg(args, kw, 0, "chars")
		if err != nil {
			return nil, err
		}
		if ok {
			return pyStrip(sv, &c, true, true), nil
		}
		return pyStrip(sv, nil, true, true), nil
	case "length", "count":
		return length(v)
	case "upper", "lower", "capitalize", "title", "string":
		sv, err := r.softStr(v)
		if err != nil {
			return nil, err
		}
		switch name {
		case "upper":
			return pyUpper(sv), nil
		case "lower":
			return pyLower(sv), nil
		case "capitalize":
			return pyCapitalize(sv), nil
		case "title":
			return jinjaTitle(sv), nil
		}
		if _, ok := v.(*undefined); ok {
			return "", nil
		}
		return sv, nil
	case "e", "escape", "forceescape":
		if m, ok := v.(markup); ok && name != "forceescape" {
			return m, nil
		}
		sv, err := r.softStr(plain(v))
		if err != nil {
			return nil, err
		}
		return markup(htmlEscape(sv)), nil
	case "safe":
		if m, ok := v.(markup); ok {
			return m, nil
		}
		sv, err := r.softStr(v)
		if err != nil {
			return nil, err
		}
		return markup(sv), nil
	case "default", "d":
		def, ok := arg(args, kw, 0, "default_value")
		if !ok {
			def = ""
		}
		boolean := false
		if b, ok := arg(args, kw, 1, "boolean"); ok {
			boolean = truthy(b)
		}
		if isUndefined(v) || (boolean && !truthy(v)) {
			return def, nil
		}
		return v, nil
	case "join":
		items, err := r.iterate(v)
		if err != nil {
			return nil, err
		}
		sep := ""
		if d, ok := arg(args, kw, 0, "d"); ok {
			var err error
			if sep, err = r.softStr(d); err != nil {
				return nil, err
			}
		}
		if a, ok := arg(args, kw, 1, "attribute"); ok && a != nil {
			get := attrGetter(a)
			for i := range items {
				if items[i], err = get(items[i]); err != nil {
					return nil, err
				}
			}
		}
		parts := make([]string, len(items))
		total := len(sep) * len(items)
		for i, it := range items {
			if parts[i], err = r.softStr(it); err != nil {
				return nil, err
			}
			if total += len(parts[i]); total > r.maxOutput {
				return nil, &Error{Kind: ErrLimit, Msg: "joined string too long"}
			}
		}
		return strings.Join(parts, sep), nil
	case "first", "last":
		if g, ok := v.(*view); ok {
			if name == "last" && g.once() {
				return nil, typeErr("'%s' object is not reversible", g.name())
			}
			if name == "first" && g.once() {
				// next(iter(generator)) takes just one item.
				if g.pos >= len(g.items) {
					return &undefined{hint: "No first item, sequence was empty."}, nil
				}
				g.pos++
				return g.items[g.pos-1], nil
			}
		}
		items, err := r.iterate(v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return &undefined{hint: "No " + name + " item, sequence was empty."}, nil
		}
		if name == "first" {
			return items[0], nil
		}
		return items[len(items)-1], nil
	case "list":
		items, err := r.iterate(v)
		if err != nil {
			return nil, err
		}
		return &list{items: append([]value(nil), items...)}, nil
	case "items":
		switch x := v.(type) {
		case *undefined:
			return generator(nil), nil
		case *dict:
			return generator(dictItems(x).items), nil
		}
		return nil, typeErr("Can only get item pairs from a mapping.")
	case "dictsort":
		d, ok := v.(*dict)
		if !ok {
			return nil, typeErr("dictsort filter only works on dicts")
		}
		cs := false
		if c, ok := arg(args, kw, 0, "case_sensitive"); ok {
			cs = truthy(c)
		}
		byValue := false
		if b, ok := arg(args, kw, 1, "by"); ok {
			byValue = str(b) == "value"
		}
		rev := false
		if rv, ok := arg(args, kw, 2, "reverse"); ok {
			rev = truthy(rv)
		}
		items := dictItems(d).items
		idx := 0
		if byValue {
			idx = 1
		}
		err := sortValues(items, func(x value) value { return x.(*list).items[idx] }, cs, rev)
		return &list{items: items}, err
	case "sort":
		items, err := r.iterate(v)
		if err != nil {
			return nil, err
		}
		items = append([]value(nil), items...)
		rev, cs := false, false
		if x, ok := arg(args, kw, 0, "reverse"); ok {
			rev = truthy(x)
		}
		if x, ok := arg(args, kw, 1, "case_sensitive"); ok {
			cs = truthy(x)
		}
		var key func(value) value
		if a, ok := arg(args, kw, 2, "attribute"); ok && a != nil {
			get := attrGetter(a)
			key = func(x value) value { y, _ := get(x); return y }
		}
		return &list{items: items}, sortValues(items, key, cs, rev)
	case "unique":
		items, err := r.iterate(v)
		if err != nil {
			return nil, err
		}
		cs := false
		if x, ok := arg(args, kw, 0, "case_sensitive"); ok {
			cs = truthy(x)
		}
		out := &list{}
		var seen []value
		for _, it := range items {
			k := it
			if s, ok := it.(string); ok && !cs {
				k = pyLower(s)
			}
			dup := false
			for _, sv := range seen {
				dup = dup || equal(sv, k)
			}
			if !dup {
				seen = append(seen, k)
				out.items = append(out.items, it)
			}
		}
		return generator(out.items), nil
	case "reverse":
		switch x := v.(type) {
		case string:
			rs := []rune(x)
			for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
				rs[i], rs[j] = rs[j], rs[i]
			}
			return string(rs), nil
		}
		// reversed(value) where Python can (a reverse iterator), else the
		// reversed list(value).
		reversible := true
		if g, ok := v.(*view); ok && g.once() {
			reversible = false
		}
		items, err := r.iterate(v)
		if err != nil {
			return nil, err
		}
		if _, isDict := v.(*dict); isDict {
			reversible = true
		}
		out := make([]value, len(items))
		for i, it := range items {
			out[len(items)-1-i] = it
		}
		if reversible {
			return &view{kind: viewReverse, items: out}, nil
		}
		return &list{items: out}, nil
	case "select", "reject", "selectattr", "rejectattr":
		if !truthy(v) {
			// jinja2's select_or_reject and map start with "if value:", so
			// None and empty values give an empty generator.
			return generator(nil), nil
		}
		return r.selectFilter(name, v, args, kw, s)
	case "map":
		if !truthy(v) {
			return generator(nil), nil
		}
		items, err := r.iterate(v)
		if err != nil {
			return nil, err
		}
		out := &list{}
		if a, ok := kw.get("attribute"); ok {
			get := attrGetter(a)
			def, hasDef := kw.get("default")
			for _, it := range items {
				x, err := get(it)
				if err != nil {
					return nil, err
				}
				if hasDef && isUndefined(x) {
					x = def
				}
				out.items = append(out.items, x)
			}
			return generator(out.items), nil
		}
		if len(args) == 0 {
			return nil, typeErr("map requires a filter name or attribute=")
		}
		fname, ok := args[0].(string)
		if !ok {
			return nil, typeErr("map filter name must be a string")
		}
		for _, it := range items {
			x, err := r.filter(fname, it, args[1:], kw, s)
			if err != nil {
				return nil, err
			}
			out.items = append(out.items, x)
		}
		return generator(out.items), nil
	case "replace":
		sv, err := r.softStr(v)
		if err != nil {
			return nil, err
		}
		o, ok1 := arg(args, kw, 0, "old")
		n, ok2 := arg(args, kw, 1, "new")
		if !ok1 || !ok2 {
			return nil, typeErr("replace expected 2 arguments")
		}
		cnt := -1
		if c, ok := arg(args, kw, 2, "count"); ok && c != nil {
			if i, isInt := asInt(c); isInt {
				cnt = int(i)
			}
		}
		os, err := r.softStr(o)
		if err != nil {
			return nil, err
		}
		ns, err := r.softStr(n)
		if err != nil {
			return nil, err
		}
		if cnt >= 0 && int64(len(sv))+int64(cnt)*int64(len(ns)) > int64(r.maxOutput) ||
			cnt < 0 && os == "" && int64(len(sv)+1)*int64(len(ns)) > int64(r.maxOutput) {
			return nil, &Error{Kind: ErrLimit, Msg: "string too long"}
		}
		return strings.Replace(sv, os, ns, cnt), nil
	case "indent":
		sv, err := r.softStr(v)
		if err != nil {
			return nil, err
		}
		ind := "    "
		if w, ok := arg(args, kw, 0, "width"); ok {
			switch x := w.(type) {
			case string:
				ind = x
			default:
				i, isInt := asInt(x)
				if !isInt {
					return nil, typeErr("indent width must be int or str")
				}
				ind = strings.Repeat(" ", int(max(min(i, int64(r.maxOutput)), 0)))
			}
		}
		first, blank := false, false
		if x, ok := arg(args, kw, 1, "first"); ok {
			first = truthy(x)
		}
		if x, ok := arg(args, kw, 2, "blank"); ok {
			blank = truthy(x)
		}
		lines := pySplitLines(sv + "\n")
		if int64(len(lines))*int64(len(ind)) > int64(r.maxOutput) {
			return nil, &Error{Kind: ErrLimit, Msg: "string too long"}
		}
		var out string
		if blank {
			out = strings.Join(lines, "\n"+ind)
		} else {
			var b strings.Builder
			b.WriteString(lines[0])
			for _, l := range lines[1:] {
				b.WriteByte('\n')
				if l != "" {
					b.WriteString(ind)
				}
				b.WriteString(l)
			}
			out = b.String()
		}
		if first {
			out = ind + out
		}
		return out, nil
	case "int":
		def, ok := arg(args, kw, 0, "default")
		if !ok {
			def = int64(0)
		}
		base := 10
		if b, ok := arg(args, kw, 1, "base"); ok {
			if i, isInt := asInt(b); isInt && i >= 2 && i <= 36 {
				base = int(i)
			}
		}
		return toInt(v, def, base), nil
	case "float":
		def, ok := arg(args, kw, 0, "default")
		if !ok {
			def = 0.0
		}
		if f, isNum := number(v); isNum {
			return f, nil
		}
		if sv, isStr := v.(string); isStr {
			if f, ok := parsePyFloat(sv); ok {
				return f, nil
			}
		}
		return def, nil
	case "abs":
		switch x := v.(type) {
		case int64:
			if x < 0 {
				return -x, nil
			}
			return x, nil
		case float64:
			return math.Abs(x), nil
		case bool:
			i, _ := asInt(x)
			return i, nil
		}
		return nil, typeErr("bad operand type for abs(): '%s'", typeName(v))
	case "round":
		f, ok := number(v)
		if !ok {
			return nil, typeErr("round requires a number")
		}
		prec := int64(0)
		if p, ok := arg(args, kw, 0, "precision"); ok {
			prec, _ = asInt(p)
		}
		method := "common"
		if m, ok := arg(args, kw, 1, "method"); ok {
			method = str(m)
		}
		p := math.Pow(10, float64(prec))
		switch method {
		case "ceil":
			return math.Ceil(f*p) / p, nil
		case "floor":
			return math.Floor(f*p) / p, nil
		}
		return math.RoundToEven(f*p) / p, nil
	case "sum":
		items, err := r.iterate(v)
		if err != nil {
			return nil, err
		}
		var total value = int64(0)
		if st, ok := arg(args, kw, 1, "start"); ok {
			total = st
		}
		if a, ok := arg(args, kw, 0, "attribute"); ok && a != nil {
			get := attrGetter(a)
			for i := range items {
				if items[i], err = get(items[i]); err != nil {
					return nil, err
				}
			}
		}
		for _, it := range items {
			if total, err = arith("+", total, it, r.maxOutput); err != nil {
				return nil, err
			}
		}
		return total, nil
	case "min", "max":
		items, err := r.iterate(v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return &undefined{hint: "No aggregated item, sequence was empty."}, nil
		}
		items = append([]value(nil), items...)
		if err := sortValues(items, nil, false, false); err != nil {
			return nil, err
		}
		if name == "min" {
			return items[0], nil
		}
		return items[len(items)-1], nil
	case "format":
		sv, err := r.softStr(v)
		if err != nil {
			return nil, err
		}
		if len(kw.keys) > 0 {
			return percentFormat(sv, kw, r.maxOutput)
		}
		return percentFormat(sv, &list{items: args, tuple: true}, r.maxOutput)
	case "attr":
		n, ok, err := strArg(args, kw, 0, "name")
		if err != nil || !ok {
			return nil, typeErr("attr filter needs a name")
		}
		return getAttr(v, n)
	case "center":
		sv, err := r.softStr(v)
		if err != nil {
			return nil, err
		}
		w := int64(80)
		if x, ok := arg(args, kw, 0, "width"); ok {
			w, _ = asInt(x)
		}
		n := utf8.RuneCountInString(sv)
		if int(w) <= n || w > int64(r.maxOutput) {
			return sv, nil
		}
		pad := int(w) - n
		left := pad/2 + (pad & int(w) & 1) // CPython's str.center

		return strings.Repeat(" ", left) + sv + strings.Repeat(" ", pad-left), nil
	case "wordcount":
		sv, err := r.softStr(v)
		if err != nil {
			return nil, err
		}
		return int64(len(strings.FieldsFunc(sv, func(r rune) bool { return !(r == '_' || isWordRune(r)) }))), nil
	}
	return nil, &Error{Kind: ErrSyntax, Msg: fmt.Sprintf("no filter named '%s'", name)}
}

func isWordRune(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f && !isPySpace(r)
}

func (r *renderer) selectFilter(name string, v value, args []value, kw *dict, s *scope) (value, error) {
	items, err := r.iterate(v)
	if err != nil {
		return nil, err
	}
	byAttr := strings.HasSuffix(name, "attr")
	keep := name == "select" || name == "selectattr"
	var get func(value) (value, error)
	rest := args
	if byAttr {
		if len(rest) == 0 {
			return nil, typeErr("%s requires an attribute name", name)
		}
		get = attrGetter(rest[0])
		rest = rest[1:]
	}
	testName := ""
	if len(rest) > 0 {
		tn, ok := rest[0].(string)
		if !ok {
			return nil, typeErr("test name must be a string")
		}
		testName = tn
		rest = rest[1:]
	}
	out := &list{}
	for _, it := range items {
		x := it
		if get != nil {
			if x, err = get(it); err != nil {
				return nil, err
			}
		}
		var ok bool
		if testName == "" {
			ok = truthy(x)
		} else if ok, err = r.test(testName, x, rest); err != nil {
			return nil, err
		}
		if ok == keep {
			out.items = append(out.items, it)
		}
	}
	return generator(out.items), nil
}

func (r *renderer) evalTest(t *testExpr, s *scope) (value, error) {
	v, err := r.eval(t.x, s)
	if err != nil {
		return nil, err
	}
	args := make([]value, 0, len(t.args))
	for _, a := range t.args {
		x, err := r.eval(a, s)
		if err != nil {
			return nil, err
		}
		args = append(args, x)
	}
	ok, err := r.test(t.name, plain(v), plainAll(args))
	if err != nil {
		return nil, placeErr(err, t.p)
	}
	return ok != t.negate, nil
}

func (r *renderer) test(name string, v value, args []value) (bool, error) {
	one := func() (value, error) {
		if len(args) != 1 {
			return nil, typeErr("test '%s' takes one argument", name)
		}
		return args[0], nil
	}
	switch name {
	case "defined":
		return !isUndefined(v), nil
	case "undefined":
		return isUndefined(v), nil
	case "none":
		return v == nil, nil
	case "boolean":
		_, ok := v.(bool)
		return ok, nil
	case "true":
		b, ok := v.(bool)
		return ok && b, nil
	case "false":
		b, ok := v.(bool)
		return ok && !b, nil
	case "integer":
		_, ok := v.(int64)
		return ok, nil
	case "float":
		_, ok := v.(float64)
		return ok, nil
	case "number":
		_, ok := number(v)
		return ok, nil
	case "string":
		_, ok := v.(string)
		return ok, nil
	case "mapping":
		_, ok := v.(*dict)
		return ok, nil
	case "iterable", "sequence":
		switch x := v.(type) {
		case string, *list, *dict, *undefined:
			return true, nil
		case *view:
			// A sequence has len() and indexing: of the views only range.
			return name == "iterable" || x.kind == viewRange, nil
		}
		return false, nil
	case "callable":
		switch v.(type) {
		case *builtin, *macro:
			return true, nil
		}
		return false, nil
	case "lower", "upper":
		sv, err := r.softStr(v)
		if err != nil {
			return false, err
		}
		if name == "lower" {
			return sv == strings.ToLower(sv) && sv != strings.ToUpper(sv), nil
		}
		return sv == strings.ToUpper(sv) && sv != strings.ToLower(sv), nil
	case "odd", "even":
		i, ok := asInt(v)
		if !ok {
			return false, typeErr("odd/even test needs an integer")
		}
		return (i%2 != 0) == (name == "odd"), nil
	case "divisibleby":
		a, err := one()
		if err != nil {
			return false, err
		}
		i, ok1 := asInt(v)
		d, ok2 := asInt(a)
		if !ok1 || !ok2 || d == 0 {
			return false, typeErr("divisibleby needs non-zero integers")
		}
		return i%d == 0, nil
	case "eq", "equalto", "==", "ne", "!=", "lt", "<", "le", "<=", "gt", ">", "ge", ">=", "in", "sameas":
		a, err := one()
		if err != nil {
			return false, err
		}
		op := map[string]string{"eq": "==", "equalto": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "sameas": "=="}[name]
		if op == "" {
			op = name
		}
		if name == "sameas" {
			return sameAs(v, a), nil
		}
		return compare(op, v, a)
	case "escaped":
		return false, nil
	}
	return false, &Error{Kind: ErrSyntax, Msg: fmt.Sprintf("no test named '%s'", name)}
}

// sameAs is Python's "is": identity for containers, value for the
// singletons None, True and False and small immutable values.
func sameAs(a, b value) bool {
	switch a.(type) {
	case nil, bool:
		return a == b
	case *list, *dict, *namespace:
		return a == b
	}
	return equal(a, b) && typeName(a) == typeName(b)
}

// parsePyFloat is Python's float(str): surrounding whitespace, a sign, decimal digits with single
// underscores between them, a fraction, an exponent, or inf, infinity and nan in any case;
// no hexadecimal and nothing after the number. Overflow is ±inf, as in Python.
func parsePyFloat(s string) (float64, bool) {
	s = strings.TrimFunc(s, isPySpace)
	t := strings.TrimLeft(s, "+-")
	if len(s)-len(t) > 1 {
		return 0, false
	}
	switch strings.ToLower(t) {
	case "inf", "infinity", "nan":
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	}
	digits, dot, exp := 0, false, false
	b := make([]byte, 0, len(t))
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '_':
			// Between two digits only.
			if i == 0 || i+1 == len(t) || !isDecDigit(t[i-1]) || !isDecDigit(t[i+1]) {
				return 0, false
			}
			continue
		case c == '.' && !dot && !exp:
			dot = true
		case (c == 'e' || c == 'E') && !exp && digits > 0:
			exp = true
			if i+1 < len(t) && (t[i+1] == '+' || t[i+1] == '-') {
				b = append(b, c)
				i++
				c = t[i]
			}
			if i+1 == len(t) || !isDecDigit(t[i+1]) {
				return 0, false
			}
		default:
			return 0, false
		}
		b = append(b, c)
	}
	if digits == 0 {
		return 0, false
	}
	if s[0] == '-' {
		b = append([]byte{'-'}, b...)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}

func isDecDigit(c byte) bool { return c >= '0' && c <= '9' }
