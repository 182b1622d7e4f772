package issuer

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

type refreshRequest struct {
	RefreshToken string `json:"refresh_token" envelope:"required"`
}

// Refresh is the POST /auth/refresh handler. It reads {"refresh_token"}
// with the strict decoder and answers a new pair in seed 000's shape; the
// presented token dies (rotation). Failures:
//
//	400 ValidationException / SyntaxError   malformed body
//	403 ForbiddenError                      the account's IP allowlist excludes the client
//	401 UnauthorizedError                   malformed, unknown, expired or revoked token,
//	                                        a session past Config.RefreshMaxAge, or reuse
//	                                        of a rotated one (which revokes the whole
//	                                        family and every access token it issued;
//	                                        see Config.RefreshReuseGrace for the one
//	                                        retry it may allow)
//	503                                     a store failed
func (i *Issuer) Refresh(w http.ResponseWriter, r *http.Request) {
	ev := gatehouse.NewEvent(r, auditSource, "refresh")
	var req refreshRequest
	if err := i.decoder.Decode(w, r, &req); err != nil {
		i.fail(w, r, ev, reasonBadRequest, err)
		return
	}
	pair, reason, err := i.rotate(r.Context(), req.RefreshToken, gatehouse.ClientAddr(r), &ev)
	if err != nil {
		i.fail(w, r, ev, reason, err)
		return
	}
	i.succeed(w, r, ev, pair)
}

// rotate exchanges a refresh token for a new pair. It returns the audit
// reason and the client-facing error on failure, and fills ev's subject,
// tenant and credential id as they become known.
func (i *Issuer) rotate(ctx context.Context, token string, addr netip.Addr, ev *gatehouse.Event) (Pair, string, error) {
	now := i.clock()
	claims, ok := i.checkRefresh(token, now)
	if !ok {
		return Pair{}, reasonBadRefresh, errBadRefresh
	}
	hash := HashRefreshToken(token)
	famID := claims.SessionID // the family the token names; the store checks it

	if i.accounts != nil {
		fam, err := i.refresh.Lookup(ctx, famID, hash, now)
		if errors.Is(err, ErrRefreshNotFound) {
			return Pair{}, reasonBadRefresh, errBadRefresh
		}
		if err != nil {
			return Pair{}, reasonStore, unavailable(err)
		}
		ev.Subject, ev.Tenant, ev.CredID = fam.Subject, fam.Tenant, fam.ID
		if err := i.accounts.CheckAccount(ctx, fam.allowlistKey(), addr); err != nil {
			return Pair{}, reasonIPDenied, passThrough(err)
		}
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
	rt, rtHash, err := i.newRefresh(now, exp, time.Unix(claims.AuthTime, 0), famID, claims.Subject)
	if err != nil {
		return Pair{}, reasonSign, envelope.ErrInternal.WithCause(err)
	}
	next := RefreshRecord{
		Hash:       rtHash,
		FamilyID:   famID,
		IssuedAt:   now,
		ExpiresAt:  exp,
		MaxAge:     i.refreshMax,
		ReuseGrace: i.reuseGrace,
	}
	fam, err := i.refresh.Rotate(ctx, hash, next)
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
		if rerr := i.revokeSessionTokens(ctx, fam.ID, time.Time{}); rerr != nil {
			return Pair{}, reasonStore, unavailable(rerr)
		}
		if errors.Is(err, ErrRefreshReused) {
			return Pair{}, reasonReused, errReusedRefresh
		}
		return Pair{}, reasonRevoked, errRevokedRefresh
	case err != nil:
		return Pair{}, reasonStore, unavailable(err)
	}
	at, err := i.issueAccess(now, newID(), AccessClaims{Session: fam.Session, SessionID: fam.ID})
	if err != nil {
		return Pair{}, reasonSign, envelope.ErrInternal.WithCause(err)
	}
	return newPair(at, rt, fam.ExpiresAt, fam.ID, fam.ClientID), "", nil // the expiry the store kept
}
