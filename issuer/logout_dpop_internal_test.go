package issuer

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gatehouse-go/gatehouse/bearer"
)

// TestAccessTokenDPoPScheme checks that a DPoP value is read with the
// rules bearer.TokenFromHeader applies to the Bearer scheme: the value
// with "Bearer" in place of its scheme gives the same token and outcome.
func TestAccessTokenDPoPScheme(t *testing.T) {
	for _, rest := range []string{
		"", " ", "  \t", "\t", " abc", "\tabc", " abc ", " abc\t ", " a.b.c", " abc==", " =",
		" a b", " a,b", " a=b", "abc", "-abc", " a~+/-._9Z", " abc\x00", " é",
	} {
		for _, scheme := range []string{"DPoP", "dpop", "DPOP", "dPoP"} {
			r := newHeaderRequest(scheme + rest)
			tok, isDPoP, rs := accessToken(r, true)
			wantTok, _, wantRS := accessToken(newHeaderRequest("Bearer"+rest), false)
			assert.True(t, isDPoP, "%q", scheme+rest)
			assert.Equal(t, wantRS, rs, "%q", scheme+rest)
			assert.Equal(t, wantTok, tok, "%q", scheme+rest)
		}
	}
}

func TestAccessTokenSchemes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lines  []string
		dpopOK bool
		tok    string
		isDPoP bool
		rs     int
	}{
		{"Bearer", []string{"Bearer abc"}, true, "abc", false, authOK},
		{"Bearer without DPoP", []string{"Bearer abc"}, false, "abc", false, authOK},
		{"DPoP", []string{"DPoP abc"}, true, "abc", true, authOK},
		{"DPoP without a verifier is another scheme", []string{"DPoP abc"}, false, "", false, authNone},
		{"two DPoP lines", []string{"DPoP abc", "DPoP def"}, true, "", false, authMany},
		{"DPoP and Bearer lines", []string{"DPoP abc", "Bearer def"}, true, "", false, authMany},
		{"none", nil, true, "", false, authNone},
		{"empty", []string{""}, true, "", false, authNone},
		{"Basic", []string{"Basic abc"}, true, "", false, authNone},
		{"a scheme that starts with DPoP", []string{"DPoPx abc"}, true, "", true, authBad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest("POST", "/auth/logout", nil)
			if tc.lines != nil {
				r.Header["Authorization"] = tc.lines
			}
			tok, isDPoP, rs := accessToken(r, tc.dpopOK)
			assert.Equal(t, tc.tok, tok)
			assert.Equal(t, tc.isDPoP, isDPoP)
			assert.Equal(t, tc.rs, rs)
		})
	}
}

// TestAccessTokenDPoPLengthCap checks that a DPoP value over
// bearer.MaxHeaderBytes is refused unread, as a Bearer one is.
func TestAccessTokenDPoPLengthCap(t *testing.T) {
	const scheme = "DPoP "
	ok := scheme + strings.Repeat("a", bearer.MaxHeaderBytes-len(scheme))
	tok, isDPoP, rs := accessToken(newHeaderRequest(ok), true)
	assert.Equal(t, authOK, rs)
	assert.True(t, isDPoP)
	assert.Len(t, tok, bearer.MaxHeaderBytes-len(scheme))

	tok, _, rs = accessToken(newHeaderRequest(ok+"a"), true)
	assert.Equal(t, authBad, rs)
	assert.Empty(t, tok)
}

// TestBoundKey checks which "cnf" claims Logout takes as a DPoP binding,
// as none, or as a binding it cannot check.
func TestBoundKey(t *testing.T) {
	for _, tc := range []struct {
		cnf string // "" for absent
		jkt string
		ok  bool
	}{
		{"", "", true},
		{"null", "", true},
		{`{"jkt":"abc"}`, "abc", true},
		{`{"jkt":"abc","kid":"x"}`, "", false},
		{`{"jkt":"abc","jwk":{"kty":"EC"}}`, "", false},
		{`{}`, "", false},
		{`{"jkt":""}`, "", false},
		{`{"jkt":null}`, "", false},
		{`{"jkt":5}`, "", false},
		{`{"JKT":"abc"}`, "", false},
		{`{"jkt":"abc","Jkt":"def"}`, "", false},
		{`{"jkt":"abc","jkt":"def"}`, "", false},
		{`{"x5t#S256":"abc"}`, "", false},
		{`{"jkt":"abc","x5t#S256":"def"}`, "", false},
		{`"abc"`, "", false},
		{`["abc"]`, "", false},
	} {
		c := logoutClaims{}
		if tc.cnf != "" {
			c.Confirmation = []byte(tc.cnf)
		}
		jkt, ok := c.boundKey()
		assert.Equal(t, tc.ok, ok, "%s", tc.cnf)
		assert.Equal(t, tc.jkt, jkt, "%s", tc.cnf)
	}
}
