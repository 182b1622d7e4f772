//go:build !purego

#include "textflag.h"

// CONSTANTS loads the tables both loops read: Y6 and Y7 classify a byte by
// its low and high nibble, Y9 holds 0x0f in every byte.
#define CONSTANTS \
	VBROADCASTI128 b64lo<>(SB), Y6; \
	VBROADCASTI128 b64hi<>(SB), Y7; \
	VPBROADCASTB   b64nib<>(SB), Y9

// NIBBLES loads the block at addr into Y0, its high nibbles into Y1, the
// classes its low nibbles are invalid in into Y3 and its high nibbles'
// classes into Y4: a byte is outside the base64url alphabet where Y3 and
// Y4 share a bit.
#define NIBBLES(addr) \
	VMOVDQU addr, Y0;   \
	VPSRLD  $4, Y0, Y1; \
	VPAND   Y9, Y1, Y1; \
	VPAND   Y9, Y0, Y2; \
	VPSHUFB Y2, Y6, Y3; \
	VPSHUFB Y1, Y7, Y4

// CLASSIFY loads the block at (SI) as NIBBLES does and jumps to bad when
// a byte of it is outside the base64url alphabet.
#define CLASSIFY(bad) \
	NIBBLES((SI));  \
	VPTEST Y3, Y4; \
	JNZ    bad

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
	CONSTANTS
	VBROADCASTI128 b64roll<>(SB), Y8
	VPBROADCASTB   b64under<>(SB), Y10
	VPBROADCASTB   b64ten<>(SB), Y11
	VPBROADCASTD   b64madd1<>(SB), Y12
	VPBROADCASTD   b64madd2<>(SB), Y13
	VBROADCASTI128 b64pack<>(SB), Y14
	VPMOVZXBD      b64perm<>(SB), Y15

loop:
	CMPQ CX, $32
	JLT  done
	CMPQ DX, $32
	JLT  done
	CLASSIFY(bad)

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
TEXT ·alphabetBlocks(SB), NOSPLIT, $0-24
	MOVQ seg_base+0(FP), SI
	MOVQ seg_len+8(FP), CX
	XORQ AX, AX
	CONSTANTS

next:
	CMPQ CX, $32
	JLT  end
	CLASSIFY(end)
	ADDQ $32, SI
	SUBQ $32, CX
	INCQ AX
	JMP  next

end:
	VZEROUPPER
	MOVQ AX, blocks+16(FP)
	RET

// func dotBlocks(tok string) (dot1, dot2 int, ok bool)
//
// Each block of 32 bytes yields two masks (VPMOVMSKB): its bytes of the
// alphabet or '.', which must be all of them, and its dots, whose indexes
// are taken one by one (BSF, then the lowest bit cleared), at most two in
// all. The last bytes, fewer than 32, are read as the last 32 of tok,
// with the lanes already read masked off.
TEXT ·dotBlocks(SB), NOSPLIT, $0-33
	MOVQ tok_base+0(FP), SI
	MOVQ tok_len+8(FP), R13
	CMPQ R13, $32
	JLT  nodots
	CONSTANTS
	VPBROADCASTB b64dot<>(SB), Y10
	VPXOR        Y11, Y11, Y11
	XORQ         R8, R8          // the block's offset
	XORQ         R9, R9          // dots found
	XORQ         R10, R10        // the first dot's index
	XORQ         R11, R11        // the second's
	MOVL         $-1, R12        // the lanes of the block not read before

block:
	NIBBLES((SI)(R8*1))
	VPAND     Y3, Y4, Y5
	VPCMPEQB  Y11, Y5, Y5        // 0xff: a character of the alphabet
	VPCMPEQB  Y10, Y0, Y1        // 0xff: a dot
	VPOR      Y1, Y5, Y5
	VPMOVMSKB Y5, AX
	VPMOVMSKB Y1, BX
	ANDL      R12, AX
	ANDL      R12, BX
	CMPL      AX, R12
	JNE       nodots

dots:
	TESTL BX, BX
	JZ    advance
	BSFL  BX, DX
	ADDQ  R8, DX
	INCQ  R9
	CMPQ  R9, $1
	JNE   second
	MOVQ  DX, R10
	JMP   clear

second:
	CMPQ R9, $2
	JNE  nodots
	MOVQ DX, R11

clear:
	LEAL -1(BX), DX
	ANDL DX, BX
	JMP  dots

advance:
	ADDQ $32, R8
	MOVQ R13, CX
	SUBQ R8, CX                  // the bytes left
	JLE  found
	CMPQ CX, $32
	JGE  block

	// The last CX bytes: the block of tok's last 32, whose first 32-CX
	// lanes were read already.
	MOVQ R13, R8
	SUBQ $32, R8
	NEGQ CX
	ADDQ $32, CX
	MOVL $-1, R12
	SHLL CX, R12
	JMP  block

found:
	CMPQ R9, $2
	JNE  nodots
	VZEROUPPER
	MOVQ R10, dot1+16(FP)
	MOVQ R11, dot2+24(FP)
	MOVB $1, ok+32(FP)
	RET

nodots:
	VZEROUPPER
	MOVQ $0, dot1+16(FP)
	MOVQ $0, dot2+24(FP)
	MOVB $0, ok+32(FP)
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

// The tables of one 128-bit lane, which VPSHUFB reads in each lane.

// b64lo: by low nibble, the classes of high nibble it is invalid in (bit
// 0: 0x0_, 0x1_, 0x8_ to 0xF_; 1: 0x2_; 2: 0x3_; 3: 0x4_, 0x6_; 4: 0x5_;
// 5: 0x7_).
DATA b64lo<>+0(SB)/8, $0x030303030303030b
DATA b64lo<>+8(SB)/8, $0x2737353737070303
GLOBL b64lo<>(SB), RODATA|NOPTR, $16

// b64hi: the class of each high nibble.
DATA b64hi<>+0(SB)/8, $0x2008100804020101
DATA b64hi<>+8(SB)/8, $0x0101010101010101
GLOBL b64hi<>(SB), RODATA|NOPTR, $16

// b64roll: what to add to a character to get its six bits, by high
// nibble: '-' 17, digits 4, upper case -65, lower case -71; at 15, '_' -32.
DATA b64roll<>+0(SB)/8, $0xb9b9bfbf04110000
DATA b64roll<>+8(SB)/8, $0xe000000000000000
GLOBL b64roll<>(SB), RODATA|NOPTR, $16

// b64pack: the three big-endian bytes of each 24-bit dword, then zeros.
DATA b64pack<>+0(SB)/8, $0x090a040506000102
DATA b64pack<>+8(SB)/8, $0x808080800c0d0e08
GLOBL b64pack<>(SB), RODATA|NOPTR, $16

// Constants broadcast to every byte or dword.

DATA b64nib<>+0(SB)/1, $0x0f
GLOBL b64nib<>(SB), RODATA|NOPTR, $1

// b64under: '_'; b64ten: what moves '_' to index 15 of b64roll.
DATA b64under<>+0(SB)/1, $0x5f
GLOBL b64under<>(SB), RODATA|NOPTR, $1

// b64dot: '.', which separates the segments of a compact JWS.
DATA b64dot<>+0(SB)/1, $0x2e
GLOBL b64dot<>(SB), RODATA|NOPTR, $1

DATA b64ten<>+0(SB)/1, $10
GLOBL b64ten<>(SB), RODATA|NOPTR, $1

// b64madd1 merges two sextets into a 12-bit word, b64madd2 two such words
// into 24 bits.
DATA b64madd1<>+0(SB)/4, $0x01400140
GLOBL b64madd1<>(SB), RODATA|NOPTR, $4

DATA b64madd2<>+0(SB)/4, $0x00011000
GLOBL b64madd2<>(SB), RODATA|NOPTR, $4

// b64perm: the dwords VPERMD keeps, the six of output first (widened
// from bytes by VPMOVZXBD).
DATA b64perm<>+0(SB)/8, $0x0703060504020100
GLOBL b64perm<>(SB), RODATA|NOPTR, $8
