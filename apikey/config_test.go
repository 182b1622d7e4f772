package apikey

import (
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigErrors(t *testing.T) {
	store := NewMemoryStore()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no store", Config{}, "Store is required"},
		{"header with space", Config{Store: store, Header: "Api Key"}, "not a valid header name"},
		{"header with colon", Config{Store: store, Header: "ApiKey:"}, "not a valid header name"},
		{"header non-ASCII", Config{Store: store, Header: "Clé"}, "not a valid header name"},
		{"bad environment", Config{Store: store, Environments: []string{"Live"}}, `environment "Live" in Environments`},
		{"environments with opaque format", Config{Store: store, Format: FormatOpaque, Environments: []string{"live"}}, "needs FormatStandard"},
		{"unknown format", Config{Store: store, Format: 7}, "unknown Format 7"},
		{"negative max length", Config{Store: store, MaxLength: -1}, "a negative MaxLength"},
		{"max length below longest key", Config{Store: store, MaxLength: 40}, "below the longest key"},
		{"max length below an environment's keys", Config{Store: store, MaxLength: 45, Environments: []string{"live", "staging"}}, `environment "staging"`},
		{"unauthorized not 401", Config{Store: store, Unauthorized: envelope.As(envelope.ErrForbidden)}, "Unauthorized has status 403"},
		{"forbidden not 403", Config{Store: store, Forbidden: envelope.As(envelope.ErrUnauthorized)}, "Forbidden has status 401"},
		{"unavailable not 5xx", Config{Store: store, Unavailable: envelope.As(envelope.ErrBadRequest)}, "Unavailable has status 400"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New(tc.cfg)
			require.Error(t, err)
			assert.Nil(t, a)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "apikey: invalid config")
		})
	}
	t.Run("every problem is reported", func(t *testing.T) {
		_, err := New(Config{Header: "a b", MaxLength: -1})
		require.Error(t, err)
		for _, want := range []string{"Store is required", "not a valid header name", "a negative MaxLength"} {
			assert.Contains(t, err.Error(), want)
		}
	})
}

func TestConfigDefaults(t *testing.T) {
	a, err := New(Config{Store: NewMemoryStore()})
	require.NoError(t, err)
	assert.Equal(t, "Apikey", a.header, "canonical form of the default ApiKey")
	assert.Equal(t, FormatStandard, a.format)
	assert.Equal(t, DefaultMaxLength, a.maxLen)
	assert.Equal(t, DefaultTouchInterval, a.touch)
	assert.NotNil(t, a.now)
	assert.Nil(t, a.style, "nil style defers to envelope.Use")
	assert.Equal(t, http.StatusUnauthorized, a.errs[rMissing].Status)
	assert.Equal(t, "UNAUTHORIZED", a.errs[rMissing].Code)
	assert.Equal(t, http.StatusForbidden, a.errs[rSurface].Status)
	assert.Equal(t, http.StatusServiceUnavailable, a.errs[rStore].Status)

	a, err = New(Config{Store: NewMemoryStore(), Header: "x-api-key", MaxLength: 46, Environments: []string{"live"}, TouchInterval: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, "X-Api-Key", a.header)
	assert.Equal(t, 46, a.maxLen)
	assert.Equal(t, time.Hour, a.touch)
}

// The middleware's refusals are precomputed: rejecting allocates nothing
// in the package (the renderer and the ResponseWriter are measured by the
// benchmarks).
func TestCheckRefusalDoesNotAllocate(t *testing.T) {
	a := must(New(Config{Store: NewMemoryStore(), Tenant: TenantHeader("X-Tenant-ID"), Surface: "payment"}))
	valid, _, err := Generate("live")
	require.NoError(t, err)
	for name, key := range map[string]string{"missing": "", "malformed": valid[:len(valid)-1] + "x", "unknown": valid} {
		t.Run(name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "/", nil)
			if key != "" {
				r.Header.Set("ApiKey", key)
			}
			assert.Zero(t, testing.AllocsPerRun(100, func() {
				if _, err := a.Check(r); err == nil {
					panic("accepted")
				}
			}))
		})
	}
}
