package vector

import "math"

// MetricSize is the raster size (pixels per side) the fidelity metrics use: 144 px puts
// 4 px on each Twemoji unit, enough to resolve the smallest highlights (r ≈ 0.5 units).
const MetricSize = 144

// Fidelity compares an original document with its round trip.
type Fidelity struct {
	// LayerIoU is Σ_layers Σ_px min(a,b) / Σ_layers Σ_px max(a,b) over the per-layer coverage
	// masks, layers matched by paint-order index. Unlike a silhouette IoU it drops when an
	// inner layer, a hole or a color region moves or disappears.
	LayerIoU float64 `json:"iou"`
	// SilhouetteIoU is the IoU of the composited alpha masks.
	SilhouetteIoU float64 `json:"silhouette_iou"`
	// RGBAError is the mean absolute difference of the composited straight-alpha RGBA
	// images over all pixels and channels, on a 0–1 scale; transparent pixels count as 0,0,0,0.
	RGBAError float64 `json:"rgba_error"`
	Layers    int     `json:"layers"`
	RTLayers  int     `json:"roundtrip_layers"`
}

// Compare rasterizes a and b at size×size and measures how far b is from a.
func Compare(a, b *Document, size int) Fidelity {
	f := Fidelity{Layers: len(a.Layers), RTLayers: len(b.Layers)}
	n := len(a.Layers)
	if len(b.Layers) > n {
		n = len(b.Layers)
	}
	var inter, union float64
	for i := 0; i < n; i++ {
		var ma, mb []float32
		if i < len(a.Layers) {
			ma = Coverage(&a.Layers[i], a.ViewBox, size, size)
		}
		if i < len(b.Layers) {
			mb = Coverage(&b.Layers[i], b.ViewBox, size, size)
		}
		for p := 0; p < size*size; p++ {
			var x, y float64
			if ma != nil {
				x = float64(ma[p])
			}
			if mb != nil {
				y = float64(mb[p])
			}
			inter += math.Min(x, y)
			union += math.Max(x, y)
		}
	}
	f.LayerIoU = 1
	if union > 0 {
		f.LayerIoU = inter / union
	}
	ia, ib := Render(a, size, size), Render(b, size, size)
	var si, su, e float64
	for p := 0; p < size*size; p++ {
		pa, pb := ia.Pix[4*p:4*p+4], ib.Pix[4*p:4*p+4]
		si += math.Min(float64(pa[3]), float64(pb[3]))
		su += math.Max(float64(pa[3]), float64(pb[3]))
		for c := 0; c < 4; c++ {
			va, vb := float64(pa[c]), float64(pb[c])
			if c < 3 { // color of a transparent pixel is meaningless: weigh it by alpha
				va *= float64(pa[3])
				vb *= float64(pb[3])
			}
			e += math.Abs(va - vb)
		}
	}
	f.SilhouetteIoU = 1
	if su > 0 {
		f.SilhouetteIoU = si / su
	}
	f.RGBAError = e / float64(4*size*size)
	return f
}
