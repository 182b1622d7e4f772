package issuer_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/issuer"
)

// accountFixture is a fixture whose credential store the test holds.
func accountFixture(t *testing.T, format func(*issuer.Config), mod ...func(*issuer.Config)) (*fixture, *issuer.MemoryCredentials) {
	t.Helper()
	creds, err := issuer.NewMemoryCredentials(
		issuer.Account{Username: "demo", PasswordHash: demoHash, Tenant: "123456", ClientID: "123456"},
		issuer.Account{Username: "partner", PasswordHash: partnerHash, Subject: "partner-sub", ClientID: "654321"},
	)
	require.NoError(t, err)
	all := append([]func(*issuer.Config){format, func(c *issuer.Config) { c.Credentials, c.Accounts, c.Throttle = creds, nil, nil }}, mod...)
	return newFixture(t, all...), creds
}

// TestRefreshDeletedOrDisabledAccount is the regression test for a deleted
// or disabled account that kept refreshing: refresh answered 200 and the
// new access token worked, for both refresh-token formats. Refresh now
// re-checks the account: 401, the family revoked with every access token
// it issued, and the account's other sessions end at their next refresh.
func TestRefreshDeletedOrDisabledAccount(t *testing.T) {
	eachFormat(t, func(t *testing.T, format func(*issuer.Config)) {
		for _, end := range []string{"deleted", "disabled"} {
			t.Run(end, func(t *testing.T) {
				f, creds := accountFixture(t, format)
				ctx := context.Background()
				p := f.login(t, "127.0.0.2", "partner", partnerPassword)
				other := f.login(t, "127.0.0.2", "partner", partnerPassword)
				demo := f.login(t, "127.0.0.2", "demo", demoPassword)
				switch end {
				case "deleted":
					require.NoError(t, creds.Delete(ctx, "partner"))
				case "disabled":
					require.NoError(t, creds.Put(ctx, issuer.Account{Username: "partner", PasswordHash: partnerHash, Subject: "partner-sub", Disabled: true}))
				}
				w := f.refreshWith("127.0.0.2", p.Data.RefreshToken)
				assert.Equal(t, http.StatusUnauthorized, w.Code, w.Body.String())
				name, _, msg := errorBody(t, w)
				assert.Equal(t, "UnauthorizedError", name)
				assert.Equal(t, "Invalid or expired refresh token", msg)
				assert.Equal(t, "account_disabled", string(f.audit.Last().Reason))
				assert.True(t, refusedAsRevoked(t, f, p.Data.AccessToken), "the family's access token is revoked")
				assert.Equal(t, http.StatusUnauthorized, f.refreshWith("127.0.0.2", other.Data.RefreshToken).Code, "another session of the account")

				// Restoring the account does not bring the families back.
				require.NoError(t, creds.Put(ctx, issuer.Account{Username: "partner", PasswordHash: partnerHash, Subject: "partner-sub"}))
				assert.Equal(t, http.StatusUnauthorized, f.refreshWith("127.0.0.2", p.Data.RefreshToken).Code)
				assert.Equal(t, http.StatusOK, f.refreshWith("127.0.0.2", demo.Data.RefreshToken).Code, "another account is untouched")
			})
		}
	})
}

// TestLoginDisabledAccount: a disabled account is refused exactly as a
// wrong password is — same status and body — so login tells no one that
// the account exists.
func TestLoginDisabledAccount(t *testing.T) {
	f, creds := accountFixture(t, func(*issuer.Config) {})
	require.NoError(t, creds.Put(context.Background(), issuer.Account{Username: "partner", PasswordHash: partnerHash, Subject: "partner-sub", Disabled: true}))
	body := func(user, pw string) (int, string) {
		w := f.do("POST", "/auth/login", "127.0.0.2", `{"username":"`+user+`","password":"`+pw+`"}`)
		return w.Code, w.Body.String()
	}
	code, disabled := body("partner", partnerPassword)
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Equal(t, "invalid_credentials", string(f.audit.Last().Reason))
	_, wrong := body("demo", "wrong-password")
	_, unknown := body("nobody", "whatever")
	assert.Equal(t, wrong, disabled)
	assert.Equal(t, unknown, disabled)
}

// TestRevokeSubject: one call ends every session and token of a subject,
// on both refresh-token formats: its access tokens are refused by the
// bearer middleware, its refresh tokens answer 401 and their families are
// revoked; another subject is untouched; a login from the next second on
// works, while a token issued in the revocation's own second is refused
// (whole seconds, the safe side).
func TestRevokeSubject(t *testing.T) {
	eachFormat(t, func(t *testing.T, format func(*issuer.Config)) {
		f, _ := accountFixture(t, format)
		ctx := context.Background()
		a := f.login(t, "127.0.0.2", "partner", partnerPassword)
		f.clock.Add(time.Minute)
		b := f.login(t, "127.0.0.2", "partner", partnerPassword)
		w := f.refreshWith("127.0.0.2", b.Data.RefreshToken)
		require.Equal(t, http.StatusOK, w.Code)
		b = decodePair(t, w)
		demo := f.login(t, "127.0.0.2", "demo", demoPassword)

		f.clock.Add(500 * time.Millisecond)
		require.NoError(t, f.iss.RevokeSubject(ctx, "partner-sub"))
		f.revoked.mu.Lock()
		until := f.revoked.until["sub:partner-sub"]
		f.revoked.mu.Unlock()
		assert.Equal(t, f.clock.Now().Add(7*24*time.Hour), until, "kept as long as a family started before can rotate")

		for _, tok := range []string{a.Data.AccessToken, b.Data.AccessToken} {
			assert.True(t, refusedAsRevoked(t, f, tok))
		}
		assert.False(t, refusedAsRevoked(t, f, demo.Data.AccessToken), "another subject")
		for _, rt := range []string{a.Data.RefreshToken, b.Data.RefreshToken} {
			w := f.refreshWith("127.0.0.2", rt)
			assert.Equal(t, http.StatusUnauthorized, w.Code, w.Body.String())
			assert.Equal(t, "subject_revoked", string(f.audit.Last().Reason))
		}
		assert.Equal(t, http.StatusOK, f.refreshWith("127.0.0.2", demo.Data.RefreshToken).Code, "another subject")

		// A login in the revocation's second gets tokens that are refused.
		same := f.login(t, "127.0.0.2", "partner", partnerPassword)
		assert.True(t, refusedAsRevoked(t, f, same.Data.AccessToken), "issued in the revocation's second")
		assert.Equal(t, http.StatusUnauthorized, f.refreshWith("127.0.0.2", same.Data.RefreshToken).Code)

		// From the next second on, a new login works, and so does its refresh.
		f.clock.Add(time.Second)
		fresh := f.login(t, "127.0.0.2", "partner", partnerPassword)
		assert.False(t, refusedAsRevoked(t, f, fresh.Data.AccessToken))
		w = f.refreshWith("127.0.0.2", fresh.Data.RefreshToken)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.False(t, refusedAsRevoked(t, f, decodePair(t, w).Data.AccessToken))

		// The revoked families stay revoked: the families' refresh tokens
		// were revoked, not only refused.
		assert.Equal(t, http.StatusUnauthorized, f.refreshWith("127.0.0.2", a.Data.RefreshToken).Code)
		assert.ErrorContains(t, f.iss.RevokeSubject(ctx, ""), "subject")
	})
}

// TestRefreshRecheckFailsClosed: when the revocation or credential store
// fails during the re-check, refresh answers 503 and the presented token
// stays current, so a retry succeeds once the store is back.
func TestRefreshRecheckFailsClosed(t *testing.T) {
	eachFormat(t, func(t *testing.T, format func(*issuer.Config)) {
		for _, broken := range []string{"revocations", "credentials"} {
			t.Run(broken, func(t *testing.T) {
				creds := &switchableCredentials{}
				f, _ := accountFixture(t, format, func(c *issuer.Config) {
					creds.CredentialStore = c.Credentials
					c.Credentials = creds
				})
				p := f.login(t, "127.0.0.2", "demo", demoPassword)
				switch broken {
				case "revocations":
					f.revoked.mu.Lock()
					f.revoked.fail = errors.New("redis: down")
					f.revoked.mu.Unlock()
				case "credentials":
					creds.fail = true
				}
				w := f.refreshWith("127.0.0.2", p.Data.RefreshToken)
				assert.Equal(t, http.StatusServiceUnavailable, w.Code, w.Body.String())
				f.revoked.mu.Lock()
				f.revoked.fail = nil
				f.revoked.mu.Unlock()
				creds.fail = false
				w = f.refreshWith("127.0.0.2", p.Data.RefreshToken)
				assert.Equal(t, http.StatusOK, w.Code, "the retry is no reuse: %s", w.Body.String())
			})
		}
	})
}

// switchableCredentials fails its subject lookups while fail is set.
type switchableCredentials struct {
	issuer.CredentialStore
	fail bool
}

func (c *switchableCredentials) LookupSubject(ctx context.Context, subject string) (issuer.Account, error) {
	if c.fail {
		return issuer.Account{}, errors.New("db: down")
	}
	return c.CredentialStore.LookupSubject(ctx, subject)
}

// RevokeSubject keeps the revocation for the longest of AccessTTL,
// RefreshTTL and SubjectRevocationHold, so that tokens of the subject the
// issuer did not mint itself (a token endpoint's, with a longer lifetime)
// cannot outlive it; a negative hold is a configuration error.
func TestRevokeSubjectHold(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		hold, want time.Duration
	}{
		{0, 7 * 24 * time.Hour},                    // the default RefreshTTL
		{30 * 24 * time.Hour, 30 * 24 * time.Hour}, // a longer token elsewhere
		{time.Minute, 7 * 24 * time.Hour},          // never shorter than the issuer's own tokens
	} {
		f := newFixture(t, func(c *issuer.Config) { c.SubjectRevocationHold = tc.hold })
		require.NoError(t, f.iss.RevokeSubject(ctx, "partner-sub"))
		f.revoked.mu.Lock()
		until := f.revoked.until["sub:partner-sub"]
		f.revoked.mu.Unlock()
		assert.True(t, until.Equal(f.clock.Now().Add(tc.want)), "hold %v: until %v", tc.hold, until)
	}
	_, err := issuer.New(issuer.Config{SubjectRevocationHold: -time.Second})
	assert.ErrorIs(t, err, issuer.ErrConfig)
	assert.ErrorContains(t, err, "SubjectRevocationHold")
}
