//go:build !amd64 || purego

package compact

// hasBlocks is false: blocks are decoded and checked by vector
// instructions on amd64 alone.
const hasBlocks = false

// decodeBlocks decodes nothing; it is never called where hasBlocks is
// false.
func decodeBlocks(out []byte, seg string) (blocks int, ok bool) { return 0, true }

// alphabetBlocks checks nothing; it is never called where hasBlocks is
// false.
func alphabetBlocks(seg string) (blocks int) { return 0 }

// dotBlocks finds nothing; it is never called where hasBlocks is false.
func dotBlocks(tok string) (dot1, dot2 int, ok bool) { return 0, 0, false }
