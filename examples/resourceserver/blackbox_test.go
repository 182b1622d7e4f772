package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer/bearertest"
	"github.com/gatehouse-go/gatehouse/gatehousetest"
)

// The black-box probes of the resource server: its handler on loopback in
// front of an OpenID provider on loopback, found by discovery, with tokens
// the provider signs.

type bbIDP struct {
	idp *gatehousetest.Provider
	api string
}

func bbStart(t *testing.T) *bbIDP {
	t.Helper()
	idp := gatehousetest.NewProvider(t, gatehousetest.WithProviderConfig(bearertest.ProviderConfig{Path: "/tenant/"}), gatehousetest.WithAudience("https://api.test"))
	o, err := parseFlags([]string{"-issuer", idp.Issuer(), "-audience", idp.Audience(), "-algs", "ES256"}, io.Discard)
	require.NoError(t, err)
	h, auth, err := newHandler(o, slog.New(slog.DiscardHandler), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = auth.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, auth.WaitReady(ctx))
	api := httptest.NewServer(h)
	t.Cleanup(api.Close)
	return &bbIDP{idp: idp, api: api.URL}
}

// token signs claims on top of valid iss, aud, sub, iat, exp and jti; a
// nil value leaves the claim out.
func (p *bbIDP) token(t *testing.T, claims map[string]any, opts ...gatehousetest.TokenOption) string {
	t.Helper()
	return p.idp.Token(t, gatehousetest.Claims{Subject: "auth0|42", Extra: claims}, opts...)
}

func (p *bbIDP) get(t *testing.T, path string, h http.Header) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest("GET", p.api+path, nil)
	require.NoError(t, err)
	for k, v := range h {
		req.Header[k] = v
	}
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, res.Header, string(b)
}

func bbAuth(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// Item 3: one scope claim by precedence (scope, then scp, then scopes),
// never a union: a provider token whose scope lacks products:read does not
// gain it from scp or scopes.
func TestBlackboxScopePrecedence(t *testing.T) {
	p := bbStart(t)
	for _, c := range []struct {
		claims map[string]any
		want   int
	}{
		{map[string]any{"scope": "openid", "scp": []string{"products:read"}}, 403},
		{map[string]any{"scope": "openid", "scopes": []string{"products:read"}}, 403},
		{map[string]any{"scope": "", "scp": "products:read"}, 403},
		{map[string]any{"scp": "openid", "scopes": "products:read"}, 403},
		{map[string]any{"scp": []string{"products:read"}}, 200},
		{map[string]any{"scopes": []string{"products:read"}}, 200},
		{map[string]any{"scope": "openid products:read", "scp": "nothing"}, 200},
		{map[string]any{"SCOPE": "products:read"}, 403},
		{map[string]any{"Scp": "products:read"}, 403},
		{map[string]any{"scope": "products:read\topenid"}, 403},
		{map[string]any{"scope": "products:read\u00a0openid"}, 403},
	} {
		st, _, body := p.get(t, "/api/v1/products", bbAuth(p.token(t, c.claims)))
		assert.Equal(t, c.want, st, "%v: %s", c.claims, body)
	}
}

// Item 4: registered claims are read by their exact names.
func TestBlackboxExactClaimNames(t *testing.T) {
	p := bbStart(t)
	past := time.Now().Add(-time.Hour).Unix()
	for name, c := range map[string]map[string]any{
		"EXP only":       {"exp": nil, "EXP": time.Now().Add(time.Hour).Unix()},
		"exp past, Exp":  {"exp": past, "Exp": time.Now().Add(time.Hour).Unix()},
		"ISS only":       {"iss": nil, "ISS": p.idp.Issuer()},
		"AUD only":       {"aud": nil, "AUD": "https://api.test"},
		"aud other, Aud": {"aud": "https://other.test", "Aud": "https://api.test"},
	} {
		st, h, body := p.get(t, "/api/v1/whoami", bbAuth(p.token(t, c)))
		assert.Equal(t, 401, st, "%s: %s", name, body)
		assert.NotEmpty(t, h.Get("WWW-Authenticate"), name)
	}
	st, _, body := p.get(t, "/api/v1/whoami", bbAuth(p.token(t, map[string]any{"SUB": "admin", "Tenant": "t2", "CLIENT_ID": "c", "SID": "s", "JTI": "j", "jti": nil})))
	require.Equal(t, 200, st, body)
	var v struct {
		Data map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &v))
	assert.Equal(t, "auth0|42", v.Data["subject"])
	for _, k := range []string{"tenant", "client_id", "session_id", "token_id"} {
		assert.Equal(t, "", v.Data[k], k)
	}
}

// Items 2, 7 and 8: every 401 has a Bearer challenge (no error code
// without a token), and two token methods are 400.
func TestBlackboxChallengesAndTokenMethods(t *testing.T) {
	p := bbStart(t)
	expired := p.token(t, nil, gatehousetest.Expired())
	for _, path := range []string{"/api/v1/whoami", "/api/v1/products", "/nowhere"} {
		for name, h := range map[string]http.Header{
			"none": nil, "garbage": bbAuth("garbage"), "expired": bbAuth(expired), "empty bearer": {"Authorization": {"Bearer"}},
			"spaces bearer": {"Authorization": {"Bearer    "}}, "lower bearer": {"Authorization": {"bearer"}}, "basic": {"Authorization": {"Basic YTpi"}},
		} {
			st, hdr, body := p.get(t, path, h)
			if !assert.Equal(t, 401, st, "%s with %s: %s", path, name, body) {
				continue
			}
			ch := hdr.Get("WWW-Authenticate")
			assert.True(t, strings.HasPrefix(ch, "Bearer"), "%s with %s: %q", path, name, ch)
			if name == "none" || strings.Contains(name, "bearer") {
				assert.NotContains(t, ch, "error=", "%s with %s", path, name)
			}
		}
	}
	tok := p.token(t, map[string]any{"scope": "products:read"})
	for _, q := range []string{"access_token=" + url.QueryEscape(tok), "access_token=x"} {
		st, hdr, body := p.get(t, "/api/v1/products?"+q, bbAuth(tok))
		assert.Equal(t, 400, st, "?%s: %s", q, body)
		assert.Contains(t, hdr.Get("WWW-Authenticate"), `error="invalid_request"`)
		assert.NotContains(t, body, tok)
	}
	st, _, _ := p.get(t, "/api/v1/products", bbAuth(tok))
	assert.Equal(t, 200, st)
}
