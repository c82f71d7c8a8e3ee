package eval

import (
	"math"
	"testing"

	"github.com/lamina-ml/lamina/vector"
)

var box = [4]float64{0, 0, 36, 36}

// rect is a closed rectangle subpath x0,y0 → x1,y1 (clockwise on screen).
func rect(x0, y0, x1, y1 float64) vector.Subpath {
	pts := []vector.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
	sp := vector.Subpath{Start: pts[0]}
	for i := range pts {
		a, b := pts[i], pts[(i+1)%4]
		sp.Segs = append(sp.Segs, vector.Segment{
			C1: vector.Point{X: a.X + (b.X-a.X)/3, Y: a.Y + (b.Y-a.Y)/3},
			C2: vector.Point{X: a.X + 2*(b.X-a.X)/3, Y: a.Y + 2*(b.Y-a.Y)/3},
			P:  b,
		})
	}
	return sp
}

func layer(c vector.RGBA, subs ...vector.Subpath) vector.Layer {
	return vector.Layer{Fill: c, Subpaths: subs}
}

func doc(layers ...vector.Layer) *vector.Document {
	return &vector.Document{ViewBox: box, Layers: layers}
}

var (
	red  = vector.RGBA{R: 1, A: 1}
	blue = vector.RGBA{B: 1, A: 1}
)

// iouTol: the rectangles below sit on pixel boundaries of the 32-px raster (36 units = 32 px,
// 18 units = 16 px), so coverage is exact up to float32 sums.
const iouTol = 1e-5

func TestIoU(t *testing.T) {
	left := doc(layer(red, rect(0, 0, 18, 36)))
	right := doc(layer(red, rect(18, 0, 36, 36)))
	full := doc(layer(red, rect(0, 0, 36, 36)))
	fullBlue := doc(layer(blue, rect(0, 0, 36, 36)))
	for _, c := range []struct {
		name    string
		a, b    *vector.Document
		iou     float64
		silhoue float64
	}{
		{"identical", left, left, 1, 1},
		{"disjoint", left, right, 0, 0},
		{"half inside", left, full, 0.5, 0.5},
		// Same coverage, other colour: red (1,0,0) and blue (0,0,1) differ by 2 in L1, so
		// per pixel (3−2)/(3+2).
		{"recoloured", full, fullBlue, 1.0 / 5, 1},
		{"black and white", doc(layer(vector.RGBA{A: 1}, rect(0, 0, 36, 36))), doc(layer(vector.RGBA{R: 1, G: 1, B: 1, A: 1}, rect(0, 0, 36, 36))), 0, 1},
		{"both empty", doc(), doc(), 1, 1},
		{"one empty", doc(), full, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := RasterOf(c.a, RasterSize), RasterOf(c.b, RasterSize)
			if got := IoU(a, b); math.Abs(got-c.iou) > iouTol {
				t.Errorf("IoU = %v, want %v", got, c.iou)
			}
			if got := SilhouetteIoU(a, b); math.Abs(got-c.silhoue) > iouTol {
				t.Errorf("SilhouetteIoU = %v, want %v", got, c.silhoue)
			}
		})
	}
	if got := IoU(make(Raster, 4), make(Raster, 8)); got != 0 {
		t.Errorf("IoU of different sizes = %v, want 0", got)
	}
}

func TestNearestAndDiversity(t *testing.T) {
	left := RasterOf(doc(layer(red, rect(0, 0, 18, 36))), RasterSize)
	right := RasterOf(doc(layer(red, rect(18, 0, 36, 36))), RasterSize)
	top := RasterOf(doc(layer(red, rect(0, 0, 36, 18))), RasterSize)
	if i, v := Nearest(left, []Raster{right, top, left}); i != 2 || math.Abs(v-1) > iouTol {
		t.Errorf("Nearest = %d, %v; want 2, 1", i, v)
	}
	if i, v := Nearest(left, nil); i != -1 || v != 0 {
		t.Errorf("Nearest of nothing = %d, %v", i, v)
	}
	// left ∩ top is a quarter of the box, left ∪ top three quarters: IoU 1/3.
	cases := []struct {
		name           string
		rs             []Raster
		prompts, seeds int
		within, cross  float64
	}{
		{"seeds identical, prompts differ", []Raster{left, left, right, right}, 2, 2, 0, 1},
		{"seeds differ, prompt ignored", []Raster{left, top, left, top}, 2, 2, 2.0 / 3, 0},
		{"one seed", []Raster{left, right}, 2, 1, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := diversity(c.rs, c.prompts, c.seeds)
			if math.Abs(d.MeanPairwise-c.within) > iouTol || math.Abs(d.CrossPrompt-c.cross) > iouTol {
				t.Errorf("diversity %+v, want within %v, cross %v", d, c.within, c.cross)
			}
		})
	}
}

func TestCheckLayer(t *testing.T) {
	open := rect(4, 4, 20, 20)
	open.Segs[3].P = vector.Point{X: 4, Y: 10}
	nan := rect(4, 4, 20, 20)
	nan.Segs[1].C1.X = math.NaN()
	for _, c := range []struct {
		name string
		l    vector.Layer
		want LayerFault
	}{
		{"square", layer(red, rect(4, 4, 20, 20)), FaultNone},
		{"overhang within margin", layer(red, rect(-4, -4, 38, 20)), FaultNone},
		{"speck", layer(red, rect(4, 4, 4.1, 4.1)), FaultDegenerate},
		{"flat", layer(red, rect(4, 4, 30, 4)), FaultDegenerate},
		{"no subpaths", layer(red), FaultDegenerate},
		{"far outside", layer(red, rect(4, 4, 60, 20)), FaultOutside},
		{"open", layer(red, open), FaultOpen},
		{"non-finite", layer(red, nan), FaultNonFinite},
		{"no segments", layer(red, vector.Subpath{Start: vector.Point{X: 1, Y: 1}}), FaultOpen},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := CheckLayer(&c.l, box); got != c.want {
				t.Errorf("CheckLayer = %q, want %q", got, c.want)
			}
		})
	}
}

func TestCheckDrawing(t *testing.T) {
	good := layer(red, rect(4, 4, 20, 20))
	speck := layer(blue, rect(4, 4, 4.1, 4.1))
	for _, c := range []struct {
		name        string
		d           *vector.Document
		slots       int
		ok          bool
		layers, val int
	}{
		{"one good layer", doc(good), 1, true, 1, 1},
		{"empty", doc(), 0, false, 0, 0},
		{"one speck", doc(good, speck), 2, false, 2, 1},
		{"too many slots", doc(good), 49, false, 1, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := CheckDrawing(c.d, c.slots, 48)
			if v.OK != c.ok || v.Layers != c.layers || v.Valid != c.val {
				t.Errorf("CheckDrawing = %+v, want ok %v, %d layers, %d valid", v, c.ok, c.layers, c.val)
			}
		})
	}
}

func TestUsedSlots(t *testing.T) {
	tok := vector.Tokenize(doc(layer(red, rect(4, 4, 20, 20)), layer(blue, rect(2, 2, 8, 8), rect(10, 10, 12, 12))), 6, 4)
	if got := UsedSlots(tok.Data, vector.SlotFields(4)); got != 3 {
		t.Errorf("UsedSlots = %d, want 3", got)
	}
}
