package issuer_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/issuer"
)

// refusedAsRevoked reports whether the bearer middleware configured from
// the fixture's issuer and revocation store refuses tok as revoked: what an
// API call with the token would get.
func refusedAsRevoked(t testing.TB, f *fixture, tok string) bool {
	t.Helper()
	a, err := bearer.New(f.iss.BearerConfig(f.revoked))
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodGet, "/api", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	_, err = a.Check(r)
	if err != nil && !errors.Is(err, bearer.ErrTokenRevoked) {
		t.Fatalf("token refused for another reason: %v", err)
	}
	return err != nil
}

// TestReuseRevokesEveryAccessToken is the regression test for family
// revocation reaching only the newest access tokens: an attacker rotates a
// stolen refresh token 20 times; reuse detection must revoke all 20 access
// tokens, not the newest 16.
func TestReuseRevokesEveryAccessToken(t *testing.T) { eachFormat(t, testReuseRevokesEveryAccessToken) }

func testReuseRevokesEveryAccessToken(t *testing.T, format func(*issuer.Config)) {
	for _, end := range []string{"reuse", "logout", "RevokeSession"} {
		t.Run(end, func(t *testing.T) {
			f := newFixture(t, format)
			p := f.login(t, "127.0.0.2", "demo", demoPassword)
			rt := p.Data.RefreshToken
			access, refresh := []string{p.Data.AccessToken}, []string{rt}
			for range 20 {
				f.clock.Add(time.Second)
				w := f.refreshWith("127.0.0.2", rt)
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				np := decodePair(t, w)
				rt = np.Data.RefreshToken
				access, refresh = append(access, np.Data.AccessToken), append(refresh, rt)
			}
			other := f.login(t, "127.0.0.2", "demo", demoPassword)
			for _, tok := range access {
				require.False(t, refusedAsRevoked(t, f, tok))
			}

			switch end {
			case "reuse":
				// The oldest rotated token the store remembers (RefreshRing).
				oldest := refresh[len(refresh)-1-issuer.RefreshRing]
				require.Equal(t, http.StatusUnauthorized, f.refreshWith("127.0.0.2", oldest).Code)
				assert.Equal(t, "refresh_reused", string(f.audit.Last().Reason))
			case "logout":
				w := f.do("POST", "/auth/logout", "127.0.0.2", "", "Authorization", "Bearer "+access[3])
				require.Equal(t, http.StatusOK, w.Code)
			case "RevokeSession":
				require.NoError(t, f.iss.RevokeSession(context.Background(), "demo", p2SessionID(t, p)))
			}
			for k, tok := range access {
				assert.True(t, refusedAsRevoked(t, f, tok), "access token %d of 21", k)
			}
			assert.False(t, refusedAsRevoked(t, f, other.Data.AccessToken), "another session of the account lives on")

			// One session revocation, kept as long as the newest token
			// lives — and, written by logout, which leaves the family to
			// its next refresh, as long as its refresh token can live.
			f.revoked.mu.Lock()
			until, ok := f.revoked.until[sessionKey(p2SessionID(t, p))]
			f.revoked.mu.Unlock()
			require.True(t, ok)
			want := f.clock.Now().Add(time.Hour)
			if end == "logout" {
				want = f.clock.Now().Add(7 * 24 * time.Hour)
			}
			assert.Equal(t, want, until)
			assert.Equal(t, http.StatusUnauthorized, f.refreshWith("127.0.0.2", rt).Code, "the newest refresh token died with the session")
		})
	}
}

func TestLogoutSeveralAuthorizationLines(t *testing.T) {
	f := newFixture(t)
	p := f.login(t, "127.0.0.2", "demo", demoPassword)
	r := httptest.NewRequest(http.MethodPost, "/auth/logout", nil)
	r.RemoteAddr = "127.0.0.2:40000"
	r.Header["Authorization"] = []string{"Bearer " + p.Data.AccessToken, "Bearer not-a-token"}
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	require.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
	assert.Contains(t, w.Header().Get("WWW-Authenticate"), `error="invalid_request"`)
	assert.Equal(t, "bad_request", string(f.audit.Last().Reason))
	assert.False(t, refusedAsRevoked(t, f, p.Data.AccessToken), "nothing was revoked")
	assert.Equal(t, http.StatusOK, f.refreshWith("127.0.0.2", p.Data.RefreshToken).Code)
}

// forgetfulRefresh is a MemoryRefresh that has already dropped every family
// when asked to revoke one, as a Redis store does after its TTL or an
// eviction.
type forgetfulRefresh struct{ *issuer.MemoryRefresh }

func (forgetfulRefresh) RevokeFamily(context.Context, string) (issuer.Family, error) {
	return issuer.Family{}, issuer.ErrRefreshNotFound
}

// TestLogoutRevokesSessionOfForgottenFamily is the regression test for
// logout revoking only the presented token once the refresh store forgot
// the family: every access token of the session must still die.
func TestLogoutRevokesSessionOfForgottenFamily(t *testing.T) {
	t.Run("swept", func(t *testing.T) {
		// RefreshTTL 1m, AccessTTL 1h: the family expires long before its
		// access tokens, and the memory store's sweep drops it.
		f := newFixture(t, func(c *issuer.Config) { c.RefreshTTL = time.Minute; c.Throttle = nil })
		p1 := f.login(t, "127.0.0.9", "partner", partnerPassword)
		f.clock.Add(30 * time.Second)
		w := f.refreshWith("127.0.0.9", p1.Data.RefreshToken)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		p2 := decodePair(t, w)
		f.clock.Add(3 * time.Minute)
		for range 1100 { // other logins: the store's amortised sweep runs
			_, err := f.iss.IssuePair(context.Background(), issuer.Session{Subject: "x"})
			require.NoError(t, err)
		}
		_, err := f.refresh.RevokeFamily(context.Background(), p2SessionID(t, p2))
		require.ErrorIs(t, err, issuer.ErrRefreshNotFound, "the sweep dropped the family")

		w = f.do("POST", "/auth/logout", "127.0.0.9", "", "Authorization", "Bearer "+p2.Data.AccessToken)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.True(t, refusedAsRevoked(t, f, p1.Data.AccessToken), "the session's earlier access token")
		assert.True(t, refusedAsRevoked(t, f, p2.Data.AccessToken))
		f.revoked.mu.Lock()
		until := f.revoked.until[sessionKey(p2SessionID(t, p2))]
		f.revoked.mu.Unlock()
		assert.Equal(t, f.clock.Now().Add(time.Hour), until, "kept as long as a token of the session can live")
	})
	for _, via := range []string{"logout", "RevokeSession"} {
		t.Run("evicted/"+via, func(t *testing.T) {
			f := newFixture(t, func(c *issuer.Config) { c.Refresh = forgetfulRefresh{mustMemoryRefresh(issuer.MemoryRefreshConfig{})} })
			p := f.login(t, "127.0.0.2", "demo", demoPassword)
			other := f.login(t, "127.0.0.2", "demo", demoPassword)
			switch via {
			case "logout":
				w := f.do("POST", "/auth/logout", "127.0.0.2", "", "Authorization", "Bearer "+p.Data.AccessToken)
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			case "RevokeSession":
				require.NoError(t, f.iss.RevokeSession(context.Background(), "demo", p2SessionID(t, p)))
			}
			assert.False(t, refusedAsRevoked(t, f, other.Data.AccessToken), "another session lives on")
			f.revoked.mu.Lock()
			_, ok := f.revoked.until[sessionKey(p2SessionID(t, p))]
			f.revoked.mu.Unlock()
			assert.True(t, ok, "session revocation written though the family is gone")
		})
	}
}
