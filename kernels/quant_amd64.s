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
