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
// opacity when below 1 and fill-rule="evenodd" when set.
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
		b.WriteString("\n<path id=\"layer-" + id + "\" data-layer=\"" + id + "\" fill=\"" + l.Fill.Hex() + "\"")
		if a := clamp01(l.Fill.A); a < 1 {
			b.WriteString(` fill-opacity="`)
			fmtNum(&b, a, 4)
			b.WriteByte('"')
		}
		if l.EvenOdd {
			b.WriteString(` fill-rule="evenodd"`)
		}
		b.WriteString(` d="` + PathData(l.Subpaths) + `"/>`)
	}
	b.WriteString("\n</svg>\n")
	return b.Bytes()
}
