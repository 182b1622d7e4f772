package compact

import (
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSplit(t *testing.T) {
	const hdr = "eyJhbGciOiJIUzI1NiJ9" // {"alg":"HS256"}
	j, ok := Split(hdr + ".e30.c2ln")
	assert.True(t, ok)
	assert.Equal(t, JWS{Header: []byte(`{"alg":"HS256"}`), SigningInput: hdr + ".e30", Payload: "e30", Signature: "c2ln"}, j)

	for _, tok := range []string{
		"", "a", hdr, hdr + ".e30", hdr + ".e30.c2ln.x", hdr + ".e30.c2ln.",
		hdr + "=.e30.c2ln", // padding
		"e31.e30.c2ln",     // unused bits set ("e30" is {})
		"ey*.e30.c2ln",     // not base64url
	} {
		_, ok := Split(tok)
		assert.False(t, ok, "%q", tok)
	}
	j, ok = Split(hdr + "..")
	assert.True(t, ok, "empty payload and signature are the caller's to refuse")
	assert.Empty(t, j.Payload)
	assert.Empty(t, j.Signature)
}

func FuzzSplit(f *testing.F) {
	f.Add("eyJhbGciOiJIUzI1NiJ9.e30.c2ln")
	f.Add("a.b.c.d")
	f.Fuzz(func(t *testing.T, tok string) {
		j, ok := Split(tok)
		if !ok {
			return
		}
		if j.SigningInput+"."+j.Signature != tok || j.SigningInput[len(j.SigningInput)-len(j.Payload):] != j.Payload {
			t.Fatalf("%q split as %+v", tok, j)
		}
	})
}

// alphabet is the base64url alphabet (RFC 4648 §5), written out here
// rather than taken from the package, as the tests' oracle.
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// checkDecode compares AppendDecode with Encoding on seg, appended to a
// prefix.
func checkDecode(t *testing.T, seg string) {
	t.Helper()
	want, err := Encoding.DecodeString(seg)
	prefix := []byte("xy")
	got, ok := AppendDecode(prefix[:2:2], seg)
	if ok != (err == nil) {
		t.Fatalf("%q: AppendDecode ok=%v, Encoding: %v", seg, ok, err)
	}
	if ok && (string(got[:2]) != "xy" || string(got[2:]) != string(want)) {
		t.Fatalf("%q: AppendDecode %x, Encoding %x", seg, got, want)
	}
}

func TestAppendDecodeMatchesEncoding(t *testing.T) {
	for _, seg := range []string{
		"", "A", "AA", "AQ", "AR", "AAA", "AAE", "AAF", "AAAA", "e30", "e31", "e30=", "e30==", "eyJhbGciOiJIUzI1NiJ9",
		"ab\ncd", "ab\r\ncd", "abc\n", "\n", "0000\n", "AAAA\nA", "AAAAAAAA\nAA", "AAAAAAAA\r\n", "AAAAAAAAAAA\n", "a+b/", "a-b_", "____", "----", "=", "AAAA=", "ey!J", "é", "AA\x00A",
	} {
		checkDecode(t, seg)
	}
	// Every length and every tail character.
	for n := range 9 {
		for _, c := range alphabet {
			checkDecode(t, strings.Repeat("Q", n)+string(c))
		}
	}
}

// TestAppendDecodeBlocks: segments long enough for decodeBlocks decode as
// Encoding decodes them, with every byte value at every position of the
// first two blocks and at every length past them.
func TestAppendDecodeBlocks(t *testing.T) {
	if !hasBlocks {
		t.Log("decodeBlocks does not run here; AppendDecode is checked by its other paths")
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	raw := make([]byte, 400)
	for i := range raw {
		raw[i] = byte(rnd.Uint32())
	}
	seg := base64.RawURLEncoding.EncodeToString(raw)
	for n := range len(seg) + 1 {
		checkDecode(t, seg[:n])
	}
	b := []byte(seg[:80])
	for p := range 70 {
		orig := b[p]
		for c := range 256 {
			b[p] = byte(c)
			checkDecode(t, string(b))
		}
		b[p] = orig
	}
}

// TestDecodeBlocks: decodeBlocks decodes whole blocks while out has room
// for 32 bytes, and stops at the block holding a character outside the
// alphabet.
func TestDecodeBlocks(t *testing.T) {
	if !hasBlocks {
		t.Skip("decodeBlocks does not run here")
	}
	seg := strings.Repeat("QUJD", 40) // "ABC" × 40
	for _, tc := range []struct {
		seg    string
		out    int
		blocks int
		ok     bool
	}{
		{seg[:31], 120, 0, true},
		{seg[:32], 31, 0, true},
		{seg[:32], 32, 1, true},
		{seg[:64], 48, 1, true},
		{seg[:64], 56, 2, true},
		{seg, 120, 4, true},
		{seg, 128, 5, true},
		{seg[:40] + "!" + seg[41:], 120, 1, false},
		{seg[:31] + "=", 120, 0, false},
	} {
		out := make([]byte, tc.out)
		blocks, ok := decodeBlocks(out, tc.seg)
		assert.Equal(t, tc.blocks, blocks, "%d characters, %d bytes", len(tc.seg), tc.out)
		assert.Equal(t, tc.ok, ok, "%d characters, %d bytes", len(tc.seg), tc.out)
		assert.Equal(t, strings.Repeat("ABC", 8*blocks), string(out[:24*blocks]))
	}
}

// FuzzAppendDecode: AppendDecode decodes and refuses exactly as Encoding.
func FuzzAppendDecode(f *testing.F) {
	for _, s := range []string{"eyJhbGciOiJIUzI1NiJ9", "e31", "AA\nAA", "AAA=", "A", benchSeg, benchSeg[:64] + "\n" + benchSeg[64:], benchSeg[:100] + "+" + benchSeg[101:]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seg string) { checkDecode(t, seg) })
}

// TestAlphabet: Alphabet accepts exactly the base64url alphabet, at every
// position and every length around a block's.
func TestAlphabet(t *testing.T) {
	s := []byte(strings.Repeat(alphabet, 2))
	for n := range len(s) + 1 {
		assert.True(t, Alphabet(string(s[:n])), "%q", s[:n])
	}
	for p := range 70 {
		orig := s[p]
		for c := range 256 {
			s[p] = byte(c)
			assert.Equal(t, strings.IndexByte(alphabet, byte(c)) >= 0, Alphabet(string(s[:70])), "%q at %d", c, p)
		}
		s[p] = orig
	}
}

// FuzzAlphabet: Alphabet accepts exactly the segments whose every byte
// is in the base64url alphabet.
func FuzzAlphabet(f *testing.F) {
	f.Add(benchSeg)
	f.Add(benchSeg[:40] + "=" + benchSeg[41:])
	f.Fuzz(func(t *testing.T, s string) {
		want := strings.Trim(s, alphabet) == ""
		if got := Alphabet(s); got != want {
			t.Fatalf("Alphabet(%q) = %v", s, got)
		}
	})
}

// checkCutClean fails t unless CutClean agrees with its definition on
// tok: Cut, then the alphabet check of each segment, where CutClean reads
// a token in one pass (hasBlocks, 32 bytes or more); never clean
// elsewhere.
func checkCutClean(t *testing.T, tok string) {
	t.Helper()
	h, p, s, clean := CutClean(tok)
	wh, wp, ws, want := Cut(tok)
	if !hasBlocks || len(tok) < 32 || !want || !Alphabet(wh) || !Alphabet(wp) || !Alphabet(ws) {
		wh, wp, ws, want = "", "", "", false
	}
	if clean != want || h != wh || p != wp || s != ws {
		t.Fatalf("CutClean(%q) = %q %q %q %v, want %q %q %q %v", tok, h, p, s, clean, wh, wp, ws, want)
	}
}

// TestCutClean: for tokens of every length to 200 with their two dots at
// assorted places, CutClean agrees with its definition (Cut, then Alphabet
// on each segment, for a token it reads in one pass), as it does with
// every byte value at every position of a 100-byte token, and with no
// dot, one or three.
func TestCutClean(t *testing.T) {
	check := func(tok []byte) { t.Helper(); checkCutClean(t, string(tok)) }
	rnd := rand.New(rand.NewPCG(5, 6))
	for n := range 201 {
		for range 6 {
			tok := make([]byte, n)
			for i := range tok {
				tok[i] = alphabet[rnd.IntN(len(alphabet))]
			}
			check(tok)
			if n < 2 {
				continue
			}
			i, j := rnd.IntN(n), rnd.IntN(n)
			tok[i], tok[j] = '.', '.'
			check(tok)
			tok[rnd.IntN(n)] = '.'
			check(tok)
		}
	}
	tok := []byte(benchSeg[:40] + "." + benchSeg[:30] + "." + benchSeg[:28])
	check(tok)
	for pos := range tok {
		orig := tok[pos]
		for c := range 256 {
			tok[pos] = byte(c)
			check(tok)
		}
		tok[pos] = orig
	}
}

// FuzzCutClean: CutClean agrees with Cut followed by Alphabet on each
// segment.
func FuzzCutClean(f *testing.F) {
	f.Add(benchSeg[:40] + "." + benchSeg + "." + benchSeg[:43])
	f.Add(benchSeg[:40] + "." + benchSeg + ".." + benchSeg[:43])
	f.Add(benchSeg[:40] + "." + benchSeg[:60] + "\n" + benchSeg[60:] + "." + benchSeg[:43])
	f.Fuzz(checkCutClean)
}
