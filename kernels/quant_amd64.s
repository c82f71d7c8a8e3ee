//go:build amd64

#include "textflag.h"

// func dotQ8asm(x *float32, q *byte, scale *float32, nblk, bpg int) float32
// Σ over groups of bpg blocks (32 columns each, the last group may be
// shorter) of scale[g]·Σ q·x. Four accumulators per group hide the FMA
// latency; Y7 holds the scaled total.
TEXT ·dotQ8asm(SB), NOSPLIT, $0-44
	MOVQ x+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ scale+16(FP), DX
	MOVQ nblk+24(FP), CX
	MOVQ bpg+32(FP), BX
	VXORPS Y7, Y7, Y7
q8group:
	MOVQ BX, R8
	CMPQ R8, CX
	JLE  q8n
	MOVQ CX, R8
q8n:
	SUBQ R8, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
q8block:
	VPMOVSXBD (DI), Y4
	VPMOVSXBD 8(DI), Y5
	VPMOVSXBD 16(DI), Y6
	VPMOVSXBD 24(DI), Y8
	VCVTDQ2PS Y4, Y4
	VCVTDQ2PS Y5, Y5
	VCVTDQ2PS Y6, Y6
	VCVTDQ2PS Y8, Y8
	VFMADD231PS (SI), Y4, Y0
	VFMADD231PS 32(SI), Y5, Y1
	VFMADD231PS 64(SI), Y6, Y2
	VFMADD231PS 96(SI), Y8, Y3
	ADDQ $32, DI
	ADDQ $128, SI
	DECQ R8
	JNZ  q8block
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VBROADCASTSS (DX), Y4
	VFMADD231PS Y4, Y0, Y7
	ADDQ $4, DX
	TESTQ CX, CX
	JNZ  q8group
	VEXTRACTF128 $1, Y7, X1
	VADDPS X1, X7, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VMOVSS X0, ret+40(FP)
	VZEROUPPER
	RET

// func dotQ4asm(x *float32, q *byte, scale, mins, xsum *float32, nblk, bpg int) float32
// As dotQ8asm for nibbles (8 bytes → 16 codes: VPMOVZXBD, then AND 15 for
// the low eight and a shift by 4 for the high eight), plus Σ min[g]·xsum[g]
// in X10.
TEXT ·dotQ4asm(SB), NOSPLIT, $0-60
	MOVQ x+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ scale+16(FP), DX
	MOVQ mins+24(FP), R9
	MOVQ xsum+32(FP), R10
	MOVQ nblk+40(FP), CX
	MOVQ bpg+48(FP), BX
	MOVL $15, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	VXORPS Y7, Y7, Y7
	VXORPS Y10, Y10, Y10
q4group:
	MOVQ BX, R8
	CMPQ R8, CX
	JLE  q4n
	MOVQ CX, R8
q4n:
	SUBQ R8, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
q4block:
	VPMOVZXBD (DI), Y4
	VPMOVZXBD 8(DI), Y6
	VPSRLD $4, Y4, Y5
	VPSRLD $4, Y6, Y8
	VPAND Y15, Y4, Y4
	VPAND Y15, Y6, Y6
	VCVTDQ2PS Y4, Y4
	VCVTDQ2PS Y5, Y5
	VCVTDQ2PS Y6, Y6
	VCVTDQ2PS Y8, Y8
	VFMADD231PS (SI), Y4, Y0
	VFMADD231PS 32(SI), Y5, Y1
	VFMADD231PS 64(SI), Y6, Y2
	VFMADD231PS 96(SI), Y8, Y3
	ADDQ $16, DI
	ADDQ $128, SI
	DECQ R8
	JNZ  q4block
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VBROADCASTSS (DX), Y4
	VFMADD231PS Y4, Y0, Y7
	VMOVSS (R9), X5
	VFMADD231SS (R10), X5, X10
	ADDQ $4, DX
	ADDQ $4, R9
	ADDQ $4, R10
	TESTQ CX, CX
	JNZ  q4group
	VEXTRACTF128 $1, Y7, X1
	VADDPS X1, X7, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VADDSS X10, X0, X0
	VMOVSS X0, ret+56(FP)
	VZEROUPPER
	RET

// func dequantQ8asm(dst *float32, q *byte, scale *float32, nblk, bpg int)
// dst[k] = scale[k/(32·bpg)]·q[k] for nblk blocks of 32.
TEXT ·dequantQ8asm(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ scale+16(FP), DX
	MOVQ nblk+24(FP), CX
	MOVQ bpg+32(FP), BX
dq8group:
	MOVQ BX, R8
	CMPQ R8, CX
	JLE  dq8n
	MOVQ CX, R8
dq8n:
	SUBQ R8, CX
	VBROADCASTSS (DX), Y7
dq8block:
	VPMOVSXBD (DI), Y4
	VPMOVSXBD 8(DI), Y5
	VPMOVSXBD 16(DI), Y6
	VPMOVSXBD 24(DI), Y8
	VCVTDQ2PS Y4, Y4
	VCVTDQ2PS Y5, Y5
	VCVTDQ2PS Y6, Y6
	VCVTDQ2PS Y8, Y8
	VMULPS Y7, Y4, Y4
	VMULPS Y7, Y5, Y5
	VMULPS Y7, Y6, Y6
	VMULPS Y7, Y8, Y8
	VMOVUPS Y4, (SI)
	VMOVUPS Y5, 32(SI)
	VMOVUPS Y6, 64(SI)
	VMOVUPS Y8, 96(SI)
	ADDQ $32, DI
	ADDQ $128, SI
	DECQ R8
	JNZ  dq8block
	ADDQ $4, DX
	TESTQ CX, CX
	JNZ  dq8group
	VZEROUPPER
	RET

// func dequantQ4asm(dst *float32, q *byte, scale, mins *float32, nblk, bpg int)
// dst[k] = scale[g]·q[k] + mins[g], g = k/(32·bpg), nibble order as dotQ4asm.
TEXT ·dequantQ4asm(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ scale+16(FP), DX
	MOVQ mins+24(FP), R9
	MOVQ nblk+32(FP), CX
	MOVQ bpg+40(FP), BX
	MOVL $15, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
dq4group:
	MOVQ BX, R8
	CMPQ R8, CX
	JLE  dq4n
	MOVQ CX, R8
dq4n:
	SUBQ R8, CX
	VBROADCASTSS (DX), Y7
	VBROADCASTSS (R9), Y9
dq4block:
	VPMOVZXBD (DI), Y4
	VPMOVZXBD 8(DI), Y6
	VPSRLD $4, Y4, Y5
	VPSRLD $4, Y6, Y8
	VPAND Y15, Y4, Y4
	VPAND Y15, Y6, Y6
	VCVTDQ2PS Y4, Y4
	VCVTDQ2PS Y5, Y5
	VCVTDQ2PS Y6, Y6
	VCVTDQ2PS Y8, Y8
	VFMADD213PS Y9, Y7, Y4
	VFMADD213PS Y9, Y7, Y5
	VFMADD213PS Y9, Y7, Y6
	VFMADD213PS Y9, Y7, Y8
	VMOVUPS Y4, (SI)
	VMOVUPS Y5, 32(SI)
	VMOVUPS Y6, 64(SI)
	VMOVUPS Y8, 96(SI)
	ADDQ $16, DI
	ADDQ $128, SI
	DECQ R8
	JNZ  dq4block
	ADDQ $4, DX
	ADDQ $4, R9
	TESTQ CX, CX
	JNZ  dq4group
	VZEROUPPER
	RET

// Integer dot products against activations quantized to int8 blocks of 32
// (quantizeActs): each block's codes times the block's int8 activations
// sum exactly in int32 (VPMADDUBSW, then VPMADDWD by ones into eight
// int32 lanes), are converted to f32 once and multiply-added with the
// block's activation scale; every group's sum is then scaled once. With
// one block per group (bpg = 1) the combined scale scale[b]·xd[b] goes
// straight into two alternating totals.
//
// VPMADDUBSW takes unsigned × signed bytes and saturates its int16 pair
// sums: Q8 codes enter as |q| (VPSIGNB q, q) with the sign moved onto the
// activation (VPSIGNB), so a pair is at most 2·128·127 = 32512 < 2^15;
// Q4 codes are 0..15. Y14 holds int16 ones for VPMADDWD.

// Q8I_DOT leaves in DST (f32) the eight int32 lane sums of one Q8 block
// at qoff(DI) against xoff(SI); T0, T1 are scratch.
#define Q8I_DOT(qoff, xoff, T0, T1, DST) \
	VMOVDQU qoff(DI), T0; \
	VMOVDQU xoff(SI), T1; \
	VPSIGNB T0, T1, T1; \
	VPSIGNB T0, T0, T0; \
	VPMADDUBSW T1, T0, T0; \
	VPMADDWD Y14, T0, T0; \
	VCVTDQ2PS T0, DST

// Q4I_DOT is Q8I_DOT for one Q4 block of 16 bytes at qoff(DI): the bytes
// go to both lanes, the upper lane shifted by 4, and AND 15 leaves the low
// nibbles (columns 0-7, 16-23) in the lower lane and the high ones
// (8-15, 24-31) in the upper: the order quantizeActs wrote the block's
// activations in for Q4.
#define Q4I_DOT(qoff, xoff, T0, T1, DST) \
	VBROADCASTI128 qoff(DI), T0; \
	VPSRLW $4, T0, T1; \
	VPBLENDD $0xF0, T1, T0, T0; \
	VPAND Y15, T0, T0; \
	VPMADDUBSW xoff(SI), T0, T0; \
	VPMADDWD Y14, T0, T0; \
	VCVTDQ2PS T0, DST

// SCALE_BLOCK adds DOT·scale[b]·xd[b] (at soff(DX), doff(R11)) to ACC.
#define SCALE_BLOCK(soff, doff, DOT, ACC) \
	VMOVSS soff(DX), X4; \
	VMULSS doff(R11), X4, X4; \
	VBROADCASTSS X4, Y4; \
	VFMADD231PS Y4, DOT, ACC

// HSUM_Y7 leaves the sum of Y7's eight lanes in X0.
#define HSUM_Y7 \
	VEXTRACTF128 $1, Y7, X1; \
	VADDPS X1, X7, X0; \
	VHADDPS X0, X0, X0; \
	VHADDPS X0, X0, X0

// func dotQ8iasm(xq *int8, xd *float32, q *byte, scale *float32, out *float32, nrows, nblk, bpg int, cs *float32)
// out[r] = Σ_g scale[r·ng+g]·Σ_{b∈g} xd[b]·(q row r block b · xq block b)
// for nrows consecutive rows (nblk·32 bytes and ng = ⌈nblk/bpg⌉ scales
// each): one call per chunk of rows, x and its scales re-read per row.
// With bpg = 1 each row's combined scales scale[b]·xd[b] are first
// written to cs (nblk floats of scratch), eight at a time, so a block
// costs one broadcast load and one FMA beyond its integer dot.
TEXT ·dotQ8iasm(SB), NOSPLIT, $0-72
	MOVQ xq+0(FP), R12
	MOVQ xd+8(FP), R13
	MOVQ q+16(FP), DI
	MOVQ scale+24(FP), DX
	MOVQ out+32(FP), R10
	MOVQ bpg+56(FP), BX
	MOVL $0x00010001, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	MOVQ nrows+40(FP), AX
q8irow:
	TESTQ AX, AX
	JZ    q8iret
	MOVQ R12, SI
	MOVQ R13, R11
	MOVQ nblk+48(FP), CX
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	CMPQ BX, $1
	JNE  q8igroup
	// cs[b] = scale[b]·xd[b] for the row, then one broadcast per block.
	MOVQ cs+64(FP), R11
	XORQ R8, R8
q8icmb8:
	CMPQ CX, $8
	JLT  q8icmb1
	VMOVUPS (DX)(R8*4), Y0
	VMULPS (R13)(R8*4), Y0, Y0
	VMOVUPS Y0, (R11)(R8*4)
	ADDQ $8, R8
	SUBQ $8, CX
	JMP  q8icmb8
q8icmb1:
	TESTQ CX, CX
	JZ    q8icmbdone
	VMOVSS (DX)(R8*4), X0
	VMULSS (R13)(R8*4), X0, X0
	VMOVSS X0, (R11)(R8*4)
	INCQ R8
	DECQ CX
	JMP  q8icmb1
q8icmbdone:
	LEAQ (DX)(R8*4), DX
	MOVQ R8, CX
q8ipair:
	CMPQ CX, $2
	JLT  q8ilast
	PREFETCHT0 512(DI)
	Q8I_DOT(0, 0, Y0, Y1, Y2)
	Q8I_DOT(32, 32, Y5, Y6, Y3)
	VBROADCASTSS (R11), Y4
	VFMADD231PS Y4, Y2, Y7
	VBROADCASTSS 4(R11), Y11
	VFMADD231PS Y11, Y3, Y8
	ADDQ $64, DI
	ADDQ $64, SI
	ADDQ $8, R11
	SUBQ $2, CX
	JMP  q8ipair
q8ilast:
	TESTQ CX, CX
	JZ    q8idone
	Q8I_DOT(0, 0, Y0, Y1, Y2)
	VBROADCASTSS (R11), Y4
	VFMADD231PS Y4, Y2, Y7
	ADDQ $32, DI
	JMP  q8idone
q8igroup:
	MOVQ BX, R8
	CMPQ R8, CX
	JLE  q8in
	MOVQ CX, R8
q8in:
	SUBQ R8, CX
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
q8iblk2:
	CMPQ R8, $2
	JLT  q8iblk1
	PREFETCHT0 512(DI)
	Q8I_DOT(0, 0, Y0, Y1, Y2)
	Q8I_DOT(32, 32, Y5, Y6, Y3)
	VBROADCASTSS (R11), Y4
	VFMADD231PS Y4, Y2, Y9
	VBROADCASTSS 4(R11), Y11
	VFMADD231PS Y11, Y3, Y10
	ADDQ $64, DI
	ADDQ $64, SI
	ADDQ $8, R11
	SUBQ $2, R8
	JMP  q8iblk2
q8iblk1:
	TESTQ R8, R8
	JZ    q8inext
	Q8I_DOT(0, 0, Y0, Y1, Y2)
	VBROADCASTSS (R11), Y4
	VFMADD231PS Y4, Y2, Y9
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $4, R11
q8inext:
	VADDPS Y10, Y9, Y9
	VBROADCASTSS (DX), Y4
	VFMADD231PS Y4, Y9, Y7
	ADDQ $4, DX
	TESTQ CX, CX
	JNZ  q8igroup
q8idone:
	VADDPS Y8, Y7, Y7
	HSUM_Y7
	VMOVSS X0, (R10)
	ADDQ $4, R10
	DECQ AX
	JMP  q8irow
q8iret:
	VZEROUPPER
	RET

// Q4I_PAIRDOT leaves in T0 the integer dot products of two blocks of one
// Q4 row with their activations, as f32, four lanes per block: the 32 code
// bytes at qoff(DI) (block b in the low lane, b+1 in the high one) are
// split into low and high nibbles and multiplied with the pair's
// activations at xoff(SI) (quantActs' Q4 pair order: the low-nibble
// columns of b, of b+1, then the high-nibble ones). The int16 sums cannot
// saturate: two products of at most 15·127 each, twice.
#define Q4I_PAIRDOT(qoff, xoff, T0, T1) \
	VMOVDQU qoff(DI), T0; \
	VPSRLW $4, T0, T1; \
	VPAND Y15, T0, T0; \
	VPAND Y15, T1, T1; \
	VPMADDUBSW xoff(SI), T0, T0; \
	VPMADDUBSW xoff+32(SI), T1, T1; \
	VPADDW T1, T0, T0; \
	VPMADDWD Y14, T0, T0; \
	VCVTDQ2PS T0, T0

// Q4I_PAIR adds a pair's dot products to ACC, scaled by [cs×4, cs'×4]
// taken from Y6 (the combined scales of eight blocks) by the index IDX.
#define Q4I_PAIR(qoff, xoff, IDX, T0, T1, T2, ACC) \
	Q4I_PAIRDOT(qoff, xoff, T0, T1); \
	VPERMPS Y6, IDX, T2; \
	VFMADD231PS T2, T0, ACC

// Q4I_ONE adds an odd last block (16 code bytes at (DI), its low-nibble
// activations at (SI), the high ones at 16(SI)) to Y8, scaled by SCALE's
// low lanes.
#define Q4I_ONE(SCALE) \
	VMOVDQU (DI), X0; \
	VPSRLW $4, X0, X1; \
	VPAND X15, X0, X0; \
	VPAND X15, X1, X1; \
	VPMADDUBSW (SI), X0, X0; \
	VPMADDUBSW 16(SI), X1, X1; \
	VPADDW X1, X0, X0; \
	VPMADDWD X14, X0, X0; \
	VCVTDQ2PS X0, X0; \
	VMULPS SCALE, X0, X0; \
	VADDPS Y0, Y8, Y8 // VEX.128 left Y0's upper lane zero

// Q4J_PAIR is Q4I_PAIR for two rows at once: row r's codes at qoff(DI),
// row r+1's at qoff(DI)(R14*4) (R14 = nblk·4, one row of scales; a row of
// codes is four times that), the same activations, combined scales in Y6
// and Y5, sums in Y7 and Y8.
#define Q4J_PAIR(qoff, xoff, IDX) \
	VMOVDQU qoff(DI), Y0; \
	VMOVDQU qoff(DI)(R14*4), Y3; \
	VPSRLW $4, Y0, Y1; \
	VPSRLW $4, Y3, Y4; \
	VPAND Y15, Y0, Y0; \
	VPAND Y15, Y1, Y1; \
	VPAND Y15, Y3, Y3; \
	VPAND Y15, Y4, Y4; \
	VPMADDUBSW xoff(SI), Y0, Y0; \
	VPMADDUBSW xoff+32(SI), Y1, Y1; \
	VPMADDUBSW xoff(SI), Y3, Y3; \
	VPMADDUBSW xoff+32(SI), Y4, Y4; \
	VPADDW Y1, Y0, Y0; \
	VPADDW Y4, Y3, Y3; \
	VPMADDWD Y14, Y0, Y0; \
	VPMADDWD Y14, Y3, Y3; \
	VCVTDQ2PS Y0, Y0; \
	VCVTDQ2PS Y3, Y3; \
	VPERMPS Y6, IDX, Y1; \
	VPERMPS Y5, IDX, Y4; \
	VFMADD231PS Y1, Y0, Y7; \
	VFMADD231PS Y4, Y3, Y8

// Q4J_ONE is Q4I_ONE for the two rows, the scales' lanes chosen by IDX.
#define Q4J_ONE(IDX) \
	VMOVDQU (DI), X0; \
	VMOVDQU (DI)(R14*4), X3; \
	VPSRLW $4, X0, X1; \
	VPSRLW $4, X3, X4; \
	VPAND X15, X0, X0; \
	VPAND X15, X1, X1; \
	VPAND X15, X3, X3; \
	VPAND X15, X4, X4; \
	VPMADDUBSW (SI), X0, X0; \
	VPMADDUBSW 16(SI), X1, X1; \
	VPMADDUBSW (SI), X3, X3; \
	VPMADDUBSW 16(SI), X4, X4; \
	VPADDW X1, X0, X0; \
	VPADDW X4, X3, X3; \
	VPMADDWD X14, X0, X0; \
	VPMADDWD X14, X3, X3; \
	VCVTDQ2PS X0, X0; \
	VCVTDQ2PS X3, X3; \
	VPERMPS Y6, IDX, Y1; \
	VPERMPS Y5, IDX, Y4; \
	VMULPS X1, X0, X0; \
	VMULPS X4, X3, X3; \
	VADDPS Y0, Y7, Y7; \
	VADDPS Y3, Y8, Y8; \
	ADDQ $16, DI

// func dotQ4iasm(xq *int8, xd *float32, q *byte, scale, mins, xsum, out *float32, nrows, nblk, bpg, ng int, cs *float32, mb, mg *int32)
// As dotQ8iasm for Q4 rows (nblk·16 bytes), xq in quantActs' Q4 pair
// order, plus each row's Σ_{g<ng} mins[r·ng+g]·xsum[g]. The blocks go two
// at a time and an odd last one alone, each scaled by its combined scale
// scale[g(b)]·xd[b]. With bpg = 1 those are computed eight at a time into
// Y6 (the last nblk%8 through the mask mb) and spread over a pair's lanes
// by VPERMPS with Y9-Y12 (0,0,0,0,1,1,1,1 to 6,6,6,6,7,7,7,7), never
// passing through memory; with bpg > 1 they are first written to cs
// (nblk floats) one at a time and read back by broadcasts. The mins term
// takes eight groups a step and the last ng%8 through the mask mg (with
// bpg = 1, where ng = nblk, inside the block loop, with mb). mb and mg
// point into q4Masks: their first nblk%8 (ng%8) lanes are all ones, the
// rest zero.
TEXT ·dotQ4iasm(SB), NOSPLIT, $0-112
	MOVQ xq+0(FP), R12
	MOVQ xd+8(FP), R13
	MOVQ q+16(FP), DI
	MOVQ scale+24(FP), DX
	MOVQ mins+32(FP), R9
	MOVQ out+48(FP), R10
	MOVQ bpg+72(FP), BX
	MOVL $0x00010001, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	MOVL $1, AX
	VMOVD AX, X9
	VPBROADCASTD X9, X9
	VPXOR Y0, Y0, Y0
	VINSERTI128 $1, X9, Y0, Y9
	MOVL $2, AX
	VMOVD AX, X0
	VPBROADCASTD X0, Y0
	VPADDD Y0, Y9, Y10
	VPADDD Y0, Y10, Y11
	VPADDD Y0, Y11, Y12
	MOVQ nblk+64(FP), R14
	SHLQ $2, R14
	MOVQ nrows+56(FP), AX
q4irow:
	TESTQ AX, AX
	JZ    q4iret
	CMPQ BX, $1
	JNE  q4irow1
	CMPQ AX, $2
	JGE  q4irow2
q4irow1:
	MOVQ R12, SI
	MOVQ nblk+64(FP), CX
	XORQ R8, R8
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	CMPQ BX, $1
	JNE  q4icsg
	// bpg = 1: ng = nblk, and the mins term rides along, eight groups
	// with each eight blocks (xsum in R11, the sum in Y13).
	MOVQ xsum+40(FP), R11
	VXORPS Y13, Y13, Y13
q4i8:
	CMPQ CX, $8
	JLT  q4itail
	VMOVUPS (DX)(R8*4), Y6
	VMULPS (R13)(R8*4), Y6, Y6
	VMOVUPS (R9)(R8*4), Y0
	VFMADD231PS (R11)(R8*4), Y0, Y13
	PREFETCHT0 512(DI)
	Q4I_PAIR(0, 0, Y9, Y0, Y1, Y2, Y7)
	Q4I_PAIR(32, 64, Y10, Y3, Y4, Y5, Y8)
	PREFETCHT0 576(DI)
	Q4I_PAIR(64, 128, Y11, Y0, Y1, Y2, Y7)
	Q4I_PAIR(96, 192, Y12, Y3, Y4, Y5, Y8)
	ADDQ $128, DI
	ADDQ $256, SI
	ADDQ $8, R8
	SUBQ $8, CX
	JMP  q4i8
q4itail:
	TESTQ CX, CX
	JZ    q4isum
	MOVQ mb+96(FP), BX // BX is 1 again below
	VMOVDQU (BX), Y2
	MOVQ $1, BX
	VMASKMOVPS (DX)(R8*4), Y2, Y6
	VMASKMOVPS (R13)(R8*4), Y2, Y1
	VMULPS Y1, Y6, Y6
	VMASKMOVPS (R9)(R8*4), Y2, Y0
	VMASKMOVPS (R11)(R8*4), Y2, Y1
	VFMADD231PS Y1, Y0, Y13
	CMPQ CX, $2
	JLT  q4it0
	Q4I_PAIR(0, 0, Y9, Y0, Y1, Y2, Y7)
	ADDQ $32, DI
	ADDQ $64, SI
	SUBQ $2, CX
	CMPQ CX, $2
	JLT  q4it1
	Q4I_PAIR(0, 0, Y10, Y0, Y1, Y2, Y8)
	ADDQ $32, DI
	ADDQ $64, SI
	SUBQ $2, CX
	CMPQ CX, $2
	JLT  q4it2
	Q4I_PAIR(0, 0, Y11, Y0, Y1, Y2, Y7)
	ADDQ $32, DI
	ADDQ $64, SI
	SUBQ $2, CX
	TESTQ CX, CX
	JZ    q4isum
	VPERMPS Y6, Y12, Y2
	Q4I_ONE(X2)
	ADDQ $16, DI
	JMP  q4isum
q4it0:
	VPERMPS Y6, Y9, Y2
	Q4I_ONE(X2)
	ADDQ $16, DI
	JMP  q4isum
q4it1:
	TESTQ CX, CX
	JZ    q4isum
	VPERMPS Y6, Y10, Y2
	Q4I_ONE(X2)
	ADDQ $16, DI
	JMP  q4isum
q4it2:
	TESTQ CX, CX
	JZ    q4isum
	VPERMPS Y6, Y11, Y2
	Q4I_ONE(X2)
	ADDQ $16, DI
	JMP  q4isum
q4icsg:
	// bpg > 1: cs[b] = scale[b/bpg]·xd[b], one at a time.
	MOVQ cs+88(FP), R11
	MOVQ DX, SI
q4icsgl:
	VMOVSS (SI), X0
	ADDQ $4, SI
	MOVQ BX, CX
q4icsgi:
	VMULSS (R13)(R8*4), X0, X1
	VMOVSS X1, (R11)(R8*4)
	INCQ R8
	CMPQ R8, nblk+64(FP)
	JGE  q4icsgdone
	DECQ CX
	JNZ  q4icsgi
	JMP  q4icsgl
q4icsgdone:
	MOVQ R12, SI
	MOVQ nblk+64(FP), CX
q4igp:
	CMPQ CX, $2
	JLT  q4ig1
	Q4I_PAIRDOT(0, 0, Y0, Y1)
	VBROADCASTSS (R11), Y2
	VBROADCASTSS 4(R11), Y3
	VBLENDPS $0xf0, Y3, Y2, Y2
	VFMADD231PS Y2, Y0, Y7
	ADDQ $32, DI
	ADDQ $64, SI
	ADDQ $8, R11
	SUBQ $2, CX
	JMP  q4igp
q4ig1:
	TESTQ CX, CX
	JZ    q4imins
	VBROADCASTSS (R11), X2
	Q4I_ONE(X2)
	ADDQ $16, DI
q4imins:
	MOVQ xsum+40(FP), R8
	MOVQ ng+80(FP), CX
	MOVQ R9, SI
	VXORPS Y13, Y13, Y13
q4imin8:
	CMPQ CX, $8
	JLT  q4iminr
	VMOVUPS (SI), Y0
	VFMADD231PS (R8), Y0, Y13
	ADDQ $32, SI
	ADDQ $32, R8
	SUBQ $8, CX
	JMP  q4imin8
q4iminr:
	TESTQ CX, CX
	JZ    q4isum
	MOVQ mg+104(FP), R11
	VMOVDQU (R11), Y2
	VMASKMOVPS (SI), Y2, Y0
	VMASKMOVPS (R8), Y2, Y1
	VFMADD231PS Y1, Y0, Y13
q4isum:
	VADDPS Y8, Y7, Y7
	VADDPS Y13, Y7, Y7
	HSUM_Y7
	VMOVSS X0, (R10)
	ADDQ $4, R10
	MOVQ ng+80(FP), CX
	LEAQ (DX)(CX*4), DX
	LEAQ (R9)(CX*4), R9
	DECQ AX
	JMP  q4irow
q4irow2:
	// bpg = 1, rows r and r+1 together: the activations, their scales
	// and sums and the loop are shared, and one reduction gives both
	// outputs. Scales, mins, xd and xsum go by pointers (DX, R9, R13,
	// R11), row r+1's R14 bytes further.
	MOVQ R12, SI
	MOVQ nblk+64(FP), CX
	MOVQ xsum+40(FP), R11
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
q4j8:
	CMPQ CX, $8
	JLT  q4jtail
	VMOVUPS (R13), Y0
	VMULPS (DX), Y0, Y6
	VMULPS (DX)(R14*1), Y0, Y5
	VMOVUPS (R11), Y0
	VFMADD231PS (R9), Y0, Y7
	VFMADD231PS (R9)(R14*1), Y0, Y8
	Q4J_PAIR(0, 0, Y9)
	Q4J_PAIR(32, 64, Y10)
	Q4J_PAIR(64, 128, Y11)
	Q4J_PAIR(96, 192, Y12)
	ADDQ $128, DI
	ADDQ $256, SI
	ADDQ $32, DX
	ADDQ $32, R9
	ADDQ $32, R13
	ADDQ $32, R11
	SUBQ $8, CX
	JMP  q4j8
q4jtail:
	TESTQ CX, CX
	JZ    q4jsum
	MOVQ mb+96(FP), R8
	VMOVDQU (R8), Y13
	VMASKMOVPS (R13), Y13, Y0
	VMASKMOVPS (DX), Y13, Y6
	VMULPS Y0, Y6, Y6
	VMASKMOVPS (DX)(R14*1), Y13, Y5
	VMULPS Y0, Y5, Y5
	VMASKMOVPS (R11), Y13, Y0
	VMASKMOVPS (R9), Y13, Y1
	VFMADD231PS Y1, Y0, Y7
	VMASKMOVPS (R9)(R14*1), Y13, Y1
	VFMADD231PS Y1, Y0, Y8
	// Advance the row pointers past the tail now: the pairs below only
	// move DI and SI.
	MOVQ CX, R8
	SHLQ $2, R8
	ADDQ R8, DX
	ADDQ R8, R9
	CMPQ CX, $2
	JLT  q4jt0
	Q4J_PAIR(0, 0, Y9)
	ADDQ $32, DI
	ADDQ $64, SI
	SUBQ $2, CX
	CMPQ CX, $2
	JLT  q4jt1
	Q4J_PAIR(0, 0, Y10)
	ADDQ $32, DI
	ADDQ $64, SI
	SUBQ $2, CX
	CMPQ CX, $2
	JLT  q4jt2
	Q4J_PAIR(0, 0, Y11)
	ADDQ $32, DI
	ADDQ $64, SI
	SUBQ $2, CX
	TESTQ CX, CX
	JZ    q4jsum
	Q4J_ONE(Y12)
	JMP  q4jsum
q4jt0:
	Q4J_ONE(Y9)
	JMP  q4jsum
q4jt1:
	TESTQ CX, CX
	JZ    q4jsum
	Q4J_ONE(Y10)
	JMP  q4jsum
q4jt2:
	TESTQ CX, CX
	JZ    q4jsum
	Q4J_ONE(Y11)
q4jsum:
	// Lanes [A01, A23, B01, B23 | A45, A67, B45, B67], then A, B.
	VHADDPS Y8, Y7, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VMOVQ X0, (R10)
	ADDQ $8, R10
	ADDQ R14, DX
	ADDQ R14, R9
	LEAQ (DI)(R14*4), DI
	MOVQ xd+8(FP), R13
	SUBQ $2, AX
	JMP  q4irow
q4iret:
	VZEROUPPER
	RET

// Q4V_PAIR is Q4J_PAIR with AVX-512 VNNI's VPDPBUSD (EVEX, 256-bit):
// one instruction takes a nibble vector's products with the activations
// to four int32 sums per block, where AVX2 needs VPMADDUBSW, VPADDW and
// VPMADDWD. The integer sums are the same, so are the results.
#define Q4V_PAIR(qoff, xoff, IDX) \
	VMOVDQU qoff(DI), Y0; \
	VMOVDQU qoff(DI)(R14*4), Y3; \
	VPSRLW $4, Y0, Y1; \
	VPSRLW $4, Y3, Y4; \
	VPAND Y15, Y0, Y0; \
	VPAND Y15, Y1, Y1; \
	VPAND Y15, Y3, Y3; \
	VPAND Y15, Y4, Y4; \
	VPXOR Y2, Y2, Y2; \
	VPXOR Y14, Y14, Y14; \
	VPDPBUSD xoff(SI), Y0, Y2; \
	VPDPBUSD xoff+32(SI), Y1, Y2; \
	VPDPBUSD xoff(SI), Y3, Y14; \
	VPDPBUSD xoff+32(SI), Y4, Y14; \
	VCVTDQ2PS Y2, Y2; \
	VCVTDQ2PS Y14, Y14; \
	VPERMPS Y6, IDX, Y1; \
	VPERMPS Y5, IDX, Y4; \
	VFMADD231PS Y1, Y2, Y7; \
	VFMADD231PS Y4, Y14, Y8

// Q4V_ONE is Q4J_ONE with VPDPBUSD.
#define Q4V_ONE(IDX) \
	VMOVDQU (DI), X0; \
	VMOVDQU (DI)(R14*4), X3; \
	VPSRLW $4, X0, X1; \
	VPSRLW $4, X3, X4; \
	VPAND X15, X0, X0; \
	VPAND X15, X1, X1; \
	VPAND X15, X3, X3; \
	VPAND X15, X4, X4; \
	VPXOR Y2, Y2, Y2; \
	VPXOR Y14, Y14, Y14; \
	VPDPBUSD (SI), X0, X2; \
	VPDPBUSD 16(SI), X1, X2; \
	VPDPBUSD (SI), X3, X14; \
	VPDPBUSD 16(SI), X4, X14; \
	VCVTDQ2PS X2, X2; \
	VCVTDQ2PS X14, X14; \
	VPERMPS Y6, IDX, Y1; \
	VPERMPS Y5, IDX, Y4; \
	VMULPS X1, X2, X2; \
	VMULPS X4, X14, X14; \
	VADDPS Y2, Y7, Y7; \
	VADDPS Y14, Y8, Y8; \
	ADDQ $16, DI

// func dotQ4iVNNIasm(xq *int8, xd *float32, q *byte, scale, mins, xsum, out *float32, nrows, nblk int, mb *int32)
// dotQ4iasm's two-row path (bpg = 1) for an even nrows, with Q4V_PAIR:
// the same outputs, bit for bit.
TEXT ·dotQ4iVNNIasm(SB), NOSPLIT, $0-80
	MOVQ xq+0(FP), R12
	MOVQ xd+8(FP), R13
	MOVQ q+16(FP), DI
	MOVQ scale+24(FP), DX
	MOVQ mins+32(FP), R9
	MOVQ out+48(FP), R10
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	MOVL $1, AX
	VMOVD AX, X9
	VPBROADCASTD X9, X9
	VPXOR Y0, Y0, Y0
	VINSERTI128 $1, X9, Y0, Y9
	MOVL $2, AX
	VMOVD AX, X0
	VPBROADCASTD X0, Y0
	VPADDD Y0, Y9, Y10
	VPADDD Y0, Y10, Y11
	VPADDD Y0, Y11, Y12
	MOVQ nblk+64(FP), R14
	SHLQ $2, R14
	MOVQ nrows+56(FP), AX
q4vrow:
	CMPQ AX, $2
	JLT  q4vret
	MOVQ R12, SI
	MOVQ nblk+64(FP), CX
	MOVQ xsum+40(FP), R11
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
q4v8:
	CMPQ CX, $8
	JLT  q4vtail
	VMOVUPS (R13), Y0
	VMULPS (DX), Y0, Y6
	VMULPS (DX)(R14*1), Y0, Y5
	VMOVUPS (R11), Y0
	VFMADD231PS (R9), Y0, Y7
	VFMADD231PS (R9)(R14*1), Y0, Y8
	Q4V_PAIR(0, 0, Y9)
	Q4V_PAIR(32, 64, Y10)
	Q4V_PAIR(64, 128, Y11)
	Q4V_PAIR(96, 192, Y12)
	ADDQ $128, DI
	ADDQ $256, SI
	ADDQ $32, DX
	ADDQ $32, R9
	ADDQ $32, R13
	ADDQ $32, R11
	SUBQ $8, CX
	JMP  q4v8
q4vtail:
	TESTQ CX, CX
	JZ    q4vsum
	MOVQ mb+72(FP), R8
	VMOVDQU (R8), Y13
	VMASKMOVPS (R13), Y13, Y0
	VMASKMOVPS (DX), Y13, Y6
	VMULPS Y0, Y6, Y6
	VMASKMOVPS (DX)(R14*1), Y13, Y5
	VMULPS Y0, Y5, Y5
	VMASKMOVPS (R11), Y13, Y0
	VMASKMOVPS (R9), Y13, Y1
	VFMADD231PS Y1, Y0, Y7
	VMASKMOVPS (R9)(R14*1), Y13, Y1
	VFMADD231PS Y1, Y0, Y8
	// Advance the row pointers past the tail now: the pairs below only
	// move DI and SI.
	MOVQ CX, R8
	SHLQ $2, R8
	ADDQ R8, DX
	ADDQ R8, R9
	CMPQ CX, $2
	JLT  q4vt0
	Q4V_PAIR(0, 0, Y9)
	ADDQ $32, DI
	ADDQ $64, SI
	SUBQ $2, CX
	CMPQ CX, $2
	JLT  q4vt1
	Q4V_PAIR(0, 0, Y10)
	ADDQ $32, DI
	ADDQ $64, SI
	SUBQ $2, CX
	CMPQ CX, $2
	JLT  q4vt2
	Q4V_PAIR(0, 0, Y11)
	ADDQ $32, DI
	ADDQ $64, SI
	SUBQ $2, CX
	TESTQ CX, CX
	JZ    q4vsum
	Q4V_ONE(Y12)
	JMP  q4vsum
q4vt0:
	Q4V_ONE(Y9)
	JMP  q4vsum
q4vt1:
	TESTQ CX, CX
	JZ    q4vsum
	Q4V_ONE(Y10)
	JMP  q4vsum
q4vt2:
	TESTQ CX, CX
	JZ    q4vsum
	Q4V_ONE(Y11)
q4vsum:
	// Lanes [A01, A23, B01, B23 | A45, A67, B45, B67], then A, B.
	VHADDPS Y8, Y7, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VMOVQ X0, (R10)
	ADDQ $8, R10
	ADDQ R14, DX
	ADDQ R14, R9
	LEAQ (DI)(R14*4), DI
	MOVQ xd+8(FP), R13
	SUBQ $2, AX
	JMP  q4vrow
q4vret:
	VZEROUPPER
	RET

// func quantActsAsm(xq *int8, xd *float32, x *float32, nblk int, perm *[8]int32, pairs int) float32
// quantizeActs for nblk blocks of 32: xd[b] = max|x|/127, xq = x·(127/max)
// rounded to nearest even (VCVTPS2DQ under Go's default MXCSR; 0 for an
// all-zero block), packed to bytes and put in order by VPERMD with perm.
// With pairs ≠ 0 (the Q4 order) the two 16-byte halves of blocks 2p and
// 2p+1 are stored interleaved: low half of 2p, of 2p+1, high half of 2p,
// of 2p+1; an odd last block stays as it is.
// Returns Σ|x|, which is finite exactly when every x is (short of an
// overflow of the sum, which only sends the caller to the exact path).
TEXT ·quantActsAsm(SB), NOSPLIT, $0-52
	MOVQ xq+0(FP), DI
	MOVQ xd+8(FP), DX
	MOVQ x+16(FP), SI
	MOVQ nblk+24(FP), CX
	MOVQ pairs+40(FP), R8
	XORQ R9, R9 // 1 while the block is the second of a pair
	MOVQ perm+32(FP), AX
	VMOVDQU (AX), Y15
	MOVL $0x7fffffff, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	MOVL $0x42fe0000, AX // 127.0
	VMOVD AX, X13
	VXORPS Y12, Y12, Y12
	VXORPS X11, X11, X11
qaloop:
	TESTQ CX, CX
	JZ    qadone
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VANDPS Y14, Y0, Y4
	VANDPS Y14, Y1, Y5
	VANDPS Y14, Y2, Y6
	VANDPS Y14, Y3, Y7
	VADDPS Y4, Y12, Y12
	VADDPS Y5, Y12, Y12
	VADDPS Y6, Y12, Y12
	VADDPS Y7, Y12, Y12
	VMAXPS Y5, Y4, Y4
	VMAXPS Y7, Y6, Y6
	VMAXPS Y6, Y4, Y4
	VEXTRACTF128 $1, Y4, X5
	VMAXPS X5, X4, X4
	VPERMILPS $0x4e, X4, X5
	VMAXPS X5, X4, X4
	VPERMILPS $0xb1, X4, X5
	VMAXPS X5, X4, X4
	VDIVSS X13, X4, X5
	VMOVSS X5, (DX)
	VDIVSS X4, X13, X6
	VCMPSS $4, X11, X4, X7
	VANDPS X7, X6, X6
	VBROADCASTSS X6, Y6
	VMULPS Y6, Y0, Y0
	VMULPS Y6, Y1, Y1
	VMULPS Y6, Y2, Y2
	VMULPS Y6, Y3, Y3
	VCVTPS2DQ Y0, Y0
	VCVTPS2DQ Y1, Y1
	VCVTPS2DQ Y2, Y2
	VCVTPS2DQ Y3, Y3
	VPACKSSDW Y1, Y0, Y0
	VPACKSSDW Y3, Y2, Y2
	VPACKSSWB Y2, Y0, Y0
	VPERMD Y0, Y15, Y0
	TESTQ R8, R8
	JZ    qaplain
	TESTQ R9, R9
	JNZ   qaodd
	CMPQ  CX, $2
	JLT   qaplain
	VMOVDQU X0, (DI)
	VEXTRACTI128 $1, Y0, 32(DI)
	MOVQ $1, R9
	JMP  qanext
qaodd:
	VMOVDQU X0, -16(DI)
	VEXTRACTI128 $1, Y0, 16(DI)
	XORQ R9, R9
	JMP  qanext
qaplain:
	VMOVDQU Y0, (DI)
qanext:
	ADDQ $128, SI
	ADDQ $32, DI
	ADDQ $4, DX
	DECQ CX
	JMP  qaloop
qadone:
	VEXTRACTF128 $1, Y12, X1
	VADDPS X1, X12, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET
