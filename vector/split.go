package vector

// Splitting long outlines into several slots.
//
// A closed outline cut along a chord between two of its vertices gives two closed outlines
// that both contain the chord, traversed in opposite directions. Their winding numbers add
// up to the original's at every point (the chord's contributions cancel), so as subpaths of
// one compound path they fill exactly what the original filled, under nonzero and evenodd
// alike. Tokenize uses this to spend slots a document leaves unused on its longest outlines,
// so they are refit to N segments in several pieces instead of one.

import "math"

// splitClosed cuts sp into parts closed pieces of about equal segment counts, choosing each
// cut chord as short as possible (so pieces follow the shape's natural narrowings).
func splitClosed(sp Subpath, parts int) []Subpath {
	m := len(sp.Segs)
	if parts <= 1 || m < 4 {
		return []Subpath{sp}
	}
	left := parts / 2
	span := int(math.Round(float64(m) * float64(left) / float64(parts)))
	if span < 2 {
		span = 2
	}
	if span > m-2 {
		span = m - 2
	}
	// Vertex v_i is the start of segment i; choose i minimizing |v_i v_(i+span)|.
	bi, bd := 0, math.Inf(1)
	for i := 0; i < m; i++ {
		if d := sp.segStart(i).Dist(sp.segStart((i + span) % m)); d < bd {
			bi, bd = i, d
		}
	}
	j := (bi + span) % m
	vi, vj := sp.segStart(bi), sp.segStart(j)
	a := Subpath{Start: vi}
	for k := 0; k < span; k++ {
		a.Segs = append(a.Segs, sp.Segs[(bi+k)%m])
	}
	b := Subpath{Start: vj}
	for k := span; k < m; k++ {
		b.Segs = append(b.Segs, sp.Segs[(bi+k)%m])
	}
	if vi != vj {
		a.Segs = append(a.Segs, line(vj, vi))
		b.Segs = append(b.Segs, line(vi, vj))
	}
	return append(splitClosed(a, left), splitClosed(b, parts-left)...)
}

// splitTolerance is the refit deviation, as a fraction of the viewBox's larger side, above
// which an outline gets extra slots: 1/720 is 0.05 units on Twemoji's 36-unit box, a third
// of a pixel at 256 px. Below it one slot is kept, so the tokens of ordinary shapes carry
// no artificial chords a generator would have to reproduce exactly.
const splitTolerance = 1.0 / 720

// maxSplitWork bounds the refits allocatePieces may run (hostile documents with huge outlines);
// a Twemoji document spends under 1 % of it.
const maxSplitWork = 1 << 22

// canonicalRefitError is the refit error of sp as Tokenize will refit it: canonical start
// and direction first (the refit never merges across the start vertex, so it matters).
func canonicalRefitError(sp Subpath, n int) float64 {
	c, _ := canonical(sp, sp.Area())
	return refitError(c, n)
}

// allocatePieces decides how many slots each subpath gets: one each, then while spare slots
// remain, one more to the subpath whose pieces deviate most from it after refitting, as
// long as that deviation exceeds tol.
func allocatePieces(subs []Subpath, n, spare int, tol float64) []int {
	pieces := make([]int, len(subs))
	errs := make([]float64, len(subs))
	work := 0 // refit cost spent, in (groups²) units, bounded by maxSplitWork
	eval := func(sp Subpath) float64 {
		g := min(len(sp.Segs), maxRefitGroups)
		if g > n {
			work += g * g
		}
		return canonicalRefitError(sp, n)
	}
	for i := range subs {
		pieces[i] = 1
		errs[i] = eval(subs[i])
	}
	for ; spare > 0 && work < maxSplitWork; spare-- {
		bi := -1
		for i, e := range errs {
			if e > tol && (bi < 0 || e > errs[bi]) {
				bi = i
			}
		}
		if bi < 0 {
			break
		}
		pieces[bi]++
		errs[bi] = 0
		for _, pc := range splitClosed(subs[bi], pieces[bi]) {
			errs[bi] = math.Max(errs[bi], eval(pc))
		}
	}
	return pieces
}
