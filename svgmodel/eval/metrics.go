package eval

import (
	"math"

	"github.com/lamina-ml/lamina/vector"
)

// RasterSize is the side of the rasters that novelty and diversity compare: 32 px put about
// one pixel on each Twemoji unit, enough to tell shapes and colour regions apart while a
// nearest-neighbour search over the ~3,200 training drawings stays around a second per
// hundred samples.
const RasterSize = 32

// rasterChannels: per pixel, the coverage split by colour into α·r, α·g, α·b and
// α·(1−r), α·(1−g), α·(1−b); the six sum to 3α.
const rasterChannels = 6

// Raster is a drawing rendered for comparison, (S,S,6) row-major in [0,1]: per pixel the
// coverage α split by colour (see rasterChannels).
type Raster []float32

// RasterOf renders doc at size×size (the viewBox fills the square).
func RasterOf(doc *vector.Document, size int) Raster {
	img := vector.Render(doc, size, size)
	r := make(Raster, 0, size*size*rasterChannels)
	for i := 0; i < len(img.Pix); i += 4 {
		a := img.Pix[i+3]
		c := img.Pix[i : i+3]
		r = append(r, a*c[0], a*c[1], a*c[2], a*(1-c[0]), a*(1-c[1]), a*(1-c[2]))
	}
	return r
}

// IoU is the weighted Jaccard index Σ min(a,b) / Σ max(a,b) over every pixel and channel:
// 1 for identical drawings, 0 for disjoint ones. For two opaque pixels whose colours differ
// by d in L1 (0…3) it is (3−d)/(3+d), so it falls with colour as well as with shape: many
// Twemoji share a silhouette (every face is the same disc), and a coverage-only IoU would
// call all faces copies of each other. Two empty drawings are identical (1). Rasters of
// different sizes compare as 0.
func IoU(a, b Raster) float64 {
	if len(a) != len(b) {
		return 0
	}
	var inter, union float32
	for i, x := range a {
		y := b[i]
		if x < y {
			inter += x
			union += y
		} else {
			inter += y
			union += x
		}
	}
	if union <= 0 {
		return 1
	}
	return float64(inter / union)
}

// SilhouetteIoU is the IoU of the coverage alone (shape, ignoring colour).
func SilhouetteIoU(a, b Raster) float64 {
	if len(a) != len(b) {
		return 0
	}
	var inter, union float32
	for i := 0; i+rasterChannels <= len(a); i += rasterChannels {
		x, y := a[i]+a[i+3], b[i]+b[i+3] // α·r + α·(1−r) = α
		inter += min(x, y)
		union += max(x, y)
	}
	if union <= 0 {
		return 1
	}
	return float64(inter / union)
}

// Nearest returns the index of the raster in refs most similar to r by IoU, and that IoU
// (-1, 0 when refs is empty).
func Nearest(r Raster, refs []Raster) (int, float64) {
	best, bestIoU := -1, -1.0
	for i, ref := range refs {
		if v := IoU(r, ref); v > bestIoU {
			best, bestIoU = i, v
		}
	}
	if best < 0 {
		return -1, 0
	}
	return best, bestIoU
}

// Validity thresholds, in viewBox units of the 36-unit Twemoji square, set against the real
// training drawings (decoded from their tokens; eval reports the real validation drawings'
// pass rate next to the samples'): 11 of the 32,322 training layers cover less than
// MinLayerArea (2 cover nothing), the 0.1st percentile covers 0.07 units², and no training
// control point lies farther than 1.22 from the centre in token units (the box is [-1,1]).
const (
	// MinLayerArea is the smallest covered area (units²) of a valid layer: below it a layer is
	// a speck or a collapsed outline.
	MinLayerArea = 0.05
	// BBoxMargin is how far (as a share of the viewBox side) a valid layer's control points
	// may lie outside the viewBox: ±1.5 in token units, so a layer reaching past it is off
	// the canvas.
	BBoxMargin = 0.25
	// closeTol is how far (units) a subpath's last point may be from its start and still be
	// closed; decoded tokens close exactly, imported drawings within rounding.
	closeTol = 1e-6
	// areaRaster is the raster (px per side) that measures layer areas: 4 px per unit.
	areaRaster = 144
)

// LayerFault says why a layer is not valid ("" when it is).
type LayerFault string

const (
	FaultNone       LayerFault = ""
	FaultNonFinite  LayerFault = "non_finite"
	FaultOpen       LayerFault = "open"
	FaultDegenerate LayerFault = "degenerate"
	FaultOutside    LayerFault = "outside"
)

// CheckLayer returns why l, a layer of a drawing in viewBox vb, is not a valid generated
// layer: a non-finite point, an open or empty subpath, a covered area under MinLayerArea, or a
// control point farther than BBoxMargin outside the viewBox.
func CheckLayer(l *vector.Layer, vb [4]float64) LayerFault {
	if len(l.Subpaths) == 0 {
		return FaultDegenerate
	}
	lo := vector.Point{X: vb[0] - BBoxMargin*vb[2], Y: vb[1] - BBoxMargin*vb[3]}
	hi := vector.Point{X: vb[0] + (1+BBoxMargin)*vb[2], Y: vb[1] + (1+BBoxMargin)*vb[3]}
	outside := false
	for _, sp := range l.Subpaths {
		if len(sp.Segs) == 0 {
			return FaultOpen
		}
		pts := []vector.Point{sp.Start}
		for _, s := range sp.Segs {
			pts = append(pts, s.C1, s.C2, s.P)
		}
		for _, p := range pts {
			if math.IsNaN(p.X) || math.IsNaN(p.Y) || math.IsInf(p.X, 0) || math.IsInf(p.Y, 0) {
				return FaultNonFinite
			}
			if p.X < lo.X || p.Y < lo.Y || p.X > hi.X || p.Y > hi.Y {
				outside = true
			}
		}
		if sp.Segs[len(sp.Segs)-1].P.Dist(sp.Start) > closeTol*math.Max(vb[2], vb[3]) {
			return FaultOpen
		}
	}
	if outside {
		return FaultOutside
	}
	if LayerArea(l, vb) < MinLayerArea {
		return FaultDegenerate
	}
	return FaultNone
}

// LayerArea is the area (units²) l covers inside the viewBox, with its fill rule.
func LayerArea(l *vector.Layer, vb [4]float64) float64 {
	cov := vector.Coverage(l, vb, areaRaster, areaRaster)
	var s float64
	for _, c := range cov {
		s += float64(c)
	}
	return s * (vb[2] / areaRaster) * (vb[3] / areaRaster)
}

// DrawingValidity is the validity of one drawing.
type DrawingValidity struct {
	Layers int
	Valid  int          // layers without a fault
	Faults []LayerFault // one per layer
	Slots  int          // slots its tokens use (≤ K by construction of the tokens)
	OK     bool         // ≥ 1 layer, ≤ K slots, every layer valid
}

// CheckDrawing checks every layer of doc; slots is the number of token slots in use, k the
// model's slot count.
func CheckDrawing(doc *vector.Document, slots, k int) DrawingValidity {
	v := DrawingValidity{Layers: len(doc.Layers), Slots: slots, Faults: make([]LayerFault, len(doc.Layers))}
	for i := range doc.Layers {
		v.Faults[i] = CheckLayer(&doc.Layers[i], doc.ViewBox)
		if v.Faults[i] == FaultNone {
			v.Valid++
		}
	}
	v.OK = v.Layers >= 1 && slots <= k && v.Valid == v.Layers
	return v
}

// UsedSlots counts the slots of tokens x (K,F) whose exists field is on.
func UsedSlots(x []float32, f int) int {
	n := 0
	for i := 0; i+f <= len(x); i += f {
		if x[i+vector.FieldExists] > 0 {
			n++
		}
	}
	return n
}
