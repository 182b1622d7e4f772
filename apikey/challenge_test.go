package apikey

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEvery401HasAChallenge guards against API-key 401s sent without
// WWW-Authenticate (RFC 9110 §15.5.2) in the default configuration. It
// walks every precomputed refusal, so a new refusal is covered without a
// new row.
func TestEvery401HasAChallenge(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"default: the header name is the scheme, no realm", func(c *Config) {}, `ApiKey`},
		{"realm api", func(c *Config) { c.Realm = "api" }, `ApiKey realm="api"`},
		{"realm", func(c *Config) { c.Realm = `pay"ments` }, `ApiKey realm="pay\"ments"`},
		{"custom header keeps its spelling", func(c *Config) { c.Header = "X-API-Key"; c.Realm = "payments" }, `X-API-Key realm="payments"`},
		{"override", func(c *Config) { c.Challenge = `Key realm="x"` }, `Key realm="x"`},
		{"the Unauthorized error's own challenge", func(c *Config) {
			c.Unauthorized = envelope.ErrUnauthorized.WithChallenge(`Token realm="y"`)
		}, `Token realm="y"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.config()
			tc.edit(&cfg)
			a, err := New(cfg)
			require.NoError(t, err)
			for rs, e := range a.errs {
				name := refusals[rs].Reason
				switch {
				case e == nil:
					assert.Contains(t, []reason{rOK, rThrottled}, reason(rs), "only rOK and a Throttle's pass-through have no error")
				case e.Status == http.StatusUnauthorized:
					assert.Equal(t, tc.want, e.Challenge, name)
				case e.Status == http.StatusForbidden || e.Status >= 500:
					assert.Empty(t, e.Challenge, name)
				default:
					t.Errorf("refusal %s has status %d", name, e.Status)
				}
			}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			w := httptest.NewRecorder()
			a.Middleware(&principalHandler{}).ServeHTTP(w, r)
			assert.Equal(t, 401, w.Code)
			assert.Equal(t, []string{tc.want}, w.Header().Values("WWW-Authenticate"))
		})
	}
}

func TestChallengeValidated(t *testing.T) {
	f := newFixture(t)
	for _, bad := range []string{"realm=\"x\"\r\nSet-Cookie: a=b", " ApiKey", `"ApiKey"`, "ApiKey\x00"} {
		cfg := f.config()
		cfg.Challenge = bad
		_, err := New(cfg)
		assert.Error(t, err, "%q", bad)
	}
	cfg := f.config()
	cfg.Realm = "a\r\nb"
	a, err := New(cfg)
	require.NoError(t, err)
	assert.Equal(t, `ApiKey realm="ab"`, a.errs[rMissing].Challenge, "control characters are dropped from the realm")
}
