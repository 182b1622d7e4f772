package issuer_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flakyLists is an ipallow.ListStore that fails while down is set.
type flakyLists struct {
	lists *ipallow.MemoryLists
	down  atomic.Bool
}

func (l *flakyLists) AllowList(ctx context.Context, account string) ([]netip.Prefix, error) {
	if l.down.Load() {
		return nil, errors.New("redis: i/o timeout talking to 10.1.2.3:6379")
	}
	return l.lists.AllowList(ctx, account)
}

// TestAllowlistStoreFailureIsNoIPDenial: over loopback, an allowlist that
// cannot be read fails login, refresh and logout closed with 503, audited
// as store_unavailable like every other store failure; ip_denied is kept
// for addresses the allowlist refuses.
func TestAllowlistStoreFailureIsNoIPDenial(t *testing.T) {
	lists := &flakyLists{lists: ipallow.NewMemoryLists()}
	pp, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: lists})
	require.NoError(t, err)
	f := newFixture(t, func(c *issuer.Config) { c.Accounts = pp })
	srv := httptest.NewServer(f.mux)
	defer srv.Close()
	post := func(path, body string, hdr ...string) (int, string) {
		req, err := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for k := 0; k+1 < len(hdr); k += 2 {
			req.Header.Set(hdr[k], hdr[k+1])
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(b)
	}
	p := f.login(t, "127.0.0.1", "demo", demoPassword)
	lists.down.Store(true)
	for _, tc := range []struct {
		name, path, body string
		hdr              []string
	}{
		{"login", "/auth/login", `{"username":"demo","password":"demo-password"}`, nil},
		{"login of an unknown user", "/auth/login", `{"username":"nobody","password":"x"}`, nil},
		{"refresh", "/auth/refresh", `{"refresh_token":"` + p.Data.RefreshToken + `"}`, nil},
		{"logout", "/auth/logout", "", []string{"Authorization", "Bearer " + p.Data.AccessToken}},
	} {
		code, body := post(tc.path, tc.body, tc.hdr...)
		require.Equal(t, http.StatusServiceUnavailable, code, tc.name)
		assert.NotContains(t, body, "10.1.2.3", tc.name)
		assert.Equal(t, gatehouse.ReasonStoreUnavailable, f.audit.Last().Reason, tc.name)
	}
	// The store back, the refresh token is still current.
	lists.down.Store(false)
	code, body := post("/auth/refresh", `{"refresh_token":"`+p.Data.RefreshToken+`"}`)
	require.Equal(t, http.StatusOK, code, body)
}
