package issuer

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse/bearer"
)

func newHeaderRequest(authorization string) *http.Request {
	r, _ := http.NewRequest("POST", "/auth/logout", nil)
	r.Header["Authorization"] = []string{authorization}
	return r
}

func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer a.b.c", "Bearer ", "Basic x", "Bearer a b", "BEARER\tx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r := newHeaderRequest(h)
		tok, rs := bearerToken(r)
		if rs != authOK {
			if tok != "" {
				t.Fatalf("header %q refused but gave token %q", h, tok)
			}
			return
		}
		if tok == "" || len(tok) >= len(h) {
			t.Fatalf("header %q gave token %q", h, tok)
		}
	})
}

func TestBearerTokenHeaderLines(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []string
		want  int
	}{
		{"none", nil, authNone},
		{"another scheme", []string{"Basic abc"}, authNone},
		{"token without scheme", []string{"eyJ.a.b"}, authNone},
		{"bare Bearer (RFC 6750 §3.1: no credentials)", []string{"Bearer"}, authNone},
		{"Bearer and a space", []string{"Bearer "}, authNone},
		{"Bearer and spaces", []string{"bearer    "}, authNone},
		{"Bearer and a tab (RFC 9110 OWS)", []string{"Bearer\t"}, authNone},
		{"Bearer, a space and a tab", []string{"Bearer \t"}, authNone},
		{"tab separator", []string{"Bearer\tabc"}, authOK},
		{"two tokens", []string{"Bearer abc def"}, authBad},
		{"not a b64token", []string{"Bearer a,b"}, authBad},
		{"scheme prefix only", []string{"Bearerabc"}, authBad},
		{"one", []string{"Bearer abc"}, authOK},
		{"two", []string{"Bearer abc", "Bearer def"}, authMany},
		{"two, one empty", []string{"Bearer abc", ""}, authMany},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest("POST", "/auth/logout", nil)
			if tc.lines != nil {
				r.Header["Authorization"] = tc.lines
			}
			if _, got := bearerToken(r); got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
}

// TestBearerTokenLengthCap is the regression test for logout reading an
// Authorization header of any length: one over bearer.MaxHeaderBytes is
// refused before the token is parsed, as the bearer middleware does.
func TestBearerTokenLengthCap(t *testing.T) {
	const scheme = "Bearer "
	ok := scheme + strings.Repeat("a", bearer.MaxHeaderBytes-len(scheme))
	if _, got := bearerToken(newHeaderRequest(ok)); got != authOK {
		t.Fatalf("header of exactly MaxHeaderBytes: got %d, want authOK", got)
	}
	if tok, got := bearerToken(newHeaderRequest(ok + "a")); got != authBad || tok != "" {
		t.Fatalf("header over MaxHeaderBytes: got a %d-byte token, %d, want authBad", len(tok), got)
	}
}

// countingClaims records whether its claims were decoded.
type countingClaims struct {
	jwt.RegisteredClaims
	decoded *bool
}

func (c *countingClaims) UnmarshalJSON(b []byte) error {
	*c.decoded = true
	return json.Unmarshal(b, &c.RegisteredClaims)
}

// TestSignerParseVerifiesBeforeDecoding is the regression test for logout
// decoding the claims of a token before checking its signature: a forged
// token must cost no claims decoding.
func TestSignerParseVerifiesBeforeDecoding(t *testing.T) {
	s, err := newSigner(SigningKey{Key: []byte("0123456789abcdef0123456789abcdef")}, AccessTokenType)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.sign(jwt.RegisteredClaims{Subject: "svc", ID: "j1"})
	if err != nil {
		t.Fatal(err)
	}
	decoded := false
	forged := tok[:strings.LastIndexByte(tok, '.')+1] + base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	if err := s.parse(forged, AccessTokenType, &countingClaims{decoded: &decoded}); err == nil {
		t.Fatal("forged signature accepted")
	}
	if decoded {
		t.Fatal("claims of a token with a bad signature were decoded")
	}
	got := countingClaims{decoded: &decoded}
	if err := s.parse(tok, AccessTokenType, &got); err != nil || !decoded || got.Subject != "svc" {
		t.Fatalf("genuine token: err %v, decoded %v, sub %q", err, decoded, got.Subject)
	}
}
