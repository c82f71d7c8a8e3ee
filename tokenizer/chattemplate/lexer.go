package chattemplate

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The lexer follows jinja2 3.1's Lexer.tokeniter with the settings Hugging
// Face uses for chat templates (trim_blocks=True, lstrip_blocks=True,
// keep_trailing_newline=False): template text and the tags between it are
// cut the same way, so the whitespace that reaches the output is the same.

type tokKind int

const (
	tkEOF      tokKind = iota
	tkText             // template data between tags
	tkVarBeg           // {{
	tkVarEnd           // }}
	tkBlockBeg         // {%
	tkBlockEnd         // %}
	tkName
	tkString
	tkInt
	tkFloat
	tkOp
)

type token struct {
	kind tokKind
	val  string // text, name, operator, decoded string literal, number literal
	pos  pos
}

// pos is a 1-based line and column (in characters) in the template source.
type pos struct{ line, col int }

// normalizeNewlines turns \r\n and \r into \n and drops one trailing
// newline, as jinja2 does before lexing (keep_trailing_newline=False).
func normalizeNewlines(src string) string {
	if strings.ContainsRune(src, '\r') {
		src = strings.ReplaceAll(src, "\r\n", "\n")
		src = strings.ReplaceAll(src, "\r", "\n")
	}
	return strings.TrimSuffix(src, "\n")
}

// isPySpace reports whether r is whitespace for Python's str.isspace and
// for the \s of Python's re on str patterns.
func isPySpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x1f, 0x85:
		return true
	}
	if r < 0x80 {
		return false
	}
	return unicode.IsSpace(r) || unicode.Is(unicode.Zs, r) || r == 0x2028 || r == 0x2029
}

func pyRStrip(s string) string { return strings.TrimRightFunc(s, isPySpace) }

type lexer struct {
	src    string
	i      int
	line   int
	col    int
	toks   []token
	maxTok int
}

func (lx *lexer) here() pos { return pos{lx.line, lx.col} }

// advance moves over n bytes, keeping line and column.
func (lx *lexer) advance(n int) {
	end := lx.i + n
	for lx.i < end {
		r, sz := utf8.DecodeRuneInString(lx.src[lx.i:])
		if r == '\n' {
			lx.line++
			lx.col = 1
		} else {
			lx.col++
		}
		lx.i += sz
	}
}

func (lx *lexer) emit(t token) error {
	if len(lx.toks) >= lx.maxTok {
		return &Error{Kind: ErrLimit, Line: t.pos.line, Col: t.pos.col, Msg: "template has too many tokens"}
	}
	lx.toks = append(lx.toks, t)
	return nil
}

func lex(src string, maxTokens int) ([]token, error) {
	lx := &lexer{src: normalizeNewlines(src), line: 1, col: 1, maxTok: maxTokens}
	lineStarting := true
	for lx.i < len(lx.src) {
		rest := lx.src[lx.i:]
		open := findOpener(rest)
		if open < 0 {
			if err := lx.emit(token{kind: tkText, val: rest, pos: lx.here()}); err != nil {
				return nil, err
			}
			lx.advance(len(rest))
			break
		}
		text := rest[:open]
		kindCh := rest[open+1]
		sign := byte(0)
		if open+2 < len(rest) && (rest[open+2] == '-' || rest[open+2] == '+') {
			sign = rest[open+2]
		}
		switch {
		case sign == '-':
			text = pyRStrip(text)
		case sign != '+' && kindCh != '{':
			// lstrip_blocks: drop the spaces and tabs between the start of
			// the line and a block or comment tag.
			lpos := strings.LastIndexByte(text, '\n') + 1
			if lpos > 0 || lineStarting {
				tail := text[lpos:]
				if tail != "" && strings.TrimFunc(tail, isPySpace) == "" {
					text = text[:lpos]
				}
			}
		}
		if text != "" {
			if err := lx.emit(token{kind: tkText, val: text, pos: lx.here()}); err != nil {
				return nil, err
			}
		}
		lx.advance(open)
		tagPos := lx.here()
		openLen := 2
		if sign != 0 {
			openLen = 3
		}
		lx.advance(openLen)
		var err error
		switch kindCh {
		case '#':
			lineStarting, err = lx.comment(tagPos)
		case '{':
			if err = lx.emit(token{kind: tkVarBeg, pos: tagPos}); err == nil {
				lineStarting, err = lx.tagBody("}}", tkVarEnd, tagPos, false)
			}
		case '%':
			if lx.isRaw() {
				lineStarting, err = lx.raw(tagPos)
			} else if err = lx.emit(token{kind: tkBlockBeg, pos: tagPos}); err == nil {
				lineStarting, err = lx.tagBody("%}", tkBlockEnd, tagPos, true)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if err := lx.emit(token{kind: tkEOF, pos: lx.here()}); err != nil {
		return nil, err
	}
	return lx.toks, nil
}

func findOpener(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '{' && (s[i+1] == '{' || s[i+1] == '%' || s[i+1] == '#') {
			return i
		}
	}
	return -1
}

// closeTag consumes the end delimiter at lx.i (with its optional -/+ sign
// already checked by the caller) and the whitespace control after it. It
// reports whether the consumed text ended in a newline (jinja2's
// line_starting, which lets lstrip_blocks act on the next tag).
func (lx *lexer) closeTag(sign byte, delim string, trim bool) bool {
	n := len(delim)
	if sign != 0 {
		n++
	}
	lx.advance(n)
	last := delim[len(delim)-1]
	switch {
	case sign == '-':
		rest := lx.src[lx.i:]
		ws := len(rest) - len(strings.TrimLeftFunc(rest, isPySpace))
		if ws > 0 {
			last = rest[ws-1]
		}
		lx.advance(ws)
	case sign == '+':
	case trim && lx.i < len(lx.src) && lx.src[lx.i] == '\n':
		// trim_blocks: the first newline after a block or comment tag.
		lx.advance(1)
		last = '\n'
	}
	return last == '\n'
}

func (lx *lexer) comment(at pos) (bool, error) {
	for j := lx.i; j+1 < len(lx.src); j++ {
		var sign byte
		k := j
		if lx.src[k] == '-' || lx.src[k] == '+' {
			sign = lx.src[k]
			k++
		}
		if k+1 < len(lx.src) && lx.src[k] == '#' && lx.src[k+1] == '}' {
			lx.advance(j - lx.i)
			return lx.closeTag(sign, "#}", true), nil
		}
	}
	return false, &Error{Kind: ErrSyntax, Line: at.line, Col: at.col, Msg: "missing end of comment tag"}
}

// isRaw reports whether the block tag just opened is {% raw %}.
func (lx *lexer) isRaw() bool {
	rest := strings.TrimLeftFunc(lx.src[lx.i:], isPySpace)
	if !strings.HasPrefix(rest, "raw") {
		return false
	}
	rest = strings.TrimLeftFunc(rest[3:], isPySpace)
	return strings.HasPrefix(rest, "%}") || strings.HasPrefix(rest, "-%}") || strings.HasPrefix(rest, "+%}")
}

// raw copies everything up to {% endraw %} as text.
func (lx *lexer) raw(at pos) (bool, error) {
	rest := lx.src[lx.i:]
	end := strings.Index(rest, "%}")
	sign := byte(0)
	if end > 0 && (rest[end-1] == '-' || rest[end-1] == '+') {
		sign = rest[end-1]
		end--
	}
	lx.advance(end)
	lx.closeTag(sign, "%}", true)
	body := lx.src[lx.i:]
	for j := 0; j+1 < len(body); j++ {
		if body[j] != '{' || body[j+1] != '%' {
			continue
		}
		k := j + 2
		innerSign := byte(0)
		if k < len(body) && (body[k] == '-' || body[k] == '+') {
			innerSign = body[k]
			k++
		}
		t := strings.TrimLeftFunc(body[k:], isPySpace)
		if !strings.HasPrefix(t, "endraw") {
			continue
		}
		t2 := strings.TrimLeftFunc(t[6:], isPySpace)
		closeSign := byte(0)
		if strings.HasPrefix(t2, "-") || strings.HasPrefix(t2, "+") {
			closeSign = t2[0]
			t2 = t2[1:]
		}
		if !strings.HasPrefix(t2, "%}") {
			continue
		}
		text := body[:j]
		if innerSign == '-' {
			text = pyRStrip(text)
		}
		if text != "" {
			if err := lx.emit(token{kind: tkText, val: text, pos: lx.here()}); err != nil {
				return false, err
			}
		}
		closeAt := len(body) - len(t2)
		if closeSign != 0 {
			closeAt--
		}
		lx.advance(closeAt)
		return lx.closeTag(closeSign, "%}", true), nil
	}
	return false, &Error{Kind: ErrSyntax, Line: at.line, Col: at.col, Msg: "missing end of raw directive"}
}

var operators = []string{"//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"}

// tagBody lexes the expression tokens of a {{ }} or {% %} tag up to its end
// delimiter; like jinja2 the delimiter only counts outside brackets.
func (lx *lexer) tagBody(delim string, endKind tokKind, at pos, trim bool) (bool, error) {
	var depth []byte
	for {
		rest := lx.src[lx.i:]
		ws := len(rest) - len(strings.TrimLeftFunc(rest, isPySpace))
		lx.advance(ws)
		rest = lx.src[lx.i:]
		if rest == "" {
			what := "variable"
			if endKind == tkBlockEnd {
				what = "block"
			}
			return false, &Error{Kind: ErrSyntax, Line: at.line, Col: at.col, Msg: "unexpected end of template, expected end of " + what + " tag"}
		}
		if len(depth) == 0 {
			sign := byte(0)
			r := rest
			if r[0] == '-' || r[0] == '+' {
				sign = r[0]
				r = r[1:]
			}
			if strings.HasPrefix(r, delim) {
				p := lx.here()
				ls := lx.closeTag(sign, delim, trim)
				return ls, lx.emit(token{kind: endKind, pos: p})
			}
		}
		p := lx.here()
		c := rest[0]
		switch {
		case c == '\'' || c == '"':
			s, n, ok := lexString(rest)
			if !ok {
				return false, &Error{Kind: ErrSyntax, Line: p.line, Col: p.col, Msg: "unterminated string"}
			}
			if err := lx.emit(token{kind: tkString, val: s, pos: p}); err != nil {
				return false, err
			}
			lx.advance(n)
		case c >= '0' && c <= '9':
			kind, n := lexNumber(rest)
			if err := lx.emit(token{kind: kind, val: rest[:n], pos: p}); err != nil {
				return false, err
			}
			lx.advance(n)
		case c == '_' || c >= 0x80 || unicode.IsLetter(rune(c)):
			n := 0
			for n < len(rest) {
				r, sz := utf8.DecodeRuneInString(rest[n:])
				if r == '_' || unicode.IsLetter(r) || (n > 0 && (unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))) {
					n += sz
					continue
				}
				break
			}
			if n == 0 {
				return false, &Error{Kind: ErrSyntax, Line: p.line, Col: p.col, Msg: "unexpected char " + quoteChar(rest)}
			}
			if err := lx.emit(token{kind: tkName, val: rest[:n], pos: p}); err != nil {
				return false, err
			}
			lx.advance(n)
		default:
			op := ""
			for _, o := range operators {
				if strings.HasPrefix(rest, o) {
					op = o
					break
				}
			}
			if op == "" {
				return false, &Error{Kind: ErrSyntax, Line: p.line, Col: p.col, Msg: "unexpected char " + quoteChar(rest)}
			}
			switch op {
			case "(", "[", "{":
				if len(depth) > maxNesting {
					return false, &Error{Kind: ErrLimit, Line: p.line, Col: p.col, Msg: "brackets nested too deeply"}
				}
				depth = append(depth, map[string]byte{"(": ')', "[": ']', "{": '}'}[op])
			case ")", "]", "}":
				if len(depth) == 0 {
					return false, &Error{Kind: ErrSyntax, Line: p.line, Col: p.col, Msg: "unexpected '" + op + "'"}
				}
				want := depth[len(depth)-1]
				if want != op[0] {
					return false, &Error{Kind: ErrSyntax, Line: p.line, Col: p.col, Msg: "unexpected '" + op + "', expected '" + string(want) + "'"}
				}
				depth = depth[:len(depth)-1]
			}
			if err := lx.emit(token{kind: tkOp, val: op, pos: p}); err != nil {
				return false, err
			}
			lx.advance(len(op))
		}
	}
}

func quoteChar(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	return "'" + string(r) + "'"
}

// lexNumber scans an integer or float literal (jinja2's integer_re and
// float_re, decimal forms with optional _ separators).
func lexNumber(s string) (tokKind, int) {
	digits := func(i int) int {
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '_' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9') {
			i++
		}
		return i
	}
	n := digits(0)
	kind := tkInt
	if n+1 < len(s) && s[n] == '.' && s[n+1] >= '0' && s[n+1] <= '9' {
		n = digits(n + 1)
		kind = tkFloat
	}
	if n < len(s) && (s[n] == 'e' || s[n] == 'E') {
		j := n + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			n = digits(j)
			kind = tkFloat
		}
	}
	return kind, n
}

// lexString scans a quoted literal and decodes it the way jinja2 does
// (Python's "unicode-escape" codec over the text between the quotes).
func lexString(s string) (string, int, bool) {
	q := s[0]
	i := 1
	for i < len(s) {
		switch s[i] {
		case '\\':
			i += 2
			continue
		case q:
			return unescape(s[1:i]), i + 1, true
		}
		i++
	}
	return "", 0, false
}

func unescape(s string) string {
	if !strings.ContainsRune(s, '\\') {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case '\n':
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'a':
			b.WriteByte(7)
		case 'b':
			b.WriteByte(8)
		case 'f':
			b.WriteByte(12)
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte(11)
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v, j := 0, i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				v = v*8 + int(s[j]-'0')
				j++
			}
			b.WriteRune(rune(v))
			i = j - 1
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if v, ok := hexN(s[i+1:], n); ok && utf8.ValidRune(rune(v)) {
				b.WriteRune(rune(v))
				i += n
			} else {
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return b.String()
}

func hexN(s string, n int) (int, bool) {
	if len(s) < n {
		return 0, false
	}
	v := 0
	for i := 0; i < n; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			v = v*16 + int(c-'0')
		case c >= 'a' && c <= 'f':
			v = v*16 + int(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v*16 + int(c-'A'+10)
		default:
			return 0, false
		}
	}
	return v, true
}
