package issuer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWithRealSiblings runs the issuer against the real bearer middleware,
// revocation store, ipallow allowlist and ratelimit failure throttle.
func TestWithRealSiblings(t *testing.T) { eachFormat(t, testWithRealSiblings) }

func testWithRealSiblings(t *testing.T, format func(*issuer.Config)) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	for _, key := range []issuer.SigningKey{{Key: testSecret}, {Key: ec}} {
		t.Run(key.Algorithm+defaultName(key), func(t *testing.T) {
			clk := newClock()
			revs := bearer.NewMemoryRevocations(clk.Now)
			thr, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 3, Window: time.Minute, Now: clk.Now})
			require.NoError(t, err)
			lists := ipallow.NewMemoryLists()
			require.NoError(t, lists.Set(context.Background(), "123456", []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}))
			pp, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: lists})
			require.NoError(t, err)
			f := newFixture(t, format, func(c *issuer.Config) {
				c.Key, c.Revocations, c.Throttle, c.Accounts, c.Now = key, revs, thr, pp, clk.Now
			})
			auth, err := bearer.New(f.iss.BearerConfig(revs))
			require.NoError(t, err)
			var seen gatehouse.Principal
			api := auth.Middleware(pp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen, _ = gatehouse.PrincipalFrom(r.Context())
				w.WriteHeader(http.StatusNoContent)
			})))
			call := func(remote, token string) int {
				r := httptest.NewRequest("GET", "/api/v1/products", nil)
				r.RemoteAddr = remote + ":50000"
				r.Header.Set("Authorization", "Bearer "+token)
				w := httptest.NewRecorder()
				api.ServeHTTP(w, r)
				return w.Code
			}

			p := f.login(t, "127.0.0.2", "demo", demoPassword)
			require.Equal(t, http.StatusNoContent, call("127.0.0.2", p.Data.AccessToken))
			assert.Equal(t, "demo", seen.Subject)
			assert.Equal(t, "123456", seen.Tenant)
			assert.Equal(t, "123456", seen.ClientID)
			assert.Equal(t, []string{"products:read", "categories:read"}, seen.Scopes)
			assert.Equal(t, p2SessionID(t, p), seen.SessionID, "sid maps to SessionID")
			assert.Equal(t, jti(t, p.Data.AccessToken), seen.TokenID, "jti maps to TokenID")
			assert.Equal(t, http.StatusForbidden, call("127.0.0.3", p.Data.AccessToken), "account allowlist on API calls")
			assert.Equal(t, http.StatusUnauthorized, call("127.0.0.2", p.Data.RefreshToken), "a refresh token is not an access token")

			w := f.refreshWith("127.0.0.2", p.Data.RefreshToken)
			require.Equal(t, http.StatusOK, w.Code)
			p2 := decodePair(t, w)
			require.Equal(t, http.StatusNoContent, call("127.0.0.2", p2.Data.AccessToken))

			// Logout kills both access tokens of the session and the refresh token.
			w = f.do("POST", "/auth/logout", "127.0.0.2", "", "Authorization", "Bearer "+p2.Data.AccessToken)
			require.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, http.StatusUnauthorized, call("127.0.0.2", p2.Data.AccessToken))
			assert.Equal(t, http.StatusUnauthorized, call("127.0.0.2", p.Data.AccessToken))
			assert.Equal(t, http.StatusUnauthorized, f.refreshWith("127.0.0.2", p2.Data.RefreshToken).Code)

			// Expiry: a fresh token stops working an hour later.
			p3 := f.login(t, "127.0.0.2", "demo", demoPassword)
			clk.Add(time.Hour)
			assert.Equal(t, http.StatusUnauthorized, call("127.0.0.2", p3.Data.AccessToken))

			// The real throttle: three failures, then 429 with Retry-After.
			for range 3 {
				require.Equal(t, http.StatusUnauthorized, f.do("POST", "/auth/login", "127.0.0.9", `{"username":"partner","password":"x"}`).Code)
			}
			w = f.do("POST", "/auth/login", "127.0.0.9", `{"username":"partner","password":"partner-password"}`)
			require.Equal(t, http.StatusTooManyRequests, w.Code)
			assert.NotEmpty(t, w.Header().Get("Retry-After"))
		})
	}
}

func defaultName(k issuer.SigningKey) string {
	if _, ok := k.Key.([]byte); ok {
		return "HS256"
	}
	return "ES256"
}
