package issuer

import (
	"net/http"
	"strings"
	"testing"

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
		tok, _, rs := accessToken(r, false)
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
			if _, _, got := accessToken(r, false); got != tc.want {
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
	if _, _, got := accessToken(newHeaderRequest(ok), false); got != authOK {
		t.Fatalf("header of exactly MaxHeaderBytes: got %d, want authOK", got)
	}
	if tok, _, got := accessToken(newHeaderRequest(ok+"a"), false); got != authBad || tok != "" {
		t.Fatalf("header over MaxHeaderBytes: got a %d-byte token, %d, want authBad", len(tok), got)
	}
}
