package issuer_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRefreshMaxAge logs in, then refreshes every step with the newest
// token: each refresh succeeds, with refresh_expires_at = min(now +
// RefreshTTL, login + RefreshMaxAge), until the absolute limit, where it is
// refused like an expired token. With RefreshMaxAge 0 the window slides
// forever (seed 000). Every case runs with and without the account
// allowlist, since only the allowlist path looks the family up before the
// rotation.
func TestRefreshMaxAge(t *testing.T) { eachFormat(t, testRefreshMaxAge) }

func testRefreshMaxAge(t *testing.T, format func(*issuer.Config)) {
	const day = 24 * time.Hour
	tests := []struct {
		name     string
		ttl      time.Duration // RefreshTTL (0: the default, 7 days)
		maxAge   time.Duration
		step     time.Duration
		steps    int // refreshes to attempt
		refusals int // how many of the last ones are refused
	}{
		{name: "default slides forever (seed 000)", step: 6 * day, steps: 60},
		{name: "30 days refreshed every 6 days", maxAge: 30 * day, step: 6 * day, steps: 5, refusals: 1},
		{name: "refused at the limit to the second", ttl: 2 * time.Hour, maxAge: 3 * time.Hour, step: time.Hour, steps: 3, refusals: 1},
		{name: "a second before the limit succeeds", ttl: 2 * time.Hour, maxAge: 3*time.Hour + time.Second, step: time.Hour, steps: 4, refusals: 1},
		{name: "max age below TTL caps the first token", maxAge: time.Hour, step: 20 * time.Minute, steps: 3, refusals: 1},
		{name: "limit far beyond the refreshes", ttl: time.Hour, maxAge: 365 * day, step: 50 * time.Minute, steps: 100},
	}
	for _, tc := range tests {
		for _, allowlist := range []bool{true, false} {
			name := tc.name + "/without allowlist"
			if allowlist {
				name = tc.name + "/with allowlist"
			}
			t.Run(name, func(t *testing.T) {
				f := newFixture(t, format, func(c *issuer.Config) {
					c.RefreshTTL, c.RefreshMaxAge = tc.ttl, tc.maxAge
					if !allowlist {
						c.Accounts = nil
					}
				})
				ttl := tc.ttl
				if ttl == 0 {
					ttl = 7 * 24 * time.Hour
				}
				login := f.clock.Now()
				expiry := func(now, login time.Time) string {
					exp := now.Add(ttl)
					if end := login.Add(tc.maxAge); tc.maxAge > 0 && end.Before(exp) {
						exp = end
					}
					return exp.Format(time.RFC3339)
				}
				p := f.login(t, "127.0.0.2", "demo", demoPassword)
				assert.Equal(t, expiry(login, login), p.Data.RefreshExpiresAt, "login")
				sid := p2SessionID(t, p)
				for k := 1; k <= tc.steps; k++ {
					f.clock.Add(tc.step)
					now := f.clock.Now()
					w := f.refreshWith("127.0.0.2", p.Data.RefreshToken)
					if k <= tc.steps-tc.refusals {
						require.Equal(t, http.StatusOK, w.Code, "refresh %d at login+%v: %s", k, now.Sub(login), w.Body.String())
						p = decodePair(t, w)
						assert.Equal(t, expiry(now, login), p.Data.RefreshExpiresAt, "refresh %d at login+%v", k, now.Sub(login))
						continue
					}
					require.Equal(t, http.StatusUnauthorized, w.Code, "refresh %d at login+%v: %s", k, now.Sub(login), w.Body.String())
					name, code, _ := errorBody(t, w)
					assert.Equal(t, "UnauthorizedError", name)
					assert.Equal(t, "UNAUTHORIZED", code)
					assert.Equal(t, "refresh_invalid", string(f.audit.Last().Reason), "refused like an expired token, not as reuse")
					_, revoked := f.revoked.until[sessionKey(sid)]
					assert.False(t, revoked, "an ended session is not revoked")
				}
				if tc.refusals > 0 {
					// A new login starts a new full window.
					p2 := f.login(t, "127.0.0.2", "demo", demoPassword)
					now := f.clock.Now()
					assert.Equal(t, expiry(now, now), p2.Data.RefreshExpiresAt)
					assert.NotEqual(t, sid, p2SessionID(t, p2))
				}
			})
		}
	}
}

// TestRefreshMaxAgeAppliesToEarlierSessions checks that the limit is the
// configured one at each refresh, applied to the family's login time: a
// session started while RefreshMaxAge was 0 (its token valid 7 days) ends
// once an issuer with a limit serves it, and the refused refresh leaves its
// record as it was.
func TestRefreshMaxAgeAppliesToEarlierSessions(t *testing.T) {
	eachFormat(t, testRefreshMaxAgeAppliesToEarlierSessions)
}

func testRefreshMaxAgeAppliesToEarlierSessions(t *testing.T, format func(*issuer.Config)) {
	before := newFixture(t, format, func(c *issuer.Config) { c.Accounts = nil })
	login := before.clock.Now()
	p := before.login(t, "127.0.0.2", "demo", demoPassword)
	require.Equal(t, login.Add(7*24*time.Hour).Format(time.RFC3339), p.Data.RefreshExpiresAt)

	after := newFixture(t, format, func(c *issuer.Config) {
		c.Accounts = nil
		c.Refresh = before.refresh
		c.Now = before.clock.Now
		c.RefreshMaxAge = 2 * time.Hour
	})
	before.clock.Add(time.Hour)
	w := after.refreshWith("127.0.0.2", p.Data.RefreshToken)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	p = decodePair(t, w)
	assert.Equal(t, login.Add(2*time.Hour).Format(time.RFC3339), p.Data.RefreshExpiresAt, "capped at login + RefreshMaxAge")

	// Through the issuer without a limit the capped token still ends there:
	// the store keeps the capped expiry.
	before.clock.Add(time.Hour)
	w = before.refreshWith("127.0.0.2", p.Data.RefreshToken)
	require.Equal(t, http.StatusUnauthorized, w.Code, w.Body.String())

	// An uncapped session (from the issuer without a limit) is refused by
	// the issuer with one, without being extended.
	p2 := before.login(t, "127.0.0.2", "demo", demoPassword)
	created := before.clock.Now()
	before.clock.Add(2 * time.Hour)
	w = after.refreshWith("127.0.0.2", p2.Data.RefreshToken)
	require.Equal(t, http.StatusUnauthorized, w.Code, w.Body.String())
	assert.Equal(t, "refresh_invalid", string(after.audit.Last().Reason))
	fam, err := before.refresh.Lookup(context.Background(), p2SessionID(t, p2), hashToken(p2.Data.RefreshToken), before.clock.Now())
	require.NoError(t, err)
	assert.False(t, fam.Revoked)
	assert.True(t, fam.ExpiresAt.Equal(created.Add(7*24*time.Hour)), "not extended: %v", fam.ExpiresAt)
}
