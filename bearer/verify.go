package bearer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/internal/compact"
)

// check is the single decision: it returns the Principal and rOK, or the
// reason and the client error for it. The Principal may be shared with
// other requests (a cached token's): it must not be modified. A cache hit
// is answered here, in one function: it is the hot path.
func (a *Authenticator) check(r *http.Request) (*gatehouse.Principal, reason, error) {
	tok, isDPoP, rs := tokenFromHeader(r.Header, a.dpop != nil)
	if rs == rOK {
		if !isDPoP && a.dpopMode == DPoPRequired {
			rs = rOtherScheme // a bearer token where only DPoP is accepted
		} else {
			rs = otherMethod(r)
		}
	}
	if rs != rOK {
		if isDPoP {
			return nil, rs, a.dpopErrs[rs]
		}
		return nil, rs, a.errs[rs]
	}
	ctx := r.Context()
	isJWT := a.jwtOn && strings.Count(tok, ".") == 2
	var nowUnix int64 // read once: the cache lookup and, on a miss, the insert
	if isJWT && a.cache != nil {
		nowUnix = a.now().Unix()
		if e, ok := a.cache.get(tok, nowUnix); ok {
			if e.key == nil || e.key.live(e.kid) {
				if rs, err := a.checkRevoked(ctx, &e.ref); rs != rOK {
					return a.refuse(isDPoP, rs, err)
				}
				if isDPoP || e.bound {
					return a.bound(r, tok, isDPoP, &e.p)
				}
				return &e.p, rOK, nil
			}
			// The set no longer publishes the key that verified the
			// token: forget it and verify again (which refuses it).
			a.cache.remove(tok)
		}
	}
	var p *gatehouse.Principal
	var err error
	switch {
	case !validToken(tok):
		p, rs, err = nil, rMalformed, a.errs[rMalformed]
	case isJWT:
		p, rs, err = a.verifyJWT(ctx, tok, nowUnix)
	case a.tokens != nil:
		p, rs, err = a.lookupOpaque(ctx, tok)
	default:
		p, rs, err = nil, rInvalid, a.errs[rInvalid]
	}
	if rs != rOK {
		return a.refuse(isDPoP, rs, err)
	}
	if isDPoP || p.Confirmation != (gatehouse.Confirmation{}) {
		return a.bound(r, tok, isDPoP, p)
	}
	return p, rOK, nil
}

// bound returns p once the request proved possession of what its token is
// bound to (see checkBinding), else the refusal.
func (a *Authenticator) bound(r *http.Request, tok string, isDPoP bool, p *gatehouse.Principal) (*gatehouse.Principal, reason, error) {
	if rs, err := a.checkBinding(r.Context(), r, tok, isDPoP, &p.Confirmation); rs != rOK {
		return nil, rs, err
	}
	return p, rOK, nil
}

// refuse returns the refusal err for rs, with the challenges of the DPoP
// scheme when the request used it (err was built for the Bearer one).
func (a *Authenticator) refuse(isDPoP bool, rs reason, err error) (*gatehouse.Principal, reason, error) {
	if !isDPoP {
		return nil, rs, err
	}
	if err == a.errs[rs] {
		return nil, rs, a.dpopErrs[rs]
	}
	var e *envelope.Error
	if errors.As(err, &e) && e.Challenge != "" {
		return nil, rs, e.WithChallenge(a.dpopErrs[rs].Challenge)
	}
	return nil, rs, err
}

// checkRevoked asks the revocation store about the token ref: one
// Revoked call, for its jti, its session and its subject together.
func (a *Authenticator) checkRevoked(ctx context.Context, ref *TokenRef) (reason, error) {
	if a.revoked == nil {
		return rOK, nil
	}
	revoked, err := a.revoked.Revoked(ctx, ref)
	if err != nil {
		return rUnavailable, a.errs[rUnavailable].WithCause(fmt.Errorf("%w: revocation check: %w", ErrUnavailable, err))
	}
	if revoked {
		return rRevoked, a.errs[rRevoked]
	}
	return rOK, nil
}

// verifyJWT verifies tok, checks what golang-jwt does not, builds the
// Principal and caches it. nowUnix is the time read for the cache lookup,
// reused for the insert: a token already expired at nowUnix (accepted only
// thanks to the leeway) is not cached.
//
// The order is golang-jwt's Parser.ParseWithClaims' with one difference:
// with a single issuer, the claims are decoded after the signature check,
// not before it, so a forged token is refused after decoding only its
// header and one signature check. With several issuers the claims are
// decoded first, since "iss" selects the keys. Header and key checks
// (strict base64, "alg" allowlist, "crit", "typ", "kid", the key bound to
// "alg") precede the signature check; the issuer check follows it with a
// single issuer, still before the time and audience checks — except
// before a key-set fetch for an unknown kid (see keyFor). A token with a
// single defect gets the reason golang-jwt's order gives; one with several
// may not (see TestMultiDefectOrder).
func (a *Authenticator) verifyJWT(ctx context.Context, tok string, nowUnix int64) (*gatehouse.Principal, reason, error) {
	t, ok := splitJWS(tok, a.algs)
	if !ok {
		return nil, rInvalid, a.errs[rInvalid]
	}
	is, rs := a.issuerOf(&t)
	if rs != rOK {
		return nil, rs, a.errs[rs]
	}
	key, kid, rkey, rs := is.keyFor(ctx, &t)
	if rs != rOK {
		return nil, rs, a.errs[rs]
	}
	if err := t.method.Verify(t.signing, t.sig, key); err != nil {
		return nil, rInvalid, a.errs[rInvalid]
	}
	claims, payload, rs := is.checkClaims(&t)
	if rs != rOK {
		return nil, rs, a.errs[rs]
	}
	if err := is.validator.Validate(claims); err != nil {
		// Wrapped as golang-jwt's parser wraps it, so that jwtReason
		// classifies it as it classifies the parser's errors.
		rs := jwtReason(fmt.Errorf("%w: %w", jwt.ErrTokenInvalidClaims, err))
		return nil, rs, a.errs[rs]
	}
	e := &cacheEntry{} // the one allocation for the Principal, cached or not
	if rkey != nil {
		e.kid, e.key = kid, rkey
	}
	exp, rs := a.principal(&e.p, claims, is)
	if rs != rOK {
		return nil, rs, a.errs[rs]
	}
	e.exp = min(exp, nowUnix+a.maxAge)
	e.bound = e.p.Confirmation != (gatehouse.Confirmation{})
	iat, _ := numericDate(claims["iat"]) // absent: 0, at or before any not-before
	e.ref = TokenRef{Subject: e.p.Subject, ID: e.p.TokenID, SessionID: e.p.SessionID, IssuedAt: iat, Principal: &e.p}
	if a.validate != nil {
		if err := a.validate(ctx, Claims{m: claims}); err != nil {
			return nil, rClaims, a.errs[rClaims].WithCause(fmt.Errorf("%w: %w", ErrClaims, err))
		}
	}
	if a.custom != nil {
		var err error
		if e.p.Claims, err = a.custom.decode(ctx, payload); err != nil {
			return nil, rClaims, a.errs[rClaims].WithCause(fmt.Errorf("%w: %w", ErrClaims, err))
		}
	}
	if rs, err := a.checkRevoked(ctx, &e.ref); rs != rOK {
		return nil, rs, err
	}
	if a.cache != nil {
		a.cache.put(tok, e, nowUnix)
	}
	return &e.p, rOK, nil
}

// issuerOf returns the issuer whose keys must verify t: the only one, or
// the one t's "iss" names. With several issuers the claims are decoded
// here: rInvalid when they are not a claim set, rIssuer for an "iss" that
// names no configured issuer — decided without any network request.
func (a *Authenticator) issuerOf(t *jws) (*issuerState, reason) {
	if a.single != nil {
		return a.single, rOK
	}
	claims, _, ok := t.claims()
	if !ok {
		return nil, rInvalid
	}
	iss, _ := claims["iss"].(string)
	is := a.issuers[iss]
	if is == nil {
		return nil, rIssuer
	}
	return is, rOK
}

// checkClaims decodes t's claims and checks the issuer, before the
// validator as when the key function checked it: rInvalid when the payload
// is not a claim set, rIssuer for an issuer not accepted (a non-string
// "iss" reads as "", which is never accepted).
func (is *issuerState) checkClaims(t *jws) (jwt.MapClaims, []byte, reason) {
	claims, payload, ok := t.claims()
	if !ok {
		return nil, nil, rInvalid
	}
	if is.checkISS {
		if iss, _ := claims["iss"].(string); iss != is.url {
			return nil, nil, rIssuer
		}
	}
	return claims, payload, rOK
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

// checkHeader applies the header rules golang-jwt leaves to the caller on
// the still unverified token, before any signature work (cheap checks
// first), and returns the token's kid. The "jku", "x5u", "x5c" and "jwk"
// parameters are never read: keys come only from the configuration.
func (is *issuerState) checkHeader(t *jws) (string, reason) {
	h := t.header
	if _, ok := h["crit"]; ok {
		// RFC 7515 §4.1.11: no extension is understood here.
		return "", rCrit
	}
	if is.typ != "" {
		typ, _ := h["typ"].(string)
		if !compact.TypeMatches(typ, is.typ) {
			return "", rType
		}
	}
	if !slices.Contains(is.algs, t.alg) {
		return "", rInvalid // another issuer's algorithm
	}
	kid := ""
	if v, ok := h["kid"]; ok {
		s, ok := v.(string)
		if !ok {
			return "", rUnknownKey
		}
		kid = s
	}
	return kid, rOK
}

// keyFor checks t's header and returns the key of this issuer that must
// verify t: a static key selected by kid, else (with a remote set) a key of
// the set, returned with the token's kid as rkey for the cache's liveness
// check (rkey is nil for a static key).
//
// A kid the remote set does not hold costs a (rate-limited) fetch of the
// set, a round trip to the provider. Before it, the claims are decoded and
// the issuer checked: a token that is not a claim set, or from a foreign
// issuer, never spends the fetch budget.
func (is *issuerState) keyFor(ctx context.Context, t *jws) (key any, kid string, rkey *remoteKey, rs reason) {
	kid, rs = is.checkHeader(t)
	if rs != rOK {
		return nil, "", nil, rs
	}
	alg := t.alg
	if is.remote == nil {
		key, rs = is.staticKey(kid, alg)
		return key, kid, nil, rs
	}
	if kid != "" {
		if k, ok := is.keys[kid]; ok {
			if k.Algorithm != alg {
				return nil, "", nil, rUnknownKey
			}
			return k.Key, kid, nil, rOK
		}
	}
	if kid == "" && len(is.keys) > 0 {
		return nil, "", nil, rUnknownKey
	}
	if kid != "" && !is.remote.holds(kid) {
		if _, _, rs := is.checkClaims(t); rs != rOK {
			return nil, "", nil, rs
		}
	}
	k, err := is.remote.key(ctx, kid, alg)
	switch {
	case errors.Is(err, ErrUnavailable):
		return nil, "", nil, rUnavailable
	case err != nil:
		return nil, "", nil, rUnknownKey
	}
	return k.Key.Key, kid, k, rOK
}

// staticKey selects a static key by kid and its bound algorithm.
func (is *issuerState) staticKey(kid, alg string) (any, reason) {
	var k Key
	switch {
	case is.only != nil && (is.only.ID == "" || is.only.ID == kid || kid == ""):
		k = *is.only
	case kid != "":
		var ok bool
		if k, ok = is.keys[kid]; !ok {
			return nil, rUnknownKey
		}
	default:
		return nil, rUnknownKey // no kid against several keys
	}
	if k.Algorithm != alg {
		return nil, rUnknownKey
	}
	return k.Key, rOK
}

// principal fills *p from verified claims and returns the expiry in Unix
// seconds; on failure *p is left incomplete and must not be used.
func (a *Authenticator) principal(p *gatehouse.Principal, c jwt.MapClaims, is *issuerState) (int64, reason) {
	exp, ok := numericDate(c["exp"])
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
	// A non-string "iss" is refused even when issuers are not checked
	// (checkClaims compared it with the issuer's URL).
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
		Scopes:    is.scopes(c),
		Method:    gatehouse.MethodJWT,
		TokenID:   str("jti"),
		SessionID: str("sid"),
		ExpiresAt: time.Unix(exp, 0),
		Claims:    Claims{m: c},
	}
	if bad || (a.needJTI && p.TokenID == "") {
		// With revocations, every token must be revocable by its jti.
		return 0, rClaims
	}
	var rs reason
	if p.Confirmation, rs = confirmation(c); rs != rOK {
		return 0, rs
	}
	return exp, rOK
}

// numericDate returns a NumericDate claim in whole seconds, truncated as
// golang-jwt compares it.
func numericDate(v any) (int64, bool) {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) || f > math.MaxInt64/2 || f < 0 {
		return 0, false
	}
	return int64(f), true
}

// lookupOpaque resolves an opaque token through the TokenStore.
func (a *Authenticator) lookupOpaque(ctx context.Context, tok string) (*gatehouse.Principal, reason, error) {
	rec, err := a.tokens.LookupToken(ctx, HashToken(tok))
	switch {
	case errors.Is(err, ErrTokenNotFound):
		return nil, rNotFound, a.errs[rNotFound]
	case err != nil:
		return nil, rUnavailable, a.errs[rUnavailable].WithCause(fmt.Errorf("%w: token lookup: %w", ErrUnavailable, err))
	case rec.Revoked:
		return nil, rRevoked, a.errs[rRevoked]
	case !rec.ExpiresAt.IsZero() && !a.now().Before(rec.ExpiresAt):
		return nil, rExpired, a.errs[rExpired]
	}
	return &gatehouse.Principal{
		Subject:   rec.Subject,
		Tenant:    rec.Tenant,
		ClientID:  rec.ClientID,
		Scopes:    rec.Scopes,
		Method:    gatehouse.MethodOpaque,
		TokenID:   rec.ID,
		ExpiresAt: rec.ExpiresAt,
		Claims:    rec,
	}, rOK, nil
}

// scopes returns the scopes c grants: those of the issuer's ScopeClaim, or
// of the claim gatehouse.ScopeClaim selects.
func (is *issuerState) scopes(c jwt.MapClaims) []string {
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
