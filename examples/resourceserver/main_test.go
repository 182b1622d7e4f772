package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/dpop"

	"github.com/gatehouse-go/gatehouse/internal/logbuf"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/bearer/bearertest"
	"github.com/gatehouse-go/gatehouse/examples/internal/serve"
	"github.com/gatehouse-go/gatehouse/gatehousetest"
)

// startRun runs the command, as main does, on a loopback listener with
// args, and returns its base URL and log. The server is stopped, and run's
// return awaited, when the test ends.
func startRun(t *testing.T, args ...string) (string, *logbuf.Buffer) {
	t.Helper()
	logs := &logbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), io.Discard, logs, ready) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("run did not return within 10s of its context's end")
		}
	})
	select {
	case addr := <-ready:
		return "http://" + addr, logs
	case err := <-done:
		t.Fatalf("run: %v\n%s", err, logs)
	case <-time.After(10 * time.Second):
		t.Fatalf("the server did not start within 10s\n%s", logs)
	}
	return "", nil
}

type response struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, url, token string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{res.StatusCode, res.Header, string(b)}
}

// newProvider starts an OpenID provider on loopback served as cfg says.
func newProvider(t *testing.T, cfg bearertest.ProviderConfig) *gatehousetest.Provider {
	t.Helper()
	return gatehousetest.NewProvider(t, gatehousetest.WithProviderConfig(cfg))
}

// claims are the claims of user-42's token for aud, with scopes.
func claims(aud string, scopes ...string) gatehousetest.Claims {
	return gatehousetest.Claims{Subject: "user-42", Audience: []string{aud}, Scopes: scopes}
}

// waitReady polls /readyz until it answers 200, for at most 15s.
func waitReady(t *testing.T, base string) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, http.StatusOK, get(t, base+"/readyz", "").status)
	}, 15*time.Second, 20*time.Millisecond, "/readyz never answered 200")
}

// TestDiscovery runs the server with -issuer and -audience only: the JWK Set
// is found by discovery, whatever the issuer's shape and the metadata
// location the provider serves.
func TestDiscovery(t *testing.T) {
	for name, cfg := range map[string]bearertest.ProviderConfig{
		"OpenID, at the origin":            {},
		"OpenID, path with trailing slash": {Path: "/tenant/"},
		"OpenID, realm path, RS256":        {Path: "/realms/demo", Algorithm: "RS256"},
		"RFC 8414 only":                    {Path: "/oauth2/default", Discovery: "oauth"},
	} {
		t.Run(name, func(t *testing.T) {
			p := newProvider(t, cfg)
			base, logs := startRun(t, "-issuer", p.Issuer(), "-audience", "https://api.test")
			waitReady(t, base)
			assert.Positive(t, p.Stats().Discovery)

			r := get(t, base+"/api/v1/whoami", p.Token(t, claims("https://api.test", "openid")))
			require.Equal(t, http.StatusOK, r.status, r.body)
			assert.Contains(t, r.body, `"subject":"user-42"`)
			assert.Contains(t, r.body, `"issuer":"`+p.Issuer()+`"`)

			r = get(t, base+"/api/v1/products", p.Token(t, claims("https://api.test", "openid")))
			assert.Equal(t, http.StatusForbidden, r.status, r.body)
			assert.Equal(t, `Bearer realm="api", error="insufficient_scope", scope="products:read", resource_metadata="`+base+`/.well-known/oauth-protected-resource"`,
				r.header.Get("WWW-Authenticate"))

			r = get(t, base+"/api/v1/products", p.Token(t, claims("https://api.test", "openid", "products:read")))
			assert.Equal(t, http.StatusOK, r.status, r.body)
			assert.Contains(t, r.body, "Gift card")

			assert.Equal(t, http.StatusUnauthorized, get(t, base+"/api/v1/whoami", "").status)
			assert.Eventually(t, func() bool { return strings.Contains(logs.String(), "issuer ready: key set found by discovery") },
				5*time.Second, 10*time.Millisecond, "%s", logs)
		})
	}
}

// TestTwoIssuers checks that each issuer's tokens are verified with its own
// keys and audiences only.
func TestTwoIssuers(t *testing.T) {
	a := newProvider(t, bearertest.ProviderConfig{Path: "/a"})
	b := newProvider(t, bearertest.ProviderConfig{Path: "/b"}) // ES256 too: a wrong key, not a wrong algorithm
	base, _ := startRun(t,
		"-issuer", a.Issuer(), "-audience", "https://api.test/a",
		"-issuer", b.Issuer(), "-audience", "https://api.test/b", "-audience", "https://api.test/b2")
	waitReady(t, base)
	require.Equal(t, a.KeyID(), b.KeyID(), "both providers name their first key alike")

	withIss := func(c gatehousetest.Claims, iss string) gatehousetest.Claims {
		c.Extra = map[string]any{"iss": iss}
		return c
	}
	for name, c := range map[string]struct {
		token string
		want  int
	}{
		"A's token":                      {a.Token(t, claims("https://api.test/a")), http.StatusOK},
		"B's token":                      {b.Token(t, claims("https://api.test/b")), http.StatusOK},
		"B's token, second audience":     {b.Token(t, claims("https://api.test/b2")), http.StatusOK},
		"A's iss signed with B's key":    {b.Token(t, withIss(claims("https://api.test/a"), a.Issuer())), http.StatusUnauthorized},
		"A's iss, B's key and audience":  {b.Token(t, withIss(claims("https://api.test/b"), a.Issuer())), http.StatusUnauthorized},
		"A's token, an unpublished kid":  {a.Token(t, claims("https://api.test/a"), gatehousetest.UnknownKey()), http.StatusUnauthorized},
		"A's token, a key A never had":   {a.Token(t, claims("https://api.test/a"), gatehousetest.Foreign()), http.StatusUnauthorized},
		"A's audience on B's token":      {b.Token(t, claims("https://api.test/a")), http.StatusUnauthorized},
		"B's audience on A's token":      {a.Token(t, claims("https://api.test/b")), http.StatusUnauthorized},
		"an issuer that is not listed":   {a.Token(t, claims("https://api.test/a"), gatehousetest.WrongIssuer()), http.StatusUnauthorized},
		"no audience":                    {a.Token(t, gatehousetest.Claims{Extra: map[string]any{"aud": nil}}), http.StatusUnauthorized},
		"A's token, expired":             {a.Token(t, claims("https://api.test/a"), gatehousetest.Expired()), http.StatusUnauthorized},
		"B's token with a made-up scope": {b.Token(t, claims("https://api.test/b", "products:write")), http.StatusOK},
	} {
		r := get(t, base+"/api/v1/whoami", c.token)
		assert.Equal(t, c.want, r.status, "%s: %s", name, r.body)
	}
}

// TestReadyz checks /readyz before the providers answer and after.
func TestReadyz(t *testing.T) {
	disc := newProvider(t, bearertest.ProviderConfig{Path: "/disc"})
	jwks := newProvider(t, bearertest.ProviderConfig{Path: "/jwks"})
	disc.Fail(http.StatusServiceUnavailable, 0)
	jwks.Fail(http.StatusServiceUnavailable, 0)
	base, logs := startRun(t,
		"-issuer", disc.Issuer(), "-audience", "https://api.test",
		"-issuer", jwks.Issuer(), "-audience", "https://api.test", "-jwks-url", jwks.JWKSURL())

	// Until the first fetches end, neither issuer has keys; once discovery
	// has failed, /readyz says so.
	var r response
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		r = get(t, base+"/readyz", "")
		assert.Contains(c, r.body, disc.Issuer()+" (discovery failed)")
		assert.Positive(c, jwks.Stats().Failed)
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, http.StatusServiceUnavailable, r.status, r.body)
	assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
	var env struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &env), r.body)
	assert.Equal(t, "SERVICE_UNAVAILABLE", env.Error.Code)
	assert.Contains(t, env.Error.Message, jwks.Issuer()+" (no key set yet)")
	for _, secretish := range []string{"/jwks/jwks", ".well-known", "status 503", "GET "} {
		assert.NotContains(t, r.body, secretish, "the reason quotes the library's error")
	}

	// A token of an issuer without keys is 503, not 401.
	r = get(t, base+"/api/v1/whoami", disc.Token(t, claims("https://api.test")))
	assert.Equal(t, http.StatusServiceUnavailable, r.status, r.body)

	disc.Fail(0, 0)
	jwks.Fail(0, 0)
	waitReady(t, base)
	r = get(t, base+"/readyz", "")
	assert.JSONEq(t, `{"success":true,"data":{"status":"ready"}}`, r.body)
	r = get(t, base+"/api/v1/whoami", disc.Token(t, claims("https://api.test")))
	assert.Equal(t, http.StatusOK, r.status, r.body)
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "ready: every issuer has a usable key set") },
		5*time.Second, 10*time.Millisecond, "%s", logs)
	assert.Contains(t, logs.String(), "issuer ready: key set fetched")
	assert.Contains(t, logs.String(), "key set fetch failed", "bearer logs the failures to the app's logger")
}

// TestMetadata checks the RFC 9728 document and the challenges naming it.
func TestMetadata(t *testing.T) {
	a := newProvider(t, bearertest.ProviderConfig{Path: "/a/"})
	b := newProvider(t, bearertest.ProviderConfig{Path: "/b"})
	issuers := []string{"-issuer", a.Issuer(), "-audience", "https://api.test", "-issuer", b.Issuer(), "-audience", "https://api.test"}

	t.Run("default resource", func(t *testing.T) {
		base, _ := startRun(t, issuers...)
		r := get(t, base+"/.well-known/oauth-protected-resource", "") // no token, not ready: served
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "application/json", r.header.Get("Content-Type"))
		var doc struct {
			Resource             string   `json:"resource"`
			AuthorizationServers []string `json:"authorization_servers"`
			ScopesSupported      []string `json:"scopes_supported"`
			BearerMethods        []string `json:"bearer_methods_supported"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.body), &doc), r.body)
		assert.Equal(t, base, doc.Resource)
		assert.Equal(t, []string{a.Issuer(), b.Issuer()}, doc.AuthorizationServers)
		assert.Contains(t, doc.ScopesSupported, "products:read")
		assert.Equal(t, []string{"header"}, doc.BearerMethods)

		for _, path := range []string{"/api/v1/whoami", "/api/v1/products", "/elsewhere"} {
			r = get(t, base+path, "")
			require.Equal(t, http.StatusUnauthorized, r.status, r.body)
			assert.Contains(t, r.header.Get("WWW-Authenticate"), `resource_metadata="`+base+`/.well-known/oauth-protected-resource"`, path)
		}
	})

	t.Run("resource with a path", func(t *testing.T) {
		base, _ := startRun(t, append(issuers, "-resource", "http://localhost:8443/v1")...)
		r := get(t, base+"/.well-known/oauth-protected-resource/v1", "")
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Contains(t, r.body, `"resource":"http://localhost:8443/v1"`)
		assert.Equal(t, http.StatusUnauthorized, get(t, base+"/.well-known/oauth-protected-resource", "").status,
			"the document of another resource is not served")
		r = get(t, base+"/api/v1/whoami", "")
		assert.Contains(t, r.header.Get("WWW-Authenticate"), `resource_metadata="http://localhost:8443/.well-known/oauth-protected-resource/v1"`)
	})
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{
		"-addr", "127.0.0.1:9000", "-resource", "https://api.example.com", "-algs", " RS256, ,PS256 ", "-dpop", "required",
		"-issuer", "https://a.example.com/", "-audience", "aud-a", "-audience", "aud-a2", "-typ", "at+jwt",
		"-issuer", "https://b.example.com", "-jwks-url", "https://b.example.com/keys", "-audience", "aud-b", "-scope-claim", "scp",
	}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, options{
		addr:     "127.0.0.1:9000",
		resource: "https://api.example.com",
		algs:     []string{"RS256", "PS256"},
		issuers: []bearer.Issuer{
			{URL: "https://a.example.com/", Audiences: []string{"aud-a", "aud-a2"}, TokenType: "at+jwt"},
			{URL: "https://b.example.com", Audiences: []string{"aud-b"}, JWKSURL: "https://b.example.com/keys", ScopeClaim: "scp"},
		},
		dpop: bearer.DPoPRequired,
	}, o)

	o, err = parseFlags([]string{"-issuer", "https://a.example.com", "-audience", "x", "-issuer", "https://b.example.com", "-audience", "x"}, io.Discard)
	require.NoError(t, err, "two issuers may share an audience")
	assert.Equal(t, serve.DefaultAddr, o.addr)
	assert.Equal(t, []string{"RS256", "ES256"}, o.algs)
	assert.Empty(t, o.resource)
	assert.Equal(t, bearer.DPoPAllowed, o.dpop, "DPoP is allowed by default")

	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"no issuer":                    {nil, "at least one -issuer"},
		"audience before any issuer":   {[]string{"-audience", "x", "-issuer", "https://a"}, "-audience: it must follow the -issuer"},
		"typ before any issuer":        {[]string{"-typ", "at+jwt"}, "-typ: it must follow the -issuer"},
		"jwks-url before any issuer":   {[]string{"-jwks-url", "https://a/keys"}, "-jwks-url: it must follow"},
		"scope-claim before any":       {[]string{"-scope-claim", "scp"}, "-scope-claim: it must follow"},
		"issuer without audience":      {[]string{"-issuer", "https://a", "-audience", "x", "-issuer", "https://b"}, "-issuer https://b has no -audience"},
		"typ twice":                    {[]string{"-issuer", "https://a", "-typ", "JWT", "-typ", "at+jwt"}, "given twice"},
		"jwks-url twice":               {[]string{"-issuer", "https://a", "-jwks-url", "https://a/1", "-jwks-url", "https://a/2"}, "given twice"},
		"scope-claim twice":            {[]string{"-issuer", "https://a", "-scope-claim", "scp", "-scope-claim", "roles"}, "given twice"},
		"audience twice":               {[]string{"-issuer", "https://a", "-audience", "x", "-audience", "x"}, "given twice"},
		"issuer twice":                 {[]string{"-issuer", "https://a", "-audience", "x", "-issuer", "https://a"}, "already given"},
		"empty issuer":                 {[]string{"-issuer", ""}, "empty value"},
		"empty audience":               {[]string{"-issuer", "https://a", "-audience", ""}, "empty value"},
		"unknown DPoP mode":            {[]string{"-issuer", "https://a", "-audience", "x", "-dpop", "maybe"}, `-dpop "maybe"`},
		"no algorithm":                 {[]string{"-issuer", "https://a", "-audience", "x", "-algs", " , "}, "-algs names no algorithm"},
		"an argument":                  {[]string{"-issuer", "https://a", "-audience", "x", "serve"}, `unexpected argument "serve"`},
		"an unknown flag":              {[]string{"-issuer", "https://a", "-audiences", "x"}, "flag provided but not defined"},
		"audience as a separate issue": {[]string{"-issuer", "https://a", "-issuer", "https://b", "-audience", "x"}, "-issuer https://a has no -audience"},
	} {
		_, err := parseFlags(c.args, io.Discard)
		if assert.Error(t, err, name) {
			assert.Contains(t, err.Error(), c.want, name)
		}
	}

	var out bytes.Buffer
	_, err = parseFlags([]string{"-help"}, &out)
	assert.ErrorIs(t, err, flag.ErrHelp)
	assert.Contains(t, out.String(), "every per-issuer flag applies to the\n-issuer before it")
}

// TestRunErrors checks that run refuses a bad command line or
// configuration before serving.
func TestRunErrors(t *testing.T) {
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"no issuer":          {[]string{"-addr", "127.0.0.1:0"}, "at least one -issuer"},
		"not an issuer URL":  {[]string{"-addr", "127.0.0.1:0", "-issuer", "ftp://idp.test", "-audience", "x"}, "issuer"},
		"plain http remote":  {[]string{"-addr", "127.0.0.1:0", "-issuer", "http://idp.example.com", "-audience", "x"}, "https"},
		"an unknown alg":     {[]string{"-addr", "127.0.0.1:0", "-issuer", "https://idp.test", "-audience", "x", "-algs", "XX999"}, "XX999"},
		"an http resource":   {[]string{"-addr", "127.0.0.1:0", "-issuer", "https://idp.test", "-audience", "x", "-resource", "http://api.example.com"}, "https"},
		"a remote -addr":     {[]string{"-addr", "192.0.2.1:8080", "-issuer", "https://idp.test", "-audience", "x"}, ""},
		"a bad listen addr":  {[]string{"-addr", "127.0.0.1:http-alt-x", "-issuer", "https://idp.test", "-audience", "x"}, ""},
		"help is not served": {[]string{"-help"}, "flag: help requested"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := run(ctx, c.args, io.Discard, io.Discard, nil)
		cancel()
		if assert.Error(t, err, name) {
			assert.Contains(t, err.Error(), c.want, name)
		}
	}
}

func TestDefaultResource(t *testing.T) {
	actual := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 41234}
	for addr, want := range map[string]string{
		"127.0.0.1:0":    "http://127.0.0.1:41234",
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		":8080":          "http://localhost:8080",
		"0.0.0.0:8080":   "http://localhost:8080",
		"[::]:0":         "http://localhost:41234",
		"[::1]:9000":     "http://[::1]:9000",
		"localhost:8080": "http://localhost:8080",
	} {
		got, err := defaultResource(addr, actual)
		if assert.NoError(t, err, addr) {
			assert.Equal(t, want, got, addr)
		}
	}
	_, err := defaultResource("192.0.2.1:8080", actual)
	assert.ErrorContains(t, err, "set -resource")
	_, err = defaultResource("api.example.com:443", actual)
	assert.ErrorContains(t, err, "set -resource")
}

func TestNotReady(t *testing.T) {
	a, b := "https://a.example.com/", "https://b.example.com"
	got := notReady([]*bearer.IssuerError{
		{Issuer: a, Err: fmt.Errorf("%w: GET https://a.example.com/.well-known/openid-configuration: status 503", bearer.ErrDiscovery)},
		{Issuer: b, Err: errors.New("GET https://user:xxxxx@b.example.com/keys: status 500")},
	})
	assert.Equal(t, map[string]string{a: "discovery failed", b: "no key set yet"}, got)
	msg := notReadyMessage(got)
	assert.Equal(t, "Not ready: no usable key set for https://a.example.com/ (discovery failed), https://b.example.com (no key set yet)", msg)
	assert.NotContains(t, msg, "xxxxx")
	assert.Empty(t, notReady(nil))
	assert.Equal(t, "Not ready: the issuers' key sets are not loaded yet", notReadyMessage(nil))
}

// TestDPoP: a DPoP-bound token works through dpop.Transport, and never
// as a bearer token; -dpop required refuses bearer tokens.
func TestDPoP(t *testing.T) {
	p := gatehousetest.NewProvider(t)
	key := gatehousetest.NewDPoPKey(t)
	bound := p.Token(t, claims("https://api.test", "products:read"), gatehousetest.BoundTo(key))

	for _, mode := range []string{"allowed", "required"} {
		t.Run(mode, func(t *testing.T) {
			base, _ := startRun(t, "-issuer", p.Issuer(), "-audience", "https://api.test", "-dpop", mode)
			waitReady(t, base)
			client := &http.Client{Timeout: 10 * time.Second, Transport: &dpop.Transport{
				Signer: key,
				Token:  func(context.Context) (string, error) { return bound, nil },
			}}
			res, err := client.Get(base + "/api/v1/products?page=1")
			require.NoError(t, err)
			res.Body.Close()
			assert.Equal(t, http.StatusOK, res.StatusCode)
			res, err = client.Get(base + "/api/v1/whoami")
			require.NoError(t, err)
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			assert.Contains(t, string(body), `"dpop_jkt":"`+key.Thumbprint()+`"`)

			r := get(t, base+"/api/v1/whoami", bound)
			assert.Equal(t, http.StatusUnauthorized, r.status, "a bound token is not a bearer token")
			assert.Contains(t, r.header.Get("WWW-Authenticate"), `DPoP realm="api"`)
			plain := get(t, base+"/api/v1/whoami", p.Token(t, claims("https://api.test")))
			if mode == "required" {
				assert.Equal(t, http.StatusUnauthorized, plain.status)
			} else {
				assert.Equal(t, http.StatusOK, plain.status)
			}
		})
	}
}
