//go:build !purego

#include "textflag.h"

// func decodeBlocks(out []byte, seg string) (blocks int, ok bool)
//
// Each block is 32 characters, classified and translated by nibble with
// VPSHUFB, merged into 24 bytes with VPMADDUBSW and VPMADDWD, then packed
// with VPSHUFB and VPERMD; it is stored as 32 bytes, the last 8 of them
// zero, so a block is decoded only while out has 32 bytes left.
TEXT ·decodeBlocks(SB), NOSPLIT, $0-49
	MOVQ out_base+0(FP), DI
	MOVQ out_len+8(FP), DX
	MOVQ seg_base+24(FP), SI
	MOVQ seg_len+32(FP), CX
	XORQ AX, AX
	VMOVDQU b64lo<>(SB), Y6
	VMOVDQU b64hi<>(SB), Y7
	VMOVDQU b64roll<>(SB), Y8
	VMOVDQU b64nib<>(SB), Y9
	VMOVDQU b64under<>(SB), Y10
	VMOVDQU b64ten<>(SB), Y11
	VMOVDQU b64madd1<>(SB), Y12
	VMOVDQU b64madd2<>(SB), Y13
	VMOVDQU b64pack<>(SB), Y14
	VMOVDQU b64perm<>(SB), Y15

loop:
	CMPQ CX, $32
	JLT  done
	CMPQ DX, $32
	JLT  done
	VMOVDQU (SI), Y0

	// Y1: the high nibbles; Y2: the low nibbles.
	VPSRLD $4, Y0, Y1
	VPAND  Y9, Y1, Y1
	VPAND  Y9, Y0, Y2

	// A character is outside the alphabet when the classes its low
	// nibble is invalid in include its high nibble's class.
	VPSHUFB Y2, Y6, Y3
	VPSHUFB Y1, Y7, Y4
	VPTEST  Y3, Y4
	JNZ     bad

	// The six bits: the character plus an offset chosen by its high
	// nibble, or by index 15 for '_'.
	VPCMPEQB Y10, Y0, Y5
	VPAND    Y11, Y5, Y5
	VPADDB   Y5, Y1, Y1
	VPSHUFB  Y1, Y8, Y1
	VPADDB   Y1, Y0, Y0

	// Four sextets into one 24-bit dword, then three big-endian bytes of
	// each, the 24 bytes contiguous at the start.
	VPMADDUBSW Y12, Y0, Y0
	VPMADDWD   Y13, Y0, Y0
	VPSHUFB    Y14, Y0, Y0
	VPERMD     Y0, Y15, Y0
	VMOVDQU    Y0, (DI)

	ADDQ $32, SI
	SUBQ $32, CX
	ADDQ $24, DI
	SUBQ $24, DX
	INCQ AX
	JMP  loop

done:
	VZEROUPPER
	MOVQ AX, blocks+40(FP)
	MOVB $1, ok+48(FP)
	RET

bad:
	VZEROUPPER
	MOVQ AX, blocks+40(FP)
	MOVB $0, ok+48(FP)
	RET

// func alphabetBlocks(seg string) (blocks int)
//
// The same classification as decodeBlocks', without the decoding.
TEXT ·alphabetBlocks(SB), NOSPLIT, $0-24
	MOVQ seg_base+0(FP), SI
	MOVQ seg_len+8(FP), CX
	XORQ AX, AX
	VMOVDQU b64lo<>(SB), Y6
	VMOVDQU b64hi<>(SB), Y7
	VMOVDQU b64nib<>(SB), Y9

next:
	CMPQ CX, $32
	JLT  end
	VMOVDQU (SI), Y0
	VPSRLD  $4, Y0, Y1
	VPAND   Y9, Y1, Y1
	VPAND   Y9, Y0, Y2
	VPSHUFB Y2, Y6, Y3
	VPSHUFB Y1, Y7, Y4
	VPTEST  Y3, Y4
	JNZ     end
	ADDQ    $32, SI
	SUBQ    $32, CX
	INCQ    AX
	JMP     next

end:
	VZEROUPPER
	MOVQ AX, blocks+16(FP)
	RET

// func cpuid(leaf, sub uint32) (a, b, c, d uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, a+8(FP)
	MOVL BX, b+12(FP)
	MOVL CX, c+16(FP)
	MOVL DX, d+20(FP)
	RET

// func xgetbv() (eax uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-4
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	RET

// b64lo: the alphabet classes a low nibble is invalid in.
DATA b64lo<>+0(SB)/8, $0x030303030303030b
DATA b64lo<>+8(SB)/8, $0x2737353737070303
DATA b64lo<>+16(SB)/8, $0x030303030303030b
DATA b64lo<>+24(SB)/8, $0x2737353737070303
GLOBL b64lo<>(SB), RODATA|NOPTR, $32

// b64hi: the class of a high nibble.
DATA b64hi<>+0(SB)/8, $0x2008100804020101
DATA b64hi<>+8(SB)/8, $0x0101010101010101
DATA b64hi<>+16(SB)/8, $0x2008100804020101
DATA b64hi<>+24(SB)/8, $0x0101010101010101
GLOBL b64hi<>(SB), RODATA|NOPTR, $32

// b64roll: what to add to a character to get its six bits, by high nibble (15: '_').
DATA b64roll<>+0(SB)/8, $0xb9b9bfbf04110000
DATA b64roll<>+8(SB)/8, $0xe000000000000000
DATA b64roll<>+16(SB)/8, $0xb9b9bfbf04110000
DATA b64roll<>+24(SB)/8, $0xe000000000000000
GLOBL b64roll<>(SB), RODATA|NOPTR, $32

// b64nib: 0x0f in every byte.
DATA b64nib<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA b64nib<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA b64nib<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA b64nib<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL b64nib<>(SB), RODATA|NOPTR, $32

// b64under: '_' in every byte.
DATA b64under<>+0(SB)/8, $0x5f5f5f5f5f5f5f5f
DATA b64under<>+8(SB)/8, $0x5f5f5f5f5f5f5f5f
DATA b64under<>+16(SB)/8, $0x5f5f5f5f5f5f5f5f
DATA b64under<>+24(SB)/8, $0x5f5f5f5f5f5f5f5f
GLOBL b64under<>(SB), RODATA|NOPTR, $32

// b64ten: 10 in every byte.
DATA b64ten<>+0(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA b64ten<>+8(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA b64ten<>+16(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA b64ten<>+24(SB)/8, $0x0a0a0a0a0a0a0a0a
GLOBL b64ten<>(SB), RODATA|NOPTR, $32

// b64madd1: multipliers merging two sextets into a 12-bit word.
DATA b64madd1<>+0(SB)/8, $0x0140014001400140
DATA b64madd1<>+8(SB)/8, $0x0140014001400140
DATA b64madd1<>+16(SB)/8, $0x0140014001400140
DATA b64madd1<>+24(SB)/8, $0x0140014001400140
GLOBL b64madd1<>(SB), RODATA|NOPTR, $32

// b64madd2: multipliers merging two 12-bit words into 24 bits.
DATA b64madd2<>+0(SB)/8, $0x0001100000011000
DATA b64madd2<>+8(SB)/8, $0x0001100000011000
DATA b64madd2<>+16(SB)/8, $0x0001100000011000
DATA b64madd2<>+24(SB)/8, $0x0001100000011000
GLOBL b64madd2<>(SB), RODATA|NOPTR, $32

// b64pack: three big-endian bytes of each 24-bit dword, in place.
DATA b64pack<>+0(SB)/8, $0x090a040506000102
DATA b64pack<>+8(SB)/8, $0x808080800c0d0e08
DATA b64pack<>+16(SB)/8, $0x090a040506000102
DATA b64pack<>+24(SB)/8, $0x808080800c0d0e08
GLOBL b64pack<>(SB), RODATA|NOPTR, $32

// b64perm: the six dwords of output, contiguous.
DATA b64perm<>+0(SB)/8, $0x0000000100000000
DATA b64perm<>+8(SB)/8, $0x0000000400000002
DATA b64perm<>+16(SB)/8, $0x0000000600000005
DATA b64perm<>+24(SB)/8, $0x0000000700000003
GLOBL b64perm<>(SB), RODATA|NOPTR, $32

