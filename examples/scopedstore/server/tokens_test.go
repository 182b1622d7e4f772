package server_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/examples/scopedstore/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRotation follows seed 004's rotation steps: create a token with the
// same scopes, use it, revoke the old one.
func TestRotation(t *testing.T) {
	old := token("old")
	e := start(t, server.Config{Tokens: append(standardTokens(),
		server.TokenSpec{Token: old, Store: "acme", Scopes: []string{"products:read", "orders:read", "settings:read", "settings:write"}})})

	// 1. Create a new token with the same scopes.
	r := e.call("acme", old, "POST", "/tokens", `{"name":"rotated","scopes":["products:read","orders:read","settings:read","settings:write"]}`)
	require.Equal(t, http.StatusCreated, r.status, r.body)
	assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
	var created server.NewTokenResponse
	r.data(t, &created)
	assert.Regexp(t, `^sst_[A-Za-z0-9_-]{43}$`, created.Token)
	assert.Regexp(t, `^tok_[0-9a-f]{16}$`, created.ID)
	assert.Equal(t, "rotated", created.Name)
	assert.Equal(t, []string{"products:read", "orders:read", "settings:read", "settings:write"}, created.Scopes)
	assert.Equal(t, e.clock.Now(), created.CreatedAt)
	assert.Nil(t, created.RevokedAt)

	// The plaintext is returned once: listings never show it.
	list := e.call("acme", created.Token, "GET", "/tokens", "")
	require.Equal(t, 200, list.status)
	assert.NotContains(t, list.body, created.Token)
	var infos []server.TokenInfo
	list.data(t, &infos)
	ids := map[string]server.TokenInfo{}
	for _, i := range infos {
		ids[i.ID] = i
	}
	require.Contains(t, ids, created.ID)
	var oldID string
	for id, i := range ids {
		if i.Name == "" && len(i.Scopes) == 4 {
			oldID = id
		}
	}
	require.NotEmpty(t, oldID)

	// 2–3. The new token works.
	assert.Equal(t, 200, e.call("acme", created.Token, "GET", "/products", "").status)

	// 4. Revoke the old token, with the new one; it stops working at once.
	e.clock.Add(time.Minute)
	r = e.call("acme", created.Token, "DELETE", "/tokens/"+oldID, "")
	require.Equal(t, 200, r.status, r.body)
	var revoked server.TokenInfo
	r.data(t, &revoked)
	require.NotNil(t, revoked.RevokedAt)
	assert.Equal(t, e.clock.Now(), *revoked.RevokedAt)
	r = e.call("acme", old, "GET", "/products", "")
	assert.Equal(t, 401, r.status)
	assert.Equal(t, body401, r.body)
	assert.Contains(t, r.header.Get("WWW-Authenticate"), `error="invalid_token"`)

	// Revoking again answers the same; the listing shows the revocation.
	e.clock.Add(time.Minute)
	r = e.call("acme", created.Token, "DELETE", "/tokens/"+oldID, "")
	require.Equal(t, 200, r.status)
	var again server.TokenInfo
	r.data(t, &again)
	assert.Equal(t, revoked.RevokedAt, again.RevokedAt)
	assert.Equal(t, 200, e.call("acme", created.Token, "GET", "/products", "").status)
}

func TestCreateToken(t *testing.T) {
	e := start(t, server.Config{})
	t.Run("a subset of the caller's scopes", func(t *testing.T) {
		r := e.call("acme", acmeAll, "POST", "/tokens", `{"scopes":["orders:read","orders:read","analytics:read"]}`)
		require.Equal(t, 201, r.status)
		var c server.NewTokenResponse
		r.data(t, &c)
		assert.Equal(t, []string{"orders:read", "analytics:read"}, c.Scopes)
		// The new token has exactly those scopes.
		assert.Equal(t, 200, e.call("acme", c.Token, "GET", "/orders", "").status)
		assert.Equal(t, body403Scope("products:read"), e.call("acme", c.Token, "GET", "/products", "").body)
		// It belongs to the caller's store.
		assert.Equal(t, body403Perm, e.call("globex", c.Token, "GET", "/orders", "").body)
	})
	t.Run("more than the caller's scopes", func(t *testing.T) {
		writer := token("writer")
		e := start(t, server.Config{Tokens: append(standardTokens(),
			server.TokenSpec{Token: writer, Store: "acme", Scopes: []string{"settings:write", "products:read"}})})
		r := e.call("acme", writer, "POST", "/tokens", `{"scopes":["products:read","products:write"]}`)
		assert.Equal(t, 403, r.status)
		assert.Equal(t, body403Scope("products:write"), r.body)
		assert.Equal(t, 201, e.call("acme", writer, "POST", "/tokens", `{"scopes":["products:read"]}`).status)
	})
	t.Run("without settings:write", func(t *testing.T) {
		r := e.call("acme", acmeReadOnly, "POST", "/tokens", `{"scopes":["products:read"]}`)
		assert.Equal(t, body403Scope("settings:write"), r.body)
		r = e.call("acme", acmeReadOnly, "DELETE", "/tokens/tok_whatever", "")
		assert.Equal(t, body403Scope("settings:write"), r.body)
	})
	t.Run("a name too long", func(t *testing.T) {
		r := e.call("acme", acmeAll, "POST", "/tokens", `{"name":"`+longName()+`","scopes":["products:read"]}`)
		assert.Equal(t, 400, r.status)
	})
}

func longName() string {
	b := make([]byte, server.MaxTokenNameLength+1)
	for i := range b {
		b[i] = 'n'
	}
	return string(b)
}

func TestRevokeToken(t *testing.T) {
	e := start(t, server.Config{})
	var globexTok server.NewTokenResponse
	e.call("globex", globexAll, "POST", "/tokens", `{"scopes":["products:read"]}`).data(t, &globexTok)

	t.Run("another store's token", func(t *testing.T) {
		r := e.call("acme", acmeAll, "DELETE", "/tokens/"+globexTok.ID, "")
		assert.Equal(t, body403Perm, r.body)
		assert.Equal(t, 200, e.call("globex", globexTok.Token, "GET", "/products", "").status, "still valid")
	})
	t.Run("unknown id", func(t *testing.T) {
		r := e.call("acme", acmeAll, "DELETE", "/tokens/tok_0000000000000000", "")
		assert.Equal(t, `{"success":false,"error":"Not Found","message":"Token not found"}`, r.body)
	})
	t.Run("a token revokes itself", func(t *testing.T) {
		var tok server.NewTokenResponse
		e.call("acme", acmeAll, "POST", "/tokens", `{"scopes":["settings:write"]}`).data(t, &tok)
		assert.Equal(t, 200, e.call("acme", tok.Token, "DELETE", "/tokens/"+tok.ID, "").status)
		assert.Equal(t, body401, e.call("acme", tok.Token, "DELETE", "/tokens/"+tok.ID, "").body)
	})
}

func TestRateLimit(t *testing.T) {
	e := start(t, server.Config{RateLimit: 3})
	for i := range 3 {
		r := e.call("acme", acmeAll, "GET", "/products", "")
		require.Equal(t, 200, r.status)
		assert.Equal(t, "3", r.header.Get("RateLimit-Limit"))
		assert.Equal(t, strconv.Itoa(2-i), r.header.Get("RateLimit-Remaining"))
	}
	r := e.call("acme", acmeAll, "GET", "/products", "")
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, `{"success":false,"error":"Too Many Requests","message":"Rate limit exceeded"}`, r.body)
	assert.Equal(t, "20", r.header.Get("Retry-After"), "one request every 60s/3")
	assert.Equal(t, "3", r.header.Get("RateLimit-Limit"))
	assert.Equal(t, "0", r.header.Get("RateLimit-Remaining"))
	assert.Equal(t, "60", r.header.Get("RateLimit-Reset"))

	// The limit is per token: the read-only token of the same store and
	// the other store's token still have their own budget.
	assert.Equal(t, 200, e.call("acme", acmeReadOnly, "GET", "/products", "").status)
	assert.Equal(t, 200, e.call("globex", globexAll, "GET", "/products", "").status)

	// One request comes back every 20 seconds, when Retry-After said.
	e.clock.Add(20 * time.Second)
	assert.Equal(t, 200, e.call("acme", acmeAll, "GET", "/products", "").status)
	assert.Equal(t, 429, e.call("acme", acmeAll, "GET", "/products", "").status)
}

func TestDefaultRateLimit(t *testing.T) {
	e := start(t, server.Config{})
	for range server.DefaultRateLimit {
		require.Equal(t, 200, e.call("acme", acmeAll, "GET", "/settings", "").status)
	}
	r := e.call("acme", acmeAll, "GET", "/settings", "")
	assert.Equal(t, 429, r.status)
	assert.Equal(t, "1", r.header.Get("Retry-After"))
	assert.Equal(t, "60", r.header.Get("RateLimit-Limit"))
}
