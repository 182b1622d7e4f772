package bearer

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/internal/compact"
)

// This file keeps the former verification path — the header and the
// claims decoded into map[string]any by encoding/json, golang-jwt's
// SigningMethod and Validator — as the oracle the tests compare the
// fixed-slot path with (oldVerify). It covers static keys.

// oldJWS is the former jws: the header and the claims as maps.
type oldJWS struct {
	header  map[string]any
	alg     string
	method  jwt.SigningMethod
	signing string
	payload string
	sig     []byte

	decoded bool
	bad     bool
	c       jwt.MapClaims
	pb      []byte
}

func oldSplitJWS(tok string, algs []string) (oldJWS, bool) {
	c, ok := compact.Split(tok)
	if !ok {
		return oldJWS{}, false
	}
	var header map[string]any
	if err := json.Unmarshal(c.Header, &header); err != nil {
		return oldJWS{}, false
	}
	t := oldJWS{header: header}
	t.alg, ok = t.header["alg"].(string)
	if !ok || !slices.Contains(algs, t.alg) {
		return oldJWS{}, false
	}
	if t.method = jwt.GetSigningMethod(t.alg); t.method == nil {
		return oldJWS{}, false
	}
	var err error
	if t.sig, err = compact.Encoding.DecodeString(c.Signature); err != nil {
		return oldJWS{}, false
	}
	t.signing, t.payload = c.SigningInput, c.Payload
	return t, true
}

func (t *oldJWS) claims() (jwt.MapClaims, []byte, bool) {
	if !t.decoded {
		t.decoded = true
		var c jwt.MapClaims
		pb, err := compact.Encoding.DecodeString(t.payload)
		if err == nil {
			err = json.Unmarshal(pb, &c)
		}
		t.c, t.pb, t.bad = c, pb, err != nil
	}
	if t.bad {
		return nil, nil, false
	}
	return t.c, t.pb, true
}

// oldResult is what the former path decided.
type oldResult struct {
	p   gatehouse.Principal
	c   jwt.MapClaims
	exp int64 // the expiry (not capped by the cache's max age)
	iat int64
	rs  reason
}

// oldVerify is the former verifyJWT up to the Principal (no hooks,
// revocations or cache), for static keys, with a's configuration and
// clock. It reports rMalformed first for a token outside the b64token
// grammar, as check does.
func (a *Authenticator) oldVerify(tok string) oldResult {
	if !validToken(tok) {
		return oldResult{rs: rMalformed}
	}
	t, ok := oldSplitJWS(tok, a.algs)
	if !ok {
		return oldResult{rs: rInvalid}
	}
	is := a.single
	if is == nil {
		claims, _, ok := t.claims()
		if !ok {
			return oldResult{rs: rInvalid}
		}
		iss, _ := claims["iss"].(string)
		if is = a.issuers[iss]; is == nil {
			return oldResult{rs: rIssuer}
		}
	}
	h := t.header
	if _, ok := h["crit"]; ok {
		return oldResult{rs: rCrit}
	}
	if is.typ != "" {
		typ, _ := h["typ"].(string)
		if !compact.TypeMatches(typ, is.typ) {
			return oldResult{rs: rType}
		}
	}
	if !slices.Contains(is.algs, t.alg) {
		return oldResult{rs: rInvalid}
	}
	kid := ""
	if v, ok := h["kid"]; ok {
		s, ok := v.(string)
		if !ok {
			return oldResult{rs: rUnknownKey}
		}
		kid = s
	}
	sk, rs := is.staticKey(kid, t.alg)
	if rs != rOK {
		return oldResult{rs: rs}
	}
	if err := t.method.Verify(t.signing, t.sig, sk.Key.Key); err != nil {
		return oldResult{rs: rInvalid}
	}
	claims, _, ok := t.claims()
	if !ok {
		return oldResult{rs: rInvalid}
	}
	if is.checkISS {
		if iss, _ := claims["iss"].(string); iss != is.url {
			return oldResult{rs: rIssuer}
		}
	}
	if err := oldValidator(a, is).Validate(claims); err != nil {
		return oldResult{rs: jwtReason(fmt.Errorf("%w: %w", jwt.ErrTokenInvalidClaims, err))}
	}
	var r oldResult
	r.exp, r.rs = a.oldPrincipal(&r.p, claims, is)
	r.iat, _ = oldNumericDate(claims["iat"])
	r.c = claims
	return r
}

// oldValidator is the Validator the former issuerState held.
func oldValidator(a *Authenticator, is *issuerState) *jwt.Validator {
	opts := []jwt.ParserOption{
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(is.leeway),
		jwt.WithTimeFunc(a.now),
	}
	if len(is.auds) > 0 {
		opts = append(opts, jwt.WithAudience(slices.Clone(is.auds)...))
	}
	return jwt.NewValidator(opts...)
}

// oldPrincipal is the former principal, on a claim map.
func (a *Authenticator) oldPrincipal(p *gatehouse.Principal, c jwt.MapClaims, is *issuerState) (int64, reason) {
	exp, ok := oldNumericDate(c["exp"])
	if !ok {
		return 0, rClaims
	}
	var bad bool
	str := func(name string) string {
		v, present := c[name]
		if !present || v == nil {
			return ""
		}
		s, ok := v.(string)
		if !ok {
			bad = true
		}
		return s
	}
	str("iss")
	for _, name := range a.required {
		if c[name] == nil {
			return 0, rClaims
		}
	}
	*p = gatehouse.Principal{
		Subject:   str("sub"),
		Tenant:    str(is.tenant),
		ClientID:  str("client_id"),
		Scopes:    oldScopes(is, c),
		Method:    gatehouse.MethodJWT,
		TokenID:   str("jti"),
		SessionID: str("sid"),
		ExpiresAt: time.Unix(exp, 0),
		Claims:    NewClaims(c),
	}
	if bad || (a.needJTI && p.TokenID == "") {
		return 0, rClaims
	}
	var rs reason
	if p.Confirmation, rs = oldConfirmation(c); rs != rOK {
		return 0, rs
	}
	return exp, rOK
}

func oldNumericDate(v any) (int64, bool) {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) || f > math.MaxInt64/2 || f < 0 {
		return 0, false
	}
	return int64(f), true
}

func oldScopes(is *issuerState, c jwt.MapClaims) []string {
	if is.scopeClaim == "" {
		return gatehouse.ScopesFromClaims(c)
	}
	var buf [16]string
	scopes := gatehouse.AppendScopes(buf[:0], c[is.scopeClaim])
	if len(scopes) == 0 {
		return nil
	}
	return slices.Clone(scopes)
}

func oldConfirmation(c jwt.MapClaims) (gatehouse.Confirmation, reason) {
	v, ok := c["cnf"]
	if !ok || v == nil {
		return gatehouse.Confirmation{}, rOK
	}
	m, ok := v.(map[string]any)
	if !ok {
		return gatehouse.Confirmation{}, rBound
	}
	for name := range m {
		if name != "jkt" && name != "x5t#S256" {
			return gatehouse.Confirmation{}, rBound
		}
	}
	member := func(name string) (string, bool) {
		v, present := m[name]
		if !present {
			return "", true
		}
		s, ok := v.(string)
		return s, ok && s != ""
	}
	jkt, ok1 := member("jkt")
	x5t, ok2 := member("x5t#S256")
	cf := gatehouse.Confirmation{JKT: jkt, X5TS256: x5t}
	if !ok1 || !ok2 || cf == (gatehouse.Confirmation{}) {
		return gatehouse.Confirmation{}, rBound
	}
	return cf, rOK
}

// jwtReason classifies an error wrapping golang-jwt's sentinels, checking
// our own sentinels first.
func jwtReason(err error) reason {
	switch {
	case errors.Is(err, ErrUnavailable):
		return rUnavailable
	case errors.Is(err, ErrCritHeader):
		return rCrit
	case errors.Is(err, ErrTokenType):
		return rType
	case errors.Is(err, ErrUnknownKey):
		return rUnknownKey
	case errors.Is(err, ErrIssuer):
		return rIssuer
	case errors.Is(err, jwt.ErrTokenMalformed), errors.Is(err, jwt.ErrTokenSignatureInvalid),
		errors.Is(err, jwt.ErrTokenUnverifiable):
		return rInvalid
	case errors.Is(err, jwt.ErrTokenExpired):
		return rExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return rNotYetValid
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return rAudience
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing), errors.Is(err, jwt.ErrTokenInvalidClaims):
		return rClaims
	}
	return rInvalid
}
