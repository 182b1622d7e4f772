package blackbox

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/internal/logbuf"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// boom panics when the request asks for it with X-Panic: <name>.
func boom(r *http.Request, name string) {
	if r != nil && r.Header.Get("X-Panic") == name {
		panic("callback " + name + " failed")
	}
}

// Item 6: a panic in any user callback a gatehouse middleware calls is a
// 500 in the request's style through envelope.Recover, logged with a stack
// trace, the connection stays usable and the middleware's state is not
// left locked: the same request without the panic then succeeds.
func TestPanickingCallbacks(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var current *http.Request // the request whose callbacks run (Validate and Custom get no request)
	setReq := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			current = r
			mu.Unlock()
			next.ServeHTTP(w, r)
		})
	}
	req := func() *http.Request { mu.Lock(); defer mu.Unlock(); return current }

	auth, err := bearer.New(bearer.Config{
		Algorithms: []string{"HS256"}, Issuers: []bearer.Issuer{{URL: "bb", Keys: []bearer.Key{{Algorithm: "HS256", Key: secret}}}},
		Audiences: []string{"bb-api"}, CacheSize: new(0),
		Validate: func(context.Context, bearer.Claims) error { boom(req(), "validate"); return nil },
	})
	require.NoError(t, err)
	custom, err := bearer.New(bearer.Config{
		Algorithms: []string{"HS256"}, Issuers: []bearer.Issuer{{URL: "bb", Keys: []bearer.Key{{Algorithm: "HS256", Key: secret}}}},
		Audiences: []string{"bb-api"}, CacheSize: new(0),
		Custom: bearer.Custom[appClaims](func(context.Context, *appClaims) error { boom(req(), "custom"); return nil }),
	})
	require.NoError(t, err)
	keys := apikey.NewMemoryStore()
	key, rec, err := apikey.Generate("live")
	require.NoError(t, err)
	rec.Tenant, rec.Surfaces = "t1", []string{"s1"}
	require.NoError(t, keys.Put(ctx, rec))
	throttle, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 3})
	require.NoError(t, err)
	byKey, err := apikey.New(apikey.Config{
		Store: keys, Surface: "s1", Throttle: throttle,
		Tenant:      func(r *http.Request) string { boom(r, "tenant"); return "t1" },
		ThrottleKey: func(r *http.Request) string { boom(r, "throttlekey"); return ratelimit.ByIP(r) },
	})
	require.NoError(t, err)
	limiter, err := ratelimit.New(ratelimit.Config{
		Limit: ratelimit.PerMinute(1000),
		Key:   func(r *http.Request) string { boom(r, "key"); return ratelimit.ByIP(r) },
		Limits: func(p gatehouse.Principal) (ratelimit.Limit, bool) {
			boom(req(), "limits")
			return ratelimit.Limit{}, false
		},
	})
	require.NoError(t, err)
	lists := ipallow.NewMemoryLists()
	require.NoError(t, lists.Set(ctx, "t1", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}))
	per, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: lists, Account: func(p gatehouse.Principal) string {
		boom(req(), "account")
		return p.Tenant
	}})
	require.NoError(t, err)

	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _ = envelope.OK(w, "fine") })
	mux := http.NewServeMux()
	mux.Handle("/validate", auth.Middleware(ok))
	mux.Handle("/custom", custom.Middleware(ok))
	mux.Handle("/key", byKey.Middleware(gatehouse.Chain(limiter.Middleware, per.Middleware)(ok)))
	mux.Handle("/handler", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		boom(r, "handler")
		w.Header().Set("X-Secret", "leak")
		_ = envelope.OK(w, "fine")
	}))
	logs := &logbuf.Buffer{}
	srv := httptest.NewServer(envelope.Recover(slog.New(slog.NewTextHandler(logs, nil)))(setReq(envelope.Use(envelope.Flat)(mux))))
	defer srv.Close()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1}}
	defer client.CloseIdleConnections()

	tok := forged(t, `"role":"user","roles":["user"]`)
	for _, c := range []struct{ name, path, scheme, cred string }{
		{"validate", "/validate", "Authorization", "Bearer " + tok},
		{"custom", "/custom", "Authorization", "Bearer " + tok},
		{"tenant", "/key", "ApiKey", key},
		{"throttlekey", "/key", "ApiKey", key},
		{"key", "/key", "ApiKey", key},
		{"limits", "/key", "ApiKey", key},
		{"account", "/key", "ApiKey", key},
		{"handler", "/handler", "ApiKey", key},
	} {
		t.Run(c.name, func(t *testing.T) {
			for range 2 {
				res := do(t, client, "GET", srv.URL+c.path+"?secret=q", http.Header{c.scheme: {c.cred}, "X-Panic": {c.name}}, "")
				assert.Equal(t, 500, res.status, res.body)
				assert.JSONEq(t, `{"success":false,"error":"Internal Server Error","message":"Internal server error"}`, res.body)
				assert.Empty(t, res.header.Get("X-Secret"))
			}
			res := do(t, client, "GET", srv.URL+c.path, http.Header{c.scheme: {c.cred}}, "")
			assert.Equal(t, 200, res.status, "the same request without the panic: %s", res.body)
			assert.Contains(t, logs.String(), "callback "+c.name+" failed")
		})
	}
	out := logs.String()
	assert.Contains(t, out, "goroutine", "a stack trace")
	assert.NotContains(t, out, key)
	assert.NotContains(t, out, tok)
	assert.NotContains(t, out, "secret=q")
}

// appClaims is an application's claim type for Config.Custom.
type appClaims struct {
	Role  string   `json:"role"`
	Roles []string `json:"roles"`
}
