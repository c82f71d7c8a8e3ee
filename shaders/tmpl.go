package shaders

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// tmpl.go renders the .wgsl templates without text/template, which with its
// parser and reflection-driven executor costs the browser runtime about a
// fifth of its download. It implements exactly the subset the kernels use,
// with text/template's meaning:
//
//	{{define "name"}}…{{end}}            top level only; other top-level text is ignored
//	{{template "name"}}                 dot is nil inside
//	{{template "name" .}}
//	{{template "name" (wdecl . "w" 2)}} the weightDecl the wdecl function returns
//	{{.Field}}                          a field of dot, printed as fmt's %v
//	{{if X}} … {{else if X}} … {{else}} … {{end}}, X: .Field (true when not its zero value)
//	                                     or eq .Field LITERAL (an int or a "string")
//	{{/* comment */}}
//	{{- …}}                             trims the white space before the action
//
// Anything else is a parse error, so a kernel using more fails its tests
// instead of rendering wrongly.

// tmplSet is the parsed templates by name.
type tmplSet struct {
	defs  map[string][]tnode
	wdecl func(k Key, name string, binding int) weightDecl
}

type tnodeKind int

const (
	tText tnodeKind = iota
	tField
	tTemplate
	tIf
)

// tnode is one piece of a template.
type tnode struct {
	kind  tnodeKind
	text  string // tText: the text; tField: the field; tTemplate: the name
	arg   *targ  // tTemplate: nil for no argument
	conds []tcond
	// branches[i] runs when conds[i] holds; a final extra branch is the else.
	branches [][]tnode
}

// targ is a {{template}} argument: "." or (wdecl . "name" binding).
type targ struct {
	wdecl   bool
	name    string
	binding int
}

// tcond is an {{if}} condition: .field, or eq .field value.
type tcond struct {
	field string
	eq    bool
	value string // the literal as Go prints it (an int, or the unquoted string)
}

type taction struct {
	words []string // the action split into words ("quoted strings" and (…) kept whole)
	pos   string   // file:offset for errors
}

// parseTemplates parses the template files in order.
func parseTemplates(files []struct{ name, text string }, wdecl func(k Key, name string, binding int) weightDecl) (*tmplSet, error) {
	set := &tmplSet{defs: map[string][]tnode{}, wdecl: wdecl}
	for _, f := range files {
		if err := set.parseFile(f.name, f.text); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// item is a lexed piece: text, or an action.
type item struct {
	text   string
	action *taction
}

func lex(file, src string) ([]item, error) {
	var items []item
	for off := 0; ; {
		i := strings.Index(src[off:], "{{")
		if i < 0 {
			items = append(items, item{text: src[off:]})
			return items, nil
		}
		text := src[off : off+i]
		start := off + i + 2
		if strings.HasPrefix(src[start:], "- ") || strings.HasPrefix(src[start:], "-\n") {
			text = strings.TrimRight(text, " \t\r\n")
			start++
		}
		items = append(items, item{text: text})
		j := strings.Index(src[start:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("shaders: %s:%d: unclosed action", file, off+i)
		}
		body := strings.TrimSpace(src[start : start+j])
		if strings.HasSuffix(body, " -") {
			return nil, fmt.Errorf("shaders: %s:%d: right trim markers are not supported", file, off+i)
		}
		off = start + j + 2
		if strings.HasPrefix(body, "/*") && strings.HasSuffix(body, "*/") {
			continue
		}
		words, err := splitWords(body)
		if err != nil {
			return nil, fmt.Errorf("shaders: %s:%d: %v", file, off+i, err)
		}
		items = append(items, item{action: &taction{words: words, pos: fmt.Sprintf("%s:%d", file, off+i)}})
	}
}

// splitWords splits an action at spaces, keeping "strings" and (groups) whole.
func splitWords(s string) ([]string, error) {
	var words []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		end := strings.IndexAny(s, " \t")
		switch s[0] {
		case '"':
			q := strings.IndexByte(s[1:], '"')
			if q < 0 {
				return nil, fmt.Errorf("unterminated string in %q", s)
			}
			end = q + 2
		case '(':
			q := strings.IndexByte(s, ')')
			if q < 0 {
				return nil, fmt.Errorf("unclosed ( in %q", s)
			}
			end = q + 1
		}
		if end < 0 {
			end = len(s)
		}
		words = append(words, s[:end])
		s = s[end:]
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("empty action")
	}
	return words, nil
}

func (set *tmplSet) parseFile(file, src string) error {
	items, err := lex(file, src)
	if err != nil {
		return err
	}
	p := &tparser{items: items}
	for p.i < len(p.items) {
		it := p.items[p.i]
		p.i++
		if it.action == nil {
			continue // top-level text, as text/template's unnamed template
		}
		w := it.action.words
		if w[0] != "define" || len(w) != 2 {
			return fmt.Errorf("shaders: %s: only {{define}} may be at the top level, got %q", it.action.pos, strings.Join(w, " "))
		}
		name, err := strconv.Unquote(w[1])
		if err != nil {
			return fmt.Errorf("shaders: %s: bad template name %s", it.action.pos, w[1])
		}
		body, end, err := p.list()
		if err != nil {
			return err
		}
		if end == nil || end.words[0] != "end" {
			return fmt.Errorf("shaders: %s: {{define %q}} without {{end}}", it.action.pos, name)
		}
		if _, dup := set.defs[name]; dup {
			return fmt.Errorf("shaders: %s: template %q defined twice", it.action.pos, name)
		}
		set.defs[name] = body
	}
	return nil
}

type tparser struct {
	items []item
	i     int
}

// list parses nodes up to an {{end}} or {{else…}}, which it returns.
func (p *tparser) list() ([]tnode, *taction, error) {
	var nodes []tnode
	for p.i < len(p.items) {
		it := p.items[p.i]
		p.i++
		if it.action == nil {
			if it.text != "" {
				nodes = append(nodes, tnode{kind: tText, text: it.text})
			}
			continue
		}
		a := it.action
		w := a.words
		switch {
		case w[0] == "end" || w[0] == "else":
			return nodes, a, nil
		case w[0] == "if":
			n, err := p.ifNode(a)
			if err != nil {
				return nil, nil, err
			}
			nodes = append(nodes, n)
		case w[0] == "template":
			n, err := templateNode(a)
			if err != nil {
				return nil, nil, err
			}
			nodes = append(nodes, n)
		case len(w) == 1 && strings.HasPrefix(w[0], ".") && len(w[0]) > 1:
			nodes = append(nodes, tnode{kind: tField, text: w[0][1:]})
		default:
			return nil, nil, fmt.Errorf("shaders: %s: unsupported action {{%s}}", a.pos, strings.Join(w, " "))
		}
	}
	return nodes, nil, nil
}

func (p *tparser) ifNode(a *taction) (tnode, error) {
	n := tnode{kind: tIf}
	cond, err := parseCond(a, a.words[1:])
	for {
		if err != nil {
			return n, err
		}
		n.conds = append(n.conds, cond)
		body, end, err := p.list()
		if err != nil {
			return n, err
		}
		n.branches = append(n.branches, body)
		switch {
		case end == nil:
			return n, fmt.Errorf("shaders: %s: {{if}} without {{end}}", a.pos)
		case end.words[0] == "end":
			return n, nil
		case len(end.words) == 1: // {{else}}
			body, end2, err := p.list()
			if err != nil {
				return n, err
			}
			if end2 == nil || end2.words[0] != "end" || len(end2.words) != 1 {
				return n, fmt.Errorf("shaders: %s: {{else}} without {{end}}", end.pos)
			}
			n.branches = append(n.branches, body)
			return n, nil
		case end.words[1] == "if":
			cond, err = parseCond(end, end.words[2:])
		default:
			return n, fmt.Errorf("shaders: %s: unsupported {{%s}}", end.pos, strings.Join(end.words, " "))
		}
	}
}

func parseCond(a *taction, w []string) (tcond, error) {
	field := func(s string) (string, bool) {
		return strings.TrimPrefix(s, "."), strings.HasPrefix(s, ".") && len(s) > 1
	}
	switch {
	case len(w) == 1:
		if f, ok := field(w[0]); ok {
			return tcond{field: f}, nil
		}
	case len(w) == 3 && w[0] == "eq":
		f, ok := field(w[1])
		if !ok {
			break
		}
		if s, err := strconv.Unquote(w[2]); err == nil {
			return tcond{field: f, eq: true, value: s}, nil
		}
		if _, err := strconv.Atoi(w[2]); err == nil {
			return tcond{field: f, eq: true, value: w[2]}, nil
		}
	}
	return tcond{}, fmt.Errorf("shaders: %s: unsupported condition %q", a.pos, strings.Join(w, " "))
}

func templateNode(a *taction) (tnode, error) {
	w := a.words
	bad := fmt.Errorf("shaders: %s: unsupported {{%s}}", a.pos, strings.Join(w, " "))
	if len(w) < 2 || len(w) > 3 {
		return tnode{}, bad
	}
	name, err := strconv.Unquote(w[1])
	if err != nil {
		return tnode{}, bad
	}
	n := tnode{kind: tTemplate, text: name}
	if len(w) == 3 {
		switch {
		case w[2] == ".":
			n.arg = &targ{}
		case strings.HasPrefix(w[2], "(") && strings.HasSuffix(w[2], ")"):
			g, err := splitWords(w[2][1 : len(w[2])-1])
			if err != nil || len(g) != 4 || g[0] != "wdecl" || g[1] != "." {
				return tnode{}, bad
			}
			v, err1 := strconv.Unquote(g[2])
			b, err2 := strconv.Atoi(g[3])
			if err1 != nil || err2 != nil {
				return tnode{}, bad
			}
			n.arg = &targ{wdecl: true, name: v, binding: b}
		default:
			return tnode{}, bad
		}
	}
	return n, nil
}

// fields gives a dot's fields by name, printed as fmt's %v does: the
// templates' dots are a Key or a weightDecl (nil inside {{template "x"}}).
func fields(dot any) map[string]any {
	switch d := dot.(type) {
	case Key:
		return map[string]any{"Kernel": d.Kernel, "W": d.W, "Vec4": d.Vec4, "InPlace": d.InPlace,
			"Bias": d.Bias, "Norm": d.Norm, "SiLU": d.SiLU, "Accumulate": d.Accumulate,
			"Quant": d.Quant()}
	case weightDecl:
		return map[string]any{"Name": d.Name, "Binding": d.Binding, "W": d.W, "Vec4": d.Vec4}
	}
	return nil
}

func (set *tmplSet) execute(b *bytes.Buffer, name string, dot any) error {
	nodes, ok := set.defs[name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	return set.run(b, nodes, dot, 0)
}

// maxDepth bounds {{template}} nesting (a template calling itself).
const maxDepth = 32

func (set *tmplSet) run(b *bytes.Buffer, nodes []tnode, dot any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("templates nested deeper than %d", maxDepth)
	}
	f := fields(dot)
	get := func(name string) (any, error) {
		v, ok := f[name]
		if !ok {
			return nil, fmt.Errorf("no field %s in %T", name, dot)
		}
		return v, nil
	}
	for _, n := range nodes {
		switch n.kind {
		case tText:
			b.WriteString(n.text)
		case tField:
			v, err := get(n.text)
			if err != nil {
				return err
			}
			fmt.Fprint(b, v)
		case tTemplate:
			var arg any
			if n.arg != nil {
				arg = dot
				if n.arg.wdecl {
					k, ok := dot.(Key)
					if !ok {
						return fmt.Errorf("wdecl of %T, want a Key", dot)
					}
					arg = set.wdecl(k, n.arg.name, n.arg.binding)
				}
			}
			sub, ok := set.defs[n.text]
			if !ok {
				return fmt.Errorf("no template %q", n.text)
			}
			if err := set.run(b, sub, arg, depth+1); err != nil {
				return err
			}
		case tIf:
			branch := -1
			for i, c := range n.conds {
				v, err := get(c.field)
				if err != nil {
					return err
				}
				var holds bool
				if c.eq {
					holds = fmt.Sprint(v) == c.value
				} else {
					holds = v != false && v != 0 && v != ""
				}
				if holds {
					branch = i
					break
				}
			}
			if branch < 0 && len(n.branches) > len(n.conds) {
				branch = len(n.conds)
			}
			if branch >= 0 {
				if err := set.run(b, n.branches[branch], dot, depth+1); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
