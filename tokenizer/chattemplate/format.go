package chattemplate

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// percentFormat is Python's printf-style str % args (also jinja2's format
// filter): %s %r %d %i %f %F %e %E %g %G %x %X %o %c %% with flags,
// width, precision and %(name)s keys into a dict.
func percentFormat(f string, args value, maxLen int) (string, error) {
	var pos []value
	var named *dict
	switch a := args.(type) {
	case *list:
		if a.tuple {
			pos = a.items
		} else {
			pos = []value{a}
		}
	case *dict:
		named = a
		pos = []value{a}
	default:
		pos = []value{a}
	}
	next := 0
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if b.Len() > maxLen {
			return "", &Error{Kind: ErrLimit, Msg: "formatted string too long"}
		}
		c := f[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(f) {
			return "", typeErr("incomplete format")
		}
		if f[i] == '%' {
			b.WriteByte('%')
			continue
		}
		var v value
		haveV := false
		if f[i] == '(' {
			end := strings.IndexByte(f[i:], ')')
			if end < 0 || named == nil {
				return "", typeErr("format requires a mapping")
			}
			key := f[i+1 : i+end]
			x, ok := named.get(key)
			if !ok {
				return "", typeErr("KeyError: %s", pyReprString(key))
			}
			v, haveV = x, true
			i += end + 1
		}
		flags := ""
		for i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0 {
			flags += string(f[i])
			i++
		}
		width := ""
		for i < len(f) && f[i] >= '0' && f[i] <= '9' {
			width += string(f[i])
			i++
		}
		prec := ""
		hasPrec := false
		if i < len(f) && f[i] == '.' {
			hasPrec = true
			i++
			for i < len(f) && f[i] >= '0' && f[i] <= '9' {
				prec += string(f[i])
				i++
			}
		}
		for i < len(f) && (f[i] == 'l' || f[i] == 'h' || f[i] == 'L') {
			i++
		}
		if i >= len(f) {
			return "", typeErr("incomplete format")
		}
		if !haveV {
			if next >= len(pos) {
				return "", typeErr("not enough arguments for format string")
			}
			v = pos[next]
			next++
		}
		w, _ := strconv.Atoi(width)
		if w > maxLen {
			return "", &Error{Kind: ErrLimit, Msg: "format width too large"}
		}
		p, _ := strconv.Atoi(prec)
		if p > 1000 {
			return "", &Error{Kind: ErrLimit, Msg: "format precision too large"}
		}
		spec := "%" + flags + width
		if hasPrec {
			spec += "." + strconv.Itoa(p)
		}
		var out string
		switch verb := f[i]; verb {
		case 's', 'r', 'a':
			s, err := boundedStr(v, maxLen)
			if err != nil {
				return "", err
			}
			if verb != 's' {
				s = repr(v)
			}
			out = fmt.Sprintf("%"+flags+width+precStr(hasPrec, p)+"s", s)
		case 'd', 'i', 'u':
			n, err := intFor(v)
			if err != nil {
				return "", err
			}
			out = fmt.Sprintf("%"+flags+width+"d", n)
		case 'x', 'X', 'o':
			n, ok := asInt(v)
			if !ok {
				return "", typeErr("%%%c format: an integer is required, not %s", verb, typeName(v))
			}
			out = fmt.Sprintf(spec+string(verb), n)
			if strings.Contains(flags, "#") && verb == 'o' {
				out = strings.Replace(out, "0", "0o", 1)
			}
		case 'f', 'F', 'e', 'E', 'g', 'G':
			x, ok := number(v)
			if !ok {
				return "", typeErr("must be real number, not %s", typeName(v))
			}
			if !hasPrec {
				spec += ".6"
			}
			out = fmt.Sprintf(spec+string(verb), x)
			if (verb == 'g' || verb == 'G') && !hasPrec {
				out = fmt.Sprintf("%"+flags+width+string(verb), x)
				if strings.ContainsAny(out, "eE") {
					out = fmt.Sprintf("%"+flags+width+".6"+string(verb), x)
				}
			}
			if math.IsInf(x, 0) || math.IsNaN(x) {
				out = strings.NewReplacer("+Inf", "inf", "-Inf", "-inf", "Inf", "inf", "NaN", "nan").Replace(out)
			}
		case 'c':
			switch x := v.(type) {
			case string:
				if utf8.RuneCountInString(x) != 1 {
					return "", typeErr("%%c requires int or char")
				}
				out = x
			default:
				n, ok := asInt(v)
				if !ok || n < 0 || n > utf8.MaxRune {
					return "", typeErr("%%c requires int or char")
				}
				out = string(rune(n))
			}
		default:
			return "", typeErr("unsupported format character '%c'", verb)
		}
		b.WriteString(out)
	}
	if named == nil && next < len(pos) {
		return "", typeErr("not all arguments converted during string formatting")
	}
	return b.String(), nil
}

func precStr(has bool, p int) string {
	if !has {
		return ""
	}
	return "." + strconv.Itoa(p)
}

func intFor(v value) (int64, error) {
	switch x := v.(type) {
	case bool, int64:
		n, _ := asInt(x)
		return n, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, typeErr("cannot convert float to integer")
		}
		return int64(x), nil
	}
	return 0, typeErr("%%d format: a real number is required, not %s", typeName(v))
}

// strFormat is Python's str.format for the forms templates use: {} {0}
// {name} and {name.attr} / {name[key]}, with a format spec of
// [[fill]align][sign][0][width][,][.precision][type].
func strFormat(f string, args []value, kw *dict, maxLen int) (string, error) {
	var b strings.Builder
	auto := 0
	for i := 0; i < len(f); i++ {
		if b.Len() > maxLen {
			return "", &Error{Kind: ErrLimit, Msg: "formatted string too long"}
		}
		c := f[i]
		if c == '}' {
			if i+1 < len(f) && f[i+1] == '}' {
				i++
			}
			b.WriteByte('}')
			continue
		}
		if c != '{' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(f) && f[i+1] == '{' {
			b.WriteByte('{')
			i++
			continue
		}
		end := strings.IndexByte(f[i:], '}')
		if end < 0 {
			return "", typeErr("Single '{' encountered in format string")
		}
		field := f[i+1 : i+end]
		i += end
		name, spec, _ := strings.Cut(field, ":")
		name, conv, _ := strings.Cut(name, "!")
		head := name
		rest := ""
		if k := strings.IndexAny(name, ".["); k >= 0 {
			head, rest = name[:k], name[k:]
		}
		var v value
		switch {
		case head == "":
			if auto >= len(args) {
				return "", typeErr("Replacement index %d out of range for positional args tuple", auto)
			}
			v = args[auto]
			auto++
		case head[0] >= '0' && head[0] <= '9':
			n, err := strconv.Atoi(head)
			if err != nil || n >= len(args) {
				return "", typeErr("Replacement index %s out of range for positional args tuple", head)
			}
			v = args[n]
		default:
			x, ok := kw.get(head)
			if !ok {
				return "", typeErr("KeyError: %s", pyReprString(head))
			}
			v = x
		}
		for rest != "" {
			var err error
			if rest[0] == '.' {
				k := strings.IndexAny(rest[1:], ".[")
				attr := rest[1:]
				if k >= 0 {
					attr = rest[1 : k+1]
				}
				rest = rest[1+len(attr):]
				if v, err = getAttr(v, attr); err != nil {
					return "", err
				}
			} else {
				k := strings.IndexByte(rest, ']')
				if k < 0 {
					return "", typeErr("Missing ']' in format string")
				}
				key := rest[1:k]
				rest = rest[k+1:]
				var kv value = key
				if n, err := strconv.ParseInt(key, 10, 64); err == nil {
					kv = n
				}
				if v, err = getItem(v, kv); err != nil {
					return "", err
				}
			}
		}
		if conv == "r" || conv == "a" {
			v = repr(v)
		} else if conv == "s" {
			v = str(v)
		}
		out, err := formatSpec(v, spec, maxLen)
		if err != nil {
			return "", err
		}
		b.WriteString(out)
	}
	return b.String(), nil
}

func formatSpec(v value, spec string, maxLen int) (string, error) {
	if spec == "" {
		return boundedStr(v, maxLen)
	}
	fill, align := " ", byte(0)
	if len(spec) >= 2 && strings.IndexByte("<>^=", spec[1]) >= 0 {
		r, sz := utf8.DecodeRuneInString(spec)
		if sz < len(spec) && strings.IndexByte("<>^=", spec[sz]) >= 0 {
			fill, align, spec = string(r), spec[sz], spec[sz+1:]
		}
	} else if len(spec) >= 1 && strings.IndexByte("<>^=", spec[0]) >= 0 {
		align, spec = spec[0], spec[1:]
	}
	sign := ""
	if spec != "" && strings.IndexByte("+- ", spec[0]) >= 0 {
		sign, spec = spec[:1], spec[1:]
	}
	alt := false
	if spec != "" && spec[0] == '#' {
		alt, spec = true, spec[1:]
	}
	if spec != "" && spec[0] == '0' {
		if align == 0 {
			fill, align = "0", '='
		}
		spec = spec[1:]
	}
	j := 0
	for j < len(spec) && spec[j] >= '0' && spec[j] <= '9' {
		j++
	}
	width, _ := strconv.Atoi(spec[:j])
	if width > maxLen {
		return "", &Error{Kind: ErrLimit, Msg: "format width too large"}
	}
	spec = spec[j:]
	comma := false
	if spec != "" && (spec[0] == ',' || spec[0] == '_') {
		comma, spec = true, spec[1:]
	}
	prec := -1
	if spec != "" && spec[0] == '.' {
		k := 1
		for k < len(spec) && spec[k] >= '0' && spec[k] <= '9' {
			k++
		}
		prec, _ = strconv.Atoi(spec[1:k])
		if prec > 1000 {
			return "", &Error{Kind: ErrLimit, Msg: "format precision too large"}
		}
		spec = spec[k:]
	}
	typ := byte(0)
	if spec != "" {
		typ = spec[0]
	}
	var body string
	numeric := false
	switch typ {
	case 0, 's':
		if _, ok := number(v); ok && typ == 0 {
			numeric = true
			if f, isF := v.(float64); isF && prec >= 0 {
				body = strconv.FormatFloat(f, 'g', prec, 64)
			} else {
				body = str(v)
			}
			break
		}
		s, err := boundedStr(v, maxLen)
		if err != nil {
			return "", err
		}
		if prec >= 0 && utf8.RuneCountInString(s) > prec {
			s = string([]rune(s)[:prec])
		}
		body = s
		if align == 0 {
			align = '<'
		}
	case 'd', 'n':
		n, ok := asInt(v)
		if !ok {
			return "", typeErr("Unknown format code 'd' for object of type '%s'", typeName(v))
		}
		numeric, body = true, strconv.FormatInt(n, 10)
	case 'f', 'F', 'e', 'E', 'g', 'G', '%':
		x, ok := number(v)
		if !ok {
			return "", typeErr("Unknown format code '%c' for object of type '%s'", typ, typeName(v))
		}
		if prec < 0 {
			prec = 6
		}
		numeric = true
		switch typ {
		case '%':
			body = strconv.FormatFloat(x*100, 'f', prec, 64) + "%"
		case 'F':
			body = strconv.FormatFloat(x, 'f', prec, 64)
		default:
			body = fmt.Sprintf("%."+strconv.Itoa(prec)+string(typ), x)
		}
	case 'x', 'X', 'o', 'b':
		n, ok := asInt(v)
		if !ok {
			return "", typeErr("Unknown format code '%c' for object of type '%s'", typ, typeName(v))
		}
		numeric = true
		base := map[byte]int{'x': 16, 'X': 16, 'o': 8, 'b': 2}[typ]
		body = strconv.FormatInt(n, base)
		if typ == 'X' {
			body = strings.ToUpper(body)
		}
		if alt {
			neg := strings.HasPrefix(body, "-")
			body = strings.TrimPrefix(body, "-")
			body = "0" + string(typ) + body
			if neg {
				body = "-" + body
			}
		}
	default:
		return "", typeErr("Unknown format code '%c'", typ)
	}
	neg := false
	if numeric {
		if strings.HasPrefix(body, "-") {
			neg, body = true, body[1:]
		}
		if comma {
			intPart, frac, _ := strings.Cut(body, ".")
			var g []string
			for len(intPart) > 3 {
				g = append([]string{intPart[len(intPart)-3:]}, g...)
				intPart = intPart[:len(intPart)-3]
			}
			g = append([]string{intPart}, g...)
			body = strings.Join(g, ",")
			if frac != "" {
				body += "." + frac
			}
		}
		if align == 0 {
			align = '>'
		}
	}
	prefix := ""
	switch {
	case neg:
		prefix = "-"
	case sign == "+":
		prefix = "+"
	case sign == " ":
		prefix = " "
	}
	n := utf8.RuneCountInString(prefix + body)
	pad := ""
	if width > n {
		pad = strings.Repeat(fill, width-n)
	}
	switch align {
	case '<':
		return prefix + body + pad, nil
	case '^':
		l := len([]rune(pad)) / 2
		rp := []rune(pad)
		return string(rp[:l]) + prefix + body + string(rp[l:]), nil
	case '=':
		return prefix + pad + body, nil
	}
	return pad + prefix + body, nil
}
