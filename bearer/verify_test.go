package bearer

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func b64json(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// unsigned builds header.payload. with the given header and claims.
func unsigned(t testing.TB, header map[string]any, claims jwt.MapClaims) string {
	return b64json(t, header) + "." + b64json(t, claims) + "."
}

// noncanonical changes the unused low bits of the last base64url character
// of tok's signature: the bytes decode the same under lenient decoding.
func noncanonical(tok string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, tok[len(tok)-1])
	return tok[:len(tok)-1] + string(alphabet[last|1])
}

func TestVerifyAdversarial(t *testing.T) {
	c := newClock(t0)
	rs := newSigner(t, "RS256", "rsa-1")
	hs := newSigner(t, "HS256", "hs-1")
	es := newSigner(t, "ES256", "es-1")
	attacker := newSigner(t, "ES256", "es-1") // same kid, other key

	// An HTTP server that must never be contacted (jku, x5u).
	var outbound atomic.Int32
	trap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		outbound.Add(1)
	}))
	defer trap.Close()

	pubDER, err := x509.MarshalPKIXPublicKey(rs.pub)
	require.NoError(t, err)
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	cfg := baseConfig(c, rs, hs, es)
	cfg.TokenType = "at+jwt"
	a := mustNew(t, cfg)

	at := map[string]any{"typ": "at+jwt"}
	good := claimsAt(t0)
	with := func(k string, v any) jwt.MapClaims {
		m := claimsAt(t0)
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	hdr := func(extra map[string]any) map[string]any {
		m := map[string]any{"typ": "at+jwt"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	rsGood := rs.sign(t, good, at)
	hsGood := hs.sign(t, good, at)
	esGood := es.sign(t, good, at)
	parts := strings.Split(esGood, ".")

	// HS256 MACed with the RSA public key PEM, under the RSA key's kid.
	confused := jwt.NewWithClaims(jwt.SigningMethodHS256, good)
	confused.Header["kid"], confused.Header["typ"] = "rsa-1", "at+jwt"
	confusedTok, err := confused.SignedString(rsaPEM)
	require.NoError(t, err)

	attackerJWK := map[string]any{"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}

	tests := []struct {
		name   string
		token  string
		want   error
		status int
	}{
		{"RS256 accepted", rsGood, nil, 204},
		{"HS256 accepted", hsGood, nil, 204},
		{"ES256 accepted", esGood, nil, 204},
		{"alg none", unsigned(t, map[string]any{"alg": "none", "typ": "at+jwt"}, good), ErrTokenInvalid, 401},
		{"alg None", unsigned(t, map[string]any{"alg": "None", "typ": "at+jwt"}, good), ErrTokenInvalid, 401},
		{"alg NONE", unsigned(t, map[string]any{"alg": "NONE", "typ": "at+jwt"}, good), ErrTokenInvalid, 401},
		{"alg missing", unsigned(t, map[string]any{"typ": "at+jwt"}, good), ErrTokenInvalid, 401},
		{"null signature", parts[0] + "." + parts[1] + ".", ErrTokenInvalid, 401},
		{"HS256 with the RSA public key PEM", confusedTok, ErrUnknownKey, 401},
		{"disallowed alg", newSigner(t, "EdDSA", "rsa-1").sign(t, good, at), ErrTokenInvalid, 401},
		{"PS256 with an RS256 key", signer{alg: "PS256", kid: "rsa-1", method: jwt.SigningMethodPS256, priv: rs.priv}.sign(t, good, at), ErrTokenInvalid, 401},
		{"embedded jwk", attacker.sign(t, good, hdr(map[string]any{"jwk": attackerJWK})), ErrTokenInvalid, 401},
		{"jku", attacker.sign(t, good, hdr(map[string]any{"jku": trap.URL + "/jwks"})), ErrTokenInvalid, 401},
		{"x5u", attacker.sign(t, good, hdr(map[string]any{"x5u": trap.URL + "/cert"})), ErrTokenInvalid, 401},
		{"x5c", attacker.sign(t, good, hdr(map[string]any{"x5c": []string{"MIIB"}})), ErrTokenInvalid, 401},
		{"ES256 r=s=0", parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 64)), ErrTokenInvalid, 401},
		{"flipped signature byte", flip(rsGood, len(rsGood)-10), ErrTokenInvalid, 401},
		{"flipped payload byte", flip(hsGood, strings.IndexByte(hsGood, '.')+5), ErrTokenInvalid, 401},
		{"non-canonical base64", noncanonical(hsGood), ErrTokenInvalid, 401},
		{"padded base64", hsGood + "=", ErrTokenInvalid, 401},
		{"expired", hs.sign(t, with("exp", t0.Add(-time.Second).Unix()), at), ErrTokenExpired, 401},
		{"exp equals now", hs.sign(t, with("exp", t0.Unix()), at), ErrTokenExpired, 401},
		{"missing exp", hs.sign(t, with("exp", nil), at), ErrClaims, 401},
		{"exp as string", hs.sign(t, with("exp", "tomorrow"), at), ErrClaims, 401},
		{"future nbf", hs.sign(t, with("nbf", t0.Add(time.Minute).Unix()), at), ErrTokenNotYetValid, 401},
		{"future iat", hs.sign(t, with("iat", t0.Add(time.Minute).Unix()), at), ErrTokenNotYetValid, 401},
		{"wrong iss", hs.sign(t, with("iss", "https://evil.test"), at), ErrIssuer, 401},
		{"missing iss", hs.sign(t, with("iss", nil), at), ErrIssuer, 401},
		{"iss prefix", hs.sign(t, with("iss", "https://issuer.test/"), at), ErrIssuer, 401},
		{"wrong aud", hs.sign(t, with("aud", "api://billing"), at), ErrAudience, 401},
		{"missing aud", hs.sign(t, with("aud", nil), at), ErrClaims, 401},
		{"aud array any-of", hs.sign(t, with("aud", []string{"api://billing", "api://orders"}), at), nil, 204},
		{"crit", hs.sign(t, good, hdr(map[string]any{"crit": []string{"exp"}, "exp": 1})), ErrCritHeader, 401},
		{"typ JWT refused", hs.sign(t, good, map[string]any{"typ": "JWT"}), ErrTokenType, 401},
		{"typ missing refused", hs.sign(t, good, map[string]any{"typ": nil}), ErrTokenType, 401},
		{"typ application/at+jwt", hs.sign(t, good, map[string]any{"typ": "application/AT+JWT"}), nil, 204},
		{"no kid against several keys", signer{alg: "HS256", method: jwt.SigningMethodHS256, priv: hs.priv}.sign(t, good, at), ErrUnknownKey, 401},
		{"unknown kid", signer{alg: "HS256", kid: "nope", method: jwt.SigningMethodHS256, priv: hs.priv}.sign(t, good, at), ErrUnknownKey, 401},
		{"kid not a string", hs.sign(t, good, hdr(map[string]any{"kid": 7})), ErrUnknownKey, 401},
		{"sub not a string", hs.sign(t, with("sub", 42), at), ErrClaims, 401},
		{"two segments", "a.b", ErrTokenInvalid, 401},
		{"four segments", hsGood + ".x", ErrTokenInvalid, 401},
		{"bad grammar", "abc$def.ghi.jkl", ErrMalformedHeader, 401},
		// base64 decoding skips line breaks: a valid token with one
		// inside a segment must not verify as another string.
		{"line break in the signature", hsGood[:strings.LastIndexByte(hsGood, '.')+5] + "\n" + hsGood[strings.LastIndexByte(hsGood, '.')+5:], ErrMalformedHeader, 401},
		{"CR LF in the header", hsGood[:5] + "\r\n" + hsGood[5:], ErrMalformedHeader, 401},
		{"line break in the payload", hsGood[:strings.IndexByte(hsGood, '.')+3] + "\n" + hsGood[strings.IndexByte(hsGood, '.')+3:], ErrMalformedHeader, 401},
		{"garbage JSON", b64("{") + "." + b64("{}") + ".AAAA", ErrTokenInvalid, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := bearerRequest(tc.token)
			p, err := a.Check(r)
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, "user-42", p.Subject)
			} else {
				require.Error(t, err)
				assert.ErrorIs(t, err, tc.want)
				var ee *envelope.Error
				require.ErrorAs(t, err, &ee)
				assert.Equal(t, tc.status, ee.Status)
			}
			rec, _, _ := serve(a, bearerRequest(tc.token))
			assert.Equal(t, tc.status, rec.Code)
			if tc.status == 401 {
				assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `error="invalid_token"`)
			}
		})
	}
	assert.Zero(t, outbound.Load(), "no outbound request, ever")
}

func flip(tok string, i int) string {
	b := []byte(tok)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestNonCanonicalVariantOfRevokedToken(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	rev := NewMemoryRevocations(c.Now)
	cfg := baseConfig(c, hs)
	cfg.Revocations = rev
	a := mustNew(t, cfg)
	tok := hs.sign(t, claimsAt(t0), nil)
	_, err := a.Check(bearerRequest(tok))
	require.NoError(t, err)
	require.NoError(t, rev.RevokeToken(context.Background(), "user-42", "jti-1", t0.Add(time.Hour)))
	for _, v := range []string{tok, noncanonical(tok)} {
		_, err = a.Check(bearerRequest(v))
		require.Error(t, err)
	}
	_, err = a.Check(bearerRequest(tok))
	assert.ErrorIs(t, err, ErrTokenRevoked)
	_, err = a.Check(bearerRequest(noncanonical(tok)))
	assert.ErrorIs(t, err, ErrTokenInvalid)
}

func TestPrincipalFromClaims(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	cfg := baseConfig(c, hs)
	cfg.TenantClaim = "org"
	a := mustNew(t, cfg)

	tests := []struct {
		name   string
		extra  map[string]any
		scopes []string
		tenant string
	}{
		{"scope string", map[string]any{"scope": "a b  a"}, []string{"a", "b"}, ""},
		{"scp string", map[string]any{"scope": nil, "scp": "x y"}, []string{"x", "y"}, ""},
		{"scp array", map[string]any{"scope": nil, "scp": []string{"x", "y"}}, []string{"x", "y"}, ""},
		{"scopes array", map[string]any{"scope": nil, "scopes": []string{"p:r"}}, []string{"p:r"}, ""},
		{"scope wins", map[string]any{"scope": "a", "scp": []string{"b"}, "scopes": []string{"a", "c"}}, []string{"a"}, ""},
		{"tenant claim name", map[string]any{"org": "globex"}, []string{"orders:read", "orders:write"}, "globex"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := claimsAt(t0)
			for k, v := range tc.extra {
				if v == nil {
					delete(m, k)
				} else {
					m[k] = v
				}
			}
			m["jti"] = tc.name // distinct tokens, no cache sharing
			p, err := a.Check(bearerRequest(hs.sign(t, m, nil)))
			require.NoError(t, err)
			assert.Equal(t, tc.scopes, p.Scopes)
			assert.Equal(t, tc.tenant, p.Tenant)
			assert.Equal(t, gatehouse.MethodJWT, p.Method)
			assert.Equal(t, "user-42", p.Subject)
			assert.Equal(t, "cli-9", p.ClientID)
			assert.Equal(t, "sess-7", p.SessionID)
			assert.Equal(t, tc.name, p.TokenID)
			assert.True(t, p.ExpiresAt.Equal(t0.Add(time.Hour)))
			claims, ok := p.Claims.(Claims)
			require.True(t, ok)
			iss, _ := claims.String("iss")
			assert.Equal(t, "https://issuer.test", iss)
		})
	}
}

func TestLeeway(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	cfg := baseConfig(c, hs)
	cfg.Leeway = 30 * time.Second
	cfg.CacheSize = new(0)
	a := mustNew(t, cfg)
	m := claimsAt(t0)
	m["exp"] = t0.Add(-20 * time.Second).Unix()
	m["nbf"] = t0.Add(20 * time.Second).Unix()
	m["iat"] = t0.Add(20 * time.Second).Unix()
	_, err := a.Check(bearerRequest(hs.sign(t, m, nil)))
	require.NoError(t, err, "inside leeway")
	m["exp"] = t0.Add(-30 * time.Second).Unix()
	_, err = a.Check(bearerRequest(hs.sign(t, m, nil)))
	assert.ErrorIs(t, err, ErrTokenExpired, "exp+leeway == now is expired")
}

func TestRequiredClaimsAndHooks(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")

	t.Run("required claims", func(t *testing.T) {
		cfg := baseConfig(c, hs)
		cfg.RequiredClaims = []string{"tenant", "sub"}
		a := mustNew(t, cfg)
		m := claimsAt(t0)
		_, err := a.Check(bearerRequest(hs.sign(t, m, nil)))
		require.NoError(t, err)
		m["tenant"] = nil
		_, err = a.Check(bearerRequest(hs.sign(t, m, nil)))
		assert.ErrorIs(t, err, ErrClaims)
	})
	t.Run("jti required with revocations", func(t *testing.T) {
		cfg := baseConfig(c, hs)
		cfg.Revocations = NewMemoryRevocations(c.Now)
		a := mustNew(t, cfg)
		m := claimsAt(t0)
		delete(m, "jti")
		_, err := a.Check(bearerRequest(hs.sign(t, m, nil)))
		assert.ErrorIs(t, err, ErrClaims)
	})
	t.Run("validate hook", func(t *testing.T) {
		cfg := baseConfig(c, hs)
		var calls int
		cfg.Validate = func(_ context.Context, c Claims) error {
			calls++
			if tenant, _ := c.String("tenant"); tenant != "acme" {
				return errors.New("tenant must be acme: secret detail")
			}
			return nil
		}
		a := mustNew(t, cfg)
		tok := hs.sign(t, claimsAt(t0), nil)
		for range 3 {
			_, err := a.Check(bearerRequest(tok))
			require.NoError(t, err)
		}
		assert.Equal(t, 1, calls, "cached tokens are not validated again")
		m := claimsAt(t0)
		m["tenant"] = "globex"
		rec, _, _ := serve(a, bearerRequest(hs.sign(t, m, nil)))
		assert.Equal(t, 401, rec.Code)
		assert.NotContains(t, rec.Body.String(), "secret detail")
	})
}

type orgClaims struct {
	Org   string   `json:"org"`
	Roles []string `json:"roles"`
}

func (c *orgClaims) Validate() error {
	if c.Org == "" {
		return errors.New("org required")
	}
	return nil
}

func TestCustomClaims(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	cfg := baseConfig(c, hs)
	cfg.Custom = Custom(func(_ context.Context, c *orgClaims) error {
		if len(c.Roles) == 0 {
			return errors.New("no roles")
		}
		return nil
	})
	a := mustNew(t, cfg)

	m := claimsAt(t0)
	m["org"], m["roles"] = "acme", []string{"admin"}
	var got *orgClaims
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = CustomFrom[orgClaims](r.Context())
		cl, ok := ClaimsFrom(r.Context())
		assert.True(t, ok, "the claim set is there with Config.Custom too")
		org, _ := cl.String("org")
		assert.Equal(t, "acme", org)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, bearerRequest(hs.sign(t, m, nil)))
	require.Equal(t, 200, rec.Code)
	require.NotNil(t, got)
	assert.Equal(t, "acme", got.Org)

	for name, mut := range map[string]func(jwt.MapClaims){
		"type's own Validate": func(m jwt.MapClaims) { delete(m, "org") },
		"validation function": func(m jwt.MapClaims) { delete(m, "roles") },
		"wrong JSON type":     func(m jwt.MapClaims) { m["roles"] = "admin" },
	} {
		t.Run(name, func(t *testing.T) {
			m := claimsAt(t0)
			m["org"], m["roles"] = "acme", []string{"admin"}
			mut(m)
			_, err := a.Check(bearerRequest(hs.sign(t, m, nil)))
			assert.ErrorIs(t, err, ErrClaims)
		})
	}
}

// TestCustomClaimsAreOwnCopies: the claims Config.Custom decoded are
// cached with the token, and every reader gets a deep copy: a handler that
// changes its copy, or a Check caller that changes its own, changes
// nothing for the next request with the same token, over a real server.
// Principal.Claims never exposes the shared *C.
func TestCustomClaimsAreOwnCopies(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	cfg := baseConfig(c, hs)
	cfg.Custom = Custom[orgClaims](nil)
	a := mustNew(t, cfg)
	m := claimsAt(t0)
	m["org"], m["roles"] = "acme", []string{"viewer"}
	tok := hs.sign(t, m, nil)

	mux := http.NewServeMux()
	mux.Handle("GET /mutate", a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		oc, ok := CustomFrom[orgClaims](r.Context())
		if assert.True(t, ok) {
			oc.Org, oc.Roles[0] = "evil", "admin"
		}
		p, _ := gatehouse.PrincipalFrom(r.Context())
		_, shared := p.Claims.(*orgClaims)
		assert.False(t, shared, "Principal.Claims holds no *C")
		w.WriteHeader(http.StatusNoContent)
	})))
	var seen orgClaims
	mux.Handle("GET /read", a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if oc, ok := CustomFrom[orgClaims](r.Context()); assert.True(t, ok) {
			seen = *oc
		}
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	require.Equal(t, http.StatusNoContent, getWithToken(t, srv.URL+"/mutate", tok).StatusCode)
	require.Equal(t, http.StatusOK, getWithToken(t, srv.URL+"/read", tok).StatusCode)
	assert.Equal(t, orgClaims{Org: "acme", Roles: []string{"viewer"}}, seen)

	p, err := a.Check(bearerRequest(tok))
	require.NoError(t, err)
	oc, ok := CustomOf[orgClaims](p)
	require.True(t, ok)
	oc.Roles[0] = "root"
	p2, err := a.Check(bearerRequest(tok))
	require.NoError(t, err)
	oc2, _ := CustomOf[orgClaims](p2)
	assert.Equal(t, []string{"viewer"}, oc2.Roles)
	_, ok = CustomOf[struct{ X int }](p2)
	assert.False(t, ok, "claims of another type")
}

// accessClaims is embedded, under its unexported type, in
// embeddedClaims: encoding/json fills its promoted fields all the same.
type accessClaims struct {
	Roles []string `json:"roles"`
}

type embeddedClaims struct {
	accessClaims
	Org string `json:"org"`
}

// TestCustomClaimsEmbeddedAreOwnCopies: the fields a custom claim type
// promotes from an embedded struct of an unexported type are deep-copied
// too: a handler that writes into its copy's roles does not grant them
// to the next request with the same token.
func TestCustomClaimsEmbeddedAreOwnCopies(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	cfg := baseConfig(c, hs)
	cfg.Custom = Custom[embeddedClaims](nil)
	a := mustNew(t, cfg)
	m := claimsAt(t0)
	m["org"], m["roles"] = "acme", []string{"viewer"}
	tok := hs.sign(t, m, nil)

	mux := http.NewServeMux()
	mux.Handle("GET /mutate", a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ec, ok := CustomFrom[embeddedClaims](r.Context())
		if assert.True(t, ok) && assert.Len(t, ec.Roles, 1) {
			ec.Roles[0] = "admin"
		}
		w.WriteHeader(http.StatusNoContent)
	})))
	var seen embeddedClaims
	mux.Handle("GET /read", a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ec, ok := CustomFrom[embeddedClaims](r.Context()); assert.True(t, ok) {
			seen = *ec
		}
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	require.Equal(t, http.StatusNoContent, getWithToken(t, srv.URL+"/mutate", tok).StatusCode)
	require.Equal(t, http.StatusOK, getWithToken(t, srv.URL+"/read", tok).StatusCode)
	assert.Equal(t, embeddedClaims{accessClaims: accessClaims{Roles: []string{"viewer"}}, Org: "acme"}, seen)
}

// FuzzVerify checks every token against the former map-based path and
// the reference verification with golang-jwt's ParseWithClaims
// (compareDecision, in every diffSetup): the same reason, Principal and
// claims as the former path, nothing accepted that the reference refuses,
// and a refusal is a 401 or 400. Its seeds are signed tokens of the
// differential seeds (FuzzVerifyClaims has the fuzzer write the claims
// themselves) and their segment-level variants: padding, unused bits set,
// other alphabets, a forged signature.
func FuzzVerify(f *testing.F) {
	c := newClock(t0)
	hs := newSigner(f, "HS256", "k1")
	es := newSigner(f, "ES256", "k2")
	cfg := baseConfig(c, hs, es)
	cfg.CacheSize = new(0)
	a, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	setups := diffSetups(f, c, hs, es)
	hsTok := hs.sign(f, claimsAt(t0), nil)
	f.Add(hsTok)
	f.Add(es.sign(f, claimsAt(t0), nil))
	f.Add(unsigned(f, map[string]any{"alg": "none"}, claimsAt(t0)))
	f.Add("e30.e30.")
	f.Add(forgedSig(hsTok))
	f.Add(withPayload(forgedSig(hsTok), b64("{")))
	f.Add(signRaw(f, hs, strings.Split(hsTok, ".")[0], b64("null")))
	for i, h := range headerSeeds {
		f.Add(signSegments(f, hs, b64(h), b64(claimSeeds[i%len(claimSeeds)])))
	}
	for _, cl := range claimSeeds {
		if len(cl) < 4096 {
			f.Add(signSegments(f, hs, b64(headerSeeds[0]), b64(cl)))
		}
	}
	for _, seg := range segmentSeeds() {
		f.Add(signSegments(f, hs, b64(headerSeeds[0]), seg))
		f.Add(signSegments(f, hs, seg, b64(claimsJSON())))
		f.Add(withPayload(hsTok, seg))
	}
	f.Add(hsTok + "=")
	f.Add(noncanonical(hsTok))
	dot := strings.LastIndexByte(hsTok, '.')
	f.Add(hsTok[:dot+5] + "\n" + hsTok[dot+5:]) // base64 decoding skips line breaks
	f.Add(hsTok[:5] + "\r\n" + hsTok[5:])
	f.Fuzz(func(t *testing.T, tok string) {
		for _, s := range setups {
			compareDecision(t, s, tok)
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Authorization"] = []string{"Bearer " + tok}
		p, err := a.Check(r)
		if err != nil {
			var ee *envelope.Error
			if !errors.As(err, &ee) || (ee.Status != 401 && ee.Status != 400) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		// Anything accepted is in the b64token grammar and carries a
		// signature of one of our keys, as golang-jwt's SigningMethod
		// checks it: the fuzzer cannot forge a MAC or a signature.
		if !validToken(tok) {
			t.Fatalf("accepted a token outside the b64token grammar: %q", tok)
		}
		i := strings.LastIndexByte(tok, '.')
		sig, derr := base64.RawURLEncoding.DecodeString(tok[i+1:])
		if derr != nil || jwt.SigningMethodHS256.Verify(tok[:i], sig, hs.pub) != nil && jwt.SigningMethodES256.Verify(tok[:i], sig, es.pub) != nil {
			t.Fatalf("accepted a token without a signature of ours: %+v", p)
		}
	})
}
