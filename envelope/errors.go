package envelope

import (
	"errors"
	"net/http"
	"time"
)

// An Error is a refusal that can be rendered to a client. Every field except
// the wrapped cause is client-safe by construction: messages are written by
// the library or the application, never copied from lower-level errors.
//
// Errors are values: the With… methods return modified copies, so the
// package-level sentinels are never changed. Two Errors match under
// [errors.Is] when their Status and Code are equal, so a copy with another
// message still matches its sentinel.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// Name is the error's class name, e.g. "UnauthorizedError".
	Name string
	// Code is the stable string code, e.g. "UNAUTHORIZED".
	Code string
	// Number is an optional numeric code such as -23; see HasNumber.
	Number int
	// HasNumber reports whether Number is set (0 is a valid numeric code).
	HasNumber bool
	// OAuthCode is the RFC 6749 / RFC 6750 error code ("invalid_token",
	// "invalid_grant", …); when empty the OAuth style derives one from Status.
	OAuthCode string
	// Message is the human-readable, client-safe description.
	Message string
	// Field names the request field a validation error is about, if any.
	Field string
	// Challenge is the WWW-Authenticate header value to send, if any; a
	// 401 without one is sent with DefaultChallenge.
	Challenge string
	// RetryAfter is sent as Retry-After (whole seconds, rounded up) when > 0.
	RetryAfter time.Duration

	cause        error
	challengeHdr []string // []string{Challenge}, built once by WithChallenge
}

// Error returns the code and message. It never includes the wrapped cause,
// so logging an Error cannot leak what the cause carried.
func (e *Error) Error() string {
	if e.Message == "" {
		return "envelope: " + e.Code
	}
	return "envelope: " + e.Code + ": " + e.Message
}

// Unwrap returns the internal cause attached with WithCause, for logging and
// errors.Is checks on the server side. It is never rendered.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is an *Error with the same Status and Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Status == e.Status && t.Code == e.Code
}

// WithMessage returns a copy of e with the client-safe message msg.
func (e *Error) WithMessage(msg string) *Error {
	c := *e
	c.Message = msg
	return &c
}

// WithField returns a copy of e about the request field name.
func (e *Error) WithField(name string) *Error {
	c := *e
	c.Field = name
	return &c
}

// WithNumber returns a copy of e with the numeric code n.
func (e *Error) WithNumber(n int) *Error {
	c := *e
	c.Number, c.HasNumber = n, true
	return &c
}

// WithOAuthCode returns a copy of e with the OAuth error code code.
func (e *Error) WithOAuthCode(code string) *Error {
	c := *e
	c.OAuthCode = code
	return &c
}

// WithChallenge returns a copy of e that sends WWW-Authenticate: challenge.
func (e *Error) WithChallenge(challenge string) *Error {
	c := *e
	c.Challenge = challenge
	c.challengeHdr = []string{challenge}
	return &c
}

// WithRetryAfter returns a copy of e that sends Retry-After for d.
func (e *Error) WithRetryAfter(d time.Duration) *Error {
	c := *e
	c.RetryAfter = d
	return &c
}

// WithCause returns a copy of e that wraps the internal error cause. The
// cause is available to errors.Is/As and to server-side logs, and is never
// rendered to the client.
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// New returns an Error with the given status, name, code and message.
func New(status int, name, code, message string) *Error {
	return &Error{Status: status, Name: name, Code: code, Message: message}
}

// The catalogue. The first four are the common errors of a request: an invalid
// field, a body that is not JSON, bad credentials and a refused permission;
// the rest are the statuses gatehouse middleware answers with.
var (
	ErrValidation   = New(http.StatusBadRequest, "ValidationException", "VALIDATION_FAILURE", "Missing or invalid request fields")
	ErrSyntax       = New(http.StatusBadRequest, "SyntaxError", "SYNTAX_ERROR", "Invalid JSON in request body")
	ErrUnauthorized = New(http.StatusUnauthorized, "UnauthorizedError", "UNAUTHORIZED", "Invalid credentials")
	ErrForbidden    = New(http.StatusForbidden, "ForbiddenError", "FORBIDDEN", "Forbidden")

	ErrBadRequest           = New(http.StatusBadRequest, "BadRequestError", "BAD_REQUEST", "Malformed request")
	ErrNotFound             = New(http.StatusNotFound, "NotFoundError", "NOT_FOUND", "Not found")
	ErrPayloadTooLarge      = New(http.StatusRequestEntityTooLarge, "PayloadTooLargeError", "PAYLOAD_TOO_LARGE", "Request body too large")
	ErrUnsupportedMediaType = New(http.StatusUnsupportedMediaType, "UnsupportedMediaTypeError", "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json")
	ErrTooManyRequests      = New(http.StatusTooManyRequests, "TooManyRequestsError", "TOO_MANY_REQUESTS", "Too many requests")
	ErrInternal             = New(http.StatusInternalServerError, "InternalServerError", "INTERNAL_ERROR", "Internal server error")
	ErrUnavailable          = New(http.StatusServiceUnavailable, "ServiceUnavailableError", "SERVICE_UNAVAILABLE", "Service temporarily unavailable")
)

// As returns err as an *Error. An error that is not (and does not wrap) an
// *Error becomes ErrInternal wrapping it, so that its text is never sent to a
// client. A nil err returns nil.
func As(err error) *Error {
	if err == nil {
		return nil
	}
	if e, ok := err.(*Error); ok {
		return e
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrInternal.WithCause(err)
}
