package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/examples/internal/cmdtest"
	"github.com/gatehouse-go/gatehouse/examples/rewardstore/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// The black-box probes of issue 14 against the rewardstore command as it
// runs: over loopback, with nothing but HTTP and the JWT_SECRET an operator
// configured (to forge the tokens an attacker holding a leaked or crafted
// claim set would present).

const bbSecret = "blackbox-secret-blackbox-secret-0123"

func bbBearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

func bbData(t *testing.T, body, name string) string {
	t.Helper()
	var v struct {
		Data map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &v), body)
	s, _ := v.Data[name].(string)
	require.NotEmpty(t, s, body)
	return s
}

func bbPayload(t *testing.T, jws string) map[string]any {
	t.Helper()
	parts := strings.Split(jws, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

// bbSign signs header and payload as given with bbSecret (HS256).
func bbSign(header, payload string) string {
	enc := base64.RawURLEncoding
	in := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, []byte(bbSecret))
	m.Write([]byte(in))
	return in + "." + enc.EncodeToString(m.Sum(nil))
}

// bbResign appends extra members to tok's payload and signs it again.
func bbResign(t *testing.T, tok, extra string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(t, err)
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	return bbSign(string(h), strings.TrimSuffix(string(p), "}")+","+extra+"}")
}

// bbStart runs the command on a loopback port with a known JWT_SECRET.
func bbStart(t *testing.T, vars map[string]string) *cmdtest.Command {
	t.Helper()
	bcryptCost = bcrypt.MinCost
	env := map[string]string{"JWT_SECRET": bbSecret}
	for k, v := range vars {
		env[k] = v
	}
	return cmdtest.Start(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		return run(ctx, []string{"-addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, stdout, stderr)
	})
}

func bbLogin(t *testing.T, base, user, pw string) (access, refresh string) {
	t.Helper()
	res := cmdtest.Do(t, nil, "POST", base+"/auth/login", nil, fmt.Sprintf(`{"username":%q,"password":%q}`, user, pw))
	require.Equal(t, 200, res.Status, res.Body)
	return bbData(t, res.Body, "access_token"), bbData(t, res.Body, "refresh_token")
}

// Items 2 and 8: every 401 of every route carries a challenge, and a
// Bearer scheme without a token gets one without an error code.
func TestBlackboxEvery401HasAChallenge(t *testing.T) {
	cmd := bbStart(t, nil)
	now := time.Now().Unix()
	expired := bbSign(`{"alg":"HS256","typ":"JWT"}`, fmt.Sprintf(`{"iss":"rewardstore","aud":"rewardstore-api","sub":"demo","jti":"x","scope":"products:read categories:read","iat":%d,"exp":%d}`, now-7200, now-3600))
	_, refresh := bbLogin(t, cmd.Base, "demo", "demo-password")
	creds := map[string]http.Header{
		"none":          nil,
		"garbage":       bbBearer("garbage"),
		"jws garbage":   bbBearer("eyJhbGciOiJIUzI1NiJ9.e30.AAAA"),
		"expired":       bbBearer(expired),
		"refresh token": bbBearer(refresh),
		"basic":         {"Authorization": {"Basic ZGVtbzpkZW1vLXBhc3N3b3Jk"}},
		"empty bearer":  {"Authorization": {"Bearer"}},
		"bearer spaces": {"Authorization": {"Bearer    "}},
		"lower bearer":  {"Authorization": {"bearer"}},
	}
	n := 0
	for _, path := range []string{"/api/v1/products", "/api/v1/categories", "/auth/logout"} {
		method := "GET"
		if path == "/auth/logout" {
			method = "POST"
		}
		for name, h := range creds {
			if path == "/auth/logout" && name == "expired" {
				continue // logout is idempotent: an expired token logs out (200)
			}
			res := cmdtest.Do(t, nil, method, cmd.Base+path, h, "")
			if !assert.Equal(t, 401, res.Status, "%s %s with %s: %s", method, path, name, res.Body) {
				continue
			}
			n++
			c := res.Header.Get("WWW-Authenticate")
			assert.True(t, strings.HasPrefix(c, "Bearer"), "%s %s with %s: challenge %q", method, path, name, c)
			if strings.Contains(name, "bearer") || name == "none" {
				assert.NotContains(t, c, "error=", "%s %s with %s", method, path, name)
			}
		}
	}
	for _, b := range []struct{ path, body string }{
		{"/auth/login", `{"username":"demo","password":"wrong"}`},
		{"/auth/login", `{"username":"nobody","password":"wrong"}`},
		{"/auth/refresh", `{"refresh_token":"garbage"}`},
		{"/auth/refresh", `{"refresh_token":"` + expired + `"}`},
	} {
		res := cmdtest.Do(t, nil, "POST", cmd.Base+b.path, nil, b.body)
		if assert.Equal(t, 401, res.Status, "%s %s: %s", b.path, b.body, res.Body) {
			n++
			assert.NotEmpty(t, res.Header.Get("WWW-Authenticate"), "%s %s", b.path, b.body)
		}
	}
	assert.GreaterOrEqual(t, n, 30)
}

// Item 3: no issuance path of the reward store puts scp or scopes in a
// token; login and refresh tokens carry one "scope".
func TestBlackboxTokensCarryOneScopeClaim(t *testing.T) {
	cmd := bbStart(t, nil)
	access, refresh := bbLogin(t, cmd.Base, "demo", "demo-password")
	res := cmdtest.Do(t, nil, "POST", cmd.Base+"/auth/refresh", nil, `{"refresh_token":"`+refresh+`"}`)
	require.Equal(t, 200, res.Status, res.Body)
	for _, tok := range []string{access, refresh, bbData(t, res.Body, "access_token"), bbData(t, res.Body, "refresh_token")} {
		for k := range bbPayload(t, tok) {
			assert.NotContains(t, []string{"scp", "scopes"}, strings.ToLower(k), "claim %q", k)
		}
	}
	assert.Equal(t, "products:read categories:read", bbPayload(t, access)["scope"])
}

// Item 4: logout reads "sid" and "sub" by their exact names: a demo token
// whose "SID" names the partner's session logs the partner out of nothing.
func TestBlackboxLogoutCaseVariants(t *testing.T) {
	cmd := bbStart(t, nil)
	demo, _ := bbLogin(t, cmd.Base, "demo", "demo-password")
	partner, partnerRT := bbLogin(t, cmd.Base, "partner", "partner-password")
	sid := bbPayload(t, partner)["sid"].(string)
	for _, extra := range []string{`"SID":"` + sid + `"`, `"Sid":"` + sid + `"`, `"SUB":"partner","SID":"` + sid + `"`, `"sid":"` + sid + `"`, `"sub":"partner"`} {
		res := cmdtest.Do(t, nil, "POST", cmd.Base+"/auth/logout", bbBearer(bbResign(t, demo, extra)), "")
		assert.NotEqual(t, 500, res.Status, extra)
		assert.Equal(t, 200, cmdtest.Do(t, nil, "GET", cmd.Base+"/api/v1/products", bbBearer(partner), "").Status, "after a logout with %s", extra)
	}
	res := cmdtest.Do(t, nil, "POST", cmd.Base+"/auth/refresh", nil, `{"refresh_token":"`+partnerRT+`"}`)
	assert.Equal(t, 200, res.Status, "the partner's family is intact: %s", res.Body)
	// A refresh JWT with a case variant of sid or token_use.
	_, demoRT := bbLogin(t, cmd.Base, "demo", "demo-password")
	for _, extra := range []string{`"SID":"` + sid + `"`, `"Token_Use":"access"`, `"sid":"` + sid + `"`} {
		res := cmdtest.Do(t, nil, "POST", cmd.Base+"/auth/refresh", nil, `{"refresh_token":"`+bbResign(t, demoRT, extra)+`"}`)
		assert.Equal(t, 401, res.Status, "refresh with %s: %s", extra, res.Body)
	}
}

// Item 7: the header and an access_token parameter together are 400.
func TestBlackboxTwoTokenMethods(t *testing.T) {
	cmd := bbStart(t, nil)
	access, _ := bbLogin(t, cmd.Base, "demo", "demo-password")
	for _, q := range []string{"access_token=" + url.QueryEscape(access), "access_token=x", "x=1&access_token="} {
		res := cmdtest.Do(t, nil, "GET", cmd.Base+"/api/v1/products?"+q, bbBearer(access), "")
		assert.Equal(t, 400, res.Status, "?%s: %s", q, res.Body)
		assert.NotContains(t, res.Body, access)
	}
	assert.Equal(t, 200, cmdtest.Do(t, nil, "GET", cmd.Base+"/api/v1/products", bbBearer(access), "").Status, "the token still works")
}

// Item 9 (the login throttle): with no trusted proxy, X-Forwarded-For and
// friends do not spread failed logins over several addresses.
func TestBlackboxLoginThrottleIgnoresForwardedFor(t *testing.T) {
	cmd := bbStart(t, nil)
	got429 := false
	for i := range 8 {
		h := http.Header{
			"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i)}, "X-Real-Ip": {fmt.Sprintf("203.0.113.%d", i)},
			"Forwarded": {fmt.Sprintf("for=192.0.2.%d", i)}, "True-Client-Ip": {fmt.Sprintf("192.0.2.%d", i)},
		}
		res := cmdtest.Do(t, nil, "POST", cmd.Base+"/auth/login", h, fmt.Sprintf(`{"username":"user%d","password":"wrong"}`, i))
		if res.Status == 429 {
			got429 = true
			assert.NotEmpty(t, res.Header.Get("Retry-After"))
			break
		}
		assert.Equal(t, 401, res.Status, res.Body)
	}
	assert.True(t, got429, "eight failures from one address with eight forwarded addresses reach the throttle")
}

// Item 1: RevokeCredentials (RevokeSubject) ends the account's sessions,
// a token of the same second included, and a login a second later works;
// the JWT refresh format of the reward store is refused at once.
func TestBlackboxRevokeCredentials(t *testing.T) {
	cfg, err := server.FromEnv(func(k string) string { return map[string]string{"JWT_SECRET": bbSecret}[k] })
	require.NoError(t, err)
	var mu sync.Mutex
	// The servers' clock runs two seconds ahead, so that their tokens are
	// issued after the Redis epoch that useRedis's store begins (at most a
	// second from now, see redisstore.Store.Establish).
	now := time.Now().UTC().Truncate(time.Second).Add(2*time.Second + 300*time.Millisecond)
	cfg.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	cfg.BcryptCost = bcrypt.MinCost
	s, err := server.New(cfg)
	require.NoError(t, err)
	ts := httptest.NewServer(s)
	defer ts.Close()
	access, refresh := bbLogin(t, ts.URL, "demo", "demo-password")
	pAccess, _ := bbLogin(t, ts.URL, "partner", "partner-password")
	require.NoError(t, s.RevokeCredentials(context.Background(), "demo"))
	assert.Equal(t, 401, cmdtest.Do(t, nil, "GET", ts.URL+"/api/v1/products", bbBearer(access), "").Status)
	res := cmdtest.Do(t, nil, "POST", ts.URL+"/auth/refresh", nil, `{"refresh_token":"`+refresh+`"}`)
	assert.Equal(t, 401, res.Status, res.Body)
	assert.NotEmpty(t, res.Header.Get("WWW-Authenticate"))
	assert.Equal(t, 200, cmdtest.Do(t, nil, "GET", ts.URL+"/api/v1/products", bbBearer(pAccess), "").Status, "the partner is not touched")
	advance(200 * time.Millisecond)
	same, _ := bbLogin(t, ts.URL, "demo", "demo-password")
	assert.Equal(t, 401, cmdtest.Do(t, nil, "GET", ts.URL+"/api/v1/products", bbBearer(same), "").Status, "same second")
	advance(time.Second)
	next, nextRT := bbLogin(t, ts.URL, "demo", "demo-password")
	assert.Equal(t, 200, cmdtest.Do(t, nil, "GET", ts.URL+"/api/v1/products", bbBearer(next), "").Status, "next second")
	assert.Equal(t, 200, cmdtest.Do(t, nil, "POST", ts.URL+"/auth/refresh", nil, `{"refresh_token":"`+nextRT+`"}`).Status)
	assert.Error(t, s.RevokeCredentials(context.Background(), "nobody"))
}

// Item 14: the body cap holds for a chunked body too (no Content-Length),
// and a client that sends its headers slowly is cut off.
func TestBlackboxBodyCapAndSlowHeaders(t *testing.T) {
	cmd := bbStart(t, nil)
	big := `{"username":"demo","password":"` + strings.Repeat("x", 5000) + `"}`
	req, err := http.NewRequest("POST", cmd.Base+"/auth/login", io.MultiReader(strings.NewReader(big)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = -1 // chunked
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, 413, res.StatusCode)

	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(cmd.Base, "http://"), 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET /api/v1/products HTTP/1.1\r\nHost: x\r\n")
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(20*time.Second)))
	_, err = bufio.NewReader(conn).ReadString('\n')
	elapsed := time.Since(start)
	assert.Less(t, elapsed, 15*time.Second, "the server closes a connection whose headers never end (%v, %v)", elapsed, err)
}

// Item 1 on Redis: RevokeCredentials called on one instance of a fleet
// ends the account's sessions on every instance, a refresh family started
// on another instance included, and a login a second later works there.
func TestBlackboxRevokeCredentialsAcrossAFleet(t *testing.T) {
	r := singleNode(t)
	vars := map[string]string{"JWT_SECRET": bbSecret, "REDIS_PREFIX": r.prefix}
	getenv := func(k string) string { return vars[k] }
	target, err := parseRedisAddr("-redis-addr", r.addr)
	require.NoError(t, err)
	rs, err := redisSettingsFromEnv(getenv)
	require.NoError(t, err)
	var mu sync.Mutex
	// The servers' clock runs two seconds ahead, so that their tokens are
	// issued after the Redis epoch that useRedis's store begins (at most a
	// second from now, see redisstore.Store.Establish).
	now := time.Now().UTC().Truncate(time.Second).Add(2*time.Second + 300*time.Millisecond)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	fleet := make([]*server.Server, 2)
	urls := make([]string, 2)
	for i := range fleet {
		cfg, err := server.FromEnv(getenv)
		require.NoError(t, err)
		store, closeRedis, err := useRedis(&cfg, target, rs)
		require.NoError(t, err)
		t.Cleanup(func() { _ = closeRedis() })
		require.NoError(t, store.Establish(context.Background()))
		cfg.Now, cfg.BcryptCost = clock, bcrypt.MinCost
		fleet[i], err = server.New(cfg)
		require.NoError(t, err)
		ts := httptest.NewServer(fleet[i])
		t.Cleanup(ts.Close)
		urls[i] = ts.URL
	}
	access, refresh := bbLogin(t, urls[0], "demo", "demo-password")
	require.Equal(t, 200, cmdtest.Do(t, nil, "GET", urls[1]+"/api/v1/products", bbBearer(access), "").Status)
	require.NoError(t, fleet[1].RevokeCredentials(context.Background(), "demo"))
	for _, u := range urls {
		assert.Equal(t, 401, cmdtest.Do(t, nil, "GET", u+"/api/v1/products", bbBearer(access), "").Status, u)
	}
	res := cmdtest.Do(t, nil, "POST", urls[0]+"/auth/refresh", nil, `{"refresh_token":"`+refresh+`"}`)
	assert.Equal(t, 401, res.Status, res.Body)
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	next, _ := bbLogin(t, urls[0], "demo", "demo-password")
	assert.Equal(t, 200, cmdtest.Do(t, nil, "GET", urls[1]+"/api/v1/products", bbBearer(next), "").Status)
}
