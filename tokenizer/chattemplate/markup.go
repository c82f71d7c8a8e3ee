package chattemplate

import "strings"

// markup is markupsafe.Markup, what jinja2's safe and escape filters
// return. Chat templates meet it in one way that changes the output:
// Markup + str escapes the str (meetkai's functionary templates build
// tool lists as "..."|safe + name + ...). Everywhere else a markup value
// acts as the string it holds.
type markup string

// htmlEscape is markupsafe.escape: & < > ' " as entities.
var htmlEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&#39;", "\"", "&#34;").Replace

// plain turns a markup value into its string; other values pass through.
func plain(v value) value {
	if m, ok := v.(markup); ok {
		return string(m)
	}
	return v
}

// plainAll is plain over a slice, copying it only when something changes.
func plainAll(vs []value) []value {
	var out []value
	for i, v := range vs {
		if m, ok := v.(markup); ok {
			if out == nil {
				out = append([]value(nil), vs...)
			}
			out[i] = string(m)
		}
	}
	if out == nil {
		return vs
	}
	return out
}

// markupAdd is Markup.__add__ / __radd__ when one side of + is markup.
func markupAdd(l, r value) (value, bool) {
	lm, lIs := l.(markup)
	rm, rIs := r.(markup)
	switch {
	case lIs && rIs:
		return lm + rm, true
	case lIs:
		if s, ok := r.(string); ok {
			return lm + markup(htmlEscape(s)), true
		}
	case rIs:
		if s, ok := l.(string); ok {
			return markup(htmlEscape(s)) + rm, true
		}
	}
	return nil, false
}
