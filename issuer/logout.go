package issuer

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/golang-jwt/jwt/v5"
)

// logoutClaims is what Logout reads from an access token.
type logoutClaims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid"`
	Tenant    string `json:"tenant"`
	TokenUse  string `json:"token_use"` // set only in refresh JWTs
	// Confirmation is the "cnf" claim (RFC 7800), nil when absent.
	Confirmation json.RawMessage `json:"cnf"`
}

// boundKey returns the thumbprint of the DPoP key the token is bound to
// (its cnf.jkt, RFC 9449 §6.1), "" for a token without "cnf" (or a null
// one), and false for a "cnf" Logout cannot check, as the bearer
// middleware refuses it: one that is not an object, a "jkt" that is not a
// non-empty string, a certificate binding ("x5t#S256", RFC 8705), any
// other member ("jwk", "kid", …: RFC 7800 §3), or none. Its members are
// read with exact names, like the claims.
func (c *logoutClaims) boundKey() (string, bool) {
	if c.Confirmation == nil || string(c.Confirmation) == "null" {
		return "", true
	}
	var cnf struct {
		JKT *string         `json:"jkt"`
		X5T json.RawMessage `json:"x5t#S256"`
	}
	if cnfDecoder.Unmarshal(c.Confirmation, &cnf) != nil ||
		cnf.X5T != nil || cnf.JKT == nil || *cnf.JKT == "" {
		return "", false
	}
	return *cnf.JKT, true
}

// cnfDecoder reads a "cnf" claim: exact member names, each once, and no
// member but those of the binding read.
var cnfDecoder = envelope.Decoder{}

// logoutResult is the data of a successful logout response.
type logoutResult struct {
	LoggedOut bool `json:"logged_out"`
}

// Logout is the POST /auth/logout handler. The access token comes in
// "Authorization: Bearer <access>", or, when Config.DPoP is set, in
// "Authorization: DPoP <access>" (RFC 9449 §7.1), each read as the bearer
// middleware reads it: one header line, the scheme in any case, spaces or
// tabs, one token of the RFC 6750 §2.1 grammar. Logout verifies the
// token's signature, algorithm, typ, issuer and audience itself — not
// through the bearer middleware — so that it stays idempotent: logging
// out with a token that is already revoked, or already expired, still
// answers 200 {"success":true,"data":{"logged_out":true}}.
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
// carries a case variant of one logout reads ("SID", "Sub", "CNF"), is
// refused with 401 and revokes nothing.
//
// A token bound to a DPoP key (its "cnf" claim names the key's
// thumbprint "jkt", as the access tokens of a DPoP login do) ends its
// session only for the key's holder, as the bearer middleware with
// Config.DPoP accepts it on a resource: once the token is verified, and
// before anything is revoked, the request must use the DPoP scheme and
// carry a DPoP proof made with that key for it (htm POST, htu the logout
// URI, ath the token's hash), which Config.DPoP's VerifyBound checks and
// whose "jti" it spends. The refusals below are 401 unless said
// otherwise; none revokes anything or spends a proof id:
//
//   - a bound token sent as a Bearer token, with or without a proof:
//     invalid_token, with the Bearer challenge carrying the error and then
//     a DPoP challenge without one (RFC 9449 §7.1); an Issuer without
//     Config.DPoP cannot check the binding and answers the same with the
//     Bearer challenge alone;
//   - a bound token sent with the DPoP scheme whose proof is missing,
//     malformed, made with another key, for another method or URI, stale,
//     replayed, or whose "ath" is not the token's hash, and a token bound
//     to no key sent with the DPoP scheme, whatever its proof (RFC 9449
//     §7.2): invalid_dpop_proof, with a DPoP challenge carrying the error
//     and then the Bearer challenge without one;
//   - a proof without the verifier's current nonce: use_dpop_nonce, the
//     same challenges, and the current nonce in the DPoP-Nonce header
//     (RFC 9449 §8);
//   - a "cnf" Logout cannot check (not an object, a certificate binding,
//     a "jkt" that is not a non-empty string): invalid_token;
//   - a failing DPoP replay store: 503.
//
// The error code is in the body with the envelope.OAuth style. The audit
// reason of a refused proof is dpop's (dpop_key_mismatch, …), that of a
// bound token sent without a proof, or of a "cnf" Logout cannot check,
// bearer.ReasonBoundToken.
//
// A missing, malformed or foreign token (including a refresh token) is 401
// with a Bearer challenge (without an error code when the request carries
// no bearer credentials at all, RFC 6750 §3.1, as the bearer middleware
// answers). Without Config.DPoP, an Authorization header of the DPoP
// scheme is another scheme: no bearer credentials. Several Authorization
// header lines, and an access_token in
// the query or in a form body besides the header (RFC 6750 §2: one method
// only), are 400 invalid_request, and a form body too long to check for
// one (bearer.MaxFormBytes) is 413, as the bearer middleware answers,
// revoking nothing; a store failure is 503. The 401 refusals of a request
// that used the DPoP scheme, and its 400 for a second method, carry a DPoP
// challenge first, with the error code when there is one, then the
// Bearer challenge without one.
// With Config.Accounts, the token's account must be allowed from the
// client address, as for login and refresh: 403 otherwise, and
// nothing is revoked. The address is checked after the DPoP proof, whose
// id a 403 has therefore spent.
func (i *Issuer) Logout(w http.ResponseWriter, r *http.Request) {
	ev := gatehouse.NewEvent(r, auditSource, "logout")
	token, isDPoP, rs := accessToken(r, i.dpop != nil)
	switch rs {
	case authMany:
		i.fail(w, r, ev, reasonBadRequest, i.errManyAuth)
		return
	case authNone:
		// RFC 6750 §3.1: no error code without bearer credentials.
		i.fail(w, r, ev, reasonBadToken, errBadAccess.WithChallenge(i.tokenChallenge(isDPoP, "")))
		return
	case authBad:
		i.fail(w, r, ev, reasonBadToken, errBadAccess.WithChallenge(i.tokenChallenge(isDPoP, "invalid_token")))
		return
	}
	// RFC 6750 §2: one method only, as the bearer middleware requires.
	switch err := bearer.OneMethod(r); {
	case errors.Is(err, bearer.ErrMultipleMethods):
		e := i.errManyWays
		if isDPoP {
			e = e.WithChallenge(i.dpopChallenge("invalid_request", e.Message) + ", " + i.challengeNone)
		}
		i.fail(w, r, ev, reasonBadRequest, e)
		return
	case err != nil:
		i.fail(w, r, ev, reasonBadRequest, errLogoutFormTooLarge)
		return
	}
	var c logoutClaims
	if err := i.signer.Parse(token, i.signer.Type(), &c); err != nil || !i.ownToken(&c) {
		i.fail(w, r, ev, reasonBadToken, errBadAccess.WithChallenge(i.tokenChallenge(isDPoP, "invalid_token")))
		return
	}
	ev.Subject, ev.Tenant, ev.CredID = c.Subject, c.Tenant, c.ID
	ctx := r.Context()
	// The binding, before anything is revoked: a bound token ends its
	// session only with a proof of its key, as the bearer middleware
	// accepts it.
	jkt, ok := c.boundKey()
	switch {
	case !ok:
		i.fail(w, r, ev, bearer.ReasonBoundToken, i.errBound(isDPoP))
		return
	case isDPoP:
		// A token bound to no key (jkt "") is refused with ErrKeyMismatch,
		// and a refused proof spends nothing in the replay store.
		if _, err := i.dpop.VerifyBound(ctx, r, token, jkt); err != nil {
			i.refuseProof(w, r, ev, err)
			return
		}
	case jkt != "":
		// No downgrade to a bearer token.
		i.fail(w, r, ev, bearer.ReasonBoundToken, i.errBound(false))
		return
	}
	if i.accounts != nil {
		// Every request of an account with an IP allowlist, login and
		// refresh included, comes from a listed address.
		acct := Session{Subject: c.Subject, Tenant: c.Tenant}.allowlistKey()
		if err := i.accounts.CheckAccount(ctx, acct, gatehouse.ClientAddr(r)); err != nil {
			e := passThrough(err)
			i.fail(w, r, ev, storeOr(e, reasonIPDenied), e)
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

// The outcomes of accessToken.
const (
	authOK   = iota
	authNone // no Authorization header, "Bearer" without a token, or another scheme: 401 without an error code
	authBad  // a malformed Bearer or DPoP header: 401 invalid_token
	authMany // several Authorization lines: 400 invalid_request
)

// accessToken returns the access token of r's one Authorization header,
// read as the bearer middleware reads it (bearer.TokenFromHeader, or with
// dpopOK bearer.TokenFromHeaderDPoP, which takes the scheme "DPoP" too
// and reports whether the value used it): no header, an empty one, the
// scheme alone and another scheme are no credentials (authNone), several
// lines are refused rather than one of them picked (authMany), and
// anything else that is not a token is authBad.
func accessToken(r *http.Request, dpopOK bool) (tok string, isDPoP bool, rs int) {
	var err error
	if dpopOK {
		tok, isDPoP, err = bearer.TokenFromHeaderDPoP(r.Header)
	} else {
		tok, err = bearer.TokenFromHeader(r.Header)
	}
	switch {
	case err == nil:
		return tok, isDPoP, authOK
	case errors.Is(err, bearer.ErrMultipleHeaders):
		return "", isDPoP, authMany
	case errors.Is(err, bearer.ErrNoToken), errors.Is(err, bearer.ErrOtherScheme):
		return "", isDPoP, authNone
	}
	return "", isDPoP, authBad
}

// tokenChallenge returns the WWW-Authenticate value of a refused logout
// token, with the error code code ("" for a request without credentials):
// the Bearer challenge, or for a request that used the DPoP scheme a DPoP
// challenge with the code followed by the Bearer challenge without one
// (RFC 9449 §7.1).
func (i *Issuer) tokenChallenge(isDPoP bool, code string) string {
	switch {
	case isDPoP:
		return i.dpopChallenge(code, "") + ", " + i.challengeNone
	case code == "":
		return i.challengeNone
	}
	return i.challenge
}

// dpopChallenge returns the DPoP challenge (RFC 9449 §7.1) of a logout
// refusal, with the error code and description when not empty: the
// verifier's, under the issuer's realm. Only an Issuer with Config.DPoP
// calls it.
func (i *Issuer) dpopChallenge(code, description string) string {
	return i.dpop.Challenge(i.realm, code, description)
}

// The rows of bearer's refusal table Logout answers a bound token's
// refusals with, so that it answers as the bearer middleware does.
var boundRow, proofRow, nonceRow = func() (bound, proof, nonce gatehouse.Refusal) {
	for _, r := range bearer.Refusals() {
		switch r.Err {
		case bearer.ErrBoundToken:
			bound = r
		case bearer.ErrDPoPProof:
			proof = r
		case bearer.ErrDPoPNonce:
			nonce = r
		}
	}
	return bound, proof, nonce
}()

// errBound is the 401 invalid_token of a token whose binding the request
// cannot prove: a token bound to a DPoP key sent as a Bearer token, or a
// "cnf" Logout cannot check. The challenge of the request's scheme comes
// first with the error; with Config.DPoP the other follows without one.
func (i *Issuer) errBound(isDPoP bool) *envelope.Error {
	const code = "invalid_token"
	bearerCh := envelope.AppendAuthParam(i.challenge, "error_description", boundRow.Message)
	var ch string
	switch {
	case isDPoP:
		ch = i.dpopChallenge(code, boundRow.Message) + ", " + i.challengeNone
	case i.dpop != nil:
		ch = bearerCh + ", " + i.dpopChallenge("", "")
	default:
		ch = bearerCh
	}
	return envelope.ErrUnauthorized.WithMessage(boundRow.Message).WithOAuthCode(code).
		WithChallenge(ch).WithCause(fmt.Errorf("%w: %w", ErrInvalidAccessToken, bearer.ErrBoundToken))
}

// refuseProof answers a logout whose DPoP proof the verifier refused with
// err, as the bearer middleware answers it: 503 for a failing replay
// store; else 401 use_dpop_nonce with the verifier's current nonce in the
// DPoP-Nonce header, or 401
// invalid_dpop_proof, with a DPoP challenge carrying the code followed by
// the Bearer one. The audit reason is dpop's.
func (i *Issuer) refuseProof(w http.ResponseWriter, r *http.Request, ev gatehouse.Event, err error) {
	if errors.Is(err, dpop.ErrUnavailable) {
		i.fail(w, r, ev, reasonStore, unavailable(err))
		return
	}
	reason := bearer.ReasonInvalidDPoPProof
	if ref, ok := dpop.RefusalFor(err); ok {
		reason = ref.Reason
	}
	code, row := dpop.CodeInvalidProof, proofRow
	if errors.Is(err, dpop.ErrUseNonce) {
		code, row = dpop.CodeUseNonce, nonceRow
		if n := i.dpop.Nonce(); n != "" {
			w.Header()["Dpop-Nonce"] = []string{n} // RFC 9449 §8
		}
	}
	e := envelope.ErrUnauthorized.WithMessage(row.Message).WithOAuthCode(code).
		WithChallenge(i.dpopChallenge(code, row.Message) + ", " + i.challengeNone).
		WithCause(fmt.Errorf("%w: %w", ErrInvalidAccessToken, err))
	i.fail(w, r, ev, reason, e)
}
