package bearer

import (
	"bytes"
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
	"github.com/gatehouse-go/gatehouse/internal/jwsalg"
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
	if a.cache != nil {
		// The cache holds verified JWTs alone, so a token it holds is
		// one: its shape is checked only when it is not there.
		if e, ok := a.cache.get(tok, a.unix()); ok {
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
	var c cut
	if a.jwtOn {
		c = cutToken(tok)
	}
	switch {
	case c.ok:
		p, rs, err = a.verifyCut(ctx, tok, &c)
	case !validToken(tok):
		p, rs, err = nil, rMalformed, a.errs[rMalformed]
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

// verifyCut verifies tok, cut at its dots (c), checks its claims, builds
// the Principal and caches it. The clock is read once the signature is
// verified, for the claims and the insert: a token already expired then
// (accepted only thanks to the leeway) is not cached.
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
//
// A token outside the b64token grammar is refused as malformed whatever
// else is wrong with it, as if the grammar were checked first. Line
// breaks, which base64 decoding skips, are refused first; the rest of the
// grammar is checked only for a refusal, and only where neither the cut
// (a clean token) nor strict base64url decoding has vouched for it
// (base64url holds only b64token bytes): nothing before a refusal leaves
// a trace (a key-set fetch for an unknown kid comes after
// the payload is decoded, see keyFor).
func (a *Authenticator) verifyCut(ctx context.Context, tok string, c *cut) (*gatehouse.Principal, reason, error) {
	if !c.clean && (strings.IndexByte(tok, '\n') >= 0 || strings.IndexByte(tok, '\r') >= 0) {
		// Outside the b64token grammar, and the one thing base64
		// decoding would skip: without this, each line break added to a
		// valid token would make another string that verifies.
		return nil, rMalformed, a.errs[rMalformed]
	}
	var scratch [jwsScratch]byte
	t, signing, seg, ok := splitJWS(tok, c, a.algs, scratch[:], &a.headers)
	if !ok {
		if !c.clean && !validToken(tok) {
			return nil, rMalformed, a.errs[rMalformed]
		}
		return nil, rInvalid, a.errs[rInvalid]
	}
	pl := payload{seg: seg}
	p, rs, err := a.verifySplit(ctx, tok, &t, signing, &pl)
	if rs != rOK && (!pl.decoded || pl.bad) && !c.clean && !b64tokenBody(seg) {
		return nil, rMalformed, a.errs[rMalformed]
	}
	return p, rs, err
}

// remember keeps the header t read from segment h for the next tokens
// that carry the same (headerMemo): in its slot whatever the slot holds
// when the token's signature verified, else only in an empty slot and
// only when h is no longer than forgedHeaderMemo.
func (a *Authenticator) remember(h string, t *jws, verified bool) {
	slot := &a.headers[memoSlot(h)]
	if !verified && (len(h) > forgedHeaderMemo || slot.Load() != nil) {
		return
	}
	m := &headerMemo{
		seg: strings.Clone(h), algIdx: t.algIdx, kid: strings.Clone(t.kid),
		kidBad: t.kidBad, typ: strings.Clone(t.typ), crit: t.crit, verified: verified,
	}
	if verified {
		slot.Store(m)
	} else {
		slot.CompareAndSwap(nil, m)
	}
}

// verifySplit is verifyCut once tok is split, its header and signature
// decoded.
func (a *Authenticator) verifySplit(ctx context.Context, tok string, t *jws, signing string, c *payload) (*gatehouse.Principal, reason, error) {
	alg := a.algs[t.algIdx] // not read from t, which holds scratch
	is, rs := a.issuerOf(c)
	if rs != rOK {
		return nil, rs, a.errs[rs]
	}
	sk, rkey, kid, rs := is.keyFor(ctx, t, alg, c, a.names)
	if rs != rOK {
		return nil, rs, a.errs[rs]
	}
	var ok bool
	if sk != nil {
		ok = sk.verify(alg, signing, t.sig)
	} else {
		ok = jwsalg.Verify(alg, rkey.Key.Key, signing, t.sig)
	}
	if !ok {
		if !t.memo {
			a.remember(signing[:strings.IndexByte(signing, '.')], t, false)
		}
		return nil, rInvalid, a.errs[rInvalid]
	}
	if !t.verified {
		a.remember(signing[:strings.IndexByte(signing, '.')], t, true)
	}
	return a.accept(ctx, tok, is, c, rkey, kid)
}

// accept checks the claims of a token whose signature is verified, builds
// its Principal, runs the hooks and the revocation check, and caches it.
// rkey and kid are the remote key that verified it and the token's kid.
func (a *Authenticator) accept(ctx context.Context, tok string, is *issuerState, c *payload, rkey *remoteKey, kid string) (*gatehouse.Principal, reason, error) {
	// The claims: those decoded before the signature check, else decoded
	// now onto the stack. The Principal keeps copies of the strings it
	// needs (cacheEntry.keep), not the payload.
	var slots [claimSlots]compact.Value
	var text [payloadScratch]byte
	pb, vals := c.pb, c.vals
	if !c.decoded {
		if n := a.names.Len(); n <= len(slots) {
			vals = slots[:n]
		} else {
			vals = make([]compact.Value, n)
		}
		var ok bool
		pb, ok = decodeClaims(text[:0], c.seg, a.names, vals)
		c.decoded, c.bad = true, !ok
	}
	if c.bad {
		return nil, rInvalid, a.errs[rInvalid]
	}
	if rs := is.checkIssuer(pb, vals); rs != rOK {
		return nil, rs, a.errs[rs]
	}
	now := a.wall()
	if rs := is.checkTimes(pb, vals, now); rs != rOK {
		return nil, rs, a.errs[rs]
	}
	// The one allocation for the Principal, cached or not, with room for
	// its strings when they fit (reserve); a token refused above costs
	// none.
	e := &cacheEntry{}
	if rkey != nil {
		e.kid, e.key = kid, rkey
	}
	exp, rs := a.principal(e, c.seg, pb, vals, is)
	if rs != rOK {
		return nil, rs, a.errs[rs]
	}
	e.exp = min(exp, now.Unix()+a.maxAge)
	e.bound = e.p.Confirmation != (gatehouse.Confirmation{})
	if a.revoked != nil {
		iat, _ := numericDate(vals[cIAT]) // absent: 0, at or before any not-before
		e.ref = TokenRef{Subject: e.p.Subject, ID: e.p.TokenID, SessionID: e.p.SessionID, IssuedAt: iat, Principal: &e.p}
	}
	if a.validate != nil {
		if err := a.validate(ctx, Claims{s: &e.claims}); err != nil {
			return nil, rClaims, a.errs[rClaims].WithCause(fmt.Errorf("%w: %w", ErrClaims, err))
		}
	}
	if a.custom != nil {
		var err error
		// A copy: the payload may be on the stack, and the decoder is
		// the application's.
		if e.claims.custom, err = a.custom.decode(ctx, bytes.Clone(pb)); err != nil {
			return nil, rClaims, a.errs[rClaims].WithCause(fmt.Errorf("%w: %w", ErrClaims, err))
		}
	}
	if rs, err := a.checkRevoked(ctx, &e.ref); rs != rOK {
		return nil, rs, err
	}
	if a.cache != nil {
		a.cache.put(tok, e, now.Unix())
	}
	return &e.p, rOK, nil
}

// issuerOf returns the issuer whose keys must verify t: the only one, or
// the one t's "iss" names. With several issuers the claims are decoded
// here: rInvalid when they are not a claim set, rIssuer for an "iss" that
// names no configured issuer — decided without any network request.
func (a *Authenticator) issuerOf(c *payload) (*issuerState, reason) {
	if a.single != nil {
		return a.single, rOK
	}
	if !c.early(a.names) {
		return nil, rInvalid
	}
	iss := c.vals[cISS]
	if iss.Kind != compact.String {
		return nil, rIssuer // a non-string "iss" reads as "", which no issuer has
	}
	is := a.issuers[iss.Str(c.pb)]
	if is == nil {
		return nil, rIssuer
	}
	return is, rOK
}

// checkIssuer checks the issuer of the claims v, read from pb, before the
// time and audience checks: rIssuer for an issuer not accepted (a
// non-string "iss" reads as "", which is never accepted).
func (is *issuerState) checkIssuer(pb []byte, v []compact.Value) reason {
	if is.checkISS {
		if iss := v[cISS]; iss.Kind != compact.String || iss.Str(pb) != is.url {
			return rIssuer
		}
	}
	return rOK
}

// checkTimes checks the claims "exp", "nbf", "iat" and "aud" of v, read
// from pb, as golang-jwt's Validator checks a MapClaims (with
// WithExpirationRequired, WithIssuedAt, the issuer's leeway and
// audiences) and returns the reason its error
// stood for (golang-jwt's sentinels, by precedence): rExpired, else
// rNotYetValid, else rAudience, else rClaims when any check failed (a
// missing or mistyped claim), else rOK.
//
// A date is a JSON number; 0 reads as absent, anything else not a number
// is mistyped. A present "nbf" or "iat" must not be after now (plus the
// leeway), and "exp" must be after now (less the leeway), compared at
// jwt.TimePrecision. With audiences, "aud" is a string or an array of
// strings naming one of them; absent, null, empty, [""] or of another type
// it is missing, and an array holding a non-string is mistyped.
func (is *issuerState) checkTimes(pb []byte, v []compact.Value, now time.Time) reason {
	var expired, early, audience, other bool
	nowNano := int64(-1) // now is outside the fast comparison's range
	if sec := now.Unix(); sec > 0 && sec < 9e9 {
		nowNano = now.UnixNano()
	}
	switch d := v[cEXP]; d.Kind {
	case compact.Number:
		if d.Num == 0 {
			other = true // golang-jwt reads 0 as absent, and exp is required
		} else if !before(now, nowNano, d.Num, is.leeway) {
			expired = true
		}
	default:
		other = true // absent, or not a number
	}
	for _, i := range [...]int{cNBF, cIAT} {
		switch d := v[i]; d.Kind {
		case compact.Absent:
		case compact.Number:
			if d.Num != 0 && before(now, nowNano, d.Num, -is.leeway) {
				early = true
			}
		default:
			other = true
		}
	}
	if len(is.auds) > 0 {
		switch aud := v[cAUD]; aud.Kind {
		case compact.String:
			switch s := aud.Str(pb); {
			case s == "":
				other = true
			case !slices.Contains(is.auds, s):
				audience = true
			}
		case compact.Array:
			n, match, mistyped, empty := 0, false, false, false
			it := aud.Elems(pb)
			for {
				_, e, ok := it.Next()
				if !ok {
					break
				}
				if e.Kind != compact.String {
					mistyped = true
					break
				}
				n++
				s := e.Str(pb)
				empty = s == ""
				match = match || slices.Contains(is.auds, s)
			}
			switch {
			case mistyped, n == 0, n == 1 && empty:
				other = true
			case !match:
				audience = true
			}
		default:
			other = true // no audience: required when audiences are set
		}
	}
	switch {
	case expired:
		return rExpired
	case early:
		return rNotYetValid
	case audience:
		return rAudience
	case other:
		return rClaims
	}
	return rOK
}

// before reports whether now is before the NumericDate claim f plus d, as
// golang-jwt compares them: the claim converted by dateOf. When now and f
// are whole seconds between 1970 and 2255 (every real token's dates) the
// comparison is made in integer nanoseconds — nowNano is now's, -1 when it
// is outside that range — which is the same comparison without the
// conversions, as long as the precision is the second.
func before(now time.Time, nowNano int64, f float64, d time.Duration) bool {
	if nowNano >= 0 && f > 0 && f < 9e9 && f == math.Trunc(f) && jwt.TimePrecision == time.Second && d >= -MaxLeeway && d <= MaxLeeway {
		return nowNano < int64(f)*int64(time.Second)+int64(d)
	}
	return now.Before(dateOf(f).Add(d))
}

// dateOf converts a NumericDate claim to a time as golang-jwt does: whole
// seconds and nanoseconds, truncated to jwt.TimePrecision.
func dateOf(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).Truncate(jwt.TimePrecision)
}

// checkHeader applies the header rules golang-jwt leaves to the caller on
// the still unverified token, before any signature work (cheap checks
// first). The "jku", "x5u", "x5c" and "jwk" parameters are never read:
// keys come only from the configuration.
func (is *issuerState) checkHeader(t *jws, alg string) reason {
	if t.crit {
		// RFC 7515 §4.1.11: no extension is understood here.
		return rCrit
	}
	if is.typ != "" && !compact.TypeMatches(t.typ, is.typ) {
		return rType
	}
	if !slices.Contains(is.algs, alg) {
		return rInvalid // another issuer's algorithm
	}
	if t.kidBad {
		return rUnknownKey
	}
	return rOK
}

// keyFor checks t's header (its "alg" is alg) and returns the key of this
// issuer that must verify t: a static key selected by kid, else (with a
// remote set) a key of the set, returned as rkey with the token's kid
// (copied: t shares the caller's scratch) for the cache's liveness check.
//
// A kid the remote set does not hold costs a (rate-limited) fetch of the
// set, a round trip to the provider. Before it, the claims are decoded and
// the issuer checked: a token that is not a claim set, or from a foreign
// issuer, never spends the fetch budget. They are checked too before the
// 503 of a set without usable keys, which such a token does not get.
func (is *issuerState) keyFor(ctx context.Context, t *jws, alg string, c *payload, names *compact.Names) (sk *staticKey, rkey *remoteKey, kid string, rs reason) {
	if rs = is.checkHeader(t, alg); rs != rOK {
		return nil, nil, "", rs
	}
	if is.remote == nil {
		sk, rs = is.staticKey(t.kid, alg)
		return sk, nil, "", rs
	}
	if t.kid != "" {
		if k, ok := is.keys[t.kid]; ok {
			if k.Algorithm != alg {
				return nil, nil, "", rUnknownKey
			}
			return k, nil, "", rOK
		}
	}
	if t.kid == "" && len(is.keys) > 0 {
		return nil, nil, "", rUnknownKey
	}
	kid = strings.Clone(t.kid)
	if kid != "" && !is.remote.holds(kid) {
		if !c.early(names) {
			return nil, nil, "", rInvalid
		}
		if rs := is.checkIssuer(c.pb, c.vals); rs != rOK {
			return nil, nil, "", rs
		}
	}
	k, err := is.remote.key(ctx, kid, alg)
	switch {
	case errors.Is(err, ErrUnavailable):
		// The 503 of an issuer without keys is for its own tokens: a
		// token that is not a claim set, or that names another issuer,
		// is refused as it would be were the keys there.
		if !c.early(names) {
			return nil, nil, "", rInvalid
		}
		if rs := is.checkIssuer(c.pb, c.vals); rs != rOK {
			return nil, nil, "", rs
		}
		return nil, nil, "", rUnavailable
	case err != nil:
		return nil, nil, "", rUnknownKey
	}
	return nil, k, kid, rOK
}

// staticKey selects a static key by kid and its bound algorithm.
func (is *issuerState) staticKey(kid, alg string) (*staticKey, reason) {
	var k *staticKey
	switch {
	case is.only != nil && (is.only.ID == "" || is.only.ID == kid || kid == ""):
		k = is.only
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
	return k, rOK
}

// A staticKey is a configured Key, bound, with the HMAC state that
// verifies with it when it is a secret.
type staticKey struct {
	Key
	mac *jwsalg.MAC
}

func newStaticKey(k Key) *staticKey {
	sk := &staticKey{Key: k}
	if secret, ok := k.Key.([]byte); ok && jwsalg.FamilyOf(k.Algorithm) == jwsalg.HMAC {
		sk.mac = jwsalg.NewMAC(k.Algorithm, secret)
	}
	return sk
}

// verify reports whether sig is the key's signature of input under alg,
// the key's algorithm.
func (k *staticKey) verify(alg, input string, sig []byte) bool {
	if k.mac != nil {
		return k.mac.Verify(input, sig)
	}
	return jwsalg.Verify(alg, k.Key.Key, input, sig)
}

// The claims every Authenticator reads, by their index in its names: the
// registered claims, then the ones the Principal and the scopes come from.
// The tenant claims, the ScopeClaims and the RequiredClaims of the
// configuration follow them (newClaimNames).
const (
	cISS = iota
	cSUB
	cAUD
	cEXP
	cNBF
	cIAT
	cJTI
	cSID
	cClientID
	cCNF
	cScope
	cSCP
	cScopes
)

// newClaimNames returns the names of the claims a reads, and sets the
// index of each issuer's tenant and scope claims and of the required
// claims.
func newClaimNames(a *Authenticator) *compact.Names {
	names := []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "client_id", "cnf", "scope", "scp", "scopes"}
	for _, is := range a.all {
		names = append(names, is.tenant)
		if is.scopeClaim != "" {
			names = append(names, is.scopeClaim)
		}
	}
	names = append(names, a.required...)
	n := compact.NewNames(names...)
	for _, is := range a.all {
		is.tenantIdx, is.scopeIdx = n.Index(is.tenant), -1
		if is.scopeClaim != "" {
			is.scopeIdx = n.Index(is.scopeClaim)
		}
	}
	a.requiredIdx = make([]int, len(a.required))
	for i, name := range a.required {
		a.requiredIdx[i] = n.Index(name)
	}
	return n
}

// principal fills e's Principal from the verified claims v, read from pb,
// the decoded payload segment seg, and returns the expiry in Unix seconds;
// on failure the Principal is left incomplete and must not be used. The
// Principal's strings are e's own copies (keep): pb may be on the
// caller's stack, and the claims it hands out are decoded from seg.
func (a *Authenticator) principal(e *cacheEntry, seg string, pb []byte, v []compact.Value, is *issuerState) (int64, reason) {
	exp, ok := numericDate(v[cEXP])
	if !ok {
		return 0, rClaims
	}
	var bad bool
	str := func(i int) string {
		switch v[i].Kind {
		case compact.Absent, compact.Null:
			return ""
		case compact.String:
			return v[i].Str(pb)
		}
		bad = true
		return ""
	}
	// A non-string "iss" is refused even when issuers are not checked
	// (checkIssuer compared it with the issuer's URL).
	str(cISS)
	for _, i := range a.requiredIdx {
		if k := v[i].Kind; k == compact.Absent || k == compact.Null {
			return 0, rClaims
		}
	}
	sub, tenant, client, jti, sid := str(cSUB), str(is.tenantIdx), str(cClientID), str(cJTI), str(cSID)
	if bad || (a.needJTI && jti == "") {
		// With revocations, every token must be revocable by its jti.
		return 0, rClaims
	}
	cf, rs := confirmation(pb, v[cCNF])
	if rs != rOK {
		return 0, rs
	}
	scope := is.scopeValue(v)
	// Room for every string kept (keep copies what no longer fits on its
	// own: a scope string's text is at least as long as the string,
	// unless invalid UTF-8 was replaced).
	scopeSize, scopeStrs := scopeBytes(pb, scope)
	e.reserve(len(sub) + len(tenant) + len(client) + len(jti) + len(sid) +
		scopeSize + len(cf.JKT) + len(cf.X5TS256))
	e.claims.seg = seg
	e.p = gatehouse.Principal{
		Subject:      e.keep(sub),
		Tenant:       e.keep(tenant),
		ClientID:     e.keep(client),
		Scopes:       e.scopes(pb, scope, scopeStrs),
		Method:       gatehouse.MethodJWT,
		TokenID:      e.keep(jti),
		SessionID:    e.keep(sid),
		ExpiresAt:    time.Unix(exp, 0),
		Confirmation: gatehouse.Confirmation{JKT: e.keep(cf.JKT), X5TS256: e.keep(cf.X5TS256)},
		Claims:       Claims{s: &e.claims},
	}
	return exp, rOK
}

// numericDate returns a NumericDate claim in whole seconds, truncated as
// golang-jwt compares it.
func numericDate(v compact.Value) (int64, bool) {
	f := v.Num
	if v.Kind != compact.Number || math.IsNaN(f) || math.IsInf(f, 0) || f > math.MaxInt64/2 || f < 0 {
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

// scopeValue returns the claim that grants scopes: the issuer's
// ScopeClaim, else the one gatehouse.ScopeClaim selects (the first of
// "scope", "scp" and "scopes" present, even as null).
func (is *issuerState) scopeValue(v []compact.Value) compact.Value {
	if is.scopeIdx >= 0 {
		return v[is.scopeIdx]
	}
	for _, i := range [...]int{cScope, cSCP, cScopes} {
		if v[i].Kind != compact.Absent {
			return v[i]
		}
	}
	return compact.Value{}
}

// scopeBytes returns how many bytes of strings the scope claim c (read
// from pb) can grant, and how many strings: its text and 1 for a string,
// the strings' texts and their number for an array, 0 for any other kind.
func scopeBytes(pb []byte, c compact.Value) (size, strs int) {
	switch c.Kind {
	case compact.String:
		return len(c.Text(pb)), 1
	case compact.Array:
		for it := c.Elems(pb); ; {
			_, v, ok := it.Next()
			if !ok {
				return size, strs
			}
			if v.Kind == compact.String {
				size += len(v.Text(pb))
				strs++
			}
		}
	}
	return 0, 0
}

// scopes returns the scopes the claim c (read from pb) grants, as e's own
// strings (keep), read as gatehouse.AppendScopes reads a decoded claim:
// the scope-tokens of a space-delimited string, or the strings of an array
// (strs of them, see scopeBytes) that are one scope-token each, in order,
// duplicates kept once. The result is nil when the claim grants none;
// up to entryScopes scopes are kept in e, more in one new slice.
func (e *cacheEntry) scopes(pb []byte, c compact.Value, strs int) []string {
	var l scopeList
	switch c.Kind {
	case compact.String:
		s := e.keep(c.Str(pb))
		if l.few(e, s) {
			break
		}
		l.init(e, strings.Count(s, " ")+1)
		for f := range strings.SplitSeq(s, " ") {
			if gatehouse.ValidScope(f) {
				l.add(f)
			}
		}
	case compact.Array:
		l.init(e, strs)
		it := c.Elems(pb)
		for {
			_, v, ok := it.Next()
			if !ok {
				break
			}
			if s := v.Str(pb); v.Kind == compact.String && gatehouse.ValidScope(s) {
				l.add(e.keep(s))
			}
		}
	}
	n := len(l.s)
	switch {
	case n == 0:
		return nil
	case n <= len(e.scopesIn):
		// In e's own room already, or room was made on the heap but
		// duplicates or invalid tokens left few enough for it.
		return e.scopesIn[:copy(e.scopesIn[:], l.s):n]
	case cap(l.s) > 2*n:
		// A cached entry does not keep room it mostly did not use.
		return slices.Clone(l.s)
	}
	return slices.Clip(l.s)
}

// A scopeList collects scope-tokens (the caller checks each is valid)
// once each, as gatehouse.AppendScopes does, into room made for as many
// as the claim can hold (up to scopeRoom; past it the list grows); from
// 32 on, duplicates are found through a set, so that a huge scope claim
// costs linear time.
type scopeList struct {
	s    []string
	seen map[string]struct{}
}

// scopeRoom bounds the room made beforehand for a claim's scopes, so that
// a claim of many duplicates does not make room for each.
const scopeRoom = 64

// init makes room for up to n scopes: e's own when they fit.
func (l *scopeList) init(e *cacheEntry, n int) {
	if n <= len(e.scopesIn) {
		l.s = e.scopesIn[:0]
	} else {
		l.s = make([]string, 0, min(n, scopeRoom))
	}
}

// few collects the scope-tokens of the space-delimited s once each, in
// order, into e's own room, reading s once, and reports whether they fit
// there (at most entryScopes of them); when they do not, the caller
// collects them again with init and add.
func (l *scopeList) few(e *cacheEntry, s string) bool {
	l.s = e.scopesIn[:0]
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != ' ' {
			continue
		}
		if f := s[start:i]; gatehouse.ValidScope(f) && !slices.Contains(l.s, f) {
			if len(l.s) == entryScopes {
				return false
			}
			l.s = append(l.s, f)
		}
		start = i + 1
	}
	return true
}

func (l *scopeList) add(s string) {
	if l.seen == nil && len(l.s) >= 32 {
		l.seen = make(map[string]struct{}, 2*len(l.s))
		for _, x := range l.s {
			l.seen[x] = struct{}{}
		}
	}
	if l.seen != nil {
		if _, dup := l.seen[s]; dup {
			return
		}
		l.seen[s] = struct{}{}
	} else if slices.Contains(l.s, s) {
		return
	}
	l.s = append(l.s, s)
}
