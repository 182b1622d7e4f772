package apikey

import (
	"errors"
	"net/http"
	"slices"

	gatehouse "github.com/gatehouse-go/gatehouse"
)

// Causes of a refused request. The error returned by [Authenticator.Check]
// is an *envelope.Error for the client that wraps one of these, so
//
//	errors.Is(err, apikey.ErrKeyRevoked)
//
// tells the server why, while the client only ever sees the envelope's
// status, code and message. [Refusals] lists the refusals.
var (
	// ErrMissingKey: the request has no key header (401).
	ErrMissingKey = errors.New("apikey: missing key")
	// ErrDuplicateHeader: the key header was sent more than once (401).
	ErrDuplicateHeader = errors.New("apikey: key header sent more than once")
	// ErrKeyTooLong: the header value is longer than Config.MaxLength (401).
	ErrKeyTooLong = errors.New("apikey: key too long")
	// ErrMalformedKey: the value is empty, has characters no key has, or is
	// not in the configured format: bad prefix, environment or checksum (401).
	ErrMalformedKey = errors.New("apikey: malformed key")
	// ErrWrongEnv: a well-formed key of an environment the server does not
	// accept, such as a test key sent to production (401).
	ErrWrongEnv = errors.New("apikey: key of another environment")
	// ErrKeyNotFound: no stored record has the key's hash (401). Stores
	// return it from Lookup, Revoke, Touch and Delete for an absent key.
	ErrKeyNotFound = errors.New("apikey: key not found")
	// ErrKeyRevoked: the key was revoked (401).
	ErrKeyRevoked = errors.New("apikey: key revoked")
	// ErrKeyExpired: the key's ExpiresAt time has passed (401).
	ErrKeyExpired = errors.New("apikey: key expired")
	// ErrNoTenant: Config.Tenant found no requested tenant in the request (401).
	ErrNoTenant = errors.New("apikey: no tenant requested")
	// ErrWrongTenant: the key belongs to another tenant than the one the
	// request names (401).
	ErrWrongTenant = errors.New("apikey: key of another tenant")
	// ErrSurfaceDenied: the key is valid but not allowed on this surface (403).
	ErrSurfaceDenied = errors.New("apikey: key not allowed on this surface")
	// ErrStore wraps a store failure; the request is refused with 503.
	ErrStore = errors.New("apikey: store failure")
	// ErrThrottled wraps the 429 a [Throttle] refused an attempt with;
	// the Throttle's answer (its message, its Retry-After) is sent as is.
	ErrThrottled = errors.New("apikey: too many failed attempts")
	// ErrThrottleStore wraps a [Throttle]'s failure; the request is
	// refused with Config.Unavailable, or with the Throttle's own 5xx.
	ErrThrottleStore = errors.New("apikey: throttle failure")
)

// Errors of configuration, key generation and storage.
var (
	// ErrConfig is wrapped by the error [New] returns for an invalid
	// Config, which lists every problem.
	ErrConfig = errors.New("apikey: invalid configuration")
	// ErrInvalidEnv: Generate was given an environment label that is not
	// 1–16 characters of [a-z0-9].
	ErrInvalidEnv = errors.New("apikey: invalid environment label")
	// ErrInvalidRecord: a record without ID or Hash was given to Put.
	ErrInvalidRecord = errors.New("apikey: invalid record")
	// ErrDuplicateKey: Put was given a record whose ID or Hash is already stored.
	ErrDuplicateKey = errors.New("apikey: duplicate key")
)

// The audit reasons of apikey's refusals ([gatehouse.Event].Reason), one
// per row of [Refusals]. A failing key store or throttle store is
// [gatehouse.ReasonStoreUnavailable], a throttled attempt
// [gatehouse.ReasonThrottled].
const (
	// ReasonMissingKey: the request has no key header.
	ReasonMissingKey gatehouse.Reason = "missing_key"
	// ReasonDuplicateHeader: the key header was sent more than once.
	ReasonDuplicateHeader gatehouse.Reason = "duplicate_header"
	// ReasonEmptyKey: the key header is empty.
	ReasonEmptyKey gatehouse.Reason = "empty_key"
	// ReasonKeyTooLong: the key header is longer than Config.MaxLength.
	ReasonKeyTooLong gatehouse.Reason = "key_too_long"
	// ReasonMalformedKey: the value is not a key of the configured format.
	ReasonMalformedKey gatehouse.Reason = "malformed_key"
	// ReasonWrongEnvironment: a key of an environment not accepted.
	ReasonWrongEnvironment gatehouse.Reason = "wrong_environment"
	// ReasonNoTenant: the request names no tenant.
	ReasonNoTenant gatehouse.Reason = "no_tenant"
	// ReasonUnknownAPIKey: no stored record has the key's hash.
	ReasonUnknownAPIKey gatehouse.Reason = "unknown_api_key"
	// ReasonKeyRevoked: the key was revoked.
	ReasonKeyRevoked gatehouse.Reason = "revoked_key"
	// ReasonKeyExpired: the key's ExpiresAt has passed.
	ReasonKeyExpired gatehouse.Reason = "expired_key"
	// ReasonWrongTenant: the key belongs to another tenant.
	ReasonWrongTenant gatehouse.Reason = "wrong_tenant"
	// ReasonSurfaceDenied: the key is not allowed on Config.Surface.
	ReasonSurfaceDenied gatehouse.Reason = "surface_denied"
)

// reason classifies a decision; it indexes the refusal table and the
// precomputed errors.
type reason uint8

const (
	rOK reason = iota
	rMissing
	rDuplicate
	rEmpty
	rTooLong
	rMalformed
	rWrongEnv
	rNoTenant
	rUnknown
	rRevoked
	rExpired
	rWrongTenant
	rSurface
	rStore
	rThrottleStore
	rThrottled
	numReasons
)

const invalidKey = "Invalid API key"

// refusals is apikey's refusal table: every refusal's sentinel, default
// status and message, and audit reason. The client errors (newErrors),
// the audit events and [Refusals] are all derived from it.
var refusals = [numReasons]gatehouse.Refusal{
	rMissing:       {Err: ErrMissingKey, Status: http.StatusUnauthorized, Message: "API key required", Reason: ReasonMissingKey},
	rDuplicate:     {Err: ErrDuplicateHeader, Status: http.StatusUnauthorized, Message: invalidKey, Reason: ReasonDuplicateHeader},
	rEmpty:         {Err: ErrMalformedKey, Status: http.StatusUnauthorized, Message: invalidKey, Reason: ReasonEmptyKey},
	rTooLong:       {Err: ErrKeyTooLong, Status: http.StatusUnauthorized, Message: invalidKey, Reason: ReasonKeyTooLong},
	rMalformed:     {Err: ErrMalformedKey, Status: http.StatusUnauthorized, Message: invalidKey, Reason: ReasonMalformedKey},
	rWrongEnv:      {Err: ErrWrongEnv, Status: http.StatusUnauthorized, Message: invalidKey, Reason: ReasonWrongEnvironment},
	rNoTenant:      {Err: ErrNoTenant, Status: http.StatusUnauthorized, Message: invalidKey, Reason: ReasonNoTenant},
	rUnknown:       {Err: ErrKeyNotFound, Status: http.StatusUnauthorized, Message: invalidKey, Reason: ReasonUnknownAPIKey},
	rRevoked:       {Err: ErrKeyRevoked, Status: http.StatusUnauthorized, Message: "API key revoked", Reason: ReasonKeyRevoked},
	rExpired:       {Err: ErrKeyExpired, Status: http.StatusUnauthorized, Message: "API key expired", Reason: ReasonKeyExpired},
	rWrongTenant:   {Err: ErrWrongTenant, Status: http.StatusUnauthorized, Message: invalidKey, Reason: ReasonWrongTenant},
	rSurface:       {Err: ErrSurfaceDenied, Status: http.StatusForbidden, Message: "API key not allowed on this endpoint", Reason: ReasonSurfaceDenied},
	rStore:         {Err: ErrStore, Status: http.StatusServiceUnavailable, Message: "Authentication temporarily unavailable", Reason: gatehouse.ReasonStoreUnavailable},
	rThrottleStore: {Err: ErrThrottleStore, Status: http.StatusServiceUnavailable, Message: "Authentication temporarily unavailable", Reason: gatehouse.ReasonStoreUnavailable},
	rThrottled:     {Err: ErrThrottled, Status: http.StatusTooManyRequests, Reason: gatehouse.ReasonThrottled},
}

// Refusals returns apikey's refusal table: for each way [Authenticator]
// refuses a request, the sentinel its error wraps, the default status and
// client message, and the audit reason. Config.Unauthorized, Forbidden and
// Unavailable change the errors the rows are rendered from (a 5xx other
// than 503, a numeric code), never the messages. A throttled attempt has
// no message of its own: the [Throttle]'s answer is sent. The slice is the
// caller's own.
func Refusals() []gatehouse.Refusal { return slices.Clone(refusals[rMissing:]) }
