package server

import (
	"net/http"

	"github.com/gatehouse-go/gatehouse/envelope"
)

// The platform's numeric error codes (seed 003: "See Errors for the full
// numeric error-code catalogue"). Every error body is
// {"code":N,"message":"..."}; the HTTP status tells the class, the code the
// platform's meaning, so clients can switch on either.
const (
	// CodeUnauthorized (401): the credential is missing, malformed, expired
	// or revoked, signed for another surface, or an API key of another
	// tenant. Seed 003 fixes -23 for API keys; the JWT surfaces use it too.
	CodeUnauthorized = -23
	// CodeForbidden (403): the caller is authenticated but may not call
	// this route — a token without the route's scope, an API key whose
	// tenant has no access to the surface or lacks the route's scope.
	CodeForbidden = -24
	// CodeValidation (400, 413, 415): the request is malformed — invalid
	// JSON, a missing or invalid field, a body too large, not JSON, or
	// several Authorization headers.
	CodeValidation = -25
	// CodeNotFound (404): no such route, or no such resource for the
	// caller's tenant.
	CodeNotFound = -26
	// CodeMethodNotAllowed (405): the route exists with another method;
	// the Allow header lists them.
	CodeMethodNotAllowed = -27
	// CodeRateLimited (429): too many failed logins from this address or
	// for this user, or too many refused API keys from this address;
	// Retry-After says when to try again.
	CodeRateLimited = -29
	// CodeInternal (500): an unexpected server error.
	CodeInternal = -30
	// CodeUnavailable (503): a credential store failed; nothing was let
	// through. Retry later.
	CodeUnavailable = -31
)

// Codes maps the string codes of gatehouse's envelope errors to the
// platform's numeric codes. It is the one table behind Style.
func Codes() map[string]int {
	return map[string]int{
		envelope.ErrUnauthorized.Code():         CodeUnauthorized,
		envelope.ErrForbidden.Code():            CodeForbidden,
		envelope.ErrValidation.Code():           CodeValidation,
		envelope.ErrSyntax.Code():               CodeValidation,
		envelope.ErrBadRequest.Code():           CodeValidation,
		envelope.ErrPayloadTooLarge.Code():      CodeValidation,
		envelope.ErrUnsupportedMediaType.Code(): CodeValidation,
		envelope.ErrNotFound.Code():             CodeNotFound,
		errMethodNotAllowed.Code:                CodeMethodNotAllowed,
		envelope.ErrTooManyRequests.Code():      CodeRateLimited,
		envelope.ErrInternal.Code():             CodeInternal,
		envelope.ErrUnavailable.Code():          CodeUnavailable,
	}
}

// Style is the platform's error style: envelope.Numeric with Codes.
func Style() envelope.Style { return envelope.NumericStyle{Codes: Codes()} }

var (
	errMethodNotAllowed = envelope.New(http.StatusMethodNotAllowed, "MethodNotAllowedError", "METHOD_NOT_ALLOWED", "Method not allowed")
	errRouteNotFound    = envelope.ErrNotFound.WithMessage("No such route")
)
