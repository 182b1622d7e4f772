package issuer_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/ratelimit"
)

// countingCredentials counts account lookups — each one is followed by
// exactly one bcrypt comparison for an account without an allowlist — and
// holds each open a little, as a database would, so that parallel logins
// overlap.
type countingCredentials struct {
	issuer.CredentialStore
	lookups atomic.Int64
}

func (c *countingCredentials) LookupAccount(ctx context.Context, name string) (issuer.Account, error) {
	c.lookups.Add(1)
	time.Sleep(5 * time.Millisecond)
	return c.CredentialStore.LookupAccount(ctx, name)
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

// TestLoginParallelGuessesAreThrottled is the regression test for the
// check-then-record race: 60 wrong passwords sent at once, with Max 5, get
// at most 5 password checks — per address and per user name.
func TestLoginParallelGuessesAreThrottled(t *testing.T) {
	const n = 60
	tests := []struct {
		name   string
		remote func(i int) string
		user   func(i int) string
	}{
		{"one user, one address", func(int) string { return "127.0.0.9" }, func(int) string { return "partner" }},
		{"many users, one address", func(int) string { return "127.0.0.9" }, func(i int) string { return "user" + strconv.Itoa(i) }},
		{"one user, many addresses", func(i int) string { return "127.0.1." + strconv.Itoa(i) }, func(int) string { return "partner" }},
		{"many users, one IPv6 /64", func(i int) string { return "[2001:db8:1:2::" + strconv.FormatInt(int64(i+1), 16) + "]" }, func(i int) string { return "user" + strconv.Itoa(i) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var creds *countingCredentials
			thr, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 5, Window: time.Minute})
			require.NoError(t, err)
			f := newFixture(t, func(c *issuer.Config) {
				creds = &countingCredentials{CredentialStore: c.Credentials}
				c.Credentials, c.Throttle = creds, thr
			})
			codes := parallel(n, func(i int) int {
				return f.do("POST", "/auth/login", tt.remote(i), `{"username":"`+tt.user(i)+`","password":"guess"}`).Code
			})
			assert.Equal(t, int64(5), creds.lookups.Load(), "passwords checked")
			assert.Equal(t, map[int]int{http.StatusUnauthorized: 5, http.StatusTooManyRequests: n - 5}, codes)
		})
	}
}

// TestLoginSuccessesDoNotAccumulate checks that successful logins take
// back their attempt against the address: many successes from one
// address leave its earlier failures where they were.
func TestLoginSuccessesDoNotAccumulate(t *testing.T) {
	thr, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 5, Window: time.Minute})
	require.NoError(t, err)
	f := newFixture(t, func(c *issuer.Config) { c.Throttle = thr })
	for range 2 {
		require.Equal(t, http.StatusUnauthorized, f.do("POST", "/auth/login", "127.0.0.9", `{"username":"partner","password":"x"}`).Code)
	}
	for range 20 {
		f.login(t, "127.0.0.9", "partner", partnerPassword)
	}
	for range 3 {
		require.Equal(t, http.StatusUnauthorized, f.do("POST", "/auth/login", "127.0.0.9", `{"username":"nobody","password":"x"}`).Code)
	}
	w := f.do("POST", "/auth/login", "127.0.0.9", `{"username":"partner","password":"`+partnerPassword+`"}`)
	assert.Equal(t, http.StatusTooManyRequests, w.Code, "2 + 3 failures: the address is locked")
}

// TestLoginThrottlesIPv6ByPrefix checks that the address key is the
// client's /64, as ratelimit keys it: an IPv6 client cannot rotate through
// its prefix to escape the count.
func TestLoginThrottlesIPv6ByPrefix(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		remote := "[2001:db8:1:2::" + strconv.Itoa(i+1) + "]"
		require.Equal(t, http.StatusUnauthorized, f.do("POST", "/auth/login", remote, `{"username":"user`+strconv.Itoa(i)+`","password":"x"}`).Code)
	}
	assert.Equal(t, 5, f.throttle.Count("ip:2001:db8:1:2::/64"))
	w := f.do("POST", "/auth/login", "[2001:db8:1:2:ffff::9]", `{"username":"partner","password":"`+partnerPassword+`"}`)
	assert.Equal(t, http.StatusTooManyRequests, w.Code, "another address of the same /64")
	f.login(t, "[2001:db8:1:3::1]", "partner", partnerPassword)
	f.login(t, "127.0.0.9", "partner", partnerPassword)
	assert.Zero(t, f.throttle.Count("ip:127.0.0.9"), "IPv4 keys are the address")
}

// TestLoginAttemptTakenBackWithoutPasswordCheck: answers that come before
// the password is checked leave no count behind.
func TestLoginAttemptTakenBackWithoutPasswordCheck(t *testing.T) {
	t.Run("credentials store down", func(t *testing.T) {
		f := newFixture(t, func(c *issuer.Config) { c.Credentials = failingCredentials{} })
		w := f.do("POST", "/auth/login", "127.0.0.2", `{"username":"demo","password":"x"}`)
		require.Equal(t, http.StatusServiceUnavailable, w.Code)
		assert.Zero(t, f.throttle.Count("ip:127.0.0.2"))
		assert.Zero(t, f.throttle.Count("user:demo"))
	})
	t.Run("user name throttled", func(t *testing.T) {
		f := newFixture(t)
		for range 5 {
			f.do("POST", "/auth/login", "127.0.0.9", `{"username":"partner","password":"x"}`)
		}
		w := f.do("POST", "/auth/login", "127.0.0.10", `{"username":"partner","password":"x"}`)
		require.Equal(t, http.StatusTooManyRequests, w.Code)
		assert.Zero(t, f.throttle.Count("ip:127.0.0.10"), "the address's attempt is taken back when the user name refuses")
		assert.Equal(t, "throttled", string(f.audit.Last().Reason))
	})
}

// resetFails is the tests' Throttle whose Reset fails: its store went down
// between Begin and the settlement.
type resetFails struct{ *throttle }

func (resetFails) Reset(context.Context, string) error {
	return errors.New("throttle store: i/o timeout")
}

// A good login whose settlement fails answers 503, and takes the
// address's attempt back all the same: the failure is the store's, not
// the client's.
func TestLoginSettlementFailureTakesTheAddressBack(t *testing.T) {
	th := resetFails{newThrottle(5)}
	f := newFixture(t, func(c *issuer.Config) { c.Throttle = th })
	w := f.do("POST", "/auth/login", "127.0.0.2", `{"username":"demo","password":"`+demoPassword+`"}`)
	require.Equal(t, http.StatusServiceUnavailable, w.Code, w.Body.String())
	assert.Zero(t, th.Count("ip:127.0.0.2"))
}
