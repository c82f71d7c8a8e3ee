package eval

import (
	"image"
	"image/color"
	"image/draw"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/lamina-ml/lamina/vector"
)

// GalleryRow is one row of the gallery: a label, the real drawing (nil: none) and the samples.
type GalleryRow struct {
	Label    string
	Sublabel string
	Real     *vector.Document
	Samples  []*vector.Document
}

// Gallery layout, in pixels. basicfont.Face7x13 is 7 px per character and 13 px per line.
const (
	galleryCell   = 112
	galleryPad    = 6
	galleryLabelW = 238 // 33 characters per line
	galleryHeader = 20
	glyphW        = 7
	lineH         = 13
	maxLabelLines = 6
)

var (
	galleryBG   = color.NRGBA{255, 255, 255, 255}
	galleryGrid = color.NRGBA{220, 220, 220, 255}
	galleryRef  = color.NRGBA{236, 244, 255, 255} // tint behind the real drawing
	galleryInk  = color.NRGBA{0, 0, 0, 255}
	galleryGray = color.NRGBA{110, 110, 110, 255}
)

// Gallery draws rows as a PNG-ready grid: a label column (label, then sublabel in gray),
// the real drawing on a tinted cell when there is one, then one cell per sample; headers
// name the columns.
func Gallery(rows []GalleryRow, headers []string) *image.NRGBA {
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r.Samples)+1)
	}
	w := galleryLabelW + cols*(galleryCell+galleryPad) + galleryPad
	h := galleryHeader + len(rows)*(galleryCell+galleryPad) + galleryPad
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(galleryBG), image.Point{}, draw.Src)
	for c, hd := range headers {
		if c >= cols {
			break
		}
		x := galleryLabelW + c*(galleryCell+galleryPad) + galleryPad
		drawText(img, x, galleryHeader-6, fitText(hd, galleryCell/glyphW), galleryGray)
	}
	for r, row := range rows {
		y := galleryHeader + r*(galleryCell+galleryPad) + galleryPad
		lines := wrap(row.Label, (galleryLabelW-2*galleryPad)/glyphW, maxLabelLines-1)
		for i, ln := range lines {
			drawText(img, galleryPad, y+lineH*(i+1), ln, galleryInk)
		}
		if row.Sublabel != "" {
			drawText(img, galleryPad, y+lineH*(len(lines)+1)+4, fitText(row.Sublabel, (galleryLabelW-2*galleryPad)/glyphW), galleryGray)
		}
		for c := 0; c < cols; c++ {
			x := galleryLabelW + c*(galleryCell+galleryPad) + galleryPad
			cell := image.Rect(x, y, x+galleryCell, y+galleryCell)
			var doc *vector.Document
			bg := galleryBG
			if c == 0 {
				doc, bg = row.Real, galleryRef
			} else if c-1 < len(row.Samples) {
				doc = row.Samples[c-1]
			}
			draw.Draw(img, cell, image.NewUniform(bg), image.Point{}, draw.Src)
			if doc != nil {
				r := vector.Render(doc, galleryCell, galleryCell).NRGBA()
				draw.Draw(img, cell, r, image.Point{}, draw.Over)
			}
			outline(img, cell.Inset(-1), galleryGrid)
		}
	}
	return img
}

func drawText(img *image.NRGBA, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func outline(img *image.NRGBA, r image.Rectangle, c color.NRGBA) {
	for x := r.Min.X; x < r.Max.X; x++ {
		img.SetNRGBA(x, r.Min.Y, c)
		img.SetNRGBA(x, r.Max.Y-1, c)
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		img.SetNRGBA(r.Min.X, y, c)
		img.SetNRGBA(r.Max.X-1, y, c)
	}
}

// fitText cuts s to n characters, marking a cut with "~" (basicfont has ASCII only).
func fitText(s string, n int) string {
	s = ascii(s)
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "~"
}

// ascii replaces every non-ASCII rune with "?" (basicfont draws only printable ASCII;
// Twemoji names are ASCII apart from a few accented place names).
func ascii(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// wrap breaks s into lines of at most n characters at spaces, at most maxLines lines (the
// last one cut with "~" when s is longer).
func wrap(s string, n, maxLines int) []string {
	var lines []string
	cur := ""
	for _, w := range strings.Fields(ascii(s)) {
		for len(w) > n { // a word longer than a line is split
			if cur != "" {
				lines = append(lines, cur)
				cur = ""
			}
			lines = append(lines, w[:n])
			w = w[n:]
		}
		switch {
		case cur == "":
			cur = w
		case len(cur)+1+len(w) <= n:
			cur += " " + w
		default:
			lines = append(lines, cur)
			cur = w
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	if len(lines) > maxLines {
		lines = lines[:maxLines]
		last := lines[maxLines-1]
		if len(last) > n-1 {
			last = last[:n-1]
		}
		lines[maxLines-1] = last + "~"
	}
	return lines
}
