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
)

// check is the single decision: it returns the Principal and rOK, or the
// reason and the client error for it. The Principal may be shared with
// other requests (a cached token's): it must not be modified.
func (a *Authenticator) check(r *http.Request) (*gatehouse.Principal, reason, error) {
	tok, rs := tokenFromHeader(r.Header)
	if rs != rOK {
		return nil, rs, a.errs[rs]
	}
	ctx := r.Context()
	isJWT := a.parser != nil && strings.Count(tok, ".") == 2
	var nowUnix int64 // read once: the cache lookup and, on a miss, the insert
	if isJWT && a.cache != nil {
		nowUnix = a.now().Unix()
		if e, ok := a.cache.get(tok, nowUnix); ok {
			if e.key == nil || a.remote.live(e.kid, e.key) {
				if rs, err := a.checkRevoked(ctx, e.revocationIDs()); rs != rOK {
					return nil, rs, err
				}
				return &e.p, rOK, nil
			}
			// The JWKS no longer publishes the key that verified the
			// token: forget it and verify again (which refuses it).
			a.cache.remove(tok)
		}
	}
	if !validToken(tok) {
		return nil, rMalformed, a.errs[rMalformed]
	}
	if isJWT {
		return a.verifyJWT(ctx, tok, nowUnix)
	}
	if a.tokens != nil {
		return a.lookupOpaque(ctx, tok)
	}
	return nil, rInvalid, a.errs[rInvalid]
}

// checkRevoked asks the revocation store about ids (the jti and, when the
// token has a sid, its session id): one RevokedAny call when the store
// offers it, else IsRevoked for each until one is revoked.
func (a *Authenticator) checkRevoked(ctx context.Context, ids []string) (reason, error) {
	if a.revoked == nil || len(ids) == 0 {
		return rOK, nil
	}
	var revoked bool
	var err error
	if a.multi != nil {
		revoked, err = a.multi.RevokedAny(ctx, ids...)
	} else {
		for _, id := range ids {
			if revoked, err = a.revoked.IsRevoked(ctx, id); revoked || err != nil {
				break
			}
		}
	}
	if err != nil {
		return rUnavailable, a.errs[rUnavailable].WithCause(fmt.Errorf("%w: revocation check: %w", ErrUnavailable, err))
	}
	if revoked {
		return rRevoked, a.errs[rRevoked]
	}
	return rOK, nil
}

// verifyJWT verifies tok with golang-jwt, checks what golang-jwt does not,
// builds the Principal and caches it. nowUnix is the time read for the
// cache lookup, reused for the insert: a token already expired at nowUnix
// (accepted only thanks to the leeway) is not cached.
func (a *Authenticator) verifyJWT(ctx context.Context, tok string, nowUnix int64) (*gatehouse.Principal, reason, error) {
	var e *cacheEntry // the one allocation for the Principal, cached or not
	kf := a.keyfunc
	if a.remote != nil {
		// The key function records which remote key it handed out.
		e = &cacheEntry{}
		kf = func(t *jwt.Token) (any, error) { return a.remoteKeyfunc(ctx, t, e) }
	}
	claims := jwt.MapClaims{}
	if _, err := a.parser.ParseWithClaims(tok, claims, kf); err != nil {
		rs := jwtReason(err)
		return nil, rs, a.errs[rs]
	}
	if e == nil {
		e = &cacheEntry{}
	}
	exp, rs := a.principal(&e.p, claims)
	if rs != rOK {
		return nil, rs, a.errs[rs]
	}
	e.exp = min(exp, nowUnix+a.maxAge)
	e.rev[0], e.nrev = e.p.TokenID, 1
	if e.p.SessionID != "" {
		e.rev[1], e.nrev = SessionRevocationID(e.p.SessionID), 2
	}
	if a.validate != nil {
		if err := a.validate(ctx, Claims(claims)); err != nil {
			return nil, rClaims, a.errs[rClaims].WithCause(fmt.Errorf("%w: %w", ErrClaims, err))
		}
	}
	if a.custom != nil {
		payload, err := payloadOf(tok)
		if err == nil {
			e.p.Claims, err = a.custom.decode(ctx, payload)
		}
		if err != nil {
			return nil, rClaims, a.errs[rClaims].WithCause(fmt.Errorf("%w: %w", ErrClaims, err))
		}
	}
	if rs, err := a.checkRevoked(ctx, e.revocationIDs()); rs != rOK {
		return nil, rs, err
	}
	if a.cache != nil {
		a.cache.put(tok, e, nowUnix)
	}
	return &e.p, rOK, nil
}

// jwtReason classifies a golang-jwt error, checking our own key-function
// sentinels first.
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

// checkHeader applies the header rules golang-jwt leaves to the caller, and
// the issuer check, on the still unverified token before any signature work
// (cheap checks first; principal checks the issuer again once verified). It
// returns the token's kid.
func (a *Authenticator) checkHeader(t *jwt.Token) (string, error) {
	if _, ok := t.Header["crit"]; ok {
		// RFC 7515 §4.1.11: no extension is understood here.
		return "", ErrCritHeader
	}
	if a.typ != "" {
		typ, _ := t.Header["typ"].(string)
		if !typeMatches(typ, a.typ) {
			return "", ErrTokenType
		}
	}
	if len(a.issuers) > 0 {
		c, _ := t.Claims.(jwt.MapClaims)
		iss, _ := c["iss"].(string)
		if !containsString(a.issuers, iss) {
			return "", ErrIssuer
		}
	}
	kid := ""
	if v, ok := t.Header["kid"]; ok {
		s, ok := v.(string)
		if !ok {
			return "", ErrUnknownKey
		}
		kid = s
	}
	return kid, nil
}

// typeMatches compares a "typ" header with the wanted media type, ignoring
// case and an "application/" prefix (RFC 7515 §4.1.9).
func typeMatches(got, want string) bool {
	const app = "application/"
	if len(got) > len(app) && strings.EqualFold(got[:len(app)], app) {
		got = got[len(app):]
	}
	if len(want) > len(app) && strings.EqualFold(want[:len(app)], app) {
		want = want[len(app):]
	}
	return strings.EqualFold(got, want)
}

// staticKeyfunc selects a static key by kid and its bound algorithm.
func (a *Authenticator) staticKeyfunc(t *jwt.Token) (any, error) {
	kid, err := a.checkHeader(t)
	if err != nil {
		return nil, err
	}
	return a.staticKey(kid, t.Method.Alg())
}

func (a *Authenticator) staticKey(kid, alg string) (any, error) {
	var k Key
	switch {
	case a.only != nil && (a.only.ID == "" || a.only.ID == kid || kid == ""):
		k = *a.only
	case kid != "":
		var ok bool
		if k, ok = a.keys[kid]; !ok {
			return nil, ErrUnknownKey
		}
	default:
		return nil, ErrUnknownKey // no kid against several keys
	}
	if k.Algorithm != alg {
		return nil, ErrUnknownKey
	}
	return k.Key, nil
}

// remoteKeyfunc selects a static key by kid, else a key of the remote set,
// which it records in e (with its kid) for the cache's liveness check.
func (a *Authenticator) remoteKeyfunc(ctx context.Context, t *jwt.Token, e *cacheEntry) (any, error) {
	kid, err := a.checkHeader(t)
	if err != nil {
		return nil, err
	}
	alg := t.Method.Alg()
	if kid != "" {
		if k, ok := a.keys[kid]; ok {
			if k.Algorithm != alg {
				return nil, ErrUnknownKey
			}
			return k.Key, nil
		}
	}
	if kid == "" && len(a.keys) > 0 {
		return nil, ErrUnknownKey
	}
	k, err := a.remote.key(ctx, kid, alg)
	if err != nil {
		return nil, err
	}
	e.kid, e.key = kid, k
	return k.Key.Key, nil
}

// principal fills *p from verified claims and returns the expiry in Unix
// seconds; on failure *p is left incomplete and must not be used.
func (a *Authenticator) principal(p *gatehouse.Principal, c jwt.MapClaims) (int64, reason) {
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
	// A non-string "iss" is refused even when issuers are not checked.
	if iss := str("iss"); len(a.issuers) > 0 && !containsString(a.issuers, iss) {
		return 0, rIssuer
	}
	for _, name := range a.required {
		if c[name] == nil {
			return 0, rClaims
		}
	}
	*p = gatehouse.Principal{
		Subject:   str("sub"),
		Tenant:    str(a.tenant),
		ClientID:  str("client_id"),
		Scopes:    scopesOf(c),
		Method:    gatehouse.MethodJWT,
		TokenID:   str("jti"),
		SessionID: str("sid"),
		ExpiresAt: time.Unix(exp, 0),
		Claims:    Claims(c),
	}
	if bad || (a.needJTI && (p.TokenID == "" || strings.HasPrefix(p.TokenID, SessionRevocationPrefix))) {
		// With revocations, a jti must name a token, never a session.
		return 0, rClaims
	}
	return exp, rOK
}

// scopesOf returns the scopes of the claim set c, read as
// gatehouse.ScopesFromClaims reads them ("scope", "scp", "scopes", merged
// without duplicates), collected on the stack and copied into one exactly
// sized slice, or nil when there are none.
func scopesOf(c jwt.MapClaims) []string {
	var buf [16]string
	scopes := buf[:0]
	for _, name := range [...]string{"scope", "scp", "scopes"} {
		scopes = gatehouse.AppendScopes(scopes, c[name])
	}
	if len(scopes) == 0 {
		return nil
	}
	return slices.Clone(scopes)
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
