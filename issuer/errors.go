package issuer

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/internal/issuance"
)

// Sentinel errors. The errors the handlers render are *envelope.Error
// values wrapping one of these, so errors.Is(err, issuer.ErrRefreshReused)
// works on the server side while the client only ever sees the envelope's
// client-safe message.
var (
	// ErrConfig is wrapped by every error New returns.
	ErrConfig = errors.New("issuer: invalid configuration")

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
	// does not hold, or holds only past its expiry, and by RevokeFamily
	// for a family id it does not hold (never issued, or expired and
	// forgotten).
	ErrRefreshNotFound = errors.New("issuer: refresh token not found")
	// ErrRefreshReused is returned by RefreshStore.Rotate when the presented
	// token was already rotated: the store has revoked the whole family.
	ErrRefreshReused = errors.New("issuer: refresh token reused")
	// ErrFamilyRevoked is returned by RefreshStore.Rotate when the token's
	// family was revoked (logout, or earlier reuse).
	ErrFamilyRevoked = errors.New("issuer: refresh token family revoked")
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
	// ErrSubjectTaken is returned when an account would carry the subject
	// of another account already stored.
	ErrSubjectTaken = errors.New("issuer: another account has this subject")
	// ErrStoreFull is returned by a MemoryRefresh that holds as many live
	// tokens as it may and would have to forget one to take another: it
	// refuses the write instead. The handlers answer 503, like any store
	// failure.
	ErrStoreFull = errors.New("issuer: store full")
)

// The audit reasons of the issuer's refusals, beside the ones several
// packages share: [gatehouse.ReasonBadRequest] (a malformed body, several
// Authorization headers), [gatehouse.ReasonThrottled],
// [gatehouse.ReasonIPDenied] (the account's allowlist) and
// [gatehouse.ReasonStoreUnavailable].
const (
	// ReasonInvalidCredentials: an unknown or disabled user, or a wrong
	// password (401).
	ReasonInvalidCredentials gatehouse.Reason = "invalid_credentials"
	// ReasonRefreshInvalid: a malformed, unknown or expired refresh token,
	// or a session past Config.RefreshMaxAge (401).
	ReasonRefreshInvalid gatehouse.Reason = "refresh_invalid"
	// ReasonRefreshReused: a rotated refresh token presented again; its
	// family is revoked (401).
	ReasonRefreshReused gatehouse.Reason = "refresh_reused"
	// ReasonSessionRevoked: a refresh of a session that was logged out or
	// revoked (401).
	ReasonSessionRevoked gatehouse.Reason = "session_revoked"
	// ReasonSubjectRevoked: a refresh of a session started before its
	// subject's revocation (401).
	ReasonSubjectRevoked gatehouse.Reason = "subject_revoked"
	// ReasonAccountDisabled: a refresh of a session whose account was
	// deleted or disabled (401).
	ReasonAccountDisabled gatehouse.Reason = "account_disabled"
	// ReasonInvalidAccessToken: a missing, malformed or foreign access token at
	// logout (401).
	ReasonInvalidAccessToken gatehouse.Reason = "invalid_access_token"
)

// refusals is the issuer's refusal table: each sentinel the handlers
// refuse with, and the status, message and audit reason it is answered
// with. The client errors below are built from it.
var refusals = [...]gatehouse.Refusal{
	rowBadCredentials:  {Err: ErrInvalidCredentials, Status: http.StatusUnauthorized, Message: "Invalid credentials", Reason: ReasonInvalidCredentials},
	rowBadRefresh:      {Err: ErrInvalidRefreshToken, Status: http.StatusUnauthorized, Message: "Invalid or expired refresh token", Reason: ReasonRefreshInvalid},
	rowReusedRefresh:   {Err: ErrRefreshReused, Status: http.StatusUnauthorized, Message: "Invalid or expired refresh token", Reason: ReasonRefreshReused},
	rowRevokedRefresh:  {Err: ErrFamilyRevoked, Status: http.StatusUnauthorized, Message: "Invalid or expired refresh token", Reason: ReasonSessionRevoked},
	rowSubjectRevoked:  {Err: ErrSubjectRevoked, Status: http.StatusUnauthorized, Message: "Invalid or expired refresh token", Reason: ReasonSubjectRevoked},
	rowAccountDisabled: {Err: ErrAccountDisabled, Status: http.StatusUnauthorized, Message: "Invalid or expired refresh token", Reason: ReasonAccountDisabled},
	rowBadAccess:       {Err: ErrInvalidAccessToken, Status: http.StatusUnauthorized, Message: "Invalid or expired token", Reason: ReasonInvalidAccessToken},
}

// Refusals returns the issuer's refusal table: every sentinel Login,
// Refresh and Logout refuse with, and the status, message and audit
// reason each is answered with. A revoked subject or a disabled account
// gets the answer of a revoked family. The shared refusals (a malformed
// body, a throttled or denied client, a store failure) are not listed.
func Refusals() []gatehouse.Refusal { return slices.Clone(refusals[:]) }

// The rows of the refusal table.
const (
	rowBadCredentials = iota
	rowBadRefresh
	rowReusedRefresh
	rowRevokedRefresh
	rowSubjectRevoked
	rowAccountDisabled
	rowBadAccess
)

// refused returns the client error of a row of the refusal table.
func refused(row int) *envelope.Error {
	r := refusals[row]
	return envelope.ErrUnauthorized.WithMessage(r.Message).WithCause(r.Err)
}

// Client-facing errors, built once from the refusal table.
var (
	errBadCredentials  = refused(rowBadCredentials)
	errBadRefresh      = refused(rowBadRefresh)
	errReusedRefresh   = refused(rowReusedRefresh)
	errRevokedRefresh  = refused(rowRevokedRefresh)
	errSubjectRevoked  = refused(rowSubjectRevoked)
	errAccountDisabled = refused(rowAccountDisabled)
	errBadAccess       = refused(rowBadAccess)
)

// The audit reasons of the handlers' refusals.
const (
	reasonBadRequest      = gatehouse.ReasonBadRequest
	reasonThrottled       = gatehouse.ReasonThrottled
	reasonIPDenied        = gatehouse.ReasonIPDenied
	reasonStore           = gatehouse.ReasonStoreUnavailable
	reasonBadCredentials  = ReasonInvalidCredentials
	reasonBadRefresh      = ReasonRefreshInvalid
	reasonReused          = ReasonRefreshReused
	reasonRevoked         = ReasonSessionRevoked
	reasonSubjectRevoked  = ReasonSubjectRevoked
	reasonAccountDisabled = ReasonAccountDisabled
	reasonBadToken        = ReasonInvalidAccessToken
	reasonSign            = gatehouse.ReasonInternal
)

// unavailable wraps a store failure as a 503 that never shows its text.
func unavailable(err error) *envelope.Error { return issuance.Unavailable(err) }

// passThrough keeps a sibling's *envelope.Error (403, 429, 503) as it is
// and turns any other error into a 503 that hides its text.
func passThrough(err error) *envelope.Error { return issuance.PassThrough(err) }
