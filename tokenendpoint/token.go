package tokenendpoint

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/gatehouse-go/gatehouse/internal/attempts"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/internal/issuance"
	"github.com/gatehouse-go/gatehouse/ratelimit"
)

// auditSource is the Event.Source of every event the endpoint emits.
const auditSource = "tokenendpoint"

// basicChallenge returns `Basic realm="…"` (RFC 7617) with realm
// quoted-string escaped and control characters dropped.
func basicChallenge(realm string) string {
	return "Basic realm=" + envelope.QuotedString(realm) + `, charset="UTF-8"`
}

// Token-endpoint refusals that need no client, built once.
var (
	errGrantMissing     = invalidRequest("grant_type is required")
	errUnsupportedGrant = refused(rowUnsupportedGrant, "")
	errClientIDMissing  = invalidRequest("client_id is required")
	errAssertionMissing = invalidRequest("assertion is required")
	errSecretWithJWT    = invalidRequest("client_secret is not used with the jwt-bearer grant")
	errInvalidScope     = refused(rowInvalidScope, "")
)

// ServeHTTP is the token endpoint (mount it at POST /oauth/token, or
// wherever the API documents it). It reads a JSON object or a form body
// (RFC 6749), with the client optionally in HTTP Basic, and grants:
//
//	grant_type=client_credentials, client_id + client_secret (RFC 6749 §4.4)
//	    → a machine-to-machine session (session_kind "m2m")
//	grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer, client_id + assertion (RFC 7523 §2.1)
//	    → a client session (session_kind "client") carrying the claims
//	      Config.Assertion reads from the assertion
//
// The assertion is an HS256 JWS signed with the client's AssertionKey (at
// least MinAssertionKeyBytes, or MinInsecureAssertionKeyBytes for a client
// with InsecureShortAssertionKey); its iat must lie within
// [now-AssertionWindow, now+AssertionLeeway], exp and nbf are honoured
// when present, iss and sub must be the client_id when present, its aud,
// when present, must name one of AssertionAudiences (RFC 7523 §3; an
// absent aud is accepted), and its Config.ReplayClaim is single-use per
// client (ReplayStore). An optional scope parameter narrows the client's
// scopes; it is checked before the replay claim is spent, so an
// invalid_scope refusal leaves the assertion usable.
//
// With Config.DPoP, a request carrying a DPoP proof (RFC 9449 §5) has it
// verified before the client is authenticated, and its token is bound to
// the proof's key ("cnf": {"jkt": thumbprint}, token_type "DPoP").
//
// Success is 200 {"access_token","token_type":"Bearer","expires_in"[,"scope"]}
// ("DPoP" for a bound token) with Cache-Control: no-store. Failures are rendered in Config.Style
// (envelope.OAuth by default, RFC 6749 §5.2):
//
//	400 invalid_request          malformed body, missing or repeated parameter, two auth methods,
//	                             malformed Basic credentials, two Authorization headers
//	415 / 413 invalid_request    wrong Content-Type, body over MaxBodyBytes
//	400 unsupported_grant_type   any other grant_type
//	401 invalid_client           unknown client, wrong or missing secret, an Authorization
//	                             header of another scheme than Basic; WWW-Authenticate: Basic
//	400 invalid_grant            bad assertion: shape, alg, signature (or unknown client — one
//	                             answer), iat, exp, nbf, aud, claims, replayed replay claim
//	400 invalid_scope            scope beyond the client's
//	400 invalid_dpop_proof       a refused DPoP proof, or none where Config.RequireDPoP or
//	                             Client.RequireDPoP requires one
//	400 use_dpop_nonce           a proof without the current nonce; DPoP-Nonce: the nonce
//	429 slow_down + Retry-After  too many failed client authentications (Throttle)
//	503 temporarily_unavailable  a store failed; nothing is issued
//
// The answer never reveals whether a client_id exists: an unknown client
// is checked against a dummy secret hash or HMAC key, so it takes the same
// path and answers the same body as a wrong credential. With a Throttle,
// every client authentication is counted against the client address
// ("ip:" + ratelimit.AddrKey) and the client ("client:" and the base64url
// SHA-256 of the client_id, which may be a secret) before the client is
// looked up, so parallel guesses cannot outrun the count. A failed one
// (wrong secret, bad assertion signature) stays counted; a
// grant clears the client's count and takes back its attempt against the
// address; any other refusal takes back both.
func (ep *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ev := gatehouse.NewEvent(r, auditSource, "token")
	req, e := parseTokenRequest(w, r, ep.maxBytes)
	if e == errAuthScheme {
		ep.resp.Fail(w, r, ev, reasonInvalidClient, ep.invalidClient)
		return
	}
	if e != nil {
		ep.resp.Fail(w, r, ev, reasonBadRequest, e)
		return
	}
	proof := issuance.CheckDPoP(r.Context(), ep.dpop, r, "", ep.requireDPoP)
	if proof.Err != nil {
		proof.SetNonce(w.Header(), ep.dpop)
		ep.resp.Fail(w, r, ev, proof.Reason, proof.Err)
		return
	}
	req.jkt = proof.JKT
	tok, reason, e := ep.grant(r.Context(), gatehouse.ClientAddr(r), &req, &ev)
	if e != nil {
		ep.resp.Fail(w, r, ev, reason, e)
		return
	}
	proof.SetNonce(w.Header(), ep.dpop)
	ev.CredID = tok.AccessToken.ID
	h := w.Header()
	h["Cache-Control"] = issuance.HdrNoStore
	h["Pragma"] = []string{"no-cache"}
	h["Content-Type"] = []string{"application/json"}
	h["X-Content-Type-Options"] = []string{"nosniff"}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(ep.tokenResponse(tok))
	ep.resp.Allowed(r, ev)
}

// grantedToken is a session token and what the response says about it.
type grantedToken struct {
	AccessToken accessToken
	scope       string
	dpop        bool // the token is bound to a DPoP key
}

// tokenResponse renders RFC 6749 §5.1's body. The scope is included when
// the token has one (RFC 6749 §5.1 requires it when it differs from the
// request; listing it always is allowed).
func (ep *Endpoint) tokenResponse(t grantedToken) []byte {
	b := make([]byte, 0, 96+len(t.AccessToken.Token)+len(t.scope))
	b = append(b, `{"access_token":`...)
	b = issuance.AppendJSONString(b, t.AccessToken.Token)
	if t.dpop {
		b = append(b, `,"token_type":"DPoP","expires_in":`...)
	} else {
		b = append(b, `,"token_type":"Bearer","expires_in":`...)
	}
	b = append(b, ep.expiresIn...)
	if t.scope != "" {
		b = append(b, `,"scope":`...)
		b = issuance.AppendJSONString(b, t.scope)
	}
	return append(b, '}')
}

// grant decides a parsed token request: the token, or the refusal and its
// audit reason. ev receives the client's subject and tenant once known.
func (ep *Endpoint) grant(ctx context.Context, addr netip.Addr, req *tokenRequest, ev *gatehouse.Event) (grantedToken, gatehouse.Reason, *envelope.Error) {
	switch {
	case req.grantType == "":
		return grantedToken{}, reasonBadRequest, errGrantMissing
	case req.grantType == GrantClientCredentials:
		return ep.clientCredentials(ctx, addr, req, ev)
	case req.grantType == GrantJWTBearer:
		return ep.jwtBearer(ctx, addr, req, ev)
	}
	return grantedToken{}, reasonUnsupportedGrant, errUnsupportedGrant
}

// clientCredentials is RFC 6749 §4.4.
func (ep *Endpoint) clientCredentials(ctx context.Context, addr netip.Addr, req *tokenRequest, ev *gatehouse.Event) (grantedToken, gatehouse.Reason, *envelope.Error) {
	if req.clientID == "" || req.clientSecret == "" {
		return grantedToken{}, reasonInvalidClient, ep.invalidClient
	}
	return ep.attempt(ctx, addr, req.clientID, func() (grantedToken, gatehouse.Reason, *envelope.Error, bool) {
		c, found, e := ep.lookupClient(ctx, req.clientID)
		if e != nil {
			return grantedToken{}, reasonStore, e, false
		}
		want := &ep.dummySecret
		if found && c.SecretHash != ([32]byte{}) {
			want = &c.SecretHash
		} else {
			found = false
		}
		got := sha256.Sum256([]byte(req.clientSecret))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || !found {
			return grantedToken{}, reasonInvalidClient, ep.invalidClient, true
		}
		ev.Subject, ev.Tenant = c.subject(), c.Tenant
		if c.RequireDPoP && req.jkt == "" {
			return grantedToken{}, reasonDPoPRequired, errDPoPRequired, false
		}
		scopes, e := narrowScopes(c, req.scope)
		if e != nil {
			return grantedToken{}, reasonInvalidScope, e, false
		}
		tok, reason, e := ep.issueSession(c, scopes, SessionM2M, nil, req.jkt)
		return tok, reason, e, false
	})
}

// jwtBearer is RFC 7523 §2.1.
func (ep *Endpoint) jwtBearer(ctx context.Context, addr netip.Addr, req *tokenRequest, ev *gatehouse.Event) (grantedToken, gatehouse.Reason, *envelope.Error) {
	switch {
	case req.clientSecret != "" || req.basic:
		return grantedToken{}, reasonBadRequest, errSecretWithJWT
	case req.clientID == "":
		return grantedToken{}, reasonBadRequest, errClientIDMissing
	case req.assertion == "":
		return grantedToken{}, reasonBadRequest, errAssertionMissing
	}
	input, payload, sig, e := splitAssertion(req.assertion)
	if e != nil {
		return grantedToken{}, reasonInvalidAssertion, e
	}
	return ep.attempt(ctx, addr, req.clientID, func() (grantedToken, gatehouse.Reason, *envelope.Error, bool) {
		c, found, e := ep.lookupClient(ctx, req.clientID)
		if e != nil {
			return grantedToken{}, reasonStore, e, false
		}
		key := ep.dummyKey
		if found && c.assertionKeyOK() {
			key = c.AssertionKey
		} else {
			found = false
		}
		if !verifyHS256(input, sig, key) || !found {
			return grantedToken{}, reasonInvalidAssertion, errAssertionSignature, true
		}
		ev.Subject, ev.Tenant = c.subject(), c.Tenant
		if c.RequireDPoP && req.jkt == "" {
			return grantedToken{}, reasonDPoPRequired, errDPoPRequired, false
		}
		replayKey, extra, e := ep.checkAssertionClaims(payload, req.clientID)
		if e != nil {
			return grantedToken{}, reasonInvalidAssertion, e, false
		}
		// The scope is checked before the replay claim is spent, so a
		// request refused for its scope can be retried.
		scopes, e := narrowScopes(c, req.scope)
		if e != nil {
			return grantedToken{}, reasonInvalidScope, e, false
		}
		// The token is signed before the key is spent, so that a failure
		// to sign it does not use up the assertion.
		tok, reason, e := ep.issueSession(c, scopes, SessionClient, extra, req.jkt)
		if e != nil {
			return grantedToken{}, reason, e, false
		}
		fresh, err := ep.replay.Use(ctx, c.ID, replayKey, ep.replayTTL())
		if err != nil {
			return grantedToken{}, reasonStore, unavailable(err), false
		}
		if !fresh {
			return grantedToken{}, reasonReplayed, ep.errReplayed, false
		}
		return tok, reason, nil, false
	})
}

// lookupClient returns the client, found false for an unknown one, or a
// 503 for a store failure.
func (ep *Endpoint) lookupClient(ctx context.Context, id string) (Client, bool, *envelope.Error) {
	c, err := ep.clients.LookupClient(ctx, id)
	switch {
	case err == nil:
		return c, true, nil
	case errors.Is(err, ErrClientNotFound):
		return Client{}, false, nil
	}
	return Client{}, false, unavailable(err)
}

// attempt runs authenticate — one client authentication and the grant
// that follows it — between the throttle's Begin for the client address
// and the client and their settlement: a failed authentication
// (authenticate's failed) stays counted against both keys; any other
// refusal takes both attempts back; a grant resets the client's failures
// and takes back the attempt against the address (a failure to do either
// is a 503, and the token is never sent). Without a Throttle it just runs
// authenticate.
func (ep *Endpoint) attempt(ctx context.Context, addr netip.Addr, clientID string, authenticate func() (tok grantedToken, reason gatehouse.Reason, e *envelope.Error, failed bool)) (grantedToken, gatehouse.Reason, *envelope.Error) {
	if ep.throttle == nil {
		tok, reason, e, _ := authenticate()
		return tok, reason, e
	}
	ipKey, clientKey := attempt{Key: "ip:" + ratelimit.AddrKey(addr)}, attempt{Key: clientThrottleKey(clientID)}
	if e := ep.beginAttempt(ctx, &ipKey, &clientKey); e != nil {
		return grantedToken{}, throttleReason(e), e
	}
	tok, reason, e, failed := authenticate()
	switch {
	case failed: // the attempts stay counted: the failure
	case e != nil:
		ep.endAttempt(ctx, &ipKey, &clientKey)
	default:
		if err := attempts.SettleGood(ctx, ep.throttle, &clientKey, &ipKey); err != nil {
			return grantedToken{}, reasonStore, passThrough(err)
		}
	}
	return tok, reason, e
}

// clientThrottleKey returns the Throttle key of the client_id clientID:
// "client:" and the SHA-256 of the id, base64url encoded. A client_id may
// be a secret (an API key, see ClientStore), so it never names a key of
// the throttle's store as it was sent.
func clientThrottleKey(clientID string) string {
	sum := sha256.Sum256([]byte(clientID))
	return "client:" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// narrowScopes returns the scopes a session of c gets: the client's, or
// the requested ones (a space-separated scope parameter) when scope is not
// empty, and invalid_scope when one of those is not the client's or is
// malformed (a part between spaces that is not one scope-token, such as
// "read\tadmin": refused whole, not dropped).
func narrowScopes(c Client, scope string) ([]string, *envelope.Error) {
	if scope == "" {
		return c.Scopes, nil
	}
	for part := range strings.SplitSeq(scope, " ") {
		if part != "" && !gatehouse.ValidScope(part) {
			return nil, errInvalidScope
		}
	}
	scopes := gatehouse.ParseScope(scope)
	for _, s := range scopes {
		if !slices.Contains(c.Scopes, s) {
			return nil, errInvalidScope
		}
	}
	return scopes, nil
}

// sessionPayload is the claim set of a token-endpoint token: the access
// token's claims and the session kind; the Assertion hook's claims follow.
type sessionPayload struct {
	issuance.AccessPayload
	Kind SessionKind `json:"session_kind"`
}

// issueSession signs the session token of kind for c with scopes, which
// narrowScopes returned, and extra, the Assertion hook's claims (nil, or a
// value that marshals to null, for none), bound to the DPoP key of
// thumbprint jkt ("" for a bearer token).
func (ep *Endpoint) issueSession(c Client, scopes []string, kind SessionKind, extra any, jkt string) (grantedToken, gatehouse.Reason, *envelope.Error) {
	if err := issuance.CheckScopes(scopes); err != nil {
		return grantedToken{}, reasonSign, envelope.ErrInternal.WithCause(err)
	}
	now := ep.clock()
	jti := issuance.NewID()
	exp := now.Add(ep.ttl)
	p := sessionPayload{
		AccessPayload: issuance.AccessPayload{
			Issuer:    ep.issuer,
			Subject:   c.subject(),
			Audience:  ep.audJSON,
			ExpiresAt: exp.Unix(),
			NotBefore: now.Unix(),
			IssuedAt:  now.Unix(),
			ID:        jti,
			ClientID:  c.ID,
			Scope:     strings.Join(scopes, " "),
			Tenant:    c.Tenant,

			Confirmation: issuance.BindTo(jkt),
		},
		Kind: kind,
	}
	payload, err := json.Marshal(&p)
	if err != nil {
		return grantedToken{}, reasonSign, envelope.ErrInternal.WithCause(err)
	}
	if extra != nil {
		more, err := json.Marshal(extra)
		// A nil map or pointer, which marshals to null, is no claims,
		// as a nil interface is.
		if err == nil && string(more) != "null" {
			payload, err = issuance.MergeObject(payload, more)
		}
		if err != nil {
			return grantedToken{}, reasonSign, envelope.ErrInternal.WithCause(fmt.Errorf("tokenendpoint: Assertion claims: %w", err))
		}
	}
	tok, err := ep.signer.SignPayload(payload)
	if err != nil {
		return grantedToken{}, reasonSign, envelope.ErrInternal.WithCause(err)
	}
	return grantedToken{
		AccessToken: accessToken{Token: tok, ID: jti},
		scope:       p.Scope,
		dpop:        jkt != "",
	}, "", nil
}

// accessToken is a signed session token and its "jti".
type accessToken struct {
	Token string
	ID    string
}

// clock returns now in UTC truncated to the second, the resolution of JWT
// NumericDate claims.
func (ep *Endpoint) clock() time.Time {
	return ep.now().UTC().Truncate(time.Second)
}
