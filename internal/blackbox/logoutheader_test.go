package blackbox

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/stretchr/testify/assert"
)

// RFC 9110 whitespace (OWS) is SP and HTAB: "Bearer" followed by nothing
// but spaces and tabs carries no credentials, in the bearer middleware and
// in logout alike (401 with a challenge without an error code), and a tab
// around the token is whitespace.
func TestBearerTabIsNoCredentials(t *testing.T) {
	s := newSurface(t, envelope.Nested)
	for _, v := range []string{"Bearer\t", "bEaReR \t ", "Bearer\t\t", "Bearer \t"} {
		for _, path := range []string{"/bearer", "/logout"} {
			method := map[string]string{"/bearer": "GET", "/logout": "POST"}[path]
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(method, path, nil)
			req.Header.Set("Authorization", v)
			s.srv.Config.Handler.ServeHTTP(rec, req)
			assert.Equal(t, 401, rec.Code, "%q on %s", v, path)
			assert.NotEmpty(t, rec.Header().Get("WWW-Authenticate"), "%q on %s", v, path)
			assert.NotContains(t, rec.Header().Get("WWW-Authenticate"), "error=", "%q on %s", v, path)
		}
	}
	tok := s.access(t, "alice", "read")
	for _, v := range []string{"Bearer\t" + tok, "Bearer \t" + tok + "\t", "bearer " + tok + " \t"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/bearer", nil)
		req.Header.Set("Authorization", v)
		s.srv.Config.Handler.ServeHTTP(rec, req)
		assert.Equal(t, 200, rec.Code, "%q", strings.ReplaceAll(v, tok, "<token>"))
	}
	// Logout reads the header the same way.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/logout", nil)
	req.Header.Set("Authorization", "Bearer\t"+tok+"\t")
	s.srv.Config.Handler.ServeHTTP(rec, req)
	assert.Equal(t, 200, rec.Code, rec.Body.String())
	assert.Equal(t, 401, do(t, nil, "GET", s.srv.URL+"/bearer", bearerH(tok), "").status, "logged out")
}
