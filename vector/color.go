package vector

import (
	"math"
	"strings"
)

// RGBA is a straight (not premultiplied) color with components in [0, 1].
type RGBA struct{ R, G, B, A float64 }

// ParseColor parses an SVG/CSS color: #rgb, #rgba, #rrggbb, #rrggbbaa, rgb(), rgba() (numbers
// or percentages), hsl(), hsla(), a keyword from the SVG 1.1 list, a CSS system color (as
// Chromium's light theme draws them), or "none"/"transparent" (ok=false, err=nil).
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
			if i > 0 && i < 3 && pct != strings.HasSuffix(f[0], "%") {
				// CSS: the three color components are all numbers or all percentages.
				return c, false, errf(ErrSyntax, -1, "rgb() mixes numbers and percentages: %q", s)
			}
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
	case strings.HasPrefix(ls, "hsl(") || strings.HasPrefix(ls, "hsla("):
		return parseHSL(s, ls)
	}
	if v, okn := systemColors[ls]; okn {
		return RGBA{float64(v>>16&255) / 255, float64(v>>8&255) / 255, float64(v&255) / 255, 1}, true, nil
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

// parseHSL reads hsl()/hsla(): hue in degrees (deg, rad, turn or a bare number), saturation
// and lightness percentages, optional alpha (CSS Color 4 §7).
func parseHSL(s, ls string) (RGBA, bool, error) {
	open, close := strings.IndexByte(ls, '('), strings.LastIndexByte(ls, ')')
	if close < open {
		return RGBA{}, false, errf(ErrSyntax, -1, "unclosed %q", s)
	}
	f := strings.Fields(strings.NewReplacer(",", " ", "/", " ").Replace(ls[open+1 : close]))
	if len(f) != 3 && len(f) != 4 {
		return RGBA{}, false, errf(ErrSyntax, -1, "hsl() needs 3 or 4 components: %q", s)
	}
	var v [4]float64
	v[3] = 1
	for i, t := range f {
		unit := ""
		for _, u := range []string{"deg", "rad", "turn", "%"} {
			if strings.HasSuffix(t, u) {
				unit, t = u, strings.TrimSuffix(t, u)
				break
			}
		}
		x, n, err := scanNumber(t)
		if err != nil || n != len(t) {
			return RGBA{}, false, errf(ErrSyntax, -1, "bad component %q in %q", t, s)
		}
		switch unit {
		case "rad":
			x *= 180 / math.Pi
		case "turn":
			x *= 360
		case "%":
			x /= 100
		}
		v[i] = x
	}
	h := math.Mod(v[0], 360)
	if h < 0 {
		h += 360
	}
	sat, l := clamp01(v[1]), clamp01(v[2])
	c := (1 - math.Abs(2*l-1)) * sat
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	m := l - c/2
	var r, g, b float64
	switch {
	case h < 60:
		r, g, b = c, x, 0
	case h < 120:
		r, g, b = x, c, 0
	case h < 180:
		r, g, b = 0, c, x
	case h < 240:
		r, g, b = 0, x, c
	case h < 300:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	return RGBA{r + m, g + m, b + m, clamp01(v[3])}, true, nil
}

// systemColors are the CSS system color keywords (CSS Color 4 §6.2) with the values of
// Chromium's light theme.
var systemColors = map[string]uint32{
	"canvas": 0xffffff, "canvastext": 0x000000, "linktext": 0x0000ee, "visitedtext": 0x551a8b,
	"activetext": 0xff0000, "buttonface": 0xefefef, "buttontext": 0x000000, "buttonborder": 0x767676,
	"field": 0xffffff, "fieldtext": 0x000000, "highlight": 0x3390ff, "highlighttext": 0xffffff,
	"graytext": 0x808080, "mark": 0xffff00, "marktext": 0x000000, "window": 0xffffff, "windowtext": 0x000000,
}
