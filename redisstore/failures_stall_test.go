package redisstore_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/ratelimit/ratelimittest"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// The failure kit on the single Redis and on the cluster.
func TestFailuresKitOnEachRedis(t *testing.T) {
	eachRedis(t, func(t *testing.T, _ redis.UniversalClient, newStore func(t *testing.T) *redisstore.Store) {
		ratelimittest.TestFailureStore(t, func(t *testing.T) ratelimit.FailureStore { return newStore(t).Failures() })
	})
}

// TestLoginsDuringStallLockNobodyOut is the fault test for failure counts
// whose outcome is unknown: Redis stalls while a user logs in correctly six
// times with Max 5, and each login answers 503. Either the proxy holds the
// replies (each count runs in Redis at once) or it holds the commands
// (each count runs when Redis answers again — before or after the
// throttle's take-backs, which were held too). Once Redis answers, the
// throttle has taken every attempt back by its id, so the next login
// succeeds (without the take-backs the six counts locked the address out
// for the window) — and five wrong passwords still lock it out.
func TestLoginsDuringStallLockNobodyOut(t *testing.T) {
	for _, mode := range []string{"replies stalled", "commands held"} {
		t.Run(mode, func(t *testing.T) {
			direct := redistest.Client(t)
			prefix := redistest.Prefix(t, direct)
			proxy := redistest.NewProxy(t, redistest.Addr())
			proxied := redis.NewClient(redistest.Options(proxy.Addr()))
			t.Cleanup(func() { _ = proxied.Close() })
			viaProxy, err := redisstore.New(redisstore.Config{Client: proxied, Prefix: prefix, Timeout: 300 * time.Millisecond})
			require.NoError(t, err)
			established(t, viaProxy)
			store, err := redisstore.New(redisstore.Config{Client: direct, Prefix: prefix})
			require.NoError(t, err)
			established(t, store)
			th, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 5, Window: 15 * time.Minute, Store: viaProxy.Failures()})
			require.NoError(t, err)
			hash, err := bcrypt.GenerateFromPassword([]byte("demo-password"), bcrypt.MinCost)
			require.NoError(t, err)
			creds, err := issuer.NewMemoryCredentials(issuer.Account{Username: "demo", PasswordHash: string(hash)})
			require.NoError(t, err)
			iss, err := issuer.New(issuer.Config{
				Issuer:      "https://rewards.example",
				Key:         issuer.SigningKey{Key: []byte("0123456789abcdef0123456789abcdef")},
				Credentials: creds,
				Revocations: store.Revocations(),
				Throttle:    th,
				BcryptCost:  bcrypt.MinCost,
			})
			require.NoError(t, err)
			login := func(pw string) int {
				r := httptest.NewRequest(http.MethodPost, "/auth/login", strings.NewReader(`{"username":"demo","password":"`+pw+`"}`))
				r.Header.Set("Content-Type", "application/json")
				r.RemoteAddr = "192.0.2.7:40000"
				w := httptest.NewRecorder()
				iss.Login(w, r)
				return w.Code
			}
			ipCount := func() int {
				n, _, err := store.Failures().Failures(context.Background(), "ip:192.0.2.7", time.Now())
				require.NoError(t, err)
				return n
			}

			require.Equal(t, http.StatusOK, login("demo-password"))
			if mode == "replies stalled" {
				proxy.Stall()
			} else {
				proxy.Hold()
			}
			for k := range 6 {
				assert.Equal(t, http.StatusServiceUnavailable, login("demo-password"), "login %d during the stall", k+1)
			}
			time.Sleep(time.Second) // take-backs retry meanwhile, in vain
			proxy.Resume()
			time.Sleep(500 * time.Millisecond) // the held commands have landed

			require.Eventually(t, func() bool { return ipCount() == 0 }, 10*time.Second, 50*time.Millisecond,
				"the throttle takes its attempts back once Redis answers")
			require.Zero(t, ipCount())
			assert.Equal(t, http.StatusOK, login("demo-password"), "no lockout after the stall")

			for k := range 5 {
				require.Equal(t, http.StatusUnauthorized, login("wrong"), "failure %d", k+1)
			}
			assert.Equal(t, http.StatusTooManyRequests, login("demo-password"), "five real failures lock the address out")
		})
	}
}

// The throttle's brute-force guarantee on the cluster: 60 parallel failing
// attempts at one key through three instances — at most Max reach the
// credential check.
func TestFailureThrottleConcurrentOnCluster(t *testing.T) {
	c := clusterClient(t)
	prefix := clusterPrefix(t, c)
	var throttles []*ratelimit.FailureThrottle
	for range 3 {
		s, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix})
		require.NoError(t, err)
		established(t, s)
		th, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 5, Store: s.Failures()})
		require.NoError(t, err)
		throttles = append(throttles, th)
	}
	ctx := context.Background()
	const n = 60
	var checked, refused atomic.Int64
	var begun, wg sync.WaitGroup
	begun.Add(n)
	release := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := throttles[i%3].Begin(ctx, "user:alice")
			begun.Done()
			if err != nil {
				if errors.Is(err, ratelimit.ErrThrottled) {
					refused.Add(1)
				}
				return
			}
			checked.Add(1)
			<-release
		}()
	}
	begun.Wait()
	close(release)
	wg.Wait()
	assert.Equal(t, int64(5), checked.Load())
	assert.Equal(t, int64(n-5), refused.Load())
}
