package bearertest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse/bearer"
)

// ProviderConfig configures a [Provider]. The zero value is an OpenID
// provider at the server's origin that signs ES256 tokens and publishes its
// JWK Set with an ETag and no Cache-Control header.
type ProviderConfig struct {
	// Path is the issuer's path under the server's origin, such as
	// "/realms/demo"; empty for an issuer at the origin. The issuer URL is
	// the server URL followed by Path, with a trailing "/" only if Path has
	// one. A non-empty Path starts with "/" and has no query or fragment.
	Path string
	// Algorithm is the signing algorithm of every key: "ES256" (the
	// default, P-256), "RS256" (2048-bit RSA), "EdDSA" (Ed25519) or
	// "HS256" (32-byte random secrets). HS256 secrets are never served:
	// the JWK Set stays empty and a verifier gets them from
	// [Provider.Keys], as it would from its configuration.
	Algorithm string
	// MaxAge, when positive, is sent as "Cache-Control: max-age=N" with
	// the JWK Set, in whole seconds (at least 1). Zero sends no
	// Cache-Control header.
	MaxAge time.Duration
	// NoETag leaves the ETag header out of JWK Set responses; the set is
	// then never answered with 304 Not Modified.
	NoETag bool
	// Discovery chooses which metadata documents are served: "openid"
	// (the default) serves <issuer>/.well-known/openid-configuration
	// (OpenID Connect Discovery §4), "oauth" serves the RFC 8414 location
	// (/.well-known/oauth-authorization-server inserted between the
	// origin and Path), "both" serves the two, "none" neither. A location
	// not served answers 404.
	Discovery string
	// TokenType is the "typ" header of signed tokens; "at+jwt" (RFC 9068)
	// when empty.
	TokenType string
}

// ProviderStats counts the requests a [Provider] has answered.
type ProviderStats struct {
	// Discovery counts requests to either well-known location, served or
	// not (a client falling back from one to the other makes two).
	Discovery int
	// JWKS counts requests to the JWK Set, whatever their answer.
	JWKS int
	// NotModified counts JWK Set requests answered 304 Not Modified.
	NotModified int
	// Failed counts requests answered with the status set by
	// [Provider.Fail].
	Failed int
}

// Provider is an OpenID provider on loopback for tests: it publishes a
// discovery document and a JWK Set with HTTP caching headers, signs tokens,
// rotates keys and counts the requests it answers. Its methods are safe for
// concurrent use, also while the server answers.
//
// Requests for the JWK Set carry the validator of the published set: a
// strong ETag that changes whenever the set does, compared weakly against
// If-None-Match (RFC 9110 §13.1.2) to answer 304 Not Modified. Only GET
// and HEAD are allowed (other methods get 405 and are not counted).
type Provider struct {
	srv       *httptest.Server
	cfg       ProviderConfig
	method    jwt.SigningMethod
	issuer    string
	base      string // issuer without a trailing "/"
	jwksPath  string
	oidcPath  string
	oauthPath string

	mu         sync.Mutex
	keys       map[string]*providerKey
	published  []string // kids in publishing order
	current    string
	stranger   *providerKey // shared by kids first seen in SignWith
	seq        int
	docIssuer  string
	failStatus int
	retryAfter time.Duration
	set        []byte
	etag       string
	stats      ProviderStats
}

type providerKey struct {
	priv   crypto.Signer    // nil for an HS256 secret
	pub    crypto.PublicKey // nil for an HS256 secret
	secret []byte           // the HS256 secret
	jwk    jwkset.JWKMarshal
}

// signingKey returns the key golang-jwt signs with.
func (k *providerKey) signingKey() any {
	if k.secret != nil {
		return k.secret
	}
	return k.priv
}

// TB is the part of testing.TB a [Provider] uses: *testing.T, *testing.B
// and *testing.F satisfy it.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// NewProvider starts a Provider on a loopback httptest server with one
// published signing key, and closes the server when the test ends.
// It fails the test if cfg is invalid.
func NewProvider(t TB, cfg ProviderConfig) *Provider {
	t.Helper()
	if cfg.Path != "" && (!strings.HasPrefix(cfg.Path, "/") || strings.ContainsAny(cfg.Path, "?#")) {
		t.Fatalf("bearertest: ProviderConfig.Path %q: want empty or an absolute path without query or fragment", cfg.Path)
	}
	if cfg.Algorithm == "" {
		cfg.Algorithm = "ES256"
	}
	if cfg.Discovery == "" {
		cfg.Discovery = "openid"
	}
	if cfg.TokenType == "" {
		cfg.TokenType = "at+jwt"
	}
	p := &Provider{cfg: cfg, keys: map[string]*providerKey{}}
	switch cfg.Algorithm {
	case "ES256":
		p.method = jwt.SigningMethodES256
	case "RS256":
		p.method = jwt.SigningMethodRS256
	case "EdDSA":
		p.method = jwt.SigningMethodEdDSA
	case "HS256":
		p.method = jwt.SigningMethodHS256
	default:
		t.Fatalf("bearertest: ProviderConfig.Algorithm %q: want ES256, RS256, EdDSA or HS256", cfg.Algorithm)
	}
	switch cfg.Discovery {
	case "openid", "oauth", "both", "none":
	default:
		t.Fatalf("bearertest: ProviderConfig.Discovery %q: want openid, oauth, both or none", cfg.Discovery)
	}

	// Everything the handler reads is set before the server starts.
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serveHTTP))
	p.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	t.Cleanup(p.srv.Close)
	origin := "http://" + p.srv.Listener.Addr().String()
	path := strings.TrimSuffix(cfg.Path, "/")
	p.issuer = origin + cfg.Path
	p.base = origin + path
	p.jwksPath = path + "/jwks"
	p.oidcPath = path + "/.well-known/openid-configuration"
	p.oauthPath = "/.well-known/oauth-authorization-server" + path
	p.Rotate(t)
	p.srv.Start()
	return p
}

// Issuer returns the issuer identifier: the "iss" that Sign writes and the
// discovery document's "issuer" (unless changed by SetDocumentIssuer).
func (p *Provider) Issuer() string { return p.issuer }

// JWKSURL returns the URL of the JWK Set, the discovery document's
// "jwks_uri": the issuer, without its trailing "/", followed by "/jwks".
func (p *Provider) JWKSURL() string { return p.base + "/jwks" }

// KeyID returns the kid of the current signing key.
func (p *Provider) KeyID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.current
}

// Sign returns a token for claims signed with the current key, with the
// "kid" and "typ" headers set. It sets "iss" to Issuer unless claims has
// an "iss" entry; an "iss" entry of nil leaves the claim out. claims is
// not modified.
func (p *Provider) Sign(t TB, claims jwt.MapClaims) string {
	t.Helper()
	return p.SignWith(t, p.KeyID(), claims, nil)
}

// SignWith is Sign with the key kid and extra header entries. A kid the
// provider does not know gets a key that is never published (all such
// kids share one key of the provider's algorithm), which makes tokens for
// unknown-kid floods and for keys of another issuer. header entries are
// set after "alg", "kid" and "typ" and override them; a nil value deletes
// the entry. Overriding "alg" changes the header only: the signature is
// made with the key's algorithm.
func (p *Provider) SignWith(t TB, kid string, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	p.mu.Lock()
	k := p.keys[kid]
	if k == nil {
		if p.stranger == nil {
			var err error
			if p.stranger, err = p.newKey(); err != nil {
				p.mu.Unlock()
				t.Fatalf("bearertest: generating a key: %v", err)
			}
		}
		k = p.stranger
		p.keys[kid] = k
	}
	p.mu.Unlock()

	c := make(jwt.MapClaims, len(claims)+1)
	maps.Copy(c, claims)
	if iss, ok := c["iss"]; !ok {
		c["iss"] = p.issuer
	} else if iss == nil {
		delete(c, "iss")
	}
	tok := jwt.NewWithClaims(p.method, c)
	tok.Header["kid"] = kid
	tok.Header["typ"] = p.cfg.TokenType
	for name, v := range header {
		if v == nil {
			delete(tok.Header, name)
		} else {
			tok.Header[name] = v
		}
	}
	s, err := tok.SignedString(k.signingKey())
	if err != nil {
		t.Fatalf("bearertest: signing a token: %v", err)
	}
	return s
}

// Rotate generates a key, publishes it and makes it the current signing
// key, and returns its kid. Earlier keys stay published until withdrawn.
func (p *Provider) Rotate(t TB) (kid string) {
	t.Helper()
	k, err := p.newKey()
	if err != nil {
		t.Fatalf("bearertest: generating a key: %v", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		p.seq++
		kid = fmt.Sprintf("key-%d", p.seq)
		if p.keys[kid] == nil {
			break
		}
	}
	if k.secret == nil {
		j, err := jwkset.NewJWKFromKey(k.pub, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{
			KID: kid,
			ALG: jwkset.ALG(p.cfg.Algorithm),
			USE: jwkset.UseSig,
		}})
		if err != nil {
			t.Fatalf("bearertest: making the JWK of %s: %v", kid, err)
		}
		k.jwk = j.Marshal()
	}
	p.keys[kid] = k
	p.published = append(p.published, kid)
	p.current = kid
	p.publishLocked()
	return kid
}

// Withdraw stops publishing the key kid. The key can still sign, through
// SignWith or, if it is the current key, Sign: tokens of a withdrawn key.
func (p *Provider) Withdraw(kid string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, k := range p.published {
		if k == kid {
			p.published = append(p.published[:i:i], p.published[i+1:]...)
			p.publishLocked()
			return
		}
	}
}

// PublicKey returns the public key of kid (an *ecdsa.PublicKey,
// *rsa.PublicKey or ed25519.PublicKey), published or not, or nil if the
// provider has no key kid or signs HS256 (see [Provider.Keys]).
func (p *Provider) PublicKey(kid string) crypto.PublicKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k := p.keys[kid]; k != nil {
		return k.pub
	}
	return nil
}

// Keys returns the published keys, in publishing order, as the
// verification keys of a [bearer.Issuer] or [bearer.Config]: each with
// its kid, the provider's algorithm and its public key, or its secret for
// HS256 (the only way to verify an HS256 provider's tokens: its JWK Set is
// empty). The slice and the secrets are the caller's own.
func (p *Provider) Keys() []bearer.Key {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]bearer.Key, 0, len(p.published))
	for _, kid := range p.published {
		k := p.keys[kid]
		var key any = k.pub
		if k.secret != nil {
			key = slices.Clone(k.secret)
		}
		out = append(out, bearer.Key{ID: kid, Algorithm: p.cfg.Algorithm, Key: key})
	}
	return out
}

// SetDocumentIssuer makes the discovery documents name iss as "issuer"
// instead of Issuer, for issuer mismatch tests; "" restores Issuer.
func (p *Provider) SetDocumentIssuer(iss string) {
	p.mu.Lock()
	p.docIssuer = iss
	p.mu.Unlock()
}

// Fail makes the JWK Set and the served discovery documents answer status,
// with a Retry-After header of retryAfter in seconds (rounded up; none if
// retryAfter is zero), until Fail(0, 0).
func (p *Provider) Fail(status int, retryAfter time.Duration) {
	p.mu.Lock()
	p.failStatus, p.retryAfter = status, retryAfter
	p.mu.Unlock()
}

// Stats returns the counts of requests answered so far.
func (p *Provider) Stats() ProviderStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

func (p *Provider) newKey() (*providerKey, error) {
	var priv crypto.Signer
	var err error
	switch p.cfg.Algorithm {
	case "HS256":
		secret := make([]byte, 32)
		_, _ = rand.Read(secret) // never fails (crypto/rand)
		return &providerKey{secret: secret}, nil
	case "RS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return nil, err
	}
	return &providerKey{priv: priv, pub: priv.Public()}, nil
}

// publishLocked renders the published keys and their ETag.
func (p *Provider) publishLocked() {
	set := jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{}}
	for _, kid := range p.published {
		if k := p.keys[kid]; k.secret == nil {
			set.Keys = append(set.Keys, k.jwk)
		}
	}
	b, err := json.Marshal(set)
	if err != nil {
		panic("bearertest: encoding the key set: " + err.Error())
	}
	sum := sha256.Sum256(b)
	p.set, p.etag = b, `"`+hex.EncodeToString(sum[:8])+`"`
}

func (p *Provider) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var jwks, doc bool
	switch r.URL.Path {
	case p.jwksPath:
		jwks = true
	case p.oidcPath, p.oauthPath:
		d := p.cfg.Discovery
		doc = d == "both" ||
			d == "openid" && r.URL.Path == p.oidcPath ||
			d == "oauth" && r.URL.Path == p.oauthPath
		p.mu.Lock()
		p.stats.Discovery++
		p.mu.Unlock()
		if !doc {
			http.NotFound(w, r)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}

	p.mu.Lock()
	if jwks {
		p.stats.JWKS++
	}
	status, retryAfter := p.failStatus, p.retryAfter
	if status != 0 {
		p.stats.Failed++
	}
	body, etag, docIssuer := p.set, p.etag, p.docIssuer
	notModified := jwks && status == 0 && !p.cfg.NoETag && noneMatch(r.Header.Values("If-None-Match"), etag)
	if notModified {
		p.stats.NotModified++
	}
	p.mu.Unlock()

	if status != 0 {
		if retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.FormatInt(int64((retryAfter+time.Second-1)/time.Second), 10))
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	if doc {
		if docIssuer == "" {
			docIssuer = p.issuer
		}
		b, _ := json.Marshal(map[string]any{
			"issuer":                                docIssuer,
			"jwks_uri":                              p.JWKSURL(),
			"authorization_endpoint":                p.base + "/authorize",
			"token_endpoint":                        p.base + "/token",
			"response_types_supported":              []string{"code"},
			"grant_types_supported":                 []string{"authorization_code", "client_credentials"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{p.cfg.Algorithm},
		})
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
		return
	}

	// A 304 carries the headers a 200 would (RFC 9110 §15.4.5).
	if p.cfg.MaxAge > 0 {
		w.Header().Set("Cache-Control", "max-age="+strconv.FormatInt(max(int64(p.cfg.MaxAge/time.Second), 1), 10))
	}
	if !p.cfg.NoETag {
		w.Header().Set("ETag", etag)
	}
	if notModified {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// noneMatch reports whether the If-None-Match field values match etag: a
// "*", or an entity-tag in the lists whose opaque-tag equals etag's (weak
// comparison, RFC 9110 §8.8.3.2). A malformed list matches nothing from
// the point where it breaks.
func noneMatch(values []string, etag string) bool {
	for _, s := range values {
		for {
			s = strings.TrimLeft(s, " \t,")
			if s == "" {
				break
			}
			if s[0] == '*' {
				return true
			}
			s = strings.TrimPrefix(s, "W/")
			if len(s) < 2 || s[0] != '"' {
				break
			}
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				break
			}
			if s[:end+2] == etag {
				return true
			}
			s = s[end+2:]
		}
	}
	return false
}
