package vector

import (
	"strings"
)

// RGBA is a straight (not premultiplied) color with components in [0, 1].
type RGBA struct{ R, G, B, A float64 }

// ParseColor parses an SVG/CSS color: #rgb, #rgba, #rrggbb, #rrggbbaa, rgb(), rgba() (numbers
// or percentages), a keyword from the SVG 1.1 list, or "none" (ok=false, err=nil).
func ParseColor(s string) (c RGBA, ok bool, err error) {
	s = strings.TrimSpace(s)
	ls := strings.ToLower(s)
	switch {
	case ls == "none" || ls == "transparent":
		return RGBA{}, false, nil
	case strings.HasPrefix(ls, "#"):
		h := ls[1:]
		var v [8]float64
		n := len(h)
		if n != 3 && n != 4 && n != 6 && n != 8 {
			return c, false, errf(ErrSyntax, -1, "hex color %q needs 3, 4, 6 or 8 digits", s)
		}
		for i := 0; i < n; i++ {
			d, okd := hexDigit(h[i])
			if !okd {
				return c, false, errf(ErrSyntax, -1, "bad hex digit in color %q", s)
			}
			v[i] = float64(d)
		}
		ch := func(i int) float64 {
			if n <= 4 {
				return v[i] * 17 / 255 // #abc = #aabbcc
			}
			return (v[2*i]*16 + v[2*i+1]) / 255
		}
		c = RGBA{ch(0), ch(1), ch(2), 1}
		if n == 4 || n == 8 {
			c.A = ch(3)
		}
		return c, true, nil
	case strings.HasPrefix(ls, "rgb(") || strings.HasPrefix(ls, "rgba("):
		open, close := strings.IndexByte(ls, '('), strings.LastIndexByte(ls, ')')
		if close < open {
			return c, false, errf(ErrSyntax, -1, "unclosed %q", s)
		}
		body := strings.NewReplacer(",", " ", "/", " ").Replace(ls[open+1 : close])
		f := strings.Fields(body)
		if len(f) != 3 && len(f) != 4 {
			return c, false, errf(ErrSyntax, -1, "rgb() needs 3 or 4 components: %q", s)
		}
		var comp [4]float64
		comp[3] = 1
		for i, t := range f {
			pct := strings.HasSuffix(t, "%")
			t = strings.TrimSuffix(t, "%")
			x, n, err := scanNumber(t)
			if err != nil || n != len(t) {
				return c, false, errf(ErrSyntax, -1, "bad component %q in %q", t, s)
			}
			switch {
			case pct:
				x /= 100
			case i < 3:
				x /= 255
			}
			comp[i] = clamp01(x)
		}
		return RGBA{comp[0], comp[1], comp[2], comp[3]}, true, nil
	}
	if v, okn := namedColors[ls]; okn {
		return RGBA{float64(v>>16&255) / 255, float64(v>>8&255) / 255, float64(v&255) / 255, 1}, true, nil
	}
	return c, false, errf(ErrSyntax, -1, "unknown color %q", s)
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func clamp01(x float64) float64 {
	if !(x > 0) { // also NaN
		return 0
	}
	if x > 1 {
		return 1
	}
	return x
}

// Hex returns #rrggbb for the color's RGB.
func (c RGBA) Hex() string {
	const digits = "0123456789abcdef"
	b := []byte("#000000")
	for i, v := range []float64{c.R, c.G, c.B} {
		q := int(clamp01(v)*255 + 0.5)
		b[1+2*i], b[2+2*i] = digits[q>>4], digits[q&15]
	}
	return string(b)
}
