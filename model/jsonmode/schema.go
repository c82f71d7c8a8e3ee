// Package jsonmode is constrained decoding for JSON output: a JSON Schema
// (or OpenAI's json_object mode, any JSON object) compiled into a byte-level
// pushdown grammar, and a per-step token mask over a tokenizer's vocabulary
// built from it (Constraint, a model.Constraint). Every token whose bytes
// keep the output a prefix of some valid document, and leave enough of the
// token budget to close it, is allowed; the rest get -Inf logits. So the
// text of a finished generation always parses and validates against the
// schema (the approach of Willard & Louf 2023, "Efficient Guided Generation
// for LLMs", done with a vocabulary trie walked per step instead of an
// index precomputed per grammar state, since a pushdown grammar has no
// finite state set).
//
// The output is compact JSON: no whitespace between tokens (one space is
// allowed before the root value, which SentencePiece tokenizers emit and
// JSON allows). Object properties come in the schema's order, each at most
// once; only declared properties are generated (valid whether or not
// additionalProperties is false). Numbers have at most 15 integer and 15
// fraction digits and a 2-digit exponent, so every one is finite in
// JavaScript and Go.
//
// Supported keywords: type (one or a list), properties, required,
// additionalProperties (true, false or absent), enum, const, items,
// minItems, maxItems, minLength, maxLength, minimum, maximum,
// exclusiveMinimum and exclusiveMaximum (integers; numbers written
// without an exponent and with at most 15 significant digits when bounded,
// see decimal.go), pattern (a regular-expression subset, unanchored
// unless it starts with ^ or ends with $; not with minLength/maxLength;
// see pattern.go), anyOf, $ref to the root's $defs or definitions
// (not recursive), and the annotations title, description, default,
// examples, $schema, $id, $comment. Any other keyword is an
// *UnsupportedError naming it.
package jsonmode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// UnsupportedError reports schema keywords jsonmode cannot enforce.
type UnsupportedError struct {
	Path     string   // JSON pointer of the schema object ("" is the root)
	Keywords []string // sorted
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("jsonmode: unsupported JSON Schema keyword(s) %s at %q", strings.Join(e.Keywords, ", "), "#"+e.Path)
}

// SchemaError reports a schema that is malformed or that no value satisfies.
type SchemaError struct {
	Path string
	Msg  string
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("jsonmode: schema at %q: %s", "#"+e.Path, e.Msg)
}

type kind uint8

const (
	kUnion kind = iota
	kLit
	kString
	kNumber
	kInteger
	kBool
	kNull
	kObject
	kArray
)

// node is a compiled schema.
type node struct {
	kind  kind
	alts  []*node  // kUnion
	lits  []string // kLit: compact JSON encodings
	props []prop   // kObject
	free  bool     // kObject: any keys, any values (no properties given)
	items *node    // kArray
	// minItems, maxItems bound kArray (maxItems < 0: no bound).
	minItems, maxItems int
	// minChars, maxChars bound a kString's length in code points, as
	// JSON Schema's minLength/maxLength count (maxChars < 0: no bound).
	minChars, maxChars int
	// ibound says a kInteger lies in [ilo, ihi] (minimum, maximum and
	// their exclusive forms, rounded to integers).
	ibound   bool
	ilo, ihi int64
	// nbound says a kNumber lies in [nlo, nhi], in units of 10^-15
	// (decimal.go).
	nbound   bool
	nlo, nhi lat
	// re is a kString's pattern (pattern.go).
	re *regex
	// minLen is the length of the shortest encoding of a value.
	minLen int
	// req[i] is the bytes the required properties from i on need, each
	// with a separating comma: Σ 1+len(`"`+key)+minLen (kObject).
	req []int
}

type prop struct {
	key      string // the encoded name without its opening quote, then `":`
	val      *node
	required bool
}

var (
	litTrue  = []string{"true"}
	litFalse = []string{"false"}
	litNull  = []string{"null"}
)

// anyNode is any JSON value; anyObject and anyArray hold any values.
var anyNode, anyObject, anyArray *node

func init() {
	anyNode = &node{kind: kUnion, minLen: 1}
	anyObject = &node{kind: kObject, free: true, minLen: 2, req: []int{0}}
	anyArray = &node{kind: kArray, items: anyNode, maxItems: -1, minLen: 2}
	anyNode.alts = []*node{
		{kind: kString, minLen: 2, maxChars: -1}, {kind: kNumber, minLen: 1}, {kind: kBool, minLen: 4},
		{kind: kNull, minLen: 4}, anyObject, anyArray,
	}
}

// Grammar is a compiled schema. It is immutable and safe to share.
type Grammar struct {
	root *node
}

// MinLen is the length in bytes of the shortest valid output.
func (g *Grammar) MinLen() int { return g.root.minLen }

// JSONObject is the grammar of OpenAI's response_format {"type":
// "json_object"}: any JSON object.
func JSONObject() *Grammar { return &Grammar{root: anyObject} }

// Compile compiles a JSON Schema document.
func Compile(schema []byte) (*Grammar, error) {
	dec := json.NewDecoder(bytes.NewReader(schema))
	dec.UseNumber()
	v, err := decodeOrdered(dec, 0)
	if err != nil {
		return nil, &SchemaError{Msg: "not JSON: " + err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &SchemaError{Msg: "trailing data after the schema"}
	}
	c := &compiler{active: map[string]bool{}}
	if root, ok := v.(*object); ok {
		for _, k := range []string{"$defs", "definitions"} {
			if d, ok := root.vals[k].(*object); ok {
				if c.defs == nil {
					c.defs = map[string]*object{}
				}
				c.defs[k] = d
			}
		}
	}
	n, err := c.compile(v, "", 0)
	if err != nil {
		return nil, err
	}
	return &Grammar{root: n}, nil
}

// object is a JSON object that remembers its key order (properties are
// generated in the order the schema writes them, as OpenAI's structured
// outputs do).
type object struct {
	keys []string
	vals map[string]any
}

// MarshalJSON writes the object in its key order (enum and const values).
func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(o.vals[k]); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // Encode's newline
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// decodeOrdered reads one JSON value: objects as *object, numbers as
// json.Number, the rest as encoding/json does.
func decodeOrdered(dec *json.Decoder, depth int) (any, error) {
	if depth > 10000 {
		return nil, fmt.Errorf("nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &object{vals: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeOrdered(dec, depth+1)
				if err != nil {
					return nil, err
				}
				if _, dup := o.vals[k]; !dup {
					o.keys = append(o.keys, k)
				}
				o.vals[k] = v
			}
			_, err := dec.Token()
			return o, err
		case '[':
			list := []any{}
			for dec.More() {
				v, err := decodeOrdered(dec, depth+1)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token()
			return list, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	}
	return tok, nil
}

// compiler holds the root's $defs/definitions for $ref and the refs being
// compiled (a recursive schema has no finite grammar here).
type compiler struct {
	defs   map[string]*object
	active map[string]bool
}

// maxDepth bounds schema nesting (the compiler recurses).
const maxDepth = 64

var annotations = map[string]bool{
	"title": true, "description": true, "default": true, "examples": true,
	"$schema": true, "$id": true, "$comment": true, "$defs": true, "definitions": true,
}

// compileRef compiles {"$ref": "#/$defs/Name"} (or #/definitions/Name)
// against the root's definitions; other refs, recursive ones and keywords
// beside $ref are unsupported.
func (c *compiler) compileRef(s map[string]any, ref any, path string, depth int) (*node, error) {
	for k := range s {
		if k != "$ref" && !annotations[k] {
			return nil, &UnsupportedError{Path: path, Keywords: []string{"$ref with " + k + " beside it"}}
		}
	}
	r, _ := ref.(string)
	for _, k := range []string{"$defs", "definitions"} {
		prefix := "#/" + k + "/"
		if !strings.HasPrefix(r, prefix) {
			continue
		}
		name := strings.ReplaceAll(strings.ReplaceAll(r[len(prefix):], "~1", "/"), "~0", "~")
		var def any
		ok := false
		if d := c.defs[k]; d != nil {
			def, ok = d.vals[name]
		}
		if !ok {
			return nil, &SchemaError{Path: path, Msg: fmt.Sprintf("$ref %q names no definition", r)}
		}
		if c.active[r] {
			return nil, &UnsupportedError{Path: path, Keywords: []string{"$ref " + strconv.Quote(r) + " (recursive)"}}
		}
		c.active[r] = true
		defer delete(c.active, r)
		return c.compile(def, r[1:], depth+1)
	}
	return nil, &UnsupportedError{Path: path, Keywords: []string{"$ref " + strconv.Quote(r) + " (only #/$defs/… and #/definitions/…)"}}
}

// hasScalarKeyword: s has a keyword that constrains strings or numbers.
func hasScalarKeyword(s map[string]any) bool {
	for _, k := range []string{"minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"} {
		if _, ok := s[k]; ok {
			return true
		}
	}
	return false
}

var known = map[string]bool{
	"type": true, "properties": true, "required": true, "additionalProperties": true,
	"enum": true, "const": true, "items": true, "minItems": true, "maxItems": true, "anyOf": true,
	"minLength": true, "maxLength": true, "pattern": true,
	"minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true,
}

func (c *compiler) compile(v any, path string, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, &SchemaError{Path: path, Msg: fmt.Sprintf("nested deeper than %d", maxDepth)}
	}
	switch s := v.(type) {
	case bool:
		if s {
			return anyNode, nil
		}
		return nil, &SchemaError{Path: path, Msg: "schema false accepts no value"}
	case *object:
		return c.compileObject(s.vals, path, depth)
	}
	return nil, &SchemaError{Path: path, Msg: "a schema must be an object or a boolean"}
}

func (c *compiler) compileObject(s map[string]any, path string, depth int) (*node, error) {
	if ref, ok := s["$ref"]; ok {
		return c.compileRef(s, ref, path, depth)
	}
	var bad []string
	for k := range s {
		if !known[k] && !annotations[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, &UnsupportedError{Path: path, Keywords: bad}
	}
	if anyOf, ok := s["anyOf"]; ok {
		for k := range s {
			if k != "anyOf" && !annotations[k] {
				return nil, &UnsupportedError{Path: path, Keywords: []string{"anyOf with " + k + " beside it"}}
			}
		}
		list, ok := anyOf.([]any)
		if !ok || len(list) == 0 {
			return nil, &SchemaError{Path: path, Msg: "anyOf must be a non-empty array"}
		}
		u := &node{kind: kUnion}
		for i, sub := range list {
			n, err := c.compile(sub, fmt.Sprintf("%s/anyOf/%d", path, i), depth+1)
			if err != nil {
				return nil, err
			}
			u.alts = append(u.alts, n)
		}
		return finishUnion(u), nil
	}
	types, err := schemaTypes(s, path)
	if err != nil {
		return nil, err
	}
	if c, ok := s["const"]; ok {
		return litNode([]any{c}, types, path)
	}
	if e, ok := s["enum"]; ok {
		list, ok := e.([]any)
		if !ok || len(list) == 0 {
			return nil, &SchemaError{Path: path, Msg: "enum must be a non-empty array"}
		}
		return litNode(list, types, path)
	}
	if types == nil {
		// No type: infer it from the keywords present, else any value.
		switch {
		case s["properties"] != nil || s["required"] != nil || s["additionalProperties"] != nil:
			types = []string{"object"}
		case s["items"] != nil || s["minItems"] != nil || s["maxItems"] != nil:
			types = []string{"array"}
		case hasScalarKeyword(s):
			// String or number keywords without a type constrain only
			// values of that type (JSON Schema): every type, each with
			// the keywords that apply to it.
			types = []string{"null", "boolean", "number", "string", "array", "object"}
		default:
			return anyNode, nil
		}
	}
	bounded := false
	for _, k := range []string{"exclusiveMaximum", "exclusiveMinimum", "maximum", "minimum"} {
		if _, ok := s[k]; ok {
			bounded = true
		}
	}
	u := &node{kind: kUnion}
	for _, t := range types {
		var n *node
		switch t {
		case "string":
			n, err = compileString(s, path)
		case "number":
			n = &node{kind: kNumber, minLen: 1}
			if bounded {
				n, err = numNode(s, path)
			}
		case "integer":
			n, err = intNode(s, path)
		case "boolean":
			n = &node{kind: kBool, minLen: 4}
		case "null":
			n = &node{kind: kNull, minLen: 4}
		case "object":
			n, err = c.compileProps(s, path, depth)
		case "array":
			n, err = c.compileItems(s, path, depth)
		}
		if err != nil {
			return nil, err
		}
		u.alts = append(u.alts, n)
	}
	return finishUnion(u), nil
}

func finishUnion(u *node) *node {
	if len(u.alts) == 1 {
		return u.alts[0]
	}
	u.minLen = u.alts[0].minLen
	for _, a := range u.alts[1:] {
		u.minLen = min(u.minLen, a.minLen)
	}
	return u
}

var typeNames = map[string]bool{"string": true, "number": true, "integer": true, "boolean": true, "null": true, "object": true, "array": true}

// schemaTypes is the type keyword as a list (nil when absent).
func schemaTypes(s map[string]any, path string) ([]string, error) {
	t, ok := s["type"]
	if !ok {
		return nil, nil
	}
	var list []any
	switch t := t.(type) {
	case string:
		list = []any{t}
	case []any:
		list = t
	}
	if len(list) == 0 {
		return nil, &SchemaError{Path: path, Msg: "type must be a type name or a non-empty array of them"}
	}
	var out []string
	seen := map[string]bool{}
	for _, x := range list {
		name, ok := x.(string)
		if !ok || !typeNames[name] {
			return nil, &SchemaError{Path: path, Msg: fmt.Sprintf("unknown type %v", x)}
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out, nil
}

// litNode is an enum or const: the values' compact encodings, keeping only
// those of the listed types when a type is given.
func litNode(values []any, types []string, path string) (*node, error) {
	n := &node{kind: kLit}
	seen := map[string]bool{}
	for _, v := range values {
		if types != nil && !matchesType(v, types) {
			continue
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return nil, &SchemaError{Path: path, Msg: err.Error()}
		}
		lit := strings.TrimSuffix(b.String(), "\n")
		if !seen[lit] {
			seen[lit] = true
			n.lits = append(n.lits, lit)
		}
	}
	if len(n.lits) == 0 {
		return nil, &SchemaError{Path: path, Msg: "no enum/const value has the schema's type"}
	}
	n.minLen = len(n.lits[0])
	for _, l := range n.lits {
		n.minLen = min(n.minLen, len(l))
	}
	return n, nil
}

func matchesType(v any, types []string) bool {
	for _, t := range types {
		switch v := v.(type) {
		case string:
			if t == "string" {
				return true
			}
		case json.Number:
			if t == "number" {
				return true
			}
			if t == "integer" {
				if _, err := v.Int64(); err == nil {
					return true
				}
				if f, err := v.Float64(); err == nil && f == float64(int64(f)) {
					return true
				}
			}
		case bool:
			if t == "boolean" {
				return true
			}
		case nil:
			if t == "null" {
				return true
			}
		case *object:
			if t == "object" {
				return true
			}
		case []any:
			if t == "array" {
				return true
			}
		}
	}
	return false
}

func (c *compiler) compileProps(s map[string]any, path string, depth int) (*node, error) {
	n := &node{kind: kObject}
	closed := false
	if ap, ok := s["additionalProperties"]; ok {
		switch ap := ap.(type) {
		case bool:
			closed = !ap
		case *object:
			if len(ap.keys) > 0 {
				return nil, &UnsupportedError{Path: path, Keywords: []string{"additionalProperties (a schema)"}}
			}
		default:
			return nil, &SchemaError{Path: path, Msg: "additionalProperties must be a boolean or a schema"}
		}
	}
	required := map[string]bool{}
	if r, ok := s["required"]; ok {
		list, ok := r.([]any)
		if !ok {
			return nil, &SchemaError{Path: path, Msg: "required must be an array of strings"}
		}
		for _, x := range list {
			name, ok := x.(string)
			if !ok {
				return nil, &SchemaError{Path: path, Msg: "required must be an array of strings"}
			}
			required[name] = true
		}
	}
	props := &object{vals: map[string]any{}}
	if p, ok := s["properties"]; ok {
		if props, ok = p.(*object); !ok {
			return nil, &SchemaError{Path: path, Msg: "properties must be an object"}
		}
	} else if !closed && len(required) == 0 {
		return anyObject, nil
	}
	names := props.keys
	for name := range required {
		if _, ok := props.vals[name]; !ok {
			return nil, &UnsupportedError{Path: path, Keywords: []string{"required property " + fmt.Sprintf("%q", name) + " not in properties"}}
		}
	}
	for _, name := range names {
		val, err := c.compile(props.vals[name], path+"/properties/"+escapePointer(name), depth+1)
		if err != nil {
			return nil, err
		}
		enc, _ := json.Marshal(name)
		n.props = append(n.props, prop{key: string(enc[1:]) + ":", val: val, required: required[name]})
	}
	n.req = make([]int, len(n.props)+1)
	for i := len(n.props) - 1; i >= 0; i-- {
		n.req[i] = n.req[i+1]
		if p := n.props[i]; p.required {
			n.req[i] += 1 + 1 + len(p.key) + p.val.minLen
		}
	}
	n.minLen = max(n.req[0], 1) + 1
	return n, nil
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// countKeyword reads a non-negative integer keyword (ok false when absent).
func countKeyword(s map[string]any, k, path string) (int, bool, error) {
	x, ok := s[k]
	if !ok {
		return 0, false, nil
	}
	num, ok := x.(json.Number)
	if !ok {
		return 0, false, &SchemaError{Path: path, Msg: k + " must be a non-negative integer"}
	}
	v, err := num.Int64()
	if err != nil || v < 0 || v > 1<<20 {
		return 0, false, &SchemaError{Path: path, Msg: k + " must be a non-negative integer"}
	}
	return int(v), true, nil
}

// compileString is a string with optional minLength/maxLength.
func compileString(s map[string]any, path string) (*node, error) {
	lo, _, err := countKeyword(s, "minLength", path)
	if err != nil {
		return nil, err
	}
	hi, hasHi, err := countKeyword(s, "maxLength", path)
	if err != nil {
		return nil, err
	}
	n := &node{kind: kString, minChars: lo, maxChars: -1, minLen: 2 + lo}
	if pv, ok := s["pattern"]; ok {
		pat, ok := pv.(string)
		if !ok {
			return nil, &SchemaError{Path: path, Msg: "pattern must be a string"}
		}
		if _, ok := s["minLength"]; ok || hasHi {
			return nil, &UnsupportedError{Path: path, Keywords: []string{"pattern with minLength or maxLength"}}
		}
		re, err := compilePattern(pat, path)
		if err != nil {
			return nil, err
		}
		r := re.remaining(re.start, false)
		if r >= noPath {
			return nil, &SchemaError{Path: path, Msg: fmt.Sprintf("pattern %q matches no string jsonmode writes", pat)}
		}
		n.re, n.minLen = re, 2+r
		return n, nil
	}
	if hasHi {
		if hi < lo {
			return nil, &SchemaError{Path: path, Msg: fmt.Sprintf("maxLength %d < minLength %d", hi, lo)}
		}
		n.maxChars = hi
	}
	return n, nil
}

// maxIntMagnitude is the largest integer the automaton writes
// (maxIntDigits nines).
const maxIntMagnitude = 999_999_999_999_999

// intNode compiles an integer schema with its bounds: minimum and maximum
// (inclusive) and exclusiveMinimum and exclusiveMaximum (numbers, as in
// JSON Schema draft 6 and later) become one integer range.
func intNode(s map[string]any, path string) (*node, error) {
	n := &node{kind: kInteger, minLen: 1, ilo: -maxIntMagnitude, ihi: maxIntMagnitude}
	for _, b := range []struct {
		key      string
		lower    bool
		round    func(float64) float64
		exclStep float64
	}{
		{"minimum", true, math.Ceil, 0}, {"exclusiveMinimum", true, math.Floor, 1},
		{"maximum", false, math.Floor, 0}, {"exclusiveMaximum", false, math.Ceil, -1},
	} {
		num, err := boundNumber(s, b.key, path)
		if err != nil {
			return nil, err
		} else if num == "" {
			continue
		}
		f, err := num.Float64()
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, &SchemaError{Path: path, Msg: fmt.Sprintf("%s %s is not a finite number", b.key, num)}
		}
		// minimum ⌈v⌉, exclusiveMinimum ⌊v⌋+1, maximum ⌊v⌋,
		// exclusiveMaximum ⌈v⌉-1.
		r := b.round(f) + b.exclStep
		r = max(min(r, maxIntMagnitude+1), -maxIntMagnitude-1)
		n.ibound = true
		if b.lower {
			n.ilo = max(n.ilo, int64(r))
		} else {
			n.ihi = min(n.ihi, int64(r))
		}
	}
	if n.ilo > n.ihi {
		return nil, &SchemaError{Path: path, Msg: fmt.Sprintf("no integer of at most %d digits lies in the bounds (%d > %d)", maxIntDigits, n.ilo, n.ihi)}
	}
	if n.ibound {
		n.minLen = intMinLen(n.ilo, n.ihi)
	}
	return n, nil
}

// boundNumber is the value of bound keyword key ("" when absent): a
// number (JSON Schema draft 6 and later), not draft 4's boolean flag.
func boundNumber(s map[string]any, key, path string) (json.Number, error) {
	v, ok := s[key]
	if !ok {
		return "", nil
	}
	num, ok := v.(json.Number)
	if !ok {
		if _, isBool := v.(bool); isBool {
			return "", &UnsupportedError{Path: path, Keywords: []string{key + " (a boolean, JSON Schema draft 4)"}}
		}
		return "", &SchemaError{Path: path, Msg: key + " must be a number"}
	}
	return num, nil
}

// intMinLen is the length of the shortest decimal encoding of an integer
// in [lo, hi].
func intMinLen(lo, hi int64) int {
	switch {
	case lo <= 0 && hi >= 0:
		return 1
	case hi < 0:
		return 1 + len(strconv.FormatInt(-hi, 10))
	}
	return len(strconv.FormatInt(lo, 10))
}

// bounded reports whether a string node limits its length.
func (n *node) bounded() bool {
	return n != nil && (n.minChars > 0 || n.maxChars >= 0 || n.re != nil)
}

func (c *compiler) compileItems(s map[string]any, path string, depth int) (*node, error) {
	n := &node{kind: kArray, items: anyNode, maxItems: -1}
	if it, ok := s["items"]; ok {
		if _, isList := it.([]any); isList {
			return nil, &UnsupportedError{Path: path, Keywords: []string{"items (an array: tuple form)"}}
		}
		items, err := c.compile(it, path+"/items", depth+1)
		if err != nil {
			return nil, err
		}
		n.items = items
	}
	count := func(k string) (int, bool, error) { return countKeyword(s, k, path) }
	lo, _, err := count("minItems")
	if err != nil {
		return nil, err
	}
	hi, hasHi, err := count("maxItems")
	if err != nil {
		return nil, err
	}
	n.minItems = lo
	if hasHi {
		if hi < lo {
			return nil, &SchemaError{Path: path, Msg: fmt.Sprintf("maxItems %d < minItems %d", hi, lo)}
		}
		n.maxItems = hi
	}
	n.minLen = 2 + lo*n.items.minLen + max(lo-1, 0)
	return n, nil
}
