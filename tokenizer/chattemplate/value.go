package chattemplate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Values inside a render mirror the Python objects jinja2 sees when Hugging
// Face renders a chat template from JSON messages:
//
//	nil        None
//	undefined  jinja2.Undefined (a missing name, key, attribute or index)
//	bool       bool
//	int64      int
//	float64    float
//	string     str
//	*list      list, or tuple when tuple is set
//	*dict      dict with string keys, in insertion order
//	*namespace jinja2's namespace()
//	*macro, *builtin, *boundMethod  callables
//	*loopInfo  the loop variable of a for block
type value any

type undefined struct{ hint string }

type list struct {
	items []value
	tuple bool
}

// dict keys are stored encoded (see encodeKey) so that Python's hashable
// non-string keys work: {0: 'a', 512: 'b'} and True == 1 == 1.0 as one key.
type dict struct {
	keys []string
	m    map[string]value
	orig map[string]value // encoded key -> the key value, for non-string keys
}

type namespace struct{ d *dict }

func newDict() *dict { return &dict{m: map[string]value{}} }

// encodeKey maps a hashable key to its storage string: a string is
// itself (escaped when it starts with NUL), other keys get a NUL-prefixed
// tag; numbers that are equal in Python (True, 1, 1.0) encode alike.
func encodeKey(k value) (string, bool) {
	switch x := plain(k).(type) {
	case string:
		if strings.HasPrefix(x, "\x00") {
			return "\x00s" + x, true
		}
		return x, true
	case nil:
		return "\x00N", true
	case bool, int64:
		i, _ := asInt(x)
		return "\x00n" + strconv.FormatInt(i, 10), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e18 {
			return "\x00n" + strconv.FormatInt(int64(x), 10), true
		}
		return "\x00f" + pyFloat(x), true
	case *list:
		if !x.tuple {
			return "", false
		}
		parts := make([]string, len(x.items))
		for i, it := range x.items {
			e, ok := encodeKey(it)
			if !ok {
				return "", false
			}
			parts[i] = strconv.Quote(e)
		}
		return "\x00t" + strings.Join(parts, ","), true
	}
	return "", false
}

// keyValue returns the key stored under encoded key e.
func (d *dict) keyValue(e string) value {
	if o, ok := d.orig[e]; ok {
		return o
	}
	if strings.HasPrefix(e, "\x00s") {
		return e[2:]
	}
	return e
}

func (d *dict) get(k string) (value, bool) {
	e, _ := encodeKey(k)
	v, ok := d.m[e]
	return v, ok
}

func (d *dict) set(k string, v value) { d.store(k, v) }

// setKey stores v under any hashable key; it fails for a list or dict key.
func (d *dict) setKey(k, v value) error {
	if _, ok := encodeKey(k); !ok {
		return typeErr("unhashable type: '%s'", typeName(k))
	}
	d.store(k, v)
	return nil
}

func (d *dict) getKey(k value) (value, bool) {
	e, ok := encodeKey(k)
	if !ok {
		return nil, false
	}
	v, found := d.m[e]
	return v, found
}

func (d *dict) store(k value, v value) {
	e, _ := encodeKey(k)
	if _, ok := d.m[e]; !ok {
		d.keys = append(d.keys, e)
		if _, isStr := k.(string); !isStr {
			if d.orig == nil {
				d.orig = map[string]value{}
			}
			d.orig[e] = k
		}
	}
	d.m[e] = v
}

// copyFrom adds every entry of src (keeping its key values) to d.
func (d *dict) copyFrom(src *dict) {
	for _, e := range src.keys {
		d.store(src.keyValue(e), src.m[e])
	}
}

func isUndefined(v value) bool { _, ok := v.(*undefined); return ok }

// fromJSON decodes JSON keeping object key order (Python dicts keep it, and
// tojson and .items() show it).
func fromJSON(data []byte) (value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeJSON(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return v, nil
}

func decodeJSON(dec *json.Decoder, depth int) (value, error) {
	if depth > 1000 {
		return nil, fmt.Errorf("JSON nested too deeply")
	}
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		switch t {
		case '[':
			l := &list{}
			for dec.More() {
				v, err := decodeJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				l.items = append(l.items, v)
			}
			_, err := dec.Token()
			return l, err
		case '{':
			d := newDict()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				d.set(kt.(string), v)
			}
			_, err := dec.Token()
			return d, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		s := string(t)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return i, nil
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, err
		}
		return f, nil
	default:
		return t, nil // nil, bool, string
	}
}

// fromGo converts an ordinary Go value (what callers put in Options.Vars)
// into a template value; map keys are sorted since Go maps have no order.
func fromGo(v any) (value, error) {
	switch v := v.(type) {
	case nil, bool, string, int64, float64:
		return v, nil
	case int:
		return int64(v), nil
	case int32:
		return int64(v), nil
	case float32:
		return float64(v), nil
	case json.RawMessage:
		return fromJSON(v)
	case []string:
		l := &list{}
		for _, s := range v {
			l.items = append(l.items, s)
		}
		return l, nil
	case []any:
		l := &list{}
		for _, x := range v {
			c, err := fromGo(x)
			if err != nil {
				return nil, err
			}
			l.items = append(l.items, c)
		}
		return l, nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d := newDict()
		for _, k := range keys {
			c, err := fromGo(v[k])
			if err != nil {
				return nil, err
			}
			d.set(k, c)
		}
		return d, nil
	}
	return nil, fmt.Errorf("unsupported variable type %T", v)
}

func truthy(v value) bool {
	switch v := v.(type) {
	case markup:
		return v != ""
	case nil, *undefined:
		return false
	case bool:
		return v
	case int64:
		return v != 0
	case float64:
		return v != 0
	case string:
		return v != ""
	case *list:
		return len(v.items) > 0
	case *dict:
		return len(v.keys) > 0
	case *view:
		return v.once() || len(v.items) > 0
	}
	return true
}

// number returns v as a float and whether it is a Python number (bool
// counts, as in Python).
func number(v value) (float64, bool) {
	switch v := v.(type) {
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

func asInt(v value) (int64, bool) {
	switch v := v.(type) {
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	case int64:
		return v, true
	}
	return 0, false
}

func equal(a, b value) bool {
	a, b = plain(a), plain(b)
	if af, ok := number(a); ok {
		if bf, ok := number(b); ok {
			ai, aInt := asInt(a)
			bi, bInt := asInt(b)
			if aInt && bInt {
				return ai == bi
			}
			return af == bf
		}
		return false
	}
	switch a := a.(type) {
	case nil:
		return b == nil
	case *undefined:
		return isUndefined(b)
	case string:
		s, ok := b.(string)
		return ok && a == s
	case *list:
		l, ok := b.(*list)
		if !ok || l.tuple != a.tuple || len(l.items) != len(a.items) {
			return false
		}
		for i := range a.items {
			if !equal(a.items[i], l.items[i]) {
				return false
			}
		}
		return true
	case *view:
		bv, ok := b.(*view)
		if ok && a.kind == viewRange && bv.kind == viewRange {
			return equal(&list{items: a.items}, &list{items: bv.items})
		}
		return a == b
	case *dict:
		d, ok := b.(*dict)
		if !ok || len(d.keys) != len(a.keys) {
			return false
		}
		for _, k := range a.keys {
			bv, ok := d.m[k]
			if !ok || !equal(a.m[k], bv) {
				return false
			}
		}
		return true
	}
	return a == b
}

func typeName(v value) string {
	switch v := v.(type) {
	case nil:
		return "NoneType"
	case *undefined:
		return "Undefined"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case markup:
		return "Markup"
	case *list:
		if v.tuple {
			return "tuple"
		}
		return "list"
	case *dict:
		return "dict"
	case *namespace:
		return "Namespace"
	case *view:
		return v.name()
	case *loopInfo:
		return "LoopContext"
	}
	return "function"
}

// str is Python's str(): what {{ v }} prints.
func str(v value) string {
	switch v := v.(type) {
	case string:
		return v
	case markup:
		return string(v)
	case *undefined:
		return ""
	}
	return repr(v)
}

// repr is Python's repr(), used for containers printed with str().
func repr(v value) string { return reprDepth(v, 0) }

func reprDepth(v value, depth int) string {
	if depth > maxNesting {
		return "..." // a namespace can contain itself
	}
	switch v := v.(type) {
	case nil:
		return "None"
	case *undefined:
		return ""
	case bool:
		if v {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return pyFloat(v)
	case string:
		return pyReprString(v)
	case markup:
		return "Markup(" + pyReprString(string(v)) + ")"
	case *list:
		parts := make([]string, len(v.items))
		for i, x := range v.items {
			parts[i] = reprDepth(x, depth+1)
		}
		if v.tuple {
			if len(parts) == 1 {
				return "(" + parts[0] + ",)"
			}
			return "(" + strings.Join(parts, ", ") + ")"
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *dict:
		parts := make([]string, len(v.keys))
		for i, k := range v.keys {
			parts[i] = reprDepth(v.keyValue(k), depth+1) + ": " + reprDepth(v.m[k], depth+1)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case *namespace:
		return "<Namespace " + reprDepth(v.d, depth+1) + ">"
	case *view:
		return v.reprDepth(depth)
	}
	return fmt.Sprintf("<%s>", typeName(v))
}

// pyFloat formats like Python's float.__repr__: the shortest digits that
// round-trip, positional for exponents in [-4, 16), scientific otherwise.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expS, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expS)
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	digits := strings.Replace(mant, ".", "", 1)
	sign := ""
	if neg {
		sign = "-"
	}
	if exp < -4 || exp >= 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := fmt.Sprintf("%+03d", exp)
		return sign + m + "e" + es
	}
	if exp < 0 {
		return sign + "0." + strings.Repeat("0", -exp-1) + digits
	}
	if len(digits) <= exp+1 {
		return sign + digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	}
	return sign + digits[:exp+1] + "." + digits[exp+1:]
}

func pyReprString(s string) string {
	q := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x80 || isPyPrintable(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// isPyPrintable approximates Python's str.isprintable for one non-ASCII
// character: not a separator other than space, not a control or format
// character, not unassigned.
func isPyPrintable(r rune) bool {
	if r == utf8.RuneError {
		return true
	}
	if unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) {
		return false
	}
	return unicode.IsGraphic(r) || unicode.IsPrint(r)
}

// toJSON is Hugging Face's tojson filter: json.dumps(v, ensure_ascii=False,
// indent=indent, separators=separators, sort_keys=sortKeys).
func toJSON(v value, indent string, hasIndent bool, itemSep, keySep string, sortKeys, ascii bool, depth, maxLen int) (string, error) {
	b := &jsonBuilder{max: maxLen, ascii: ascii}
	if err := writeJSON(b, v, indent, hasIndent, itemSep, keySep, sortKeys, 0, depth); err != nil {
		return "", err
	}
	return b.String(), nil
}

// jsonBuilder is a strings.Builder that tojson stops filling past max.
type jsonBuilder struct {
	strings.Builder
	max   int
	ascii bool // ensure_ascii: non-ASCII as \uXXXX (surrogate pairs above U+FFFF)
}

func writeJSON(b *jsonBuilder, v value, indent string, hasIndent bool, itemSep, keySep string, sortKeys bool, level, limit int) error {
	if level > limit {
		return &Error{Kind: ErrLimit, Msg: "tojson: value nested too deeply"}
	}
	if b.Len() > b.max {
		return &Error{Kind: ErrLimit, Msg: "tojson: output too long"}
	}
	newline := func(l int) {
		if hasIndent {
			b.WriteByte('\n')
			for i := 0; i < l; i++ {
				b.WriteString(indent)
			}
		}
	}
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		switch {
		case math.IsInf(v, 1):
			b.WriteString("Infinity")
		case math.IsInf(v, -1):
			b.WriteString("-Infinity")
		case math.IsNaN(v):
			b.WriteString("NaN")
		default:
			b.WriteString(pyFloat(v))
		}
	case string:
		writeJSONString(&b.Builder, v, b.ascii)
	case markup:
		writeJSONString(&b.Builder, string(v), b.ascii)
	case *list:
		if len(v.items) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, x := range v.items {
			if i > 0 {
				b.WriteString(itemSep)
			}
			newline(level + 1)
			if err := writeJSON(b, x, indent, hasIndent, itemSep, keySep, sortKeys, level+1, limit); err != nil {
				return err
			}
		}
		newline(level)
		b.WriteByte(']')
	case *dict:
		if len(v.keys) == 0 {
			b.WriteString("{}")
			return nil
		}
		// json.dumps writes None, bool, int and float keys as strings and
		// rejects other non-string keys.
		keys := make([]string, len(v.keys))
		for i, e := range v.keys {
			switch kv := v.keyValue(e).(type) {
			case string:
				keys[i] = kv
			case nil:
				keys[i] = "null"
			case bool:
				keys[i] = map[bool]string{true: "true", false: "false"}[kv]
			case int64:
				keys[i] = strconv.FormatInt(kv, 10)
			case float64:
				keys[i] = pyFloat(kv)
			default:
				return &Error{Kind: ErrType, Msg: "keys must be str, int, float, bool or None, not " + typeName(kv)}
			}
		}
		order := make([]int, len(keys))
		for i := range order {
			order[i] = i
		}
		if sortKeys {
			sort.SliceStable(order, func(a, b int) bool { return keys[order[a]] < keys[order[b]] })
		}
		b.WriteByte('{')
		for i, idx := range order {
			if i > 0 {
				b.WriteString(itemSep)
			}
			newline(level + 1)
			writeJSONString(&b.Builder, keys[idx], b.ascii)
			b.WriteString(keySep)
			if err := writeJSON(b, v.m[v.keys[idx]], indent, hasIndent, itemSep, keySep, sortKeys, level+1, limit); err != nil {
				return err
			}
		}
		newline(level)
		b.WriteByte('}')
	default:
		return fmt.Errorf("Object of type %s is not JSON serializable", typeName(v))
	}
	return nil
}

func writeJSONString(b *strings.Builder, s string, ascii bool) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || ascii && r >= 0x7f && r < 0x10000:
				fmt.Fprintf(b, `\u%04x`, r)
			case ascii && r >= 0x10000:
				r -= 0x10000
				fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}
