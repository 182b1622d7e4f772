package redisstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// TestLostRotationReplyRetry is the fault test for a refresh whose answer
// is lost: the rotation runs in Redis but its reply stalls past the
// store's timeout (503), then the client retries with the same token.
// With RefreshReuseGrace the retry gets a pair and the session lives on;
// without it, the retry is reuse and kills the session.
func TestLostRotationReplyRetry(t *testing.T) {
	for _, c := range []struct {
		name  string
		grace time.Duration
		want  int
	}{{"grace", 5 * time.Second, http.StatusOK}, {"no grace", 0, http.StatusUnauthorized}} {
		t.Run(c.name, func(t *testing.T) {
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
			hash, err := issuer.HashPassword("alice-password", 4)
			require.NoError(t, err)
			creds, err := issuer.NewMemoryCredentials(issuer.Account{Username: "alice", PasswordHash: hash})
			require.NoError(t, err)
			iss, err := issuer.New(issuer.Config{
				Issuer:            "https://rewards.example",
				Key:               issuer.SigningKey{Key: []byte("0123456789abcdef0123456789abcdef")},
				Credentials:       creds,
				Refresh:           rotateViaProxy{viaProxy.Refresh(), store.Refresh()},
				Revocations:       store.Revocations(),
				RefreshReuseGrace: c.grace,
				BcryptCost:        4,
			})
			require.NoError(t, err)
			auth, err := bearer.New(iss.BearerConfig(store.Revocations()))
			require.NoError(t, err)
			refresh := func(rt string) (issuer.Pair, int) {
				r := httptest.NewRequest(http.MethodPost, "/auth/refresh", strings.NewReader(`{"refresh_token":"`+rt+`"}`))
				r.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				iss.Refresh(w, r)
				var body struct {
					Data struct {
						AccessToken  string `json:"access_token"`
						RefreshToken string `json:"refresh_token"`
					} `json:"data"`
				}
				_ = json.Unmarshal(w.Body.Bytes(), &body)
				return issuer.Pair{AccessToken: body.Data.AccessToken, RefreshToken: body.Data.RefreshToken}, w.Code
			}

			p, err := iss.IssuePair(context.Background(), issuer.Session{Subject: "alice"})
			require.NoError(t, err)

			proxy.Stall()
			_, code := refresh(p.RefreshToken)
			require.Equal(t, http.StatusServiceUnavailable, code, "the reply was lost")
			proxy.Resume()

			// The rotation ran: the presented token is no longer current.
			fam, err := store.Refresh().Lookup(context.Background(), p.SessionID, sha256.Sum256([]byte(p.RefreshToken)), time.Now())
			require.NoError(t, err)
			require.False(t, fam.Revoked)

			var retry issuer.Pair
			require.Eventually(t, func() bool {
				retry, code = refresh(p.RefreshToken)
				return code != http.StatusServiceUnavailable // the pool redials
			}, 5*time.Second, 50*time.Millisecond)
			require.Equal(t, c.want, code, "the client's retry")

			fam, err = store.Refresh().Lookup(context.Background(), p.SessionID, sha256.Sum256([]byte(p.RefreshToken)), time.Now())
			require.NoError(t, err)
			if c.want != http.StatusOK {
				assert.True(t, fam.Revoked, "without a grace the retry is reuse")
				return
			}
			assert.False(t, fam.Revoked, "the session lives on")
			r := httptest.NewRequest(http.MethodGet, "/api", nil)
			r.Header.Set("Authorization", "Bearer "+retry.AccessToken)
			_, err = auth.Check(r)
			require.NoError(t, err, "the retry's access token works")
			next, code := refresh(retry.RefreshToken)
			require.Equal(t, http.StatusOK, code, "and its refresh token rotates")
			assert.NotEmpty(t, next.RefreshToken)
		})
	}
}

// rotateViaProxy is the Redis refresh store with its writes sent through
// the stalling proxy and its reads straight to Redis: the fault under test
// is a lost reply to the rotation itself, after the issuer's pre-checks
// have read the family.
type rotateViaProxy struct {
	issuer.RefreshStore // through the proxy
	direct              issuer.RefreshStore
}

func (s rotateViaProxy) Lookup(ctx context.Context, familyID string, hash [32]byte, now time.Time) (issuer.Family, error) {
	return s.direct.Lookup(ctx, familyID, hash, now)
}
