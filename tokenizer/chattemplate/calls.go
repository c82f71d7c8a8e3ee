package chattemplate

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// builtin is a Go function callable from a template: a global (range,
// namespace, raise_exception, ...), a bound string/list/dict method, or a
// loop helper. kw holds keyword arguments in call order.
type builtin struct {
	name string
	fn   func(r *renderer, args []value, kw *dict) (value, error)
}

type macro struct {
	name    string
	params  []param
	body    []node
	closure *scope
	p       pos
}

func (r *renderer) evalCall(x *callExpr, s *scope, caller *macro) (value, error) {
	fn, err := r.eval(x.fn, s)
	if err != nil {
		return nil, err
	}
	args := make([]value, 0, len(x.args))
	for _, a := range x.args {
		v, err := r.eval(a, s)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	if x.star != nil {
		v, err := r.eval(x.star, s)
		if err != nil {
			return nil, err
		}
		more, err := r.iterate(v)
		if err != nil {
			return nil, placeErr(err, x.p)
		}
		args = append(args, more...)
	}
	kw := newDict()
	for _, k := range x.kwargs {
		v, err := r.eval(k.x, s)
		if err != nil {
			return nil, err
		}
		kw.set(k.name, v)
	}
	if x.kwstar != nil {
		v, err := r.eval(x.kwstar, s)
		if err != nil {
			return nil, err
		}
		d, ok := v.(*dict)
		if !ok {
			return nil, errAt(x.p, ErrType, "argument after ** must be a mapping, not %s", typeName(v))
		}
		for _, k := range d.keys {
			ks, isStr := d.keyValue(k).(string)
			if !isStr {
				return nil, errAt(x.p, ErrType, "keywords must be strings")
			}
			kw.set(ks, d.m[k])
		}
	}
	if caller != nil {
		kw.set("caller", caller)
	}
	v, err := r.call(x.p, fn, args, kw)
	if err != nil {
		return nil, placeErr(err, x.p)
	}
	return v, nil
}

func (r *renderer) call(at pos, fn value, args []value, kw *dict) (value, error) {
	if err := r.enter(at); err != nil {
		return nil, err
	}
	defer func() { r.depth-- }()
	switch f := fn.(type) {
	case *builtin:
		return f.fn(r, plainAll(args), kw)
	case *macro:
		return r.callMacro(f, args, kw)
	case *undefined:
		if f.hint == unsafeHint {
			return nil, &Error{Kind: ErrSecurity, Msg: f.hint}
		}
		return nil, undefErr(f)
	}
	return nil, typeErr("'%s' object is not callable", typeName(fn))
}

func (r *renderer) callMacro(m *macro, args []value, kw *dict) (value, error) {
	s := m.closure.child()
	var varargs []value
	for i, p := range m.params {
		switch {
		case i < len(args):
			s.set(p.name, args[i])
		default:
			if v, ok := kw.get(p.name); ok {
				s.set(p.name, v)
				continue
			}
			if p.def != nil {
				v, err := r.eval(p.def, s)
				if err != nil {
					return nil, err
				}
				s.set(p.name, v)
			} else {
				s.set(p.name, &undefined{hint: fmt.Sprintf("parameter '%s' was not provided", p.name)})
			}
		}
	}
	if len(args) > len(m.params) {
		varargs = args[len(m.params):]
	}
	extra := newDict()
	for _, e := range kw.keys {
		k := kw.keyValue(e).(string)
		if k == "caller" {
			s.set("caller", kw.m[e])
			continue
		}
		known := false
		for _, p := range m.params {
			known = known || p.name == k
		}
		if !known {
			extra.set(k, kw.m[e])
		}
	}
	s.set("varargs", &list{items: varargs, tuple: true})
	s.set("kwargs", extra)
	return r.capture(m.body, s)
}

func arg(args []value, kw *dict, i int, name string) (value, bool) {
	if i < len(args) {
		return args[i], true
	}
	if kw != nil {
		if v, ok := kw.get(name); ok {
			return v, true
		}
	}
	return nil, false
}

func strArg(args []value, kw *dict, i int, name string) (string, bool, error) {
	v, ok := arg(args, kw, i, name)
	if !ok || v == nil {
		return "", false, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", false, typeErr("%s must be str, not %s", name, typeName(v))
	}
	return s, true, nil
}

// maxRange is jinja2.sandbox.MAX_RANGE.
const maxRange = 100000

func globalFuncs(o *Options) map[string]value {
	return map[string]value{
		"range": &builtin{name: "range", fn: func(r *renderer, args []value, kw *dict) (value, error) {
			var ints []int64
			for _, a := range args {
				i, ok := asInt(a)
				if !ok {
					return nil, typeErr("'%s' object cannot be interpreted as an integer", typeName(a))
				}
				ints = append(ints, i)
			}
			start, stop, step := int64(0), int64(0), int64(1)
			switch len(ints) {
			case 1:
				stop = ints[0]
			case 2:
				start, stop = ints[0], ints[1]
			case 3:
				start, stop, step = ints[0], ints[1], ints[2]
			default:
				return nil, typeErr("range expected 1 to 3 arguments, got %d", len(ints))
			}
			if step == 0 {
				return nil, typeErr("range() arg 3 must not be zero")
			}
			// Sized in float64 first: int64 differences can overflow.
			fn := 0.0
			if step > 0 && stop > start {
				fn = math.Ceil((float64(stop) - float64(start)) / float64(step))
			} else if step < 0 && stop < start {
				fn = math.Ceil((float64(start) - float64(stop)) / -float64(step))
			}
			if fn > maxRange {
				return nil, &Error{Kind: ErrLimit, Msg: fmt.Sprintf("Range too big. The sandbox blocks ranges larger than MAX_RANGE (%d).", maxRange)}
			}
			n := int64(0)
			if step > 0 && stop > start {
				n = (stop - start + step - 1) / step
			} else if step < 0 && stop < start {
				n = (start - stop - step - 1) / -step
			}
			if n > maxRange || n < 0 {
				return nil, &Error{Kind: ErrLimit, Msg: fmt.Sprintf("Range too big. The sandbox blocks ranges larger than MAX_RANGE (%d).", maxRange)}
			}
			items := make([]value, 0, n)
			for i := int64(0); i < n; i++ {
				items = append(items, start+i*step)
			}
			return newRange(start, stop, step, items), nil
		}},
		"namespace": &builtin{name: "namespace", fn: func(r *renderer, args []value, kw *dict) (value, error) {
			d := newDict()
			for _, a := range args {
				ad, ok := a.(*dict)
				if !ok {
					return nil, typeErr("namespace() argument must be a mapping")
				}
				d.copyFrom(ad)
			}
			d.copyFrom(kw)
			return &namespace{d: d}, nil
		}},
		"dict": &builtin{name: "dict", fn: func(r *renderer, args []value, kw *dict) (value, error) {
			d := newDict()
			for _, a := range args {
				ad, ok := a.(*dict)
				if !ok {
					return nil, typeErr("dict() argument must be a mapping")
				}
				d.copyFrom(ad)
			}
			d.copyFrom(kw)
			return d, nil
		}},
		"raise_exception": &builtin{name: "raise_exception", fn: func(r *renderer, args []value, kw *dict) (value, error) {
			msg := ""
			if v, ok := arg(args, kw, 0, "message"); ok {
				var err error
				if msg, err = boundedStr(v, r.maxOutput); err != nil {
					return nil, err
				}
			}
			return nil, &Error{Kind: ErrRaised, Msg: msg}
		}},
		"strftime_now": &builtin{name: "strftime_now", fn: func(r *renderer, args []value, kw *dict) (value, error) {
			f, _, err := strArg(args, kw, 0, "format")
			if err != nil {
				return nil, err
			}
			return strftime(o.now(), f), nil
		}},
	}
}

func unsafeMethod() value { return &undefined{hint: unsafeHint} }

// methodFor returns the bound Python method name of obj, if it has one.
func methodFor(obj value, name string) (value, bool) {
	bind := func(fn func(args []value, kw *dict) (value, error)) (value, bool) {
		return &builtin{name: name, fn: func(r *renderer, args []value, kw *dict) (value, error) { return fn(args, kw) }}, true
	}
	switch o := obj.(type) {
	case string:
		return stringMethod(o, name, bind)
	case *list:
		switch name {
		case "append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear":
			return unsafeMethod(), true
		case "count":
			return bind(func(args []value, kw *dict) (value, error) {
				n := int64(0)
				if len(args) == 1 {
					for _, x := range o.items {
						if equal(x, args[0]) {
							n++
						}
					}
				}
				return n, nil
			})
		case "index":
			return bind(func(args []value, kw *dict) (value, error) {
				for i, x := range o.items {
					if len(args) == 1 && equal(x, args[0]) {
						return int64(i), nil
					}
				}
				return nil, typeErr("value is not in list")
			})
		case "copy":
			return bind(func(args []value, kw *dict) (value, error) {
				return &list{items: append([]value(nil), o.items...)}, nil
			})
		}
	case *dict:
		switch name {
		case "update", "pop", "popitem", "setdefault", "clear":
			return unsafeMethod(), true
		case "get":
			return bind(func(args []value, kw *dict) (value, error) {
				if len(args) == 0 {
					return nil, typeErr("get expected at least 1 argument, got 0")
				}
				if v, ok := o.getKey(args[0]); ok {
					return v, nil
				}
				if len(args) > 1 {
					return args[1], nil
				}
				return nil, nil
			})
		case "items":
			return bind(func(args []value, kw *dict) (value, error) { return dictView(o, viewDictItems), nil })
		case "keys":
			return bind(func(args []value, kw *dict) (value, error) { return dictView(o, viewDictKeys), nil })
		case "values":
			return bind(func(args []value, kw *dict) (value, error) { return dictView(o, viewDictValues), nil })
		case "copy":
			return bind(func(args []value, kw *dict) (value, error) {
				d := newDict()
				d.copyFrom(o)
				return d, nil
			})
		}
	}
	return nil, false
}

func dictItems(d *dict) *list {
	l := &list{}
	for _, k := range d.keys {
		l.items = append(l.items, &list{items: []value{d.keyValue(k), d.m[k]}, tuple: true})
	}
	return l
}

func pyStrip(s string, chars *string, left, right bool) string {
	f := isPySpace
	if chars != nil {
		set := *chars
		f = func(r rune) bool { return strings.ContainsRune(set, r) }
	}
	if left {
		s = strings.TrimLeftFunc(s, f)
	}
	if right {
		s = strings.TrimRightFunc(s, f)
	}
	return s
}

func pySplitWhitespace(s string, maxsplit int) []string {
	var out []string
	s = strings.TrimLeftFunc(s, isPySpace)
	for s != "" {
		if maxsplit >= 0 && len(out) == maxsplit {
			out = append(out, strings.TrimRightFunc(s, isPySpace))
			break
		}
		i := strings.IndexFunc(s, isPySpace)
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i])
		s = strings.TrimLeftFunc(s[i:], isPySpace)
	}
	return out
}

func pyRSplitWhitespace(s string, maxsplit int) []string {
	var out []string
	s = strings.TrimRightFunc(s, isPySpace)
	for s != "" {
		if maxsplit >= 0 && len(out) == maxsplit {
			out = append(out, strings.TrimLeftFunc(s, isPySpace))
			break
		}
		i := strings.LastIndexFunc(s, isPySpace)
		if i < 0 {
			out = append(out, s)
			break
		}
		_, sz := utf8.DecodeRuneInString(s[i:])
		out = append(out, s[i+sz:])
		s = strings.TrimRightFunc(s[:i], isPySpace)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// pySplitLines is Python's str.splitlines(): it breaks on \n, \r, \r\n,
// \v, \f, \x1c-\x1e, \x85, \u2028 and \u2029.
func pySplitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		r, sz := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			out = append(out, s[start:i])
			i += sz
			if r == '\r' && i < len(s) && s[i] == '\n' {
				i++
			}
			start = i
			continue
		}
		i += sz
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func strList(ss []string) *list {
	l := &list{items: make([]value, len(ss))}
	for i, s := range ss {
		l.items[i] = s
	}
	return l
}

func prefixArgs(v value) ([]string, error) {
	switch p := v.(type) {
	case string:
		return []string{p}, nil
	case *list:
		var out []string
		for _, x := range p.items {
			s, ok := x.(string)
			if !ok {
				return nil, typeErr("tuple for startswith must only contain str, not %s", typeName(x))
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, typeErr("startswith first arg must be str or a tuple of str, not %s", typeName(v))
}

func runeIndex(s string, byteIdx int) int64 {
	if byteIdx < 0 {
		return -1
	}
	return int64(utf8.RuneCountInString(s[:byteIdx]))
}

func stringMethod(o, name string, bind func(func(args []value, kw *dict) (value, error)) (value, bool)) (value, bool) {
	stripper := func(left, right bool) (value, bool) {
		return bind(func(args []value, kw *dict) (value, error) {
			c, ok, err := strArg(args, kw, 0, "chars")
			if err != nil {
				return nil, err
			}
			if ok {
				return pyStrip(o, &c, left, right), nil
			}
			return pyStrip(o, nil, left, right), nil
		})
	}
	splitter := func(right bool) (value, bool) {
		return bind(func(args []value, kw *dict) (value, error) {
			sep, hasSep, err := strArg(args, kw, 0, "sep")
			if err != nil {
				return nil, err
			}
			maxsplit := -1
			if v, ok := arg(args, kw, 1, "maxsplit"); ok {
				i, isInt := asInt(v)
				if !isInt {
					return nil, typeErr("maxsplit must be an integer")
				}
				maxsplit = int(i)
			}
			if !hasSep {
				if right {
					return strList(pyRSplitWhitespace(o, maxsplit)), nil
				}
				return strList(pySplitWhitespace(o, maxsplit)), nil
			}
			if sep == "" {
				return nil, typeErr("empty separator")
			}
			n := -1
			if maxsplit >= 0 {
				n = maxsplit + 1
			}
			if !right {
				return strList(strings.SplitN(o, sep, n)), nil
			}
			parts := strings.Split(o, sep)
			if n > 0 && len(parts) > n {
				head := strings.Join(parts[:len(parts)-n+1], sep)
				parts = append([]string{head}, parts[len(parts)-n+1:]...)
			}
			return strList(parts), nil
		})
	}
	affix := func(suffix bool) (value, bool) {
		return bind(func(args []value, kw *dict) (value, error) {
			if len(args) == 0 {
				return nil, typeErr("startswith takes at least 1 argument")
			}
			ps, err := prefixArgs(args[0])
			if err != nil {
				return nil, err
			}
			s := o
			if len(args) > 1 {
				sl, err := slice(o, args[1], arg2(args, 2), nil)
				if err != nil {
					return nil, err
				}
				s = sl.(string)
			}
			for _, p := range ps {
				if (!suffix && strings.HasPrefix(s, p)) || (suffix && strings.HasSuffix(s, p)) {
					return true, nil
				}
			}
			return false, nil
		})
	}
	pred := func(f func(rune) bool, cased bool) (value, bool) {
		return bind(func(args []value, kw *dict) (value, error) {
			if o == "" {
				return false, nil
			}
			for _, r := range o {
				if !f(r) {
					return false, nil
				}
			}
			return true, nil
		})
	}
	switch name {
	case "strip":
		return stripper(true, true)
	case "lstrip":
		return stripper(true, false)
	case "rstrip":
		return stripper(false, true)
	case "split":
		return splitter(false)
	case "rsplit":
		return splitter(true)
	case "splitlines":
		return bind(func(args []value, kw *dict) (value, error) { return strList(pySplitLines(o)), nil })
	case "startswith":
		return affix(false)
	case "endswith":
		return affix(true)
	case "upper":
		return bind(func(args []value, kw *dict) (value, error) { return pyUpper(o), nil })
	case "lower":
		return bind(func(args []value, kw *dict) (value, error) { return pyLower(o), nil })
	case "title":
		return bind(func(args []value, kw *dict) (value, error) { return pyTitle(o), nil })
	case "capitalize":
		return bind(func(args []value, kw *dict) (value, error) { return pyCapitalize(o), nil })
	case "replace":
		return bind(func(args []value, kw *dict) (value, error) {
			old, ok1, err := strArg(args, kw, 0, "old")
			if err != nil {
				return nil, err
			}
			nw, ok2, err := strArg(args, kw, 1, "new")
			if err != nil {
				return nil, err
			}
			if !ok1 || !ok2 {
				return nil, typeErr("replace expected at least 2 arguments")
			}
			n := -1
			if v, ok := arg(args, kw, 2, "count"); ok {
				if i, isInt := asInt(v); isInt {
					n = int(i)
				}
			}
			if grow := int64(len(nw)) - int64(len(old)); grow > 0 {
				hits := int64(strings.Count(o, old))
				if n >= 0 && int64(n) < hits {
					hits = int64(n)
				}
				if int64(len(o))+hits*grow > 16<<20 {
					return nil, &Error{Kind: ErrLimit, Msg: "replaced string too long"}
				}
			}
			return strings.Replace(o, old, nw, n), nil
		})
	case "find", "rfind", "index", "rindex":
		return bind(func(args []value, kw *dict) (value, error) {
			sub, ok, err := strArg(args, kw, 0, "sub")
			if err != nil || !ok {
				return nil, typeErr("%s expected a string argument", name)
			}
			var i int
			if name[0] == 'r' {
				i = strings.LastIndex(o, sub)
			} else {
				i = strings.Index(o, sub)
			}
			if i < 0 && strings.HasSuffix(name, "index") {
				return nil, typeErr("substring not found")
			}
			return runeIndex(o, i), nil
		})
	case "count":
		return bind(func(args []value, kw *dict) (value, error) {
			sub, ok, err := strArg(args, kw, 0, "sub")
			if err != nil || !ok {
				return nil, typeErr("count expected a string argument")
			}
			if sub == "" {
				return int64(utf8.RuneCountInString(o) + 1), nil
			}
			return int64(strings.Count(o, sub)), nil
		})
	case "join":
		return bind(func(args []value, kw *dict) (value, error) {
			if len(args) != 1 {
				return nil, typeErr("join() takes exactly one argument")
			}
			items, err := (&renderer{}).iterate(args[0])
			if err != nil {
				return nil, err
			}
			parts := make([]string, len(items))
			total := 0
			for i, it := range items {
				s, ok := it.(string)
				if !ok {
					return nil, typeErr("sequence item %d: expected str instance, %s found", i, typeName(it))
				}
				parts[i] = s
				if total += len(s) + len(o); total > 16<<20 {
					return nil, &Error{Kind: ErrLimit, Msg: "joined string too long"}
				}
			}
			return strings.Join(parts, o), nil
		})
	case "format":
		return &builtin{name: name, fn: func(r *renderer, args []value, kw *dict) (value, error) {
			return strFormat(o, args, kw, r.maxOutput)
		}}, true
	case "isdigit", "isnumeric", "isdecimal":
		return pred(unicode.IsDigit, false)
	case "isalpha":
		return pred(unicode.IsLetter, false)
	case "isalnum":
		return pred(func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }, false)
	case "isspace":
		return pred(isPySpace, false)
	case "islower", "isupper":
		return bind(func(args []value, kw *dict) (value, error) {
			cased := false
			for _, r := range o {
				if unicode.IsUpper(r) || unicode.IsLower(r) {
					cased = true
					if (name == "islower") != unicode.IsLower(r) {
						return false, nil
					}
				}
			}
			return cased, nil
		})
	}
	return nil, false
}

func arg2(args []value, i int) value {
	if i < len(args) {
		return args[i]
	}
	return nil
}

// jinjaTitle is jinja2's title filter: words split at runs of -, space,
// (, {, [ and <, each word's first character upper-cased, the rest lower.
func jinjaTitle(s string) string {
	var b strings.Builder
	start := true
	for _, r := range s {
		if r == '-' || r == '(' || r == '{' || r == '[' || r == '<' || isPySpace(r) {
			b.WriteRune(r)
			start = true
			continue
		}
		if start {
			b.WriteRune(unicode.ToUpper(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
		start = false
	}
	return b.String()
}

// strftime formats t with the C strftime directives templates use.
func strftime(tt time.Time, f string) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			fmt.Fprintf(&b, "%04d", tt.Year())
		case 'y':
			fmt.Fprintf(&b, "%02d", tt.Year()%100)
		case 'm':
			fmt.Fprintf(&b, "%02d", int(tt.Month()))
		case 'd':
			fmt.Fprintf(&b, "%02d", tt.Day())
		case 'e':
			fmt.Fprintf(&b, "%2d", tt.Day())
		case 'H':
			fmt.Fprintf(&b, "%02d", tt.Hour())
		case 'I':
			h := tt.Hour() % 12
			if h == 0 {
				h = 12
			}
			fmt.Fprintf(&b, "%02d", h)
		case 'M':
			fmt.Fprintf(&b, "%02d", tt.Minute())
		case 'S':
			fmt.Fprintf(&b, "%02d", tt.Second())
		case 'p':
			if tt.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'j':
			fmt.Fprintf(&b, "%03d", tt.YearDay())
		case 'B':
			b.WriteString(tt.Month().String())
		case 'b', 'h':
			b.WriteString(tt.Month().String()[:3])
		case 'A':
			b.WriteString(tt.Weekday().String())
		case 'a':
			b.WriteString(tt.Weekday().String()[:3])
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(f[i])
		}
	}
	return b.String()
}

func toInt(v value, def value, base int) value {
	switch x := v.(type) {
	case bool, int64:
		i, _ := asInt(x)
		return i
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return def
		}
		return int64(x)
	case string:
		s := strings.TrimFunc(x, isPySpace)
		s = strings.ReplaceAll(s, "_", "")
		digits := strings.TrimLeft(s, "+-")
		if p := strings.ToLower(digits); len(p) > 2 && (base == 16 && strings.HasPrefix(p, "0x") || base == 8 && strings.HasPrefix(p, "0o") || base == 2 && strings.HasPrefix(p, "0b")) {
			// Python's int(s, base) accepts the base's own prefix.
			s = s[:len(s)-len(digits)] + digits[2:]
		}
		if i, err := strconv.ParseInt(s, base, 64); err == nil {
			return i
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return int64(f)
		}
	}
	return def
}

func sortValues(items []value, key func(value) value, caseSensitive, reverse bool) error {
	var err error
	k := func(v value) value {
		if key != nil {
			v = key(v)
		}
		if s, ok := v.(string); ok && !caseSensitive {
			return pyLower(s)
		}
		return v
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := k(items[i]), k(items[j])
		if reverse {
			a, b = b, a
		}
		c, e := order(a, b)
		if e != nil && err == nil {
			err = typeErr("'<' not supported between instances of '%s' and '%s'", typeName(a), typeName(b))
		}
		return c < 0
	})
	return err
}
