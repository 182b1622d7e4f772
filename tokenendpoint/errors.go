package tokenendpoint

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/internal/issuance"
)

// Sentinel errors. The *envelope.Error the endpoint renders wraps one of
// them, so errors.Is works on the server side while the client sees only
// the envelope's client-safe message.
var (
	// ErrConfig is wrapped by every error New returns.
	ErrConfig = errors.New("tokenendpoint: invalid configuration")

	// ErrInvalidTokenRequest reports a token request that is malformed:
	// a missing or repeated parameter, two client authentication methods,
	// malformed Basic credentials, a body of the wrong type or size.
	ErrInvalidTokenRequest = errors.New("tokenendpoint: invalid token request")
	// ErrUnsupportedGrant reports a grant_type the endpoint does not
	// offer.
	ErrUnsupportedGrant = errors.New("tokenendpoint: unsupported grant type")
	// ErrInvalidClient reports failed client authentication: an unknown
	// client, a wrong secret or a client without a secret; the cases are
	// deliberately indistinguishable.
	ErrInvalidClient = errors.New("tokenendpoint: invalid client")
	// ErrInvalidAssertion reports a jwt-bearer assertion that is malformed,
	// not HS256, not signed with the client's key, from an unknown client or
	// one without an assertion key (indistinguishable), or whose claims are
	// missing, mistyped or out of range.
	ErrInvalidAssertion = errors.New("tokenendpoint: invalid assertion")
	// ErrAssertionReplayed reports an assertion whose replay claim
	// (Config.ReplayClaim) the client already used.
	ErrAssertionReplayed = errors.New("tokenendpoint: assertion replayed")
	// ErrInvalidScope reports a requested scope beyond the client's.
	ErrInvalidScope = errors.New("tokenendpoint: invalid scope")
	// ErrWrongSession reports a request whose principal is not a session of
	// the kind the route requires (RequireSession).
	ErrWrongSession = errors.New("tokenendpoint: wrong session kind")

	// ErrClientNotFound is returned by a ClientStore for an unknown
	// client_id.
	ErrClientNotFound = errors.New("tokenendpoint: client not found")
	// ErrReplayTTL is returned by [MemoryReplay.Use] for a ttl that is not
	// positive.
	ErrReplayTTL = errors.New("tokenendpoint: replay ttl must be positive")
	// ErrStoreFull is returned by a MemoryReplay that holds as many live
	// keys as it may and would have to forget one to take another: it
	// refuses the write instead. The endpoint answers 503, like any store
	// failure.
	ErrStoreFull = errors.New("tokenendpoint: store full")
)

// InvalidGrant returns the error a Config.Assertion hook refuses an
// assertion with: the grant is answered 400 invalid_grant with description
// as its error_description, which only a holder of the client's key can
// see, but which must not echo secrets. The error wraps
// ErrInvalidAssertion. Any other error of the hook refuses the assertion
// with the generic "Invalid assertion".
func InvalidGrant(description string) error { return &grantRefusal{description} }

// grantRefusal is the error InvalidGrant returns.
type grantRefusal struct{ description string }

func (e *grantRefusal) Error() string {
	return ErrInvalidAssertion.Error() + ": " + e.description
}

func (e *grantRefusal) Unwrap() error { return ErrInvalidAssertion }

// The audit reasons of the endpoint's refusals, beside the ones several
// packages share: [gatehouse.ReasonBadRequest] (a malformed request),
// [gatehouse.ReasonThrottled] and [gatehouse.ReasonStoreUnavailable].
const (
	// ReasonUnsupportedGrant: a grant_type the endpoint does not offer
	// (400 unsupported_grant_type).
	ReasonUnsupportedGrant gatehouse.Reason = "unsupported_grant_type"
	// ReasonInvalidClient: client authentication failed (401
	// invalid_client).
	ReasonInvalidClient gatehouse.Reason = "invalid_client"
	// ReasonInvalidAssertion: a jwt-bearer assertion was refused (400
	// invalid_grant).
	ReasonInvalidAssertion gatehouse.Reason = "invalid_assertion"
	// ReasonAssertionReplayed: an assertion's replay claim was already
	// used (400 invalid_grant).
	ReasonAssertionReplayed gatehouse.Reason = "assertion_replayed"
	// ReasonInvalidScope: a requested scope beyond the client's (400
	// invalid_scope).
	ReasonInvalidScope gatehouse.Reason = "invalid_scope"
	// ReasonWrongSession: a route's principal is not a session of the kind
	// it requires (401 without a principal, 403 otherwise).
	ReasonWrongSession gatehouse.Reason = "wrong_session"
)

// refusals is the endpoint's refusal table: each sentinel it refuses
// with, and the status, message and audit reason it is answered with by
// default. The client errors are built from it.
var refusals = [...]gatehouse.Refusal{
	{Err: ErrInvalidTokenRequest, Status: http.StatusBadRequest, Message: "Invalid token request", Reason: gatehouse.ReasonBadRequest},
	{Err: ErrUnsupportedGrant, Status: http.StatusBadRequest, Message: "Unsupported grant_type", Reason: ReasonUnsupportedGrant},
	{Err: ErrInvalidClient, Status: http.StatusUnauthorized, Message: "Client authentication failed", Reason: ReasonInvalidClient},
	{Err: ErrInvalidAssertion, Status: http.StatusBadRequest, Message: "Invalid assertion", Reason: ReasonInvalidAssertion},
	{Err: ErrAssertionReplayed, Status: http.StatusBadRequest, Message: "Assertion jti was already used", Reason: ReasonAssertionReplayed},
	{Err: ErrInvalidScope, Status: http.StatusBadRequest, Message: "Requested scope exceeds the client's", Reason: ReasonInvalidScope},
	{Err: ErrWrongSession, Status: http.StatusForbidden, Message: "This route requires a client session", Reason: ReasonWrongSession},
}

// Refusals returns the endpoint's refusal table: every sentinel the token
// endpoint and RequireSession refuse with, and the status, message and
// audit reason each is answered with by default. The messages of
// invalid_request and invalid_grant name the parameter or claim at fault;
// the replay message names Config.ReplayClaim; RequireSession answers 401
// when there is no principal at all. The shared refusals (a throttled
// client, a store failure) are not listed.
func Refusals() []gatehouse.Refusal { return slices.Clone(refusals[:]) }

// The rows of the refusal table.
const (
	rowInvalidRequest = iota
	rowUnsupportedGrant
	rowInvalidClient
	rowInvalidAssertion
	rowReplayed
	rowInvalidScope
	rowWrongSession
)

// oauthCodes are the OAuth error codes (RFC 6749 §5.2, RFC 6750 §3.1) of
// the rows.
var oauthCodes = [len(refusals)]string{
	rowInvalidRequest:   "invalid_request",
	rowUnsupportedGrant: "unsupported_grant_type",
	rowInvalidClient:    "invalid_client",
	rowInvalidAssertion: "invalid_grant",
	rowReplayed:         "invalid_grant",
	rowInvalidScope:     "invalid_scope",
	rowWrongSession:     "access_denied",
}

// refused returns the client error of a row with message (the row's when
// empty).
func refused(row int, message string) *envelope.Error {
	r := refusals[row]
	if message == "" {
		message = r.Message
	}
	var kind envelope.Kind
	switch r.Status {
	case http.StatusUnauthorized:
		kind = envelope.ErrUnauthorized
	case http.StatusForbidden:
		kind = envelope.ErrForbidden
	default:
		kind = envelope.ErrBadRequest
	}
	return kind.WithOAuthCode(oauthCodes[row]).WithMessage(message).WithCause(r.Err)
}

// The audit reasons of the endpoint's refusals.
const (
	reasonBadRequest       = gatehouse.ReasonBadRequest
	reasonStore            = gatehouse.ReasonStoreUnavailable
	reasonUnsupportedGrant = ReasonUnsupportedGrant
	reasonInvalidClient    = ReasonInvalidClient
	reasonInvalidAssertion = ReasonInvalidAssertion
	reasonReplayed         = ReasonAssertionReplayed
	reasonInvalidScope     = ReasonInvalidScope
	reasonSign             = gatehouse.ReasonInternal
	reasonDPoPRequired     = dpop.ReasonMissingProof
)

// errDPoPRequired refuses a token request without a DPoP proof from a
// client that must send one (Client.RequireDPoP).
var errDPoPRequired = issuance.DPoPRefusal(dpop.ErrMissingProof).Err

// unavailable wraps a store failure as a 503 that never shows its text.
func unavailable(err error) *envelope.Error { return issuance.Unavailable(err) }

// passThrough keeps a sibling's *envelope.Error (429, 503) as it is and
// turns any other error into a 503 that hides its text.
func passThrough(err error) *envelope.Error { return issuance.PassThrough(err) }
