package issuer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/ratelimit"
)

// tokenConfig is the token endpoint's part of an Issuer.
type tokenConfig struct {
	clients   ClientStore
	replay    ReplayStore
	audience  []string // what an assertion's aud may name
	window    time.Duration
	leeway    time.Duration
	ttl       time.Duration
	expiresIn string // ttl in whole seconds, for the response
	style     envelope.Style

	invalidClient *envelope.Error // 401 invalid_client with the Basic challenge
	dummyKey      []byte          // HMAC key for unknown clients
	dummySecret   [32]byte        // secret hash for unknown clients
}

func newTokenConfig(cfg Config, now func() time.Time) (tokenConfig, error) {
	if cfg.AssertionWindow < 0 || cfg.AssertionLeeway < 0 || cfg.SessionTTL < 0 {
		return tokenConfig{}, errors.New("issuer: negative AssertionWindow, AssertionLeeway or SessionTTL")
	}
	t := tokenConfig{
		clients: cfg.Clients,
		replay:  cfg.Replay,
		window:  orDefault(cfg.AssertionWindow, DefaultAssertionWindow),
		leeway:  orDefault(cfg.AssertionLeeway, DefaultAssertionLeeway),
		ttl:     orDefault(cfg.SessionTTL, orDefault(cfg.AccessTTL, DefaultAccessTTL)),
		style:   cfg.TokenStyle,
	}
	t.audience = slices.Clone(cfg.AssertionAudience)
	if len(t.audience) == 0 {
		t.audience = []string{cfg.Issuer}
	}
	if slices.Contains(t.audience, "") {
		return tokenConfig{}, errors.New("issuer: empty Config.AssertionAudience member")
	}
	if t.leeway > t.window {
		return tokenConfig{}, errors.New("issuer: AssertionLeeway exceeds AssertionWindow")
	}
	if t.ttl < time.Second {
		return tokenConfig{}, errors.New("issuer: SessionTTL below one second")
	}
	t.expiresIn = strconv.FormatInt(int64(t.ttl/time.Second), 10)
	if t.replay == nil {
		t.replay = NewMemoryReplay(now)
	}
	if t.style == nil {
		t.style = envelope.OAuth
	}
	realm := cfg.Realm
	if realm == "" {
		realm = cfg.Issuer
	}
	t.invalidClient = envelope.ErrUnauthorized.WithOAuthCode("invalid_client").
		WithMessage("Client authentication failed").WithCause(ErrInvalidClient).
		WithChallenge(basicChallenge(realm))
	t.dummyKey = make([]byte, 32)
	_, _ = rand.Read(t.dummyKey)
	_, _ = rand.Read(t.dummySecret[:])
	return t, nil
}

// basicChallenge returns `Basic realm="…"` (RFC 7617) with realm
// quoted-string escaped and control characters dropped.
func basicChallenge(realm string) string {
	return "Basic realm=" + envelope.QuotedString(realm) + `, charset="UTF-8"`
}

// Token-endpoint refusals that need no client, built once.
var (
	errGrantMissing     = invalidRequest("grant_type is required")
	errUnsupportedGrant = envelope.ErrBadRequest.WithOAuthCode("unsupported_grant_type").
				WithMessage("Unsupported grant_type").WithCause(ErrInvalidTokenRequest)
	errClientIDMissing  = invalidRequest("client_id is required")
	errAssertionMissing = invalidRequest("assertion is required")
	errSecretWithJWT    = invalidRequest("client_secret is not used with the jwt-bearer grant")
	errInvalidScope     = envelope.ErrBadRequest.WithOAuthCode("invalid_scope").
				WithMessage("Requested scope exceeds the client's").WithCause(ErrInvalidTokenRequest)
)

// The token endpoint's audit reasons.
const (
	reasonUnsupportedGrant = "unsupported_grant_type"
	reasonInvalidClient    = "invalid_client"
	reasonInvalidAssertion = "invalid_assertion"
	reasonReplayed         = "assertion_replayed"
	reasonInvalidScope     = "invalid_scope"
)

// Token is the OAuth 2.0 token endpoint (mount it at POST /v2/token, or
// POST /oauth/token). It reads a JSON object (seed 002) or a form body
// (RFC 6749), with the client optionally in HTTP Basic, and grants:
//
//	grant_type=client_credentials, client_id + client_secret (RFC 6749 §4.4)
//	    → a machine-to-machine session (session_kind "m2m")
//	grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer, client_id + assertion (RFC 7523 §2.1)
//	    → a client session (session_kind "client") carrying the assertion's
//	      amount, notificationKey, userId and forceManualConfirm
//
// The assertion is an HS256 JWS signed with the client's AssertionKey (at
// least MinAssertionKeyBytes, or MinInsecureAssertionKeyBytes for a client
// with InsecureShortAssertionKey); its iat must lie within
// [now-AssertionWindow, now+AssertionLeeway], its aud, when present, must
// name one of AssertionAudience (RFC 7523 §3; seed 002's assertions carry
// none, so an absent aud is accepted), amount must be a positive number,
// notificationKey and userId a string or a JSON integer (which becomes its
// decimal string, so 12345 and "12345" are the same key) and
// forceManualConfirm a boolean; the notificationKey is single-use per
// client (ReplayStore). An
// optional scope parameter narrows the client's scopes; it is checked
// before the notificationKey is spent, so an invalid_scope refusal leaves
// the assertion usable.
//
// Success is 200 {"access_token","token_type":"Bearer","expires_in"[,"scope"]}
// with Cache-Control: no-store. Failures are rendered in TokenStyle
// (envelope.OAuth by default, RFC 6749 §5.2):
//
//	400 invalid_request          malformed body, missing or repeated parameter, two auth methods,
//	                             malformed Basic credentials, two Authorization headers
//	415 / 413 invalid_request    wrong Content-Type, body over MaxBodyBytes
//	400 unsupported_grant_type   any other grant_type (all of them without Clients)
//	401 invalid_client           unknown client, wrong or missing secret, an Authorization
//	                             header of another scheme than Basic; WWW-Authenticate: Basic
//	400 invalid_grant            bad assertion: shape, alg, signature (or unknown client — one
//	                             answer), iat, exp, nbf, aud, claims, replayed notificationKey
//	400 invalid_scope            scope beyond the client's
//	429 slow_down + Retry-After  too many failed client authentications (Throttle)
//	503 temporarily_unavailable  a store failed; nothing is issued
//
// The answer never reveals whether a client_id exists: an unknown client
// is checked against a dummy secret hash or HMAC key, so it takes the same
// path and answers the same body as a wrong credential. With a Throttle,
// every client authentication is counted against the client address
// ("ip:" + ratelimit.AddrKey) and the client ("client:<id>") before the
// client is looked up, so parallel guesses cannot outrun the count. A
// failed one (wrong secret, bad assertion signature) stays counted; a
// grant clears the client's count and takes back its attempt against the
// address; any other refusal takes back both.
func (i *Issuer) Token(w http.ResponseWriter, r *http.Request) {
	ev := gatehouse.NewEvent(r, auditSource, "token")
	req, e := parseTokenRequest(w, r, i.decoder.MaxBytes)
	if e == errAuthScheme {
		i.failStyle(w, r, i.token.style, ev, reasonInvalidClient, i.token.invalidClient)
		return
	}
	if e != nil {
		i.failStyle(w, r, i.token.style, ev, reasonBadRequest, e)
		return
	}
	tok, reason, e := i.grant(r.Context(), gatehouse.ClientAddr(r), &req, &ev)
	if e != nil {
		i.failStyle(w, r, i.token.style, ev, reason, e)
		return
	}
	ev.CredID = tok.ID
	h := w.Header()
	h["Cache-Control"] = hdrNoStore
	h["Pragma"] = []string{"no-cache"}
	h["Content-Type"] = []string{"application/json"}
	h["X-Content-Type-Options"] = []string{"nosniff"}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(i.tokenResponse(tok))
	ev.Outcome, ev.Status = gatehouse.Allowed, http.StatusOK
	i.emit(r, ev)
}

// grantedToken is a session token and what the response says about it.
type grantedToken struct {
	AccessToken
	scope string
}

// tokenResponse renders RFC 6749 §5.1's body. The scope is included when
// the token has one (RFC 6749 §5.1 requires it when it differs from the
// request; listing it always is allowed).
func (i *Issuer) tokenResponse(t grantedToken) []byte {
	b := make([]byte, 0, 96+len(t.Token)+len(t.scope))
	b = append(b, `{"access_token":`...)
	b = appendJSONString(b, t.Token)
	b = append(b, `,"token_type":"Bearer","expires_in":`...)
	b = append(b, i.token.expiresIn...)
	if t.scope != "" {
		b = append(b, `,"scope":`...)
		b = appendJSONString(b, t.scope)
	}
	return append(b, '}')
}

// grant decides a parsed token request: the token, or the refusal and its
// audit reason. ev receives the client's subject and tenant once known.
func (i *Issuer) grant(ctx context.Context, addr netip.Addr, req *tokenRequest, ev *gatehouse.Event) (grantedToken, string, *envelope.Error) {
	switch {
	case req.grantType == "":
		return grantedToken{}, reasonBadRequest, errGrantMissing
	case i.token.clients == nil:
		return grantedToken{}, reasonUnsupportedGrant, errUnsupportedGrant
	case req.grantType == GrantClientCredentials:
		return i.clientCredentials(ctx, addr, req, ev)
	case req.grantType == GrantJWTBearer:
		return i.jwtBearer(ctx, addr, req, ev)
	}
	return grantedToken{}, reasonUnsupportedGrant, errUnsupportedGrant
}

// clientCredentials is RFC 6749 §4.4.
func (i *Issuer) clientCredentials(ctx context.Context, addr netip.Addr, req *tokenRequest, ev *gatehouse.Event) (grantedToken, string, *envelope.Error) {
	if req.clientID == "" || req.clientSecret == "" {
		return grantedToken{}, reasonInvalidClient, i.token.invalidClient
	}
	return i.attempt(ctx, addr, req.clientID, func() (grantedToken, string, *envelope.Error, bool) {
		c, found, e := i.lookupClient(ctx, req.clientID)
		if e != nil {
			return grantedToken{}, reasonStore, e, false
		}
		want := &i.token.dummySecret
		if found && c.SecretHash != ([32]byte{}) {
			want = &c.SecretHash
		} else {
			found = false
		}
		got := sha256.Sum256([]byte(req.clientSecret))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || !found {
			return grantedToken{}, reasonInvalidClient, i.token.invalidClient, true
		}
		ev.Subject, ev.Tenant = c.subject(), c.Tenant
		scopes, e := narrowScopes(c, req.scope)
		if e != nil {
			return grantedToken{}, reasonInvalidScope, e, false
		}
		tok, reason, e := i.issueSession(c, scopes, sessionPayload{Kind: SessionM2M})
		return tok, reason, e, false
	})
}

// jwtBearer is RFC 7523 §2.1 with seed 002's claims.
func (i *Issuer) jwtBearer(ctx context.Context, addr netip.Addr, req *tokenRequest, ev *gatehouse.Event) (grantedToken, string, *envelope.Error) {
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
	return i.attempt(ctx, addr, req.clientID, func() (grantedToken, string, *envelope.Error, bool) {
		c, found, e := i.lookupClient(ctx, req.clientID)
		if e != nil {
			return grantedToken{}, reasonStore, e, false
		}
		key := i.token.dummyKey
		if found && c.assertionKeyOK() {
			key = c.AssertionKey
		} else {
			found = false
		}
		if !verifyHS256(input, sig, key) || !found {
			return grantedToken{}, reasonInvalidAssertion, errAssertionSignature, true
		}
		ev.Subject, ev.Tenant = c.subject(), c.Tenant
		g, e := checkAssertionClaims(payload, req.clientID, i.token.audience, i.now(), i.token.window, i.token.leeway)
		if e != nil {
			return grantedToken{}, reasonInvalidAssertion, e, false
		}
		// The scope is checked before the notificationKey is spent, so a
		// request refused for its scope can be retried.
		scopes, e := narrowScopes(c, req.scope)
		if e != nil {
			return grantedToken{}, reasonInvalidScope, e, false
		}
		fresh, err := i.token.replay.Use(ctx, c.ID, g.notificationKey, i.token.window+i.token.leeway)
		if err != nil {
			return grantedToken{}, reasonStore, unavailable(err), false
		}
		if !fresh {
			return grantedToken{}, reasonReplayed, errReplayed, false
		}
		tok, reason, e := i.issueSession(c, scopes, sessionPayload{
			Kind:               SessionClient,
			Amount:             g.amount,
			NotificationKey:    g.notificationKey,
			UserID:             g.userID,
			ForceManualConfirm: g.forceManualConfirm,
		})
		return tok, reason, e, false
	})
}

// lookupClient returns the client, found false for an unknown one, or a
// 503 for a store failure.
func (i *Issuer) lookupClient(ctx context.Context, id string) (Client, bool, *envelope.Error) {
	c, err := i.token.clients.LookupClient(ctx, id)
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
func (i *Issuer) attempt(ctx context.Context, addr netip.Addr, clientID string, authenticate func() (tok grantedToken, reason string, e *envelope.Error, failed bool)) (grantedToken, string, *envelope.Error) {
	if i.throttle == nil {
		tok, reason, e, _ := authenticate()
		return tok, reason, e
	}
	ipKey, clientKey := attempt{key: "ip:" + ratelimit.AddrKey(addr)}, attempt{key: "client:" + clientID}
	if e := i.beginAttempt(ctx, &ipKey, &clientKey); e != nil {
		return grantedToken{}, throttleReason(e), e
	}
	tok, reason, e, failed := authenticate()
	switch {
	case failed: // the attempts stay counted: the failure
	case e != nil:
		i.endAttempt(ctx, &ipKey, &clientKey)
	default:
		if err := i.throttle.Reset(ctx, clientKey.key); err != nil {
			return grantedToken{}, reasonStore, passThrough(err)
		}
		if err := i.throttle.Succeed(ctx, ipKey.key, ipKey.id); err != nil {
			return grantedToken{}, reasonStore, passThrough(err)
		}
	}
	return tok, reason, e
}

// sessionPayload is the claim set of a token-endpoint token: the access
// token's claims and the session claims.
type sessionPayload struct {
	accessPayload
	Kind               SessionKind `json:"session_kind"`
	Amount             json.Number `json:"amount,omitempty"`
	NotificationKey    string      `json:"notificationKey,omitempty"`
	UserID             string      `json:"userId,omitempty"`
	ForceManualConfirm bool        `json:"forceManualConfirm,omitempty"`
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

// issueSession signs the session token of c with scopes, which
// narrowScopes returned.
func (i *Issuer) issueSession(c Client, scopes []string, p sessionPayload) (grantedToken, string, *envelope.Error) {
	now := i.clock()
	jti := newID()
	ap, exp, err := i.accessPayload(now, jti, AccessClaims{
		Session: Session{Subject: c.subject(), Tenant: c.Tenant, ClientID: c.ID, Scopes: scopes},
		TTL:     i.token.ttl,
	})
	if err != nil {
		return grantedToken{}, reasonSign, envelope.ErrInternal.WithCause(err)
	}
	p.accessPayload = ap
	payload, err := json.Marshal(&p)
	if err != nil {
		return grantedToken{}, reasonSign, envelope.ErrInternal.WithCause(err)
	}
	tok, err := i.signer.signPayload(payload)
	if err != nil {
		return grantedToken{}, reasonSign, envelope.ErrInternal.WithCause(err)
	}
	return grantedToken{
		AccessToken: AccessToken{Token: tok, ID: jti, IssuedAt: now, ExpiresAt: exp},
		scope:       ap.Scope,
	}, "", nil
}
