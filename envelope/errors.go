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
// Errors are values: the With… methods return modified copies, and the
// catalogue's kinds ([ErrUnauthorized], …) are constants. Two Errors match
// under [errors.Is] when their Status and Code are equal, and an Error
// matches its [Kind] the same way, so a copy with another message still
// matches its kind.
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

// Is reports whether target is an *Error, or a [Kind], with the same Status
// and Code.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case *Error:
		return t.Status == e.Status && t.Code == e.Code
	case Kind:
		return t.Is(e)
	}
	return false
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

// A Kind is one entry of the catalogue of refusals ([ErrUnauthorized],
// [ErrNotFound], …): a status, name, string code and default message. A
// Kind is a constant and an error itself; its With… methods return a new [*Error] of the kind, and
// every *Error of a kind matches it under [errors.Is] (same Status and
// Code), whatever its message:
//
//	return envelope.ErrNotFound.WithMessage("No such order")
//	…
//	errors.Is(err, envelope.ErrNotFound) // true
//
// [As] turns a Kind into its *Error.
type Kind uint8

// The catalogue. The first four are the common error codes of the APIs the
// built-in styles reproduce; the rest are the statuses gatehouse middleware
// answers with.
const (
	ErrValidation Kind = iota + 1
	ErrSyntax
	ErrUnauthorized
	ErrForbidden

	ErrBadRequest
	ErrNotFound
	ErrPayloadTooLarge
	ErrUnsupportedMediaType
	ErrTooManyRequests
	ErrInternal
	ErrUnavailable
)

var catalogue = [...]Error{
	ErrValidation:           {Status: http.StatusBadRequest, Name: "ValidationException", Code: "VALIDATION_FAILURE", Message: "Missing or invalid request fields"},
	ErrSyntax:               {Status: http.StatusBadRequest, Name: "SyntaxError", Code: "SYNTAX_ERROR", Message: "Invalid JSON in request body"},
	ErrUnauthorized:         {Status: http.StatusUnauthorized, Name: "UnauthorizedError", Code: "UNAUTHORIZED", Message: "Invalid credentials"},
	ErrForbidden:            {Status: http.StatusForbidden, Name: "ForbiddenError", Code: "FORBIDDEN", Message: "Forbidden"},
	ErrBadRequest:           {Status: http.StatusBadRequest, Name: "BadRequestError", Code: "BAD_REQUEST", Message: "Malformed request"},
	ErrNotFound:             {Status: http.StatusNotFound, Name: "NotFoundError", Code: "NOT_FOUND", Message: "Not found"},
	ErrPayloadTooLarge:      {Status: http.StatusRequestEntityTooLarge, Name: "PayloadTooLargeError", Code: "PAYLOAD_TOO_LARGE", Message: "Request body too large"},
	ErrUnsupportedMediaType: {Status: http.StatusUnsupportedMediaType, Name: "UnsupportedMediaTypeError", Code: "UNSUPPORTED_MEDIA_TYPE", Message: "Content-Type must be application/json"},
	ErrTooManyRequests:      {Status: http.StatusTooManyRequests, Name: "TooManyRequestsError", Code: "TOO_MANY_REQUESTS", Message: "Too many requests"},
	ErrInternal:             {Status: http.StatusInternalServerError, Name: "InternalServerError", Code: "INTERNAL_ERROR", Message: "Internal server error"},
	ErrUnavailable:          {Status: http.StatusServiceUnavailable, Name: "ServiceUnavailableError", Code: "SERVICE_UNAVAILABLE", Message: "Service temporarily unavailable"},
}

// value returns k's catalogue entry by value; a Kind outside the catalogue
// is ErrInternal.
func (k Kind) value() Error {
	if k == 0 || int(k) >= len(catalogue) {
		return catalogue[ErrInternal]
	}
	return catalogue[k]
}

// ptr returns a new *Error of kind k.
func (k Kind) ptr() *Error {
	e := k.value()
	return &e
}

// Error returns the code and message of k, as its *Error's Error does.
func (k Kind) Error() string {
	e := k.value()
	return e.Error()
}

// Is reports whether target is k, or an *Error of k's Status and Code.
func (k Kind) Is(target error) bool {
	switch t := target.(type) {
	case Kind:
		return t == k
	case *Error:
		e := k.value()
		return t.Status == e.Status && t.Code == e.Code
	}
	return false
}

// Status returns k's HTTP status code.
func (k Kind) Status() int { return k.value().Status }

// Name returns k's class name, e.g. "UnauthorizedError".
func (k Kind) Name() string { return k.value().Name }

// Code returns k's string code, e.g. "UNAUTHORIZED".
func (k Kind) Code() string { return k.value().Code }

// Message returns k's default client-safe message.
func (k Kind) Message() string { return k.value().Message }

// WithMessage returns a new Error of kind k with the message msg.
func (k Kind) WithMessage(msg string) *Error { e := k.value(); return e.WithMessage(msg) }

// WithField returns a new Error of kind k about the request field name.
func (k Kind) WithField(name string) *Error { e := k.value(); return e.WithField(name) }

// WithNumber returns a new Error of kind k with the numeric code n.
func (k Kind) WithNumber(n int) *Error { e := k.value(); return e.WithNumber(n) }

// WithOAuthCode returns a new Error of kind k with the OAuth error code.
func (k Kind) WithOAuthCode(code string) *Error { e := k.value(); return e.WithOAuthCode(code) }

// WithChallenge returns a new Error of kind k that sends
// WWW-Authenticate: challenge.
func (k Kind) WithChallenge(challenge string) *Error {
	e := k.value()
	return e.WithChallenge(challenge)
}

// WithRetryAfter returns a new Error of kind k that sends Retry-After for d.
func (k Kind) WithRetryAfter(d time.Duration) *Error { e := k.value(); return e.WithRetryAfter(d) }

// WithCause returns a new Error of kind k that wraps the internal error
// cause (see [Error.WithCause]).
func (k Kind) WithCause(cause error) *Error { e := k.value(); return e.WithCause(cause) }

// As returns err as an *Error: err itself, or the *Error it wraps, or a new
// *Error of the [Kind] it is or wraps. Any other error becomes ErrInternal
// wrapping it, so that its text is never sent to a client. A nil err
// returns nil.
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
	var k Kind
	if errors.As(err, &k) {
		return k.ptr()
	}
	return ErrInternal.WithCause(err)
}
