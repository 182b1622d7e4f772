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
	"github.com/gatehouse-go/gatehouse/bearer/issuer"
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
func TestReuseRevokesEveryAccessToken(t *testing.T) {
	for _, end := range []string{"reuse", "logout", "RevokeSession"} {
		t.Run(end, func(t *testing.T) {
			f := newFixture(t)
			p := f.login(t, "127.0.0.2", "demo", demoPassword)
			first, rt := p.Data.RefreshToken, p.Data.RefreshToken
			access := []string{p.Data.AccessToken}
			for range 20 {
				f.clock.Add(time.Second)
				w := f.refreshWith("127.0.0.2", rt)
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				np := decodePair(t, w)
				rt = np.Data.RefreshToken
				access = append(access, np.Data.AccessToken)
			}
			other := f.login(t, "127.0.0.2", "demo", demoPassword)
			for _, tok := range access {
				require.False(t, refusedAsRevoked(t, f, tok))
			}

			switch end {
			case "reuse":
				require.Equal(t, http.StatusUnauthorized, f.refreshWith("127.0.0.2", first).Code)
			case "logout":
				w := f.do("POST", "/auth/logout", "127.0.0.2", "", "Authorization", "Bearer "+access[3])
				require.Equal(t, http.StatusOK, w.Code)
			case "RevokeSession":
				require.NoError(t, f.iss.RevokeSession(context.Background(), p2SessionID(t, p)))
			}
			for k, tok := range access {
				assert.True(t, refusedAsRevoked(t, f, tok), "access token %d of 21", k)
			}
			assert.False(t, refusedAsRevoked(t, f, other.Data.AccessToken), "another session of the account lives on")

			// One session revocation, kept as long as the newest token lives.
			f.revoked.mu.Lock()
			until, ok := f.revoked.until[bearer.SessionRevocationID(p2SessionID(t, p))]
			f.revoked.mu.Unlock()
			require.True(t, ok)
			assert.Equal(t, f.clock.Now().Add(issuer.DefaultAccessTTL), until)
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
	assert.Equal(t, "bad_request", f.audit.last().Reason)
	assert.False(t, refusedAsRevoked(t, f, p.Data.AccessToken), "nothing was revoked")
	assert.Equal(t, http.StatusOK, f.refreshWith("127.0.0.2", p.Data.RefreshToken).Code)
}
