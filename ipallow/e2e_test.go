package ipallow_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clientFrom returns an HTTP client whose connections leave from the
// loopback address src, so that one test can play several distinct hosts.
func clientFrom(t *testing.T, src string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// headerAuth is a stand-in for bearer or apikey: it trusts X-Account.
func headerAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := gatehouse.Principal{Subject: "user", Tenant: r.Header.Get("X-Account")}
		next.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipal(r.Context(), p)))
	})
}

// backend builds the API under test: a static allowlist for the whole
// API, then per-account lists after authentication, plus a login handler
// that applies the account list before any principal exists.
func backend(t *testing.T, trusted []string) http.Handler {
	t.Helper()
	res, err := ipallow.NewResolver(ipallow.ResolverConfig{TrustedProxies: trusted})
	require.NoError(t, err)
	static, err := ipallow.New(ipallow.Config{Allow: []string{"127.0.0.2", "127.0.0.3"}, Deny: []string{"127.0.0.9"}})
	require.NoError(t, err)
	lists := ipallow.NewMemoryLists()
	require.NoError(t, lists.Set(context.Background(), "acct_a", []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}))
	accounts, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: lists})
	require.NoError(t, err)

	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, gatehouse.ClientAddr(r).String())
	})
	login := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Account string `json:"account"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			envelope.Write(w, r, envelope.ErrSyntax)
			return
		}
		if err := accounts.CheckAccount(r.Context(), body.Account, gatehouse.ClientAddr(r)); err != nil {
			envelope.Write(w, r, err)
			return
		}
		_, _ = io.WriteString(w, "token for "+body.Account)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /v1/me", gatehouse.Chain(headerAuth, accounts.Middleware)(echo))
	mux.Handle("POST /auth/login", login)
	return gatehouse.Chain(res.Middleware, static.Middleware)(mux)
}

type call struct {
	name    string
	from    string
	method  string
	path    string
	account string
	xff     string
	body    string
	want    int
	wantIP  string
}

func run(t *testing.T, base string, calls []call) {
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
			require.NoError(t, err)
			if c.account != "" {
				req.Header.Set("X-Account", c.account)
			}
			if c.xff != "" {
				req.Header.Set("X-Forwarded-For", c.xff)
			}
			resp, err := clientFrom(t, c.from).Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, c.want, resp.StatusCode, string(body))
			if c.want == http.StatusForbidden {
				assert.JSONEq(t, `{"error":{"name":"ForbiddenError","code":"FORBIDDEN","message":"IP address not authorized"}}`, string(body))
			}
			if c.wantIP != "" {
				assert.Equal(t, c.wantIP, string(body))
			}
		})
	}
}

func TestEndToEndDirect(t *testing.T) {
	srv := httptest.NewServer(backend(t, nil))
	t.Cleanup(srv.Close)
	run(t, srv.URL, []call{
		{name: "allowed host, account list matches", from: "127.0.0.2", method: "GET", path: "/v1/me", account: "acct_a", want: 200, wantIP: "127.0.0.2"},
		{name: "allowed host, account list refuses", from: "127.0.0.3", method: "GET", path: "/v1/me", account: "acct_a", want: 403},
		{name: "account without list", from: "127.0.0.3", method: "GET", path: "/v1/me", account: "acct_b", want: 200, wantIP: "127.0.0.3"},
		{name: "spoofed XFF is ignored", from: "127.0.0.3", method: "GET", path: "/v1/me", account: "acct_a", xff: "127.0.0.2", want: 403},
		{name: "host not on static list", from: "127.0.0.4", method: "GET", path: "/v1/me", account: "acct_b", want: 403},
		{name: "host on deny list", from: "127.0.0.9", method: "GET", path: "/v1/me", account: "acct_b", want: 403},
		{name: "login from listed host", from: "127.0.0.2", method: "POST", path: "/auth/login", body: `{"account":"acct_a"}`, want: 200},
		{name: "login from unlisted host", from: "127.0.0.3", method: "POST", path: "/auth/login", body: `{"account":"acct_a"}`, want: 403},
		{name: "login, account without list", from: "127.0.0.3", method: "POST", path: "/auth/login", body: `{"account":"acct_b"}`, want: 200},
	})
}

func TestEndToEndBehindProxy(t *testing.T) {
	// The backend trusts only the proxy's address, 127.0.0.1.
	api := httptest.NewServer(backend(t, []string{"127.0.0.1/32"}))
	t.Cleanup(api.Close)
	target, err := url.Parse(api.URL)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(target) // appends the peer to X-Forwarded-For
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.1")}}
	rpTransport := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(rpTransport.CloseIdleConnections)
	rp.Transport = rpTransport
	proxy := httptest.NewServer(rp)
	t.Cleanup(proxy.Close)

	t.Run("through the proxy", func(t *testing.T) {
		run(t, proxy.URL, []call{
			{name: "client address seen through the proxy", from: "127.0.0.2", method: "GET", path: "/v1/me", account: "acct_a", want: 200, wantIP: "127.0.0.2"},
			{name: "account list refuses other host", from: "127.0.0.3", method: "GET", path: "/v1/me", account: "acct_a", want: 403},
			{name: "spoofed XFF cannot impersonate", from: "127.0.0.3", method: "GET", path: "/v1/me", account: "acct_a", xff: "127.0.0.2", want: 403},
			{name: "spoofed XFF is not the answer", from: "127.0.0.3", method: "GET", path: "/v1/me", account: "acct_b", xff: "127.0.0.2", want: 200, wantIP: "127.0.0.3"},
			{name: "garbage left of the client is harmless", from: "127.0.0.2", method: "GET", path: "/v1/me", account: "acct_a", xff: "junk", want: 200, wantIP: "127.0.0.2"},
			{name: "static list applies to the real client", from: "127.0.0.4", method: "GET", path: "/v1/me", account: "acct_b", want: 403},
			{name: "login through proxy", from: "127.0.0.2", method: "POST", path: "/auth/login", body: `{"account":"acct_a"}`, want: 200},
			{name: "login through proxy refused", from: "127.0.0.3", method: "POST", path: "/auth/login", body: `{"account":"acct_a"}`, want: 403},
		})
	})
	t.Run("around the proxy", func(t *testing.T) {
		run(t, api.URL, []call{
			{name: "direct client is still itself", from: "127.0.0.2", method: "GET", path: "/v1/me", account: "acct_a", want: 200, wantIP: "127.0.0.2"},
			{name: "untrusted peer cannot forward", from: "127.0.0.3", method: "GET", path: "/v1/me", account: "acct_a", xff: "127.0.0.2", want: 403},
			{name: "the trusted proxy's malformed chain fails closed", from: "127.0.0.1", method: "GET", path: "/v1/me", account: "acct_b", xff: "127.0.0.2, unknown", want: 403},
			{name: "the trusted proxy's chain is read", from: "127.0.0.1", method: "GET", path: "/v1/me", account: "acct_a", xff: "127.0.0.2", want: 200, wantIP: "127.0.0.2"},
		})
	})
}
