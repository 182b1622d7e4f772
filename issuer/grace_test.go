package issuer_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/issuer"
)

// TestRefreshReuseGrace is the regression test for a lost refresh answer
// turning the client's retry into reuse: within RefreshReuseGrace the same
// old token gets a fresh pair once; the family goes on from that pair
// only, and a second retry revokes it.
func TestRefreshReuseGrace(t *testing.T) { eachFormat(t, testRefreshReuseGrace) }

func testRefreshReuseGrace(t *testing.T, format func(*issuer.Config)) {
	grace := func(c *issuer.Config) { format(c); c.RefreshReuseGrace = 5 * time.Second }

	t.Run("retry within the grace", func(t *testing.T) {
		f := newFixture(t, grace)
		p1 := f.login(t, "127.0.0.2", "demo", demoPassword)
		f.clock.Add(time.Minute)
		w := f.refreshWith("127.0.0.2", p1.Data.RefreshToken)
		require.Equal(t, http.StatusOK, w.Code)
		lost := decodePair(t, w) // the answer the client never received
		f.clock.Add(2 * time.Second)
		w = f.refreshWith("127.0.0.2", p1.Data.RefreshToken)
		require.Equal(t, http.StatusOK, w.Code, "the retry: %s", w.Body.String())
		retry := decodePair(t, w)
		assert.Equal(t, p2SessionID(t, lost), p2SessionID(t, retry), "the same session")
		assert.False(t, refusedAsRevoked(t, f, retry.Data.AccessToken))

		f.clock.Add(time.Minute)
		w = f.refreshWith("127.0.0.2", retry.Data.RefreshToken)
		require.Equal(t, http.StatusOK, w.Code, "the family goes on from the retry's pair")
		newest := decodePair(t, w)

		w = f.refreshWith("127.0.0.2", lost.Data.RefreshToken)
		require.Equal(t, http.StatusUnauthorized, w.Code, "the lost pair is dead: reuse")
		assert.Equal(t, "refresh_reused", string(f.audit.Last().Reason))
		assert.True(t, refusedAsRevoked(t, f, newest.Data.AccessToken), "reuse revoked the family")
	})

	t.Run("measured exactly, not in whole seconds", func(t *testing.T) {
		// A grace of 1.5 s: a retry 1.02 s after a rotation made late in
		// a second is within it, though it falls two seconds on; one
		// 1.9 s after a rotation made on the second is not, though it
		// falls one second on.
		exact := func(c *issuer.Config) { format(c); c.RefreshReuseGrace = 1500 * time.Millisecond }
		for _, tc := range []struct {
			rotateAt, retryAfter time.Duration
			want                 int
		}{
			{990 * time.Millisecond, 1020 * time.Millisecond, http.StatusOK},
			{time.Second, 1900 * time.Millisecond, http.StatusUnauthorized},
		} {
			f := newFixture(t, exact)
			p1 := f.login(t, "127.0.0.2", "demo", demoPassword)
			f.clock.Add(tc.rotateAt)
			require.Equal(t, http.StatusOK, f.refreshWith("127.0.0.2", p1.Data.RefreshToken).Code)
			f.clock.Add(tc.retryAfter)
			w := f.refreshWith("127.0.0.2", p1.Data.RefreshToken)
			assert.Equal(t, tc.want, w.Code, "a retry %v after the rotation: %s", tc.retryAfter, w.Body.String())
		}
	})

	t.Run("second retry", func(t *testing.T) {
		f := newFixture(t, grace)
		p1 := f.login(t, "127.0.0.2", "demo", demoPassword)
		require.Equal(t, http.StatusOK, f.refreshWith("127.0.0.2", p1.Data.RefreshToken).Code)
		w := f.refreshWith("127.0.0.2", p1.Data.RefreshToken)
		require.Equal(t, http.StatusOK, w.Code)
		retry := decodePair(t, w)
		w = f.refreshWith("127.0.0.2", p1.Data.RefreshToken)
		require.Equal(t, http.StatusUnauthorized, w.Code)
		assert.Equal(t, "refresh_reused", string(f.audit.Last().Reason))
		assert.True(t, refusedAsRevoked(t, f, retry.Data.AccessToken))
	})

	t.Run("after the grace", func(t *testing.T) {
		f := newFixture(t, grace)
		p1 := f.login(t, "127.0.0.2", "demo", demoPassword)
		require.Equal(t, http.StatusOK, f.refreshWith("127.0.0.2", p1.Data.RefreshToken).Code)
		f.clock.Add(5 * time.Second)
		w := f.refreshWith("127.0.0.2", p1.Data.RefreshToken)
		require.Equal(t, http.StatusUnauthorized, w.Code)
		assert.Equal(t, "refresh_reused", string(f.audit.Last().Reason))
	})

	t.Run("no grace by default", func(t *testing.T) {
		f := newFixture(t, format)
		p1 := f.login(t, "127.0.0.2", "demo", demoPassword)
		require.Equal(t, http.StatusOK, f.refreshWith("127.0.0.2", p1.Data.RefreshToken).Code)
		w := f.refreshWith("127.0.0.2", p1.Data.RefreshToken)
		require.Equal(t, http.StatusUnauthorized, w.Code)
		assert.Equal(t, "refresh_reused", string(f.audit.Last().Reason))
	})
}

func TestRefreshReuseGraceConfig(t *testing.T) {
	for _, g := range []time.Duration{-time.Second, time.Minute + time.Nanosecond} {
		_, err := issuer.New(issuer.Config{
			Issuer: "https://rewards.example", Key: issuer.SigningKey{Key: testSecret},
			Credentials: mustCreds(t), Revocations: newRevocations(), RefreshReuseGrace: g,
		})
		assert.Error(t, err, "%v", g)
	}
}
