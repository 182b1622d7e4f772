package gatehousetest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"maps"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse/dpop"
)

// DefaultSubject is the "sub" of a token whose [Claims] leave Subject
// empty.
const DefaultSubject = "user-1"

// The values the variants write: an audience and an issuer no
// Authenticator of a [Provider] accepts, and the kid of [UnknownKey].
const (
	OtherAudience = "https://other-api.invalid"
	OtherIssuer   = "https://other-issuer.invalid"
	UnknownKeyID  = "gatehousetest-unknown-key"
)

// foreignKeyID names the key Foreign signs with; the token's header names
// the provider's current kid instead.
const foreignKeyID = "gatehousetest-foreign-key"

// Claims are the claims of a token minted by [Provider.Token]. Empty
// fields take the defaults a valid access token of the provider has.
type Claims struct {
	// Subject is "sub". Default: DefaultSubject.
	Subject string
	// Audience is "aud", a string for one value and an array for several.
	// Default: the provider's audience.
	Audience []string
	// Scopes are written space-separated as "scope". Default: none (no
	// "scope" claim).
	Scopes []string
	// Tenant is "tenant", bearer's default tenant claim. Optional.
	Tenant string
	// ClientID is "client_id". Optional.
	ClientID string
	// SessionID is "sid". Optional.
	SessionID string
	// ID is "jti". Default: a random id.
	ID string
	// IssuedAt is "iat". Default: the provider's time.
	IssuedAt time.Time
	// NotBefore is "nbf". Default: none.
	NotBefore time.Time
	// ExpiresAt is "exp". Default: an hour after IssuedAt.
	ExpiresAt time.Time
	// Extra are further claims, set after the fields above (and so able to
	// replace them: "permissions" for Auth0-style scopes, an "iss" of
	// another issuer); a nil value removes the claim ("exp": nil for a
	// token without expiry).
	Extra map[string]any
}

// token is what the options of one Token call decide.
type token struct {
	now     time.Time
	claims  jwt.MapClaims
	header  map[string]any
	kid     string // the provider's key to sign with; "" for the current one
	foreign bool
	tamper  bool
}

// A TokenOption changes one token of [Provider.Token]: the variants that
// a correct middleware refuses, or a binding. Options apply after the
// [Claims], in order.
type TokenOption func(*token)

// Expired makes a token whose "exp" passed an hour ago, issued two hours
// ago, without "nbf": bearer refuses it with bearer.ErrTokenExpired
// whatever its leeway.
func Expired() TokenOption {
	return func(tk *token) {
		tk.claims["iat"] = tk.now.Add(-2 * time.Hour).Unix()
		tk.claims["exp"] = tk.now.Add(-time.Hour).Unix()
		delete(tk.claims, "nbf")
	}
}

// NotYetValid makes a token valid from an hour from now ("nbf"), for two
// hours: bearer refuses it with bearer.ErrTokenNotYetValid.
func NotYetValid() TokenOption {
	return func(tk *token) {
		tk.claims["iat"] = tk.now.Unix()
		tk.claims["nbf"] = tk.now.Add(time.Hour).Unix()
		tk.claims["exp"] = tk.now.Add(2 * time.Hour).Unix()
	}
}

// Foreign signs the token with a key the provider never publishes, under
// the kid of its current key: a forgery by someone who knows the issuer
// and its kid but not its key. bearer refuses it with
// bearer.ErrTokenInvalid (the signature does not verify).
func Foreign() TokenOption {
	return func(tk *token) { tk.foreign = true }
}

// UnknownKey signs the token with a key the provider never publishes,
// under the kid UnknownKeyID: bearer fetches the provider's JWK Set again
// to look for it and refuses the token with bearer.ErrUnknownKey.
func UnknownKey() TokenOption {
	return func(tk *token) { tk.kid = UnknownKeyID }
}

// SignedWith signs the token with the provider's key kid, published or
// withdrawn (see Provider.Rotate and Provider.Withdraw), instead of the
// current one.
func SignedWith(kid string) TokenOption {
	return func(tk *token) { tk.kid = kid }
}

// Tampered changes the token's payload after it is signed: "admin" is
// added to its "scope", the signature left as it was. bearer refuses it
// with bearer.ErrTokenInvalid.
func Tampered() TokenOption {
	return func(tk *token) { tk.tamper = true }
}

// WrongAudience replaces the token's "aud" with OtherAudience: bearer
// refuses it with bearer.ErrAudience.
func WrongAudience() TokenOption {
	return func(tk *token) { tk.claims["aud"] = OtherAudience }
}

// WrongIssuer replaces the token's "iss" with OtherIssuer, still signed
// with the provider's key: bearer refuses it with bearer.ErrIssuer.
func WrongIssuer() TokenOption {
	return func(tk *token) { tk.claims["iss"] = OtherIssuer }
}

// Header sets the token's protected header name to value, or removes it
// when value is nil: Header("typ", "JWT") for a token type bearer
// refuses with bearer.ErrTokenType, Header("crit", []string{"exp"}) for
// bearer.ErrCritHeader. A changed "alg" changes the header only; the
// signature is made with the provider's algorithm.
func Header(name string, value any) TokenOption {
	return func(tk *token) { tk.header[name] = value }
}

// BoundTo binds the token to the DPoP key of key (RFC 9449 §6): its "cnf"
// claim holds the key's thumbprint as "jkt". bearer then accepts it only
// with a DPoP proof of that key (see [WithDPoP] and [DPoPProof]), never
// as a bearer token.
func BoundTo(key *dpop.Signer) TokenOption {
	return func(tk *token) { tk.claims["cnf"] = map[string]any{"jkt": key.Thumbprint()} }
}

// Token returns an access token signed by the provider's current key:
// "iss" the provider, "aud" its audience, "sub" DefaultSubject, "iat"
// now, "exp" an hour later, a random "jti", the "kid" of the key and the
// "typ" at+jwt, unless c or opts say otherwise. It fails the test if the
// token cannot be signed.
func (p *Provider) Token(t TB, c Claims, opts ...TokenOption) string {
	t.Helper()
	tk := &token{now: p.Now(), header: map[string]any{}}
	tk.claims = c.mapClaims(p, tk.now)
	for _, o := range opts {
		o(tk)
	}
	claims := make(jwt.MapClaims, len(tk.claims))
	for name, v := range tk.claims {
		if v != nil {
			claims[name] = v
		}
	}
	if _, ok := claims["iss"]; !ok {
		claims["iss"] = nil // bearertest writes its issuer unless told not to
	}
	kid := tk.kid
	if kid == "" {
		kid = p.KeyID()
	}
	header := tk.header
	if tk.foreign {
		header = maps.Clone(tk.header)
		if _, ok := header["kid"]; !ok {
			header["kid"] = kid
		}
		kid = foreignKeyID
	}
	raw := p.SignWith(t, kid, claims, header)
	if tk.tamper {
		raw = tamper(t, raw)
	}
	return raw
}

// mapClaims returns the claims of c with the defaults of p at now.
func (c Claims) mapClaims(p *Provider, now time.Time) jwt.MapClaims {
	m := jwt.MapClaims{"iss": p.Issuer(), "sub": c.Subject, "jti": c.ID}
	if c.Subject == "" {
		m["sub"] = DefaultSubject
	}
	if c.ID == "" {
		m["jti"] = rand.Text()
	}
	switch aud := c.Audience; len(aud) {
	case 0:
		m["aud"] = p.audience
	case 1:
		m["aud"] = aud[0]
	default:
		m["aud"] = aud
	}
	iat := c.IssuedAt
	if iat.IsZero() {
		iat = now
	}
	m["iat"] = iat.Unix()
	exp := c.ExpiresAt
	if exp.IsZero() {
		exp = iat.Add(time.Hour)
	}
	m["exp"] = exp.Unix()
	if !c.NotBefore.IsZero() {
		m["nbf"] = c.NotBefore.Unix()
	}
	for name, v := range map[string]string{"scope": strings.Join(c.Scopes, " "), "tenant": c.Tenant, "client_id": c.ClientID, "sid": c.SessionID} {
		if v != "" {
			m[name] = v
		}
	}
	maps.Copy(m, c.Extra)
	return m
}

// tamper adds "admin" to the "scope" of the signed token raw, keeping its
// header and signature.
func tamper(t TB, raw string) string {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("gatehousetest: tampering: not a compact JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err == nil {
		err = json.Unmarshal(payload, &claims)
	}
	if err != nil {
		t.Fatalf("gatehousetest: tampering: decoding the payload: %v", err)
	}
	scope, _ := claims["scope"].(string)
	claims["scope"] = strings.TrimSpace(scope + " admin")
	payload, err = json.Marshal(claims)
	if err != nil {
		t.Fatalf("gatehousetest: tampering: encoding the payload: %v", err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}
