package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/examples/scopedstore/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExpiredTokenFromFile: a TOKENS_FILE token with expires_at works until
// that instant and from then on gets seed 004's 401, byte for byte ("Token
// has expired").
func TestExpiredTokenFromFile(t *testing.T) {
	expiring := token("expiring")
	specs, err := server.ParseTokens(strings.NewReader(`[{"token":"` + expiring + `","store":"acme","scopes":["products:read","settings:read"],"expires_at":"2026-03-01T13:00:00+01:00"}]`))
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), specs[0].ExpiresAt, "kept in UTC")
	e := start(t, server.Config{Tokens: append(standardTokens(), specs...)})
	e.clock.Add(-time.Second) // the clock starts at 12:00:00 UTC, the expiry

	r := e.call("acme", expiring, "GET", "/products", "")
	require.Equal(t, 200, r.status, "one second before expires_at")
	var infos []server.TokenInfo
	e.call("acme", expiring, "GET", "/tokens", "").data(t, &infos)
	var listed *server.TokenInfo
	for i := range infos {
		if infos[i].ExpiresAt != nil {
			listed = &infos[i]
		}
	}
	require.NotNil(t, listed, "GET /tokens shows expires_at")
	assert.Equal(t, specs[0].ExpiresAt, *listed.ExpiresAt)
	r = e.call("acme", acmeAll, "GET", "/tokens", "")
	assert.Contains(t, r.body, `"expires_at":"2026-03-01T12:00:00Z"`)
	assert.Contains(t, r.body, `"expires_at":null`, "tokens without expiry show null")

	e.clock.Add(time.Second) // now == expires_at: expired
	r = e.call("acme", expiring, "GET", "/products", "")
	assert.Equal(t, 401, r.status)
	assert.Equal(t, body401, r.body)
	assert.Equal(t, `Bearer realm="api", error="invalid_token", error_description="The access token expired"`, r.header.Get("WWW-Authenticate"))
	assert.Equal(t, 200, e.call("acme", acmeAll, "GET", "/products", "").status, "other tokens are unaffected")
}

// TestCreateTokenWithExpiry: POST /tokens takes an optional expires_at, shows
// it in the answer and the listing, and the token stops working then.
func TestCreateTokenWithExpiry(t *testing.T) {
	e := start(t, server.Config{})
	r := e.call("acme", acmeAll, "POST", "/tokens", `{"name":"ci","scopes":["products:read"],"expires_at":"2026-03-01T12:10:00Z"}`)
	require.Equal(t, 201, r.status, r.body)
	assert.Contains(t, r.body, `"created_at":"2026-03-01T12:00:00Z","expires_at":"2026-03-01T12:10:00Z","revoked_at":null`)
	var created server.NewTokenResponse
	r.data(t, &created)
	require.NotNil(t, created.ExpiresAt)
	assert.Equal(t, time.Date(2026, 3, 1, 12, 10, 0, 0, time.UTC), *created.ExpiresAt)

	var infos []server.TokenInfo
	e.call("acme", acmeAll, "GET", "/tokens", "").data(t, &infos)
	found := false
	for _, i := range infos {
		if i.ID == created.ID {
			found = true
			require.NotNil(t, i.ExpiresAt)
			assert.Equal(t, *created.ExpiresAt, *i.ExpiresAt)
		}
	}
	assert.True(t, found)

	e.clock.Add(10*time.Minute - time.Nanosecond)
	assert.Equal(t, 200, e.call("acme", created.Token, "GET", "/products", "").status, "not yet expired")
	e.clock.Add(time.Nanosecond)
	r = e.call("acme", created.Token, "GET", "/products", "")
	assert.Equal(t, 401, r.status)
	assert.Equal(t, body401, r.body)

	// Without expires_at, or with null, the token never expires.
	for _, body := range []string{`{"scopes":["products:read"]}`, `{"scopes":["products:read"],"expires_at":null}`} {
		r = e.call("acme", acmeAll, "POST", "/tokens", body)
		require.Equal(t, 201, r.status, r.body)
		assert.Contains(t, r.body, `"expires_at":null`)
		var c server.NewTokenResponse
		r.data(t, &c)
		e.clock.Add(100 * 365 * 24 * time.Hour)
		assert.Equal(t, 200, e.call("acme", c.Token, "GET", "/products", "").status)
	}
}

func TestCreateTokenExpiryValidation(t *testing.T) {
	e := start(t, server.Config{})
	format := `{"success":false,"error":"Bad Request","message":"expires_at must be an RFC 3339 time such as 2026-12-31T23:59:59Z"}`
	past := `{"success":false,"error":"Bad Request","message":"expires_at must be in the future"}`
	for _, c := range []struct{ value, want string }{
		{`"tomorrow"`, format},
		{`""`, format},
		{`"2026-03-02"`, format},           // a date alone
		{`"2026-03-02T12:00:00"`, format},  // no time zone
		{`"2026-03-02 12:00:00Z"`, format}, // not RFC 3339's T
		{`"2026-02-30T12:00:00Z"`, format}, // no such day
		{`"2026-03-02T24:00:00Z"`, format}, // no such hour
		{`1772452800`, `{"success":false,"error":"Bad Request","message":"Invalid type for field: expires_at"}`},
		{`"2026-03-01T11:59:59Z"`, past},      // a second ago
		{`"2026-03-01T12:00:00Z"`, past},      // now: already expired
		{`"2026-03-01T12:59:59+01:00"`, past}, // a second ago, in another zone
		{`"1970-01-01T00:00:00Z"`, past},
	} {
		t.Run(c.value, func(t *testing.T) {
			r := e.call("acme", acmeAll, "POST", "/tokens", `{"scopes":["products:read"],"expires_at":`+c.value+`}`)
			assert.Equal(t, 400, r.status)
			assert.Equal(t, c.want, r.body)
		})
	}
	var infos []server.TokenInfo
	e.call("acme", acmeAll, "GET", "/tokens", "").data(t, &infos)
	assert.Len(t, infos, 2, "no token was created")
}
