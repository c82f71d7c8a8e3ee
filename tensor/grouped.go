package tensor

import (
	"fmt"
	"math"

	"github.com/lamina-ml/lamina/kernels"
)

// GroupedDiffusionOps let the layered-SVG DiT run several samples through one forward pass: the
// rows of an activation are G equal groups (one per caption, e.g. the conditional and the
// unconditional half of classifier-free guidance, each holding n candidates of K slot rows), and
// the row-wise ops take one modulation row per group. Every output row is computed exactly as
// the ungrouped op computes it for that row alone, so a batched sample is bit for bit the same
// as the sample run alone. A backend advertises them by implementing this interface; svgmodel
// falls back to one sample at a time without it.
type GroupedDiffusionOps interface {
	// AttentionFullRows: query rows [qRow, qRow+qRows) of q attend to key/value rows
	// [kRow, kRow+kRows) of k and v; the result goes to the same rows of out, which keeps its
	// other rows. q, out (Tq,H*D); k, v (Tk,H*D). Each row is computed as AttentionFull does.
	AttentionFullRows(out, q, k, v Tensor, qRow, qRows, kRow, kRows, heads, headDim int, scale float32)
	// LayerNormGroups: LayerNorm of x (T,C) with w and b (G,C): row t uses w and b row
	// t/(T/G). T must be a multiple of G. out may alias x.
	LayerNormGroups(out, x, w, b Tensor, eps float32)
	// AddScaledGroups: out[t,:] = a[t,:] + s[g,:]*b[t,:] with g = t/(T/G); a, b, out (T,C);
	// s (G,C). out may alias a.
	AddScaledGroups(out, a, s, b Tensor)
}

var _ GroupedDiffusionOps = (*cpuBackend)(nil)

// AttentionFullRows: see GroupedDiffusionOps. The rows are checked against the tensors' shapes.
func (b *cpuBackend) AttentionFullRows(out, q, k, v Tensor, qRow, qRows, kRow, kRows, heads, headDim int, scale float32) {
	o, qv := f32Data(out, "AttentionFullRows"), f32Data(q, "AttentionFullRows")
	kv, vv := f32Data(k, "AttentionFullRows"), f32Data(v, "AttentionFullRows")
	H, D := heads, headDim
	W := H * D
	if H <= 0 || D <= 0 || len(qv)%W != 0 || len(kv)%W != 0 || len(kv) != len(vv) || len(o) != len(qv) ||
		qRow < 0 || qRows < 0 || (qRow+qRows)*W > len(qv) || kRow < 0 || kRows < 1 || (kRow+kRows)*W > len(kv) {
		panic(fmt.Sprintf("tensor: AttentionFullRows q %v rows [%d,+%d), k %v rows [%d,+%d), v %v, out %v with %d heads of %d",
			ct(q).shape, qRow, qRows, ct(k).shape, kRow, kRows, ct(v).shape, ct(out).shape, H, D))
	}
	b.attentionFull(o[qRow*W:(qRow+qRows)*W], qv[qRow*W:(qRow+qRows)*W], kv[kRow*W:(kRow+kRows)*W], vv[kRow*W:(kRow+kRows)*W], H, D, scale)
}

// LayerNormGroups: see GroupedDiffusionOps.
func (b *cpuBackend) LayerNormGroups(out, x, w, bias Tensor, eps float32) {
	o, xv := f32Data(out, "LayerNormGroups"), f32Data(x, "LayerNormGroups")
	wv, bv := f32Data(w, "LayerNormGroups"), f32Data(bias, "LayerNormGroups")
	wc := ct(w)
	G, C := wc.rows(), wc.cols()
	if G <= 0 || C <= 0 || len(xv)%C != 0 || len(o) != len(xv) || len(bv) != len(wv) || (len(xv)/C)%G != 0 {
		panic(fmt.Sprintf("tensor: LayerNormGroups x %v, w %v, b %v, out %v", ct(x).shape, wc.shape, ct(bias).shape, ct(out).shape))
	}
	per := len(xv) / C / G
	for g := 0; g < G; g++ {
		lo, hi := g*per*C, (g+1)*per*C
		b.layerNormRows(o[lo:hi], xv[lo:hi], wv[g*C:(g+1)*C], bv[g*C:(g+1)*C], eps)
	}
}

// AddScaledGroups: see GroupedDiffusionOps.
func (b *cpuBackend) AddScaledGroups(out, a, s, bb Tensor) {
	o, av, sv, bv := f32Data(out, "AddScaledGroups"), f32Data(a, "AddScaledGroups"), f32Data(s, "AddScaledGroups"), f32Data(bb, "AddScaledGroups")
	sc := ct(s)
	G, C := sc.rows(), sc.cols()
	if G <= 0 || C <= 0 || len(av)%C != 0 || len(bv) != len(av) || len(o) != len(av) || (len(av)/C)%G != 0 {
		panic(fmt.Sprintf("tensor: AddScaledGroups a %v, s %v, b %v, out %v", ct(a).shape, sc.shape, ct(bb).shape, ct(out).shape))
	}
	per := len(av) / C / G
	for r := 0; r < len(av); r += C {
		g := sv[(r/C/per)*C:][:C]
		or, ar, br := o[r:r+C], av[r:r+C], bv[r:r+C]
		for i, gv := range g {
			or[i] = ar[i] + gv*br[i]
		}
	}
}

// layerNormRows is LayerNorm over the rows of x (len(w) wide); b may be nil.
func layerNormRows(o, xv, wv, bv []float32, eps float32) {
	C := len(wv)
	for r := 0; r+C <= len(xv); r += C {
		row := xv[r : r+C]
		var sum float64
		for _, v := range row {
			sum += float64(v)
		}
		mean := sum / float64(C)
		var vs float64
		for _, v := range row {
			d := float64(v) - mean
			vs += d * d
		}
		inv := 1 / math.Sqrt(vs/float64(C)+float64(eps))
		orow := o[r : r+C]
		for i, v := range row {
			y := float32((float64(v)-mean)*inv) * wv[i]
			if bv != nil {
				y += bv[i]
			}
			orow[i] = y
		}
	}
}

// attentionFull runs attentionFull on the engine when it is a
// FullAttentionEngine that takes these heads, else in Go.
func (b *cpuBackend) attentionFull(o, qv, kv, vv []float32, H, D int, scale float32) {
	if fe, ok := b.engine.(FullAttentionEngine); ok && len(qv) > 0 && len(kv) > 0 && fe.AttendsFull(H, D, len(qv)/(H*D), len(kv)/(H*D)) {
		if err := fe.AttentionFull(o, qv, kv, vv, H, D, scale); err != nil {
			panic(fmt.Errorf("tensor: %s AttentionFull: %w", b.engine.Name(), err))
		}
		return
	}
	attentionFull(o, qv, kv, vv, H, D, scale)
}

// attentionFull is AttentionFull on raw rows: q, o (Tq,H*D), k, v (Tk,H*D). Per head (in
// parallel) it gathers q, k and vᵀ of that head into contiguous scratch and runs the scores
// S = q·kᵀ (Tq,Tk) and the output P·v as two f32 matmuls on the kernels' tiled products, with a
// row softmax (maximum subtracted) between them: for the DiT's 48×48 heads of 32 this is several
// times faster than one dot product per query and key (BenchmarkVelocityOpsLayeredEmoji's
// ms-attention), under js/wasm most of all.
func attentionFull(o, qv, kv, vv []float32, H, D int, scale float32) {
	W := H * D
	Tq, Tk := len(qv)/W, len(kv)/W
	kernels.ParallelFor(H, func(h int) {
		sp := scratchPool.Get().(*[]float32)
		defer scratchPool.Put(sp)
		need := Tq*D + Tk*D + D*Tk + Tq*Tk + Tq*D
		if cap(*sp) < need {
			*sp = make([]float32, need)
		}
		buf := (*sp)[:need]
		qh, buf := buf[:Tq*D], buf[Tq*D:]
		kh, buf := buf[:Tk*D], buf[Tk*D:]
		vt, buf := buf[:D*Tk], buf[D*Tk:]
		sc, oh := buf[:Tq*Tk], buf[Tq*Tk:]
		for t := 0; t < Tq; t++ {
			src := qv[t*W+h*D : t*W+h*D+D]
			dst := qh[t*D : t*D+D]
			for d, x := range src {
				dst[d] = x * scale
			}
		}
		for j := 0; j < Tk; j++ {
			copy(kh[j*D:j*D+D], kv[j*W+h*D:j*W+h*D+D])
			for d, x := range vv[j*W+h*D : j*W+h*D+D] {
				vt[d*Tk+j] = x
			}
		}
		kernels.MatMulF32(sc, qh, kh, Tq, D, Tk) // (Tq,Tk) scores
		for t := 0; t < Tq; t++ {
			row := sc[t*Tk : t*Tk+Tk]
			mx := float32(math.Inf(-1))
			for _, x := range row {
				if x > mx {
					mx = x
				}
			}
			inv := 1 / kernels.ExpSubSum(row, mx)
			for j := range row {
				row[j] *= inv
			}
		}
		kernels.MatMulF32(oh, sc, vt, Tq, Tk, D) // (Tq,D)
		for t := 0; t < Tq; t++ {
			copy(o[t*W+h*D:t*W+h*D+D], oh[t*D:t*D+D])
		}
	})
}
