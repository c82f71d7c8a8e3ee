package vector

import (
	"math"
	"strings"
)

// ParseTransform parses an SVG transform list (SVG 1.1 §7.6): matrix, translate, scale,
// rotate (with optional centre), skewX, skewY, separated by whitespace and/or commas.
func ParseTransform(s string) (Matrix, error) {
	m := Identity
	p := pathParser{s: s}
	for {
		p.skipSep()
		if p.i >= len(p.s) {
			return m, nil
		}
		j := p.i
		for j < len(p.s) && p.s[j] >= 'a' && p.s[j] <= 'z' || j < len(p.s) && (p.s[j] == 'X' || p.s[j] == 'Y') {
			j++
		}
		name := p.s[p.i:j]
		p.i = j
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != '(' {
			return m, errf(ErrSyntax, p.i, "expected ( after %q", name)
		}
		p.i++
		var args []float64
		for p.atNumber() {
			v, err := p.number()
			if err != nil {
				return m, err
			}
			if len(args) == 6 {
				return m, errf(ErrSyntax, p.i, "too many arguments to %s", name)
			}
			args = append(args, v)
		}
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return m, errf(ErrSyntax, p.i, "expected ) to close %s", name)
		}
		p.i++
		n := len(args)
		bad := func() (Matrix, error) {
			return m, errf(ErrSyntax, p.i, "%s takes a different number of arguments than %d", name, n)
		}
		var t Matrix
		switch strings.ToLower(name) {
		case "matrix":
			if n != 6 {
				return bad()
			}
			t = Matrix{args[0], args[1], args[2], args[3], args[4], args[5]}
		case "translate":
			if n != 1 && n != 2 {
				return bad()
			}
			t = Identity
			t.E = args[0]
			if n == 2 {
				t.F = args[1]
			}
		case "scale":
			if n != 1 && n != 2 {
				return bad()
			}
			t = Matrix{A: args[0], D: args[0]}
			if n == 2 {
				t.D = args[1]
			}
		case "rotate":
			if n != 1 && n != 3 {
				return bad()
			}
			a := args[0] * math.Pi / 180
			t = Matrix{A: math.Cos(a), B: math.Sin(a), C: -math.Sin(a), D: math.Cos(a)}
			if n == 3 { // rotate about (cx, cy) = translate(cx,cy) rotate(a) translate(-cx,-cy)
				cx, cy := args[1], args[2]
				t = Matrix{A: 1, D: 1, E: cx, F: cy}.Mul(t).Mul(Matrix{A: 1, D: 1, E: -cx, F: -cy})
			}
		case "skewx":
			if n != 1 {
				return bad()
			}
			t = Matrix{A: 1, C: math.Tan(args[0] * math.Pi / 180), D: 1}
		case "skewy":
			if n != 1 {
				return bad()
			}
			t = Matrix{A: 1, B: math.Tan(args[0] * math.Pi / 180), D: 1}
		default:
			return m, errf(ErrSyntax, p.i, "unknown transform %q", name)
		}
		m = m.Mul(t)
	}
}
