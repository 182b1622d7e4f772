package issuer

import (
	"net/http"
	"testing"
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
		{"none", nil, authBad},
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
