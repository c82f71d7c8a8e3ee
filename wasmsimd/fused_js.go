//go:build js && wasm

package wasmsimd

import (
	"fmt"
	"syscall/js"

	"github.com/lamina-ml/lamina/tensor"
)

var (
	_ tensor.FusedEngine      = (*Engine)(nil)
	_ tensor.ActivationEngine = (*Engine)(nil)
	_ tensor.BiasEngine       = (*Engine)(nil)
)

// fusedIn lays out the scratch of a fused op: x (T,K) normed in place by
// rms (followed by the zeros the products need), normW, then each
// product's output, then the threads' panel scratch. It returns the
// offsets of x and of the outputs, and the panel scratch's.
func (e *Engine) fusedIn(x, normW []float32, eps float32, ps []product, T int) (xo int, outs []int, po int, err error) {
	K := len(normW)
	pad, pn, on := 0, 0, 0
	for _, p := range ps {
		if p.w.K != K {
			return 0, nil, 0, fmt.Errorf("wasmsimd: fused op of a (%d,%d) weight after a norm of %d", p.w.N, p.w.K, K)
		}
		pad, pn, on = max(pad, p.xpad), max(pn, p.pn), on+p.on
	}
	if len(x) != T*K {
		return 0, nil, 0, fmt.Errorf("wasmsimd: fused op of x %d values for T=%d K=%d", len(x), T, K)
	}
	xn := (T*K + pad) * 4
	wn := (K*4 + 15) &^ 15
	if err := e.scratchOf(xn + wn + on + pn*e.Threads()); err != nil {
		return 0, nil, 0, err
	}
	xo = e.scratch.off
	wo := xo + xn
	e.writeF32(xo, x, xn)
	e.writeF32(wo, normW, wn)
	e.fn("rms").Invoke(xo, wo, xo, T, K, eps)
	o := wo + wn
	for _, p := range ps {
		outs = append(outs, o)
		o += p.on
	}
	return xo, outs, o, nil
}

// fn is the export name of the kernel module (looked up once).
func (e *Engine) fn(name string) js.Value {
	if e.fns == nil {
		e.fns = map[string]js.Value{}
	}
	f, ok := e.fns[name]
	if !ok {
		f = e.exports.Get(name)
		e.fns[name] = f
	}
	return f
}

// NormQKV implements tensor.FusedEngine: x is copied in once and normed
// in the module, then the three products run on it.
func (e *Engine) NormQKV(q, k, v, x, normW []float32, eps float32, wq, wk, wv tensor.EngineWeight, T int) error {
	var ps []product
	for i, h := range []tensor.EngineWeight{wq, wk, wv} {
		p, err := e.product(h, T)
		if err != nil {
			return err
		}
		if n := len([][]float32{q, k, v}[i]); n != T*p.w.N {
			return fmt.Errorf("wasmsimd: NormQKV output %d of %d values for T=%d N=%d", i, n, T, p.w.N)
		}
		ps = append(ps, p)
	}
	if T == 0 {
		return nil
	}
	xo, outs, po, err := e.fusedIn(x, normW, eps, ps, T)
	if err != nil {
		return err
	}
	for i, p := range ps {
		e.run(p, xo, outs[i], po, T)
		e.readOut([][]float32{q, k, v}[i], p, outs[i], T)
	}
	return nil
}

// NormSiLU implements tensor.FusedEngine: x is copied in once and normed in
// the module, the gate and up products and SiLU·mul run there, and the
// result is copied out once.
func (e *Engine) NormSiLU(out, x, normW []float32, eps float32, gate, up tensor.EngineWeight, T int) error {
	pg, err := e.product(gate, T)
	if err != nil {
		return err
	}
	pu, err := e.product(up, T)
	if err != nil {
		return err
	}
	if pg.w.N != pu.w.N || len(out) != T*pu.w.N {
		return fmt.Errorf("wasmsimd: NormSiLU of gate %d and up %d rows into %d values for T=%d", pg.w.N, pu.w.N, len(out), T)
	}
	if T == 0 {
		return nil
	}
	xo, outs, po, err := e.fusedIn(x, normW, eps, []product{pg, pu}, T)
	if err != nil {
		return err
	}
	e.run(pg, xo, outs[0], po, T)
	e.run(pu, xo, outs[1], po, T)
	e.fn("silu").Invoke(outs[1], outs[0], outs[1], T*pu.np*8)
	e.readOut(out, pu, outs[1], T)
	return nil
}

// GeluTanh implements tensor.ActivationEngine: x is copied in, gelu runs in
// the module in place, and the result is copied out; out may be x.
func (e *Engine) GeluTanh(out, x []float32) error {
	if len(out) != len(x) {
		return fmt.Errorf("wasmsimd: GeluTanh of %d values into %d", len(x), len(out))
	}
	if len(x) == 0 {
		return nil
	}
	nb := (len(x)*4 + 15) &^ 15
	if err := e.scratchOf(nb); err != nil {
		return err
	}
	o := e.scratch.off
	e.writeF32(o, x, nb)
	e.fn("gelu").Invoke(o, o, nb/4)
	js.CopyBytesToGo(bytesOf(out), e.view(o, len(out)*4))
	return nil
}

// MatMulBias implements tensor.BiasEngine: MatMul with the bias added in
// the module before the output is copied out.
func (e *Engine) MatMulBias(out, x, bias []float32, h tensor.EngineWeight, T int) error {
	p, err := e.product(h, T)
	if err != nil {
		return err
	}
	N, K := p.w.N, p.w.K
	if len(x) != T*K || len(out) != T*N || len(bias) != N {
		return fmt.Errorf("wasmsimd: MatMulBias x %d, out %d, bias %d values for T=%d K=%d N=%d", len(x), len(out), len(bias), T, K, N)
	}
	if T == 0 {
		return nil
	}
	xn, bn := (T*K+p.xpad)*4, p.np*32
	if err := e.scratchOf(xn + bn + p.on + p.pn*e.Threads()); err != nil {
		return err
	}
	xo := e.scratch.off
	bo := xo + xn
	oo, po := bo+bn, bo+bn+p.on
	e.writeF32(xo, x, xn)
	e.writeF32(bo, bias, bn)
	e.run(p, xo, oo, po, T)
	e.fn("bias").Invoke(oo, bo, T, p.np*8)
	e.readOut(out, p, oo, T)
	return nil
}
