package issuer_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jti returns the jti of an access token without verifying it.
func jti(t testing.TB, token string) string {
	t.Helper()
	var c jwt.RegisteredClaims
	_, _, err := jwt.NewParser().ParseUnverified(token, &c)
	require.NoError(t, err)
	return c.ID
}

func TestRefreshRotates(t *testing.T) { eachFormat(t, testRefreshRotates) }

func testRefreshRotates(t *testing.T, format func(*issuer.Config)) {
	f := newFixture(t, format)
	p1 := f.login(t, "127.0.0.2", "demo", demoPassword)
	f.clock.Add(55 * time.Minute) // the PHP client refreshes 5 minutes before expiry

	w := f.refreshWith("127.0.0.2", p1.Data.RefreshToken)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	p2 := decodePair(t, w)
	assert.NotEqual(t, p1.Data.RefreshToken, p2.Data.RefreshToken)
	assert.NotEqual(t, p1.Data.AccessToken, p2.Data.AccessToken)
	assert.Equal(t, "123456", string(p2.Data.ClientID))
	now := f.clock.Now()
	assert.Equal(t, now.Add(time.Hour).Format(time.RFC3339), p2.Data.AccessExpiresAt)
	assert.Equal(t, now.Add(7*24*time.Hour).Format(time.RFC3339), p2.Data.RefreshExpiresAt, "each refresh token lives 7 days")

	// Same session, same claims, new jti.
	kid, alg, key := verificationKey(f.iss)
	assert.Empty(t, kid)
	claims := func(tok string) jwt.MapClaims {
		c := jwt.MapClaims{}
		_, err := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithTimeFunc(f.clock.Now)).ParseWithClaims(tok, c, func(*jwt.Token) (any, error) { return key, nil })
		require.NoError(t, err)
		return c
	}
	c1, c2 := claims(p1.Data.AccessToken), claims(p2.Data.AccessToken)
	assert.Equal(t, c1["sid"], c2["sid"])
	assert.Equal(t, c1["sub"], c2["sub"])
	assert.Equal(t, c1["scope"], c2["scope"])
	assert.NotEqual(t, c1["jti"], c2["jti"])

	// The new refresh token works in turn.
	w = f.refreshWith("127.0.0.2", p2.Data.RefreshToken)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "refresh", f.audit.Last().Action)
}

func TestRefreshReuseRevokesFamily(t *testing.T) { eachFormat(t, testRefreshReuseRevokesFamily) }

func testRefreshReuseRevokesFamily(t *testing.T, format func(*issuer.Config)) {
	f := newFixture(t, format)
	p1 := f.login(t, "127.0.0.2", "demo", demoPassword)
	w := f.refreshWith("127.0.0.2", p1.Data.RefreshToken)
	require.Equal(t, http.StatusOK, w.Code)
	p2 := decodePair(t, w)

	// The rotated token comes back: reuse.
	w = f.refreshWith("127.0.0.2", p1.Data.RefreshToken)
	require.Equal(t, http.StatusUnauthorized, w.Code)
	name, code, _ := errorBody(t, w)
	assert.Equal(t, "UnauthorizedError", name)
	assert.Equal(t, "UNAUTHORIZED", code)
	ev := f.audit.Last()
	assert.Equal(t, "refresh_reused", string(ev.Reason))
	assert.Equal(t, "demo", ev.Subject)
	assert.Equal(t, p2SessionID(t, p2), ev.CredID, "the event names the family, never a token")

	// The whole family is dead, including the newest refresh token …
	w = f.refreshWith("127.0.0.2", p2.Data.RefreshToken)
	require.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Equal(t, "session_revoked", string(f.audit.Last().Reason))
	// … and every access token it issued is revoked until its expiry.
	for _, tok := range []string{p1.Data.AccessToken, p2.Data.AccessToken} {
		assert.True(t, refusedAsRevoked(t, f, tok))
	}
	// Other sessions of the same account are untouched.
	p3 := f.login(t, "127.0.0.2", "demo", demoPassword)
	require.Equal(t, http.StatusOK, f.refreshWith("127.0.0.2", p3.Data.RefreshToken).Code)
}

func p2SessionID(t testing.TB, p pairBody) string {
	t.Helper()
	c := jwt.MapClaims{}
	_, _, err := jwt.NewParser().ParseUnverified(p.Data.AccessToken, c)
	require.NoError(t, err)
	return c["sid"].(string)
}

func TestRefreshRefusals(t *testing.T) { eachFormat(t, testRefreshRefusals) }

func testRefreshRefusals(t *testing.T, format func(*issuer.Config)) {
	f := newFixture(t, format)
	p := f.login(t, "127.0.0.2", "demo", demoPassword)
	tests := []struct {
		name, token string
	}{
		{"access token as refresh token", p.Data.AccessToken},
		{"unknown token", "rt_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"wrong prefix", "xx_" + p.Data.RefreshToken[3:]},
		{"truncated", p.Data.RefreshToken[:len(p.Data.RefreshToken)-1]},
		{"bad alphabet", p.Data.RefreshToken[:len(p.Data.RefreshToken)-1] + "+"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := f.refreshWith("127.0.0.2", tc.token)
			require.Equal(t, http.StatusUnauthorized, w.Code)
			assert.Equal(t, `{"error":{"name":"UnauthorizedError","code":"UNAUTHORIZED","message":"Invalid or expired refresh token"}}`, w.Body.String())
		})
	}
	t.Run("malformed bodies", func(t *testing.T) {
		w := f.do("POST", "/auth/refresh", "127.0.0.2", `{}`)
		assert.Equal(t, http.StatusBadRequest, w.Code)
		name, _, _ := errorBody(t, w)
		assert.Equal(t, "ValidationException", name)
		w = f.do("POST", "/auth/refresh", "127.0.0.2", `{"refresh_token":`)
		name, _, _ = errorBody(t, w)
		assert.Equal(t, "SyntaxError", name)
	})
	// None of that harmed the real token.
	require.Equal(t, http.StatusOK, f.refreshWith("127.0.0.2", p.Data.RefreshToken).Code)
}

func TestRefreshExpiry(t *testing.T) { eachFormat(t, testRefreshExpiry) }

func testRefreshExpiry(t *testing.T, format func(*issuer.Config)) {
	f := newFixture(t, format, func(c *issuer.Config) { c.AccessTTL, c.RefreshTTL = time.Minute, time.Hour })
	p := f.login(t, "127.0.0.2", "demo", demoPassword)
	f.clock.Add(time.Hour - time.Second)
	w := f.refreshWith("127.0.0.2", p.Data.RefreshToken)
	require.Equal(t, http.StatusOK, w.Code)
	p2 := decodePair(t, w)
	f.clock.Add(time.Hour)
	w = f.refreshWith("127.0.0.2", p2.Data.RefreshToken)
	require.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Equal(t, "refresh_invalid", string(f.audit.Last().Reason), "expiry is not reuse")
}

func TestRefreshAllowlist(t *testing.T) { eachFormat(t, testRefreshAllowlist) }

func testRefreshAllowlist(t *testing.T, format func(*issuer.Config)) {
	f := newFixture(t, format)
	p := f.login(t, "127.0.0.2", "demo", demoPassword)
	w := f.refreshWith("127.0.0.3", p.Data.RefreshToken)
	require.Equal(t, http.StatusForbidden, w.Code)
	name, code, _ := errorBody(t, w)
	assert.Equal(t, "ForbiddenError", name)
	assert.Equal(t, "FORBIDDEN", code)
	assert.Equal(t, "ip_denied", string(f.audit.Last().Reason))
	// The refusal did not consume the token.
	require.Equal(t, http.StatusOK, f.refreshWith("127.0.0.2", p.Data.RefreshToken).Code)
}

func TestRefreshConcurrentExactlyOneWins(t *testing.T) {
	eachFormat(t, testRefreshConcurrentExactlyOneWins)
}

func testRefreshConcurrentExactlyOneWins(t *testing.T, format func(*issuer.Config)) {
	f := newFixture(t, format)
	p := f.login(t, "127.0.0.2", "demo", demoPassword)
	const n = 16
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		codes = map[int]int{}
		start = make(chan struct{})
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			w := f.refreshWith("127.0.0.2", p.Data.RefreshToken)
			mu.Lock()
			codes[w.Code]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusUnauthorized: n - 1}, codes)
}

// failingRefresh is a RefreshStore that is down.
type failingRefresh struct{ issuer.RefreshStore }

var errStoreDown = errors.New("redis: i/o timeout talking to 10.1.2.3:6379")

func (failingRefresh) Create(context.Context, issuer.Family, issuer.RefreshRecord) error {
	return errStoreDown
}
func (failingRefresh) Lookup(context.Context, string, [32]byte, time.Time) (issuer.Family, error) {
	return issuer.Family{}, errStoreDown
}
func (failingRefresh) Rotate(context.Context, [32]byte, issuer.RefreshRecord) (issuer.Family, error) {
	return issuer.Family{}, errStoreDown
}
func (failingRefresh) RevokeFamily(context.Context, string) (issuer.Family, error) {
	return issuer.Family{}, errStoreDown
}

func TestRefreshStoreDownFailsClosed(t *testing.T) {
	f := newFixture(t, func(c *issuer.Config) { c.Refresh = failingRefresh{} })
	w := f.do("POST", "/auth/login", "127.0.0.2", `{"username":"demo","password":"demo-password"}`)
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	w = f.refreshWith("127.0.0.2", "rt_"+strings.Repeat("A", 65))
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.NotContains(t, w.Body.String(), "10.1.2.3")
	ev := f.audit.Last()
	assert.Equal(t, gatehouse.ReasonStoreUnavailable, ev.Reason)
}
