package kernels

import "sync"

// The matmul drivers below are shared by every instruction set; only the
// innermost kernels (a kernelSet) differ. Two shapes matter:
//
//   - decode, T=1: out (N) = w (N,K) · x (K) streams every weight once and is
//     bound by memory bandwidth, so it reads the weights in their stored
//     dtype (f16 halves the bytes), converting in registers, and splits the
//     rows across the worker pool. With half-float weights the assembly sets
//     read one row at a time (one linear stream) and also take T ≤ 8 this
//     way, every weight read once for all T rows (matMulSmallHalf, for
//     speculative verification); otherwise four rows at a time;
//   - prefill, T≥3 (T≥9 with half floats on amd64): compute bound. x (T,K) is packed once per call into
//     panels of tileT rows stored k-major ((K,tileT) per panel); weights are
//     widened to f32 a chunk of rows at a time, and a register-tiled
//     micro-kernel accumulates tileT×tileN blocks of out with one broadcast
//     weight per tileT/lanes FMAs.

const (
	// matVecMaxT is the largest T the assembly sets do as T separate
	// matrix-vector products: below it a 16-row tile would be mostly padding.
	matVecMaxT = 2
	// matVecRowsPerChunk sizes the pieces handed to
	// the worker pool: small enough to balance two busy cores, large enough
	// (tens of microseconds) that claiming a chunk is free in comparison.
	matVecRowsPerChunk = 64
	// gemmRows (a multiple of every set's tileN) and gemmPanelFloats size
	// the cache blocks of gemm; see there.
	gemmRows        = 24
	gemmPanelFloats = 4096
)

// kernelSet is one instruction set's inner kernels. Every function must
// accept the arguments the drivers pass; the generic set accepts anything.
type kernelSet struct {
	name string
	// maxMatVecT: products with T ≤ maxMatVecT rows run as T
	// matrix-vector products instead of the tiled path.
	maxMatVecT int
	// kStep: the dot4 kernels only handle k that is a multiple of kStep;
	// the driver finishes the remaining columns in Go.
	kStep int
	// dot4* computes o[i] = Σ_{j<k} x[j]·w[i*ldw+j] for i < 4. ldw may be 0
	// (four copies of one row) for the last N%4 rows.
	dot4F32  func(x, w []float32, ldw, k int, o *[4]float32)
	dot4F16  func(x []float32, w []uint16, ldw, k int, o *[4]float32)
	dot4BF16 func(x []float32, w []uint16, ldw, k int, o *[4]float32)
	// cvtF16 and cvtBF16 widen len(src) values into dst.
	cvtF16  func(dst []float32, src []uint16)
	cvtBF16 func(dst []float32, src []uint16)
	// tile adds Σ_{j<k} xp[j*tileT+t]·w[n*ldw+j] to c[n*tileT+t] for
	// n < tileN, t < tileT (xp is k columns of one packed panel of x).
	// tileT×tileN is the micro-kernel's register block: for AVX2, 16 rows
	// of x (two 8-lane registers) by 6 weight rows is 12 accumulators,
	// leaving 4 of the 16 ymm registers for operands.
	tile         func(xp, w []float32, ldw, k int, c []float32)
	tileT, tileN int
	// dot2x4, when set, replaces the tiled path for T > maxMatVecT with
	// rowGemm: o[r*4+c] = Σ_{j<k} x[r*ldx+j]·w[c*ldw+j] for r < 2, c < 4,
	// straight from unpacked rows of x (an odd last row goes through
	// dot4F32, so a set with dot2x4 must have kStep 1).
	dot2x4 func(x []float32, ldx int, w []float32, ldw, k int, o *[8]float32)
	// smallF16 and smallBF16, when set, run products with half-float
	// weights and T ≤ smallT rows (see matMulSmallHalf).
	smallF16, smallBF16 *smallTKernels
	smallT              int
	// dot, axpy, siluMul, geluTanh and expSubSum back the exported functions of the
	// same names.
	dot  func(x, y []float32) float32
	axpy func(a float32, x, y []float32)
	// dotRows and axpyRows, when set, back DotRows and AxpyRows (which
	// otherwise loop over dot and axpy), with the same results bit for bit.
	dotRows   func(out, x, m []float32, stride int)
	axpyRows  func(y, a, m []float32, stride int)
	siluMul   func(out, gate, up []float32)
	geluTanh  func(out, x []float32)
	expSubSum func(x []float32, m float32) float32
}

// checkMatMul panics with a clear message when slice lengths do not match
// the shape: a caller bug, never outside input.
func checkMatMul(lo, lx, lw, T, K, N int) {
	if T < 0 || K < 0 || N < 0 || lo < T*N || lx < T*K || lw < N*K {
		panic("kernels: matmul slices shorter than (T,K)·(N,K)ᵀ needs")
	}
}

func matMulF32With(ks *kernelSet, out, x, w []float32, T, K, N int) {
	checkMatMul(len(out), len(x), len(w), T, K, N)
	if T <= ks.maxMatVecT || K == 0 {
		for t := 0; t < T; t++ {
			matVec(ks, out[t*N:t*N+N], x[t*K:t*K+K], w, K, N, ks.dot4F32, identityF32)
		}
		return
	}
	rowsOrGemm(out, x, w, T, K, N, ks, func(buf []float32, n0, nr, nPad int) []float32 {
		if nr == nPad {
			return w[n0*K : (n0+nr)*K]
		}
		copy(buf, w[n0*K:(n0+nr)*K])
		clear(buf[nr*K:])
		return buf
	})
}

func matMulF16With(ks *kernelSet, out, x []float32, w []uint16, T, K, N int) {
	checkMatMul(len(out), len(x), len(w), T, K, N)
	if ks.smallF16 != nil && T <= ks.smallT {
		matMulSmallHalf(ks.smallF16, F16ToF32, out, x, w, T, K, N)
		return
	}
	if T <= ks.maxMatVecT || K == 0 {
		for t := 0; t < T; t++ {
			matVec(ks, out[t*N:t*N+N], x[t*K:t*K+K], w, K, N, ks.dot4F16, F16ToF32)
		}
		return
	}
	rowsOrGemm(out, x, w, T, K, N, ks, func(buf []float32, n0, nr, nPad int) []float32 {
		ks.cvtF16(buf[:nr*K], w[n0*K:(n0+nr)*K])
		clear(buf[nr*K:])
		return buf
	})
}

func matMulBF16With(ks *kernelSet, out, x []float32, w []uint16, T, K, N int) {
	checkMatMul(len(out), len(x), len(w), T, K, N)
	if ks.smallBF16 != nil && T <= ks.smallT {
		matMulSmallHalf(ks.smallBF16, BF16ToF32, out, x, w, T, K, N)
		return
	}
	if T <= ks.maxMatVecT || K == 0 {
		for t := 0; t < T; t++ {
			matVec(ks, out[t*N:t*N+N], x[t*K:t*K+K], w, K, N, ks.dot4BF16, BF16ToF32)
		}
		return
	}
	rowsOrGemm(out, x, w, T, K, N, ks, func(buf []float32, n0, nr, nPad int) []float32 {
		ks.cvtBF16(buf[:nr*K], w[n0*K:(n0+nr)*K])
		clear(buf[nr*K:])
		return buf
	})
}

func identityF32(v float32) float32 { return v }

// matVec computes out (N) = w (N,K) · x (K).
func matVec[W float32 | uint16](ks *kernelSet, out, x []float32, w []W, K, N int,
	dot4 func(x []float32, w []W, ldw, k int, o *[4]float32), widen func(W) float32) {
	kMain := K - K%ks.kStep
	// tail adds the columns the vector kernel left to s.
	tail := func(s float32, wr []W) float32 {
		for k := kMain; k < K; k++ {
			s += x[k] * widen(wr[k])
		}
		return s
	}
	// rows computes out[lo:hi]; lo is a multiple of 4.
	rows := func(lo, hi int) {
		var o [4]float32
		for n := lo; n < hi; n += 4 {
			if hi-n >= 4 {
				o = [4]float32{}
				if kMain > 0 {
					dot4(x, w[n*K:], K, kMain, &o)
				}
				for i := 0; i < 4; i++ {
					out[n+i] = tail(o[i], w[(n+i)*K:])
				}
				continue
			}
			for i := 0; i < hi-n; i++ {
				o = [4]float32{}
				if kMain > 0 {
					dot4(x, w[(n+i)*K:], 0, kMain, &o)
				}
				out[n+i] = tail(o[0], w[(n+i)*K:])
			}
		}
	}
	chunks := (N + matVecRowsPerChunk - 1) / matVecRowsPerChunk
	if chunks <= 1 || K*N < 1<<15 {
		rows(0, N)
		return
	}
	ParallelFor(chunks, func(c int) {
		rows(c*matVecRowsPerChunk, min((c+1)*matVecRowsPerChunk, N))
	})
}

// floatPool recycles packed-x panels and widened weight blocks so that
// steady-state prefill does not allocate.
var floatPool = sync.Pool{New: func() any { return new([]float32) }}

func getFloats(n int) *[]float32 {
	p := floatPool.Get().(*[]float32)
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	*p = (*p)[:n]
	return p
}

// packKBlock is how many columns of x packX moves per pass: its writes then
// touch at most packKBlock·tileT floats of the panel (8-16 KiB), which stay
// in L1 while all tileT rows fill them, instead of K·tileT that would not.
const packKBlock = 128

// packX copies x (T,K) into ceil(T/tileT) panels, each (K,tileT) k-major,
// rows past T zero. The panels are packed in parallel, one chunk each.
func packX(xp, x []float32, T, K, tileT int) {
	nT := (T + tileT - 1) / tileT
	pack := func(pi int) {
		t0 := pi * tileT
		p := xp[t0*K : t0*K+K*tileT]
		tr := min(tileT, T-t0)
		if tr < tileT {
			clear(p)
		}
		for k0 := 0; k0 < K; k0 += packKBlock {
			k1 := min(k0+packKBlock, K)
			for t := 0; t < tr; t++ {
				xr := x[(t0+t)*K+k0 : (t0+t)*K+k1]
				for k, v := range xr {
					p[(k0+k)*tileT+t] = v
				}
			}
		}
	}
	if T*K < 1<<14 {
		for pi := 0; pi < nT; pi++ {
			pack(pi)
		}
		return
	}
	ParallelFor(nT, pack)
}

// gemm computes out (T,N) = x (T,K) · wᵀ.
//
// Loop nest (per worker chunk of gemmRows weight rows): the rows are widened
// to f32 once, then for each block of kc columns, for each packed x panel,
// for each group of tileN rows, the micro-kernel accumulates a tileT×tileN
// block. kc is chosen so that the x sub-panel (tileT·kc floats, 16 KiB) and
// the chunk's weight sub-block (gemmRows·kc floats, 12-24 KiB) both stay in
// a 48 KiB L1 while every k step reuses them, instead of one of them
// streaming from L2 at every step.
//
// block(buf, n0, nr, nPad) returns weight rows n0..n0+nr as f32 at stride K,
// followed by zero rows up to nPad; it may fill and return buf (nPad*K long)
// or return the weights themselves.
func gemm[W float32 | uint16](out, x []float32, w []W, T, K, N int, ks *kernelSet,
	block func(buf []float32, n0, nr, nPad int) []float32) {
	tileT, tileN := ks.tileT, ks.tileN
	kc := gemmPanelFloats / tileT
	nT := (T + tileT - 1) / tileT
	xpp := getFloats(nT * tileT * K)
	xp := *xpp
	packX(xp, x, T, K, tileT)
	chunks := (N + gemmRows - 1) / gemmRows
	ParallelFor(chunks, func(c int) {
		n0 := c * gemmRows
		nr := min(gemmRows, N-n0)
		nb := (nr + tileN - 1) / tileN
		bufp := getFloats(nb * tileN * K)
		wb := block(*bufp, n0, nr, nb*tileN)
		accp := getFloats(nT * nb * tileT * tileN)
		acc := *accp
		clear(acc)
		for k0 := 0; k0 < K; k0 += kc {
			kk := min(kc, K-k0)
			for tp := 0; tp < nT; tp++ {
				xs := xp[tp*tileT*K+k0*tileT : tp*tileT*K+(k0+kk)*tileT]
				for b := 0; b < nb; b++ {
					ks.tile(xs, wb[b*tileN*K+k0:], K, kk, acc[(tp*nb+b)*tileT*tileN:])
				}
			}
		}
		for tp := 0; tp < nT; tp++ {
			t0 := tp * tileT
			tr := min(tileT, T-t0)
			for b := 0; b < nb; b++ {
				tile := acc[(tp*nb+b)*tileT*tileN:]
				nb0 := n0 + b*tileN
				for t := 0; t < tr; t++ {
					o := out[(t0+t)*N+nb0 : (t0+t)*N+min(nb0+tileN, n0+nr)]
					for n := range o {
						o[n] = tile[n*tileT+t]
					}
				}
			}
		}
		floatPool.Put(accp)
		floatPool.Put(bufp)
	})
	floatPool.Put(xpp)
}

// rowsOrGemm runs the set's T>maxMatVecT path: rowGemm where the set has a
// dot2x4 kernel, else the packed, tiled gemm.
func rowsOrGemm[W float32 | uint16](out, x []float32, w []W, T, K, N int, ks *kernelSet,
	block func(buf []float32, n0, nr, nPad int) []float32) {
	if ks.dot2x4 != nil {
		rowGemm(out, x, w, T, K, N, ks, block)
		return
	}
	gemm(out, x, w, T, K, N, ks, block)
}

// rowGemmFloats bounds one rowGemm chunk of widened weight rows (32 KiB of
// f32): it is re-read once per pair of x rows, so it should stay in L1.
const rowGemmFloats = 8192

// rowGemm computes out (T,N) = x (T,K) · wᵀ for kernel sets without a
// vectorised tile (the generic Go set, i.e. js/wasm). Per worker chunk of
// weight rows, the rows are widened to f32 once (not once per x row, as T
// matrix-vector products would), then for each pair of x rows and each group
// of 4 weight rows, dot2x4 accumulates 8 outputs: every loaded weight feeds
// two multiply-adds and every loaded x value four. x is read in place, so
// nothing is packed; each output is one running sum over k in order.
func rowGemm[W float32 | uint16](out, x []float32, w []W, T, K, N int, ks *kernelSet,
	block func(buf []float32, n0, nr, nPad int) []float32) {
	rows := max(4, rowGemmFloats/max(K, 1)&^3)
	chunks := (N + rows - 1) / rows
	run := func(c int) {
		n0 := c * rows
		nr := min(rows, N-n0)
		nPad := (nr + 3) &^ 3
		bufp := getFloats(nPad * K)
		wb := block(*bufp, n0, nr, nPad)
		var o [8]float32
		var o4 [4]float32
		for t := 0; t < T; t += 2 {
			xt := x[t*K:]
			for n := 0; n < nr; n += 4 {
				cols := min(4, nr-n)
				if t+1 == T { // odd T: the last row alone
					ks.dot4F32(xt, wb[n*K:], K, K, &o4)
					copy(out[t*N+n0+n:t*N+n0+n+cols], o4[:cols])
					continue
				}
				ks.dot2x4(xt, K, wb[n*K:], K, K, &o)
				copy(out[t*N+n0+n:t*N+n0+n+cols], o[:cols])
				copy(out[(t+1)*N+n0+n:(t+1)*N+n0+n+cols], o[4:4+cols])
			}
		}
		floatPool.Put(bufp)
	}
	if chunks == 1 || T*K*N < 1<<15 {
		for c := 0; c < chunks; c++ {
			run(c)
		}
		return
	}
	ParallelFor(chunks, run)
}
