//go:build !purego

package compact

// hasBlocks reports whether decodeBlocks and alphabetBlocks may run: the
// processor has AVX2 and the operating system saves its registers.
var hasBlocks = avx2()

// decodeBlocks decodes blocks of 32 characters of seg into 24 bytes each
// of out, while seg holds a whole block and out 32 bytes, and returns how
// many it decoded. ok is false when a character of the next block is
// outside the base64url alphabet; the blocks before it are decoded.
//
//go:noescape
func decodeBlocks(out []byte, seg string) (blocks int, ok bool)

// alphabetBlocks returns how many blocks of 32 characters at the start of
// seg hold characters of the base64url alphabet alone.
//
//go:noescape
func alphabetBlocks(seg string) (blocks int)

// dotBlocks reports whether tok, at least 32 bytes long, holds exactly two
// dots and otherwise characters of the base64url alphabet alone, and
// returns the dots' indexes; it reads tok once, 32 bytes at a time.
//
//go:noescape
func dotBlocks(tok string) (dot1, dot2 int, ok bool)

// cpuid returns EAX, EBX, ECX and EDX of the CPUID instruction for the
// leaf and sub-leaf given.
func cpuid(leaf, sub uint32) (a, b, c, d uint32)

// xgetbv returns the low 32 bits of XCR0, the state components the
// operating system saves; call it only when CPUID reports OSXSAVE.
func xgetbv() (eax uint32)

// avx2 reports whether the processor has AVX2 (CPUID leaf 7, EBX bit 5)
// and the operating system saves the YMM registers (OSXSAVE, and XCR0
// with the SSE and AVX state bits).
func avx2() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, c, _ := cpuid(1, 0)
	const osxsave, avx = 1 << 27, 1 << 28
	if c&osxsave == 0 || c&avx == 0 || xgetbv()&6 != 6 {
		return false
	}
	_, b, _, _ := cpuid(7, 0)
	return b&(1<<5) != 0
}
