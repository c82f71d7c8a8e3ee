//go:build amd64

#include "textflag.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// reduce4 leaves the horizontal sums of Y0, Y2, Y4, Y6 in X0 as
// [sum Y0, sum Y2, sum Y4, sum Y6] and stores them at (DX).
#define REDUCE4_STORE \
	VHADDPS Y2, Y0, Y0; \
	VHADDPS Y6, Y4, Y4; \
	VHADDPS Y4, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	VMOVUPS X0, (DX)

// func dot4F32asm(x *float32, w *float32, ldw int, k int, o *[4]float32)
// o[i] = Σ_{j<k} x[j]·w[i*ldw+j], i < 4; k is a multiple of 8.
// Rows are DI, DI+BX, R8, R8+BX. Two accumulators per row over 16 columns.
// Each row is prefetched 512 bytes ahead: decode streams every weight from
// memory once per token, and on this machine the explicit prefetch measured
// ~20% more bandwidth per CPU-second than the hardware prefetcher alone
// (340 MB f16 matrix, distances 256/512/1024 tried, 512 best).
TEXT ·dot4F32asm(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ w+8(FP), DI
	MOVQ ldw+16(FP), BX
	MOVQ k+24(FP), CX
	MOVQ o+32(FP), DX
	SHLQ $2, BX
	LEAQ (DI)(BX*2), R8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
f32loop16:
	CMPQ CX, $16
	JL   f32tail8
	PREFETCHT0 512(DI)
	PREFETCHT0 512(DI)(BX*1)
	PREFETCHT0 512(R8)
	PREFETCHT0 512(R8)(BX*1)
	VMOVUPS (SI), Y8
	VMOVUPS 32(SI), Y9
	VFMADD231PS (DI), Y8, Y0
	VFMADD231PS 32(DI), Y9, Y1
	VFMADD231PS (DI)(BX*1), Y8, Y2
	VFMADD231PS 32(DI)(BX*1), Y9, Y3
	VFMADD231PS (R8), Y8, Y4
	VFMADD231PS 32(R8), Y9, Y5
	VFMADD231PS (R8)(BX*1), Y8, Y6
	VFMADD231PS 32(R8)(BX*1), Y9, Y7
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R8
	SUBQ $16, CX
	JMP  f32loop16
f32tail8:
	CMPQ CX, $8
	JL   f32done
	VMOVUPS (SI), Y8
	VFMADD231PS (DI), Y8, Y0
	VFMADD231PS (DI)(BX*1), Y8, Y2
	VFMADD231PS (R8), Y8, Y4
	VFMADD231PS (R8)(BX*1), Y8, Y6
f32done:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	REDUCE4_STORE
	VZEROUPPER
	RET

// func dot4F16asm(x *float32, w *uint16, ldw int, k int, o *[4]float32)
// As dot4F32asm with binary16 weights widened by VCVTPH2PS (F16C).
TEXT ·dot4F16asm(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ w+8(FP), DI
	MOVQ ldw+16(FP), BX
	MOVQ k+24(FP), CX
	MOVQ o+32(FP), DX
	SHLQ $1, BX
	LEAQ (DI)(BX*2), R8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
f16loop16:
	CMPQ CX, $16
	JL   f16tail8
	PREFETCHT0 512(DI)
	PREFETCHT0 512(DI)(BX*1)
	PREFETCHT0 512(R8)
	PREFETCHT0 512(R8)(BX*1)
	VMOVUPS (SI), Y8
	VMOVUPS 32(SI), Y9
	VCVTPH2PS (DI), Y10
	VCVTPH2PS 16(DI), Y11
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y11, Y9, Y1
	VCVTPH2PS (DI)(BX*1), Y12
	VCVTPH2PS 16(DI)(BX*1), Y13
	VFMADD231PS Y12, Y8, Y2
	VFMADD231PS Y13, Y9, Y3
	VCVTPH2PS (R8), Y10
	VCVTPH2PS 16(R8), Y11
	VFMADD231PS Y10, Y8, Y4
	VFMADD231PS Y11, Y9, Y5
	VCVTPH2PS (R8)(BX*1), Y12
	VCVTPH2PS 16(R8)(BX*1), Y13
	VFMADD231PS Y12, Y8, Y6
	VFMADD231PS Y13, Y9, Y7
	ADDQ $64, SI
	ADDQ $32, DI
	ADDQ $32, R8
	SUBQ $16, CX
	JMP  f16loop16
f16tail8:
	CMPQ CX, $8
	JL   f16done
	VMOVUPS (SI), Y8
	VCVTPH2PS (DI), Y10
	VFMADD231PS Y10, Y8, Y0
	VCVTPH2PS (DI)(BX*1), Y12
	VFMADD231PS Y12, Y8, Y2
	VCVTPH2PS (R8), Y10
	VFMADD231PS Y10, Y8, Y4
	VCVTPH2PS (R8)(BX*1), Y12
	VFMADD231PS Y12, Y8, Y6
f16done:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	REDUCE4_STORE
	VZEROUPPER
	RET

// func matVecF16asm(x *float32, w *uint16, ldw, k, rows int, out *float32)
// out[n] = Σ_{j<k} x[j]·w[n*ldw+j] for n < rows; k is a multiple of 8.
// One row at a time, so that the weights are read as one linear stream
// (rows are stored back to back) that the hardware prefetcher follows.
// Each output has two 8-lane accumulators, A for columns 16i..16i+7 (and a
// last 8) and B for 16i+8..16i+15, summed in k order, then A+B and
// ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)); dotT4F16asm and dotT2F16asm sum the
// same way, so a row of x gets the same bits in every kernel.
//
// Measured with the weights cycling through 192 MB (DRAM, one thread, GB/s
// of weights per CPU-second, SmolLM2-135M shapes): the earlier kernel, four
// rows at a time with each row prefetched 512 bytes ahead, reached 6-10;
// four rows with one stream prefetch 8 KiB ahead, 10-13; this one, 15-17,
// against 17-21 for a bare read of the same bytes. Software prefetch made
// this loop slower.
TEXT ·matVecF16asm(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), R12
	MOVQ w+8(FP), R13
	MOVQ ldw+16(FP), BX
	MOVQ k+24(FP), R11
	MOVQ rows+32(FP), R10
	MOVQ out+40(FP), DX
	SHLQ $1, BX
mvhrow:
	TESTQ R10, R10
	JZ   mvhdone
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	MOVQ R12, SI
	MOVQ R13, DI
	MOVQ R11, CX
mvhloop32:
	CMPQ CX, $32
	JL   mvhloop16
	VCVTPH2PS (DI), Y4
	VCVTPH2PS 16(DI), Y5
	VCVTPH2PS 32(DI), Y6
	VCVTPH2PS 48(DI), Y7
	VFMADD231PS (SI), Y4, Y0
	VFMADD231PS 32(SI), Y5, Y1
	VFMADD231PS 64(SI), Y6, Y0
	VFMADD231PS 96(SI), Y7, Y1
	ADDQ $128, SI
	ADDQ $64, DI
	SUBQ $32, CX
	JMP  mvhloop32
mvhloop16:
	CMPQ CX, $16
	JL   mvhtail
	VCVTPH2PS (DI), Y4
	VCVTPH2PS 16(DI), Y5
	VFMADD231PS (SI), Y4, Y0
	VFMADD231PS 32(SI), Y5, Y1
	ADDQ $64, SI
	ADDQ $32, DI
	SUBQ $16, CX
mvhtail:
	CMPQ CX, $8
	JL   mvhred
	VCVTPH2PS (DI), Y4
	VFMADD231PS (SI), Y4, Y0
mvhred:
	VADDPS Y1, Y0, Y0
	VHADDPS Y0, Y0, Y0
	VHADDPS Y0, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVSS X0, (DX)
	ADDQ $4, DX
	ADDQ BX, R13
	DECQ R10
	JMP  mvhrow
mvhdone:
	VZEROUPPER
	RET

// func dotT4F16asm(x *float32, ldx int, w *uint16, ldw, k, rows int, out *float32, ldo int)
// out[t*ldo+n] = Σ_{j<k} x[t*ldx+j]·w[n*ldw+j] for t < 4, n < rows; k is
// a multiple of 8. Each weight row is widened once and multiplied into four
// rows of x: accumulators Y(2t) and Y(2t+1) are x row t's A and B of
// matVecF16asm, summed the same way. This loop consumes weights four times
// slower than matVecF16asm, and a prefetch 4 KiB ahead in the stream helped
// it (f16, weights from memory, T=4 over T=1 time: 1.74-1.89 without, 1.55-1.68
// with; 8 KiB was no better), where in matVecF16asm and dotT2F16asm it cost.
TEXT ·dotT4F16asm(SB), NOSPLIT, $0-64
	MOVQ x+0(FP), R12
	MOVQ ldx+8(FP), R14
	MOVQ w+16(FP), R13
	MOVQ ldw+24(FP), BX
	MOVQ k+32(FP), R11
	MOVQ rows+40(FP), R10
	MOVQ out+48(FP), DX
	MOVQ ldo+56(FP), AX
	SHLQ $2, R14
	SHLQ $1, BX
	SHLQ $2, AX
st4row:
	TESTQ R10, R10
	JZ   st4done
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ R12, SI
	LEAQ (SI)(R14*2), R9
	MOVQ R13, DI
	MOVQ R11, CX
st4loop16:
	CMPQ CX, $16
	JL   st4tail
	PREFETCHT0 4096(DI)
	VCVTPH2PS (DI), Y8
	VCVTPH2PS 16(DI), Y9
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS 32(SI), Y9, Y1
	VFMADD231PS (SI)(R14*1), Y8, Y2
	VFMADD231PS 32(SI)(R14*1), Y9, Y3
	VFMADD231PS (R9), Y8, Y4
	VFMADD231PS 32(R9), Y9, Y5
	VFMADD231PS (R9)(R14*1), Y8, Y6
	VFMADD231PS 32(R9)(R14*1), Y9, Y7
	ADDQ $64, SI
	ADDQ $64, R9
	ADDQ $32, DI
	SUBQ $16, CX
	JMP  st4loop16
st4tail:
	CMPQ CX, $8
	JL   st4red
	VCVTPH2PS (DI), Y8
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS (SI)(R14*1), Y8, Y2
	VFMADD231PS (R9), Y8, Y4
	VFMADD231PS (R9)(R14*1), Y8, Y6
st4red:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VHADDPS Y2, Y0, Y0
	VHADDPS Y6, Y4, Y4
	VHADDPS Y4, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	LEAQ (DX)(AX*2), R9
	VMOVSS X0, (DX)
	VEXTRACTPS $1, X0, (DX)(AX*1)
	VEXTRACTPS $2, X0, (R9)
	VEXTRACTPS $3, X0, (R9)(AX*1)
	ADDQ $4, DX
	ADDQ BX, R13
	DECQ R10
	JMP  st4row
st4done:
	VZEROUPPER
	RET

// func dotT2F16asm(x *float32, ldx int, w *uint16, ldw, k, rows int, out *float32, ldo int)
// dotT4F16asm for two rows of x (4 accumulators).
TEXT ·dotT2F16asm(SB), NOSPLIT, $0-64
	MOVQ x+0(FP), R12
	MOVQ ldx+8(FP), R14
	MOVQ w+16(FP), R13
	MOVQ ldw+24(FP), BX
	MOVQ k+32(FP), R11
	MOVQ rows+40(FP), R10
	MOVQ out+48(FP), DX
	MOVQ ldo+56(FP), AX
	SHLQ $2, R14
	SHLQ $1, BX
	SHLQ $2, AX
st2row:
	TESTQ R10, R10
	JZ   st2done
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ R12, SI
	MOVQ R13, DI
	MOVQ R11, CX
st2loop16:
	CMPQ CX, $16
	JL   st2tail
	VCVTPH2PS (DI), Y8
	VCVTPH2PS 16(DI), Y9
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS 32(SI), Y9, Y1
	VFMADD231PS (SI)(R14*1), Y8, Y2
	VFMADD231PS 32(SI)(R14*1), Y9, Y3
	ADDQ $64, SI
	ADDQ $32, DI
	SUBQ $16, CX
	JMP  st2loop16
st2tail:
	CMPQ CX, $8
	JL   st2red
	VCVTPH2PS (DI), Y8
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS (SI)(R14*1), Y8, Y2
st2red:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VHADDPS Y2, Y0, Y0
	VHADDPS Y0, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVSS X0, (DX)
	VEXTRACTPS $1, X0, (DX)(AX*1)
	ADDQ $4, DX
	ADDQ BX, R13
	DECQ R10
	JMP  st2row
st2done:
	VZEROUPPER
	RET

// func matVecBF16asm(x *float32, w *uint16, ldw, k, rows int, out *float32)
// matVecF16asm for bfloat16 weights, widened by a zero-extend and a
// 16-bit shift (bf16 is the top half of an f32).
TEXT ·matVecBF16asm(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), R12
	MOVQ w+8(FP), R13
	MOVQ ldw+16(FP), BX
	MOVQ k+24(FP), R11
	MOVQ rows+32(FP), R10
	MOVQ out+40(FP), DX
	SHLQ $1, BX
bmvhrow:
	TESTQ R10, R10
	JZ   bmvhdone
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	MOVQ R12, SI
	MOVQ R13, DI
	MOVQ R11, CX
bmvhloop32:
	CMPQ CX, $32
	JL   bmvhloop16
	VPMOVZXWD (DI), Y4
	VPSLLD $16, Y4, Y4
	VPMOVZXWD 16(DI), Y5
	VPSLLD $16, Y5, Y5
	VPMOVZXWD 32(DI), Y6
	VPSLLD $16, Y6, Y6
	VPMOVZXWD 48(DI), Y7
	VPSLLD $16, Y7, Y7
	VFMADD231PS (SI), Y4, Y0
	VFMADD231PS 32(SI), Y5, Y1
	VFMADD231PS 64(SI), Y6, Y0
	VFMADD231PS 96(SI), Y7, Y1
	ADDQ $128, SI
	ADDQ $64, DI
	SUBQ $32, CX
	JMP  bmvhloop32
bmvhloop16:
	CMPQ CX, $16
	JL   bmvhtail
	VPMOVZXWD (DI), Y4
	VPSLLD $16, Y4, Y4
	VPMOVZXWD 16(DI), Y5
	VPSLLD $16, Y5, Y5
	VFMADD231PS (SI), Y4, Y0
	VFMADD231PS 32(SI), Y5, Y1
	ADDQ $64, SI
	ADDQ $32, DI
	SUBQ $16, CX
bmvhtail:
	CMPQ CX, $8
	JL   bmvhred
	VPMOVZXWD (DI), Y4
	VPSLLD $16, Y4, Y4
	VFMADD231PS (SI), Y4, Y0
bmvhred:
	VADDPS Y1, Y0, Y0
	VHADDPS Y0, Y0, Y0
	VHADDPS Y0, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVSS X0, (DX)
	ADDQ $4, DX
	ADDQ BX, R13
	DECQ R10
	JMP  bmvhrow
bmvhdone:
	VZEROUPPER
	RET

// func dotT4BF16asm(x *float32, ldx int, w *uint16, ldw, k, rows int, out *float32, ldo int)
// dotT4F16asm for bfloat16 weights.
TEXT ·dotT4BF16asm(SB), NOSPLIT, $0-64
	MOVQ x+0(FP), R12
	MOVQ ldx+8(FP), R14
	MOVQ w+16(FP), R13
	MOVQ ldw+24(FP), BX
	MOVQ k+32(FP), R11
	MOVQ rows+40(FP), R10
	MOVQ out+48(FP), DX
	MOVQ ldo+56(FP), AX
	SHLQ $2, R14
	SHLQ $1, BX
	SHLQ $2, AX
bst4row:
	TESTQ R10, R10
	JZ   bst4done
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ R12, SI
	LEAQ (SI)(R14*2), R9
	MOVQ R13, DI
	MOVQ R11, CX
bst4loop16:
	CMPQ CX, $16
	JL   bst4tail
	PREFETCHT0 4096(DI)
	VPMOVZXWD (DI), Y8
	VPSLLD $16, Y8, Y8
	VPMOVZXWD 16(DI), Y9
	VPSLLD $16, Y9, Y9
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS 32(SI), Y9, Y1
	VFMADD231PS (SI)(R14*1), Y8, Y2
	VFMADD231PS 32(SI)(R14*1), Y9, Y3
	VFMADD231PS (R9), Y8, Y4
	VFMADD231PS 32(R9), Y9, Y5
	VFMADD231PS (R9)(R14*1), Y8, Y6
	VFMADD231PS 32(R9)(R14*1), Y9, Y7
	ADDQ $64, SI
	ADDQ $64, R9
	ADDQ $32, DI
	SUBQ $16, CX
	JMP  bst4loop16
bst4tail:
	CMPQ CX, $8
	JL   bst4red
	VPMOVZXWD (DI), Y8
	VPSLLD $16, Y8, Y8
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS (SI)(R14*1), Y8, Y2
	VFMADD231PS (R9), Y8, Y4
	VFMADD231PS (R9)(R14*1), Y8, Y6
bst4red:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VHADDPS Y2, Y0, Y0
	VHADDPS Y6, Y4, Y4
	VHADDPS Y4, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	LEAQ (DX)(AX*2), R9
	VMOVSS X0, (DX)
	VEXTRACTPS $1, X0, (DX)(AX*1)
	VEXTRACTPS $2, X0, (R9)
	VEXTRACTPS $3, X0, (R9)(AX*1)
	ADDQ $4, DX
	ADDQ BX, R13
	DECQ R10
	JMP  bst4row
bst4done:
	VZEROUPPER
	RET

// func dotT2BF16asm(x *float32, ldx int, w *uint16, ldw, k, rows int, out *float32, ldo int)
// dotT2F16asm for bfloat16 weights.
TEXT ·dotT2BF16asm(SB), NOSPLIT, $0-64
	MOVQ x+0(FP), R12
	MOVQ ldx+8(FP), R14
	MOVQ w+16(FP), R13
	MOVQ ldw+24(FP), BX
	MOVQ k+32(FP), R11
	MOVQ rows+40(FP), R10
	MOVQ out+48(FP), DX
	MOVQ ldo+56(FP), AX
	SHLQ $2, R14
	SHLQ $1, BX
	SHLQ $2, AX
bst2row:
	TESTQ R10, R10
	JZ   bst2done
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ R12, SI
	MOVQ R13, DI
	MOVQ R11, CX
bst2loop16:
	CMPQ CX, $16
	JL   bst2tail
	VPMOVZXWD (DI), Y8
	VPSLLD $16, Y8, Y8
	VPMOVZXWD 16(DI), Y9
	VPSLLD $16, Y9, Y9
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS 32(SI), Y9, Y1
	VFMADD231PS (SI)(R14*1), Y8, Y2
	VFMADD231PS 32(SI)(R14*1), Y9, Y3
	ADDQ $64, SI
	ADDQ $32, DI
	SUBQ $16, CX
	JMP  bst2loop16
bst2tail:
	CMPQ CX, $8
	JL   bst2red
	VPMOVZXWD (DI), Y8
	VPSLLD $16, Y8, Y8
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS (SI)(R14*1), Y8, Y2
bst2red:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VHADDPS Y2, Y0, Y0
	VHADDPS Y0, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVSS X0, (DX)
	VEXTRACTPS $1, X0, (DX)(AX*1)
	ADDQ $4, DX
	ADDQ BX, R13
	DECQ R10
	JMP  bst2row
bst2done:
	VZEROUPPER
	RET

// func dot4BF16asm(x *float32, w *uint16, ldw int, k int, o *[4]float32)
// As dot4F32asm with bfloat16 weights widened by a zero-extend and a 16-bit
// shift (bf16 is the top half of an f32).
TEXT ·dot4BF16asm(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ w+8(FP), DI
	MOVQ ldw+16(FP), BX
	MOVQ k+24(FP), CX
	MOVQ o+32(FP), DX
	SHLQ $1, BX
	LEAQ (DI)(BX*2), R8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
bf16loop16:
	CMPQ CX, $16
	JL   bf16tail8
	PREFETCHT0 512(DI)
	PREFETCHT0 512(DI)(BX*1)
	PREFETCHT0 512(R8)
	PREFETCHT0 512(R8)(BX*1)
	VMOVUPS (SI), Y8
	VMOVUPS 32(SI), Y9
	VPMOVZXWD (DI), Y10
	VPMOVZXWD 16(DI), Y11
	VPSLLD $16, Y10, Y10
	VPSLLD $16, Y11, Y11
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y11, Y9, Y1
	VPMOVZXWD (DI)(BX*1), Y12
	VPMOVZXWD 16(DI)(BX*1), Y13
	VPSLLD $16, Y12, Y12
	VPSLLD $16, Y13, Y13
	VFMADD231PS Y12, Y8, Y2
	VFMADD231PS Y13, Y9, Y3
	VPMOVZXWD (R8), Y10
	VPMOVZXWD 16(R8), Y11
	VPSLLD $16, Y10, Y10
	VPSLLD $16, Y11, Y11
	VFMADD231PS Y10, Y8, Y4
	VFMADD231PS Y11, Y9, Y5
	VPMOVZXWD (R8)(BX*1), Y12
	VPMOVZXWD 16(R8)(BX*1), Y13
	VPSLLD $16, Y12, Y12
	VPSLLD $16, Y13, Y13
	VFMADD231PS Y12, Y8, Y6
	VFMADD231PS Y13, Y9, Y7
	ADDQ $64, SI
	ADDQ $32, DI
	ADDQ $32, R8
	SUBQ $16, CX
	JMP  bf16loop16
bf16tail8:
	CMPQ CX, $8
	JL   bf16done
	VMOVUPS (SI), Y8
	VPMOVZXWD (DI), Y10
	VPSLLD $16, Y10, Y10
	VFMADD231PS Y10, Y8, Y0
	VPMOVZXWD (DI)(BX*1), Y12
	VPSLLD $16, Y12, Y12
	VFMADD231PS Y12, Y8, Y2
	VPMOVZXWD (R8), Y10
	VPSLLD $16, Y10, Y10
	VFMADD231PS Y10, Y8, Y4
	VPMOVZXWD (R8)(BX*1), Y12
	VPSLLD $16, Y12, Y12
	VFMADD231PS Y12, Y8, Y6
bf16done:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	REDUCE4_STORE
	VZEROUPPER
	RET

// One k step of the 16×6 tile: two x vectors (SI), six broadcast weights
// from rows DI, DI+BX, DI+2BX, R8, R8+BX, R8+2BX at byte offset off.
#define TILE_STEP(xoff, woff) \
	VMOVUPS xoff(SI), Y12; \
	VMOVUPS xoff+32(SI), Y13; \
	VBROADCASTSS woff(DI), Y14; \
	VFMADD231PS Y12, Y14, Y0; \
	VFMADD231PS Y13, Y14, Y1; \
	VBROADCASTSS woff(DI)(BX*1), Y15; \
	VFMADD231PS Y12, Y15, Y2; \
	VFMADD231PS Y13, Y15, Y3; \
	VBROADCASTSS woff(DI)(BX*2), Y14; \
	VFMADD231PS Y12, Y14, Y4; \
	VFMADD231PS Y13, Y14, Y5; \
	VBROADCASTSS woff(R8), Y15; \
	VFMADD231PS Y12, Y15, Y6; \
	VFMADD231PS Y13, Y15, Y7; \
	VBROADCASTSS woff(R8)(BX*1), Y14; \
	VFMADD231PS Y12, Y14, Y8; \
	VFMADD231PS Y13, Y14, Y9; \
	VBROADCASTSS woff(R8)(BX*2), Y15; \
	VFMADD231PS Y12, Y15, Y10; \
	VFMADD231PS Y13, Y15, Y11

// func tileAVX2asm(xp *float32, w *float32, ldw int, k int, c *[96]float32)
// c[n*16+t] += Σ_{j<k} xp[j*16+t]·w[n*ldw+j] for n < 6, t < 16; k ≥ 1.
// Accumulators: Y(2n) holds t 0..7 and Y(2n+1) t 8..15 of weight row n.
TEXT ·tileAVX2asm(SB), NOSPLIT, $0-40
	MOVQ xp+0(FP), SI
	MOVQ w+8(FP), DI
	MOVQ ldw+16(FP), BX
	MOVQ k+24(FP), CX
	MOVQ c+32(FP), DX
	SHLQ $2, BX
	LEAQ (DI)(BX*2), R8
	ADDQ BX, R8
	VMOVUPS 0(DX), Y0
	VMOVUPS 32(DX), Y1
	VMOVUPS 64(DX), Y2
	VMOVUPS 96(DX), Y3
	VMOVUPS 128(DX), Y4
	VMOVUPS 160(DX), Y5
	VMOVUPS 192(DX), Y6
	VMOVUPS 224(DX), Y7
	VMOVUPS 256(DX), Y8
	VMOVUPS 288(DX), Y9
	VMOVUPS 320(DX), Y10
	VMOVUPS 352(DX), Y11
tileloop4:
	CMPQ CX, $4
	JL   tiletail
	TILE_STEP(0, 0)
	TILE_STEP(64, 4)
	TILE_STEP(128, 8)
	TILE_STEP(192, 12)
	ADDQ $256, SI
	ADDQ $16, DI
	ADDQ $16, R8
	SUBQ $4, CX
	JMP  tileloop4
tiletail:
	TESTQ CX, CX
	JZ    tilestore
	TILE_STEP(0, 0)
	ADDQ $64, SI
	ADDQ $4, DI
	ADDQ $4, R8
	DECQ CX
	JMP  tiletail
tilestore:
	VMOVUPS Y0, 0(DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	VMOVUPS Y3, 96(DX)
	VMOVUPS Y4, 128(DX)
	VMOVUPS Y5, 160(DX)
	VMOVUPS Y6, 192(DX)
	VMOVUPS Y7, 224(DX)
	VMOVUPS Y8, 256(DX)
	VMOVUPS Y9, 288(DX)
	VMOVUPS Y10, 320(DX)
	VMOVUPS Y11, 352(DX)
	VZEROUPPER
	RET

// One k step of the 32×12 tile: two x vectors (SI), twelve broadcast
// weights from rows DI, R8, R9, R10 (+0, +BX, +2BX each) at byte offset woff.
#define TILE512_STEP(xoff, woff) \
	VMOVUPS xoff(SI), Z24; \
	VMOVUPS xoff+64(SI), Z25; \
	VBROADCASTSS woff(DI), Z26; \
	VFMADD231PS Z24, Z26, Z0; \
	VFMADD231PS Z25, Z26, Z1; \
	VBROADCASTSS woff(DI)(BX*1), Z27; \
	VFMADD231PS Z24, Z27, Z2; \
	VFMADD231PS Z25, Z27, Z3; \
	VBROADCASTSS woff(DI)(BX*2), Z26; \
	VFMADD231PS Z24, Z26, Z4; \
	VFMADD231PS Z25, Z26, Z5; \
	VBROADCASTSS woff(R8), Z27; \
	VFMADD231PS Z24, Z27, Z6; \
	VFMADD231PS Z25, Z27, Z7; \
	VBROADCASTSS woff(R8)(BX*1), Z26; \
	VFMADD231PS Z24, Z26, Z8; \
	VFMADD231PS Z25, Z26, Z9; \
	VBROADCASTSS woff(R8)(BX*2), Z27; \
	VFMADD231PS Z24, Z27, Z10; \
	VFMADD231PS Z25, Z27, Z11; \
	VBROADCASTSS woff(R9), Z26; \
	VFMADD231PS Z24, Z26, Z12; \
	VFMADD231PS Z25, Z26, Z13; \
	VBROADCASTSS woff(R9)(BX*1), Z27; \
	VFMADD231PS Z24, Z27, Z14; \
	VFMADD231PS Z25, Z27, Z15; \
	VBROADCASTSS woff(R9)(BX*2), Z26; \
	VFMADD231PS Z24, Z26, Z16; \
	VFMADD231PS Z25, Z26, Z17; \
	VBROADCASTSS woff(R10), Z27; \
	VFMADD231PS Z24, Z27, Z18; \
	VFMADD231PS Z25, Z27, Z19; \
	VBROADCASTSS woff(R10)(BX*1), Z26; \
	VFMADD231PS Z24, Z26, Z20; \
	VFMADD231PS Z25, Z26, Z21; \
	VBROADCASTSS woff(R10)(BX*2), Z27; \
	VFMADD231PS Z24, Z27, Z22; \
	VFMADD231PS Z25, Z27, Z23

// func tileAVX512asm(xp *float32, w *float32, ldw int, k int, c *float32)
// c[n*32+t] += Σ_{j<k} xp[j*32+t]·w[n*ldw+j] for n < 12, t < 32; k ≥ 1.
// Accumulators: Z(2n) holds t 0..15 and Z(2n+1) t 16..31 of weight row n.
TEXT ·tileAVX512asm(SB), NOSPLIT, $0-40
	MOVQ xp+0(FP), SI
	MOVQ w+8(FP), DI
	MOVQ ldw+16(FP), BX
	MOVQ k+24(FP), CX
	MOVQ c+32(FP), DX
	SHLQ $2, BX
	LEAQ (DI)(BX*2), R8
	ADDQ BX, R8
	LEAQ (R8)(BX*2), R9
	ADDQ BX, R9
	LEAQ (R9)(BX*2), R10
	ADDQ BX, R10
	VMOVUPS 0(DX), Z0
	VMOVUPS 64(DX), Z1
	VMOVUPS 128(DX), Z2
	VMOVUPS 192(DX), Z3
	VMOVUPS 256(DX), Z4
	VMOVUPS 320(DX), Z5
	VMOVUPS 384(DX), Z6
	VMOVUPS 448(DX), Z7
	VMOVUPS 512(DX), Z8
	VMOVUPS 576(DX), Z9
	VMOVUPS 640(DX), Z10
	VMOVUPS 704(DX), Z11
	VMOVUPS 768(DX), Z12
	VMOVUPS 832(DX), Z13
	VMOVUPS 896(DX), Z14
	VMOVUPS 960(DX), Z15
	VMOVUPS 1024(DX), Z16
	VMOVUPS 1088(DX), Z17
	VMOVUPS 1152(DX), Z18
	VMOVUPS 1216(DX), Z19
	VMOVUPS 1280(DX), Z20
	VMOVUPS 1344(DX), Z21
	VMOVUPS 1408(DX), Z22
	VMOVUPS 1472(DX), Z23
t512loop2:
	CMPQ CX, $2
	JL   t512tail
	TILE512_STEP(0, 0)
	TILE512_STEP(128, 4)
	ADDQ $256, SI
	ADDQ $8, DI
	ADDQ $8, R8
	ADDQ $8, R9
	ADDQ $8, R10
	SUBQ $2, CX
	JMP  t512loop2
t512tail:
	TESTQ CX, CX
	JZ    t512store
	TILE512_STEP(0, 0)
t512store:
	VMOVUPS Z0, 0(DX)
	VMOVUPS Z1, 64(DX)
	VMOVUPS Z2, 128(DX)
	VMOVUPS Z3, 192(DX)
	VMOVUPS Z4, 256(DX)
	VMOVUPS Z5, 320(DX)
	VMOVUPS Z6, 384(DX)
	VMOVUPS Z7, 448(DX)
	VMOVUPS Z8, 512(DX)
	VMOVUPS Z9, 576(DX)
	VMOVUPS Z10, 640(DX)
	VMOVUPS Z11, 704(DX)
	VMOVUPS Z12, 768(DX)
	VMOVUPS Z13, 832(DX)
	VMOVUPS Z14, 896(DX)
	VMOVUPS Z15, 960(DX)
	VMOVUPS Z16, 1024(DX)
	VMOVUPS Z17, 1088(DX)
	VMOVUPS Z18, 1152(DX)
	VMOVUPS Z19, 1216(DX)
	VMOVUPS Z20, 1280(DX)
	VMOVUPS Z21, 1344(DX)
	VMOVUPS Z22, 1408(DX)
	VMOVUPS Z23, 1472(DX)
	VZEROUPPER
	RET

// func cvtF16asm(dst *float32, src *uint16, n int)   n is a multiple of 8
TEXT ·cvtF16asm(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
cvtf16loop32:
	CMPQ CX, $32
	JL   cvtf16loop8
	VCVTPH2PS (SI), Y0
	VCVTPH2PS 16(SI), Y1
	VCVTPH2PS 32(SI), Y2
	VCVTPH2PS 48(SI), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $64, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  cvtf16loop32
cvtf16loop8:
	CMPQ CX, $8
	JL   cvtf16done
	VCVTPH2PS (SI), Y0
	VMOVUPS Y0, (DI)
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  cvtf16loop8
cvtf16done:
	VZEROUPPER
	RET

// func cvtBF16asm(dst *float32, src *uint16, n int)   n is a multiple of 8
TEXT ·cvtBF16asm(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
cvtbf16loop8:
	CMPQ CX, $8
	JL   cvtbf16done
	VPMOVZXWD (SI), Y0
	VPSLLD $16, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  cvtbf16loop8
cvtbf16done:
	VZEROUPPER
	RET

// func dotasm(x, y *float32, n int) float32   n is a multiple of 8
TEXT ·dotasm(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
dotloop32:
	CMPQ CX, $32
	JL   dotloop8
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  dotloop32
dotloop8:
	CMPQ CX, $8
	JL   dotdone
	VMOVUPS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  dotloop8
dotdone:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func axpyasm(a float32, x, y *float32, n int)   n is a multiple of 8
TEXT ·axpyasm(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Y0
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
axpyloop32:
	CMPQ CX, $32
	JL   axpyloop8
	VMOVUPS (DI), Y4
	VMOVUPS 32(DI), Y5
	VMOVUPS 64(DI), Y6
	VMOVUPS 96(DI), Y7
	VFMADD231PS (SI), Y0, Y4
	VFMADD231PS 32(SI), Y0, Y5
	VFMADD231PS 64(SI), Y0, Y6
	VFMADD231PS 96(SI), Y0, Y7
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	VMOVUPS Y6, 64(DI)
	VMOVUPS Y7, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  axpyloop32
axpyloop8:
	CMPQ CX, $8
	JL   axpydone
	VMOVUPS (DI), Y4
	VFMADD231PS (SI), Y0, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  axpyloop8
axpydone:
	VZEROUPPER
	RET

// expc holds the constants of EXP8, each repeated in 8 lanes: the clamp
// bounds, log2(e) and 0.5 for n = floor(x·log2e + 0.5), ln 2 split in two
// (Cody-Waite) for r = x - n·ln2, the degree-5 minimax polynomial of Cephes' expf
// (exp(r) ≈ 1 + r + r²·p(r)), 1, the exponent bias 127 and the sign bit.
DATA expc<>+0(SB)/4, $0x42b17218 // hi
DATA expc<>+4(SB)/4, $0x42b17218
DATA expc<>+8(SB)/4, $0x42b17218
DATA expc<>+12(SB)/4, $0x42b17218
DATA expc<>+16(SB)/4, $0x42b17218
DATA expc<>+20(SB)/4, $0x42b17218
DATA expc<>+24(SB)/4, $0x42b17218
DATA expc<>+28(SB)/4, $0x42b17218
DATA expc<>+32(SB)/4, $0xc2b0c0a5 // lo
DATA expc<>+36(SB)/4, $0xc2b0c0a5
DATA expc<>+40(SB)/4, $0xc2b0c0a5
DATA expc<>+44(SB)/4, $0xc2b0c0a5
DATA expc<>+48(SB)/4, $0xc2b0c0a5
DATA expc<>+52(SB)/4, $0xc2b0c0a5
DATA expc<>+56(SB)/4, $0xc2b0c0a5
DATA expc<>+60(SB)/4, $0xc2b0c0a5
DATA expc<>+64(SB)/4, $0x3fb8aa3b // log2e
DATA expc<>+68(SB)/4, $0x3fb8aa3b
DATA expc<>+72(SB)/4, $0x3fb8aa3b
DATA expc<>+76(SB)/4, $0x3fb8aa3b
DATA expc<>+80(SB)/4, $0x3fb8aa3b
DATA expc<>+84(SB)/4, $0x3fb8aa3b
DATA expc<>+88(SB)/4, $0x3fb8aa3b
DATA expc<>+92(SB)/4, $0x3fb8aa3b
DATA expc<>+96(SB)/4, $0x3f000000 // half
DATA expc<>+100(SB)/4, $0x3f000000
DATA expc<>+104(SB)/4, $0x3f000000
DATA expc<>+108(SB)/4, $0x3f000000
DATA expc<>+112(SB)/4, $0x3f000000
DATA expc<>+116(SB)/4, $0x3f000000
DATA expc<>+120(SB)/4, $0x3f000000
DATA expc<>+124(SB)/4, $0x3f000000
DATA expc<>+128(SB)/4, $0x3f318000 // c1
DATA expc<>+132(SB)/4, $0x3f318000
DATA expc<>+136(SB)/4, $0x3f318000
DATA expc<>+140(SB)/4, $0x3f318000
DATA expc<>+144(SB)/4, $0x3f318000
DATA expc<>+148(SB)/4, $0x3f318000
DATA expc<>+152(SB)/4, $0x3f318000
DATA expc<>+156(SB)/4, $0x3f318000
DATA expc<>+160(SB)/4, $0xb95e8083 // c2
DATA expc<>+164(SB)/4, $0xb95e8083
DATA expc<>+168(SB)/4, $0xb95e8083
DATA expc<>+172(SB)/4, $0xb95e8083
DATA expc<>+176(SB)/4, $0xb95e8083
DATA expc<>+180(SB)/4, $0xb95e8083
DATA expc<>+184(SB)/4, $0xb95e8083
DATA expc<>+188(SB)/4, $0xb95e8083
DATA expc<>+192(SB)/4, $0x39506967 // p0
DATA expc<>+196(SB)/4, $0x39506967
DATA expc<>+200(SB)/4, $0x39506967
DATA expc<>+204(SB)/4, $0x39506967
DATA expc<>+208(SB)/4, $0x39506967
DATA expc<>+212(SB)/4, $0x39506967
DATA expc<>+216(SB)/4, $0x39506967
DATA expc<>+220(SB)/4, $0x39506967
DATA expc<>+224(SB)/4, $0x3ab743ce // p1
DATA expc<>+228(SB)/4, $0x3ab743ce
DATA expc<>+232(SB)/4, $0x3ab743ce
DATA expc<>+236(SB)/4, $0x3ab743ce
DATA expc<>+240(SB)/4, $0x3ab743ce
DATA expc<>+244(SB)/4, $0x3ab743ce
DATA expc<>+248(SB)/4, $0x3ab743ce
DATA expc<>+252(SB)/4, $0x3ab743ce
DATA expc<>+256(SB)/4, $0x3c088908 // p2
DATA expc<>+260(SB)/4, $0x3c088908
DATA expc<>+264(SB)/4, $0x3c088908
DATA expc<>+268(SB)/4, $0x3c088908
DATA expc<>+272(SB)/4, $0x3c088908
DATA expc<>+276(SB)/4, $0x3c088908
DATA expc<>+280(SB)/4, $0x3c088908
DATA expc<>+284(SB)/4, $0x3c088908
DATA expc<>+288(SB)/4, $0x3d2aa9c1 // p3
DATA expc<>+292(SB)/4, $0x3d2aa9c1
DATA expc<>+296(SB)/4, $0x3d2aa9c1
DATA expc<>+300(SB)/4, $0x3d2aa9c1
DATA expc<>+304(SB)/4, $0x3d2aa9c1
DATA expc<>+308(SB)/4, $0x3d2aa9c1
DATA expc<>+312(SB)/4, $0x3d2aa9c1
DATA expc<>+316(SB)/4, $0x3d2aa9c1
DATA expc<>+320(SB)/4, $0x3e2aaaaa // p4
DATA expc<>+324(SB)/4, $0x3e2aaaaa
DATA expc<>+328(SB)/4, $0x3e2aaaaa
DATA expc<>+332(SB)/4, $0x3e2aaaaa
DATA expc<>+336(SB)/4, $0x3e2aaaaa
DATA expc<>+340(SB)/4, $0x3e2aaaaa
DATA expc<>+344(SB)/4, $0x3e2aaaaa
DATA expc<>+348(SB)/4, $0x3e2aaaaa
DATA expc<>+352(SB)/4, $0x3f000000 // p5
DATA expc<>+356(SB)/4, $0x3f000000
DATA expc<>+360(SB)/4, $0x3f000000
DATA expc<>+364(SB)/4, $0x3f000000
DATA expc<>+368(SB)/4, $0x3f000000
DATA expc<>+372(SB)/4, $0x3f000000
DATA expc<>+376(SB)/4, $0x3f000000
DATA expc<>+380(SB)/4, $0x3f000000
DATA expc<>+384(SB)/4, $0x3f800000 // one
DATA expc<>+388(SB)/4, $0x3f800000
DATA expc<>+392(SB)/4, $0x3f800000
DATA expc<>+396(SB)/4, $0x3f800000
DATA expc<>+400(SB)/4, $0x3f800000
DATA expc<>+404(SB)/4, $0x3f800000
DATA expc<>+408(SB)/4, $0x3f800000
DATA expc<>+412(SB)/4, $0x3f800000
DATA expc<>+416(SB)/4, $0x0000007f // 127
DATA expc<>+420(SB)/4, $0x0000007f
DATA expc<>+424(SB)/4, $0x0000007f
DATA expc<>+428(SB)/4, $0x0000007f
DATA expc<>+432(SB)/4, $0x0000007f
DATA expc<>+436(SB)/4, $0x0000007f
DATA expc<>+440(SB)/4, $0x0000007f
DATA expc<>+444(SB)/4, $0x0000007f
DATA expc<>+448(SB)/4, $0x80000000 // sign
DATA expc<>+452(SB)/4, $0x80000000
DATA expc<>+456(SB)/4, $0x80000000
DATA expc<>+460(SB)/4, $0x80000000
DATA expc<>+464(SB)/4, $0x80000000
DATA expc<>+468(SB)/4, $0x80000000
DATA expc<>+472(SB)/4, $0x80000000
DATA expc<>+476(SB)/4, $0x80000000
GLOBL expc<>(SB), RODATA|NOPTR, $480

// EXP8 replaces X with exp(X) in 8 lanes (Cephes expf: max relative error
// about 2 ulp). Inputs are clamped to [-88.38, 88.72] (NaN passes through:
// the constant is MIN/MAX's first source, and a NaN second source wins);
// results below about e^-87.3 flush to 0 and those above e^88.37 are +Inf,
// so silu(g) = g/(1+e^-g) is exactly 0 for very negative g. N, P and X2
// are scratch.
#define EXP8(X, N, P, X2) \
	VMOVUPS expc<>+0(SB), X2; \
	VMINPS X, X2, X; \
	VMOVUPS expc<>+32(SB), X2; \
	VMAXPS X, X2, X; \
	VMOVUPS expc<>+64(SB), N; \
	VFMADD213PS expc<>+96(SB), X, N; \
	VROUNDPS $1, N, N; \
	VFNMADD231PS expc<>+128(SB), N, X; \
	VFNMADD231PS expc<>+160(SB), N, X; \
	VMOVUPS expc<>+192(SB), P; \
	VFMADD213PS expc<>+224(SB), X, P; \
	VFMADD213PS expc<>+256(SB), X, P; \
	VFMADD213PS expc<>+288(SB), X, P; \
	VFMADD213PS expc<>+320(SB), X, P; \
	VFMADD213PS expc<>+352(SB), X, P; \
	VMULPS X, X, X2; \
	VFMADD213PS X, X2, P; \
	VADDPS expc<>+384(SB), P, P; \
	VCVTTPS2DQ N, N; \
	VPADDD expc<>+416(SB), N, N; \
	VPSLLD $23, N, N; \
	VMULPS N, P, X

// func siluMulAsm(out, gate, up *float32, n int)   n is a multiple of 8
// out = gate/(1+exp(-gate)) · up; out may alias gate or up.
TEXT ·siluMulAsm(SB), NOSPLIT, $0-32
	MOVQ out+0(FP), DI
	MOVQ gate+8(FP), SI
	MOVQ up+16(FP), DX
	MOVQ n+24(FP), CX
silloop:
	CMPQ CX, $8
	JL   sildone
	VMOVUPS (SI), Y4
	VXORPS expc<>+448(SB), Y4, Y0
	EXP8(Y0, Y1, Y2, Y3)
	VADDPS expc<>+384(SB), Y0, Y0
	VDIVPS Y0, Y4, Y4
	VMULPS (DX), Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  silloop
sildone:
	VZEROUPPER
	RET

// func expSubSumAsm(x *float32, m float32, n int) float32   n multiple of 8
// x[i] = exp(x[i]-m) in place; returns Σ of the new values.
TEXT ·expSubSumAsm(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	VBROADCASTSS m+8(FP), Y5
	MOVQ n+16(FP), CX
	VXORPS Y6, Y6, Y6
exploop:
	CMPQ CX, $8
	JL   expdone
	VMOVUPS (SI), Y0
	VSUBPS Y5, Y0, Y0
	EXP8(Y0, Y1, Y2, Y3)
	VMOVUPS Y0, (SI)
	VADDPS Y0, Y6, Y6
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  exploop
expdone:
	VEXTRACTF128 $1, Y6, X1
	VADDPS X1, X6, X6
	VHADDPS X6, X6, X6
	VHADDPS X6, X6, X6
	VMOVSS X6, ret+24(FP)
	VZEROUPPER
	RET

// geluc holds GeluTanh's constants in 8 lanes: 0.044715 and -2·sqrt(2/π).
DATA geluc<>+0(SB)/4, $0x3d372713
DATA geluc<>+4(SB)/4, $0x3d372713
DATA geluc<>+8(SB)/4, $0x3d372713
DATA geluc<>+12(SB)/4, $0x3d372713
DATA geluc<>+16(SB)/4, $0x3d372713
DATA geluc<>+20(SB)/4, $0x3d372713
DATA geluc<>+24(SB)/4, $0x3d372713
DATA geluc<>+28(SB)/4, $0x3d372713
DATA geluc<>+32(SB)/4, $0xbfcc422a
DATA geluc<>+36(SB)/4, $0xbfcc422a
DATA geluc<>+40(SB)/4, $0xbfcc422a
DATA geluc<>+44(SB)/4, $0xbfcc422a
DATA geluc<>+48(SB)/4, $0xbfcc422a
DATA geluc<>+52(SB)/4, $0xbfcc422a
DATA geluc<>+56(SB)/4, $0xbfcc422a
DATA geluc<>+60(SB)/4, $0xbfcc422a
GLOBL geluc<>(SB), RODATA|NOPTR, $64

// func geluTanhAsm(out, x *float32, n int)   n is a multiple of 8
// out = x/(1+exp(-2·sqrt(2/π)·(x+0.044715x³))), which is 0.5x(1+tanh(sqrt(2/π)(x+0.044715x³)))
// (1+tanh(u) = 2·sigmoid(2u)) with one exp and no cancellation for negative x. out may alias x.
TEXT ·geluTanhAsm(SB), NOSPLIT, $0-24
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
geluloop:
	CMPQ CX, $8
	JL   geludone
	VMOVUPS (SI), Y4
	VMULPS Y4, Y4, Y0
	VMOVUPS geluc<>+0(SB), Y1
	VFMADD213PS expc<>+384(SB), Y1, Y0
	VMULPS Y4, Y0, Y0
	VMULPS geluc<>+32(SB), Y0, Y0
	EXP8(Y0, Y1, Y2, Y3)
	VADDPS expc<>+384(SB), Y0, Y0
	VDIVPS Y0, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  geluloop
geludone:
	VZEROUPPER
	RET

// func dotRowsAsm(out *float32, x *float32, m *float32, stride, rows, n int)
// out[j] = dotasm(x, m + j·stride, n) for j < rows, n a multiple of 8: the
// same accumulators and reduction as dotasm, row after row, without a call
// per row (attention's scores against a KV cache).
TEXT ·dotRowsAsm(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), R10
	MOVQ m+16(FP), DX
	MOVQ stride+24(FP), BX
	SHLQ $2, BX
	MOVQ rows+32(FP), AX
drrow:
	TESTQ AX, AX
	JZ    drret
	MOVQ x+8(FP), SI
	MOVQ DX, DI
	MOVQ n+40(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
drloop32:
	CMPQ CX, $32
	JL   drloop8
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  drloop32
drloop8:
	CMPQ CX, $8
	JL   drsum
	VMOVUPS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  drloop8
drsum:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VMOVSS X0, (R10)
	ADDQ $4, R10
	ADDQ BX, DX
	DECQ AX
	JMP  drrow
drret:
	VZEROUPPER
	RET

// func axpyRowsAsm(y *float32, a *float32, m *float32, stride, rows, n int)
// y[i] += a[j]·m[j·stride+i] for j = 0, 1, …, rows-1 in turn, i < n (a
// multiple of 8): axpyasm's fused multiply-add per element and row, in
// the same order, with y held in registers across the rows, 64 columns
// (then 8) at a time.
TEXT ·axpyRowsAsm(SB), NOSPLIT, $0-48
	MOVQ y+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ stride+24(FP), BX
	SHLQ $2, BX
	MOVQ n+40(FP), CX
ar64:
	CMPQ CX, $64
	JL   ar8
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	MOVQ rows+32(FP), R8
	MOVQ DX, R9
	MOVQ SI, R10
ar64row:
	TESTQ R8, R8
	JZ    ar64done
	VBROADCASTSS (R10), Y8
	VFMADD231PS (R9), Y8, Y0
	VFMADD231PS 32(R9), Y8, Y1
	VFMADD231PS 64(R9), Y8, Y2
	VFMADD231PS 96(R9), Y8, Y3
	VFMADD231PS 128(R9), Y8, Y4
	VFMADD231PS 160(R9), Y8, Y5
	VFMADD231PS 192(R9), Y8, Y6
	VFMADD231PS 224(R9), Y8, Y7
	ADDQ BX, R9
	ADDQ $4, R10
	DECQ R8
	JMP  ar64row
ar64done:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ $256, DI
	ADDQ $256, DX
	SUBQ $64, CX
	JMP  ar64
ar8:
	CMPQ CX, $8
	JL   arret
	VMOVUPS (DI), Y0
	MOVQ rows+32(FP), R8
	MOVQ DX, R9
	MOVQ SI, R10
ar8row:
	TESTQ R8, R8
	JZ    ar8done
	VBROADCASTSS (R10), Y8
	VFMADD231PS (R9), Y8, Y0
	ADDQ BX, R9
	ADDQ $4, R10
	DECQ R8
	JMP  ar8row
ar8done:
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, DX
	SUBQ $8, CX
	JMP  ar8
arret:
	VZEROUPPER
	RET
