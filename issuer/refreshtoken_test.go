package issuer

import (
	"testing"

	"github.com/gatehouse-go/gatehouse/internal/issuance"
	"github.com/stretchr/testify/assert"
)

func TestWellFormedRefresh(t *testing.T) {
	fam := issuance.NewID()
	tok, h := newRefreshToken(fam)
	assert.True(t, wellFormedRefresh(tok))
	assert.Equal(t, fam, refreshFamily(tok), "the token names its family")
	assert.Equal(t, h, hashRefreshToken(tok))
	assert.Len(t, tok, refreshTokenLen)
	for _, bad := range []string{"", "rt_", tok + "A", tok[:len(tok)-1], "RT_" + tok[3:], tok[:10] + "." + tok[11:], tok[:10] + "=" + tok[11:]} {
		assert.False(t, wellFormedRefresh(bad), "%q", bad)
	}
}

func FuzzWellFormedRefresh(f *testing.F) {
	tok, _ := newRefreshToken(issuance.NewID())
	f.Add(tok)
	f.Add("eyJhbGciOiJIUzI1NiJ9.e30.sig")
	f.Add("rt_" + string(make([]byte, 65)))
	f.Fuzz(func(t *testing.T, s string) {
		if !wellFormedRefresh(s) {
			return
		}
		if len(s) != refreshTokenLen || s[:3] != refreshTokenPrefix {
			t.Fatalf("accepted %q", s)
		}
		for _, c := range []byte(s[3:]) {
			if c == '.' || c == '=' || c == '+' || c == '/' || c < '-' || c > 'z' {
				t.Fatalf("accepted %q", s)
			}
		}
	})
}
