package blackbox

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/stretchr/testify/assert"
)

// Item 8: a Bearer scheme without a token is answered like a request
// without credentials: 401 with a challenge that has no error code (RFC
// 6750 §3.1), whatever the spelling, in process (no header trimming) and
// over loopback (net/http trims trailing whitespace).
func TestEmptyBearerIsNoCredentials(t *testing.T) {
	s := newSurface(t, envelope.Nested)
	for _, v := range []string{"Bearer", "Bearer ", "Bearer   ", "bearer", "BEARER", "Bearer\t", "bEaReR \t "} {
		for _, path := range []string{"/bearer", "/bearer/admin", "/logout"} {
			method := "GET"
			if path == "/logout" {
				method = "POST"
			}
			check := func(how string, status int, challenge string) {
				if assert.Equal(t, 401, status, "%s %q on %s", how, v, path) {
					assert.NotEmpty(t, challenge, "%s %q on %s", how, v, path)
					assert.NotContains(t, challenge, "error=", "%s %q on %s: a challenge without an error code", how, v, path)
				}
			}
			res := do(t, nil, method, s.srv.URL+path, http.Header{"Authorization": {v}}, "")
			check("loopback", res.status, res.header.Get("WWW-Authenticate"))
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(method, path, nil)
			req.Header.Set("Authorization", v)
			s.srv.Config.Handler.ServeHTTP(rec, req)
			check("in process", rec.Code, rec.Header().Get("WWW-Authenticate"))
		}
	}
}

// Item 7: a valid Authorization header plus an access_token in the query
// or in a form body is 400 invalid_request, whatever the method, the
// Content-Type's spelling and parameters.
func TestTwoTokenMethodsAreRefused(t *testing.T) {
	s := newSurface(t, envelope.OAuth)
	tok := s.access(t, "alice", "read")
	assert.Equal(t, 200, do(t, nil, "GET", s.srv.URL+"/bearer", bearerH(tok), "").status)
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"} {
		for _, q := range []string{"access_token=" + url.QueryEscape(tok), "access_token=", "access_token=x", "a=1&access_token=x", "access_token"} {
			res := do(t, nil, m, s.srv.URL+"/bearer?"+q, bearerH(tok), "")
			if assert.Equal(t, 400, res.status, "%s ?%s", m, q) && m != "HEAD" {
				assert.Contains(t, res.body, "invalid_request", "%s ?%s", m, q)
			}
		}
		if m == "GET" || m == "HEAD" {
			continue
		}
		for _, ct := range []string{
			"application/x-www-form-urlencoded",
			"application/x-www-form-urlencoded; charset=UTF-8",
			"application/x-www-form-urlencoded;charset=utf-8",
			"Application/X-WWW-Form-URLEncoded",
			"APPLICATION/X-WWW-FORM-URLENCODED ; charset=\"utf-8\"",
		} {
			h := bearerH(tok)
			h.Set("Content-Type", ct)
			res := do(t, nil, m, s.srv.URL+"/bearer", h, "x=1&access_token="+url.QueryEscape(tok))
			assert.Equal(t, 400, res.status, "%s form %q: %s", m, ct, res.body)
		}
	}
	// Only the header, and a form without access_token: accepted, and the
	// body is left for the handler.
	h := bearerH(tok)
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	assert.Equal(t, 200, do(t, nil, "POST", s.srv.URL+"/bearer", h, "x=1&access_tokens=2").status)
	// Parameter names are case-sensitive (RFC 6749 §3.1): ACCESS_TOKEN is
	// not access_token, and is not a second credential either way.
	res := do(t, nil, "GET", s.srv.URL+"/bearer?ACCESS_TOKEN=x&Access_Token=y", bearerH(tok), "")
	assert.NotEqual(t, 500, res.status)
	// A token only in the query with a garbage header: still refused.
	res = do(t, nil, "GET", s.srv.URL+"/bearer?access_token="+url.QueryEscape(tok), http.Header{"Authorization": {"Bearer x"}}, "")
	assert.Contains(t, []int{400, 401}, res.status)
	assert.False(t, strings.Contains(res.body, tok), "no token echoed")
}

// Item 10: in the OAuth style, a 403 says what happened:
// insufficient_scope only for a missing scope.
func TestOAuth403Codes(t *testing.T) {
	s := newSurface(t, envelope.OAuth)
	alice := s.access(t, "alice", "read")
	bob := s.access(t, "bob", "read")
	code := func(path string, h http.Header, body string) (int, string) {
		method := "GET"
		if strings.HasPrefix(path, "/login") {
			method = "POST"
		}
		res := do(t, nil, method, s.srv.URL+path, h, body)
		var v struct {
			Error string `json:"error"`
		}
		_ = jsonUnmarshal(res.body, &v)
		return res.status, v.Error
	}
	st, c := code("/bearer/admin", bearerH(alice), "")
	assert.Equal(t, 403, st)
	assert.Equal(t, "insufficient_scope", c)
	st, c = code("/key/admin", http.Header{"ApiKey": {s.key}}, "")
	assert.Equal(t, 403, st)
	assert.Equal(t, "insufficient_scope", c, "an API key without the scope")

	sess := do(t, nil, "POST", s.srv.URL+"/token", jsonH, `{"grant_type":"urn:ietf:params:oauth:grant-type:jwt-bearer","client_id":"c1","assertion":"`+
		signHS256(t, `{"alg":"HS256","typ":"JWT"}`, fmt.Sprintf(`{"iat":%d,"amount":5,"notificationKey":"n-403"}`, s.clk.Now().Unix()))+`"}`)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = jsonUnmarshal(sess.body, &tok)
	for _, p := range []struct {
		name, path string
		h          http.Header
		body       string
	}{
		{"a client session on an m2m route", "/bearer/m2m", bearerH(tok.AccessToken), ""},
		{"per-account allowlist", "/bearer/allow", bearerH(bob), ""},
		{"static allowlist", "/bearer/static", bearerH(alice), ""},
		{"other surface", "/key/s2", http.Header{"ApiKey": {s.key}}, ""},
		{"login from outside the allowlist", "/login", jsonH, `{"username":"bob","password":"alice-password"}`},
	} {
		st, c := code(p.path, p.h, p.body)
		if st != 403 {
			t.Errorf("%s: %d, want 403", p.name, st)
			continue
		}
		assert.NotEqual(t, "insufficient_scope", c, p.name)
		assert.NotEmpty(t, c, p.name)
		assert.Regexp(t, `^[a-z_]+$`, c, p.name)
	}
}
