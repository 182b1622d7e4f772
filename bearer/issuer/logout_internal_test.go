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
		tok, ok := bearerToken(r)
		if !ok {
			return
		}
		if tok == "" || len(tok) >= len(h) {
			t.Fatalf("header %q gave token %q", h, tok)
		}
	})
}
