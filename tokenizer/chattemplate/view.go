package chattemplate

import (
	"strconv"
	"strings"
)

// view is an iterable that is not a list. jinja2's map, select, reject,
// selectattr, rejectattr, unique and items filters return generators,
// reverse returns a reverse iterator, range() a range and dict.items(),
// keys() and values() dict views. Templates notice the difference: a
// generator is truthy even when empty, has no length, cannot be indexed
// or passed to tojson, and is used up by the first loop over it.
type view struct {
	kind  viewKind
	items []value
	pos   int    // items before pos are consumed (generators, iterators)
	repr  string // range's repr
}

type viewKind int

const (
	viewGenerator viewKind = iota
	viewReverse
	viewRange
	viewDictItems
	viewDictKeys
	viewDictValues
)

var viewNames = [...]string{"generator", "list_reverseiterator", "range", "dict_items", "dict_keys", "dict_values"}

func (v *view) name() string { return viewNames[v.kind] }

// once reports whether the view is a one-pass iterator.
func (v *view) once() bool { return v.kind == viewGenerator || v.kind == viewReverse }

func (v *view) hasLen() bool { return !v.once() }

// rest returns the unconsumed items and, for an iterator, consumes them.
func (v *view) rest() []value {
	out := v.items[v.pos:]
	if v.once() {
		v.pos = len(v.items)
	}
	return out
}

func generator(items []value) *view { return &view{kind: viewGenerator, items: items} }

func newRange(start, stop, step int64, items []value) *view {
	r := "range(" + strconv.FormatInt(start, 10) + ", " + strconv.FormatInt(stop, 10)
	if step != 1 {
		r += ", " + strconv.FormatInt(step, 10)
	}
	return &view{kind: viewRange, items: items, repr: r + ")"}
}

func dictView(d *dict, kind viewKind) *view {
	v := &view{kind: kind}
	for _, e := range d.keys {
		switch kind {
		case viewDictItems:
			v.items = append(v.items, &list{items: []value{d.keyValue(e), d.m[e]}, tuple: true})
		case viewDictKeys:
			v.items = append(v.items, d.keyValue(e))
		default:
			v.items = append(v.items, d.m[e])
		}
	}
	return v
}

func (v *view) reprDepth(depth int) string {
	switch v.kind {
	case viewRange:
		return v.repr
	case viewDictItems, viewDictKeys, viewDictValues:
		parts := make([]string, len(v.items))
		for i, it := range v.items {
			parts[i] = reprDepth(it, depth+1)
		}
		return v.name() + "([" + strings.Join(parts, ", ") + "])"
	}
	return "<" + v.name() + " object>"
}
