package issuer_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoginSuccess(t *testing.T) {
	f := newFixture(t)
	w := f.do("POST", "/auth/login", "127.0.0.2", `{"username":"demo","password":"demo-password"}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))

	p := decodePair(t, w)
	assert.Equal(t, "123456", string(p.Data.ClientID), "client_id is a JSON number")
	now := f.clock.Now()
	assert.Equal(t, now.Add(time.Hour).Format(time.RFC3339), p.Data.AccessExpiresAt)
	assert.Equal(t, now.Add(7*24*time.Hour).Format(time.RFC3339), p.Data.RefreshExpiresAt)
	assert.True(t, strings.HasSuffix(p.Data.AccessExpiresAt, "Z"), "UTC")
	assert.Equal(t, 3, strings.Count(p.Data.AccessToken, ".")+1, "access token is a JWS")
	assert.True(t, strings.HasPrefix(p.Data.RefreshToken, "rt_"))
	assert.NotContains(t, p.Data.RefreshToken, ".")

	ev := f.audit.Last()
	assert.Equal(t, "issuer", ev.Source)
	assert.Equal(t, "login", ev.Action)
	assert.Equal(t, gatehouse.Allowed, ev.Outcome)
	assert.Equal(t, "demo", ev.Subject)
	assert.Equal(t, "123456", ev.Tenant)
	assert.NotEmpty(t, ev.CredID)
	assert.Equal(t, now, ev.Time)
}

func TestLoginFailures(t *testing.T) {
	long := strings.Repeat("x", 256+1)
	tests := []struct {
		name, remote, ctype, body string
		status                    int
		errName, code             string
	}{
		{"wrong password", "127.0.0.2", "application/json", `{"username":"demo","password":"nope"}`, 401, "UnauthorizedError", "UNAUTHORIZED"},
		{"unknown user", "127.0.0.2", "application/json", `{"username":"mallory","password":"demo-password"}`, 401, "UnauthorizedError", "UNAUTHORIZED"},
		{"password beyond 72 bytes", "127.0.0.9", "application/json", `{"username":"partner","password":"partner-password` + strings.Repeat("y", 80) + `"}`, 401, "UnauthorizedError", "UNAUTHORIZED"},
		{"missing password", "127.0.0.2", "application/json", `{"username":"demo"}`, 400, "ValidationException", "VALIDATION_FAILURE"},
		{"empty username", "127.0.0.2", "application/json", `{"username":"","password":"x"}`, 400, "ValidationException", "VALIDATION_FAILURE"},
		{"unknown field", "127.0.0.2", "application/json", `{"username":"demo","password":"x","otp":1}`, 400, "ValidationException", "VALIDATION_FAILURE"},
		{"wrong type", "127.0.0.2", "application/json", `{"username":"demo","password":123}`, 400, "ValidationException", "VALIDATION_FAILURE"},
		{"username too long", "127.0.0.2", "application/json", `{"username":"` + long + `","password":"x"}`, 400, "ValidationException", "VALIDATION_FAILURE"},
		{"invalid JSON", "127.0.0.2", "application/json", `{"username":"demo",`, 400, "SyntaxError", "SYNTAX_ERROR"},
		{"trailing data", "127.0.0.2", "application/json", `{"username":"demo","password":"x"} {}`, 400, "SyntaxError", "SYNTAX_ERROR"},
		{"not JSON content", "127.0.0.2", "text/plain", `username=demo`, 415, "UnsupportedMediaTypeError", "UNSUPPORTED_MEDIA_TYPE"},
		{"IP not whitelisted", "127.0.0.3", "application/json", `{"username":"demo","password":"demo-password"}`, 403, "ForbiddenError", "FORBIDDEN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			w := f.do("POST", "/auth/login", tc.remote, tc.body, "Content-Type", tc.ctype)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			name, code, _ := errorBody(t, w)
			assert.Equal(t, tc.errName, name)
			assert.Equal(t, tc.code, code)
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			ev := f.audit.Last()
			assert.Equal(t, gatehouse.Denied, ev.Outcome)
			assert.Equal(t, tc.status, ev.Status)
		})
	}
}

func TestLoginUnknownUserAndWrongPasswordLookAlike(t *testing.T) {
	f := newFixture(t)
	a := f.do("POST", "/auth/login", "127.0.0.9", `{"username":"partner","password":"wrong"}`)
	b := f.do("POST", "/auth/login", "127.0.0.9", `{"username":"nobody","password":"wrong"}`)
	assert.Equal(t, a.Code, b.Code)
	assert.Equal(t, a.Body.String(), b.Body.String())
	assert.Equal(t, a.Header(), b.Header())
	assert.Equal(t, `{"error":{"name":"UnauthorizedError","code":"UNAUTHORIZED","message":"Invalid credentials"}}`, a.Body.String())
}

func TestLoginAllowlistBeforePassword(t *testing.T) {
	f := newFixture(t)
	// From a non-whitelisted address the answer is 403 whatever the
	// password. It tells the client the account exists, so it is charged
	// against the address, as a failed password would be; never against
	// the user name, which outsiders must not be able to lock out.
	for _, pw := range []string{"demo-password", "wrong"} {
		w := f.do("POST", "/auth/login", "127.0.0.3", `{"username":"demo","password":"`+pw+`"}`)
		assert.Equal(t, http.StatusForbidden, w.Code)
	}
	assert.Zero(t, f.throttle.Count("user:demo"))
	assert.Equal(t, 2, f.throttle.Count("ip:127.0.0.3"))
	ev := f.audit.Last()
	assert.Equal(t, "ip_denied", string(ev.Reason))
	// The account without a whitelist logs in from anywhere.
	f.login(t, "127.0.0.3", "partner", partnerPassword)
}

// TestLoginAllowlistProbingIsThrottled checks that probing for accounts
// through the allowlist's 403 runs into the address's throttle, and that
// the account itself stays usable from its allowed addresses.
func TestLoginAllowlistProbingIsThrottled(t *testing.T) {
	f := newFixture(t)
	for range 5 {
		w := f.do("POST", "/auth/login", "127.0.0.3", `{"username":"demo","password":"x"}`)
		require.Equal(t, http.StatusForbidden, w.Code)
	}
	w := f.do("POST", "/auth/login", "127.0.0.3", `{"username":"demo","password":"x"}`)
	require.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.Zero(t, f.throttle.Count("user:demo"))
	f.login(t, "127.0.0.2", "demo", "demo-password")
}

func TestLoginThrottle(t *testing.T) {
	f := newFixture(t)
	for range 5 {
		w := f.do("POST", "/auth/login", "127.0.0.9", `{"username":"partner","password":"guess"}`)
		require.Equal(t, http.StatusUnauthorized, w.Code)
	}
	assert.Equal(t, 5, f.throttle.Count("ip:127.0.0.9"))
	assert.Equal(t, 5, f.throttle.Count("user:partner"))

	// Now even the right password is refused, before it is checked.
	w := f.do("POST", "/auth/login", "127.0.0.9", `{"username":"partner","password":"partner-password"}`)
	require.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.Equal(t, "30", w.Header().Get("Retry-After"))
	assert.Equal(t, "throttled", string(f.audit.Last().Reason))

	// The user name is throttled from other addresses too …
	w = f.do("POST", "/auth/login", "127.0.0.10", `{"username":"partner","password":"partner-password"}`)
	require.Equal(t, http.StatusTooManyRequests, w.Code)
	// … and the address for other user names.
	w = f.do("POST", "/auth/login", "127.0.0.9", `{"username":"demo","password":"demo-password"}`)
	require.Equal(t, http.StatusTooManyRequests, w.Code)
}

func TestLoginSuccessResetsUserOnly(t *testing.T) {
	f := newFixture(t)
	for range 3 {
		f.do("POST", "/auth/login", "127.0.0.9", `{"username":"partner","password":"guess"}`)
	}
	f.login(t, "127.0.0.9", "partner", partnerPassword)
	assert.Zero(t, f.throttle.Count("user:partner"))
	assert.Equal(t, 3, f.throttle.Count("ip:127.0.0.9"), "a success must not clear the address's failures")
}

func TestLoginStoreFailures(t *testing.T) {
	t.Run("credentials store down", func(t *testing.T) {
		f := newFixture(t, func(c *issuer.Config) { c.Credentials = failingCredentials{} })
		w := f.do("POST", "/auth/login", "127.0.0.2", `{"username":"demo","password":"demo-password"}`)
		require.Equal(t, http.StatusServiceUnavailable, w.Code)
		assert.NotContains(t, w.Body.String(), "10.0.0.7")
		assert.Equal(t, gatehouse.Failed, f.audit.Last().Outcome)
	})
	t.Run("throttle store down", func(t *testing.T) {
		f := newFixture(t)
		f.throttle.Err = errors.New("redis: down")
		w := f.do("POST", "/auth/login", "127.0.0.2", `{"username":"demo","password":"demo-password"}`)
		require.Equal(t, http.StatusServiceUnavailable, w.Code)
		assert.NotContains(t, w.Body.String(), "redis")
	})
	t.Run("throttle answers its own envelope error", func(t *testing.T) {
		f := newFixture(t)
		f.throttle.Err = envelope.ErrUnavailable.WithMessage("Rate limiter unavailable")
		w := f.do("POST", "/auth/login", "127.0.0.2", `{"username":"demo","password":"demo-password"}`)
		require.Equal(t, http.StatusServiceUnavailable, w.Code)
		_, _, msg := errorBody(t, w)
		assert.Equal(t, "Rate limiter unavailable", msg)
	})
}

func TestLoginWithoutOptionalCollaborators(t *testing.T) {
	f := newFixture(t, func(c *issuer.Config) { c.Accounts, c.Throttle, c.Audit = nil, nil, nil })
	f.login(t, "127.0.0.3", "demo", demoPassword)
	w := f.do("POST", "/auth/login", "127.0.0.3", `{"username":"demo","password":"x"}`)
	assert.Equal(t, http.StatusUnauthorized, w.Code)
}

func TestAuditNeverCarriesSecrets(t *testing.T) {
	f := newFixture(t)
	p := f.login(t, "127.0.0.2", "demo", demoPassword)
	f.do("POST", "/auth/login", "127.0.0.2", `{"username":"demo","password":"wrong-password-value"}`)
	r := f.refreshWith("127.0.0.2", p.Data.RefreshToken)
	require.Equal(t, http.StatusOK, r.Code)
	f.refreshWith("127.0.0.2", p.Data.RefreshToken) // reuse
	f.do("POST", "/auth/logout", "127.0.0.2", "", "Authorization", "Bearer "+p.Data.AccessToken)
	evs := f.audit.All()
	require.GreaterOrEqual(t, len(evs), 5)
	secrets := []string{demoPassword, "wrong-password-value", p.Data.AccessToken, p.Data.RefreshToken, string(testSecret)}
	for _, ev := range evs {
		for _, field := range []string{string(ev.Reason), ev.Subject, ev.Tenant, ev.CredID, ev.Path, ev.Action} {
			for _, s := range secrets {
				assert.NotContains(t, field, s)
			}
		}
	}
	reasons := map[string]bool{}
	for _, ev := range evs {
		reasons[ev.Action+"/"+string(ev.Reason)] = true
	}
	assert.True(t, reasons["login/invalid_credentials"])
	assert.True(t, reasons["refresh/refresh_reused"])
	assert.True(t, reasons["logout/"])
}

func FuzzLogin(f *testing.F) {
	for _, s := range []string{`{"username":"demo","password":"demo-password"}`, `{"username":"demo"}`, `{`, `[]`, `{"username":1}`, `null`, ``} {
		f.Add(s)
	}
	fx := newFixture(f, func(c *issuer.Config) { c.Throttle = nil })
	f.Fuzz(func(t *testing.T, body string) {
		w := fx.do("POST", "/auth/login", "127.0.0.9", body, "Content-Type", "application/json")
		switch w.Code {
		case http.StatusOK:
			if !strings.Contains(body, "partner-password") && !strings.Contains(body, "demo-password") {
				t.Fatalf("login succeeded for %q", body)
			}
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
	})
}

// countingChecker counts the allowlist checks an AccountChecker is asked.
type countingChecker struct {
	issuer.AccountChecker
	n atomic.Int32
}

func (c *countingChecker) CheckAccount(ctx context.Context, key string, addr netip.Addr) error {
	c.n.Add(1)
	return c.AccountChecker.CheckAccount(ctx, key, addr)
}

// An unknown user name and a wrong password take the same path: one
// allowlist check each (the unknown's under a key of no account, its
// verdict ignored), then the password check, then the same 401.
func TestLoginFailuresCheckTheAllowlistAlike(t *testing.T) {
	var chk *countingChecker
	f := newFixture(t, func(c *issuer.Config) {
		chk = &countingChecker{AccountChecker: c.Accounts}
		c.Accounts = chk
	})
	for _, user := range []string{"demo", "nobody", "123456"} {
		before := chk.n.Load()
		w := f.do("POST", "/auth/login", "127.0.0.2", `{"username":"`+user+`","password":"wrong-password"}`)
		assert.Equal(t, http.StatusUnauthorized, w.Code, "%s: %s", user, w.Body.String())
		assert.EqualValues(t, 1, chk.n.Load()-before, "%s: one allowlist check", user)
	}
	// From an address the demo account's list does not hold, an unknown
	// user name named as its tenant is still refused as unknown (401),
	// not as a listed account (403).
	w := f.do("POST", "/auth/login", "127.0.0.9", `{"username":"123456","password":"wrong-password"}`)
	assert.Equal(t, http.StatusUnauthorized, w.Code, w.Body.String())
}
