package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/examples/platform/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSeedExamples sends seed 003's two example requests as written.
func TestSeedExamples(t *testing.T) {
	p := newPlatform(t)

	t.Run("POST /Orders/Create with the Bearer token", func(t *testing.T) {
		res := p.raw(t, "POST /Orders/Create HTTP/1.1\nHost: api.example\nAuthorization: Bearer "+p.resellerToken(t)+"\nContent-Length: 0\n\n")
		assert.Equal(t, http.StatusCreated, res.status, res.body)
		data := res.json(t)["data"].(map[string]any)
		assert.Equal(t, "acme", data["tenant"])
		assert.Equal(t, server.DefaultResellerID, data["created_by"])
	})
	t.Run("the seed's truncated placeholder token", func(t *testing.T) {
		res := p.raw(t, "POST /Orders/Create HTTP/1.1\nHost: api.example\nAuthorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...\nContent-Length: 0\n\n")
		assertError(t, res, http.StatusUnauthorized, server.CodeUnauthorized)
	})
	t.Run("POST /Supplier/Products/List with the ApiKey header", func(t *testing.T) {
		res := p.raw(t, "POST /Supplier/Products/List HTTP/1.1\nHost: api.example\nApiKey: "+seedKey+"\nContent-Type: application/json\nContent-Length: 0\n\n")
		require.Equal(t, http.StatusOK, res.status, res.body)
		assert.Contains(t, res.body, `"sku":"SKU-1001"`)
	})
}

// TestTokenClaims checks seed 003's "Token claims include the customer
// identifier, tenant and any scope restrictions", signed HS256.
func TestTokenClaims(t *testing.T) {
	p := newPlatform(t)
	for _, tc := range []struct {
		name, path, user, pass, sub, aud, scope string
	}{
		{"reseller", "/Token/Generate", resellerUser, resellerPass, server.DefaultResellerID, server.SurfaceReseller, "orders:read orders:write"},
		{"storefront", "/Storefront/Login", customerUser, customerPass, server.DefaultCustomerID, server.SurfaceStorefront, "account:read orders:read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, data := p.login(t, tc.path, tc.user, tc.pass)
			hdr, c := claims(t, tok)
			// Seed 003: "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...".
			assert.Equal(t, map[string]any{"alg": "HS256", "typ": "JWT"}, hdr)
			assert.True(t, strings.HasPrefix(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."), tok)
			assert.Equal(t, tc.sub, c["sub"])
			assert.Equal(t, "acme", c["tenant"])
			assert.Equal(t, tc.scope, c["scope"])
			assert.Equal(t, tc.aud, c["aud"])
			assert.Equal(t, server.Issuer, c["iss"])
			assert.EqualValues(t, p.clock.Now().Add(server.DefaultTokenTTL).Unix(), c["exp"])
			rt, _ := data["refresh_token"].(string)
			assert.True(t, strings.HasPrefix(rt, "rt_"), "opaque: the seed shows no refresh token: %s", rt)
		})
	}
	t.Run("the customer identifier reaches the handler", func(t *testing.T) {
		res := p.do(t, "GET", "/Storefront/Account", "", "Authorization", "Bearer "+p.storefrontToken(t))
		require.Equal(t, http.StatusOK, res.status, res.body)
		assert.JSONEq(t, `{"success":true,"data":{"customer_id":"cus_1001","email":"jane@acme.example","tenant":"acme","scopes":["account:read","orders:read"]}}`, res.body)
	})
}

// TestJWTFailureModes walks seed 003's JWT failure table on both JWT
// surfaces: 401 for a missing header, a malformed or expired token and a
// header without the Bearer prefix; 403 for a valid token lacking the
// route's scope.
func TestJWTFailureModes(t *testing.T) {
	surfaces := []struct {
		name, route, method, login, user, pass string
		narrow                                 func(*server.Config) // leaves the token without the route's scope
	}{
		{"reseller", "/Orders/Create", "POST", "/Token/Generate", resellerUser, resellerPass,
			func(c *server.Config) { c.Reseller.Scopes = []string{server.ScopeOrdersRead} }},
		{"storefront", "/Storefront/Account", "GET", "/Storefront/Login", customerUser, customerPass,
			func(c *server.Config) { c.Customer.Scopes = []string{server.ScopeOrdersRead} }},
	}
	for _, s := range surfaces {
		t.Run(s.name, func(t *testing.T) {
			p := newPlatform(t)
			tok, _ := p.login(t, s.login, s.user, s.pass)
			other := newPlatform(t, func(c *server.Config) { c.JWTSecret = []byte("another-secret-0123456789abcdefghij") })
			forged, _ := other.login(t, s.login, s.user, s.pass)
			parts := strings.Split(tok, ".")
			tampered := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))

			require.Equal(t, http.StatusOK/100, p.do(t, s.method, s.route, "", "Authorization", "Bearer "+tok).status/100, "valid token")
			require.Equal(t, http.StatusOK/100, p.do(t, s.method, s.route, "", "Authorization", "bearer "+tok).status/100, "the scheme is case-insensitive (RFC 9110 §11.1)")

			for _, tc := range []struct {
				name string
				hdr  []string
			}{
				{"401 missing header", nil},
				{"401 empty header", []string{"Authorization", ""}},
				{"401 malformed token", []string{"Authorization", "Bearer not-a-jwt"}},
				{"401 malformed JWS", []string{"Authorization", "Bearer a.b.c"}},
				{"401 tampered signature", []string{"Authorization", "Bearer " + tampered}},
				{"401 signed with another secret", []string{"Authorization", "Bearer " + forged}},
				{"401 without the Bearer prefix", []string{"Authorization", tok}},
				{"401 another scheme", []string{"Authorization", "Basic " + tok}},
				{"401 the token in the ApiKey header", []string{"ApiKey", tok}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					res := p.do(t, s.method, s.route, "", tc.hdr...)
					assertError(t, res, http.StatusUnauthorized, server.CodeUnauthorized)
					assert.Contains(t, res.header.Get("WWW-Authenticate"), `Bearer realm="`+s.name+`"`)
				})
			}

			t.Run("401 expired", func(t *testing.T) {
				p.clock.Add(server.DefaultTokenTTL)
				defer p.clock.Add(-server.DefaultTokenTTL)
				res := p.do(t, s.method, s.route, "", "Authorization", "Bearer "+tok)
				assertError(t, res, http.StatusUnauthorized, server.CodeUnauthorized)
				assert.Contains(t, res.header.Get("WWW-Authenticate"), `error="invalid_token"`)
			})

			t.Run("403 lacking the route's scope", func(t *testing.T) {
				narrow := newPlatform(t, s.narrow)
				weak, _ := narrow.login(t, s.login, s.user, s.pass)
				res := narrow.do(t, s.method, s.route, "", "Authorization", "Bearer "+weak)
				assertError(t, res, http.StatusForbidden, server.CodeForbidden)
				assert.Contains(t, res.header.Get("WWW-Authenticate"), `error="insufficient_scope"`)
				assert.Contains(t, res.body, "Token does not have the required scope")
			})
			assert.NotContains(t, p.audit.dump(), tok, "audit events never carry tokens")
		})
	}
}

// TestJWTCrossSurface checks that each JWT surface accepts only its own
// audience.
func TestJWTCrossSurface(t *testing.T) {
	p := newPlatform(t)
	reseller, storefront := p.resellerToken(t), p.storefrontToken(t)
	for _, tc := range []struct {
		name, method, path, token string
		status                    int
	}{
		{"reseller token on the Reseller API", "GET", "/Orders/List", reseller, http.StatusOK},
		{"storefront token on the Storefront API", "GET", "/Storefront/Orders", storefront, http.StatusOK},
		{"storefront token on POST /Orders/Create", "POST", "/Orders/Create", storefront, http.StatusUnauthorized},
		{"storefront token on GET /Orders/List", "GET", "/Orders/List", storefront, http.StatusUnauthorized},
		{"reseller token on GET /Storefront/Account", "GET", "/Storefront/Account", reseller, http.StatusUnauthorized},
		{"reseller token on the Payment API", "POST", "/Payment/Charges/Create", reseller, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := p.do(t, tc.method, tc.path, "", "Authorization", "Bearer "+tc.token)
			if tc.status == http.StatusOK {
				assert.Equal(t, http.StatusOK, res.status, res.body)
				return
			}
			assertError(t, res, tc.status, server.CodeUnauthorized)
		})
	}
}

// TestAPIKeyFailureModes walks seed 003's API-key failure table on both
// API-key surfaces: 401 with code -23 for a missing, malformed, expired or
// revoked key or a key of another tenant; 403 when the key's tenant has no
// access to the surface.
func TestAPIKeyFailureModes(t *testing.T) {
	ctx := context.Background()
	surfaces := []struct {
		name, method, path, body, key, otherKey string
	}{
		{server.SurfaceSupplier, "POST", "/Supplier/Products/List", "", seedKey, paymentKey},
		{server.SurfacePayment, "POST", "/Payment/Charges/Create", `{"amount":1999,"currency":"EUR"}`, paymentKey, seedKey},
	}
	for _, s := range surfaces {
		t.Run(s.name, func(t *testing.T) {
			// More refusals than the default key throttle allows one
			// address (TestAPIKeyThrottle covers it).
			p := newPlatform(t, func(c *server.Config) { c.KeyAttempts = 100 })
			expiring, _, err := p.srv.IssueKey(ctx, "acme", []string{s.name}, p.clock.Now().Add(time.Hour))
			require.NoError(t, err)
			revoked, rec, err := p.srv.IssueKey(ctx, "acme", []string{s.name}, time.Time{})
			require.NoError(t, err)
			globex, _, err := p.srv.IssueKey(ctx, "globex", []string{s.name}, time.Time{})
			require.NoError(t, err)
			unknown, _, err := apikey.Generate("live")
			require.NoError(t, err)

			for _, tc := range []struct {
				name string
				hdr  []string
			}{
				{"the tenant's key", []string{"ApiKey", s.key}},
				{"with X-Tenant-ID", []string{"ApiKey", s.key, "X-Tenant-ID", "acme"}},
				{"before its expiry", []string{"ApiKey", expiring}},
				{"before its revocation", []string{"ApiKey", revoked}},
				{"another tenant's key for that tenant", []string{"ApiKey", globex, "X-Tenant-ID", "globex"}},
			} {
				t.Run("2xx "+tc.name, func(t *testing.T) {
					res := p.do(t, s.method, s.path, s.body, tc.hdr...)
					assert.Equal(t, 2, res.status/100, res.body)
				})
			}

			require.NoError(t, p.srv.RevokeKey(ctx, rec.ID))
			p.clock.Add(time.Hour)

			for _, tc := range []struct {
				name string
				hdr  []string
			}{
				{"missing", nil},
				{"empty", []string{"ApiKey", ""}},
				{"malformed: a space", []string{"ApiKey", "not a key"}},
				{"malformed: two keys in one line", []string{"ApiKey", s.key + "," + s.key}},
				{"malformed: over 128 bytes", []string{"ApiKey", strings.Repeat("k", 129)}},
				{"malformed: the header twice", []string{"ApiKey", s.key, "ApiKey", s.key}},
				{"unknown", []string{"ApiKey", unknown}},
				{"in the Authorization header", []string{"Authorization", "Bearer " + s.key}},
				{"expired", []string{"ApiKey", expiring}},
				{"revoked", []string{"ApiKey", revoked}},
				{"another tenant's key (named by X-Tenant-ID)", []string{"ApiKey", globex, "X-Tenant-ID", "acme"}},
				{"another tenant's key (platform tenant by default)", []string{"ApiKey", globex}},
				{"the tenant's key for another tenant", []string{"ApiKey", s.key, "X-Tenant-ID", "globex"}},
				{"X-Tenant-ID empty", []string{"ApiKey", s.key, "X-Tenant-ID", ""}},
				{"X-Tenant-ID twice", []string{"ApiKey", s.key, "X-Tenant-ID", "acme", "X-Tenant-ID", "acme"}},
				{"X-Tenant-ID in another case", []string{"ApiKey", s.key, "X-Tenant-ID", "ACME"}},
			} {
				t.Run("401 "+tc.name, func(t *testing.T) {
					res := p.do(t, s.method, s.path, s.body, tc.hdr...)
					assertError(t, res, http.StatusUnauthorized, server.CodeUnauthorized)
					// RFC 9110 §15.5.2: every 401 carries a challenge; the
					// body stays seed 003's.
					assert.Equal(t, `ApiKey realm="api"`, res.header.Get("WWW-Authenticate"))
				})
			}
			t.Run("401 from the query string", func(t *testing.T) {
				res := p.do(t, s.method, s.path+"?ApiKey="+s.key+"&api_key="+s.key, s.body)
				assertError(t, res, http.StatusUnauthorized, server.CodeUnauthorized)
			})
			t.Run("403 the tenant has no access to the surface", func(t *testing.T) {
				res := p.do(t, s.method, s.path, s.body, "ApiKey", s.otherKey)
				assertError(t, res, http.StatusForbidden, server.CodeForbidden)
				assert.Contains(t, res.body, "API key not allowed on this endpoint")
			})

			dump := p.audit.dump()
			for _, secret := range []string{s.key, s.otherKey, expiring, revoked, globex, unknown} {
				assert.NotContains(t, dump, secret, "audit events never carry keys")
			}
		})
	}
}

// TestAPIKeyHeaderCase sends the ApiKey header name in several cases, as
// written on the wire (seed 003: "The header name is ApiKey
// (case-insensitive)").
func TestAPIKeyHeaderCase(t *testing.T) {
	p := newPlatform(t)
	for _, name := range []string{"ApiKey", "apikey", "APIKEY", "aPiKeY"} {
		t.Run(name, func(t *testing.T) {
			res := p.raw(t, "POST /Supplier/Products/List HTTP/1.1\nHost: api.example\n"+name+": "+seedKey+"\nx-tenant-id: acme\nContent-Length: 0\n\n")
			assert.Equal(t, http.StatusOK, res.status, res.body)
		})
	}
}

// TestKeyRotation rotates the Payment key: the new key works at once,
// both work until the old one is revoked, and the old one is refused from
// the next request on.
func TestKeyRotation(t *testing.T) {
	ctx := context.Background()
	p := newPlatform(t)
	charge := func(key string) response {
		return p.do(t, "POST", "/Payment/Charges/Create", `{"amount":500,"currency":"EUR"}`, "ApiKey", key)
	}
	old, err := p.srv.Keys().Lookup(ctx, apikey.Hash(paymentKey))
	require.NoError(t, err)

	fresh, rec, err := p.srv.RotateKey(ctx, old.ID)
	require.NoError(t, err)
	_, err = apikey.ParseKey(fresh)
	require.NoError(t, err, "rotated keys are in the checksummed ak_live_ format")
	assert.Equal(t, old.Tenant, rec.Tenant)
	assert.Equal(t, old.Surfaces, rec.Surfaces)
	assert.Equal(t, old.Scopes, rec.Scopes)

	assert.Equal(t, http.StatusCreated, charge(paymentKey).status, "old key, before revocation")
	assert.Equal(t, http.StatusCreated, charge(fresh).status, "new key")

	require.NoError(t, p.srv.RevokeKey(ctx, old.ID))
	res := charge(paymentKey)
	assertError(t, res, http.StatusUnauthorized, server.CodeUnauthorized)
	assert.Contains(t, res.body, "API key revoked")
	assert.Equal(t, http.StatusCreated, charge(fresh).status, "new key after the revocation")

	_, _, err = p.srv.RotateKey(ctx, old.ID)
	assert.ErrorIs(t, err, apikey.ErrKeyRevoked, "a revoked key is not rotated")
	_, _, err = p.srv.RotateKey(ctx, "key_unknown")
	assert.ErrorIs(t, err, apikey.ErrKeyNotFound)
}

// TestTenantIsolation checks that each key sees its tenant's data only.
func TestTenantIsolation(t *testing.T) {
	ctx := context.Background()
	p := newPlatform(t)
	globex, _, err := p.srv.IssueKey(ctx, "globex", []string{server.SurfacePayment, server.SurfaceSupplier}, time.Time{})
	require.NoError(t, err)

	require.Equal(t, http.StatusCreated, p.do(t, "POST", "/Payment/Charges/Create", `{"amount":700,"currency":"USD","reference":"INV-7"}`, "ApiKey", paymentKey).status)
	res := p.do(t, "GET", "/Payment/Charges/List", "", "ApiKey", globex, "X-Tenant-ID", "globex")
	require.Equal(t, http.StatusOK, res.status, res.body)
	assert.JSONEq(t, `{"success":true,"data":[]}`, res.body)
	res = p.do(t, "POST", "/Supplier/Products/List", "", "ApiKey", globex, "X-Tenant-ID", "globex")
	assert.JSONEq(t, `{"success":true,"data":[]}`, res.body)

	res = p.do(t, "GET", "/Payment/Charges/List", "", "ApiKey", paymentKey)
	require.Equal(t, http.StatusOK, res.status, res.body)
	assert.Contains(t, res.body, `"reference":"INV-7"`)
}
