package ipallow

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder collects audit events; safe for concurrent use.
type recorder struct {
	mu     sync.Mutex
	events []gatehouse.Event
}

func (rc *recorder) Audit(_ context.Context, e gatehouse.Event) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.events = append(rc.events, e)
}

func (rc *recorder) all() []gatehouse.Event {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]gatehouse.Event(nil), rc.events...)
}

var fixed = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func ok200() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(gatehouse.ClientAddr(r).String()))
	})
}

func TestAllowlist(t *testing.T) {
	for _, tc := range []struct {
		name   string
		allow  []string
		deny   []string
		remote string
		want   int
		rule   string
	}{
		{"allowed v4", []string{"203.0.113.0/24"}, nil, "203.0.113.9:1", 200, ""},
		{"not allowed v4", []string{"203.0.113.0/24"}, nil, "198.51.100.1:1", 403, "ip_denied"},
		{"allowed v6", []string{"2001:db8::/32"}, nil, "[2001:db8::1]:1", 200, ""},
		{"mapped peer matches v4 entry", []string{"203.0.113.0/24"}, nil, "[::ffff:203.0.113.9]:1", 200, ""},
		{"v4 peer matches mapped entry", []string{"::ffff:203.0.113.0/120"}, nil, "203.0.113.9:1", 200, ""},
		{"zoned peer matches", []string{"fe80::/10"}, nil, "[fe80::1%eth0]:1", 200, ""},
		{"deny wins over allow", []string{"203.0.113.0/24"}, []string{"203.0.113.9"}, "203.0.113.9:1", 403, "ip_denied"},
		{"deny only: others pass", nil, []string{"198.51.100.0/24"}, "203.0.113.9:1", 200, ""},
		{"deny only: listed refused", nil, []string{"198.51.100.0/24"}, "198.51.100.3:1", 403, "ip_denied"},
		{"unusable peer", []string{"0.0.0.0/0"}, nil, "@", 403, "no_client_address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			al, err := New(Config{Allow: tc.allow, Deny: tc.deny, Audit: rec, Now: func() time.Time { return fixed }})
			require.NoError(t, err)
			w := httptest.NewRecorder()
			r := request(tc.remote, "X-Request-Id: req-1")
			al.Middleware(ok200()).ServeHTTP(w, r)
			assert.Equal(t, tc.want, w.Code)
			if tc.want == 200 {
				events := rec.all()
				require.Len(t, events, 1, "an admitted request is audited once")
				assert.Equal(t, gatehouse.Allowed, events[0].Outcome)
				assert.Empty(t, events[0].Reason)
				return
			}
			assert.JSONEq(t, `{"error":{"name":"ForbiddenError","code":"FORBIDDEN","message":"IP address not authorized"}}`, w.Body.String())
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			events := rec.all()
			require.Len(t, events, 1)
			e := events[0]
			assert.Equal(t, "ipallow", e.Source)
			assert.Equal(t, "allowlist", e.Action)
			assert.Equal(t, gatehouse.Denied, e.Outcome)
			assert.Equal(t, tc.rule, string(e.Reason))
			assert.Equal(t, 403, e.Status)
			assert.Equal(t, fixed, e.Time)
			assert.Equal(t, "req-1", e.RequestID)
			assert.Equal(t, "/v1/orders", e.Path)
			assert.Equal(t, gatehouse.RemoteAddr(r), e.ClientIP)
		})
	}
}

func TestAllowlistBodyNeverRevealsLists(t *testing.T) {
	al, err := New(Config{Allow: []string{"203.0.113.0/24"}, Deny: []string{"203.0.113.66"}, Style: envelope.Problem})
	require.NoError(t, err)
	for _, remote := range []string{"198.51.100.1:1", "203.0.113.66:1"} {
		w := httptest.NewRecorder()
		al.Middleware(ok200()).ServeHTTP(w, request(remote))
		assert.Equal(t, 403, w.Code)
		assert.NotContains(t, w.Body.String(), "203.0.113")
		assert.NotContains(t, w.Body.String(), "list")
		assert.Contains(t, w.Body.String(), `"code":"FORBIDDEN"`)
	}
}

func TestAllowlistResolver(t *testing.T) {
	res, err := NewResolver(ResolverConfig{TrustedProxies: []string{"10.0.0.0/8"}})
	require.NoError(t, err)
	al, err := New(Config{Allow: []string{"198.51.100.0/24"}, Resolver: res})
	require.NoError(t, err)

	t.Run("resolves and stores", func(t *testing.T) {
		w := httptest.NewRecorder()
		al.Middleware(ok200()).ServeHTTP(w, request("10.0.0.1:1", "X-Forwarded-For: 198.51.100.4"))
		assert.Equal(t, 200, w.Code)
		assert.Equal(t, "198.51.100.4", w.Body.String(), "the handler sees the resolved address")
	})
	t.Run("spoofed header from untrusted peer", func(t *testing.T) {
		w := httptest.NewRecorder()
		al.Middleware(ok200()).ServeHTTP(w, request("203.0.113.5:1", "X-Forwarded-For: 198.51.100.4"))
		assert.Equal(t, 403, w.Code)
	})
	t.Run("malformed chain", func(t *testing.T) {
		w := httptest.NewRecorder()
		al.Middleware(ok200()).ServeHTTP(w, request("10.0.0.1:1", "X-Forwarded-For: 198.51.100.4, 127.1"))
		assert.Equal(t, 403, w.Code)
	})
	t.Run("an earlier Resolver middleware's address is used", func(t *testing.T) {
		plain, err := New(Config{Allow: []string{"198.51.100.0/24"}})
		require.NoError(t, err)
		w := httptest.NewRecorder()
		gatehouse.Chain(res.Middleware, plain.Middleware)(ok200()).ServeHTTP(w, request("10.0.0.1:1", "X-Forwarded-For: 198.51.100.4"))
		assert.Equal(t, 200, w.Code)
		assert.Equal(t, "198.51.100.4", w.Body.String())
	})
	t.Run("check", func(t *testing.T) {
		a, err := al.Check(request("10.0.0.1:1", "X-Forwarded-For: 192.0.2.1"))
		require.ErrorIs(t, err, ErrDenied)
		require.ErrorIs(t, err, envelope.ErrForbidden)
		assert.Equal(t, netip.MustParseAddr("192.0.2.1"), a)
		a, err = al.Check(request("10.0.0.1:1", "X-Forwarded-For: 198.51.100.7"))
		require.NoError(t, err)
		assert.Equal(t, netip.MustParseAddr("198.51.100.7"), a)
		_, err = al.Check(request("pipe"))
		require.ErrorIs(t, err, ErrNoClientAddr)
	})
}

func TestAllowlistConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want error
	}{
		{"both empty", Config{}, ErrConfig},
		{"bad allow", Config{Allow: []string{"10.0.0.0/33"}}, ErrInvalidPrefix},
		{"bad deny", Config{Allow: []string{"10.0.0.0/8"}, Deny: []string{"127.1"}}, ErrInvalidPrefix},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestAllowlistUpdate(t *testing.T) {
	al, err := New(Config{Allow: []string{"10.0.0.0/8"}})
	require.NoError(t, err)
	a := netip.MustParseAddr("192.0.2.1")
	ok, _ := al.Allows(a)
	assert.False(t, ok)

	require.ErrorIs(t, al.Update([]string{"junk"}, nil), ErrInvalidPrefix)
	ok, _ = al.Allows(netip.MustParseAddr("10.1.1.1"))
	assert.True(t, ok, "a failed update keeps the lists in force")

	require.NoError(t, al.Update([]string{"192.0.2.0/24"}, nil))
	ok, _ = al.Allows(a)
	assert.True(t, ok)

	// Readers racing an updater always see one whole generation. In each
	// generation 192.0.2.1 is refused (by the denylist in one, by the
	// allowlist in the other); only a torn mix of the two would admit it.
	require.NoError(t, al.Update([]string{"192.0.2.0/24"}, []string{"192.0.2.1"}))
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range 500 {
			if i%2 == 0 {
				assert.NoError(t, al.Update([]string{"198.51.100.0/24"}, nil))
			} else {
				assert.NoError(t, al.Update([]string{"192.0.2.0/24"}, []string{"192.0.2.1"}))
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range 500 {
			ok, rule := al.Allows(a)
			assert.False(t, ok)
			assert.Contains(t, []string{"allowlist", "denylist"}, rule)
		}
	}()
	wg.Wait()
}

func TestAllowlistAllowPathDoesNotAllocate(t *testing.T) {
	al, err := New(Config{Allow: []string{"203.0.113.0/24"}})
	require.NoError(t, err)
	h := al.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := request("203.0.113.9:1")
	w := httptest.NewRecorder()
	assert.Zero(t, testing.AllocsPerRun(100, func() { h.ServeHTTP(w, r) }))
}
