package bearer

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/internal/compact"
)

// withPayload returns tok with its payload segment replaced by seg.
func withPayload(tok, seg string) string {
	parts := strings.Split(tok, ".")
	return parts[0] + "." + seg + "." + parts[2]
}

// withHeader returns tok with its header segment replaced by the encoding
// of h.
func withHeader(t testing.TB, tok string, h map[string]any) string {
	parts := strings.Split(tok, ".")
	return b64json(t, h) + "." + parts[1] + "." + parts[2]
}

// forgedSig returns tok with a signature of the right length that does
// not verify.
func forgedSig(tok string) string { return flip(tok, len(tok)-5) }

// garbagePayloads are claims segments that golang-jwt's parser would
// refuse, or whose claims would be refused, were they decoded; beside a
// bad signature, each must be refused as a bad signature without being
// decoded.
func garbagePayloads(t testing.TB) map[string]string {
	expired := claimsAt(t0)
	expired["exp"] = t0.Add(-time.Hour).Unix()
	foreign := claimsAt(t0)
	foreign["iss"] = "https://evil.test"
	noExp := claimsAt(t0)
	delete(noExp, "exp")
	return map[string]string{
		"empty":                      "",
		"base64 of invalid JSON":     b64(`{"sub":"user-42",`),
		"base64 of a JSON array":     b64(`[1,2,3]`),
		"base64 of JSON null":        b64(`null`),
		"not base64url":              "++//++//",
		"non-canonical base64":       noncanonical(b64(`{"a":1}`)),
		"huge (4 KiB of claims)":     b64json(t, bigClaims(t0, 4<<10)),
		"huge number":                b64(`{"exp":1e400}`),
		"deeply nested":              b64(strings.Repeat("[", 4000)),
		"expired":                    b64json(t, expired),
		"foreign issuer":             b64json(t, foreign),
		"missing exp":                b64json(t, noExp),
		"wrong audience":             b64json(t, jwt.MapClaims{"iss": "https://issuer.test", "aud": "api://billing", "exp": t0.Add(time.Hour).Unix()}),
		"sub not a string":           b64json(t, jwt.MapClaims{"iss": "https://issuer.test", "aud": "api://orders", "sub": 42, "exp": t0.Add(time.Hour).Unix()}),
		"valid claims (forged only)": b64json(t, claimsAt(t0)),
	}
}

func TestSplitJWS(t *testing.T) {
	hs := newSigner(t, "HS256", "k1")
	good := hs.sign(t, claimsAt(t0), nil)
	parts := strings.Split(good, ".")
	algs := []string{"HS256", "ES256"}

	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"valid", good, true},
		{"payload not base64: not looked at", parts[0] + ".!!!." + parts[2], true},
		{"payload not JSON: not looked at", withPayload(good, b64("{")), true},
		{"empty payload", withPayload(good, ""), true},
		{"two segments", parts[0] + "." + parts[1], false},
		{"four segments", good + ".x", false},
		{"no dot", "abc", false},
		{"header not base64url", "+" + good[1:], false},
		{"header padded", b64json(t, map[string]any{"alg": "HS256"}) + "==." + parts[1] + "." + parts[2], false},
		{"header non-canonical", noncanonical(b64(`{"alg":"HS256","kid":"k1"}`)) + "." + parts[1] + "." + parts[2], false},
		{"header not JSON", b64("{") + "." + parts[1] + "." + parts[2], false},
		{"header null", b64("null") + "." + parts[1] + "." + parts[2], false},
		{"header array", b64(`["HS256"]`) + "." + parts[1] + "." + parts[2], false},
		{"alg missing", withHeader(t, good, map[string]any{"typ": "JWT"}), false},
		{"alg not a string", withHeader(t, good, map[string]any{"alg": 256}), false},
		{"alg outside the allowlist", withHeader(t, good, map[string]any{"alg": "RS256"}), false},
		{"alg none", withHeader(t, good, map[string]any{"alg": "none"}), false},
		{"alg None", withHeader(t, good, map[string]any{"alg": "None"}), false},
		{"alg NONE", withHeader(t, good, map[string]any{"alg": "NONE"}), false},
		{"alg of another case", withHeader(t, good, map[string]any{"alg": "hs256"}), false},
		{"signature not base64url", parts[0] + "." + parts[1] + ".+", false},
		{"signature padded", good + "=", false},
		{"signature non-canonical", noncanonical(good), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var scratch [jwsScratch]byte
			c := cutToken(tc.token)
			j, signing, _, ok := splitJWS(tc.token, &c, algs, scratch[:], nil)
			require.Equal(t, tc.ok, ok)
			_, oldOK := oldSplitJWS(tc.token, algs)
			assert.Equal(t, oldOK, ok, "as the former split")
			if !ok {
				return
			}
			i := strings.LastIndexByte(tc.token, '.')
			assert.Equal(t, tc.token[:i], signing)
			assert.Equal(t, "HS256", algs[j.algIdx])
			assert.Equal(t, "k1", j.kid)
		})
	}
}

// TestForgedTokenClaimsNotDecoded: a token whose signature does not verify
// is refused as a bad signature (ErrTokenInvalid, audit "invalid_token")
// whatever its claims segment holds — garbage, huge, or claims that would
// fail validation — and without decoding it: the refusal allocates exactly
// as much as for an empty claims segment.
func TestForgedTokenClaimsNotDecoded(t *testing.T) {
	c := newClock(t0)
	for _, alg := range []string{"HS256", "RS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			s := newSigner(t, alg, "k1")
			cfg := baseConfig(c, s)
			cfg.CacheSize = new(0)
			var events []gatehouse.Event
			cfg.Audit = gatehouse.AuditFunc(func(_ context.Context, ev gatehouse.Event) { events = append(events, ev) })
			a := mustNew(t, cfg)
			forged := forgedSig(s.sign(t, claimsAt(t0), nil))

			allocs := func(tok string) float64 {
				r := bearerRequest(tok)
				return testing.AllocsPerRun(20, func() { _, _, _ = a.check(r) })
			}
			base := allocs(withPayload(forged, ""))
			for name, seg := range garbagePayloads(t) {
				t.Run(name, func(t *testing.T) {
					tok := withPayload(forged, seg)
					_, rs, err := a.check(bearerRequest(tok))
					assert.Equal(t, rInvalid, rs)
					assert.ErrorIs(t, err, ErrTokenInvalid)

					events = events[:0]
					rec, _, _ := serve(a, bearerRequest(tok))
					assert.Equal(t, http.StatusUnauthorized, rec.Code)
					require.Len(t, events, 1)
					assert.Equal(t, "invalid_token", string(events[0].Reason))

					if !raceEnabled { // under the race detector sync.Pool drops the HMAC states
						assert.Equal(t, base, allocs(tok), "the claims segment is not decoded")
					}
				})
			}
		})
	}
}

// TestHeaderChecksPrecedeSignature: a token with a header defect is
// refused for it even when its signature does not verify and its claims
// are garbage: the header is checked before any signature work.
func TestHeaderChecksPrecedeSignature(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "hs-1")
	rs := newSigner(t, "RS256", "rsa-1")
	cfg := baseConfig(c, hs, rs)
	cfg.TokenType = "at+jwt"
	a := mustNew(t, cfg)
	at := map[string]any{"typ": "at+jwt"}
	hsTok := forgedSig(hs.sign(t, claimsAt(t0), at))

	tests := []struct {
		name   string
		header map[string]any
		want   reason
	}{
		{"crit", map[string]any{"alg": "HS256", "kid": "hs-1", "typ": "at+jwt", "crit": []string{"exp"}}, rCrit},
		{"typ missing", map[string]any{"alg": "HS256", "kid": "hs-1"}, rType},
		{"typ JWT", map[string]any{"alg": "HS256", "kid": "hs-1", "typ": "JWT"}, rType},
		{"kid not a string", map[string]any{"alg": "HS256", "kid": 7, "typ": "at+jwt"}, rUnknownKey},
		{"unknown kid", map[string]any{"alg": "HS256", "kid": "nope", "typ": "at+jwt"}, rUnknownKey},
		{"no kid against several keys", map[string]any{"alg": "HS256", "typ": "at+jwt"}, rUnknownKey},
		{"alg not bound to the kid's key", map[string]any{"alg": "HS256", "kid": "rsa-1", "typ": "at+jwt"}, rUnknownKey},
		{"alg outside the allowlist", map[string]any{"alg": "ES256", "kid": "hs-1", "typ": "at+jwt"}, rInvalid},
		{"alg none", map[string]any{"alg": "none", "kid": "hs-1", "typ": "at+jwt"}, rInvalid},
		{"crit before typ and kid", map[string]any{"alg": "HS256", "kid": 7, "crit": []string{"x"}}, rCrit},
		{"typ before kid", map[string]any{"alg": "HS256", "kid": 7}, rType},
	}
	for _, tc := range tests {
		for name, seg := range map[string]string{"claims kept": "", "garbage claims": b64("{"), "foreign issuer": b64json(t, jwt.MapClaims{"iss": "https://evil.test"})} {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				tok := withHeader(t, hsTok, tc.header)
				if seg != "" {
					tok = withPayload(tok, seg)
				}
				_, got, err := a.check(bearerRequest(tok))
				assert.Equal(t, tc.want, got, "reason %q", refusals[got].Reason)
				assert.ErrorIs(t, err, refusals[tc.want].Err)
			})
		}
	}
}

// TestValidTokensFirstSight: valid tokens of every algorithm family are
// accepted on first sight (no cache), with the Principal built from their
// claims, and again with Config.Custom, which gets the decoded payload.
func TestValidTokensFirstSight(t *testing.T) {
	c := newClock(t0)
	for _, alg := range []string{"HS256", "RS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			s := newSigner(t, alg, "k1")
			cfg := baseConfig(c, s)
			cfg.CacheSize = new(0)
			a := mustNew(t, cfg)
			for _, tok := range []string{s.sign(t, claimsAt(t0), nil), s.sign(t, bigClaims(t0, 4<<10), nil)} {
				for range 2 {
					p, err := a.Check(bearerRequest(tok))
					require.NoError(t, err)
					assert.Equal(t, "user-42", p.Subject)
					assert.Equal(t, "acme", p.Tenant)
					assert.Equal(t, []string{"orders:read", "orders:write"}, p.Scopes)
					assert.True(t, p.ExpiresAt.Equal(t0.Add(time.Hour)))
				}
				_, err := a.Check(bearerRequest(forgedSig(tok)))
				assert.ErrorIs(t, err, ErrTokenInvalid)
			}

			cfg.Custom = Custom[orgClaims](nil)
			b := mustNew(t, cfg)
			m := claimsAt(t0)
			m["org"], m["roles"] = "acme", []string{"admin"}
			p, err := b.Check(bearerRequest(s.sign(t, m, nil)))
			require.NoError(t, err)
			oc, ok := CustomOf[orgClaims](p)
			require.True(t, ok)
			assert.Equal(t, orgClaims{Org: "acme", Roles: []string{"admin"}}, *oc)
		})
	}
}

// TestMultiDefectOrder pins the reason reported for tokens with two
// defects, beside the reason of the reference order (refVerifier:
// golang-jwt decodes the claims first, and its key function checks the
// issuer before the kid). The reason reported is the first defect in this
// package's order: header and key, signature, claims (issuer, then time
// and audience). Both orders refuse every token; they report different
// defects for these:
//
//   - foreign issuer + bad signature: a bad token here, a foreign issuer
//     in the reference;
//   - foreign issuer + unknown kid, kid not a string, or no kid against
//     several keys: an unknown key here, a foreign issuer there;
//   - claims not a claim set (bad base64 or JSON) + crit, typ or key
//     defect: the crit, type or unknown-key refusal here, a bad token
//     there;
//   - with a JWKS: foreign issuer or malformed claims + a kid the set holds
//     under another algorithm, or no kid: an unknown key here (or 503 when
//     no key was ever fetched), a foreign issuer or bad token there. With
//     a kid the set does not hold, the claims are checked first, so that
//     such a token does not spend a refresh.
//
// Both orders check crit and typ before the issuer, and the issuer before
// exp, nbf, iat and aud.
func TestMultiDefectOrder(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "hs-1")
	other := newSigner(t, "HS256", "hs-2")
	cfg := baseConfig(c, hs, other)
	cfg.TokenType = "at+jwt"
	a := mustNew(t, cfg)
	at := map[string]any{"typ": "at+jwt"}
	foreign := claimsAt(t0)
	foreign["iss"] = "https://evil.test"
	foreignExpired := claimsAt(t0)
	foreignExpired["iss"] = "https://evil.test"
	foreignExpired["exp"] = t0.Add(-time.Hour).Unix()
	garbage := b64("{")
	hdr := func(extra map[string]any) map[string]any {
		m := map[string]any{"alg": "HS256", "kid": "hs-1", "typ": "at+jwt"}
		for k, v := range extra {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	forgedForeign := forgedSig(hs.sign(t, foreign, at))

	tests := []struct {
		name      string
		token     string
		ref, want reason
	}{
		{"foreign issuer + bad signature", forgedForeign, rIssuer, rInvalid},
		{"foreign issuer + unknown kid", withHeader(t, hs.sign(t, foreign, at), hdr(map[string]any{"kid": "nope"})), rIssuer, rUnknownKey},
		{"foreign issuer + kid not a string", withHeader(t, hs.sign(t, foreign, at), hdr(map[string]any{"kid": 7})), rIssuer, rUnknownKey},
		{"foreign issuer + no kid", withHeader(t, hs.sign(t, foreign, at), hdr(map[string]any{"kid": nil})), rIssuer, rUnknownKey},
		{"garbage claims + crit", withPayload(withHeader(t, forgedForeign, hdr(map[string]any{"crit": []string{"x"}})), garbage), rInvalid, rCrit},
		{"garbage claims + typ", withPayload(withHeader(t, forgedForeign, hdr(map[string]any{"typ": "JWT"})), garbage), rInvalid, rType},
		{"garbage claims + unknown kid", withPayload(withHeader(t, forgedForeign, hdr(map[string]any{"kid": "nope"})), garbage), rInvalid, rUnknownKey},
		// The same in both orders.
		{"foreign issuer + crit", withHeader(t, forgedForeign, hdr(map[string]any{"crit": []string{"x"}})), rCrit, rCrit},
		{"foreign issuer + typ", withHeader(t, forgedForeign, hdr(map[string]any{"typ": "JWT"})), rType, rType},
		{"foreign issuer + expired", hs.sign(t, foreignExpired, at), rIssuer, rIssuer},
		{"garbage claims + bad signature", withPayload(forgedForeign, garbage), rInvalid, rInvalid},
		{"garbage claims + alg none", withPayload(withHeader(t, forgedForeign, hdr(map[string]any{"alg": "none"})), garbage), rInvalid, rInvalid},
	}
	ref := refVerifier(a, cfg)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.ref, ref(tc.token), "reason in the reference order")
			_, got, err := a.check(bearerRequest(tc.token))
			assert.Equal(t, tc.want, got, "got %q", refusals[got].Reason)
			assert.ErrorIs(t, err, refusals[tc.want].Err)
		})
	}
}

// TestJWKSClaimsCheckedBeforeRefresh: with a JWKS, a token whose kid the
// set does not hold has its claims checked before the refresh its kid
// would trigger; with a kid the set holds, the signature comes first.
func TestJWKSClaimsCheckedBeforeRefresh(t *testing.T) {
	c := newClock(t0)
	k1 := newSigner(t, "ES256", "k1")
	srv := newJWKSServer(t, k1)
	a := mustNew(t, jwksConfig(c, srv.URL))
	foreign := claimsAt(t0)
	foreign["iss"] = "https://evil.test"
	attacker := newSigner(t, "ES256", "unknown")

	hits := srv.hits.Load()
	_, err := a.Check(bearerRequest(withPayload(attacker.sign(t, claimsAt(t0), nil), b64("{"))))
	assert.ErrorIs(t, err, ErrTokenInvalid)
	_, err = a.Check(bearerRequest(attacker.sign(t, foreign, nil)))
	assert.ErrorIs(t, err, ErrIssuer)
	assert.Equal(t, hits, srv.hits.Load(), "no refresh")

	forged := signer{alg: "ES256", kid: "k1", method: attacker.method, priv: attacker.priv}
	_, err = a.Check(bearerRequest(forged.sign(t, foreign, nil)))
	assert.ErrorIs(t, err, ErrTokenInvalid, "known kid: the signature is checked before the claims")
	_, err = a.Check(bearerRequest(withPayload(forgedSig(k1.sign(t, claimsAt(t0), nil)), b64("{"))))
	assert.ErrorIs(t, err, ErrTokenInvalid)
	_, err = a.Check(bearerRequest(k1.sign(t, foreign, nil)))
	assert.ErrorIs(t, err, ErrIssuer)
	_, err = a.Check(bearerRequest(k1.sign(t, claimsAt(t0), nil)))
	assert.NoError(t, err)
}

// refVerifier returns the reference verification for static keys:
// golang-jwt's ParseWithClaims with a's parser options and a key function
// checking crit, typ, the issuer and kid, in that order, then the claims
// checks of principal. It returns the reason that order reports.
func refVerifier(a *Authenticator, cfg Config) func(tok string) reason {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(a.algs), jwt.WithStrictDecoding(), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithLeeway(cfg.Leeway), jwt.WithTimeFunc(a.now),
	}
	if len(cfg.Audiences) > 0 {
		opts = append(opts, jwt.WithAudience(cfg.Audiences...))
	}
	p := jwt.NewParser(opts...)
	kf := func(t *jwt.Token) (any, error) {
		if _, ok := t.Header["crit"]; ok {
			return nil, ErrCritHeader
		}
		is := a.single
		if is.typ != "" {
			typ, _ := t.Header["typ"].(string)
			if !compact.TypeMatches(typ, is.typ) {
				return nil, ErrTokenType
			}
		}
		if is.checkISS {
			iss, _ := t.Claims.(jwt.MapClaims)["iss"].(string)
			if iss != is.url {
				return nil, ErrIssuer
			}
		}
		kid := ""
		if v, ok := t.Header["kid"]; ok {
			s, ok := v.(string)
			if !ok {
				return nil, ErrUnknownKey
			}
			kid = s
		}
		key, rs := a.single.staticKey(kid, t.Method.Alg())
		if rs != rOK {
			return nil, refusals[rs].Err
		}
		return key.Key.Key, nil
	}
	return func(tok string) reason {
		claims := jwt.MapClaims{}
		if _, err := p.ParseWithClaims(tok, claims, kf); err != nil {
			return jwtReason(err)
		}
		var pr gatehouse.Principal
		_, rs := a.oldPrincipal(&pr, claims, a.single)
		return rs
	}
}

// TestSingleDefectReasonsUnchanged compares, for tokens with one defect
// each, the reason reported with the reason golang-jwt's ParseWithClaims
// and the former key function give.
func TestSingleDefectReasonsUnchanged(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "hs-1")
	es := newSigner(t, "ES256", "es-1")
	cfg := baseConfig(c, hs, es)
	cfg.TokenType = "at+jwt"
	cfg.CacheSize = new(0)
	a := mustNew(t, cfg)
	ref := refVerifier(a, cfg)
	at := map[string]any{"typ": "at+jwt"}
	good := hs.sign(t, claimsAt(t0), at)
	parts := strings.Split(good, ".")
	with := func(k string, v any) jwt.MapClaims {
		m := claimsAt(t0)
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	var tokens = map[string]string{
		"valid HS256":          good,
		"valid ES256":          es.sign(t, claimsAt(t0), at),
		"bad signature":        forgedSig(good),
		"empty signature":      parts[0] + "." + parts[1] + ".",
		"ES256 r=s=0":          withHeader(t, parts[0]+"."+parts[1]+"."+base64.RawURLEncoding.EncodeToString(make([]byte, 64)), map[string]any{"alg": "ES256", "kid": "es-1", "typ": "at+jwt"}),
		"non-canonical sig":    noncanonical(good),
		"claims not JSON":      signRaw(t, hs, parts[0], b64("{")),
		"claims not base64url": signRaw(t, hs, parts[0], "++//"),
		"claims a JSON string": signRaw(t, hs, parts[0], b64(`"x"`)),
		"claims a JSON array":  signRaw(t, hs, parts[0], b64(`[]`)),
		"claims null":          hs.sign(t, nil, at),
		"crit":                 hs.sign(t, claimsAt(t0), map[string]any{"typ": "at+jwt", "crit": []string{"exp"}}),
		"typ":                  hs.sign(t, claimsAt(t0), nil),
		"kid not a string":     hs.sign(t, claimsAt(t0), map[string]any{"typ": "at+jwt", "kid": 7}),
		"unknown kid":          hs.sign(t, claimsAt(t0), map[string]any{"typ": "at+jwt", "kid": "nope"}),
		"no kid":               hs.sign(t, claimsAt(t0), map[string]any{"typ": "at+jwt", "kid": nil}),
		"alg none":             unsigned(t, map[string]any{"alg": "none", "typ": "at+jwt", "kid": "hs-1"}, claimsAt(t0)),
		"header null":          b64("null") + "." + parts[1] + "." + parts[2],
		"foreign issuer":       hs.sign(t, with("iss", "https://evil.test"), at),
		"iss not a string":     hs.sign(t, with("iss", 42), at),
		"expired":              hs.sign(t, with("exp", t0.Add(-time.Second).Unix()), at),
		"missing exp":          hs.sign(t, with("exp", nil), at),
		"exp as string":        hs.sign(t, with("exp", "tomorrow"), at),
		"future nbf":           hs.sign(t, with("nbf", t0.Add(time.Minute).Unix()), at),
		"future iat":           hs.sign(t, with("iat", t0.Add(time.Minute).Unix()), at),
		"wrong aud":            hs.sign(t, with("aud", "api://billing"), at),
		"aud not strings":      hs.sign(t, with("aud", []any{1}), at),
		"missing aud":          hs.sign(t, with("aud", nil), at),
		"sub not a string":     hs.sign(t, with("sub", 42), at),
		"huge number":          signRaw(t, hs, parts[0], b64(`{"exp":1e400}`)),
	}
	for name, tok := range tokens {
		t.Run(name, func(t *testing.T) {
			_, got, _ := a.check(bearerRequest(tok))
			assert.Equal(t, ref(tok), got, "got %q", refusals[got].Reason)
		})
	}
}

// signRaw signs the header and payload segments given with s's key,
// whatever they hold.
func signRaw(t testing.TB, s signer, header, payload string) string {
	t.Helper()
	sig, err := s.method.Sign(header+"."+payload, s.priv)
	require.NoError(t, err)
	return header + "." + payload + "." + base64.RawURLEncoding.EncodeToString(sig)
}
