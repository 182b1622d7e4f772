package issuer

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/internal/issuance"
)

type refreshRequest struct {
	RefreshToken string `json:"refresh_token" envelope:"required"`
}

// Refresh is the POST /auth/refresh handler. It reads {"refresh_token"}
// with the strict decoder and answers a new pair (see [Pair]); the
// presented token dies (rotation). Failures:
//
//	400 ValidationException / SyntaxError   malformed body
//	403 ForbiddenError                      the account's IP allowlist excludes the client
//	401 UnauthorizedError                   malformed, unknown, expired or revoked token,
//	                                        a session past Config.RefreshMaxAge, or reuse
//	                                        of a rotated one (which revokes the whole
//	                                        family and every access token it issued;
//	                                        see Config.RefreshReuseGrace for the one
//	                                        retry it may allow), with
//	                                        WWW-Authenticate: Bearer realm="<Realm>"
//	400 invalid_dpop_proof                  (Config.DPoP) a refused DPoP proof, or none, or
//	                                        one made with another key, for a bound family
//	400 use_dpop_nonce                      (Config.DPoP) a proof without the current
//	                                        nonce; DPoP-Nonce: the nonce
//	503                                     a store failed
//
// The DPoP proof (Config.DPoP) is checked once the family is known, before
// anything else is decided: a family bound to a key at login needs a
// proof made with that key (RFC 9449 §5), and a refused proof leaves the
// presented token current. The new access token is bound to the proof's
// key; a family that is not bound stays unbound.
//
// The refreshed access token carries the session's scopes, fixed at
// login, less those its account has lost since (with Credentials): a
// refresh never widens a session, and never keeps a scope the account no
// longer has.
//
// A session whose subject was revoked since it started
// (Issuer.RevokeSubject), or, with Credentials, whose subject no enabled
// account carries any more (deleted, or Account.Disabled), is refused with
// the same 401, and its family and every access token it issued are
// revoked.
func (i *Issuer) Refresh(w http.ResponseWriter, r *http.Request) {
	ev := gatehouse.NewEvent(r, auditSource, "refresh")
	var req refreshRequest
	if err := i.decoder.Decode(w, r, &req); err != nil {
		i.fail(w, r, ev, reasonBadRequest, err)
		return
	}
	proof := proofOf{r: r}
	pair, reason, err := i.rotate(r.Context(), req.RefreshToken, gatehouse.ClientAddr(r), &ev, &proof)
	proof.check.SetNonce(w.Header(), i.dpop)
	if err != nil {
		i.fail(w, r, ev, reason, err)
		return
	}
	i.succeed(w, r, ev, pair)
}

// proofOf is the request whose DPoP proof a refresh checks (nil for
// none), and the outcome of the check.
type proofOf struct {
	r     *http.Request
	check issuance.DPoPCheck
}

// checkProof checks the DPoP proof of a refresh of fam: a bound family
// requires a proof made with its key; an unbound one accepts a proof, for
// a bound access token, and does without. It returns the thumbprint the
// new access token is bound to ("" for none), or the refusal.
func (i *Issuer) checkProof(ctx context.Context, p *proofOf, fam Family) (string, gatehouse.Reason, error) {
	if fam.JKT != "" && i.dpop == nil {
		// A bound family and no verifier (DPoP turned off since the
		// login): the key cannot be checked, the family cannot be used.
		return "", reasonBadRefresh, errBadRefresh
	}
	if p == nil || p.r == nil {
		if fam.JKT != "" {
			return "", reasonBadRefresh, errBadRefresh // no request to prove the key
		}
		return "", "", nil
	}
	p.check = issuance.CheckDPoP(ctx, i.dpop, p.r, fam.JKT, false)
	if p.check.Err != nil {
		return "", p.check.Reason, p.check.Err
	}
	return p.check.JKT, "", nil
}

// rotate exchanges a refresh token for a new pair. It returns the audit
// reason and the client-facing error on failure, and fills ev's subject,
// tenant and credential id as they become known. proof is the request
// whose DPoP proof is checked, once the family is known (nil for none).
func (i *Issuer) rotate(ctx context.Context, token string, addr netip.Addr, ev *gatehouse.Event, proof *proofOf) (Pair, gatehouse.Reason, error) {
	// The tokens' times are whole seconds (now); the store gets the exact
	// time (exact), so that the reuse grace is measured as configured, not
	// from the start of a second.
	exact := i.now().UTC()
	now := exact.Truncate(time.Second)
	claims, ok := i.checkRefresh(token, now)
	if !ok {
		return Pair{}, reasonBadRefresh, errBadRefresh
	}
	hash := hashRefreshToken(token)
	famID := claims.SessionID // the family the token names; the store checks it

	// The pre-checks read the family first, so that a refusal, or a store
	// failure on the way, leaves the presented token current: only Rotate
	// decides, and a retry after a 503 is no reuse. The session's
	// revocations are read at the same time (recheck applies them after
	// the allowlist): a refresh JWT names its subject and login time, so
	// they are read with the family; else as soon as the family is known.
	var revoked *revokedRead
	if claims.Subject != "" {
		revoked = i.readRevoked(ctx, claims.Subject, famID, claims.AuthTime)
	}
	defer func() {
		if revoked != nil {
			_, _ = revoked.result() // nothing is left running after the request
		}
	}()
	// A refresh JWT names the session's tenant, so the account's allowlist
	// is read at the same time too; its answer is applied only if the
	// family names the same account, and only after the family was found.
	allow := i.readAllowlist(ctx, claims, addr)
	defer allow.discard()
	fam, err := i.refresh.Lookup(ctx, famID, hash, now)
	if errors.Is(err, ErrRefreshNotFound) {
		return Pair{}, reasonBadRefresh, errBadRefresh
	}
	if err != nil {
		return Pair{}, reasonStore, unavailable(err)
	}
	if revoked == nil || !revoked.of(fam) {
		if revoked != nil {
			_, _ = revoked.result()
		}
		revoked = i.readRevoked(ctx, fam.Subject, fam.ID, fam.CreatedAt.Unix())
	}
	ev.Subject, ev.Tenant, ev.CredID = fam.Subject, fam.Tenant, fam.ID
	// The proof is checked before anything else is decided: a refusal
	// leaves the presented token current, as the pre-checks below do.
	jkt, reason, err := i.checkProof(ctx, proof, fam)
	if err != nil {
		return Pair{}, reason, err
	}
	if i.accounts != nil {
		if err := allow.check(ctx, i.accounts, fam.allowlistKey(), addr); err != nil {
			e := passThrough(err)
			return Pair{}, storeOr(e, reasonIPDenied), e
		}
	}
	limit, reason, err := i.recheck(ctx, fam, revoked)
	if err != nil {
		return Pair{}, reason, err
	}

	// The store caps the expiry at the family's CreatedAt + MaxAge, and
	// refuses the rotation past it, in the same atomic step. A refresh JWT
	// is signed before that step, so its exp is capped here already, from
	// the login time the presented (verified) token carries; the record
	// then never outlives the token's exp.
	exp := now.Add(i.refreshTTL)
	if i.rtJWT {
		exp = i.refreshExpiry(now, time.Unix(claims.AuthTime, 0))
	}
	rt, rtHash, err := i.newRefresh(now, exp, time.Unix(claims.AuthTime, 0), famID, claims.Subject, fam.Tenant)
	if err != nil {
		return Pair{}, reasonSign, envelope.ErrInternal.WithCause(err)
	}
	next := RefreshRecord{
		Hash:       rtHash,
		FamilyID:   famID,
		IssuedAt:   exact,
		ExpiresAt:  exp,
		MaxAge:     i.refreshMax,
		ReuseGrace: i.reuseGrace,
	}
	fam, err = i.refresh.Rotate(ctx, hash, next)
	if fam.ID != "" {
		ev.Subject, ev.Tenant, ev.CredID = fam.Subject, fam.Tenant, fam.ID
	}
	switch {
	case errors.Is(err, ErrRefreshNotFound):
		return Pair{}, reasonBadRefresh, errBadRefresh
	case errors.Is(err, ErrRefreshReused), errors.Is(err, ErrFamilyRevoked):
		// Kill every access token the family issued (its session id);
		// repeating it on every retry makes the revocation converge even
		// if one attempt's write failed.
		if rerr := i.revokeSessionTokens(ctx, fam.Subject, fam.ID, time.Time{}); rerr != nil {
			return Pair{}, reasonStore, unavailable(rerr)
		}
		if errors.Is(err, ErrRefreshReused) {
			return Pair{}, reasonReused, errReusedRefresh
		}
		return Pair{}, reasonRevoked, errRevokedRefresh
	case err != nil:
		return Pair{}, reasonStore, unavailable(err)
	}
	session := fam.Session
	session.Scopes = limit.apply(session.Scopes)
	at, err := i.issueAccess(now, issuance.NewID(), AccessClaims{Session: session, SessionID: fam.ID}, jkt)
	if err != nil {
		return Pair{}, reasonSign, envelope.ErrInternal.WithCause(err)
	}
	return newPair(at, rt, fam.ExpiresAt, fam.ID, fam.ClientID, jkt), "", nil // the expiry the store kept
}

// recheck refuses the refresh of a family whose session may no longer be
// used although the refresh store still has it live: the session was
// revoked in the revocation store (logout, which revokes only there, under the
// token's own subject), its subject was revoked (Issuer.RevokeSubject) at
// or after the family's login — in whole seconds, the same second
// included — or, with Config.Credentials, no enabled account carries its
// subject any more (deleted, or Account.Disabled). The family is then
// revoked in the refresh store, with every access token it issued, and the
// refusal is the 401 of a revoked family. It returns the audit reason and
// the client-facing error, or a 503 when a store failed. On success it
// returns, with Config.Credentials, the account's current scopes as the
// limit of the scopes the refreshed access token may carry. read is the
// revocation store's answer for the family's session (readRevoked).
func (i *Issuer) recheck(ctx context.Context, fam Family, read *revokedRead) (scopeLimit, gatehouse.Reason, error) {
	ref := read.ref
	revoked, err := read.result()
	if err != nil {
		return scopeLimit{}, reasonStore, unavailable(err)
	}
	var reason gatehouse.Reason
	var refusal error
	switch {
	case revoked:
		// Tell the session's revocation from the subject's, for the
		// audit and errors.Is: with IssuedAt at its maximum no subject
		// not-before applies. A second read, on refusals only.
		ref.IssuedAt = math.MaxInt64
		session, err := i.revoker.Revoked(ctx, &ref)
		if err != nil {
			return scopeLimit{}, reasonStore, unavailable(err)
		}
		reason, refusal = reasonSubjectRevoked, errSubjectRevoked
		if session {
			reason, refusal = reasonRevoked, errRevokedRefresh
		}
	case i.credentials == nil:
		return scopeLimit{}, "", nil
	default:
		acct, err := i.credentials.LookupSubject(ctx, fam.Subject)
		switch {
		case err == nil && !acct.Disabled:
			return scopeLimit{set: true, scopes: acct.Scopes}, "", nil
		case err != nil && !errors.Is(err, ErrAccountNotFound):
			return scopeLimit{}, reasonStore, unavailable(err)
		}
		reason, refusal = reasonAccountDisabled, errAccountDisabled
	}
	if _, err := i.refresh.RevokeFamily(ctx, fam.ID); err != nil && !errors.Is(err, ErrRefreshNotFound) {
		return scopeLimit{}, reasonStore, unavailable(err)
	}
	if err := i.revokeSessionTokens(ctx, fam.Subject, fam.ID, time.Time{}); err != nil {
		return scopeLimit{}, reasonStore, unavailable(err)
	}
	return scopeLimit{}, reason, refusal
}

// A scopeLimit is the set of scopes a refreshed session may still carry:
// its account's current scopes when set, no limit otherwise.
type scopeLimit struct {
	set    bool
	scopes []string
}

// apply returns the scopes of session that the limit allows, in the
// session's order: a refresh never widens the session fixed at login,
// and drops every scope its account has lost since.
func (l scopeLimit) apply(session []string) []string {
	if !l.set {
		return session
	}
	var kept []string
	for _, s := range session {
		if slices.Contains(l.scopes, s) {
			kept = append(kept, s)
		}
	}
	return kept
}

// A revokedRead is the Revoker's answer for a family's session, read in
// the background while the refresh goes on.
type revokedRead struct {
	ref     bearer.TokenRef
	revoked bool
	read    *pending
}

// readRevoked starts reading whether the session sid of subject, started
// at login (Unix seconds), is revoked.
func (i *Issuer) readRevoked(ctx context.Context, subject, sid string, login int64) *revokedRead {
	rr := &revokedRead{ref: bearer.TokenRef{Subject: subject, SessionID: sid, IssuedAt: login}}
	ref := rr.ref // the Revoker's own copy: it may not retain it
	rr.read = async(func() (err error) {
		rr.revoked, err = i.revoker.Revoked(ctx, &ref)
		return err
	})
	return rr
}

// result waits for the answer.
func (rr *revokedRead) result() (bool, error) {
	err := rr.read.wait()
	return rr.revoked, err
}

// of reports whether rr reads fam's session: its subject, id and login.
func (rr *revokedRead) of(fam Family) bool {
	return rr.ref == bearer.TokenRef{Subject: fam.Subject, SessionID: fam.ID, IssuedAt: fam.CreatedAt.Unix()}
}

// An allowlistRead is an account's allowlist check started before the
// account was confirmed: the account a refresh JWT names.
type allowlistRead struct {
	account string
	read    *pending
}

// readAllowlist starts the allowlist check of the account a refresh JWT
// names (its tenant, else its subject), or returns nil when there is no
// allowlist or the token does not name its tenant (an opaque token).
func (i *Issuer) readAllowlist(ctx context.Context, c refreshPayload, addr netip.Addr) *allowlistRead {
	if i.accounts == nil || c.Tenant == nil {
		return nil
	}
	a := &allowlistRead{account: *c.Tenant}
	if a.account == "" {
		a.account = c.Subject
	}
	a.read = async(func() error { return i.accounts.CheckAccount(ctx, a.account, addr) })
	return a
}

// check returns the allowlist's answer for account: the one read ahead
// when it was for account, else a new check.
func (a *allowlistRead) check(ctx context.Context, c AccountChecker, account string, addr netip.Addr) error {
	if a != nil && a.account == account {
		return a.read.wait()
	}
	return c.CheckAccount(ctx, account, addr)
}

// discard waits for a read whose answer was not needed, so that nothing
// is left running after the request.
func (a *allowlistRead) discard() {
	if a != nil {
		_ = a.read.wait()
	}
}
