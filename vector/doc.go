// Package vector is lamina's layered-SVG pipeline: an SVG reader, a layer model, a
// fixed-size token encoding for the diffusion model, an SVG writer, a scanline rasterizer
// and fidelity metrics. It is pure Go; its one dependency, github.com/tdewolff/canvas, gives
// the path booleans (clip paths, masks, group opacity, layer merging) and dashing, so the
// browser runtime can still import it (the dataset builder lives in vector/dataset).
//
// # Reading SVG
//
// ParseSVG reads a document the way browsers draw it (see its doc comment): style sheets,
// <use>/<symbol>, nested <svg>, <switch>, units, paint servers, strokes (joins, caps, miter
// limits, dashes), markers, clip paths and masks. Strokes become filled layers (stroke.go).
// Clip paths are intersected with the content by path booleans; a clip that changes nothing
// visible leaves the content's exact curves. A mask cuts the content into the parts under each
// mask shape, which keep that shape's luminance × alpha as opacity (a gradient mask shape
// passes its gradient on); group opacity removes from each layer what opaque layers of the
// same group cover above it, then scales alpha. Text, images, filters and blend modes are not
// drawn. Anything approximated or not drawn is listed per element in Document.Unsupported; an
// invalid value drops that property only, and only input that is not SVG is an error.
//
// # Layers
//
// A Document is an ordered list of Layers in paint order. A Layer is one paint — a solid
// color (straight RGBA; fill-opacity and ancestor opacity folded into A), or a linear/radial
// Gradient in Paint with its mean color in Fill — a fill rule and one or more closed cubic
// subpaths in viewBox coordinates with all transforms applied. Every SVG shape element
// becomes one layer per painted part (fill, stroke, each marker and pattern color); a path's
// subpaths stay together so compound paths keep their holes. The rasterizer draws a Paint
// per pixel and the writer writes it back as a userSpaceOnUse gradient; the tokens carry only
// Fill, the gradient's coverage-weighted mean color (premultiplied, sampled on a 24×24 grid
// over the layer's box) — the documented reduction that keeps a gradient drawing in the
// fixed-size dataset. Patterns are tiled into layers clipped to the shape.
//
// # Tokens
//
// Tokenize turns a Document into a (K, F) float32 array, F = 8 + 6N. Each of the K slots holds
// one closed subpath of exactly N cubic segments:
//
//	field  0     exists      +1 used, -1 empty (an empty slot is -1 followed by zeros)
//	field  1     joins_prev  +1 this subpath belongs to the previous slot's layer
//	field  2     evenodd     +1 the layer's fill-rule is evenodd, -1 nonzero
//	field  3     winding     +1 drawn clockwise (canonical), -1 reverse when decoding
//	fields 4..7  r, g, b, a  fill color, 2c-1 for c in [0,1]
//	fields 8..   3N points   x,y pairs P0, C1₀, C2₀, P1, C1₁, C2₁, …, P(N-1), C1(N-1), C2(N-1):
//	                         segment i is P_i → P_(i+1) with controls C1_i, C2_i, and
//	                         P_N = P0 (the outline is closed, so the end point is implicit)
//
// Coordinates map the viewBox to [-1, 1] per axis: x' = 2(x-minx)/width - 1,
// y' = 2(y-miny)/height - 1 (y points down, as in SVG). Twemoji outlines stay within
// about [-1.7, 1.7] (a few shapes overhang the 36×36 box); values are clamped to ±10⁴ so
// tokens of hostile input stay finite.
//
// Slots follow paint order; a layer's subpaths are consecutive, largest |area| first, the
// first with joins_prev = -1 and the rest +1; color and fill rule are repeated in every slot
// of a layer (the decoder reads them from the first). Each subpath is canonical: clockwise on
// screen, starting at its top-most, then left-most vertex, so equal outlines give equal
// tokens whatever their source direction and start. Winding carries the direction back for
// nonzero fills: +1 when the subpath turns the same way as the layer's largest subpath in
// the source, -1 otherwise (that is how nonzero holes are drawn); evenodd layers use +1.
// Lines are cubics with controls at 1/3 and 2/3, arcs, circles and ellipses become ≤ 90°
// cubic pieces; a subpath with fewer than N segments is padded by halving its longest segment
// (de Casteljau: the curve is unchanged), one with more is refit by repeatedly merging the
// adjacent pair whose least-squares single-cubic fit deviates least (corners survive longest).
// When the document leaves slots spare, an outline whose N-segment refit would deviate more
// than 1/720 of the viewBox (0.05 units on Twemoji) is cut along short chords into several
// closed pieces, one slot each in the same layer; each chord appears in two pieces in
// opposite directions, so it cancels in the compound fill (see split.go): 1,034 extra slots
// in 605 of the Twemoji documents. Conversely, a document with more subpaths than K merges subpaths of
// the same layer, fewest segments first, by a bridge traversed both ways (merge.go: exact
// fill, holes kept) until it fits; a document with more than K layers — or more layers than
// merging can absorb — keeps just the whole layers that fit (Fits=false). FitLayers, run
// before Tokenize (lamina svg roundtrip does), avoids that loss: the least visible layer
// (coverage × alpha left uncovered by what is painted above it) joins its nearest-colored
// paint-order neighbour by path union, until K remain (layerfit.go). When
// outlines want split slots a document lacks, small subpaths whose merged outline still
// has at most N segments are merged first (lossless) to free them: 426 merges in 14
// Twemoji documents in all.
//
// # Why K = 48 and N = 16
//
// Measured over the 3,720 SVGs of @twemoji/svg@15.0.0 with this reader: subpaths per file
// p50 12, p90 25, p95 32, p99 43, max 197 — one slot per subpath, K = 32 would fit 95.5 %,
// K = 40 98.3 %, K = 48 99.65 % and K = 64 only 99.78 %. At K = 48 the 13 files over the
// limit (dense flags, a potted plant with 151 subpaths) are merged to fit, all but 2. Segments per subpath p50 6, p90 12, p95 15, p99 30, max 451: N = 16 keeps 95.8 %
// of subpaths exact (padding only) and the greedy refit handles the rest at mean per-layer
// IoU 0.998; N = 24 would cost 50 % more token width for 2.4 % more exact subpaths.
//
// # Limits
//
// ParseSVG and ParsePathData return *Error wrapping ErrSyntax, ErrLimit, ErrNonFinite or
// ErrNoViewBox and bound their work by MaxSVGBytes, MaxElements, MaxDepth, MaxPathCommands
// and MaxSegments; <use> expansion stops after MaxElements instances (reported), DTD
// entities expand once, and path booleans and dashing refuse operands of more than 20,000
// segments (then the feature is reported as not applied).
package vector
