package vector

import (
	"bytes"
	"math"
	"strconv"
)

// coordDigits is the number of decimals written for coordinates: 1/1000 of a user unit is
// 1/36000 of a Twemoji's width, far below a rendered pixel.
const coordDigits = 3

func fmtNum(b *bytes.Buffer, v float64, digits int) {
	if v == 0 || math.Abs(v) < 0.5*math.Pow(10, -float64(digits)) {
		b.WriteByte('0')
		return
	}
	s := strconv.FormatFloat(v, 'f', digits, 64)
	if bytes.IndexByte([]byte(s), '.') >= 0 {
		for s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
		s = trimSuffixByte(s, '.')
	}
	b.WriteString(s)
}

func trimSuffixByte(s string, c byte) string {
	if len(s) > 0 && s[len(s)-1] == c {
		return s[:len(s)-1]
	}
	return s
}

// PathData writes subpaths as absolute "M x y C … Z" path data.
func PathData(subs []Subpath) string {
	var b bytes.Buffer
	pt := func(p Point) {
		fmtNum(&b, p.X, coordDigits)
		b.WriteByte(' ')
		fmtNum(&b, p.Y, coordDigits)
	}
	for _, sp := range subs {
		b.WriteByte('M')
		pt(sp.Start)
		b.WriteByte('C')
		for i, s := range sp.Segs {
			if i > 0 {
				b.WriteByte(' ')
			}
			pt(s.C1)
			b.WriteByte(' ')
			pt(s.C2)
			b.WriteByte(' ')
			pt(s.P)
		}
		b.WriteByte('Z')
	}
	return b.String()
}

// WriteSVG writes doc as a minimal SVG: the viewBox, then one <path> per layer in paint order,
// compound subpaths merged into its d, with id="layer-i", data-layer="i", the fill color, its
// opacity when below 1 and fill-rule="evenodd" when set. A layer with a gradient Paint is
// filled with url(#paint-i), a gradient written in userSpaceOnUse coordinates with its
// transform, spread method and stops (opacity in stop-opacity) just before the path.
func WriteSVG(doc *Document) []byte {
	var b bytes.Buffer
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="`)
	for i, v := range doc.ViewBox {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmtNum(&b, v, 6)
	}
	b.WriteString(`">`)
	for i, l := range doc.Layers {
		id := strconv.Itoa(i)
		if l.Paint != nil {
			writeGradient(&b, "paint-"+id, l.Paint)
			b.WriteString("\n<path id=\"layer-" + id + "\" data-layer=\"" + id + "\" fill=\"url(#paint-" + id + ")\"")
		} else {
			b.WriteString("\n<path id=\"layer-" + id + "\" data-layer=\"" + id + "\" fill=\"" + l.Fill.Hex() + "\"")
		}
		if a := clamp01(l.Fill.A); a < 1 && l.Paint == nil {
			b.WriteString(` fill-opacity="`)
			fmtNum(&b, a, 4)
			b.WriteByte('"')
		}
		if l.EvenOdd {
			b.WriteString(` fill-rule="evenodd"`)
		}
		if l.Crisp {
			b.WriteString(` shape-rendering="crispEdges"`)
		}
		b.WriteString(` d="` + PathData(l.Subpaths) + `"/>`)
	}
	b.WriteString("\n</svg>\n")
	return b.Bytes()
}

func writeGradient(b *bytes.Buffer, id string, g *Gradient) {
	n := func(v float64) { fmtNum(b, v, 6) }
	attr := func(name string, v float64) {
		b.WriteString(" " + name + "=\"")
		n(v)
		b.WriteByte('"')
	}
	if g.Radial {
		b.WriteString("\n<radialGradient id=\"" + id + "\" gradientUnits=\"userSpaceOnUse\"")
		attr("cx", g.CX)
		attr("cy", g.CY)
		attr("r", g.R)
		attr("fx", g.FX)
		attr("fy", g.FY)
		if g.FR != 0 {
			attr("fr", g.FR)
		}
	} else {
		b.WriteString("\n<linearGradient id=\"" + id + "\" gradientUnits=\"userSpaceOnUse\"")
		attr("x1", g.X1)
		attr("y1", g.Y1)
		attr("x2", g.X2)
		attr("y2", g.Y2)
	}
	switch g.Spread {
	case SpreadReflect:
		b.WriteString(` spreadMethod="reflect"`)
	case SpreadRepeat:
		b.WriteString(` spreadMethod="repeat"`)
	}
	if g.M != Identity {
		b.WriteString(` gradientTransform="matrix(`)
		for i, v := range [6]float64{g.M.A, g.M.B, g.M.C, g.M.D, g.M.E, g.M.F} {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmtNum(b, v, 9)
		}
		b.WriteString(`)"`)
	}
	b.WriteByte('>')
	for _, s := range g.Stops {
		b.WriteString("<stop")
		attr("offset", s.Offset)
		b.WriteString(` stop-color="` + s.Color.Hex() + `"`)
		if a := clamp01(s.Color.A); a < 1 {
			attr("stop-opacity", a)
		}
		b.WriteString("/>")
	}
	if g.Radial {
		b.WriteString("</radialGradient>")
	} else {
		b.WriteString("</linearGradient>")
	}
}
