package scopes

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusNoContent)
})

func withScopes(r *http.Request, scopes ...string) *http.Request {
	return r.WithContext(gatehouse.WithPrincipal(r.Context(), gatehouse.Principal{
		Subject: "user-1", Tenant: "acme", TokenID: "tok-1", Method: gatehouse.MethodOpaque, Scopes: scopes,
	}))
}

// must returns e, panicking when New returned an error.
func must(e *Enforcer, err error) *Enforcer {
	if err != nil {
		panic(err)
	}
	return e
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestSeed004Body checks the byte-exact 403 of seed 004 in the flat style.
func TestSeed004Body(t *testing.T) {
	h := gatehouse.Chain(envelope.Use(envelope.Flat), Require("orders:write"))(okHandler)
	w := serve(h, withScopes(httptest.NewRequest("POST", "/orders/1/fulfill", nil), "orders:read"))

	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.Equal(t, `{"success":false,"error":"Forbidden","message":"Token does not have the required scope: orders:write"}`, w.Body.String())
	assert.Equal(t, `Bearer error="insufficient_scope", scope="orders:write"`, w.Header().Get("WWW-Authenticate"))
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
}

func TestRequireOrdering(t *testing.T) {
	e := must(New(Config{Realm: "store", Style: envelope.Flat}))
	tests := []struct {
		name          string
		mw            gatehouse.Middleware
		req           *http.Request
		wantStatus    int
		wantChallenge string
		wantBody      string
	}{
		{
			name:          "no principal is 401 even when scopes would also fail",
			mw:            e.Require("orders:write"),
			req:           httptest.NewRequest("GET", "/", nil),
			wantStatus:    401,
			wantChallenge: `Bearer realm="store"`,
			wantBody:      `{"success":false,"error":"Unauthorized","message":"Authentication required"}`,
		},
		{
			name: "zero principal counts as none",
			mw:   e.Require(),
			req: func() *http.Request {
				r := httptest.NewRequest("GET", "/", nil)
				return r.WithContext(gatehouse.WithPrincipal(r.Context(), gatehouse.Principal{}))
			}(),
			wantStatus:    401,
			wantChallenge: `Bearer realm="store"`,
			wantBody:      `{"success":false,"error":"Unauthorized","message":"Authentication required"}`,
		},
		{
			name:          "missing scope is 403",
			mw:            e.Require("orders:read", "orders:write"),
			req:           withScopes(httptest.NewRequest("GET", "/", nil), "orders:read"),
			wantStatus:    403,
			wantChallenge: `Bearer realm="store", error="insufficient_scope", scope="orders:read orders:write"`,
			wantBody:      `{"success":false,"error":"Forbidden","message":"Token does not have the required scope: orders:write"}`,
		},
		{
			name:          "any of, none held",
			mw:            e.Any("reports:read", "admin"),
			req:           withScopes(httptest.NewRequest("GET", "/", nil), "orders:read"),
			wantStatus:    403,
			wantChallenge: `Bearer realm="store", error="insufficient_scope", scope="reports:read admin"`,
			wantBody:      `{"success":false,"error":"Forbidden","message":"Token does not have any of the required scopes: reports:read admin"}`,
		},
		{
			name:       "all held",
			mw:         e.Require("orders:read", "orders:write"),
			req:        withScopes(httptest.NewRequest("GET", "/", nil), "orders:write", "orders:read"),
			wantStatus: 204,
		},
		{
			name:       "any of, one held",
			mw:         e.Any("reports:read", "admin"),
			req:        withScopes(httptest.NewRequest("GET", "/", nil), "admin"),
			wantStatus: 204,
		},
		{
			name:       "no scopes needed, principal present",
			mw:         e.Require(),
			req:        withScopes(httptest.NewRequest("GET", "/", nil)),
			wantStatus: 204,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(tt.mw(okHandler), tt.req)
			assert.Equal(t, tt.wantStatus, w.Code)
			assert.Equal(t, tt.wantChallenge, w.Header().Get("WWW-Authenticate"))
			if tt.wantBody != "" {
				assert.Equal(t, tt.wantBody, w.Body.String())
			}
		})
	}
}

func TestRequirePanicsOnInvalidScope(t *testing.T) {
	assert.PanicsWithError(t, "scopes: empty scope", func() { Require("") })
	assert.Panics(t, func() { Require("orders write") })
	assert.Panics(t, func() { Any() })
	assert.NotPanics(t, func() { Require() })

	_, err := must(New(Config{})).Enforce(Rule{Any: []string{"a", "b c"}})
	assert.Error(t, err)
}

func TestErrorsAreClientSafeAndMatchable(t *testing.T) {
	var got error
	capture := envelope.StyleFunc(func(_ *http.Request, err *envelope.Error) ([]byte, string) {
		got = err
		return []byte("{}"), "application/json"
	})
	e := must(New(Config{Style: capture}))

	serve(e.Require("x")(okHandler), withScopes(httptest.NewRequest("GET", "/", nil)))
	assert.ErrorIs(t, got, ErrInsufficientScope)
	assert.ErrorIs(t, got, envelope.ErrForbidden)
	var ee *envelope.Error
	require.True(t, errors.As(got, &ee))
	assert.Equal(t, "insufficient_scope", envelope.OAuthCode(ee))

	serve(e.Require("x")(okHandler), httptest.NewRequest("GET", "/", nil))
	assert.ErrorIs(t, got, ErrNoPrincipal)
	assert.ErrorIs(t, got, envelope.ErrUnauthorized)
}

func TestConfigOptions(t *testing.T) {
	e := must(New(Config{
		Style:                  envelope.Flat,
		OmitChallenge:          true,
		UnauthenticatedMessage: "Invalid or missing API token",
		Message:                func(s string) string { return "missing " + s },
	}))
	w := serve(e.Require("a")(okHandler), withScopes(httptest.NewRequest("GET", "/", nil)))
	assert.Equal(t, 403, w.Code)
	assert.Empty(t, w.Header().Values("WWW-Authenticate"))
	assert.Equal(t, `{"success":false,"error":"Forbidden","message":"missing a"}`, w.Body.String())

	w = serve(e.Require("a")(okHandler), httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, 401, w.Code)
	assert.Equal(t, []string{"Bearer"}, w.Header().Values("WWW-Authenticate"), "a 401 always carries a challenge (RFC 9110 §15.5.2)")
	assert.Equal(t, `{"success":false,"error":"Unauthorized","message":"Invalid or missing API token"}`, w.Body.String())

	// An API whose credential is not a bearer token names its own scheme.
	e = must(New(Config{OmitChallenge: true, Challenge: `ApiKey realm="api"`}))
	w = serve(e.Require("a")(okHandler), httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, 401, w.Code)
	assert.Equal(t, []string{`ApiKey realm="api"`}, w.Header().Values("WWW-Authenticate"))
	w = serve(e.Require("a")(okHandler), withScopes(httptest.NewRequest("GET", "/", nil)))
	assert.Equal(t, 403, w.Code)
	assert.Empty(t, w.Header().Values("WWW-Authenticate"))

	_, err := New(Config{Challenge: "ApiKey\r\nX: y"})
	assert.Error(t, err, "a challenge with control characters")
}

func TestRouteTable(t *testing.T) {
	routes := map[string]Rule{
		"GET /products":             {All: []string{"products:read"}},
		"POST /products":            {All: []string{"products:write"}},
		"POST /orders/{id}/fulfill": {All: []string{"orders:write"}},
		"GET /reports/":             {Any: []string{"analytics:read", "admin"}},
		"GET /health":               {},
	}
	strict := must(New(Config{Style: envelope.Flat, Routes: routes}))
	lenient := must(New(Config{Style: envelope.Flat, Routes: routes, AllowUnlisted: true}))

	tests := []struct {
		name       string
		e          *Enforcer
		method     string
		path       string
		scopes     []string
		noAuth     bool
		wantStatus int
		wantMsg    string
	}{
		{"read allowed", strict, "GET", "/products", []string{"products:read"}, false, 204, ""},
		{"HEAD follows GET", strict, "HEAD", "/products", []string{"products:read"}, false, 204, ""},
		{"write needs write", strict, "POST", "/products", []string{"products:read"}, false, 403, "Token does not have the required scope: products:write"},
		{"wildcard segment", strict, "POST", "/orders/42/fulfill", []string{"orders:write"}, false, 204, ""},
		{"wildcard segment denied", strict, "POST", "/orders/42/fulfill", []string{"orders:read"}, false, 403, "Token does not have the required scope: orders:write"},
		{"subtree any", strict, "GET", "/reports/revenue", []string{"admin"}, false, 204, ""},
		{"principal only", strict, "GET", "/health", nil, false, 204, ""},
		{"no principal", strict, "GET", "/products", nil, true, 401, "Authentication required"},
		{"unlisted path refused", strict, "GET", "/secret", []string{"products:read"}, false, 403, "Insufficient permissions"},
		{"unlisted method refused", strict, "DELETE", "/products", []string{"products:write"}, false, 403, "Insufficient permissions"},
		{"unlisted allowed when configured", lenient, "GET", "/secret", nil, true, 204, ""},
		{"listed still enforced when lenient", lenient, "POST", "/products", []string{"products:read"}, false, 403, "Token does not have the required scope: products:write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, nil)
			if !tt.noAuth {
				r = withScopes(r, tt.scopes...)
			}
			w := serve(tt.e.Middleware(okHandler), r)
			assert.Equal(t, tt.wantStatus, w.Code)
			if tt.wantMsg != "" {
				assert.Contains(t, w.Body.String(), `"message":"`+tt.wantMsg+`"`)
			}
		})
	}
}

// TestAllowUnlistedNormalisedPaths guards against unclean paths let
// through by AllowUnlisted: ServeMux answers "/admin", "/admin//users" and
// "/x/../admin/users" with a redirect rather than the "/admin/" rule, and
// such an answer must not be taken for "unlisted", since chi or gin may
// serve those paths at the admin handler. A path that normalises onto a
// listed pattern meets that pattern's rule, and one with dot segments is
// refused.
func TestAllowUnlistedNormalisedPaths(t *testing.T) {
	routes := map[string]Rule{
		"GET /admin/":   {All: []string{"admin"}},
		"GET /products": {All: []string{"products:read"}},
	}
	lenient := must(New(Config{Routes: routes, AllowUnlisted: true}))
	strict := must(New(Config{Routes: routes}))
	const (
		enforced   = "Token does not have the required scope: admin"
		notListed  = "Insufficient permissions"
		readerOnly = "read"
	)
	for _, tt := range []struct {
		path   string
		reader int // status for a principal with only "read"
		admin  int // status for a principal with "admin"
		msg    string
	}{
		{"/admin/users", 403, 204, enforced},
		{"/admin", 403, 204, enforced}, // subtree root: ServeMux redirects to /admin/
		{"/admin/", 403, 204, enforced},
		{"/admin//users", 403, 204, enforced},
		{"//admin/users", 403, 204, enforced},
		{"/admin/users/", 403, 204, enforced},
		{"/admin%2Fusers", 403, 204, enforced}, // gin decodes before routing
		{"/%61dmin/users", 403, 204, enforced},
		{"/admin%2F", 403, 204, enforced},
		{"/x/../admin/users", 403, 403, notListed}, // dot segments: refused
		{"/admin/./users", 403, 403, notListed},
		{"/admin/x/..", 403, 403, notListed},
		{"/x/%2e%2e/admin/users", 403, 403, notListed},
		{"/public//x", 403, 403, notListed}, // unclean, and its rule unknown
		{"/products//", 403, 403, notListed},
		{"/public", 204, 204, ""},    // canonical and unlisted
		{"/public/x/", 204, 204, ""}, // canonical and unlisted
		// ServeMux matching is case-sensitive: "/ADMIN" is another path,
		// unlisted. A router that matches case-insensitively must have
		// its variants listed, or AllowUnlisted off.
		{"/ADMIN/users", 204, 204, ""},
	} {
		t.Run(tt.path, func(t *testing.T) {
			for _, c := range []struct {
				scope string
				want  int
			}{{readerOnly, tt.reader}, {"admin", tt.admin}} {
				r := withScopes(httptest.NewRequest("GET", "http://api.example"+tt.path, nil), c.scope)
				w := serve(lenient.Middleware(okHandler), r)
				assert.Equal(t, c.want, w.Code, "scope %s", c.scope)
				if c.want == 403 {
					assert.Contains(t, w.Body.String(), `"message":"`+tt.msg+`"`)
				}
				p, err := lenient.Check(r)
				if c.want == 204 {
					assert.NoError(t, err)
					assert.Equal(t, []string{c.scope}, p.Scopes)
				} else {
					assert.Error(t, err)
				}
			}
		})
	}

	t.Run("no principal on a normalised path is 401", func(t *testing.T) {
		w := serve(lenient.Middleware(okHandler), httptest.NewRequest("GET", "/admin//users", nil))
		assert.Equal(t, 401, w.Code)
	})
	t.Run("POST is not listed", func(t *testing.T) {
		w := serve(lenient.Middleware(okHandler), withScopes(httptest.NewRequest("POST", "/admin", nil), readerOnly))
		assert.Equal(t, 204, w.Code)
	})
	t.Run("without AllowUnlisted, unclean paths stay refused", func(t *testing.T) {
		for _, p := range []string{"/admin", "/admin//users", "/x/../admin/users"} {
			w := serve(strict.Middleware(okHandler), withScopes(httptest.NewRequest("GET", p, nil), "admin"))
			assert.Equal(t, 403, w.Code, p)
			assert.Contains(t, w.Body.String(), notListed)
		}
	})
}

func TestNoTableNeedsOnlyPrincipal(t *testing.T) {
	e := must(New(Config{}))
	assert.Equal(t, 204, serve(e.Middleware(okHandler), withScopes(httptest.NewRequest("GET", "/", nil))).Code)
	assert.Equal(t, 401, serve(e.Middleware(okHandler), httptest.NewRequest("GET", "/", nil)).Code)

	p, err := e.Check(withScopes(httptest.NewRequest("GET", "/", nil), "a"))
	require.NoError(t, err)
	assert.Equal(t, "user-1", p.Subject)
}

func TestGrants(t *testing.T) {
	p := gatehouse.Principal{Subject: "u", Scopes: []string{"products:write", "orders:*", "admin"}}
	exact := must(New(Config{}))
	assert.True(t, exact.Grants(p, "products:write"))
	assert.False(t, exact.Grants(p, "products:read"))
	assert.False(t, exact.Grants(p, "orders:read"))

	rich := must(New(Config{Wildcards: true, Implies: map[string][]string{"products:write": {"products:read"}}}))
	assert.True(t, rich.Grants(p, "products:read"))
	assert.True(t, rich.Grants(p, "orders:read"))
	assert.False(t, rich.Grants(p, "settings:read"))
	assert.False(t, rich.Grants(p, "bad scope"))
}

type recorder struct {
	mu     sync.Mutex
	events []gatehouse.Event
}

func (r *recorder) Audit(_ context.Context, e gatehouse.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func TestAudit(t *testing.T) {
	rec := &recorder{}
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	e := must(New(Config{Audit: rec, Now: func() time.Time { return now }}))
	h := e.Require("orders:write")(okHandler)

	r := withScopes(httptest.NewRequest("POST", "/orders?token=secret", nil), "orders:read")
	r.RemoteAddr = "192.0.2.7:1234"
	serve(h, r)
	serve(h, withScopes(httptest.NewRequest("POST", "/orders", nil), "orders:write"))
	serve(h, httptest.NewRequest("POST", "/orders", nil))

	require.Len(t, rec.events, 3)
	d := rec.events[0]
	assert.Equal(t, "scopes", d.Source)
	assert.Equal(t, "authorize", d.Action)
	assert.Equal(t, gatehouse.Denied, d.Outcome)
	assert.Equal(t, "insufficient_scope", string(d.Reason))
	assert.Equal(t, 403, d.Status)
	assert.Equal(t, "user-1", d.Subject)
	assert.Equal(t, "acme", d.Tenant)
	assert.Equal(t, "tok-1", d.CredID)
	assert.Equal(t, now, d.Time)
	assert.Equal(t, "/orders", d.Path)
	assert.Equal(t, "192.0.2.7", d.ClientIP.String())

	assert.Equal(t, gatehouse.Allowed, rec.events[1].Outcome)
	assert.Equal(t, 0, rec.events[1].Status)
	assert.Equal(t, "no_principal", string(rec.events[2].Reason))
	assert.Equal(t, 401, rec.events[2].Status)
}

// TestEndToEnd runs a real loopback server behind a fake authenticator.
func TestEndToEnd(t *testing.T) {
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tok := r.Header.Get("Authorization"); tok == "Bearer reader" {
				r = withScopes(r, "products:read")
			}
			next.ServeHTTP(w, r)
		})
	}
	mux := http.NewServeMux()
	mux.Handle("GET /products", Require("products:read")(okHandler))
	mux.Handle("POST /products", Require("products:write")(okHandler))
	srv := httptest.NewServer(gatehouse.Chain(envelope.Use(envelope.Flat), auth)(mux))
	defer srv.Close()

	do := func(method, token string) *http.Response {
		req, err := http.NewRequest(method, srv.URL+"/products", nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := srv.Client().Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}
	assert.Equal(t, 204, do("GET", "reader").StatusCode)
	res := do("POST", "reader")
	assert.Equal(t, 403, res.StatusCode)
	assert.Equal(t, `Bearer error="insufficient_scope", scope="products:write"`, res.Header.Get("WWW-Authenticate"))
	assert.Equal(t, 401, do("GET", "").StatusCode)
}

// TestListedEscapedSlash: ServeMux matches "/admin%2Fusers" as the one
// segment "admin/users" (the catch-all), and a router that decodes escapes
// before routing, as gin does, serves it as "/admin/users" at the admin
// handler: the path must meet the admin rule too, over a real server.
func TestListedEscapedSlash(t *testing.T) {
	e, err := New(Config{Routes: map[string]Rule{
		"GET /":       {},                       // any authenticated caller
		"GET /admin/": {All: []string{"admin"}}, // admins only
	}})
	if err != nil {
		t.Fatal(err)
	}
	// The application's router: decodes the path before routing, as gin
	// does by default (UseRawPath false: it routes on r.URL.Path).
	app := http.NewServeMux()
	app.HandleFunc("GET /admin/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "admin area") })
	app.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "public") })
	decoding := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.RawPath = ""
		app.ServeHTTP(w, r2)
	})
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipal(r.Context(), gatehouse.Principal{
				Subject: "reader", Method: gatehouse.MethodOpaque, TokenID: "t1", Scopes: []string{"read"},
			})))
		})
	}
	srv := httptest.NewServer(gatehouse.Chain(auth, e.Middleware)(decoding))
	defer srv.Close()

	// Sanity: the plain path is refused.
	resp, err := http.Get(srv.URL + "/admin/users")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("/admin/users: status %d, want 403", resp.StatusCode)
	}

	resp, err = http.Get(srv.URL + "/admin%2Fusers")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("/admin%%2Fusers with only scope \"read\": status %d body %q; want 403 (the admin rule of its decoded form)", resp.StatusCode, body)
	}
}

// TestListedEscapedDotSegments: a listed path whose escapes decode into
// dot segments ("/files/..%2Fadmin%2Fusers", which ServeMux matches as one
// segment of "GET /files/{name}", and a router that decodes and cleans
// serves as "/admin/users") is refused: routers disagree on resolving dot
// segments.
func TestListedEscapedDotSegments(t *testing.T) {
	e := must(New(Config{Routes: map[string]Rule{
		"GET /files/{name}": {},                       // any authenticated caller
		"GET /admin/":       {All: []string{"admin"}}, // admins only
	}}))
	reached := ""
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The application's router: decodes and cleans, then routes.
		reached = path.Clean(r.URL.Path)
		w.WriteHeader(http.StatusNoContent)
	})
	r := withScopes(httptest.NewRequest("GET", "/files/..%2Fadmin%2Fusers", nil), "read")
	if r.URL.RawPath == "" {
		t.Fatal("test setup: RawPath not set")
	}
	w := serve(e.Middleware(app), r)
	if w.Code != http.StatusForbidden {
		t.Errorf("status %d, app served %q with only scope \"read\"; want 403 (the admin rule of the decoded form, or refused as a dot-segment path)", w.Code, reached)
	}
}

// TestConnectPathNotCleaned: ServeMux neither cleans nor redirects the
// path of a CONNECT request, so "/public/../admin/x" matches "/public/"
// as it stands. Such a path is judged as the mux judges any unclean path:
// refused with dot segments, and with AllowUnlisted held to the rule of
// its cleaned form. Real requests over loopback, since a CONNECT with a
// path reaches a handler only through net/http's own request parsing.
func TestConnectPathNotCleaned(t *testing.T) {
	for _, allowUnlisted := range []bool{false, true} {
		e := must(New(Config{AllowUnlisted: allowUnlisted, Routes: map[string]Rule{
			"/public/": {},
			"/admin/":  {All: []string{"admin"}},
		}}))
		auth := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				next.ServeHTTP(w, withScopes(r, "read"))
			})
		}
		srv := httptest.NewServer(gatehouse.Chain(auth, e.Middleware)(okHandler))
		unclean := http.StatusForbidden // not listed as it stands
		if allowUnlisted {
			unclean = http.StatusNoContent // the rule of "/public/x"
		}
		for _, tc := range []struct {
			target string
			want   int
		}{
			{"/public/x", http.StatusNoContent},
			{"/admin/x", http.StatusForbidden},
			{"/public/../admin/x", http.StatusForbidden},
			{"/public/./x", http.StatusForbidden},
			{"//admin/x", http.StatusForbidden},
			{"/public//x", unclean},
		} {
			c, err := net.Dial("tcp", srv.Listener.Addr().String())
			require.NoError(t, err)
			_, err = fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: api.test\r\n\r\n", tc.target)
			require.NoError(t, err)
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			require.NoError(t, err)
			assert.Equal(t, tc.want, resp.StatusCode, "CONNECT %s, AllowUnlisted %v", tc.target, allowUnlisted)
			c.Close()
		}
		srv.Close()
	}
}
