package tokenendpoint_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingClients counts client lookups, each followed by one secret or
// signature check.
type countingClients struct {
	tokenendpoint.ClientStore
	lookups atomic.Int64
}

func (c *countingClients) LookupClient(ctx context.Context, id string) (tokenendpoint.Client, error) {
	c.lookups.Add(1)
	time.Sleep(5 * time.Millisecond)
	return c.ClientStore.LookupClient(ctx, id)
}

// tokenFrom posts a client_credentials grant from remote.
func (f *tokenFixture) tokenFrom(remote, client, secret string) int {
	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {client}, "client_secret": {secret}}
	r := httptest.NewRequest("POST", "/token", strings.NewReader(body.Encode()))
	r.RemoteAddr = remote + ":40000"
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	return w.Code
}

// TestTokenParallelGuessesAreThrottled is the token endpoint's regression
// test for the race: 60 wrong client secrets at once, Max 5, get at most 5
// secret checks.
func TestTokenParallelGuessesAreThrottled(t *testing.T) {
	const n = 60
	for name, remote := range map[string]func(int) string{
		"one address":    func(int) string { return "127.0.0.1" },
		"one IPv6 /64":   func(i int) string { return "[2001:db8::" + strconv.Itoa(i+1) + "]" },
		"many addresses": func(i int) string { return "127.0.1." + strconv.Itoa(i) },
	} {
		t.Run(name, func(t *testing.T) {
			var clients *countingClients
			thr, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 5, Window: time.Minute})
			require.NoError(t, err)
			f := newTokenFixture(t, func(c *tokenendpoint.Config) {
				clients = &countingClients{ClientStore: c.Clients}
				c.Clients, c.Throttle = clients, thr
			})
			codes := parallel(n, func(i int) int { return f.tokenFrom(remote(i), "shop", "wrong") })
			assert.Equal(t, int64(5), clients.lookups.Load(), "secrets checked")
			assert.Equal(t, map[int]int{http.StatusUnauthorized: 5, http.StatusTooManyRequests: n - 5}, codes)
		})
	}
}

// TestTokenAttemptSettlement checks the counts a token request leaves: a
// grant none, a refusal after a good credential none, a bad credential one
// against the /64 and the client.
func TestTokenAttemptSettlement(t *testing.T) {
	f := newTokenFixture(t)
	require.Equal(t, http.StatusOK, f.tokenFrom("[2001:db8::1]", "shop", shopSecret))
	assert.Zero(t, f.throttle.Count("ip:2001:db8::/64"))
	assert.Zero(t, f.throttle.Count(clientKey("shop")))

	w := f.postJSON(map[string]string{"grant_type": "client_credentials", "client_id": "shop", "client_secret": shopSecret, "scope": "admin"})
	require.Equal(t, http.StatusBadRequest, w.Code)
	assert.Zero(t, f.throttle.Count("ip:127.0.0.1"), "invalid_scope after a good secret counts nothing")
	assert.Zero(t, f.throttle.Count(clientKey("shop")))

	a := jws(t, jwtHeader, claimsAt(f.clock.Now().Add(-time.Hour), "old"), shopKey)
	require.Equal(t, http.StatusBadRequest, f.assertionGrant("shop", a).Code)
	assert.Zero(t, f.throttle.Count("ip:127.0.0.1"), "a stale but well-signed assertion counts nothing")

	require.Equal(t, http.StatusUnauthorized, f.tokenFrom("[2001:db8::2]", "shop", "wrong"))
	assert.Equal(t, 1, f.throttle.Count("ip:2001:db8::/64"))
	assert.Equal(t, 1, f.throttle.Count(clientKey("shop")))
}

// parallel runs n requests at once and returns how many got each status.
func parallel(n int, do func(i int) int) map[int]int {
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			code := do(i)
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

// secretIDClients is a ClientStore whose client_id is a secret, an API
// key, mapped to the client's internal id ("shop"), as the ClientStore
// documentation allows.
type secretIDClients struct {
	apiKey  string
	clients *tokenendpoint.MemoryClients
}

func (s secretIDClients) LookupClient(ctx context.Context, id string) (tokenendpoint.Client, error) {
	if id != s.apiKey {
		return tokenendpoint.Client{}, tokenendpoint.ErrClientNotFound
	}
	return s.clients.LookupClient(ctx, "shop")
}

// keysOf records every key a Throttle is asked to count.
type keysOf struct {
	*throttle
	mu   sync.Mutex
	keys []string
}

func (k *keysOf) Begin(ctx context.Context, key string) (string, error) {
	k.mu.Lock()
	k.keys = append(k.keys, key)
	k.mu.Unlock()
	return k.throttle.Begin(ctx, key)
}

// TestThrottleKeyNeverNamesTheClientID: over loopback, a client_id that
// is a secret (an API key) never becomes a key of the throttle's store,
// which may be a shared Redis: the client's key is "client:" and the
// SHA-256 of the id. It was "client:<id>", the API key in clear.
func TestThrottleKeyNeverNamesTheClientID(t *testing.T) {
	const apiKey = "ak_live_5f2a9c0e7b1d4e8f9a3c6b2d1e0f7a8b"
	clients, err := tokenendpoint.NewMemoryClients(tokenClients[0])
	require.NoError(t, err)
	keys := &keysOf{throttle: newThrottle(5)}
	f := newTokenFixture(t, func(c *tokenendpoint.Config) {
		c.Clients = secretIDClients{apiKey: apiKey, clients: clients}
		c.Throttle = keys
	})
	srv := httptest.NewServer(f.mux)
	defer srv.Close()
	for _, secret := range []string{"wrong", "wrong", shopSecret} {
		res, err := http.PostForm(srv.URL+"/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {apiKey}, "client_secret": {secret}})
		require.NoError(t, err)
		require.NoError(t, res.Body.Close())
	}
	a := jws(t, jwtHeader, claimsAt(f.clock.Now(), "k-1"), otherKey)
	res, err := http.PostForm(srv.URL+"/token", url.Values{"grant_type": {tokenendpoint.GrantJWTBearer}, "client_id": {apiKey}, "assertion": {a}})
	require.NoError(t, err)
	require.NoError(t, res.Body.Close())
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)

	require.Len(t, keys.keys, 8, "two keys per request")
	for _, k := range keys.keys {
		assert.NotContains(t, k, apiKey)
		assert.NotContains(t, k, apiKey[3:20])
	}
	assert.Contains(t, keys.keys, clientKey(apiKey))
	assert.Equal(t, 1, keys.Count(clientKey(apiKey)), "the grant cleared the client's failures; the bad assertion counts")
}
