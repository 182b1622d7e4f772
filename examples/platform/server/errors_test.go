package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-go/gatehouse/examples/platform/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestErrorCatalogue provokes every code of the catalogue that a client can
// provoke and checks the numeric body.
func TestErrorCatalogue(t *testing.T) {
	p := newPlatform(t, func(c *server.Config) { c.LoginAttempts = 3 })
	reseller := p.resellerToken(t)
	auth := []string{"Authorization", "Bearer " + reseller}
	for _, tc := range []struct {
		name, method, path, body string
		hdr                      []string
		status, code             int
	}{
		{"-25 invalid JSON", "POST", "/Orders/Create", `{"items":`, auth, 400, server.CodeValidation},
		{"-25 unknown field", "POST", "/Orders/Create", `{"colour":"red"}`, auth, 400, server.CodeValidation},
		{"-25 invalid item", "POST", "/Orders/Create", `{"items":[{"sku":"","quantity":1}]}`, auth, 400, server.CodeValidation},
		{"-25 missing amount", "POST", "/Payment/Charges/Create", `{"currency":"EUR"}`, []string{"ApiKey", paymentKey}, 400, server.CodeValidation},
		{"-25 bad currency", "POST", "/Payment/Charges/Create", `{"amount":5,"currency":"euro"}`, []string{"ApiKey", paymentKey}, 400, server.CodeValidation},
		{"-25 negative stock", "POST", "/Supplier/Products/UpdateStock", `{"sku":"SKU-1001","stock":-1}`, []string{"ApiKey", seedKey}, 400, server.CodeValidation},
		{"-25 missing stock", "POST", "/Supplier/Products/UpdateStock", `{"sku":"SKU-1001"}`, []string{"ApiKey", seedKey}, 400, server.CodeValidation},
		{"-25 body too large", "POST", "/Orders/Create", `{"reference":"` + strings.Repeat("x", 20<<10) + `"}`, auth, 413, server.CodeValidation},
		{"-25 two Authorization headers", "GET", "/Orders/List", "", []string{"Authorization", "Bearer " + reseller, "Authorization", "Bearer " + reseller}, 400, server.CodeValidation},
		{"-25 login without a password", "POST", "/Token/Generate", `{"username":"partner"}`, nil, 400, server.CodeValidation},
		{"-26 unknown route", "GET", "/Orders/Delete", "", auth, 404, server.CodeNotFound},
		{"-26 unknown product", "POST", "/Supplier/Products/UpdateStock", `{"sku":"SKU-9","stock":1}`, []string{"ApiKey", seedKey}, 404, server.CodeNotFound},
		{"-27 wrong method", "GET", "/Orders/Create", "", auth, 405, server.CodeMethodNotAllowed},
		{"-23 wrong password", "POST", "/Token/Generate", `{"username":"partner","password":"nope"}`, nil, 401, server.CodeUnauthorized},
		{"-23 unknown user", "POST", "/Storefront/Login", `{"username":"bob@acme.example","password":"nope"}`, nil, 401, server.CodeUnauthorized},
		{"-23 customer credentials on the reseller login", "POST", "/Token/Generate", `{"username":"` + customerUser + `","password":"` + customerPass + `"}`, nil, 401, server.CodeUnauthorized},
		{"-29 too many failed logins", "POST", "/Token/Generate", `{"username":"partner","password":"nope"}`, nil, 429, server.CodeRateLimited},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertError(t, p.do(t, tc.method, tc.path, tc.body, tc.hdr...), tc.status, tc.code)
		})
	}

	t.Run("415 is -25", func(t *testing.T) {
		req, err := http.NewRequest("POST", p.url+"/Token/Generate", strings.NewReader(`{"username":"partner","password":"x"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "text/plain")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusUnsupportedMediaType, res.StatusCode)
	})
	t.Run("405 lists the allowed methods", func(t *testing.T) {
		res := p.do(t, "DELETE", "/Orders/List", "")
		assertError(t, res, 405, server.CodeMethodNotAllowed)
		assert.Equal(t, "GET, HEAD", res.header.Get("Allow"))
	})
	t.Run("429 carries Retry-After", func(t *testing.T) {
		res := p.do(t, "POST", "/Token/Generate", `{"username":"partner","password":"`+resellerPass+`"}`)
		assertError(t, res, 429, server.CodeRateLimited)
		assert.NotEmpty(t, res.header.Get("Retry-After"))
	})
}

// TestCodes checks that the catalogue maps every envelope code it names to
// a distinct-per-class numeric code and that Style renders them.
func TestCodes(t *testing.T) {
	codes := server.Codes()
	assert.Equal(t, server.CodeUnauthorized, codes["UNAUTHORIZED"])
	assert.Equal(t, server.CodeForbidden, codes["FORBIDDEN"])
	assert.Equal(t, server.CodeRateLimited, codes["TOO_MANY_REQUESTS"])
	assert.Equal(t, server.CodeUnavailable, codes["SERVICE_UNAVAILABLE"])
	codes["UNAUTHORIZED"] = 0
	assert.Equal(t, server.CodeUnauthorized, server.Codes()["UNAUTHORIZED"], "Codes returns a fresh map")
}

// TestRefresh checks that each login's refresh token renews tokens of its
// own surface only.
func TestRefresh(t *testing.T) {
	p := newPlatform(t)
	_, reseller := p.login(t, "/Token/Generate", resellerUser, resellerPass)
	_, storefront := p.login(t, "/Storefront/Login", customerUser, customerPass)
	body := func(m map[string]any) string { return `{"refresh_token":"` + m["refresh_token"].(string) + `"}` }

	assertError(t, p.do(t, "POST", "/Storefront/Refresh", body(reseller)), 401, server.CodeUnauthorized)
	assertError(t, p.do(t, "POST", "/Token/Refresh", body(storefront)), 401, server.CodeUnauthorized)
	// A refresh token is no access token, and an access token no refresh token.
	assertError(t, p.do(t, "GET", "/Orders/List", "", "Authorization", "Bearer "+reseller["refresh_token"].(string)), 401, server.CodeUnauthorized)
	assertError(t, p.do(t, "POST", "/Token/Refresh", `{"refresh_token":"`+reseller["access_token"].(string)+`"}`), 401, server.CodeUnauthorized)

	res := p.do(t, "POST", "/Token/Refresh", body(reseller))
	require.Equal(t, http.StatusOK, res.status, res.body)
	tok := res.json(t)["data"].(map[string]any)["access_token"].(string)
	assert.Equal(t, http.StatusOK, p.do(t, "GET", "/Orders/List", "", "Authorization", "Bearer "+tok).status)
	assertError(t, p.do(t, "POST", "/Token/Refresh", body(reseller)), 401, server.CodeUnauthorized)
}
