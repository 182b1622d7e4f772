package issuer

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWellFormedRefresh(t *testing.T) {
	fam := newID()
	tok, h := newRefreshToken(fam)
	assert.True(t, wellFormedRefresh(tok))
	assert.Equal(t, fam, refreshFamily(tok), "the token names its family")
	assert.Equal(t, h, HashRefreshToken(tok))
	assert.Len(t, tok, refreshTokenLen)
	for _, bad := range []string{"", "rt_", tok + "A", tok[:len(tok)-1], "RT_" + tok[3:], tok[:10] + "." + tok[11:], tok[:10] + "=" + tok[11:]} {
		assert.False(t, wellFormedRefresh(bad), "%q", bad)
	}
}

func FuzzWellFormedRefresh(f *testing.F) {
	tok, _ := newRefreshToken(newID())
	f.Add(tok)
	f.Add("eyJhbGciOiJIUzI1NiJ9.e30.sig")
	f.Add("rt_" + string(make([]byte, 65)))
	f.Fuzz(func(t *testing.T, s string) {
		if !wellFormedRefresh(s) {
			return
		}
		if len(s) != refreshTokenLen || s[:3] != RefreshTokenPrefix {
			t.Fatalf("accepted %q", s)
		}
		for _, c := range []byte(s[3:]) {
			if c == '.' || c == '=' || c == '+' || c == '/' || c < '-' || c > 'z' {
				t.Fatalf("accepted %q", s)
			}
		}
	})
}
