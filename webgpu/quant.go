package webgpu

import (
	"encoding/binary"
	"math"

	"github.com/lamina-ml/lamina/kernels"
)

// quantLayout is how the WebGPU backend stores a quantized matrix
// (kernels.QMatrix) in u32 words, the layout shaders/weights.wgsl's q8 and
// q4 formats read: row n is rowWords words at n·rowWords — the row's codes
// as QMatrix holds them (padded to Kp columns), then its groups' f32
// parameters (q8: one scale per group; q4: a (scale, min) pair per group).
// Keeping a row's parameters next to its codes makes every row the same
// size, so a matrix over the binding limit splits by rows like a float one,
// and a kernel needs only K, the group size and the row stride to find
// anything. The codes stay packed: the buffer holds the same bytes as the
// QMatrix (codes, scales, mins), only interleaved by row.
type quantLayout struct {
	bits      int // 8 or 4
	k         int // logical columns
	groupCols int // columns per group (Kp for one group per row)
	groups    int // groups per row
	codeWords int // u32 words of codes per row
	rowWords  int // u32 words per row: codes, then group parameters
}

func layoutOf(m *kernels.QMatrix) quantLayout {
	kp := (m.K + kernels.QuantBlock - 1) / kernels.QuantBlock * kernels.QuantBlock
	l := quantLayout{bits: m.Bits, k: m.K, groupCols: m.Group, groups: m.Groups(), codeWords: m.RowBytes() / 4}
	if l.groupCols == 0 {
		l.groupCols = kp
	}
	perGroup := 1
	if m.Bits == 4 {
		perGroup = 2
	}
	l.rowWords = l.codeWords + perGroup*l.groups
	if l.rowWords == 0 {
		l.rowWords = 1 // K = 0: keep rows addressable
	}
	return l
}

// rowBytes is one stored row's size.
func (l quantLayout) rowBytes() int { return 4 * l.rowWords }

// pack lays m out as l describes: m.N rows of rowBytes.
func (l quantLayout) pack(m *kernels.QMatrix) []byte {
	out := make([]byte, m.N*l.rowBytes())
	rb := m.RowBytes()
	for n := 0; n < m.N; n++ {
		row := out[n*l.rowBytes() : (n+1)*l.rowBytes()]
		copy(row, m.Q[n*rb:(n+1)*rb])
		p := row[4*l.codeWords:]
		for g := 0; g < l.groups; g++ {
			i := n*l.groups + g
			if l.bits == 8 {
				binary.LittleEndian.PutUint32(p[4*g:], math.Float32bits(m.Scale[i]))
				continue
			}
			binary.LittleEndian.PutUint32(p[8*g:], math.Float32bits(m.Scale[i]))
			binary.LittleEndian.PutUint32(p[8*g+4:], math.Float32bits(m.Min[i]))
		}
	}
	return out
}

// dequantRow widens one stored row to its K f32 weights (Read of a
// quantized tensor), as QMatrix.DequantizeRows does: scale·q (+ min).
func (l quantLayout) dequantRow(dst []float32, row []byte) {
	p := row[4*l.codeWords:]
	for k := 0; k < l.k; k++ {
		g := k / l.groupCols
		var q int
		if l.bits == 8 {
			q = int(int8(row[k]))
		} else {
			b := row[k/16*8+k%8]
			q = int(b & 15)
			if k%16 >= 8 {
				q = int(b >> 4)
			}
		}
		if l.bits == 8 {
			dst[k] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*g:])) * float32(q)
			continue
		}
		s := math.Float32frombits(binary.LittleEndian.Uint32(p[8*g:]))
		mn := math.Float32frombits(binary.LittleEndian.Uint32(p[8*g+4:]))
		dst[k] = s*float32(q) + mn
	}
}
