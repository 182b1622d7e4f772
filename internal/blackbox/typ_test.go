package blackbox

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Item 4: the typ header the issuer's verifier requires (at+jwt) is read by
// its exact name, and a repeated typ counts by its last member at most.
func TestTypHeaderExactName(t *testing.T) {
	s := newSurface(t, envelope.Nested)
	tok := s.access(t, "alice", "read")
	require.Equal(t, 200, do(t, nil, "GET", s.srv.URL+"/bearer", bearerH(tok), "").status)
	parts := strings.Split(tok, ".")
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	for _, h := range []string{
		`{"alg":"HS256","TYP":"at+jwt"}`,
		`{"alg":"HS256","Typ":"at+jwt","typ":"JWT"}`,
		`{"alg":"HS256","typ":"at+jwt","typ":"rt+jwt"}`,
		`{"alg":"HS256","typ":"rt+jwt"}`,
	} {
		res := do(t, nil, "GET", s.srv.URL+"/bearer", bearerH(signHS256(t, h, string(p))), "")
		assert.Equal(t, 401, res.status, "header %s", h)
	}
	res := do(t, nil, "GET", s.srv.URL+"/bearer", bearerH(signHS256(t, `{"alg":"HS256","typ":"application/AT+JWT"}`, string(p))), "")
	assert.Equal(t, 200, res.status, "typ compares case-insensitively with or without application/ (RFC 7515 §4.1.9)")
}
