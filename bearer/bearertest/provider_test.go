package bearertest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer/bearertest"
)

// get fetches url with the given If-None-Match field lines and returns the
// response with its body read.
func get(t *testing.T, url string, ifNoneMatch ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	for _, v := range ifNoneMatch {
		req.Header.Add("If-None-Match", v)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

func origin(t *testing.T, p *bearertest.Provider) string {
	t.Helper()
	u, err := url.Parse(p.Issuer())
	require.NoError(t, err)
	require.Contains(t, []string{"127.0.0.1", "::1"}, u.Hostname(), "loopback only")
	return u.Scheme + "://" + u.Host
}

func TestProviderDiscoveryLocations(t *testing.T) {
	for _, tc := range []struct {
		path, openid, oauth string
		wrong               []string // locations a client must not use
	}{
		{
			path:   "",
			openid: "/.well-known/openid-configuration",
			oauth:  "/.well-known/oauth-authorization-server",
		},
		{
			path:   "/realms/demo",
			openid: "/realms/demo/.well-known/openid-configuration",
			oauth:  "/.well-known/oauth-authorization-server/realms/demo",
			wrong:  []string{"/.well-known/openid-configuration", "/realms/demo/.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server"},
		},
		{
			path:   "/realms/demo/",
			openid: "/realms/demo/.well-known/openid-configuration",
			oauth:  "/.well-known/oauth-authorization-server/realms/demo",
			wrong:  []string{"/realms/demo//.well-known/openid-configuration", "/.well-known/oauth-authorization-server/realms/demo/"},
		},
	} {
		for _, mode := range []string{"", "openid", "oauth", "both", "none"} {
			t.Run(tc.path+"/"+mode, func(t *testing.T) {
				p := bearertest.NewProvider(t, bearertest.ProviderConfig{Path: tc.path, Discovery: mode})
				o := origin(t, p)
				assert.Equal(t, o+tc.path, p.Issuer())

				served := map[string]bool{
					tc.openid: mode == "" || mode == "openid" || mode == "both",
					tc.oauth:  mode == "oauth" || mode == "both",
				}
				for loc, want := range served {
					resp, body := get(t, o+loc)
					if !want {
						assert.Equal(t, http.StatusNotFound, resp.StatusCode, loc)
						continue
					}
					require.Equal(t, http.StatusOK, resp.StatusCode, loc)
					assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
					var doc map[string]any
					require.NoError(t, json.Unmarshal(body, &doc))
					assert.Equal(t, p.Issuer(), doc["issuer"])
					assert.Equal(t, p.JWKSURL(), doc["jwks_uri"])
					for _, field := range []string{"authorization_endpoint", "token_endpoint", "response_types_supported", "subject_types_supported", "id_token_signing_alg_values_supported"} {
						assert.Contains(t, doc, field)
					}
					assert.Equal(t, []any{"ES256"}, doc["id_token_signing_alg_values_supported"])
				}
				assert.Equal(t, 2, p.Stats().Discovery, "both well-known locations are counted, served or not")
				for _, loc := range tc.wrong {
					resp, _ := get(t, o+loc)
					assert.Equal(t, http.StatusNotFound, resp.StatusCode, loc)
				}
				assert.Equal(t, 2, p.Stats().Discovery, "other locations are not counted")

				resp, _ := get(t, p.JWKSURL())
				assert.Equal(t, http.StatusOK, resp.StatusCode, "the JWK Set is served in every mode")
			})
		}
	}
}

func TestProviderDocumentIssuer(t *testing.T) {
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{Path: "/tenant"})
	loc := p.Issuer() + "/.well-known/openid-configuration"
	issuer := func() any {
		_, body := get(t, loc)
		var doc map[string]any
		require.NoError(t, json.Unmarshal(body, &doc))
		return doc["issuer"]
	}
	p.SetDocumentIssuer("https://evil.example")
	assert.Equal(t, "https://evil.example", issuer())
	p.SetDocumentIssuer("")
	assert.Equal(t, p.Issuer(), issuer())
}

var etagRE = regexp.MustCompile(`^"[0-9a-f]{16}"$`)

func TestProviderJWKS(t *testing.T) {
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{})
	resp, body := get(t, p.JWKSURL())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/jwk-set+json", resp.Header.Get("Content-Type"))
	assert.Empty(t, resp.Header.Values("Cache-Control"), "MaxAge 0 sends no Cache-Control")
	etag := resp.Header.Get("ETag")
	assert.Regexp(t, etagRE, etag, "a strong validator")

	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(body, &set))
	require.Len(t, set.Keys, 1)
	assert.Equal(t, p.KeyID(), set.Keys[0]["kid"])
	assert.Equal(t, "ES256", set.Keys[0]["alg"])
	assert.Equal(t, "sig", set.Keys[0]["use"])
	assert.Equal(t, "EC", set.Keys[0]["kty"])
	assert.NotContains(t, set.Keys[0], "d", "public keys only")

	for _, tc := range []struct {
		name  string
		lines []string
		want  int
	}{
		{"none", nil, http.StatusOK},
		{"exact", []string{etag}, http.StatusNotModified},
		{"weak", []string{"W/" + etag}, http.StatusNotModified},
		{"star", []string{"*"}, http.StatusNotModified},
		{"list", []string{`"aaa", W/"bbb" ,` + etag}, http.StatusNotModified},
		{"list without spaces", []string{`"aaa",W/` + etag}, http.StatusNotModified},
		{"second field line", []string{`"aaa"`, etag}, http.StatusNotModified},
		{"other", []string{`"0000000000000000"`}, http.StatusOK},
		{"other weak", []string{`W/"0000000000000000"`}, http.StatusOK},
		{"unquoted", []string{etag[1 : len(etag)-1]}, http.StatusOK},
		{"lower-case weak prefix", []string{"w/" + etag}, http.StatusOK},
		{"prefix of the tag", []string{etag[:len(etag)-2] + `"`}, http.StatusOK},
		{"inside another tag", []string{`"x` + etag[1:]}, http.StatusOK},
		{"unterminated", []string{`"` + etag[1:len(etag)-1]}, http.StatusOK},
		{"after a malformed member", []string{"junk, " + etag}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := p.Stats()
			resp, body := get(t, p.JWKSURL(), tc.lines...)
			assert.Equal(t, tc.want, resp.StatusCode)
			assert.Equal(t, etag, resp.Header.Get("ETag"), "a 304 carries the ETag too")
			after := p.Stats()
			assert.Equal(t, before.JWKS+1, after.JWKS)
			if tc.want == http.StatusNotModified {
				assert.Empty(t, body)
				assert.Equal(t, before.NotModified+1, after.NotModified)
			} else {
				assert.NotEmpty(t, body)
				assert.Equal(t, before.NotModified, after.NotModified)
			}
		})
	}

	t.Run("HEAD", func(t *testing.T) {
		resp, err := http.Head(p.JWKSURL())
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, etag, resp.Header.Get("ETag"))
	})
	t.Run("other methods", func(t *testing.T) {
		before := p.Stats()
		resp, err := http.Post(p.JWKSURL(), "application/json", nil)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
		assert.Equal(t, before, p.Stats(), "not counted")
	})
}

func TestProviderETagFollowsTheSet(t *testing.T) {
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{})
	fetch := func() (etag string, kids []string) {
		t.Helper()
		resp, body := get(t, p.JWKSURL())
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var set struct {
			Keys []struct {
				KID string `json:"kid"`
			} `json:"keys"`
		}
		require.NoError(t, json.Unmarshal(body, &set))
		for _, k := range set.Keys {
			kids = append(kids, k.KID)
		}
		return resp.Header.Get("ETag"), kids
	}
	first := p.KeyID()
	etag0, kids := fetch()
	assert.Equal(t, []string{first}, kids)
	again, _ := fetch()
	assert.Equal(t, etag0, again, "stable while the set is")

	second := p.Rotate(t)
	assert.NotEqual(t, first, second)
	assert.Equal(t, second, p.KeyID())
	etag1, kids := fetch()
	assert.NotEqual(t, etag0, etag1)
	assert.Equal(t, []string{first, second}, kids, "the old key stays published")
	resp, _ := get(t, p.JWKSURL(), etag0)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the old validator no longer matches")

	p.Withdraw(first)
	etag2, kids := fetch()
	assert.NotEqual(t, etag1, etag2)
	assert.NotEqual(t, etag0, etag2)
	assert.Equal(t, []string{second}, kids)

	p.Withdraw("never-published")
	etag3, _ := fetch()
	assert.Equal(t, etag2, etag3, "withdrawing an unknown kid changes nothing")

	p.Withdraw(second)
	etag4, kids := fetch()
	assert.Empty(t, kids)
	assert.NotEqual(t, etag2, etag4)
	_, body := get(t, p.JWKSURL())
	assert.JSONEq(t, `{"keys":[]}`, string(body))
}

func TestProviderMaxAge(t *testing.T) {
	for _, tc := range []struct {
		maxAge time.Duration
		want   string
	}{
		{90 * time.Second, "max-age=90"},
		{1500 * time.Millisecond, "max-age=1"},
		{time.Millisecond, "max-age=1"},
	} {
		p := bearertest.NewProvider(t, bearertest.ProviderConfig{MaxAge: tc.maxAge})
		resp, _ := get(t, p.JWKSURL())
		assert.Equal(t, tc.want, resp.Header.Get("Cache-Control"))
		resp, _ = get(t, p.JWKSURL(), resp.Header.Get("ETag"))
		assert.Equal(t, http.StatusNotModified, resp.StatusCode)
		assert.Equal(t, tc.want, resp.Header.Get("Cache-Control"), "a 304 carries Cache-Control too")
	}
}

func TestProviderNoETag(t *testing.T) {
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{NoETag: true})
	resp, _ := get(t, p.JWKSURL())
	assert.Empty(t, resp.Header.Values("ETag"))
	resp, _ = get(t, p.JWKSURL(), "*")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Zero(t, p.Stats().NotModified)
}

func TestProviderFail(t *testing.T) {
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{Path: "/r", Discovery: "oauth"})
	o := origin(t, p)
	oauth := o + "/.well-known/oauth-authorization-server/r"
	openid := p.Issuer() + "/.well-known/openid-configuration"

	resp, _ := get(t, p.JWKSURL())
	etag := resp.Header.Get("ETag")

	for _, tc := range []struct {
		status     int
		retryAfter time.Duration
		header     string
	}{
		{http.StatusServiceUnavailable, 30 * time.Second, "30"},
		{http.StatusTooManyRequests, 1500 * time.Millisecond, "2"},
		{http.StatusInternalServerError, 0, ""},
	} {
		p.Fail(tc.status, tc.retryAfter)
		before := p.Stats()
		for _, u := range []string{p.JWKSURL(), oauth} {
			resp, _ := get(t, u)
			assert.Equal(t, tc.status, resp.StatusCode, u)
			assert.Equal(t, tc.header, resp.Header.Get("Retry-After"), u)
		}
		resp, _ := get(t, p.JWKSURL(), etag)
		assert.Equal(t, tc.status, resp.StatusCode, "a failure wins over If-None-Match")
		resp, _ = get(t, openid)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, "a location not served stays 404")
		after := p.Stats()
		assert.Equal(t, statsDelta{Discovery: 2, JWKS: 2, Failed: 3}, delta(before, after))
	}

	p.Fail(0, 0)
	before := p.Stats()
	resp, _ = get(t, p.JWKSURL())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, resp.Header.Values("Retry-After"))
	resp, _ = get(t, oauth)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, statsDelta{Discovery: 1, JWKS: 1}, delta(before, p.Stats()))
}

// statsDelta is the difference of two ProviderStats.
type statsDelta bearertest.ProviderStats

func delta(before, after bearertest.ProviderStats) statsDelta {
	return statsDelta{
		Discovery:   after.Discovery - before.Discovery,
		JWKS:        after.JWKS - before.JWKS,
		NotModified: after.NotModified - before.NotModified,
		Failed:      after.Failed - before.Failed,
	}
}

// publishedKeyfunc verifies tokens against the provider's published set.
func publishedKeyfunc(t *testing.T, p *bearertest.Provider) jwt.Keyfunc {
	t.Helper()
	_, body := get(t, p.JWKSURL())
	k, err := keyfunc.NewJWKSetJSON(body)
	require.NoError(t, err)
	return k.Keyfunc
}

func TestProviderSign(t *testing.T) {
	for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			p := bearertest.NewProvider(t, bearertest.ProviderConfig{Algorithm: alg})
			claims := jwt.MapClaims{"sub": "alice", "exp": time.Now().Add(time.Hour).Unix()}
			raw := p.Sign(t, claims)
			assert.NotContains(t, claims, "iss", "the caller's claims are not modified")

			parser := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithIssuer(p.Issuer()))
			tok, err := parser.Parse(raw, func(tok *jwt.Token) (any, error) {
				return p.PublicKey(tok.Header["kid"].(string)), nil
			})
			require.NoError(t, err)
			assert.Equal(t, p.KeyID(), tok.Header["kid"])
			assert.Equal(t, "at+jwt", tok.Header["typ"])
			assert.Equal(t, alg, tok.Header["alg"])
			assert.Equal(t, "alice", tok.Claims.(jwt.MapClaims)["sub"])

			_, err = parser.Parse(raw, publishedKeyfunc(t, p))
			assert.NoError(t, err, "verifies with the published set")
		})
	}
}

func TestProviderRotateAndWithdraw(t *testing.T) {
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{Algorithm: "EdDSA"})
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"EdDSA"}))
	old := p.KeyID()
	oldTok := p.Sign(t, jwt.MapClaims{"sub": "a"})
	current := p.Rotate(t)
	newTok := p.Sign(t, jwt.MapClaims{"sub": "a"})
	tok, _, err := parser.ParseUnverified(newTok, jwt.MapClaims{})
	require.NoError(t, err)
	assert.Equal(t, current, tok.Header["kid"], "Sign uses the new key")

	kf := publishedKeyfunc(t, p)
	for _, raw := range []string{oldTok, newTok} {
		_, err := parser.Parse(raw, kf)
		assert.NoError(t, err)
	}
	p.Withdraw(old)
	kf = publishedKeyfunc(t, p)
	_, err = parser.Parse(oldTok, kf)
	assert.Error(t, err, "the withdrawn key is no longer published")
	_, err = parser.Parse(newTok, kf)
	assert.NoError(t, err)
	assert.NotNil(t, p.PublicKey(old), "a withdrawn key is still known")
	_, err = parser.Parse(p.SignWith(t, old, jwt.MapClaims{}, nil), func(*jwt.Token) (any, error) { return p.PublicKey(old), nil })
	assert.NoError(t, err, "and can still sign")
}

func TestProviderSignWith(t *testing.T) {
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{TokenType: "JWT"})
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"ES256"}))

	t.Run("unknown kid", func(t *testing.T) {
		assert.Nil(t, p.PublicKey("stranger"))
		raw := p.SignWith(t, "stranger", jwt.MapClaims{"sub": "x"}, nil)
		require.NotNil(t, p.PublicKey("stranger"))
		tok, err := parser.Parse(raw, func(*jwt.Token) (any, error) { return p.PublicKey("stranger"), nil })
		require.NoError(t, err)
		assert.Equal(t, "stranger", tok.Header["kid"])
		_, err = parser.Parse(raw, publishedKeyfunc(t, p))
		assert.Error(t, err, "not published")

		// A kid of another provider gets a key of this one, not that one's.
		other := bearertest.NewProvider(t, bearertest.ProviderConfig{})
		raw = p.SignWith(t, other.KeyID(), jwt.MapClaims{}, nil)
		_, err = parser.Parse(raw, publishedKeyfunc(t, other))
		assert.Error(t, err)
	})
	t.Run("headers", func(t *testing.T) {
		raw := p.SignWith(t, p.KeyID(), jwt.MapClaims{}, map[string]any{"typ": nil, "cty": "x", "kid": "forged"})
		tok, _, err := parser.ParseUnverified(raw, jwt.MapClaims{})
		require.NoError(t, err)
		assert.NotContains(t, tok.Header, "typ")
		assert.Equal(t, "x", tok.Header["cty"])
		assert.Equal(t, "forged", tok.Header["kid"])

		raw = p.SignWith(t, p.KeyID(), jwt.MapClaims{}, nil)
		tok, _, err = parser.ParseUnverified(raw, jwt.MapClaims{})
		require.NoError(t, err)
		assert.Equal(t, "JWT", tok.Header["typ"], "ProviderConfig.TokenType")
	})
	t.Run("iss", func(t *testing.T) {
		claims := func(raw string) jwt.MapClaims {
			tok, _, err := parser.ParseUnverified(raw, jwt.MapClaims{})
			require.NoError(t, err)
			return tok.Claims.(jwt.MapClaims)
		}
		assert.Equal(t, p.Issuer(), claims(p.SignWith(t, p.KeyID(), jwt.MapClaims{}, nil))["iss"])
		assert.Equal(t, "https://other", claims(p.Sign(t, jwt.MapClaims{"iss": "https://other"}))["iss"])
		assert.NotContains(t, claims(p.Sign(t, jwt.MapClaims{"iss": nil})), "iss")
	})
}

func TestProviderConcurrentUse(t *testing.T) {
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{MaxAge: time.Minute})
	const workers, rounds = 8, 20
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			client := &http.Client{Timeout: 5 * time.Second}
			for j := range rounds {
				switch (i + j) % 4 {
				case 0:
					p.Rotate(t)
				case 1:
					p.SignWith(t, "flood-"+string(rune('a'+i))+string(rune('a'+j)), jwt.MapClaims{}, nil)
				}
				resp, err := client.Get(p.JWKSURL())
				if assert.NoError(t, err) {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					assert.Equal(t, http.StatusOK, resp.StatusCode)
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, workers*rounds, p.Stats().JWKS)
}

func TestProviderHS256(t *testing.T) {
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{Algorithm: "HS256"})
	_, body := get(t, p.JWKSURL())
	assert.JSONEq(t, `{"keys":[]}`, string(body), "secrets are never served")
	assert.Nil(t, p.PublicKey(p.KeyID()))

	keys := p.Keys()
	require.Len(t, keys, 1)
	assert.Equal(t, p.KeyID(), keys[0].ID)
	assert.Equal(t, "HS256", keys[0].Algorithm)
	secret, ok := keys[0].Key.([]byte)
	require.True(t, ok, "%T", keys[0].Key)
	assert.Len(t, secret, 32)

	raw := p.Sign(t, jwt.MapClaims{"sub": "alice"})
	tok, err := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"})).Parse(raw, func(*jwt.Token) (any, error) { return secret, nil })
	require.NoError(t, err)
	assert.Equal(t, p.KeyID(), tok.Header["kid"])

	secret[0] ^= 1
	again := p.Keys()[0].Key.([]byte)
	assert.NotEqual(t, secret, again, "Keys returns copies of the secrets")

	old := p.KeyID()
	p.Rotate(t)
	assert.Len(t, p.Keys(), 2)
	p.Withdraw(old)
	keys = p.Keys()
	require.Len(t, keys, 1)
	assert.Equal(t, p.KeyID(), keys[0].ID)
	assert.NotEqual(t, again, keys[0].Key, "a new secret")
}

func TestProviderKeys(t *testing.T) {
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{Algorithm: "RS256"})
	first := p.KeyID()
	second := p.Rotate(t)
	keys := p.Keys()
	require.Len(t, keys, 2)
	assert.Equal(t, []string{first, second}, []string{keys[0].ID, keys[1].ID}, "publishing order")
	for _, k := range keys {
		assert.Equal(t, "RS256", k.Algorithm)
		assert.Equal(t, p.PublicKey(k.ID), k.Key)
	}
	p.SignWith(t, "stranger", jwt.MapClaims{}, nil)
	assert.Len(t, p.Keys(), 2, "keys never published are not listed")
}
