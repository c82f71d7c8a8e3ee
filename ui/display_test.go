package ui

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// Golden images are regenerated with UPDATE_GOLDEN=1 go test ./ui -run TestFrameGolden
// and reviewed as image diffs.
var updateGolden = os.Getenv("UPDATE_GOLDEN") != ""

// goldenChannelTol is the largest per-channel difference (of 255) tolerated against a golden
// image: float rounding may differ across architectures (amd64 FMA vs wasm) by one level on
// anti-aliased edges; goldenBadPixels is how many pixels may exceed it.
const (
	goldenChannelTol = 2
	goldenBadPixels  = 0
)

func TestFrameGolden(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *Editor)
	}{
		{"plain", func(e *Editor) {}},
		{"selected-circle", func(e *Editor) { e.Select(id(e, 1), SelectReplace) }},
		{"moved-rotated", func(e *Editor) {
			e.Select(id(e, 0), SelectReplace)
			_ = e.Nudge(4, 10)
			hp, _ := e.handlePositions(testView)
			r := hp[HandleRotate]
			e.PointerDown(testView, r.X, r.Y, SelectReplace)
			e.PointerMove(testView, r.X+80, r.Y+20, false)
			e.PointerUp()
		}},
		{"hidden-triangle-two-selected", func(e *Editor) {
			_ = e.SetHidden(id(e, 2), true)
			e.Select(id(e, 0), SelectReplace)
			e.Select(id(e, 1), SelectToggle)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := loadShapes(t)
			tc.setup(e)
			img := e.Frame(testView).Rasterize()
			path := filepath.Join("testdata", "golden", tc.name+".png")
			if updateGolden {
				var b bytes.Buffer
				if err := png.Encode(&b, img); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatalf("%v (regenerate with UPDATE_GOLDEN=1)", err)
			}
			defer f.Close()
			want, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if bad := diffPixels(img, want); bad > goldenBadPixels {
				t.Errorf("%d pixels differ from %s by more than %d levels", bad, path, goldenChannelTol)
			}
		})
	}
}

func diffPixels(a *image.NRGBA, b image.Image) int {
	if a.Bounds() != b.Bounds() {
		return a.Bounds().Dx() * a.Bounds().Dy()
	}
	bad := 0
	for y := a.Rect.Min.Y; y < a.Rect.Max.Y; y++ {
		for x := a.Rect.Min.X; x < a.Rect.Max.X; x++ {
			p := a.NRGBAAt(x, y)
			q := color.NRGBAModel.Convert(b.At(x, y)).(color.NRGBA)
			if d(p.R, q.R) > goldenChannelTol || d(p.G, q.G) > goldenChannelTol || d(p.B, q.B) > goldenChannelTol || d(p.A, q.A) > goldenChannelTol {
				bad++
			}
		}
	}
	return bad
}

func d(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// TestFramePixels checks the replay against facts about the drawing, independently of the
// golden files: what color lands at known points of the artboard.
func TestFramePixels(t *testing.T) {
	const k = 236.0 / 36
	at := func(img *image.NRGBA, x, y float64) color.NRGBA {
		return img.NRGBAAt(int(82+x*k), int(32+y*k))
	}
	e := loadShapes(t)
	img := e.Frame(testView).Rasterize()
	for _, tc := range []struct {
		x, y float64
		want color.NRGBA
	}{
		{6, 6, color.NRGBA{0x3b, 0x82, 0xf6, 255}},   // rect
		{22, 20, color.NRGBA{0xef, 0x44, 0x44, 255}}, // circle over nothing
		{33, 3, color.NRGBA{255, 255, 255, 255}},     // artboard
		{-3, 3, color.NRGBA{0xe9, 0xec, 0xf1, 255}},  // outside the artboard
	} {
		if got := at(img, tc.x, tc.y); got != tc.want {
			t.Errorf("(%v,%v) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
	// The triangle is 80 % green over the red circle at (16, 26).
	mix := func(a, b float64) uint8 { return uint8(0.8*a + 0.2*b + 0.5) }
	want := color.NRGBA{mix(0x22, 0xef), mix(0xc5, 0x44), mix(0x5e, 0x44), 255}
	if got := at(img, 16, 26); d(got.R, want.R) > 1 || d(got.G, want.G) > 1 || d(got.B, want.B) > 1 {
		t.Errorf("triangle over circle %v, want %v", got, want)
	}
	_ = e.SetHidden(id(e, 1), true)
	img = e.Frame(testView).Rasterize()
	if got := at(img, 22, 20); got != (color.NRGBA{255, 255, 255, 255}) {
		t.Errorf("hidden circle still drawn: %v", got)
	}
	e.Select(id(e, 0), SelectReplace)
	img = e.Frame(testView).Rasterize()
	if got := at(img, 4, 10); got.B < 0xd0 || got.R > 0x60 {
		t.Errorf("selection outline on the rect's left edge: %v", got)
	}
}
