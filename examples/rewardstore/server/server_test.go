package server_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/examples/rewardstore/server"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type env struct {
	t      *testing.T
	srv    *httptest.Server
	clock  *clock
	server *server.Server
}

// start runs the reward store on a real loopback listener, configured from
// vars as the command would be, with a test clock and the cheapest bcrypt.
func start(t *testing.T, vars map[string]string) *env {
	t.Helper()
	cfg, err := server.FromEnv(func(k string) string { return vars[k] })
	require.NoError(t, err)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	cfg.Now, cfg.BcryptCost = clk.Now, bcrypt.MinCost
	s, err := server.New(cfg)
	require.NoError(t, err)
	ts := httptest.NewServer(s) // listens on 127.0.0.1
	t.Cleanup(ts.Close)
	return &env{t: t, srv: ts, clock: clk, server: s}
}

// client returns an HTTP client whose connections come from the loopback
// address ip (127.0.0.2, 127.0.0.3, …).
func client(t *testing.T, ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (e *env) call(from, method, path, body string, hdr ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	require.NoError(e.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k := 0; k+1 < len(hdr); k += 2 {
		req.Header.Set(hdr[k], hdr[k+1])
	}
	resp, err := client(e.t, from).Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return response{resp.StatusCode, resp.Header, string(b)}
}

type tokens struct {
	AccessToken      string `json:"access_token"`
	RefreshToken     string `json:"refresh_token"`
	AccessExpiresAt  string `json:"access_expires_at"`
	RefreshExpiresAt string `json:"refresh_expires_at"`
	ClientID         int64  `json:"client_id"`
}

func (e *env) login(from, user, pw string) tokens {
	e.t.Helper()
	r := e.call(from, "POST", "/auth/login", `{"username":"`+user+`","password":"`+pw+`"}`)
	require.Equal(e.t, http.StatusOK, r.status, r.body)
	return pairOf(e.t, r)
}

func (e *env) refresh(from, rt string) response {
	return e.call(from, "POST", "/auth/refresh", `{"refresh_token":"`+rt+`"}`)
}

func (e *env) get(from, path, access string) response {
	return e.call(from, "GET", path, "", "Authorization", "Bearer "+access, "Content-Type", "application/json")
}

func pairOf(t *testing.T, r response) tokens {
	t.Helper()
	var body struct {
		Success bool   `json:"success"`
		Data    tokens `json:"data"`
	}
	dec := json.NewDecoder(strings.NewReader(r.body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&body))
	require.True(t, body.Success)
	return body.Data
}

func errorOf(t *testing.T, r response) (name, code string) {
	t.Helper()
	var b struct {
		Error struct{ Name, Code, Message string } `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &b), r.body)
	assert.NotEmpty(t, b.Error.Message)
	return b.Error.Name, b.Error.Code
}

func TestFullFlow(t *testing.T) {
	e := start(t, nil)
	// Step 1: login.
	r := e.call("127.0.0.2", "POST", "/auth/login", `{"username":"demo","password":"demo-password"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
	p := pairOf(t, r)
	assert.EqualValues(t, 123456, p.ClientID)
	now := e.clock.Now()
	assert.Equal(t, now.Add(time.Hour).Format(time.RFC3339), p.AccessExpiresAt)
	assert.Equal(t, now.Add(7*24*time.Hour).Format(time.RFC3339), p.RefreshExpiresAt)

	// Step 2: authenticated calls.
	for _, path := range []string{"/api/v1/products", "/api/v1/categories"} {
		r = e.get("127.0.0.2", path, p.AccessToken)
		require.Equal(t, http.StatusOK, r.status, r.body)
		var body struct {
			Success bool              `json:"success"`
			Data    []json.RawMessage `json:"data"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.body), &body))
		assert.True(t, body.Success)
		assert.NotEmpty(t, body.Data)
	}

	// Step 3: the PHP client refreshes 5 minutes before expiry.
	e.clock.Add(55 * time.Minute)
	r = e.refresh("127.0.0.2", p.RefreshToken)
	require.Equal(t, http.StatusOK, r.status, r.body)
	p2 := pairOf(t, r)
	assert.Equal(t, e.clock.Now().Add(time.Hour).Format(time.RFC3339), p2.AccessExpiresAt)
	assert.Equal(t, http.StatusOK, e.get("127.0.0.2", "/api/v1/products", p2.AccessToken).status)
	// The previous access token lives until its own expiry (in-flight calls).
	assert.Equal(t, http.StatusOK, e.get("127.0.0.2", "/api/v1/products", p.AccessToken).status)
	e.clock.Add(6 * time.Minute)
	r = e.get("127.0.0.2", "/api/v1/products", p.AccessToken)
	assert.Equal(t, http.StatusUnauthorized, r.status, "expired")
	assert.Equal(t, http.StatusOK, e.get("127.0.0.2", "/api/v1/products", p2.AccessToken).status)
}

func TestShortLifetimes(t *testing.T) {
	e := start(t, map[string]string{"ACCESS_TTL": "1m", "REFRESH_TTL": "10m"})
	p := e.login("127.0.0.2", "demo", "demo-password")
	e.clock.Add(time.Minute)
	r := e.get("127.0.0.2", "/api/v1/products", p.AccessToken)
	require.Equal(t, http.StatusUnauthorized, r.status)
	assert.Contains(t, r.header.Get("WWW-Authenticate"), `error="invalid_token"`)
	r = e.refresh("127.0.0.2", p.RefreshToken)
	require.Equal(t, http.StatusOK, r.status)
	p2 := pairOf(t, r)
	assert.Equal(t, http.StatusOK, e.get("127.0.0.2", "/api/v1/products", p2.AccessToken).status)
	e.clock.Add(10 * time.Minute)
	assert.Equal(t, http.StatusUnauthorized, e.refresh("127.0.0.2", p2.RefreshToken).status, "refresh token expired")
}

func TestRotationAndReuse(t *testing.T) {
	e := start(t, nil)
	p1 := e.login("127.0.0.2", "demo", "demo-password")
	r := e.refresh("127.0.0.2", p1.RefreshToken)
	require.Equal(t, http.StatusOK, r.status)
	p2 := pairOf(t, r)

	// An attacker replays the rotated token: reuse, the family is revoked.
	r = e.refresh("127.0.0.3", p1.RefreshToken)
	require.Equal(t, http.StatusUnauthorized, r.status)
	name, code := errorOf(t, r)
	assert.Equal(t, "UnauthorizedError", name)
	assert.Equal(t, "UNAUTHORIZED", code)
	assert.Equal(t, http.StatusUnauthorized, e.refresh("127.0.0.2", p2.RefreshToken).status)
	assert.Equal(t, http.StatusUnauthorized, e.get("127.0.0.2", "/api/v1/products", p2.AccessToken).status)
	assert.Equal(t, http.StatusUnauthorized, e.get("127.0.0.2", "/api/v1/products", p1.AccessToken).status)
	// A new login starts a new family.
	p3 := e.login("127.0.0.2", "demo", "demo-password")
	assert.Equal(t, http.StatusOK, e.get("127.0.0.2", "/api/v1/products", p3.AccessToken).status)
}

func TestConcurrentRefreshOneWinner(t *testing.T) {
	e := start(t, nil)
	p := e.login("127.0.0.2", "demo", "demo-password")
	const n = 8
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- e.refresh("127.0.0.2", p.RefreshToken).status
		}()
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	assert.Equal(t, map[int]int{200: 1, 401: n - 1}, count)
}

func TestLogoutAndCredentialRotation(t *testing.T) {
	// Seed 001: test the new credentials, then log out the old token.
	e := start(t, nil)
	old := e.login("127.0.0.2", "demo", "demo-password")
	fresh := e.login("127.0.0.2", "partner", "partner-password")
	r := e.call("127.0.0.2", "POST", "/auth/logout", "", "Authorization", "Bearer "+old.AccessToken)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.JSONEq(t, `{"success":true,"data":{"logged_out":true}}`, r.body)
	assert.Equal(t, http.StatusUnauthorized, e.get("127.0.0.2", "/api/v1/products", old.AccessToken).status)
	assert.Equal(t, http.StatusUnauthorized, e.refresh("127.0.0.2", old.RefreshToken).status)
	assert.Equal(t, http.StatusOK, e.get("127.0.0.2", "/api/v1/products", fresh.AccessToken).status)
	// Idempotent.
	r = e.call("127.0.0.2", "POST", "/auth/logout", "", "Authorization", "Bearer "+old.AccessToken)
	assert.Equal(t, http.StatusOK, r.status)
	// Without a token: 401.
	r = e.call("127.0.0.2", "POST", "/auth/logout", "")
	assert.Equal(t, http.StatusUnauthorized, r.status)
}

// TestCredentialRotationSameClient walks seed 001's rotation with new
// credentials of the same client: both user names log in as client
// 123456 under its whitelist; logging out the old token ends the old
// session only.
func TestCredentialRotationSameClient(t *testing.T) {
	e := start(t, map[string]string{
		"DEMO_ALLOWED_IPS":  "127.0.0.2",
		"DEMO_NEW_USERNAME": "new_api_username",
		"DEMO_NEW_PASSWORD": "new_secure_password",
	})
	old := e.login("127.0.0.2", "demo", "demo-password")
	fresh := e.login("127.0.0.2", "new_api_username", "new_secure_password")
	assert.EqualValues(t, 123456, fresh.ClientID, "the same client")
	r := e.call("127.0.0.3", "POST", "/auth/login", `{"username":"new_api_username","password":"new_secure_password"}`)
	assert.Equal(t, http.StatusForbidden, r.status, "the client's whitelist applies to its new user name")

	r = e.call("127.0.0.2", "POST", "/auth/logout", "", "Authorization", "Bearer "+old.AccessToken)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, http.StatusUnauthorized, e.get("127.0.0.2", "/api/v1/products", old.AccessToken).status)
	assert.Equal(t, http.StatusOK, e.get("127.0.0.2", "/api/v1/products", fresh.AccessToken).status)
	assert.Equal(t, http.StatusOK, e.refresh("127.0.0.2", fresh.RefreshToken).status)
}

func TestIPWhitelist(t *testing.T) {
	e := start(t, map[string]string{"DEMO_ALLOWED_IPS": "127.0.0.2, 10.0.0.0/8"})
	// Login.
	r := e.call("127.0.0.3", "POST", "/auth/login", `{"username":"demo","password":"demo-password"}`)
	require.Equal(t, http.StatusForbidden, r.status)
	name, code := errorOf(t, r)
	assert.Equal(t, "ForbiddenError", name)
	assert.Equal(t, "FORBIDDEN", code)
	p := e.login("127.0.0.2", "demo", "demo-password")
	// API calls.
	assert.Equal(t, http.StatusOK, e.get("127.0.0.2", "/api/v1/products", p.AccessToken).status)
	r = e.get("127.0.0.3", "/api/v1/products", p.AccessToken)
	require.Equal(t, http.StatusForbidden, r.status)
	name, _ = errorOf(t, r)
	assert.Equal(t, "ForbiddenError", name)
	// Refresh: refused from .3 without consuming the token, fine from .2.
	assert.Equal(t, http.StatusForbidden, e.refresh("127.0.0.3", p.RefreshToken).status)
	assert.Equal(t, http.StatusOK, e.refresh("127.0.0.2", p.RefreshToken).status)
	// The partner account has no whitelist.
	pp := e.login("127.0.0.3", "partner", "partner-password")
	assert.Equal(t, http.StatusOK, e.get("127.0.0.3", "/api/v1/categories", pp.AccessToken).status)
}

func TestTrustedProxies(t *testing.T) {
	e := start(t, map[string]string{"DEMO_ALLOWED_IPS": "192.0.2.10", "TRUSTED_PROXIES": "127.0.0.4/32"})
	body := `{"username":"demo","password":"demo-password"}`
	// Through the trusted proxy, the forwarded address is the client.
	r := e.call("127.0.0.4", "POST", "/auth/login", body, "X-Forwarded-For", "192.0.2.10")
	require.Equal(t, http.StatusOK, r.status, r.body)
	r = e.call("127.0.0.4", "POST", "/auth/login", body, "X-Forwarded-For", "192.0.2.11")
	assert.Equal(t, http.StatusForbidden, r.status)
	// From anywhere else the header is ignored.
	r = e.call("127.0.0.3", "POST", "/auth/login", body, "X-Forwarded-For", "192.0.2.10")
	assert.Equal(t, http.StatusForbidden, r.status)
}

// TestErrorTable covers every row of seed 000's "Common Error Codes".
func TestErrorTable(t *testing.T) {
	e := start(t, map[string]string{"DEMO_ALLOWED_IPS": "127.0.0.2"})
	good := e.login("127.0.0.2", "demo", "demo-password")
	tests := []struct {
		name, from, method, path, body string
		hdr                            []string
		status                         int
		errName, code                  string
	}{
		{"missing field", "127.0.0.2", "POST", "/auth/login", `{"username":"demo"}`, nil, 400, "ValidationException", "VALIDATION_FAILURE"},
		{"wrong field type", "127.0.0.2", "POST", "/auth/refresh", `{"refresh_token":42}`, nil, 400, "ValidationException", "VALIDATION_FAILURE"},
		{"invalid JSON", "127.0.0.2", "POST", "/auth/login", `{"username":"demo","password":}`, nil, 400, "SyntaxError", "SYNTAX_ERROR"},
		{"invalid credentials", "127.0.0.2", "POST", "/auth/login", `{"username":"demo","password":"nope"}`, nil, 401, "UnauthorizedError", "UNAUTHORIZED"},
		{"no token", "127.0.0.2", "GET", "/api/v1/products", "", nil, 401, "UnauthorizedError", "UNAUTHORIZED"},
		{"refresh token as access token", "127.0.0.2", "GET", "/api/v1/products", "", []string{"Authorization", "Bearer " + good.RefreshToken}, 401, "UnauthorizedError", "UNAUTHORIZED"},
		{"IP not authorized", "127.0.0.3", "POST", "/auth/login", `{"username":"demo","password":"demo-password"}`, nil, 403, "ForbiddenError", "FORBIDDEN"},
		{"unknown endpoint", "127.0.0.2", "GET", "/api/v1/orders", "", nil, 404, "NotFoundError", "NOT_FOUND"},
		{"wrong method", "127.0.0.2", "GET", "/auth/login", "", nil, 405, "MethodNotAllowedError", "METHOD_NOT_ALLOWED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(tc.from, tc.method, tc.path, tc.body, tc.hdr...)
			require.Equal(t, tc.status, r.status, r.body)
			name, code := errorOf(t, r)
			assert.Equal(t, tc.errName, name)
			assert.Equal(t, tc.code, code)
			assert.Equal(t, "application/json", r.header.Get("Content-Type"))
		})
	}
	t.Run("token without the route's scope", func(t *testing.T) {
		tok, err := e.server.Issuer.IssueAccess(issuer.AccessClaims{Session: issuer.Session{
			Subject: "demo", Tenant: "123456", ClientID: "123456", Scopes: []string{"categories:read"},
		}})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, e.get("127.0.0.2", "/api/v1/categories", tok.Token).status)
		r := e.get("127.0.0.2", "/api/v1/products", tok.Token)
		require.Equal(t, http.StatusForbidden, r.status, r.body)
		name, code := errorOf(t, r)
		assert.Equal(t, "ForbiddenError", name)
		assert.Equal(t, "FORBIDDEN", code)
		assert.Contains(t, r.header.Get("WWW-Authenticate"), `error="insufficient_scope", scope="products:read"`)
	})
	t.Run("expired token", func(t *testing.T) {
		e.clock.Add(time.Hour)
		r := e.get("127.0.0.2", "/api/v1/products", good.AccessToken)
		require.Equal(t, http.StatusUnauthorized, r.status)
		name, code := errorOf(t, r)
		assert.Equal(t, "UnauthorizedError", name)
		assert.Equal(t, "UNAUTHORIZED", code)
	})
	t.Run("throttled", func(t *testing.T) {
		for range 5 {
			e.call("127.0.0.5", "POST", "/auth/login", `{"username":"partner","password":"guess"}`)
		}
		r := e.call("127.0.0.5", "POST", "/auth/login", `{"username":"partner","password":"partner-password"}`)
		require.Equal(t, http.StatusTooManyRequests, r.status)
		assert.NotEmpty(t, r.header.Get("Retry-After"))
		name, _ := errorOf(t, r)
		assert.Equal(t, "TooManyRequestsError", name)
	})
}

func TestFromEnv(t *testing.T) {
	cfg, err := server.FromEnv(func(string) string { return "" })
	require.NoError(t, err)
	require.Len(t, cfg.Accounts, 2)
	assert.Equal(t, server.Account{Username: "demo", Password: "demo-password", ClientID: "123456"}, cfg.Accounts[0])
	assert.Equal(t, server.Partner, cfg.Accounts[1])
	assert.Equal(t, time.Hour, cfg.AccessTTL)
	assert.Equal(t, 168*time.Hour, cfg.RefreshTTL)
	assert.Empty(t, cfg.JWTSecret)

	bad := []map[string]string{
		{"JWT_SECRET": "short"},
		{"DEMO_CLIENT_ID": "abc"},
		{"DEMO_CLIENT_ID": "654321"},
		{"DEMO_CLIENT_ID": "0123456"},          // sent as a string, not a number
		{"DEMO_CLIENT_ID": "1234567890123456"}, // more digits than a float64 holds exactly
		{"DEMO_USERNAME": "partner"},
		{"DEMO_ALLOWED_IPS": "300.1.1.1"},
		{"TRUSTED_PROXIES": "not-a-cidr"},
		{"ACCESS_TTL": "1 hour"},
		{"REFRESH_TTL": "-5m"},
		{"DEMO_NEW_USERNAME": "next"},
		{"DEMO_NEW_PASSWORD": "secret"},
		{"DEMO_NEW_USERNAME": "demo", "DEMO_NEW_PASSWORD": "secret"},
		{"DEMO_NEW_USERNAME": "partner", "DEMO_NEW_PASSWORD": "secret"},
		{"PARTNER_USERNAME": "demo"},
		{"PARTNER_PASSWORD": "secret", "DEMO_USERNAME": "partner"},
		{"PARTNER_PASSWORD": "secret", "DEMO_CLIENT_ID": "654321"},
		{"PARTNER_ALLOWED_IPS": "300.1.1.1"},
		{"PARTNER_PASSWORD": "secret", "PARTNER_USERNAME": "next", "DEMO_NEW_USERNAME": "next", "DEMO_NEW_PASSWORD": "secret2"},
		// Partner settings without a partner account to apply to.
		{"DEMO_PASSWORD": "secret", "PARTNER_USERNAME": "partner2"},
		{"DEMO_PASSWORD": "secret", "PARTNER_ALLOWED_IPS": "127.0.0.3"},
	}
	for _, vars := range bad {
		_, err := server.FromEnv(func(k string) string { return vars[k] })
		assert.Error(t, err, "%v", vars)
		if s := vars["JWT_SECRET"]; s != "" && err != nil {
			assert.NotContains(t, err.Error(), s)
		}
	}
}

// TestFromEnvPartnerAccount: the partner account has its public default
// password only in the pure demo (DEMO_PASSWORD and PARTNER_PASSWORD
// unset); with PARTNER_PASSWORD it has that one, and a server whose
// operator set DEMO_PASSWORD but not PARTNER_PASSWORD has no partner.
func TestFromEnvPartnerAccount(t *testing.T) {
	fromEnv := func(vars map[string]string) server.Config {
		t.Helper()
		cfg, err := server.FromEnv(func(k string) string { return vars[k] })
		require.NoError(t, err, "%v", vars)
		return cfg
	}
	usernames := func(cfg server.Config) []string {
		var out []string
		for _, a := range cfg.Accounts {
			out = append(out, a.Username)
		}
		return out
	}

	// The operator's own demo password: no account with a published one,
	// whatever else is set.
	cfg := fromEnv(map[string]string{
		"JWT_SECRET": strings.Repeat("k", 32), "DEMO_PASSWORD": "chosen", "DEMO_ALLOWED_IPS": "127.0.0.2",
		"DEMO_NEW_USERNAME": "new_api_username", "DEMO_NEW_PASSWORD": "rotated",
	})
	assert.Equal(t, []string{"demo", "new_api_username"}, usernames(cfg))
	for _, a := range cfg.Accounts {
		assert.NotEqual(t, server.DefaultPartnerPassword, a.Password)
		assert.NotEqual(t, server.DefaultDemoPassword, a.Password)
	}
	// Without a partner, its name and client id are free.
	cfg = fromEnv(map[string]string{"DEMO_PASSWORD": "chosen", "DEMO_USERNAME": "partner", "DEMO_CLIENT_ID": "654321"})
	assert.Equal(t, []string{"partner"}, usernames(cfg))

	// PARTNER_PASSWORD makes the partner account, with or without
	// DEMO_PASSWORD, with the operator's user name and whitelist.
	for _, demoPassword := range []string{"", "chosen"} {
		cfg = fromEnv(map[string]string{"DEMO_PASSWORD": demoPassword, "PARTNER_PASSWORD": "partner-chosen",
			"PARTNER_USERNAME": "acme", "PARTNER_ALLOWED_IPS": "127.0.0.3, 10.0.0.0/8"})
		require.Len(t, cfg.Accounts, 2)
		assert.Equal(t, server.Account{Username: "acme", Password: "partner-chosen", ClientID: server.PartnerClientID,
			AllowedIPs: []string{"127.0.0.3", "10.0.0.0/8"}}, cfg.Accounts[1])
	}

	// The pure demo, with a whitelist for the partner: its public password.
	cfg = fromEnv(map[string]string{"PARTNER_ALLOWED_IPS": "127.0.0.3"})
	require.Len(t, cfg.Accounts, 2)
	assert.Equal(t, server.Account{Username: "partner", Password: "partner-password", ClientID: "654321",
		AllowedIPs: []string{"127.0.0.3"}}, cfg.Accounts[1])
}

// TestSharedStoresAcrossInstances builds two servers on the same injected
// stores and secret, as two instances behind a load balancer would run on
// Redis: a session started on one continues, rotates and ends on the other.
func TestSharedStoresAcrossInstances(t *testing.T) {
	cfg, err := server.FromEnv(func(k string) string {
		return map[string]string{"JWT_SECRET": strings.Repeat("k", 32), "DEMO_ALLOWED_IPS": "127.0.0.2"}[k]
	})
	require.NoError(t, err)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	cfg.Now, cfg.BcryptCost = clk.Now, bcrypt.MinCost
	cfg.Refresh, err = issuer.NewMemoryRefresh(issuer.MemoryRefreshConfig{})
	require.NoError(t, err)
	cfg.Revocations = bearer.NewMemoryRevocations(clk.Now)
	cfg.Lists = ipallow.NewMemoryLists()
	cfg.Failures = ratelimit.NewMemoryFailureStore(ratelimit.MemoryConfig{})
	var envs [2]*env
	for k := range envs {
		s, err := server.New(cfg)
		require.NoError(t, err)
		ts := httptest.NewServer(s)
		t.Cleanup(ts.Close)
		envs[k] = &env{t: t, srv: ts, clock: clk}
	}
	a, b := envs[0], envs[1]
	p := a.login("127.0.0.2", "demo", "demo-password")
	assert.Equal(t, http.StatusOK, b.get("127.0.0.2", "/api/v1/products", p.AccessToken).status)
	assert.Equal(t, http.StatusForbidden, b.get("127.0.0.3", "/api/v1/products", p.AccessToken).status)
	r := b.refresh("127.0.0.2", p.RefreshToken)
	require.Equal(t, http.StatusOK, r.status)
	p2 := pairOf(t, r)
	assert.Equal(t, http.StatusUnauthorized, a.refresh("127.0.0.2", p.RefreshToken).status, "reuse seen across instances")
	assert.Equal(t, http.StatusUnauthorized, a.get("127.0.0.2", "/api/v1/products", p2.AccessToken).status)

	p3 := b.login("127.0.0.2", "demo", "demo-password")
	require.Equal(t, http.StatusOK, a.call("127.0.0.2", "POST", "/auth/logout", "", "Authorization", "Bearer "+p3.AccessToken).status)
	assert.Equal(t, http.StatusUnauthorized, b.get("127.0.0.2", "/api/v1/products", p3.AccessToken).status)

	// Failed logins count across instances too.
	for k := range 5 {
		envs[k%2].call("127.0.0.6", "POST", "/auth/login", `{"username":"partner","password":"guess"}`)
	}
	assert.Equal(t, http.StatusTooManyRequests, a.call("127.0.0.6", "POST", "/auth/login", `{"username":"partner","password":"partner-password"}`).status)
}
