package blackbox

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/internal/assertionhook"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/scopes"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// surface is every gatehouse middleware and handler on one loopback
// server, each in its default configuration, under one envelope style.
type surface struct {
	srv    *httptest.Server
	iss    *issuer.Issuer
	clk    *clock
	key    string // a valid API key of tenant t1, surface "s1"
	secret string // client c1's secret
}

func newSurface(t *testing.T, style envelope.Style) *surface {
	t.Helper()
	s := &surface{clk: newClock()}
	ctx := context.Background()
	hash, err := issuer.HashPassword("alice-password", bcrypt.MinCost)
	require.NoError(t, err)
	creds, err := issuer.NewMemoryCredentials(
		issuer.Account{Username: "alice", PasswordHash: hash, Subject: "alice", Scopes: []string{"read"}},
		issuer.Account{Username: "bob", PasswordHash: hash, Subject: "bob", Scopes: []string{"read"}},
	)
	require.NoError(t, err)
	var chash [32]byte
	s.secret, chash = tokenendpoint.GenerateClientSecret()
	clients, err := tokenendpoint.NewMemoryClients(tokenendpoint.Client{ID: "c1", SecretHash: chash, AssertionKey: secret, Scopes: []string{"read"}})
	require.NoError(t, err)
	lists := ipallow.NewMemoryLists()
	require.NoError(t, lists.Set(ctx, "bob", []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}))
	per, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: lists, Now: s.clk.Now})
	require.NoError(t, err)
	rev := bearer.NewMemoryRevocations(s.clk.Now)
	s.iss, err = issuer.New(issuer.Config{
		Issuer: "bb", Audiences: []string{"bb-api"}, Key: issuer.SigningKey{Key: secret},
		Credentials: creds, Revocations: rev, Accounts: per,
		BcryptCost: bcrypt.MinCost, Now: s.clk.Now,
	})
	require.NoError(t, err)
	ep, err := tokenendpoint.New(tokenendpoint.Config{
		Issuer: "bb", Audiences: []string{"bb-api"}, Key: tokenendpoint.SigningKey{Key: secret},
		Clients: clients, ReplayClaim: "notificationKey", Assertion: assertionhook.Vouchers(tokenendpoint.InvalidGrant), Now: s.clk.Now,
	})
	require.NoError(t, err)
	bc := s.iss.BearerConfig(rev)
	bc.Now = s.clk.Now
	auth, err := bearer.New(bc)
	require.NoError(t, err)

	keys := apikey.NewMemoryStore()
	var rec apikey.Record
	s.key, rec, err = apikey.Generate("live")
	require.NoError(t, err)
	rec.Tenant, rec.Surfaces, rec.Scopes = "t1", []string{"s1"}, []string{"read"}
	require.NoError(t, keys.Put(ctx, rec))
	byKey, err := apikey.New(apikey.Config{Store: keys, Surface: "s1", Tenant: apikey.TenantHeaderOr("X-Tenant", "t1"), Now: s.clk.Now})
	require.NoError(t, err)
	otherSurface, err := apikey.New(apikey.Config{Store: keys, Surface: "s2", Now: s.clk.Now})
	require.NoError(t, err)
	deny, err := ipallow.New(ipallow.Config{Allow: []string{"192.0.2.0/24"}, Now: s.clk.Now})
	require.NoError(t, err)

	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := gatehouse.PrincipalFrom(r.Context())
		_ = json.NewEncoder(w).Encode(p.Scopes)
	})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", s.iss.Login)
	mux.HandleFunc("POST /refresh", s.iss.Refresh)
	mux.HandleFunc("POST /logout", s.iss.Logout)
	mux.Handle("POST /token", ep)
	mux.Handle("/bearer", auth.Middleware(echo))
	mux.Handle("/bearer/admin", auth.Middleware(scopes.Require("admin")(echo)))
	mux.Handle("/bearer/allow", gatehouse.Chain(auth.Middleware, per.Middleware)(echo))
	mux.Handle("/bearer/static", gatehouse.Chain(auth.Middleware, deny.Middleware)(echo))
	mux.Handle("/bearer/m2m", gatehouse.Chain(auth.Middleware, tokenendpoint.RequireSession(tokenendpoint.SessionM2M))(echo))
	mux.Handle("/key", byKey.Middleware(echo))
	mux.Handle("/key/admin", byKey.Middleware(scopes.Require("admin")(echo)))
	mux.Handle("/key/s2", otherSurface.Middleware(echo))
	mux.Handle("/noauth/scoped", scopes.Require("read")(echo))
	s.srv = httptest.NewServer(envelope.Use(style)(mux))
	t.Cleanup(s.srv.Close)
	return s
}

// access returns an access token of sub valid for an hour.
func (s *surface) access(t *testing.T, sub string, scopes ...string) string {
	t.Helper()
	at, err := s.iss.IssueAccess(issuer.AccessClaims{Session: issuer.Session{Subject: sub, Scopes: scopes}})
	require.NoError(t, err)
	return at.Token
}

// probe is one request of a refusal walk.
type probe struct {
	name, method, path string
	header             http.Header
	body               string
}

// challengeSyntax is a WWW-Authenticate value: a scheme token, then
// nothing or auth-params (loosely).
var challengeSyntax = regexp.MustCompile(`^[!#$%&'*+.^_` + "`" + `|~0-9A-Za-z-]+( .+)?$`)

// refusals lists requests that every part of the surface must refuse.
func (s *surface) refusals(t *testing.T) []probe {
	expired := func() string {
		old := s.clk.Now()
		s.clk.Add(-2 * time.Hour)
		defer s.clk.Set(old)
		return s.access(t, "alice", "read")
	}()
	garbage := "Bearer eyJhbGciOiJIUzI1NiJ9.e30.AAAA"
	m2mRefused := s.access(t, "alice", "read") // not a token-endpoint session
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Add(kv[i], kv[i+1])
		}
		return out
	}
	var ps []probe
	for _, path := range []string{"/bearer", "/bearer/admin", "/bearer/allow", "/bearer/static", "/bearer/m2m"} {
		ps = append(ps,
			probe{"none", "GET", path, nil, ""},
			probe{"garbage", "GET", path, h("Authorization", garbage), ""},
			probe{"expired", "GET", path, bearerH(expired), ""},
			probe{"basic", "GET", path, h("Authorization", "Basic YTpi"), ""},
			probe{"api key instead", "GET", path, h("ApiKey", s.key), ""},
		)
	}
	ps = append(ps, probe{"m2m with a login token", "GET", "/bearer/m2m", bearerH(m2mRefused), ""})
	for _, path := range []string{"/key", "/key/admin", "/key/s2"} {
		ps = append(ps,
			probe{"none", "GET", path, nil, ""},
			probe{"garbage", "GET", path, h("ApiKey", "ak_live_garbage"), ""},
			probe{"bearer instead", "GET", path, bearerH(m2mRefused), ""},
			probe{"other tenant", "GET", path, h("ApiKey", s.key, "X-Tenant", "t2"), ""},
		)
	}
	ps = append(ps,
		probe{"no principal", "GET", "/noauth/scoped", nil, ""},
		probe{"wrong password", "POST", "/login", jsonH, `{"username":"alice","password":"nope"}`},
		probe{"unknown user", "POST", "/login", jsonH, `{"username":"carol","password":"nope"}`},
		probe{"garbage refresh", "POST", "/refresh", jsonH, `{"refresh_token":"rt_garbage"}`},
		probe{"access as refresh", "POST", "/refresh", jsonH, `{"refresh_token":"` + m2mRefused + `"}`},
		probe{"logout without token", "POST", "/logout", nil, ""},
		probe{"logout garbage", "POST", "/logout", h("Authorization", garbage), ""},
		probe{"logout expired (idempotent or 401)", "POST", "/logout", bearerH(expired), ""},
		probe{"token unknown client", "POST", "/token", jsonH, `{"grant_type":"client_credentials","client_id":"nobody","client_secret":"x"}`},
		probe{"token wrong secret", "POST", "/token", jsonH, `{"grant_type":"client_credentials","client_id":"c1","client_secret":"x"}`},
		probe{"token basic wrong", "POST", "/token", h("Authorization", "Basic YzE6eA==", "Content-Type", "application/x-www-form-urlencoded"), "grant_type=client_credentials"},
		probe{"token bearer scheme", "POST", "/token", h("Authorization", "Bearer x", "Content-Type", "application/x-www-form-urlencoded"), "grant_type=client_credentials&client_id=c1&client_secret=x"},
	)
	return ps
}

// Item 2: every 401 any part of the library writes carries a
// WWW-Authenticate challenge, in every built-in style.
func TestEvery401HasAChallenge(t *testing.T) {
	for name, style := range map[string]envelope.Style{"nested": envelope.Nested, "flat": envelope.Flat, "numeric": envelope.Numeric, "oauth": envelope.OAuth, "problem": envelope.Problem} {
		t.Run(name, func(t *testing.T) {
			s := newSurface(t, style)
			seen := 0
			for _, p := range s.refusals(t) {
				res := do(t, nil, p.method, s.srv.URL+p.path, p.header, p.body)
				if res.status == 200 && p.name == "logout expired (idempotent or 401)" {
					continue
				}
				if !(res.status >= 400 && res.status < 500) {
					t.Errorf("%s %s (%s): %d %s, want a 4xx refusal", p.method, p.path, p.name, res.status, res.body)
					continue
				}
				if res.status != 401 {
					continue
				}
				seen++
				for _, c := range res.header.Values("WWW-Authenticate") {
					if !challengeSyntax.MatchString(c) {
						t.Errorf("%s %s (%s): malformed challenge %q", p.method, p.path, p.name, c)
					}
				}
				if res.header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s %s (%s): 401 without WWW-Authenticate: %s", p.method, p.path, p.name, res.body)
				}
			}
			require.Greater(t, seen, 20, "the walk reaches the 401s")
		})
	}
}
