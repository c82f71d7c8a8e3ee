package vector

import (
	"math"
	"sort"
)

// Default token shape: K slots of N cubics each. See the package documentation for why.
const (
	DefaultK = 48
	DefaultN = 16
)

// Slot field offsets. A slot is F = FieldPoints + 6N float32 values, all nominally in [-1, 1].
const (
	FieldExists    = 0 // +1 slot holds a subpath, -1 empty (then every other field is 0)
	FieldJoinsPrev = 1 // +1 this subpath belongs to the previous slot's layer (compound path)
	FieldEvenOdd   = 2 // +1 the layer's fill-rule is evenodd, -1 nonzero
	FieldWinding   = 3 // +1 drawn in canonical (clockwise) direction, -1 reversed; see Tokenize
	FieldR         = 4 // fill color, 2c-1 for c in [0,1] (straight alpha)
	FieldG         = 5
	FieldB         = 6
	FieldA         = 7
	FieldPoints    = 8 // 3N points as x,y pairs: P0, C1₀, C2₀, P1, C1₁, C2₁, …, P(N-1), C1(N-1), C2(N-1)
)

// SlotFields returns the slot width F for n cubics per subpath.
func SlotFields(n int) int { return FieldPoints + 6*n }

// FieldNames returns the name of every slot field, for manifests: exists, joins_prev,
// evenodd, winding, r, g, b, a, then x0, y0, x1, y1, … for the 3N points.
func FieldNames(n int) []string {
	names := []string{"exists", "joins_prev", "evenodd", "winding", "r", "g", "b", "a"}
	for i := 0; i < 3*n; i++ {
		names = append(names, "x"+itoa(i), "y"+itoa(i))
	}
	return names
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	k := len(b)
	for ; i > 0; i /= 10 {
		k--
		b[k] = byte('0' + i%10)
	}
	return string(b[k:])
}

// Tokens is a document as a fixed-size (K, F) array, row-major, F = SlotFields(N).
type Tokens struct {
	K, N    int
	ViewBox [4]float64
	Data    []float32 // Data is (K,F)
	Fits    bool      // every subpath had a slot (false: the document was truncated to K)
	Needed  int       // slots the document needs at least: one per subpath
	Used    int       // slots filled (long outlines may take several when slots are spare)
	Merged  int       // merges of two subpaths into one slot that were needed to fit K
}

// Slot returns slot k's F fields.
func (t *Tokens) Slot(k int) []float32 {
	f := SlotFields(t.N)
	return t.Data[k*f : (k+1)*f]
}

// maxUnit bounds token coordinates: a point 10⁴ viewBoxes away is junk input, and the clamp
// keeps every token finite in float32.
const maxUnit = 1e4

// toUnit maps user-space coordinates to [-1, 1] across the viewBox (each axis on its own).
func toUnit(p Point, vb [4]float64) (float32, float32) {
	c := func(v float64) float32 {
		if !(v > -maxUnit) { // also NaN
			return -maxUnit
		}
		return float32(math.Min(v, maxUnit))
	}
	return c(2*(p.X-vb[0])/vb[2] - 1), c(2*(p.Y-vb[1])/vb[3] - 1)
}

func fromUnit(x, y float32, vb [4]float64) Point {
	return Point{(float64(x)+1)/2*vb[2] + vb[0], (float64(y)+1)/2*vb[3] + vb[1]}
}

func sign(b bool) float32 {
	if b {
		return 1
	}
	return -1
}

// Tokenize converts doc into k slots of n cubics. Each subpath takes one slot, layers in paint
// order, subpaths of a layer sorted by decreasing |area| (the outline before its holes).
// Orientation is canonical and the winding field restores it: for nonzero fills, the
// largest subpath of a layer gets +1 and every subpath whose direction differs from it -1 (so
// holes come back as holes); evenodd fills ignore direction and always get +1.
func Tokenize(doc *Document, k, n int) *Tokens {
	f := SlotFields(n)
	t := &Tokens{K: k, N: n, ViewBox: doc.ViewBox, Data: make([]float32, k*f), Fits: true}
	// One slot per subpath; spare slots split the longest outlines (split.go), and a
	// document with more subpaths than slots merges subpaths within layers (merge.go).
	layers := make([][]Subpath, len(doc.Layers))
	needed := 0
	var all []Subpath
	for i, l := range doc.Layers {
		layers[i] = l.Subpaths
		needed += len(l.Subpaths)
		all = append(all, l.Subpaths...)
	}
	tol := splitTolerance * math.Max(doc.ViewBox[2], doc.ViewBox[3])
	// Slots every outline would like (one, plus pieces for those that refit badly).
	pieces := allocatePieces(all, n, k, tol)
	wanted := 0
	for _, p := range pieces {
		wanted += p
	}
	if wanted > k {
		// Over budget: merge to fit K, and losslessly further to make room for splits.
		layers, t.Merged = mergeToFit(layers, k, k-(wanted-needed), n)
		all = all[:0]
		for _, l := range layers {
			all = append(all, l...)
		}
		spare := k - len(all)
		if spare < 0 {
			spare = 0
		}
		pieces = allocatePieces(all, n, spare, tol)
	}
	t.Needed = needed
	slot, idx := 0, 0
	for li, l := range doc.Layers {
		type sub struct {
			sp   Subpath
			area float64
		}
		var subs []sub
		for _, sp := range layers[li] {
			for _, pc := range splitClosed(sp, pieces[idx]) {
				subs = append(subs, sub{pc, pc.Area()})
			}
			idx++
		}
		sort.SliceStable(subs, func(i, j int) bool { return math.Abs(subs[i].area) > math.Abs(subs[j].area) })
		if len(subs) == 0 {
			continue // a layer with no outline (one merged away by FitLayers, say) takes no slot
		}
		if !t.Fits || slot+len(subs) > k {
			// Whole layers only: cutting a compound path would drop holes or parts.
			t.Fits = false
			continue
		}
		refSign := subs[0].area >= 0
		for i, s := range subs {
			sp, _ := canonical(s.sp, s.area)
			sp = resample(sp, n)
			row := t.Data[slot*f : (slot+1)*f]
			row[FieldExists] = 1
			row[FieldJoinsPrev] = sign(i > 0)
			row[FieldEvenOdd] = sign(l.EvenOdd)
			row[FieldWinding] = sign(l.EvenOdd || (s.area >= 0) == refSign)
			row[FieldR] = float32(2*l.Fill.R - 1)
			row[FieldG] = float32(2*l.Fill.G - 1)
			row[FieldB] = float32(2*l.Fill.B - 1)
			row[FieldA] = float32(2*l.Fill.A - 1)
			pts := row[FieldPoints:]
			pts[0], pts[1] = toUnit(sp.Start, doc.ViewBox)
			for j, sg := range sp.Segs {
				q := pts[2+6*j:]
				q[0], q[1] = toUnit(sg.C1, doc.ViewBox)
				q[2], q[3] = toUnit(sg.C2, doc.ViewBox)
				if j < n-1 {
					q[4], q[5] = toUnit(sg.P, doc.ViewBox)
				}
			}
			slot++
		}
	}
	t.Used = slot
	for ; slot < k; slot++ {
		t.Data[slot*f+FieldExists] = -1
	}
	return t
}

// Detokenize turns tokens back into layers: a slot with exists > 0 starts a new layer unless
// joins_prev > 0 and the previous slot existed; color and fill rule come from a layer's first
// slot; winding < 0 reverses the subpath. Non-finite values are an error.
func Detokenize(t *Tokens) (*Document, error) {
	f := SlotFields(t.N)
	if t.K <= 0 || t.N <= 0 || len(t.Data) != t.K*f {
		return nil, errf(ErrTokens, -1, "data has %d values, want K=%d × F=%d", len(t.Data), t.K, f)
	}
	doc := &Document{ViewBox: t.ViewBox}
	prev := false
	for k := 0; k < t.K; k++ {
		row := t.Data[k*f : (k+1)*f]
		for _, v := range row {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, errf(ErrTokens, -1, "slot %d has a non-finite value", k)
			}
		}
		if row[FieldExists] <= 0 {
			prev = false
			continue
		}
		pts := row[FieldPoints:]
		sp := Subpath{Start: fromUnit(pts[0], pts[1], t.ViewBox), Segs: make([]Segment, t.N)}
		for j := 0; j < t.N; j++ {
			q := pts[2+6*j:]
			end := sp.Start
			if j < t.N-1 {
				end = fromUnit(q[4], q[5], t.ViewBox)
			}
			sp.Segs[j] = Segment{fromUnit(q[0], q[1], t.ViewBox), fromUnit(q[2], q[3], t.ViewBox), end}
		}
		if row[FieldWinding] < 0 {
			sp = sp.Reverse()
		}
		if row[FieldJoinsPrev] > 0 && prev {
			l := &doc.Layers[len(doc.Layers)-1]
			l.Subpaths = append(l.Subpaths, sp)
		} else {
			doc.Layers = append(doc.Layers, Layer{
				Fill: RGBA{
					clamp01((float64(row[FieldR]) + 1) / 2), clamp01((float64(row[FieldG]) + 1) / 2),
					clamp01((float64(row[FieldB]) + 1) / 2), clamp01((float64(row[FieldA]) + 1) / 2),
				},
				EvenOdd:  row[FieldEvenOdd] > 0,
				Subpaths: []Subpath{sp},
				Source:   "token",
			})
		}
		prev = true
	}
	return doc, nil
}
