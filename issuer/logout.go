package issuer

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/golang-jwt/jwt/v5"
)

// logoutClaims is what Logout reads from an access token.
type logoutClaims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid"`
	Tenant    string `json:"tenant"`
	TokenUse  string `json:"token_use"` // set only in refresh JWTs
}

// logoutResult is the data of a successful logout response.
type logoutResult struct {
	LoggedOut bool `json:"logged_out"`
}

// Logout is the POST /auth/logout handler. The access token comes in
// "Authorization: Bearer <access>". Logout
// verifies the token's signature, algorithm, typ, issuer and audience
// itself — not through the bearer middleware — so that it stays
// idempotent: logging out with a token that is already revoked, or already
// expired, still answers 200 {"success":true,"data":{"logged_out":true}}.
// It revokes, in the revocation store and under the token's own subject only, the
// token's jti until its expiry and the session named by its "sid": every
// access token of the session is refused at once, and the session's
// refresh token at its next use, which then revokes the family in the
// refresh store (see Refresh) — so a "sid" naming another subject's family
// revokes nothing of it, and logout reads no refresh-store record by an id
// the token alone vouches for. The session revocation is kept for the
// longer of AccessTTL and RefreshTTL, the longest the family can still be
// used. Afterwards both the access and the refresh token answer 401.
//
// Claims are decoded with exact names: a token that repeats a claim, or
// carries a case variant of one logout reads ("SID", "Sub"), is refused
// with 401 and revokes nothing.
//
// A missing, malformed or foreign token (including a refresh token) is 401
// with a Bearer challenge (without an error code when the request carries
// no bearer credentials at all, RFC 6750 §3.1, as the bearer middleware
// answers); several Authorization header lines, and an access_token in
// the query or in a form body besides the header (RFC 6750 §2: one method
// only), are 400 invalid_request, and a form body too long to check for
// one (bearer.MaxFormBytes) is 413, as the bearer middleware answers,
// revoking nothing; a store failure is 503.
// With Config.Accounts, the token's account must be allowed from the
// client address, as for login and refresh: 403 otherwise, and
// nothing is revoked.
func (i *Issuer) Logout(w http.ResponseWriter, r *http.Request) {
	ev := gatehouse.NewEvent(r, auditSource, "logout")
	token, rs := bearerToken(r)
	switch rs {
	case authMany:
		i.fail(w, r, ev, reasonBadRequest, i.errManyAuth)
		return
	case authNone:
		// RFC 6750 §3.1: no error code without bearer credentials.
		i.fail(w, r, ev, reasonBadToken, errBadAccess.WithChallenge(i.challengeNone))
		return
	case authBad:
		i.fail(w, r, ev, reasonBadToken, errBadAccess.WithChallenge(i.challenge))
		return
	}
	// RFC 6750 §2: one method only, as the bearer middleware requires.
	switch err := bearer.OneMethod(r); {
	case errors.Is(err, bearer.ErrMultipleMethods):
		i.fail(w, r, ev, reasonBadRequest, i.errManyWays)
		return
	case err != nil:
		i.fail(w, r, ev, reasonBadRequest, errLogoutFormTooLarge)
		return
	}
	var c logoutClaims
	if err := i.signer.Parse(token, i.signer.Type(), &c); err != nil || !i.ownToken(&c) {
		i.fail(w, r, ev, reasonBadToken, errBadAccess.WithChallenge(i.challenge))
		return
	}
	ev.Subject, ev.Tenant, ev.CredID = c.Subject, c.Tenant, c.ID
	ctx := r.Context()
	if i.accounts != nil {
		// Every request of an account with an IP allowlist, login and
		// refresh included, comes from a listed address.
		acct := Session{Subject: c.Subject, Tenant: c.Tenant}.allowlistKey()
		if err := i.accounts.CheckAccount(ctx, acct, gatehouse.ClientAddr(r)); err != nil {
			i.fail(w, r, ev, reasonIPDenied, passThrough(err))
			return
		}
	}
	exp := c.ExpiresAt.UTC()
	live := i.now().Before(exp)
	// The session is revoked under the token's own subject, so a "sid"
	// naming another subject's family revokes nothing of it. It is kept as
	// long as the family's refresh token can live: the next refresh of the
	// family finds it (recheck) and revokes the family in the refresh
	// store, whose records are not looked up here by an id the token alone
	// vouches for.
	until := i.now().Add(max(i.accessTTL, i.refreshTTL))
	if exp.After(until) {
		until = exp
	}
	var err error
	if both, ok := i.revoker.(tokenSessionRevoker); ok && live && c.SessionID != "" {
		// The token and its session in one write.
		err = both.RevokeTokenAndSession(ctx, c.Subject, c.ID, exp, c.SessionID, i.sessionHold(until))
	} else {
		if live {
			err = i.revoker.RevokeToken(ctx, c.Subject, c.ID, exp)
		}
		if err == nil && c.SessionID != "" {
			err = i.revokeSessionTokens(ctx, c.Subject, c.SessionID, until)
		}
	}
	if err != nil {
		i.fail(w, r, ev, reasonStore, unavailable(err))
		return
	}
	i.succeed(w, r, ev, logoutResult{LoggedOut: true})
}

// ownToken checks the claims the signature check does not: iss, an aud
// this issuer signs for (never a refresh JWT's), the presence of jti, sub
// and exp, and the absence of token_use (a refresh JWT).
func (i *Issuer) ownToken(c *logoutClaims) bool {
	if c.Issuer != i.issuer || c.ID == "" || c.Subject == "" || c.ExpiresAt == nil || c.TokenUse != "" {
		return false
	}
	for _, a := range c.Audience {
		if slices.Contains(i.audience, a) {
			return true
		}
	}
	return false
}

// errLogoutFormTooLarge is Logout's 413 for a form body longer than
// bearer.MaxFormBytes, which it cannot check for a second token.
var errLogoutFormTooLarge = envelope.ErrPayloadTooLarge.WithMessage("Request body too large").
	WithOAuthCode("invalid_request").WithCause(bearer.ErrFormTooLarge)

// The outcomes of bearerToken.
const (
	authOK   = iota
	authNone // no Authorization header, "Bearer" without a token, or another scheme: 401 without an error code
	authBad  // a malformed Bearer header: 401 invalid_token
	authMany // several Authorization lines: 400 invalid_request
)

// bearerToken returns the token of the request's one "Authorization:
// Bearer <token>" header, read by bearer.TokenFromHeader as the bearer
// middleware reads it: "Bearer" followed by nothing but whitespace, no
// header and another scheme are no credentials (authNone), several
// Authorization lines are refused rather than one of them picked
// (authMany), and anything else that is not a token is authBad.
func bearerToken(r *http.Request) (string, int) {
	tok, err := bearer.TokenFromHeader(r.Header)
	switch {
	case err == nil:
		return tok, authOK
	case errors.Is(err, bearer.ErrMultipleHeaders):
		return "", authMany
	case errors.Is(err, bearer.ErrNoToken), errors.Is(err, bearer.ErrOtherScheme):
		return "", authNone
	}
	return "", authBad
}
