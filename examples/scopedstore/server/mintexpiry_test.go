package server_test

import (
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/examples/scopedstore/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMintedTokenExpiresNoLaterThanItsMinter: over loopback, a token that
// expires cannot mint a token that outlives it — not one that never
// expires, not one with a later expires_at, and not through a chain of
// mints; a token without expiry mints as before.
func TestMintedTokenExpiresNoLaterThanItsMinter(t *testing.T) {
	minter := token("minter")
	end := time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC) // the clock starts at 12:00
	e := start(t, server.Config{Tokens: append(standardTokens(),
		server.TokenSpec{Token: minter, Store: "acme", Scopes: server.ScopeNames(), ExpiresAt: end})})

	mint := func(tok, body string) (response, server.NewTokenResponse) {
		t.Helper()
		r := e.call("acme", tok, "POST", "/tokens", body)
		var c server.NewTokenResponse
		if r.status == 201 {
			r.data(t, &c)
		}
		return r, c
	}

	// No expires_at, or null: the minted token gets the minter's expiry.
	var minted []server.NewTokenResponse
	for _, body := range []string{`{"scopes":["products:read","settings:write"]}`, `{"scopes":["products:read"],"expires_at":null}`} {
		r, c := mint(minter, body)
		require.Equal(t, 201, r.status, r.body)
		require.NotNil(t, c.ExpiresAt, r.body)
		assert.Equal(t, end, *c.ExpiresAt)
		minted = append(minted, c)
	}
	// A later expires_at is refused, naming the limit; nothing is created.
	r, _ := mint(minter, `{"scopes":["products:read"],"expires_at":"2026-03-01T13:00:01Z"}`)
	assert.Equal(t, 400, r.status)
	assert.Equal(t, `{"success":false,"error":"Bad Request","message":"expires_at must not be after the calling token's expiry, 2026-03-01T13:00:00Z"}`, r.body)
	r, _ = mint(minter, `{"scopes":["products:read"],"expires_at":"2099-01-01T00:00:00Z"}`)
	assert.Equal(t, 400, r.status)
	// The minter's own expiry, or an earlier one, is fine.
	r, c := mint(minter, `{"scopes":["products:read"],"expires_at":"2026-03-01T14:00:00+01:00"}`)
	require.Equal(t, 201, r.status, r.body)
	assert.Equal(t, end, *c.ExpiresAt)
	r, c = mint(minter, `{"scopes":["products:read","settings:write"],"expires_at":"2026-03-01T12:30:00Z"}`)
	require.Equal(t, 201, r.status, r.body)
	early := c
	// A minted token mints no longer-lived one either.
	r, c = mint(minted[0].Token, `{"scopes":["products:read"]}`)
	require.Equal(t, 201, r.status, r.body)
	assert.Equal(t, end, *c.ExpiresAt)
	minted = append(minted, c)
	r, c = mint(early.Token, `{"scopes":["products:read"]}`)
	require.Equal(t, 201, r.status, r.body)
	assert.Equal(t, early.ExpiresAt.UTC(), c.ExpiresAt.UTC())

	// At the minter's expiry every token it (directly or not) minted stops.
	e.clock.Add(time.Hour - time.Second)
	for _, c := range minted {
		assert.Equal(t, 200, e.call("acme", c.Token, "GET", "/products", "").status)
	}
	e.clock.Add(time.Second)
	for _, c := range minted {
		r := e.call("acme", c.Token, "GET", "/products", "")
		assert.Equal(t, 401, r.status)
		assert.Equal(t, body401, r.body)
	}
	assert.Equal(t, 401, e.call("acme", minter, "GET", "/products", "").status)

	// A token without expiry still mints one without.
	r, c = mint(acmeAll, `{"scopes":["products:read"]}`)
	require.Equal(t, 201, r.status, r.body)
	assert.Nil(t, c.ExpiresAt)
}
