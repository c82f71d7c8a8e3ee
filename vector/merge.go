package vector

import "math"

// Merging subpaths of one layer into one slot.
//
// The inverse of split.go: two closed outlines A and B of the same compound path become one
// closed outline by a bridge — A from vertex a, the line a→b, B from vertex b all the way
// round, the line b→a back. The bridge is traversed once each way, so its winding
// contributions cancel and the fill (nonzero or evenodd) is unchanged; each outline keeps
// its own direction, so holes stay holes. Tokenize merges only when a document has more
// subpaths than slots, cheapest pairs first, so documents with many small compound parts
// (flags, detailed objects) fit instead of losing whole layers.

// mergeToFit merges subpaths within layers until the total count is at most k or no layer
// has two subpaths left; then, while the total is above lossless, it keeps merging pairs
// whose merged outline still has at most n segments (so padding, not refitting, makes it
// n: no loss), freeing slots for splitting long outlines. It returns the new per-layer
// subpath lists and the merge count.
func mergeToFit(layers [][]Subpath, k, lossless, n int) ([][]Subpath, int) {
	total := 0
	for _, l := range layers {
		total += len(l)
	}
	merges := 0
	for total > k || total > lossless {
		// Cheapest merge: the two subpaths with the fewest segments in any layer, so the
		// N-segment refit of the merged outline loses least.
		bl, bi, bj, best := -1, 0, 0, math.MaxInt
		for li, l := range layers {
			if len(l) < 2 {
				continue
			}
			i, j := twoSmallest(l)
			if c := len(l[i].Segs) + len(l[j].Segs); c < best {
				bl, bi, bj, best = li, i, j, c
			}
		}
		if bl < 0 || (total <= k && best+2 > n) {
			break
		}
		l := append([]Subpath(nil), layers[bl]...)
		m := bridge(l[bi], l[bj])
		l[bi] = m
		l = append(l[:bj], l[bj+1:]...)
		layers[bl] = l
		total--
		merges++
	}
	return layers, merges
}

// twoSmallest returns the indices (i < j) of the two subpaths with the fewest segments.
func twoSmallest(l []Subpath) (int, int) {
	a, b := -1, -1
	for i := range l {
		switch {
		case a < 0 || len(l[i].Segs) < len(l[a].Segs):
			a, b = i, a
		case b < 0 || len(l[i].Segs) < len(l[b].Segs):
			b = i
		}
	}
	if a > b {
		a, b = b, a
	}
	return a, b
}

// bridgeProbe bounds the vertex pairs bridge compares (a stride over long outlines keeps it
// O(bridgeProbe²) on hostile input; Twemoji outlines are shorter than this).
const bridgeProbe = 128

// bridge joins A and B into one closed outline through their closest pair of vertices.
func bridge(a, b Subpath) Subpath {
	bi, bj, bd := 0, 0, math.Inf(1)
	sa, sb := 1+len(a.Segs)/bridgeProbe, 1+len(b.Segs)/bridgeProbe
	for i := 0; i < len(a.Segs); i += sa {
		for j := 0; j < len(b.Segs); j += sb {
			if d := a.segStart(i).Dist(b.segStart(j)); d < bd {
				bi, bj, bd = i, j, d
			}
		}
	}
	va, vb := a.segStart(bi), b.segStart(bj)
	out := Subpath{Start: va}
	for k := 0; k < len(a.Segs); k++ {
		out.Segs = append(out.Segs, a.Segs[(bi+k)%len(a.Segs)])
	}
	if va != vb {
		out.Segs = append(out.Segs, line(va, vb))
	}
	for k := 0; k < len(b.Segs); k++ {
		out.Segs = append(out.Segs, b.Segs[(bj+k)%len(b.Segs)])
	}
	if va != vb {
		out.Segs = append(out.Segs, line(vb, va))
	}
	return out
}
