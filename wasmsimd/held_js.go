//go:build js && wasm

package wasmsimd

import (
	"fmt"
	"syscall/js"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/tensor"
)

var _ tensor.HeldReader = (*Engine)(nil)

// CanReadHeld implements tensor.HeldReader: every held float weight but
// one widened by WidenHalf (whose 16-bit patterns the module no longer
// has). Quantized weights are read back by ReadHeldQuant.
func (e *Engine) CanReadHeld(h tensor.EngineWeight) bool {
	w, ok := h.(*weight)
	return ok && !w.freed && !w.widened && !w.d.isQuant()
}

// ReadHeld implements tensor.HeldReader: the panels covering rows
// [from, from+n) are copied out of the module's memory and unpacked.
func (e *Engine) ReadHeld(h tensor.EngineWeight, from, n int, f32 []float32, u16 []uint16) error {
	w, ok := h.(*weight)
	if !ok || !e.CanReadHeld(w) {
		return fmt.Errorf("wasmsimd: %T is not a readable held weight", h)
	}
	if from < 0 || n < 0 || from+n > w.N {
		return fmt.Errorf("wasmsimd: rows [%d,%d) of a weight with %d", from, from+n, w.N)
	}
	if n == 0 {
		return nil
	}
	p0, p1 := from/8, (from+n-1)/8+1
	es := int(w.d.size())
	off, size := w.b.off+p0*w.K*8*es, (p1-p0)*w.K*8*es
	if cap(e.stage) < size {
		e.stage = make([]byte, size)
	}
	st := e.stage[:size]
	js.CopyBytesToGo(st, e.view(off, size))
	if w.d == dF32 {
		if len(f32) != n*w.K {
			return fmt.Errorf("wasmsimd: ReadHeld into %d f32 values for %d rows of %d", len(f32), n, w.K)
		}
		unpackRows(f32, bytesAs[float32](st), from, n, w.K)
		return nil
	}
	if len(u16) != n*w.K {
		return fmt.Errorf("wasmsimd: ReadHeld into %d u16 values for %d rows of %d", len(u16), n, w.K)
	}
	unpackRows(u16, bytesAs[uint16](st), from, n, w.K)
	return nil
}

// ReadHeldQuant implements tensor.QuantEngine: the panels covering rows
// [from, from+n) are copied out of the module's memory and unpacked.
func (e *Engine) ReadHeldQuant(h tensor.EngineWeight, from, n int) (*kernels.QMatrix, error) {
	w, ok := h.(*weight)
	if !ok || w.freed || !w.d.isQuant() {
		return nil, fmt.Errorf("wasmsimd: %T is not a held quantized weight", h)
	}
	if from < 0 || n < 0 || from+n > w.N {
		return nil, fmt.Errorf("wasmsimd: rows [%d,%d) of a weight with %d", from, from+n, w.N)
	}
	if n == 0 {
		return unpackQuant(nil, w.q, w.K, from, 0), nil
	}
	p0, p1 := from/8, (from+n-1)/8+1
	off, size := w.b.off+p0*w.q.psz, (p1-p0)*w.q.psz
	if cap(e.stage) < size {
		e.stage = make([]byte, size)
	}
	st := e.stage[:size]
	js.CopyBytesToGo(st, e.view(off, size))
	return unpackQuant(st, w.q, w.K, from, n), nil
}
