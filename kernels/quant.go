package kernels

import (
	"fmt"
	"math"
	"os"
	"sync"
	"sync/atomic"
)

// Quantized weight matrices and their fused dequantize-matvec/matmul.
//
// A QMatrix is a linear weight w (N,K) — torch.nn.Linear's [out, in] — held
// as small integers with f32 scales, in one of two layouts:
//
//   - Q8: int8 q, symmetric, w[n,k] = Scale[n,g]·q[n,k];
//   - Q4: 4-bit unsigned q in 0..15, w[n,k] = Scale[n,g]·q[n,k] + Min[n,g]
//     (Min = −Scale·zero point, so the zero point needs no separate
//     subtraction; llama.cpp's Q4_1 stores the same pair).
//
// g = k/Group is the group of column k. Group is a multiple of 32, or 0 for
// one group per row (per-output-channel, the usual int8 layout). Every row
// is padded with zero codes to Kp = K rounded up to 32, so the kernels work
// on whole 32-column blocks; the padding multiplies zero-padded x and adds
// nothing. A 3-bit matrix is a Q4 matrix whose codes stay in 0..7 (the
// container is the same; only its accuracy differs).
//
// Q4 byte order inside a row: each 16 columns c0..c0+15 are 8 bytes, byte j
// holding column c0+j in its low nibble and c0+8+j in its high nibble, so one
// VPMOVZXBD of 8 bytes gives the low eight codes after an AND and the high
// eight after a shift.
type QMatrix struct {
	Bits  int // 8 (Q8) or 4 (Q4; codes of 3-bit matrices stay ≤ 7)
	N, K  int
	Group int // columns per scale: a multiple of 32, or 0 for the whole row
	// Q is N rows of RowBytes(): int8 bit patterns (Q8) or packed nibbles (Q4).
	Q []byte
	// Scale and Min are (N, Groups()) row-major; Min is nil for Q8.
	Scale, Min []float32
}

// QuantBlock is the column block every quantized row is padded to.
const QuantBlock = 32

// Kp is K rounded up to QuantBlock.
func (m *QMatrix) Kp() int { return (m.K + QuantBlock - 1) / QuantBlock * QuantBlock }

// RowBytes is the stored size of one row of Q.
func (m *QMatrix) RowBytes() int {
	if m.Bits == 8 {
		return m.Kp()
	}
	return m.Kp() / 2
}

// groupCols is the column count of one group.
func (m *QMatrix) groupCols() int {
	if m.Group == 0 {
		return m.Kp()
	}
	return m.Group
}

// Groups is the number of scale groups per row.
func (m *QMatrix) Groups() int {
	if m.K == 0 {
		return 0
	}
	g := m.groupCols()
	return (m.K + g - 1) / g
}

// Bytes is the matrix's memory: codes plus scales (and mins).
func (m *QMatrix) Bytes() int {
	return len(m.Q) + 4*len(m.Scale) + 4*len(m.Min)
}

// Validate checks the fields against each other: a caller that built a
// QMatrix from outside data (a file) calls it before the first product.
func (m *QMatrix) Validate() error {
	switch {
	case m.Bits != 8 && m.Bits != 4:
		return fmt.Errorf("kernels: quantized matrix of %d bits (want 8 or 4)", m.Bits)
	case m.N < 0 || m.K < 0:
		return fmt.Errorf("kernels: quantized matrix of shape (%d,%d)", m.N, m.K)
	case m.Group < 0 || m.Group%QuantBlock != 0:
		return fmt.Errorf("kernels: quantization group %d is not a multiple of %d", m.Group, QuantBlock)
	case len(m.Q) != m.N*m.RowBytes():
		return fmt.Errorf("kernels: quantized (%d,%d) needs %d code bytes, has %d", m.N, m.K, m.N*m.RowBytes(), len(m.Q))
	case len(m.Scale) != m.N*m.Groups():
		return fmt.Errorf("kernels: quantized (%d,%d) group %d needs %d scales, has %d", m.N, m.K, m.Group, m.N*m.Groups(), len(m.Scale))
	case m.Bits == 4 && len(m.Min) != len(m.Scale):
		return fmt.Errorf("kernels: 4-bit matrix needs %d mins, has %d", len(m.Scale), len(m.Min))
	case m.Bits == 8 && m.Min != nil:
		return fmt.Errorf("kernels: 8-bit matrices are symmetric (no mins)")
	}
	return nil
}

// Code returns the integer code of w[n,k] (−128..127 for Q8, 0..15 for Q4).
func (m *QMatrix) Code(n, k int) int {
	row := m.Q[n*m.RowBytes():]
	if m.Bits == 8 {
		return int(int8(row[k]))
	}
	c, j := k/16, k%16
	b := row[c*8+j%8]
	if j >= 8 {
		return int(b >> 4)
	}
	return int(b & 15)
}

// SetCode stores the code of w[n,k] (no range check beyond the nibble mask).
func (m *QMatrix) SetCode(n, k, q int) {
	row := m.Q[n*m.RowBytes():]
	if m.Bits == 8 {
		row[k] = byte(int8(q))
		return
	}
	c, j := k/16, k%16
	p := &row[c*8+j%8]
	if j >= 8 {
		*p = *p&0x0f | byte(q&15)<<4
	} else {
		*p = *p&0xf0 | byte(q&15)
	}
}

// NewQMatrix allocates a zero matrix (all codes 0, scales 0) of the layout.
func NewQMatrix(bits, N, K, group int) (*QMatrix, error) {
	m := &QMatrix{Bits: bits, N: N, K: K, Group: group}
	if bits != 8 && bits != 4 {
		return nil, fmt.Errorf("kernels: quantized matrix of %d bits (want 8 or 4)", bits)
	}
	if N < 0 || K < 0 || group < 0 || group%QuantBlock != 0 {
		return nil, fmt.Errorf("kernels: quantized matrix (%d,%d) group %d", N, K, group)
	}
	m.Q = make([]byte, N*m.RowBytes())
	m.Scale = make([]float32, N*m.Groups())
	if bits == 4 {
		m.Min = make([]float32, len(m.Scale))
	}
	return m, nil
}

// DequantizeRows writes rows n0..n1-1 of w as f32 into dst ((n1-n0)·K
// values, stride K): the reference the fused kernels are tested against.
func (m *QMatrix) DequantizeRows(dst []float32, n0, n1 int) {
	K, G := m.K, m.groupCols()
	ng := m.Groups()
	for n := n0; n < n1; n++ {
		d := dst[(n-n0)*K : (n-n0)*K+K]
		for k := range d {
			g := n*ng + k/G
			v := m.Scale[g] * float32(m.Code(n, k))
			if m.Bits == 4 {
				v += m.Min[g]
			}
			d[k] = v
		}
	}
}

// Dequantize returns all of w as f32 (N,K).
func (m *QMatrix) Dequantize() []float32 {
	d := make([]float32, m.N*m.K)
	m.DequantizeRows(d, 0, m.N)
	return d
}

// quantKernels is one instruction set's quantized row kernels.
type quantKernels struct {
	name string
	// dotQ8 returns Σ_g scale[g]·Σ_{k∈g} q[k]·x[k] over nblk blocks of 32,
	// bpg blocks per group; x and q are padded to nblk·32.
	dotQ8 func(x []float32, q []byte, scale []float32, nblk, bpg int) float32
	// dotQ4 is dotQ8 for nibbles plus Σ_g min[g]·xsum[g], xsum[g] being
	// the sum of x over group g.
	dotQ4 func(x []float32, q []byte, scale, mins, xsum []float32, nblk, bpg int) float32
	// rowsQ8i is dotQ8 against activations quantized by quantizeActs,
	// for len(out) consecutive rows (q and scale hold them all): out[r] =
	// Σ_g scale[r,g]·Σ_{b∈g} xd[b]·Σ_{k∈b} q[r,k]·xq[k], the inner sums
	// exact in int32.
	rowsQ8i func(out []float32, xq []int8, xd []float32, q []byte, scale []float32, nblk, bpg int)
	// rowsQ4i is rowsQ8i for nibbles, xq in quantizeActs' Q4 order, plus
	// Σ_g min[r,g]·xsum[g] (xsum from the f32 activations).
	rowsQ4i func(out []float32, xq []int8, xd []float32, q []byte, scale, mins, xsum []float32, nblk, bpg int)
	// quantActs is quantizeActs (the same bytes and scales).
	quantActs func(xq []int8, xd []float32, x []float32, q4Order bool) bool
	// dequantRow writes one row (Kp values) of f32 weights into dst.
	dequantRow func(m *QMatrix, n int, dst []float32)
}

var activeQuant = selectQuant(os.Getenv("LAMINA_KERNELS"))

func selectQuant(force string) *quantKernels {
	if force == "generic" {
		return &genericQuant
	}
	if qk := archQuant(force); qk != nil {
		return qk
	}
	return &genericQuant
}

var genericQuant = quantKernels{name: "generic", dotQ8: dotQ8Go, dotQ4: dotQ4Go,
	rowsQ8i: rowsQ8iGo, rowsQ4i: rowsQ4iGo, quantActs: quantizeActs, dequantRow: dequantRowGo}

// The decode matvecs (T ≤ 2) over quantized weights take x one of two
// ways:
//
//   - f32 (exact): codes are widened and multiplied with x in f32, the
//     dequantize-then-f32 product up to summation order. The pure-Go set
//     (every GOARCH but amd64, and so the wasm builds other backends'
//     parity tests run against) always does this;
//   - int8: x is first quantized, once per product, to int8 blocks of 32
//     with a scale each (max|x|/127, as llama.cpp's Q8_0 activations), and
//     every block of codes is an integer dot product with one f32
//     multiply-add — a quarter of the activation bytes and no per-weight
//     conversion. The default with the assembly set; its error against the
//     exact product is at most Σ_k |w_k|·xd_k/2 (each x_k moves by at most
//     half its block's step), which TestMatMulQInt8Bound checks.
//
// LAMINA_QUANT_DOT=f32 (or SetExactQuantDot(true)) selects the exact path
// everywhere; LAMINA_QUANT_DOT=int8 selects int8 for the pure-Go set too.
var quantDotInt8 atomic.Bool

func init() {
	switch os.Getenv("LAMINA_QUANT_DOT") {
	case "f32":
	case "int8":
		quantDotInt8.Store(true)
	default:
		quantDotInt8.Store(activeQuant != &genericQuant)
	}
}

// SetExactQuantDot selects the exact f32 path (true) or int8 activations
// (false) for quantized matvecs from now on, and returns whether the exact
// path was selected before. Tests that compare a quantized model against
// its dequantized float copy select the exact path.
func SetExactQuantDot(exact bool) (wasExact bool) {
	return !quantDotInt8.Swap(!exact)
}

// QuantDotName is how quantized matvecs take x now: "int8" or "f32".
func QuantDotName() string {
	if quantDotInt8.Load() {
		return "int8"
	}
	return "f32"
}

func rowsQ8iGo(out []float32, xq []int8, xd []float32, q []byte, scale []float32, nblk, bpg int) {
	ng := (nblk + bpg - 1) / bpg
	for r := range out {
		out[r] = dotQ8iGo(xq, xd, q[r*nblk*32:(r+1)*nblk*32], scale[r*ng:(r+1)*ng], nblk, bpg)
	}
}

func rowsQ4iGo(out []float32, xq []int8, xd []float32, q []byte, scale, mins, xsum []float32, nblk, bpg int) {
	ng := (nblk + bpg - 1) / bpg
	for r := range out {
		out[r] = dotQ4iGo(xq, xd, q[r*nblk*16:(r+1)*nblk*16], scale[r*ng:(r+1)*ng], mins[r*ng:(r+1)*ng], xsum, nblk, bpg)
	}
}

func dotQ8iGo(xq []int8, xd []float32, q []byte, scale []float32, nblk, bpg int) float32 {
	var total float32
	for b0, g := 0, 0; b0 < nblk; b0, g = b0+bpg, g+1 {
		var s float32
		for b := b0; b < min(b0+bpg, nblk); b++ {
			xs, qs := xq[b*32:b*32+32], q[b*32:b*32+32]
			var d int32
			for i, v := range xs {
				d += int32(v) * int32(int8(qs[i]))
			}
			s += xd[b] * float32(d)
		}
		total += scale[g] * s
	}
	return total
}

func dotQ4iGo(xq []int8, xd []float32, q []byte, scale, mins, xsum []float32, nblk, bpg int) float32 {
	var total float32
	for b0, g := 0, 0; b0 < nblk; b0, g = b0+bpg, g+1 {
		var s float32
		for b := b0; b < min(b0+bpg, nblk); b++ {
			lo, hi := q4ActHalves(b, nblk)
			xl, xh, qs := xq[lo:lo+16], xq[hi:hi+16], q[b*16:b*16+16]
			var d int32
			for j, c := range qs {
				d += int32(c&15)*int32(xl[j]) + int32(c>>4)*int32(xh[j])
			}
			s += xd[b] * float32(d)
		}
		total += scale[g]*s + mins[g]*xsum[g]
	}
	return total
}

// quantizeActs quantizes x (Kp values, zero-padded) to int8 blocks of 32:
// xd[b] = max_{k∈b}|x_k|/127 and xq[k] = x_k·(127/max) rounded to the
// nearest integer (ties to even, as VCVTPS2DQ does), so |x_k −
// xd[b]·xq[k]| ≤ xd[b]/2 up to f32 rounding. For Q4 (q4Order) each
// block is split in the halves dotQ4i reads its codes in: lo, columns 0-7
// and 16-23 (the low nibbles of the block's 16 bytes), and hi, columns
// 8-15 and 24-31 (the high nibbles); blocks 2p and 2p+1 then take 64
// bytes as lo(2p), lo(2p+1), hi(2p), hi(2p+1), so one 32-byte load of a
// pair's codes meets its activations in two 32-byte loads, and an odd
// last block is lo, hi (q4ActHalves). It returns false, and
// writes nothing useful, when x holds an infinity or NaN: those take the
// exact path so that they propagate as the f32 product would.
func quantizeActs(xq []int8, xd []float32, x []float32, q4Order bool) bool {
	for b := range xd {
		xs := x[b*32 : b*32+32]
		var amax float32
		for _, v := range xs {
			amax = max(amax, abs32(v))
		}
		if amax > math.MaxFloat32 || amax != amax {
			return false
		}
		xd[b] = amax / 127
		inv := float32(0)
		if amax != 0 {
			inv = 127 / amax
		}
		lo, hi := b*32, b*32+16
		if q4Order {
			lo, hi = q4ActHalves(b, len(xd))
		}
		for k, v := range xs {
			p := b*32 + k
			if q4Order {
				// Columns 0-7 and 16-23 are lo's 16 bytes, 8-15 and
				// 24-31 hi's.
				j := k&7 | k>>4<<3
				if k&8 == 0 {
					p = lo + j
				} else {
					p = hi + j
				}
			}
			// |v·inv| ≤ 127 up to a rounding of the product, so it rounds
			// into int8's range.
			xq[p] = int8(math.RoundToEven(float64(v * inv)))
		}
	}
	return true
}

// q4ActHalves is where quantizeActs' Q4 order keeps block b's lo and hi
// halves (16 bytes each) among nblk blocks.
func q4ActHalves(b, nblk int) (lo, hi int) {
	if b^1 < nblk { // b has a partner: b^1
		base := b&^1*32 + b&1*16
		return base, base + 32
	}
	return b * 32, b*32 + 16
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

func dotQ8Go(x []float32, q []byte, scale []float32, nblk, bpg int) float32 {
	var total float32
	for b0, g := 0, 0; b0 < nblk; b0, g = b0+bpg, g+1 {
		b1 := min(b0+bpg, nblk)
		xs, qs := x[b0*32:b1*32], q[b0*32:b1*32]
		qs = qs[:len(xs)]
		var s0, s1, s2, s3 float32
		for i := 0; i+3 < len(xs); i += 4 {
			s0 += xs[i] * float32(int8(qs[i]))
			s1 += xs[i+1] * float32(int8(qs[i+1]))
			s2 += xs[i+2] * float32(int8(qs[i+2]))
			s3 += xs[i+3] * float32(int8(qs[i+3]))
		}
		total += scale[g] * ((s0 + s1) + (s2 + s3))
	}
	return total
}

func dotQ4Go(x []float32, q []byte, scale, mins, xsum []float32, nblk, bpg int) float32 {
	var total float32
	for b0, g := 0, 0; b0 < nblk; b0, g = b0+bpg, g+1 {
		b1 := min(b0+bpg, nblk)
		var s0, s1 float32
		for c := b0 * 2; c < b1*2; c++ { // 16-column chunks
			xs := x[c*16 : c*16+16]
			qs := q[c*8 : c*8+8]
			for j, b := range qs {
				s0 += xs[j] * float32(b&15)
				s1 += xs[j+8] * float32(b>>4)
			}
		}
		total += scale[g]*(s0+s1) + mins[g]*xsum[g]
	}
	return total
}

func dequantRowGo(m *QMatrix, n int, dst []float32) {
	Kp, G, ng := m.Kp(), m.groupCols(), m.Groups()
	row := m.Q[n*m.RowBytes() : (n+1)*m.RowBytes()]
	sc := m.Scale[n*ng : n*ng+ng]
	if m.Bits == 8 {
		for k := 0; k < Kp; k++ {
			dst[k] = sc[min(k/G, ng-1)] * float32(int8(row[k]))
		}
		return
	}
	mn := m.Min[n*ng : n*ng+ng]
	for c := 0; c < Kp/16; c++ {
		g := min(c*16/G, ng-1)
		s, mi := sc[g], mn[g]
		for j, b := range row[c*8 : c*8+8] {
			dst[c*16+j] = s*float32(b&15) + mi
			dst[c*16+8+j] = s*float32(b>>4) + mi
		}
	}
}

// QuantKernelsName is the active quantized kernel set: "avx2+vnni",
// "avx2" or "generic".
func QuantKernelsName() string { return activeQuant.name }

// MatMulQ computes out = x·wᵀ for a quantized w: x is (T,K), w is (N,K),
// out is (T,N). Rows T ≤ 2 run as fused dequantize-matvecs (codes are read
// once, widened in registers); longer inputs widen a chunk of weight rows
// to f32 at a time and run the f32 gemm on it, as MatMulF16 does.
func MatMulQ(out, x []float32, w *QMatrix, T int) {
	matMulQWith(active, activeQuant, quantDotInt8.Load(), out, x, w, T)
}

func matMulQWith(ks *kernelSet, qk *quantKernels, int8x bool, out, x []float32, w *QMatrix, T int) {
	K, N := w.K, w.N
	if T < 0 || len(out) < T*N || len(x) < T*K || len(w.Q) < N*w.RowBytes() {
		panic("kernels: MatMulQ slices shorter than (T,K)·(N,K)ᵀ needs")
	}
	if K == 0 {
		clear(out[:T*N])
		return
	}
	if T <= ks.maxMatVecT || T <= matVecMaxT {
		for t := 0; t < T; t++ {
			matVecQ(qk, int8x, out[t*N:t*N+N], x[t*K:t*K+K], w)
		}
		return
	}
	Kp := w.Kp()
	rowsOrGemm(out, x, []float32(nil), T, K, N, ks, func(buf []float32, n0, nr, nPad int) []float32 {
		rp := getFloats(Kp)
		row := *rp
		for i := 0; i < nr; i++ {
			qk.dequantRow(w, n0+i, row)
			copy(buf[i*K:i*K+K], row[:K])
		}
		floatPool.Put(rp)
		clear(buf[nr*K : nPad*K])
		return buf
	})
}

// int8Pool recycles quantizeActs' blocks.
var int8Pool = sync.Pool{New: func() any { return new([]int8) }}

// matVecQ computes out (N) = w (N,K) · x (K), with x quantized to int8
// blocks first when int8x is set.
func matVecQ(qk *quantKernels, int8x bool, out, x []float32, w *QMatrix) {
	K, N, Kp := w.K, w.N, w.Kp()
	nblk := Kp / QuantBlock
	bpg := w.groupCols() / QuantBlock
	ng := w.Groups()
	xpp := getFloats(Kp + ng)
	xp := (*xpp)[:Kp]
	copy(xp, x[:K])
	clear(xp[K:])
	var xsum []float32
	if w.Bits == 4 {
		xsum = (*xpp)[Kp : Kp+ng]
		G := w.groupCols()
		for g := range xsum {
			var s float32
			for _, v := range xp[g*G : min((g+1)*G, Kp)] {
				s += v
			}
			xsum[g] = s
		}
	}
	rb := w.RowBytes()
	var xq []int8
	var xd []float32
	if int8x {
		xqp := int8Pool.Get().(*[]int8)
		defer int8Pool.Put(xqp)
		if cap(*xqp) < Kp {
			*xqp = make([]int8, Kp)
		}
		xq = (*xqp)[:Kp]
		xdp := getFloats(nblk)
		defer floatPool.Put(xdp)
		xd = *xdp
		int8x = qk.quantActs(xq, xd, xp, w.Bits == 4)
	}
	rows := func(lo, hi int) {
		switch {
		case int8x && w.Bits == 8:
			qk.rowsQ8i(out[lo:hi], xq, xd, w.Q[lo*rb:hi*rb], w.Scale[lo*ng:hi*ng], nblk, bpg)
			return
		case int8x:
			qk.rowsQ4i(out[lo:hi], xq, xd, w.Q[lo*rb:hi*rb], w.Scale[lo*ng:hi*ng], w.Min[lo*ng:hi*ng], xsum, nblk, bpg)
			return
		}
		for n := lo; n < hi; n++ {
			q := w.Q[n*rb : n*rb+rb]
			sc := w.Scale[n*ng : n*ng+ng]
			if w.Bits == 8 {
				out[n] = qk.dotQ8(xp, q, sc, nblk, bpg)
			} else {
				out[n] = qk.dotQ4(xp, q, sc, w.Min[n*ng:n*ng+ng], xsum, nblk, bpg)
			}
		}
	}
	chunks := (N + matVecRowsPerChunk - 1) / matVecRowsPerChunk
	if chunks <= 1 || K*N < 1<<15 {
		rows(0, N)
	} else {
		ParallelFor(chunks, func(c int) {
			rows(c*matVecRowsPerChunk, min((c+1)*matVecRowsPerChunk, N))
		})
	}
	floatPool.Put(xpp)
}

// Rows is a view of rows n0..n1-1 of m (sharing its memory).
func (m *QMatrix) Rows(n0, n1 int) *QMatrix {
	ng, rb := m.Groups(), m.RowBytes()
	v := *m
	v.N = n1 - n0
	v.Q = m.Q[n0*rb : n1*rb]
	v.Scale = m.Scale[n0*ng : n1*ng]
	if m.Min != nil {
		v.Min = m.Min[n0*ng : n1*ng]
	}
	return &v
}

// QuantGroup is one group's quantization grid: w ≈ Scale·(q − Zero) for
// integer codes Lo ≤ q ≤ Hi.
type QuantGroup struct {
	Scale        float32
	Zero, Lo, Hi int
}

// FindQuantGroup is the round-to-nearest grid of a group of weights: for
// 8 bits symmetric, Scale = max|w|/127, codes −127..127; for 4 and 3 bits
// asymmetric with GPTQ's range rule (the range always contains 0): Scale =
// (max−min)/(2^b−1), Zero = round(−min/Scale), codes 0..2^b−1. Scale is
// rounded to f16 first (f16Scale).
func FindQuantGroup(w []float32, bits int) QuantGroup {
	if bits == 8 {
		var m float64
		for _, v := range w {
			m = math.Max(m, math.Abs(float64(v)))
		}
		if m == 0 {
			m = 1
		}
		return QuantGroup{Scale: f16Scale(m / 127), Lo: -127, Hi: 127}
	}
	lo, hi := 0.0, 0.0
	for _, v := range w {
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	if lo == 0 && hi == 0 {
		lo, hi = -1, 1
	}
	maxq := 1<<bits - 1
	s := f16Scale((hi - lo) / float64(maxq))
	z := max(0, min(maxq, int(math.Round(-lo/float64(s)))))
	return QuantGroup{Scale: s, Zero: z, Hi: maxq}
}

// f16Scale rounds a scale to the nearest binary16 value when that is a
// normal f16 (2^-14 ≤ s ≤ 65504), so a model folder can store the scales
// as F16 — half the bytes — with every code chosen against the scale it
// is read back with. Scales outside that range stay f32 (and
// model.EncodeQuantized then stores that matrix's scales as F32).
func f16Scale(s float64) float32 {
	if h := F16ToF32(F32ToF16(float32(s))); h >= 0x1p-14 && h <= 65504 {
		return h
	}
	return float32(s)
}

// Code is the nearest code of v on the grid and the value it stands for.
func (p QuantGroup) Code(v float32) (int, float32) {
	q := int(math.Round(float64(v/p.Scale))) + p.Zero
	q = max(p.Lo, min(p.Hi, q))
	return q, p.Scale * float32(q-p.Zero)
}

// SetGroup stores group gi of row n's grid (Scale, and Min = −Scale·Zero
// for Q4).
func (m *QMatrix) SetGroup(n, gi int, p QuantGroup) {
	i := n*m.Groups() + gi
	m.Scale[i] = p.Scale
	if m.Min != nil {
		m.Min[i] = -p.Scale * float32(p.Zero)
	}
}

// QuantizeRTN quantizes w (N,K) by rounding every weight to the nearest
// code of its group's FindQuantGroup grid: bits 8 per row (group ignored),
// bits 4 or 3 in groups of group columns (0 = per row).
func QuantizeRTN(w []float32, N, K, bits, group int) (*QMatrix, error) {
	if len(w) != N*K {
		return nil, fmt.Errorf("kernels: %d weights for (%d,%d)", len(w), N, K)
	}
	container := 4
	if bits == 8 {
		container, group = 8, 0
	} else if bits != 4 && bits != 3 {
		return nil, fmt.Errorf("kernels: %d bits (want 8, 4 or 3)", bits)
	}
	m, err := NewQMatrix(container, N, K, group)
	if err != nil {
		return nil, err
	}
	G := m.groupCols()
	ParallelFor(N, func(n int) {
		row := w[n*K : n*K+K]
		for g0 := 0; g0 < K; g0 += G {
			p := FindQuantGroup(row[g0:min(g0+G, K)], bits)
			m.SetGroup(n, g0/G, p)
			for k := g0; k < min(g0+G, K); k++ {
				q, _ := p.Code(row[k])
				m.SetCode(n, k, q)
			}
		}
	})
	return m, nil
}
