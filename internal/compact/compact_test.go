package compact

import (
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
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for n := range 9 {
		for _, c := range alphabet {
			checkDecode(t, strings.Repeat("Q", n)+string(c))
		}
	}
}

// FuzzAppendDecode: AppendDecode decodes and refuses exactly as Encoding.
func FuzzAppendDecode(f *testing.F) {
	for _, s := range []string{"eyJhbGciOiJIUzI1NiJ9", "e31", "AA\nAA", "AAA=", "A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seg string) { checkDecode(t, seg) })
}
