package ipallow

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errDown = errors.New("store down: dial tcp 10.9.9.9:6379")

// failingLists is a ListStore whose every lookup fails.
type failingLists struct{}

func (failingLists) AllowList(context.Context, string) ([]netip.Prefix, error) {
	return nil, errDown
}

// authenticate returns middleware that stores p as the principal.
func authenticate(p gatehouse.Principal) gatehouse.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipal(r.Context(), p)))
		})
	}
}

func memoryLists(t *testing.T, lists map[string][]string) *MemoryLists {
	t.Helper()
	m := NewMemoryLists()
	for account, entries := range lists {
		ps := make([]netip.Prefix, len(entries))
		for i, e := range entries {
			ps[i] = netip.MustParsePrefix(e)
		}
		require.NoError(t, m.Set(context.Background(), account, ps))
	}
	return m
}

func TestPerPrincipalMiddleware(t *testing.T) {
	lists := memoryLists(t, map[string][]string{
		"acct_a":   {"203.0.113.0/24", "2001:db8::/32"},
		"alice":    {"198.51.100.7/32"},
		"client-1": {"203.0.113.0/24"},
		"":         {"10.0.0.0/8"}, // never consulted: "" is no account
	})
	clientOnly := gatehouse.Principal{ClientID: "client-1", Method: gatehouse.MethodJWT, Scopes: []string{"admin"}}
	for _, tc := range []struct {
		name      string
		store     ListStore
		principal *gatehouse.Principal
		anonymous bool
		account   func(gatehouse.Principal) string
		remote    string
		want      int
		reason    string
	}{
		{"tenant list allows", lists, &gatehouse.Principal{Subject: "bob", Tenant: "acct_a"}, false, nil, "203.0.113.9:1", 200, ""},
		{"tenant list allows v6", lists, &gatehouse.Principal{Subject: "bob", Tenant: "acct_a"}, false, nil, "[2001:db8::9]:1", 200, ""},
		{"tenant list allows mapped", lists, &gatehouse.Principal{Subject: "bob", Tenant: "acct_a"}, false, nil, "[::ffff:203.0.113.9]:1", 200, ""},
		{"tenant list refuses", lists, &gatehouse.Principal{Subject: "bob", Tenant: "acct_a"}, false, nil, "192.0.2.1:1", 403, "ip_denied"},
		{"no entries allow all", lists, &gatehouse.Principal{Subject: "bob", Tenant: "acct_b"}, false, nil, "192.0.2.1:1", 200, ""},
		{"subject fallback refuses", lists, &gatehouse.Principal{Subject: "alice"}, false, nil, "192.0.2.1:1", 403, "ip_denied"},
		{"subject fallback allows", lists, &gatehouse.Principal{Subject: "alice"}, false, nil, "198.51.100.7:1", 200, ""},
		{"custom account func", lists, &gatehouse.Principal{Subject: "bob", ClientID: "acct_a"}, false,
			func(p gatehouse.Principal) string { return p.ClientID }, "192.0.2.1:1", 403, "ip_denied"},
		{"no principal is 500", lists, nil, false, nil, "203.0.113.9:1", 500, "no_principal"},
		{"empty account is 500", lists, &gatehouse.Principal{}, false, nil, "203.0.113.9:1", 500, "no_principal"},
		{"anonymous allowed", lists, nil, true, nil, "192.0.2.1:1", 200, ""},
		{"zero principal is anonymous", lists, &gatehouse.Principal{}, true, nil, "192.0.2.1:1", 200, ""},
		// Regression: an authenticated principal without Tenant or Subject
		// (a client-credentials JWT without "sub") passed as anonymous.
		{"authenticated without account is 403 despite AllowAnonymous", lists, &clientOnly, true, nil, "192.0.2.1:1", 403, "no_account"},
		{"authenticated without account is 403", lists, &clientOnly, false, nil, "203.0.113.9:1", 403, "no_account"},
		{"a session-only principal is authenticated", lists, &gatehouse.Principal{SessionID: "s-1"}, true, nil, "192.0.2.1:1", 403, "no_account"},
		{"ClientID as account refuses", lists, &clientOnly, true,
			func(p gatehouse.Principal) string { return p.ClientID }, "192.0.2.1:1", 403, "ip_denied"},
		{"ClientID as account allows", lists, &clientOnly, true,
			func(p gatehouse.Principal) string { return p.ClientID }, "203.0.113.9:1", 200, ""},
		{"store error is 503", failingLists{}, &gatehouse.Principal{Tenant: "acct_a"}, false, nil, "203.0.113.9:1", 503, "store_unavailable"},
		{"unusable peer with a list", lists, &gatehouse.Principal{Tenant: "acct_a"}, false, nil, "@", 403, "ip_denied"},
		{"unusable peer without a list", lists, &gatehouse.Principal{Tenant: "acct_b"}, false, nil, "@", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			pp, err := NewPerPrincipal(PerPrincipalConfig{
				Lists: tc.store, Account: tc.account, AllowAnonymous: tc.anonymous,
				Audit: rec, Now: func() time.Time { return fixed },
			})
			require.NoError(t, err)
			h := pp.Middleware(ok200())
			if tc.principal != nil {
				h = authenticate(*tc.principal)(h)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, request(tc.remote))
			assert.Equal(t, tc.want, w.Code)
			events := rec.all()
			if tc.want == 200 {
				require.Len(t, events, 1, "an admitted request is audited once")
				assert.Equal(t, gatehouse.Allowed, events[0].Outcome)
				assert.Empty(t, events[0].Reason)
				return
			}
			assert.NotContains(t, w.Body.String(), "10.9.9.9", "store errors never reach the client")
			assert.NotContains(t, w.Body.String(), "203.0.113", "lists never reach the client")
			require.Len(t, events, 1)
			e := events[0]
			assert.Equal(t, "ipallow", e.Source)
			assert.Equal(t, "account", e.Action)
			assert.Equal(t, tc.reason, string(e.Reason))
			assert.Equal(t, tc.want, e.Status)
			assert.Equal(t, fixed, e.Time)
			if tc.principal != nil {
				assert.Equal(t, tc.principal.Subject, e.Subject)
				assert.Equal(t, tc.principal.Tenant, e.Tenant)
			}
			if tc.want >= 500 {
				assert.Equal(t, gatehouse.Failed, e.Outcome)
			} else {
				assert.Equal(t, gatehouse.Denied, e.Outcome)
				assert.JSONEq(t, `{"error":{"name":"ForbiddenError","code":"FORBIDDEN","message":"IP address not authorized"}}`, w.Body.String())
			}
		})
	}
}

func TestCheckAccount(t *testing.T) {
	ctx := context.Background()
	lists := memoryLists(t, map[string][]string{"acct_a": {"203.0.113.0/24"}})
	rec := &recorder{}
	pp, err := NewPerPrincipal(PerPrincipalConfig{Lists: lists, Audit: rec, Now: func() time.Time { return fixed }})
	require.NoError(t, err)
	a := netip.MustParseAddr

	require.NoError(t, pp.CheckAccount(ctx, "acct_a", a("203.0.113.1")))
	require.NoError(t, pp.CheckAccount(ctx, "acct_a", a("::ffff:203.0.113.1")))
	require.NoError(t, pp.CheckAccount(ctx, "acct_none", a("192.0.2.1")))
	require.NoError(t, pp.CheckAccount(ctx, "acct_none", netip.Addr{}), "no entries: even an unknown address")
	assert.Empty(t, rec.all())

	err = pp.CheckAccount(ctx, "acct_a", a("192.0.2.1"))
	require.ErrorIs(t, err, ErrDenied)
	var e *envelope.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, http.StatusForbidden, e.Status)
	assert.Equal(t, "FORBIDDEN", e.Code)
	assert.Equal(t, DefaultMessage, e.Message)
	require.ErrorIs(t, pp.CheckAccount(ctx, "acct_a", netip.Addr{}), ErrDenied)
	assert.Empty(t, rec.all(), "CheckAccount is the decision alone: its caller audits")

	t.Run("store failure", func(t *testing.T) {
		pp, err := NewPerPrincipal(PerPrincipalConfig{Lists: failingLists{}})
		require.NoError(t, err)
		err = pp.CheckAccount(ctx, "acct_a", a("203.0.113.1"))
		require.ErrorIs(t, err, errDown)
		require.ErrorIs(t, err, ErrStore)
		require.ErrorIs(t, err, envelope.ErrUnavailable)
		assert.NotContains(t, err.Error(), "10.9.9.9", "Error() never shows the cause")
	})
	t.Run("canceled context fails closed", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		require.ErrorIs(t, pp.CheckAccount(cctx, "acct_none", a("192.0.2.1")), envelope.ErrUnavailable)
	})
	t.Run("invalid prefixes from a store fail closed", func(t *testing.T) {
		pp, err := NewPerPrincipal(PerPrincipalConfig{Lists: badLists{}})
		require.NoError(t, err)
		require.ErrorIs(t, pp.CheckAccount(ctx, "acct_a", a("203.0.113.1")), envelope.ErrUnavailable)
	})
}

type badLists struct{}

func (badLists) AllowList(context.Context, string) ([]netip.Prefix, error) {
	return []netip.Prefix{{}}, nil
}

func TestNewPerPrincipalNeedsLists(t *testing.T) {
	_, err := NewPerPrincipal(PerPrincipalConfig{})
	require.ErrorIs(t, err, ErrConfig)
}

func TestPerPrincipalResolver(t *testing.T) {
	res, err := NewResolver(ResolverConfig{TrustedProxies: []string{"10.0.0.0/8"}})
	require.NoError(t, err)
	lists := memoryLists(t, map[string][]string{"acct_a": {"203.0.113.0/24"}})
	pp, err := NewPerPrincipal(PerPrincipalConfig{Lists: lists, Resolver: res})
	require.NoError(t, err)
	h := authenticate(gatehouse.Principal{Tenant: "acct_a"})(pp.Middleware(ok200()))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, request("10.0.0.1:1", "X-Forwarded-For: 203.0.113.4"))
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, "203.0.113.4", w.Body.String())

	w = httptest.NewRecorder()
	h.ServeHTTP(w, request("10.0.0.1:1", "X-Forwarded-For: 203.0.113.4, unknown"))
	assert.Equal(t, 403, w.Code)
}

func TestCheckAccountDoesNotAllocate(t *testing.T) {
	lists := memoryLists(t, map[string][]string{"acct_a": {"203.0.113.0/24"}})
	pp, err := NewPerPrincipal(PerPrincipalConfig{Lists: lists})
	require.NoError(t, err)
	ctx, in, out := context.Background(), netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("192.0.2.1")
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		_ = pp.CheckAccount(ctx, "acct_a", in)
		_ = pp.CheckAccount(ctx, "acct_a", out)
	}))
}
