package blackbox

import (
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/stretchr/testify/assert"
)

// Logout applies RFC 6750 §2's one-method rule as the bearer middleware
// does: a token in the header and in the query or a form body is 400
// invalid_request (413 for a form too long to check), and nothing is
// revoked.
func TestLogoutRefusesTwoTokenMethods(t *testing.T) {
	s := newSurface(t, envelope.Nested)
	tok := s.access(t, "alice", "read")
	res := do(t, nil, "POST", s.srv.URL+"/logout?access_token="+url.QueryEscape(tok), bearerH(tok), "")
	assert.Equal(t, 400, res.status, "query: %s", res.body)
	assert.Contains(t, res.header.Get("WWW-Authenticate"), `error="invalid_request"`)
	res = do(t, nil, "POST", s.srv.URL+"/logout?x=1&%61ccess_token=", bearerH(tok), "")
	assert.Equal(t, 400, res.status, "an escaped, empty query parameter: %s", res.body)
	h := bearerH(tok)
	h.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	res = do(t, nil, "POST", s.srv.URL+"/logout", h, "access_token="+url.QueryEscape(tok))
	assert.Equal(t, 400, res.status, "form: %s", res.body)
	res = do(t, nil, "POST", s.srv.URL+"/logout", h, "a="+strings.Repeat("b", bearer.MaxFormBytes))
	assert.Equal(t, 413, res.status, "a form too long to check: %s", res.body)
	assert.Equal(t, 200, do(t, nil, "GET", s.srv.URL+"/bearer", bearerH(tok), "").status, "nothing revoked by a refused logout")

	// A form without access_token is no second method.
	res = do(t, nil, "POST", s.srv.URL+"/logout", h, "reason=done")
	assert.Equal(t, 200, res.status, res.body)
	assert.Equal(t, 401, do(t, nil, "GET", s.srv.URL+"/bearer", bearerH(tok), "").status, "logged out")
}
