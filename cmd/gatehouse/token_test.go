package main

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type jwkOutput struct {
	Alg        string          `json:"alg"`
	Kid        string          `json:"kid"`
	PrivatePEM string          `json:"private_pem"`
	PrivateJWK json.RawMessage `json:"private_jwk"`
	Files      []string        `json:"files"`
	PublicJWKS json.RawMessage `json:"public_jwks"`
	Note       string          `json:"note"`
}

type inspectOutput struct {
	Header  map[string]any `json:"header"`
	Claims  map[string]any `json:"claims"`
	Error   string         `json:"error"`
	Verdict *verdictJSON   `json:"verdict"`
}

// mint runs token mint and returns the token, checking the development
// notice on stderr.
func mint(t *testing.T, args ...string) string {
	t.Helper()
	r := gh(t, "", append([]string{"token", "mint"}, args...)...)
	out := ok(t, r)
	assert.Contains(t, r.stderr, "for development and tests")
	tok := strings.TrimSuffix(out, "\n")
	require.Equal(t, 2, strings.Count(tok, "."), "a compact JWS: %q", tok)
	return tok
}

// inspect runs token inspect -json with the token on stdin.
func inspect(t *testing.T, tok string, args ...string) (inspectOutput, result) {
	t.Helper()
	r := gh(t, tok, append(append([]string{"token", "inspect", "-json"}, args...), "-")...)
	require.Contains(t, []int{0, 1}, r.code, "stderr: %s", r.stderr)
	assert.NotContains(t, r.stderr, tok, "the token is never echoed")
	return decodeJSON[inspectOutput](t, r.stdout), r
}

func TestJWKGenerate(t *testing.T) {
	for _, alg := range []string{"ES256", "ES384", "ES512", "EdDSA", "RS256", "PS256", "HS256", "HS512"} {
		t.Run(alg, func(t *testing.T) {
			v := decodeJSON[jwkOutput](t, ok(t, gh(t, "", "jwk", "generate", "-alg", alg, "-json")))
			assert.Equal(t, alg, v.Alg)
			var priv map[string]any
			require.NoError(t, json.Unmarshal(v.PrivateJWK, &priv))
			assert.Equal(t, v.Kid, priv["kid"])
			assert.Equal(t, alg, priv["alg"])
			if strings.HasPrefix(alg, "HS") {
				assert.Equal(t, "oct", priv["kty"])
				assert.Equal(t, "null", string(v.PublicJWKS))
				assert.Contains(t, v.Note, "no public key")
				assert.Empty(t, v.PrivatePEM)
				secret, err := base64.RawURLEncoding.DecodeString(priv["k"].(string))
				require.NoError(t, err)
				assert.Len(t, secret, algs[alg].hmacLen)
				assert.Equal(t, octThumbprint(secret), v.Kid)
				return
			}
			assert.NotEmpty(t, priv["d"], "the private JWK holds the private key")
			assert.True(t, strings.HasPrefix(v.PrivatePEM, "-----BEGIN PRIVATE KEY-----"))
			keys, err := bearer.ParseJWKSet(v.PublicJWKS)
			require.NoError(t, err, "the JWK Set is one bearer verifies with")
			require.Len(t, keys, 1)
			assert.Equal(t, alg, keys[0].Algorithm)
			assert.Equal(t, v.Kid, keys[0].ID)
			thumb, err := dpop.Thumbprint(keys[0].Key)
			require.NoError(t, err)
			assert.Equal(t, thumb, v.Kid, "the default kid is the RFC 7638 thumbprint")
			assert.NotContains(t, string(v.PublicJWKS), `"d"`)
		})
	}
	v := decodeJSON[jwkOutput](t, ok(t, gh(t, "", "jwk", "generate", "-alg", "EdDSA", "-kid", "k-2026", "-json")))
	assert.Equal(t, "k-2026", v.Kid)

	text := ok(t, gh(t, "", "jwk", "generate", "-alg", "HS256"))
	assert.Contains(t, text, "public JWK Set: none: an HMAC key is symmetric")

	usage(t, gh(t, "", "jwk", "generate"), "-alg is required")
	refused(t, gh(t, "", "jwk", "generate", "-alg", "none"), "jwk generate", `unsupported algorithm "none"`)
	refused(t, gh(t, "", "jwk", "generate", "-alg", "RS256", "-bits", "1024"), "jwk generate", "-bits 1024 is outside")
}

func TestJWKGenerateOut(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "signing.jwk")
	out := ok(t, gh(t, "", "jwk", "generate", "-alg", "ES256", "-out", file))
	assert.NotContains(t, out, "PRIVATE KEY", "the private key goes to the files only")
	assert.NotContains(t, out, `"d"`)
	assert.Contains(t, out, `"keys"`)
	for _, f := range []string{file, file + ".pem"} {
		fi, err := os.Stat(f)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
	before, err := os.ReadFile(file)
	require.NoError(t, err)
	refused(t, gh(t, "", "jwk", "generate", "-alg", "ES256", "-out", file), "jwk generate", "not overwriting")
	after, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, before, after)
}

// TestMintInspectRoundTrip generates a key of each kind, mints a token with
// it (from the JWK and from the PEM) and has inspect accept it with the
// private JWK, the public JWK Set and the PEM.
func TestMintInspectRoundTrip(t *testing.T) {
	for _, alg := range []string{"ES256", "EdDSA", "RS256", "HS256"} {
		t.Run(alg, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "k.jwk")
			jwksOut := ok(t, gh(t, "", "jwk", "generate", "-alg", alg, "-out", file, "-json"))
			v := decodeJSON[jwkOutput](t, jwksOut)
			sources := [][]string{{"-key", file}}
			mintKeys := [][]string{{"-key", file}}
			if !strings.HasPrefix(alg, "HS") {
				jwksFile := filepath.Join(dir, "jwks.json")
				require.NoError(t, os.WriteFile(jwksFile, v.PublicJWKS, 0o600))
				sources = append(sources, []string{"-key", jwksFile}, []string{"-key", file + ".pem", "-alg", alg})
				mintKeys = append(mintKeys, []string{"-key", file + ".pem", "-alg", alg})
			}
			for _, mk := range mintKeys {
				tok := mint(t, append(mk, "-iss", "https://issuer.test", "-aud", "api", "-sub", "user-42",
					"-scope", "orders:read orders:write", "-claim", "tenant=acme", "-claim", "n=7", "-ttl", "30m")...)
				for _, src := range sources {
					out, r := inspect(t, tok, append(src, "-iss", "https://issuer.test", "-aud", "api", "-typ", "at+jwt")...)
					require.Equal(t, 0, r.code, "%v: %s", src, r.stderr)
					require.NotNil(t, out.Verdict)
					assert.True(t, out.Verdict.Accepted)
					p := out.Verdict.Principal
					assert.Equal(t, "user-42", p.Subject)
					assert.Equal(t, "acme", p.Tenant)
					assert.Equal(t, []string{"orders:read", "orders:write"}, p.Scopes)
					assert.Equal(t, alg, out.Header["alg"])
					assert.Equal(t, v.Kid, out.Header["kid"])
					assert.Equal(t, "at+jwt", out.Header["typ"])
					assert.Equal(t, float64(7), out.Claims["n"])
					exp := out.Claims["exp"].(float64) - out.Claims["iat"].(float64)
					assert.Equal(t, float64(30*60), exp)
				}
			}
		})
	}
}

func TestMintRawSecretAndClaims(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secretFile, []byte(strings.Repeat("s", 32)+"\n"), 0o600))
	tok := mint(t, "-key", secretFile, "-alg", "HS256", "-typ", "", "-jti", "fixed", "-claim", "jti",
		"-claim", `roles=["a","b"]`, "-claim", "word=plain text", "-aud", "a1", "-aud", "a2 a3")
	out, r := inspect(t, tok, "-key", secretFile, "-alg", "HS256", "-aud", "a2")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, out.Header, "typ")
	assert.NotContains(t, out.Header, "kid", "an HMAC secret has no default kid")
	assert.NotContains(t, out.Claims, "jti", "-claim k removes k")
	assert.Equal(t, []any{"a", "b"}, out.Claims["roles"])
	assert.Equal(t, "plain text", out.Claims["word"])
	assert.Equal(t, []any{"a1", "a2", "a3"}, out.Claims["aud"])

	// The trailing newline is not part of the secret: the same secret
	// without it verifies the token.
	bare := filepath.Join(dir, "bare")
	require.NoError(t, os.WriteFile(bare, []byte(strings.Repeat("s", 32)), 0o600))
	_, r = inspect(t, tok, "-key", bare, "-alg", "HS256")
	assert.Equal(t, 0, r.code, r.stderr)
}

func TestMintRefusals(t *testing.T) {
	dir := t.TempDir()
	ec := filepath.Join(dir, "ec.jwk")
	ok(t, gh(t, "", "jwk", "generate", "-alg", "ES256", "-out", ec))
	jwks := filepath.Join(dir, "jwks.json")
	out := ok(t, gh(t, "", "jwk", "generate", "-alg", "ES256", "-json"))
	require.NoError(t, os.WriteFile(jwks, decodeJSON[jwkOutput](t, out).PublicJWKS, 0o600))
	short := filepath.Join(dir, "short")
	require.NoError(t, os.WriteFile(short, []byte("too short"), 0o600))
	garbagePEM := filepath.Join(dir, "garbage.pem")
	require.NoError(t, os.WriteFile(garbagePEM, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600))

	usage(t, gh(t, "", "token", "mint"), "-key FILE is required")
	usage(t, gh(t, "", "token", "mint", "-key", ec, "-ttl", "forever"), "invalid duration")
	usage(t, gh(t, "", "token", "mint", "-key", ec, "-claim", "=v"), `-claim "=v"`)
	usage(t, gh(t, "", "token", "mint", "-key", short), "-alg is required for an HMAC secret")
	refused(t, gh(t, "", "token", "mint", "-key", filepath.Join(dir, "missing")), "token mint", "no such file or directory")
	refused(t, gh(t, "", "token", "mint", "-key", dir), "token mint", "is a directory")
	refused(t, gh(t, "", "token", "mint", "-key", ec, "-alg", "RS256"), "token mint", "does not match the key's own alg ES256")
	refused(t, gh(t, "", "token", "mint", "-key", ec+".pem", "-alg", "EdDSA"), "token mint", "-alg EdDSA needs an Ed25519 key")
	refused(t, gh(t, "", "token", "mint", "-key", ec+".pem", "-alg", "ES512"), "token mint", "needs a key on P-521")
	refused(t, gh(t, "", "token", "mint", "-key", ec+".pem", "-alg", "none"), "token mint", `unsupported algorithm "none"`)
	refused(t, gh(t, "", "token", "mint", "-key", short, "-alg", "HS256"), "token mint", "fewer than the 32 HS256 needs")
	refused(t, gh(t, "", "token", "mint", "-key", jwks), "token mint", "is a JWK Set")
	refused(t, gh(t, "", "token", "mint", "-key", garbagePEM), "token mint", "invalid PKCS #8 private key")
	refused(t, gh(t, "", "token", "mint", "-key", ec, "-scope", `a"b`), "token mint", "invalid scope")

	// A PKCS #8 key of a type no JWS algorithm signs with (X25519).
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(x)
	require.NoError(t, err)
	xFile := filepath.Join(dir, "x25519.pem")
	require.NoError(t, os.WriteFile(xFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	refused(t, gh(t, "", "token", "mint", "-key", xFile), "token mint", "unsupported key type *ecdh.PrivateKey")
	refused(t, gh(t, "", "token", "inspect", "-key", xFile, "e30.e30.e30"), "token inspect", "unsupported key type *ecdh.PrivateKey")
}

func TestInspectWithoutKey(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "k.jwk")
	ok(t, gh(t, "", "jwk", "generate", "-alg", "ES256", "-out", file))
	tok := mint(t, "-key", file, "-sub", "user-42", "-ttl", "-5m")

	// Decoding alone: exit 0 whatever the claims say, no verdict.
	out, r := inspect(t, tok)
	assert.Equal(t, 0, r.code)
	assert.Nil(t, out.Verdict)
	assert.Equal(t, "user-42", out.Claims["sub"])

	// Text form, from the argument.
	text := ok(t, gh(t, "", "token", "inspect", tok))
	assert.Contains(t, text, "header:\n{\n  \"alg\": \"ES256\"")
	assert.Contains(t, text, `"sub": "user-42"`)
	assert.Contains(t, text, "expires    ")
	assert.Regexp(t, `expires    \S+ \(5m[0-9]+s ago\)`, text)
	assert.NotContains(t, text, tok)

	for _, bad := range []string{"garbage", "a.b", "!!!.e30.sig", "e30.bm90IGpzb24.sig"} {
		refused(t, gh(t, bad, "token", "inspect", "-"), "token inspect", "malformed token: not a JWT")
	}
	refused(t, gh(t, "", "token", "inspect", "-"), "token inspect", "no token on stdin")
	usage(t, gh(t, "", "token", "inspect"), "the token is required")
	usage(t, gh(t, "", "token", "inspect", "a", "b"), "one token only")
	usage(t, gh(t, "", "token", "inspect", "-key", file, "-jwks", "http://127.0.0.1:1/", tok), "give one key source")
	usage(t, gh(t, "", "token", "inspect", "-redis", "127.0.0.1:6379", tok), "-redis needs a key source")
	refused(t, gh(t, "", "token", "inspect", "-key", filepath.Join(dir, "missing"), tok), "token inspect", "no such file or directory")
	refused(t, gh(t, "", "token", "inspect", "-key", dir, tok), "token inspect", "is a directory")
	refused(t, gh(t, "", "token", "inspect", "-key", file, "-alg", "RS256", tok), "token inspect", `JWK alg "ES256" does not match "RS256"`)
	refused(t, gh(t, "", "token", "inspect", "-key", file+".pem", "-alg", "ES384", tok), "token inspect", "needs a key on P-384")
}

// TestInspectAgreesWithMiddleware runs token inspect on a table of
// tokens, defective and not, and the real bearer middleware (configured as
// the command's flags say) on a request carrying each: the command's
// reason is the one the middleware audits.
func TestInspectAgreesWithMiddleware(t *testing.T) {
	const iss, aud = "https://issuer.test", "api"
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "k.jwk")
	v := decodeJSON[jwkOutput](t, ok(t, gh(t, "", "jwk", "generate", "-alg", "ES256", "-out", keyFile, "-json")))
	otherFile := filepath.Join(dir, "other.jwk")
	ok(t, gh(t, "", "jwk", "generate", "-alg", "ES256", "-out", otherFile))

	valid := []string{"-key", keyFile, "-iss", iss, "-sub", "user-42"}
	mintWith := func(extra ...string) string {
		if !slices.Contains(extra, "-aud") {
			extra = append(extra, "-aud", aud)
		}
		return mint(t, append(append([]string{}, valid...), extra...)...)
	}
	good := mintWith()
	parts := strings.Split(good, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt"}`)) + "." + parts[1] + "."
	hs := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"`+v.Kid+`","typ":"at+jwt"}`)) + "." + parts[1]
	hsSig := make([]byte, 32)
	_, _ = rand.Read(hsSig)
	hs += "." + base64.RawURLEncoding.EncodeToString(hsSig)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin","iss":"`+iss+`","aud":"`+aud+`","exp":9999999999}`)) + "." + parts[2]

	cases := []struct {
		name, token string
		reason      gatehouse.Reason // "" when accepted
	}{
		{"valid", good, ""},
		{"expired", mintWith("-ttl", "-10m"), bearer.ReasonTokenExpired},
		{"not yet valid", mintWith("-claim", "nbf="+strconv.FormatInt(time.Now().Add(10*time.Minute).Unix(), 10)), bearer.ReasonTokenNotYetValid},
		{"issued in the future", mintWith("-claim", "iat="+strconv.FormatInt(time.Now().Add(10*time.Minute).Unix(), 10)), bearer.ReasonTokenNotYetValid},
		{"wrong audience", mintWith("-aud", "other-api", "-aud", "third"), bearer.ReasonAudienceNotAccepted},
		{"no audience", mint(t, "-key", keyFile, "-iss", iss, "-sub", "u"), bearer.ReasonInvalidClaims},
		{"wrong issuer", mint(t, "-key", keyFile, "-iss", "https://evil.test", "-aud", aud), bearer.ReasonIssuerNotAccepted},
		{"bad signature", mint(t, "-key", otherFile, "-kid", v.Kid, "-iss", iss, "-aud", aud), bearer.ReasonInvalidToken},
		{"tampered claims", tampered, bearer.ReasonInvalidToken},
		{"unknown kid", mintWith("-kid", "no-such-kid"), bearer.ReasonUnknownSigningKey},
		{"alg none", none, bearer.ReasonInvalidToken},
		{"HS256 with the public key's kid", hs, bearer.ReasonInvalidToken},
		{"wrong typ", mintWith("-typ", "JWT"), bearer.ReasonTokenTypeNotAccepted},
		{"no exp", mintWith("-claim", "exp"), bearer.ReasonInvalidClaims},
		{"crit header", critToken(t, keyFile), bearer.ReasonUnsupportedCrit},
		{"malformed", "not-a-jwt", bearer.ReasonInvalidToken},
		{"malformed parts", "e30.e30.e30", bearer.ReasonInvalidToken},
		{"header characters", "two words", bearer.ReasonMalformedHeader},
	}

	key, err := bearer.ParseJWK(v.PublicJWKSKey(t), "")
	require.NoError(t, err)
	var audited gatehouse.Event
	auth, err := bearer.New(bearer.Config{
		Issuers:    []bearer.Issuer{{URL: iss, Keys: []bearer.Key{key}}},
		Algorithms: []string{"ES256"},
		Audiences:  []string{aud},
		TokenType:  "at+jwt",
		Audit:      gatehouse.AuditFunc(func(_ context.Context, e gatehouse.Event) { audited = e }),
	})
	require.NoError(t, err)
	handler := auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			audited = gatehouse.Event{}
			req := httptest.NewRequest(http.MethodGet, "/orders", nil)
			req.Header.Set("Authorization", "Bearer "+tc.token)
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			require.Equal(t, tc.reason, audited.Reason, "the middleware's reason")

			out, r := inspect(t, tc.token, "-key", keyFile, "-iss", iss, "-aud", aud, "-typ", "at+jwt")
			require.NotNil(t, out.Verdict)
			if tc.reason == "" {
				assert.Equal(t, http.StatusNoContent, rec.Code)
				assert.Equal(t, 0, r.code, r.stderr)
				assert.True(t, out.Verdict.Accepted)
				return
			}
			assert.False(t, out.Verdict.Accepted)
			assert.Equal(t, string(audited.Reason), out.Verdict.Reason, "inspect agrees with the middleware")
			assert.Equal(t, rec.Code, out.Verdict.Status)
			refused(t, r, "token inspect", "(reason "+string(tc.reason)+")")
		})
	}
}

// PublicJWKSKey returns the one key of the JWK Set jwk generate printed.
func (v jwkOutput) PublicJWKSKey(t *testing.T) []byte {
	t.Helper()
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(v.PublicJWKS, &set))
	require.Len(t, set.Keys, 1)
	return set.Keys[0]
}

// critToken mints a token with a "crit" header, which bearer refuses.
func critToken(t *testing.T, keyFile string) string {
	t.Helper()
	sk, err := loadSigningKey(keyFile, "", "")
	require.NoError(t, err)
	return signWithHeader(t, sk, map[string]any{"alg": sk.alg, "kid": sk.kid, "typ": "at+jwt", "crit": []string{"exp"}},
		map[string]any{"iss": "https://issuer.test", "aud": "api", "exp": time.Now().Add(time.Hour).Unix()})
}

// signWithHeader signs claims under the given header with golang-jwt.
func signWithHeader(t *testing.T, sk signingKey, header, claims map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(sk.alg), jwt.MapClaims(claims))
	tok.Header = header
	s, err := tok.SignedString(sk.key)
	require.NoError(t, err)
	return s
}

func TestInspectMessages(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "k.jwk")
	ok(t, gh(t, "", "jwk", "generate", "-alg", "EdDSA", "-out", keyFile))
	r := gh(t, mint(t, "-key", keyFile, "-ttl", "-192s"), "token", "inspect", "-key", keyFile, "-")
	refused(t, r, "token inspect", "refused: token expired 3m")
	assert.Regexp(t, `token expired 3m1[2-5]s ago \(exp `, r.stderr)
	assert.Contains(t, r.stderr, "(reason token_expired)")
	assert.Contains(t, r.stdout, "header:")

	r = gh(t, mint(t, "-key", keyFile, "-aud", "x"), "token", "inspect", "-key", keyFile, "-aud", "y", "-")
	refused(t, r, "token inspect", `refused: token audience ["x"] is none of ["y"] (reason audience_not_accepted)`)

	r = gh(t, mint(t, "-key", keyFile, "-sub", "user-42", "-scope", "a b", "-claim", "tenant=acme"), "token", "inspect", "-key", keyFile, "-")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `accepted: subject "user-42", scopes [a b], tenant "acme", expires in `)
	assert.Empty(t, r.stderr)
}

// TestInspectRemoteKeys verifies against a JWK Set served over loopback
// HTTP, given directly (-jwks) and found by OpenID discovery (-issuer);
// a key source that does not answer fails within -timeout.
func TestInspectRemoteKeys(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "k.jwk")
	v := decodeJSON[jwkOutput](t, ok(t, gh(t, "", "jwk", "generate", "-alg", "RS256", "-out", keyFile, "-json")))
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(v.PublicJWKS)
	})
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": srv.URL, "jwks_uri": srv.URL + "/jwks"})
	})
	tok := mint(t, "-key", keyFile, "-iss", srv.URL, "-aud", "api", "-sub", "user-42")

	for _, src := range [][]string{{"-jwks", srv.URL + "/jwks"}, {"-jwks", srv.URL + "/jwks", "-iss", srv.URL}, {"-issuer", srv.URL}} {
		out, r := inspect(t, tok, append(src, "-aud", "api")...)
		require.Equal(t, 0, r.code, "%v: %s", src, r.stderr)
		assert.True(t, out.Verdict.Accepted)
		assert.Equal(t, "user-42", out.Verdict.Principal.Subject)
	}
	r := gh(t, tok, "token", "inspect", "-issuer", srv.URL+"/elsewhere", "-aud", "api", "-timeout", "2s", "-")
	refused(t, r, "token inspect", "no usable signing key within 2s")
	assert.Contains(t, r.stderr, `issuer "`+srv.URL+`/elsewhere"`, "bearer's error names the issuer")
	assert.Empty(t, r.stdout)

	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	start := time.Now()
	r = gh(t, tok, "token", "inspect", "-jwks", downURL+"/jwks", "-timeout", "1s", "-")
	refused(t, r, "token inspect", "no usable signing key within 1s")
	assert.Contains(t, r.stderr, "JWK Set "+downURL+"/jwks", "bearer's error names the key set")
	assert.Less(t, time.Since(start), 15*time.Second)
	r = gh(t, tok, "token", "inspect", "-jwks", "http://example.com/jwks", "-")
	refused(t, r, "token inspect", "https")
}

// TestInspectRemoteKeysRedactsURL gives -jwks a URL with a password and a
// query to a key set that answers 500: the refusal names the key set as
// bearer's error does, without the password or the query.
func TestInspectRemoteKeysRedactsURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	u := strings.Replace(srv.URL, "http://", "http://ops:pw-S3CRET@", 1) + "/jwks?api_key=Q-S3CRET"
	r := gh(t, testJWT+"\n", "token", "inspect", "-jwks", u, "-timeout", "300ms", "-")
	refused(t, r, "token inspect", "no usable signing key within 300ms")
	assert.Contains(t, r.stderr, "JWK Set http://ops:xxxxx@"+strings.TrimPrefix(srv.URL, "http://")+"/jwks?…", "bearer's redacted URL")
	assert.NotContains(t, r.stderr, "pw-S3CRET", "the URL's password")
	assert.NotContains(t, r.stderr, "Q-S3CRET", "the URL's query")
	assert.Empty(t, r.stdout)
}

// TestInspectRevocationsRedis checks a token's revocations in Redis as a
// server using redisstore does: accepted, then refused once the command
// revoked it (read from stdin with -token -), with the middleware's
// reason.
func TestInspectRevocationsRedis(t *testing.T) {
	_, prefix := redisStore(t, true)
	redisArgs := []string{"-redis", redisAddr(), "-redis-prefix", prefix}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "k.jwk")
	ok(t, gh(t, "", "jwk", "generate", "-alg", "ES256", "-out", keyFile))
	tok := mint(t, "-key", keyFile, "-sub", "dave", "-claim", "sid=s-1", "-ttl", "20m")
	out, r := inspect(t, tok, append([]string{"-key", keyFile}, redisArgs...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.True(t, out.Verdict.Accepted)

	res := gh(t, tok, append([]string{"revoke", "jti", "-token", "-", "-json"}, redisArgs...)...)
	rv := decodeJSON[map[string]any](t, ok(t, res))
	assert.Equal(t, "dave", rv["subject"])
	assert.NotEmpty(t, rv["id"])
	assert.NotNil(t, rv["until"], "the token's exp")
	assert.NotContains(t, res.stdout+res.stderr, tok)

	out, r = inspect(t, tok, append([]string{"-key", keyFile}, redisArgs...)...)
	assert.Equal(t, string(bearer.ReasonTokenRevoked), out.Verdict.Reason)
	refused(t, r, "token inspect", "(reason token_revoked)")

	// A session revocation reaches the session's other tokens.
	other := mint(t, "-key", keyFile, "-sub", "dave", "-claim", "sid=s-1")
	ok(t, gh(t, "", append([]string{"revoke", "session", "s-1", "-sub", "dave", "-until", "1h"}, redisArgs...)...))
	out, _ = inspect(t, other, append([]string{"-key", keyFile}, redisArgs...)...)
	assert.Equal(t, string(bearer.ReasonTokenRevoked), out.Verdict.Reason)

	// A token without jti is refused by a server with revocations.
	out, _ = inspect(t, mint(t, "-key", keyFile, "-sub", "dave", "-claim", "jti"), append([]string{"-key", keyFile}, redisArgs...)...)
	assert.Equal(t, string(bearer.ReasonInvalidClaims), out.Verdict.Reason)
}

// TestInspectLostState inspects a token against revocations under a
// prefix without an epoch record: refused as unavailable (the
// middleware's 503), with what to do.
func TestInspectLostState(t *testing.T) {
	_, prefix := redisStore(t, false)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "k.jwk")
	ok(t, gh(t, "", "jwk", "generate", "-alg", "ES256", "-out", keyFile))
	out, r := inspect(t, mint(t, "-key", keyFile, "-sub", "erin"), "-key", keyFile, "-redis", redisAddr(), "-redis-prefix", prefix)
	assert.Equal(t, string(gatehouse.ReasonStoreUnavailable), out.Verdict.Reason)
	assert.Equal(t, http.StatusServiceUnavailable, out.Verdict.Status)
	refused(t, r, "token inspect", "lost its state")
}
