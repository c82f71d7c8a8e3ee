package vector

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// node is one element of the parsed document tree. The reader builds the whole tree first
// because SVG references run in every direction (a <use> or url(#id) may point at an element
// defined later, and style sheets apply to the whole document).
type node struct {
	name     string
	attrs    map[string]string // un-namespaced attributes; xlink:href as "href" unless href is set
	children []*node
	parent   *node
	text     strings.Builder // character data (for <style>)
	index    int             // position among the parent's element children
	decls    map[string]string
}

const xlinkNS = "http://www.w3.org/1999/xlink"

var (
	entityOnce sync.Once
	entityReV  *regexp.Regexp
)

// entityRe is compiled on first use, so that a binary that never reads SVG does not link regexp.
func entityRe() *regexp.Regexp {
	entityOnce.Do(func() {
		entityReV = regexp.MustCompile(`<!ENTITY\s+([A-Za-z_][-A-Za-z0-9_.]*)\s+(?:"([^"]*)"|'([^']*)')\s*>`)
	})
	return entityReV
}

// parseTree reads the XML into a node tree, enforcing the document caps. Internal DTD
// entities (<!ENTITY name "text">) are honoured as browsers do; their text is not re-parsed,
// so entity expansion cannot grow the document beyond one level.
func parseTree(data []byte) (*node, map[string]*node, error) {
	if len(data) > MaxSVGBytes {
		return nil, nil, errf(ErrLimit, -1, "document of %d bytes exceeds %d", len(data), MaxSVGBytes)
	}
	data, err := expandEntities(data)
	if err != nil {
		return nil, nil, err
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.Entity = map[string]string{}
	var root *node
	var stack []*node
	ids := map[string]*node{}
	elems := 0
	entBytes := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, nil, errf(ErrSyntax, int(dec.InputOffset()), "%v", se.Msg)
			}
			return nil, nil, errf(ErrSyntax, int(dec.InputOffset()), "%v", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			if bytes.HasPrefix(t, []byte("DOCTYPE")) {
				for _, m := range entityRe().FindAllSubmatch(t, -1) {
					v := string(m[2]) + string(m[3])
					if entBytes += len(v); entBytes > MaxSVGBytes {
						return nil, nil, errf(ErrLimit, int(dec.InputOffset()), "entities too large")
					}
					dec.Entity[string(m[1])] = v
				}
			}
		case xml.StartElement:
			elems++
			if elems > MaxElements {
				return nil, nil, errf(ErrLimit, int(dec.InputOffset()), "more than %d elements", MaxElements)
			}
			if len(stack) >= MaxDepth {
				return nil, nil, errf(ErrLimit, int(dec.InputOffset()), "nesting deeper than %d", MaxDepth)
			}
			n := &node{name: t.Name.Local, attrs: make(map[string]string, len(t.Attr))}
			if root == nil {
				if n.name != "svg" {
					return nil, nil, errf(ErrSyntax, 0, "root element is <%s>, not <svg>", n.name)
				}
				if t.Name.Space != "" && t.Name.Space != svgNS {
					return nil, nil, errf(ErrSyntax, 0, "root <svg> is in namespace %q, not SVG", t.Name.Space)
				}
				root = n
			}
			foreign := t.Name.Space != "" && t.Name.Space != svgNS
			if foreign {
				n.name = "\x00foreign:" + n.name // renders nothing, like any unknown element
			}
			for _, a := range t.Attr {
				switch a.Name.Space {
				case "": // an attribute with a prefix is in that namespace, svg: too (not SVG's)
					n.attrs[a.Name.Local] = a.Value
				case xlinkNS:
					if a.Name.Local == "href" {
						if _, ok := n.attrs["href"]; !ok {
							n.attrs["\x00xlink:href"] = a.Value
						}
					}
				}
			}
			if h, ok := n.attrs["\x00xlink:href"]; ok {
				if _, ok := n.attrs["href"]; !ok {
					n.attrs["href"] = h
				}
				delete(n.attrs, "\x00xlink:href")
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				n.parent = p
				n.index = len(p.children)
				p.children = append(p.children, n)
			}
			if id, ok := n.attrs["id"]; ok && id != "" {
				if _, dup := ids[id]; !dup { // browsers resolve a duplicate id to the first
					ids[id] = n
				}
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if len(stack) > 0 && stack[len(stack)-1].name == "style" {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if root == nil {
		return nil, nil, errf(ErrSyntax, 0, "no <svg> element")
	}
	return root, ids, nil
}

const svgNS = "http://www.w3.org/2000/svg"

// ---- CSS ----

// cssRule is one selector of a style-sheet rule with its declarations.
type cssRule struct {
	sel   []cssCompound // descendant/child chain, last is the subject
	spec  int           // specificity a*10000 + b*100 + c
	order int
	decls [][2]string
	imp   []bool // !important per declaration
}

type cssCompound struct {
	comb    byte // combinator to the previous compound: ' ' descendant, '>' child, '+' adjacent, 0 for the first
	typ     string
	id      string
	classes []string
	attrs   [][3]string // name, op ("", "=", "~=", "^=", "$=", "*="), value
	first   bool        // :first-child (or :only-child)
	last    bool        // :last-child (or :only-child)
	root    bool        // :root
	never   bool        // a state an SVG image is never in (:target, :hover, ...)
}

// imageNeverPseudo are the pseudo-classes no element of an SVG drawn as an image matches:
// it has no URL fragment, focus, pointer or link history (Chromium draws a sprite sheet's
// `svg:target {display: block}` views all hidden).
var imageNeverPseudo = map[string]bool{"target": true, "hover": true, "active": true, "focus": true,
	"focus-within": true, "focus-visible": true, "visited": true, "checked": true, "disabled": true}

// parseCSS reads a style sheet: rules of comma-separated selectors of type, universal, class,
// id, attribute and pseudo-class (:first-child, :last-child, :only-child, :root, and states
// an image is never in, such as :target and :hover) simple selectors joined by descendant, child (>) or adjacent
// (+) combinators. At-rules are skipped; a rule with a selector it does not understand is
// dropped as a whole (as CSS does with an invalid selector) and reported.
func parseCSS(src string, order *int, unsup func(string)) []cssRule {
	var rules []cssRule
	src = stripComments(src)
	for len(src) > 0 {
		src = strings.TrimLeft(src, " \t\r\n\f")
		if src == "" {
			break
		}
		if strings.HasPrefix(src, "<!--") || strings.HasPrefix(src, "-->") {
			src = src[4-btoi(strings.HasPrefix(src, "-->")):]
			continue
		}
		if src[0] == '@' {
			// at-rule: up to ; or a balanced block
			semi := strings.IndexByte(src, ';')
			brace := strings.IndexByte(src, '{')
			if semi >= 0 && (brace < 0 || semi < brace) {
				src = src[semi+1:]
				continue
			}
			if brace < 0 {
				break
			}
			depth, i := 0, brace
			for ; i < len(src); i++ {
				if src[i] == '{' {
					depth++
				} else if src[i] == '}' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			unsup("<style> at-rule " + strings.Fields(src)[0] + " ignored")
			if i >= len(src) {
				break
			}
			src = src[i+1:]
			continue
		}
		open := strings.IndexByte(src, '{')
		if open < 0 {
			break
		}
		close := strings.IndexByte(src[open:], '}')
		if close < 0 {
			close = len(src) - open
		}
		selText, body := src[:open], src[open+1:open+close]
		if open+close+1 <= len(src) {
			src = src[open+close+1:]
		} else {
			src = ""
		}
		decls, imp := parseDecls(body)
		for _, s := range strings.Split(selText, ",") {
			sel, spec, ok := parseSelector(strings.TrimSpace(s))
			if !ok {
				unsup("<style> selector " + strings.TrimSpace(s) + " not understood, rule ignored")
				continue
			}
			*order++
			rules = append(rules, cssRule{sel: sel, spec: spec, order: *order, decls: decls, imp: imp})
		}
	}
	sort.SliceStable(rules, func(i, j int) bool {
		if rules[i].spec != rules[j].spec {
			return rules[i].spec < rules[j].spec
		}
		return rules[i].order < rules[j].order
	})
	return rules
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func stripComments(s string) string {
	for {
		i := strings.Index(s, "/*")
		if i < 0 {
			return s
		}
		j := strings.Index(s[i+2:], "*/")
		if j < 0 {
			return s[:i]
		}
		s = s[:i] + " " + s[i+2+j+2:]
	}
}

// parseDecls splits "a: b; c: d !important" into declarations.
func parseDecls(body string) ([][2]string, []bool) {
	var out [][2]string
	var imp []bool
	for _, decl := range strings.Split(body, ";") {
		k, v, ok := strings.Cut(decl, ":")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		important := false
		if i := strings.LastIndex(v, "!"); i >= 0 && strings.EqualFold(strings.TrimSpace(v[i+1:]), "important") {
			important = true
			v = strings.TrimSpace(v[:i])
		}
		if k == "" {
			continue
		}
		out = append(out, [2]string{k, v})
		imp = append(imp, important)
	}
	return out, imp
}

func isIdentChar(c byte) bool {
	return c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func parseSelector(s string) ([]cssCompound, int, bool) {
	if s == "" {
		return nil, 0, false
	}
	var out []cssCompound
	a, b, c := 0, 0, 0
	i := 0
	comb := byte(0)
	for i < len(s) {
		// combinator
		sawSpace := false
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
			sawSpace = true
		}
		if i >= len(s) {
			break
		}
		if s[i] == '>' || s[i] == '+' {
			comb = s[i]
			i++
			for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
				i++
			}
		} else if sawSpace && len(out) > 0 {
			comb = ' '
		}
		if len(out) > 0 && comb == 0 {
			return nil, 0, false
		}
		cp := cssCompound{comb: comb}
		comb = 0
		start := i
		for i < len(s) {
			switch ch := s[i]; {
			case ch == '*':
				i++
			case ch == '#' || ch == '.':
				j := i + 1
				for j < len(s) && isIdentChar(s[j]) {
					j++
				}
				if j == i+1 {
					return nil, 0, false
				}
				if ch == '#' {
					cp.id = s[i+1 : j]
					a++
				} else {
					cp.classes = append(cp.classes, s[i+1:j])
					b++
				}
				i = j
			case ch == '[':
				j := strings.IndexByte(s[i:], ']')
				if j < 0 {
					return nil, 0, false
				}
				inner := s[i+1 : i+j]
				i += j + 1
				var at [3]string
				if k := strings.IndexAny(inner, "~^$*|="); k >= 0 {
					opEnd := k + 1
					if inner[k] != '=' {
						if k+1 >= len(inner) || inner[k+1] != '=' {
							return nil, 0, false
						}
						opEnd = k + 2
					}
					at = [3]string{strings.TrimSpace(inner[:k]), inner[k:opEnd], strings.Trim(strings.TrimSpace(inner[opEnd:]), `"'`)}
				} else {
					at[0] = strings.TrimSpace(inner)
				}
				cp.attrs = append(cp.attrs, at)
				b++
			case ch == ':':
				j := i + 1
				for j < len(s) && isIdentChar(s[j]) {
					j++
				}
				switch name := s[i+1 : j]; {
				case name == "first-child":
					cp.first = true
				case name == "last-child":
					cp.last = true
				case name == "only-child":
					cp.first, cp.last = true, true
				case name == "root":
					cp.root = true
				case imageNeverPseudo[name]:
					cp.never = true
				default:
					return nil, 0, false
				}
				b++
				i = j
			case isIdentChar(ch):
				if i != start {
					return nil, 0, false
				}
				j := i
				for j < len(s) && isIdentChar(s[j]) {
					j++
				}
				cp.typ = s[i:j]
				c++
				i = j
			default:
				goto done
			}
		}
	done:
		if i == start {
			return nil, 0, false
		}
		out = append(out, cp)
	}
	if len(out) == 0 || comb != 0 {
		return nil, 0, false
	}
	return out, a*10000 + b*100 + c, true
}

func (cp *cssCompound) matches(n *node) bool {
	if cp.typ != "" && cp.typ != n.name {
		return false
	}
	if cp.id != "" && n.attrs["id"] != cp.id {
		return false
	}
	if len(cp.classes) > 0 {
		have := strings.Fields(n.attrs["class"])
		for _, want := range cp.classes {
			found := false
			for _, h := range have {
				if h == want {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
	}
	for _, at := range cp.attrs {
		v, ok := n.attrs[at[0]]
		if !ok {
			return false
		}
		switch at[1] {
		case "=":
			ok = v == at[2]
		case "~=":
			ok = false
			for _, f := range strings.Fields(v) {
				ok = ok || f == at[2]
			}
		case "^=":
			ok = strings.HasPrefix(v, at[2])
		case "$=":
			ok = strings.HasSuffix(v, at[2])
		case "*=":
			ok = strings.Contains(v, at[2])
		case "|=":
			ok = v == at[2] || strings.HasPrefix(v, at[2]+"-")
		}
		if !ok {
			return false
		}
	}
	if cp.first && n.index != 0 || cp.root && n.parent != nil || cp.never {
		return false
	}
	if cp.last && n.parent != nil && n.index != len(n.parent.children)-1 {
		return false
	}
	return true
}

func selectorMatches(sel []cssCompound, n *node) bool {
	i := len(sel) - 1
	if !sel[i].matches(n) {
		return false
	}
	return matchUp(sel, i, n)
}

// matchUp checks compounds sel[:i] against n's ancestors/siblings given sel[i] matched n.
func matchUp(sel []cssCompound, i int, n *node) bool {
	if i == 0 {
		return true
	}
	switch sel[i].comb {
	case '>':
		p := n.parent
		return p != nil && sel[i-1].matches(p) && matchUp(sel, i-1, p)
	case '+':
		p := n.parent
		if p == nil || n.index == 0 {
			return false
		}
		s := p.children[n.index-1]
		return sel[i-1].matches(s) && matchUp(sel, i-1, s)
	default:
		for p := n.parent; p != nil; p = p.parent {
			if sel[i-1].matches(p) && matchUp(sel, i-1, p) {
				return true
			}
		}
		return false
	}
}

// cascade computes every element's specified declarations: presentation attributes, then
// matching style-sheet rules in specificity and source order, then style="" (CSS cascade:
// presentation attributes have the lowest author precedence, inline style the highest;
// !important sheet declarations beat inline ones).
func cascade(root *node, rules []cssRule) {
	var walk func(n *node)
	walk = func(n *node) {
		d := make(map[string]string, len(n.attrs))
		for k, v := range n.attrs {
			// marker is a CSS-only shorthand: Chromium and resvg ignore it as an attribute.
			if k != "style" && k != "marker" {
				d[k] = v
			}
		}
		var important map[string]string
		for ri := range rules {
			r := &rules[ri]
			if !selectorMatches(r.sel, n) {
				continue
			}
			for j, kv := range r.decls {
				d[kv[0]] = kv[1]
				if r.imp[j] {
					if important == nil {
						important = map[string]string{}
					}
					important[kv[0]] = kv[1]
				}
			}
		}
		if s, ok := n.attrs["style"]; ok {
			decls, _ := parseDecls(stripComments(s))
			for _, kv := range decls {
				d[kv[0]] = kv[1]
			}
		}
		for k, v := range important {
			d[k] = v
		}
		n.decls = d
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(root)
}

// collectSheets gathers the rules of every <style> element (type absent, empty or text/css).
func collectSheets(root *node, unsup func(string)) []cssRule {
	var rules []cssRule
	order := 0
	var walk func(n *node)
	walk = func(n *node) {
		if n.name == "style" {
			t := strings.TrimSpace(n.attrs["type"])
			if t == "" || strings.EqualFold(t, "text/css") {
				rules = append(rules, parseCSS(n.text.String(), &order, unsup)...)
			}
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(root)
	sort.SliceStable(rules, func(i, j int) bool {
		if rules[i].spec != rules[j].spec {
			return rules[i].spec < rules[j].spec
		}
		return rules[i].order < rules[j].order
	})
	return rules
}

// expandEntities substitutes internal DTD entities (<!ENTITY name "value">) in the document
// after the DOCTYPE, once and without re-expanding values (so nested definitions cannot grow
// exponentially), as browsers' XML parsers do for entities whose values hold markup.
func expandEntities(data []byte) ([]byte, error) {
	i := bytes.Index(data, []byte("<!DOCTYPE"))
	if i < 0 || !bytes.Contains(data, []byte("<!ENTITY")) {
		return data, nil
	}
	end := bytes.Index(data[i:], []byte("]>"))
	if end < 0 {
		return data, nil
	}
	end += i + 2
	var pairs []string
	for _, m := range entityRe().FindAllSubmatch(data[i:end], -1) {
		pairs = append(pairs, "&"+string(m[1])+";", string(m[2])+string(m[3]))
	}
	if len(pairs) == 0 {
		return data, nil
	}
	body := strings.NewReplacer(pairs...).Replace(string(data[end:]))
	if len(body)+end > MaxSVGBytes {
		return nil, errf(ErrLimit, -1, "document exceeds %d bytes after entity expansion", MaxSVGBytes)
	}
	return append(append([]byte(nil), data[:end]...), body...), nil
}
