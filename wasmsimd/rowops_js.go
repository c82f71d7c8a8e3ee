//go:build js && wasm

package wasmsimd

import (
	"encoding/binary"
	"fmt"
	"math"
	"syscall/js"

	"github.com/lamina-ml/lamina/tensor"
)

var (
	_ tensor.NormEngine          = (*Engine)(nil)
	_ tensor.RoPEEngine          = (*Engine)(nil)
	_ tensor.FullAttentionEngine = (*Engine)(nil)
)

// rowCalls counts the row ops' kernel calls (for the tests).
type rowCalls struct{ ln, rope, attnFull int }

// f32Bytes is n f32 rounded up to 16 bytes.
func f32Bytes(n int) int { return (n*4 + 15) &^ 15 }

// rowMins are the smallest row ops the engine takes: below them the
// calls into the module (about 25 µs in Node for a few values) cost more
// than the Go code. Measured with BenchmarkRowOps: Go's LayerNorm takes
// ~14 ns a value, its RoPE ~80 ns a (row, frequency) pair at 6 heads,
// AttentionFull ~1.5 ns a multiply-add (the module's ~0.25).
type rowMins struct {
	ln        int // values of x
	ropePairs int // rows · headDim/2
	attnMACs  int // Tk · W · 2, a query row's: not Tq, so that a row's
	// result does not depend on how many rows share its call (svgmodel's
	// batched candidates equal the ones sampled alone)
}

var defaultRowMins = rowMins{ln: 4096, ropePairs: 512, attnMACs: 2048}

// LayerNorm implements tensor.NormEngine: x, w and b in, ln, out back.
func (e *Engine) LayerNorm(out, x, w, b []float32, eps float32) (bool, error) {
	C := len(w)
	if C == 0 || len(x)%C != 0 || len(out) != len(x) || (b != nil && len(b) != C) {
		return false, fmt.Errorf("wasmsimd: LayerNorm of %d values, w %d, b %d into %d", len(x), C, len(b), len(out))
	}
	if len(x) == 0 {
		return true, nil
	}
	if len(x) < e.rowMin.ln {
		return false, nil
	}
	xn, wn := f32Bytes(len(x)), f32Bytes(C)
	if err := e.scratchOf(xn + 2*wn); err != nil {
		return false, err
	}
	xo := e.scratch.off
	wo, bo := xo+xn, xo+xn+wn
	e.writeF32(xo, x, xn)
	e.writeF32(wo, w, wn)
	hasB := 0
	if b != nil {
		e.writeF32(bo, b, wn)
		hasB = 1
	}
	e.rows.ln++
	e.fn("ln").Invoke(xo, wo, bo, xo, len(x)/C, C, eps, hasB)
	js.CopyBytesToGo(bytesOf(out), e.view(xo, len(out)*4))
	return true, nil
}

// RoPE implements tensor.RoPEEngine: x and invFreq in, rope_tab makes the
// cosines and sines, rope rotates, x back. Angles of ropeMaxAngle or more
// (or not finite) are left to the Go code.
func (e *Engine) RoPE(x, invFreq []float32, heads, headDim, pos0 int) (bool, error) {
	half := headDim / 2
	W := heads * headDim
	if heads <= 0 || half <= 0 || len(x)%W != 0 || len(invFreq) != half || pos0 < 0 {
		return false, fmt.Errorf("wasmsimd: RoPE of %d values with %d heads of %d, %d frequencies at %d", len(x), heads, headDim, len(invFreq), pos0)
	}
	T := len(x) / W
	if T == 0 {
		return true, nil
	}
	if T*half < e.rowMin.ropePairs {
		return false, nil
	}
	fmax := 0.0
	for _, f := range invFreq {
		fmax = max(fmax, math.Abs(float64(f)))
	}
	if !(fmax*float64(pos0+T) < ropeMaxAngle/2) {
		return false, nil
	}
	xn, fn, cn := f32Bytes(len(x)), f32Bytes(half), f32Bytes(T*half)
	if err := e.scratchOf(xn + fn + 2*cn); err != nil {
		return false, err
	}
	xo := e.scratch.off
	fo := xo + xn
	co, so := fo+fn, fo+fn+cn
	e.writeF32(xo, x, xn)
	e.writeF32(fo, invFreq, fn)
	e.rows.rope++
	e.fn("rope_tab").Invoke(fo, co, so, T, half, pos0)
	e.fn("rope").Invoke(xo, co, so, T, heads, headDim)
	js.CopyBytesToGo(bytesOf(x), e.view(xo, len(x)*4))
	return true, nil
}

// AttendsFull implements tensor.FullAttentionEngine: attn_full needs a
// head dimension that is a multiple of 4, and enough work a query row
// (whatever Tq is: see rowMins).
func (e *Engine) AttendsFull(heads, headDim, Tq, Tk int) bool {
	return heads > 0 && headDim > 0 && headDim%4 == 0 && Tk*heads*headDim*2 >= e.rowMin.attnMACs
}

// attnFullMinWork is the fewest multiply-adds (Tq·Tk·W·2) an AttentionFull
// call has before it is split across the threads.
const attnFullMinWork = 64 << 10

// AttentionFull implements tensor.FullAttentionEngine: q, k and v in,
// attn_full (on the threads, in chunks of query rows, where there are
// some and W is whole 8-value panels), out back.
func (e *Engine) AttentionFull(out, q, k, v []float32, heads, headDim int, scale float32) error {
	H, D := heads, headDim
	W := H * D
	if H <= 0 || D <= 0 || D%4 != 0 || len(q)%W != 0 || len(k)%W != 0 || len(v) != len(k) || len(out) != len(q) || len(k) == 0 {
		return fmt.Errorf("wasmsimd: AttentionFull of q %d, k %d, v %d into %d values with %d heads of %d", len(q), len(k), len(v), len(out), H, D)
	}
	Tq, Tk := len(q)/W, len(k)/W
	if Tq == 0 {
		return nil
	}
	qn, kn := len(q)*4, len(k)*4
	stride := f32Bytes(D + Tk + 4)
	const pn = 32 // the parameter block
	if err := e.scratchOf(pn + 2*qn + 2*kn + stride*e.Threads()); err != nil {
		return err
	}
	po := e.scratch.off
	qo := po + pn
	oo := qo + qn
	ko := oo + qn
	vo := ko + kn
	so := vo + kn
	var par [pn]byte
	for i, f := range []uint32{uint32(ko), uint32(vo), uint32(Tk), uint32(H), uint32(D), math.Float32bits(scale)} {
		binary.LittleEndian.PutUint32(par[4*i:], f)
	}
	js.CopyBytesToJS(e.view(po, pn), par[:])
	js.CopyBytesToJS(e.view(qo, qn), bytesOf(q))
	js.CopyBytesToJS(e.view(ko, kn), bytesOf(k))
	js.CopyBytesToJS(e.view(vo, kn), bytesOf(v))
	e.rows.attnFull++
	if p := e.pool; p != nil && W%8 == 0 && Tq > 1 && Tq*Tk*W*2 >= attnFullMinWork {
		want := 2 * p.threads
		chunk := (Tq + want - 1) / want
		n := (Tq + chunk - 1) / chunk
		p.run.Invoke(p.ctrl, kindAttnFull, po, qo, oo, Tq, W, W/8, so, stride, 1, chunk, 0, 0, n, p.canWait, p.self)
	} else {
		e.mm[kindAttnFull].Invoke(po, qo, oo, Tq, W, W/8, so, 0)
	}
	js.CopyBytesToGo(bytesOf(out), e.view(oo, qn))
	return nil
}
