package bearer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse"
)

// check is the single decision: it returns the Principal and rOK, or the
// reason and the client error for it.
func (a *Authenticator) check(r *http.Request) (gatehouse.Principal, reason, error) {
	tok, rs := tokenFromHeader(r.Header)
	if rs != rOK {
		return gatehouse.Principal{}, rs, a.errs[rs]
	}
	ctx := r.Context()
	isJWT := a.parser != nil && strings.Count(tok, ".") == 2
	if isJWT && a.cache != nil {
		if e, ok := a.cache.get(tok, a.now().Unix()); ok {
			if rs, err := a.checkRevoked(ctx, e.p.TokenID); rs != rOK {
				return gatehouse.Principal{}, rs, err
			}
			return e.p, rOK, nil
		}
	}
	if !validToken(tok) {
		return gatehouse.Principal{}, rMalformed, a.errs[rMalformed]
	}
	if isJWT {
		return a.verifyJWT(ctx, tok)
	}
	if a.tokens != nil {
		return a.lookupOpaque(ctx, tok)
	}
	return gatehouse.Principal{}, rInvalid, a.errs[rInvalid]
}

func (a *Authenticator) checkRevoked(ctx context.Context, jti string) (reason, error) {
	if a.revoked == nil || jti == "" {
		return rOK, nil
	}
	revoked, err := a.revoked.IsRevoked(ctx, jti)
	if err != nil {
		return rUnavailable, a.errs[rUnavailable].WithCause(fmt.Errorf("%w: revocation check: %w", ErrUnavailable, err))
	}
	if revoked {
		return rRevoked, a.errs[rRevoked]
	}
	return rOK, nil
}

// verifyJWT verifies tok with golang-jwt, checks what golang-jwt does not,
// builds the Principal and caches it.
func (a *Authenticator) verifyJWT(ctx context.Context, tok string) (gatehouse.Principal, reason, error) {
	kf := a.keyfunc
	if a.remote != nil {
		kf = func(t *jwt.Token) (any, error) { return a.remoteKeyfunc(ctx, t) }
	}
	claims := jwt.MapClaims{}
	if _, err := a.parser.ParseWithClaims(tok, claims, kf); err != nil {
		rs := jwtReason(err)
		return gatehouse.Principal{}, rs, a.errs[rs]
	}
	p, exp, rs := a.principal(claims)
	if rs != rOK {
		return gatehouse.Principal{}, rs, a.errs[rs]
	}
	if a.validate != nil {
		if err := a.validate(ctx, Claims(claims)); err != nil {
			return gatehouse.Principal{}, rClaims, a.errs[rClaims].WithCause(fmt.Errorf("%w: %w", ErrClaims, err))
		}
	}
	if a.custom != nil {
		payload, err := payloadOf(tok)
		if err == nil {
			p.Claims, err = a.custom.decode(ctx, payload)
		}
		if err != nil {
			return gatehouse.Principal{}, rClaims, a.errs[rClaims].WithCause(fmt.Errorf("%w: %w", ErrClaims, err))
		}
	}
	if rs, err := a.checkRevoked(ctx, p.TokenID); rs != rOK {
		return gatehouse.Principal{}, rs, err
	}
	if a.cache != nil {
		a.cache.put(tok, p, exp, a.now().Unix())
	}
	return p, rOK, nil
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

// checkHeader applies the header rules golang-jwt leaves to the caller and
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

func (a *Authenticator) remoteKeyfunc(ctx context.Context, t *jwt.Token) (any, error) {
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
	return a.remote.key(ctx, kid, alg)
}

// principal maps verified claims to a Principal and returns the expiry in
// Unix seconds.
func (a *Authenticator) principal(c jwt.MapClaims) (gatehouse.Principal, int64, reason) {
	var p gatehouse.Principal
	exp, ok := numericDate(c["exp"])
	if !ok {
		return p, 0, rClaims
	}
	if len(a.issuers) > 0 {
		iss, _ := c["iss"].(string)
		if !containsString(a.issuers, iss) {
			return p, 0, rIssuer
		}
	}
	for _, name := range a.required {
		if c[name] == nil {
			return p, 0, rClaims
		}
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
	p = gatehouse.Principal{
		Subject:   str("sub"),
		Tenant:    str(a.tenant),
		ClientID:  str("client_id"),
		Scopes:    gatehouse.ScopesFromClaims(c),
		Method:    gatehouse.MethodJWT,
		TokenID:   str("jti"),
		SessionID: str("sid"),
		ExpiresAt: time.Unix(exp, 0),
		Claims:    Claims(c),
	}
	_ = str("iss") // a non-string "iss" is refused even when issuers are not checked
	if bad || (a.needJTI && p.TokenID == "") {
		return gatehouse.Principal{}, 0, rClaims
	}
	return p, exp, rOK
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
func (a *Authenticator) lookupOpaque(ctx context.Context, tok string) (gatehouse.Principal, reason, error) {
	rec, err := a.tokens.LookupToken(ctx, HashToken(tok))
	switch {
	case errors.Is(err, ErrTokenNotFound):
		return gatehouse.Principal{}, rNotFound, a.errs[rNotFound]
	case err != nil:
		return gatehouse.Principal{}, rUnavailable, a.errs[rUnavailable].WithCause(fmt.Errorf("%w: token lookup: %w", ErrUnavailable, err))
	case rec.Revoked:
		return gatehouse.Principal{}, rRevoked, a.errs[rRevoked]
	case !rec.ExpiresAt.IsZero() && !a.now().Before(rec.ExpiresAt):
		return gatehouse.Principal{}, rExpired, a.errs[rExpired]
	}
	return gatehouse.Principal{
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
