package compact

import (
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
