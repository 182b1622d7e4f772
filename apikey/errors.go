package apikey

import "errors"

// Causes of a refused request. The error returned by [Authenticator.Check]
// is an *envelope.Error for the client that wraps one of these, so
//
//	errors.Is(err, apikey.ErrKeyRevoked)
//
// tells the server why, while the client only ever sees the envelope's
// status, code and message.
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
	// ErrKeyExpired: the key's Expires time has passed (401).
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
)

// Errors of key generation and storage.
var (
	// ErrInvalidEnv: Generate was given an environment label that is not
	// 1–16 characters of [a-z0-9].
	ErrInvalidEnv = errors.New("apikey: invalid environment label")
	// ErrInvalidRecord: a record without ID or Hash was given to Put.
	ErrInvalidRecord = errors.New("apikey: invalid record")
	// ErrDuplicateKey: Put was given a record whose ID or Hash is already stored.
	ErrDuplicateKey = errors.New("apikey: duplicate key")
)
