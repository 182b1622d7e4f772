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
	assert.Zero(t, f.throttle.Count("client:shop"))

	w := f.postJSON(map[string]string{"grant_type": "client_credentials", "client_id": "shop", "client_secret": shopSecret, "scope": "admin"})
	require.Equal(t, http.StatusBadRequest, w.Code)
	assert.Zero(t, f.throttle.Count("ip:127.0.0.1"), "invalid_scope after a good secret counts nothing")
	assert.Zero(t, f.throttle.Count("client:shop"))

	a := jws(t, jwtHeader, claimsAt(f.clock.Now().Add(-time.Hour), "old"), shopKey)
	require.Equal(t, http.StatusBadRequest, f.assertionGrant("shop", a).Code)
	assert.Zero(t, f.throttle.Count("ip:127.0.0.1"), "a stale but well-signed assertion counts nothing")

	require.Equal(t, http.StatusUnauthorized, f.tokenFrom("[2001:db8::2]", "shop", "wrong"))
	assert.Equal(t, 1, f.throttle.Count("ip:2001:db8::/64"))
	assert.Equal(t, 1, f.throttle.Count("client:shop"))
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
