package blackbox

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
	"github.com/stretchr/testify/assert"
	"golang.org/x/crypto/bcrypt"
)

// A scope holding a space (or any byte outside the RFC 6749 §3.3
// scope-token) is refused wherever a scope list becomes a "scope" claim:
// joined unchecked, "read admin" would be read back as two scopes.
func TestScopeWithSpaceDoesNotSplit(t *testing.T) {
	s := newSurface(t, envelope.Nested)
	ctx := context.Background()
	for _, bad := range []string{"read admin", "read\tadmin", "", `a"b`, "é"} {
		at, err := s.iss.IssueAccess(issuer.AccessClaims{Session: issuer.Session{Subject: "alice", Scopes: []string{"read", bad}}})
		if assert.Error(t, err, "IssueAccess with the scope %q", bad) {
			assert.Contains(t, err.Error(), "scope", "the error names the problem")
		} else {
			res := do(t, nil, "GET", s.srv.URL+"/bearer/admin", bearerH(at.Token), "")
			assert.NotEqual(t, 200, res.status, "IssueAccess: a scope %q must not grant admin", bad)
		}
		_, err = s.iss.IssuePair(ctx, issuer.Session{Subject: "alice", Scopes: []string{bad}})
		assert.Error(t, err, "IssuePair with the scope %q", bad)

		hash, _ := issuer.HashPassword("pw-pw-pw", bcrypt.MinCost)
		_, err = issuer.NewMemoryCredentials(issuer.Account{Username: "x", PasswordHash: hash, Scopes: []string{bad}})
		assert.Error(t, err, "an account scope %q", bad)
		creds, err := issuer.NewMemoryCredentials()
		assert.NoError(t, err)
		assert.Error(t, creds.Put(ctx, issuer.Account{Username: "x", PasswordHash: hash, Scopes: []string{bad}}), "Put of an account scope %q", bad)

		_, err = tokenendpoint.NewMemoryClients(tokenendpoint.Client{ID: "c", AssertionKey: secret, Scopes: []string{bad}})
		assert.Error(t, err, "a client scope %q", bad)
		clients, err := tokenendpoint.NewMemoryClients()
		assert.NoError(t, err)
		assert.Error(t, clients.Put(ctx, tokenendpoint.Client{ID: "c", AssertionKey: secret, Scopes: []string{bad}}), "Put of a client scope %q", bad)
	}
	// The token endpoint refuses a malformed requested scope whole.
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for _, scope := range []string{"read\tadmin", "read\u00a0admin", "read \x01"} {
		body := url.Values{"grant_type": {"client_credentials"}, "client_id": {"c1"}, "client_secret": {s.secret}, "scope": {scope}}.Encode()
		res := do(t, nil, "POST", s.srv.URL+"/token", form, body)
		assert.Equal(t, 400, res.status, "scope %q: %s", scope, res.body)
		assert.Contains(t, res.body, "invalid_scope", "scope %q", scope)
	}
	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {"c1"}, "client_secret": {s.secret}, "scope": {"read"}}.Encode()
	assert.Equal(t, 200, do(t, nil, "POST", s.srv.URL+"/token", form, body).status)
	// Valid scopes still work.
	_, err := s.iss.IssuePair(ctx, issuer.Session{Subject: "alice", Scopes: []string{"read", "write:all"}})
	assert.NoError(t, err)
}
