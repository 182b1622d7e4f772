package issuer

import (
	"errors"

	"github.com/gatehouse-go/gatehouse/envelope"
)

// Sentinel errors. The errors the handlers render are *envelope.Error
// values wrapping one of these, so errors.Is(err, issuer.ErrRefreshReused)
// works on the server side while the client only ever sees the envelope's
// client-safe message.
var (
	// ErrInvalidCredentials reports an unknown user name or a wrong password;
	// the two are deliberately indistinguishable.
	ErrInvalidCredentials = errors.New("issuer: invalid credentials")
	// ErrInvalidRefreshToken reports a refresh token that is malformed,
	// unknown or expired.
	ErrInvalidRefreshToken = errors.New("issuer: invalid refresh token")
	// ErrInvalidAccessToken reports an access token presented to Logout that
	// is missing, malformed, not signed by this issuer or not an access token.
	ErrInvalidAccessToken = errors.New("issuer: invalid access token")

	// ErrAccountNotFound is returned by a CredentialStore for an unknown user.
	ErrAccountNotFound = errors.New("issuer: account not found")
	// ErrRefreshNotFound is returned by a RefreshStore for a token hash it
	// does not hold, or holds only past its expiry.
	ErrRefreshNotFound = errors.New("issuer: refresh token not found")
	// ErrRefreshReused is returned by RefreshStore.Rotate when the presented
	// token was already rotated: the store has revoked the whole family.
	ErrRefreshReused = errors.New("issuer: refresh token reused")
	// ErrFamilyRevoked is returned by RefreshStore.Rotate when the token's
	// family was revoked (logout, or earlier reuse).
	ErrFamilyRevoked = errors.New("issuer: refresh token family revoked")
	// ErrFamilyNotFound is returned by RefreshStore.RevokeFamily for a family
	// id the store does not hold (never issued, or expired and forgotten).
	ErrFamilyNotFound = errors.New("issuer: refresh token family not found")
	// ErrSubjectRevoked reports a refresh of a session started at or
	// before its subject's revocation (Issuer.RevokeSubject).
	ErrSubjectRevoked = errors.New("issuer: subject revoked")
	// ErrAccountDisabled reports a refresh of a session whose subject no
	// enabled account of the CredentialStore carries any more: the account
	// was deleted or disabled.
	ErrAccountDisabled = errors.New("issuer: account deleted or disabled")
	// ErrFamilyExists is returned by RefreshStore.Create when the family id
	// or the token hash is already stored.
	ErrFamilyExists = errors.New("issuer: refresh token family already exists")
	// ErrStoreFull is returned by a bounded store (MemoryReplay,
	// MemoryRefresh) that holds as many live records as it may and would
	// have to forget one to take another: it refuses the write instead.
	// The handlers answer 503, like any store failure.
	ErrStoreFull = errors.New("issuer: store full")
)

// Client-facing errors, built once. The messages follow seed 000's table.
var (
	errBadCredentials = envelope.ErrUnauthorized.WithMessage("Invalid credentials").WithCause(ErrInvalidCredentials)
	errBadRefresh     = envelope.ErrUnauthorized.WithMessage("Invalid or expired refresh token").WithCause(ErrInvalidRefreshToken)
	errReusedRefresh  = envelope.ErrUnauthorized.WithMessage("Invalid or expired refresh token").WithCause(ErrRefreshReused)
	errRevokedRefresh = envelope.ErrUnauthorized.WithMessage("Invalid or expired refresh token").WithCause(ErrFamilyRevoked)
	// A revoked subject or a disabled account revokes the family: the
	// client sees the refusal of a revoked family.
	errSubjectRevoked  = errRevokedRefresh.WithCause(ErrSubjectRevoked)
	errAccountDisabled = errRevokedRefresh.WithCause(ErrAccountDisabled)
	errBadAccess       = envelope.ErrUnauthorized.WithMessage("Invalid or expired token").WithCause(ErrInvalidAccessToken)
)

// unavailable wraps a store failure as a 503 that never shows its text.
func unavailable(err error) *envelope.Error {
	return envelope.ErrUnavailable.WithCause(err)
}

// Token-endpoint sentinels ([Issuer.Token]). The *envelope.Error the
// endpoint renders wraps one of them.
var (
	// ErrClientNotFound is returned by a ClientStore for an unknown client_id.
	ErrClientNotFound = errors.New("issuer: client not found")
	// ErrInvalidClient reports failed client authentication: an unknown
	// client, a wrong secret or a client without a secret; the cases are
	// deliberately indistinguishable.
	ErrInvalidClient = errors.New("issuer: invalid client")
	// ErrInvalidAssertion reports a jwt-bearer assertion that is malformed,
	// not HS256, not signed with the client's key, from an unknown client or
	// one without an assertion key (indistinguishable), or whose claims are
	// missing, mistyped or out of range.
	ErrInvalidAssertion = errors.New("issuer: invalid assertion")
	// ErrAssertionReplayed reports an assertion whose notificationKey the
	// client already used.
	ErrAssertionReplayed = errors.New("issuer: assertion notificationKey replayed")
	// ErrInvalidTokenRequest reports a token request that is malformed:
	// missing or repeated parameters, an unsupported grant type, two client
	// authentication methods, scopes the client may not have.
	ErrInvalidTokenRequest = errors.New("issuer: invalid token request")
	// ErrWrongSession reports a request whose principal is not a session of
	// the kind the route requires (RequireSession).
	ErrWrongSession = errors.New("issuer: wrong session kind")
)
