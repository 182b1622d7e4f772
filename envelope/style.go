package envelope

import (
	"net/http"
	"strconv"
	"unicode/utf8"
)

// A Style renders an [*Error] as a response body. Implementations must be
// safe for concurrent use, must not modify the Error, and must not render
// anything it does not expose (in particular never its wrapped cause).
type Style interface {
	// AppendBody appends the body for e to dst and returns the extended
	// slice together with the body's Content-Type.
	AppendBody(dst []byte, r *http.Request, e *Error) (body []byte, contentType string)
}

// StyleFunc adapts a function to the [Style] interface, for APIs whose
// error shape is none of the built-in ones.
type StyleFunc func(r *http.Request, e *Error) (body []byte, contentType string)

// AppendBody appends f's body to dst.
func (f StyleFunc) AppendBody(dst []byte, r *http.Request, e *Error) ([]byte, string) {
	body, ct := f(r, e)
	return append(dst, body...), ct
}

const (
	contentJSON    = "application/json"
	contentProblem = "application/problem+json"
)

// A BuiltinStyle is one of the styles this package defines. Each is a
// constant: the built-in styles cannot be reassigned or changed.
type BuiltinStyle uint8

// The built-in styles.
const (
	// Nested is the default: the error object nested under "error":
	// {"error":{"name":"UnauthorizedError","code":"UNAUTHORIZED","message":"Invalid credentials"}}
	Nested BuiltinStyle = iota

	// Flat is the flat shape with the HTTP status text as "error":
	// {"success":false,"error":"Forbidden","message":"Insufficient permissions"}
	Flat

	// Numeric is {"code":-23,"message":"..."}, using each Error's own
	// numeric code and otherwise its HTTP status; it renders as the zero
	// [NumericStyle]. Use a NumericStyle to map string codes to a numeric
	// catalogue.
	Numeric

	// OAuth is the RFC 6749 §5.2 token-endpoint shape:
	// {"error":"invalid_grant","error_description":"..."}.
	OAuth

	// Problem is RFC 9457 problem details (application/problem+json) with
	// the string code, and the field for validation errors, as extension
	// members.
	Problem
)

// AppendBody implements [Style]; a BuiltinStyle outside the constants
// above renders as Nested.
func (s BuiltinStyle) AppendBody(b []byte, r *http.Request, e *Error) ([]byte, string) {
	switch s {
	case Flat:
		return flatStyle{}.AppendBody(b, r, e)
	case Numeric:
		return NumericStyle{}.AppendBody(b, r, e)
	case OAuth:
		return oauthStyle{}.AppendBody(b, r, e)
	case Problem:
		return problemStyle{}.AppendBody(b, r, e)
	}
	return nestedStyle{}.AppendBody(b, r, e)
}

type nestedStyle struct{}

func (nestedStyle) AppendBody(b []byte, _ *http.Request, e *Error) ([]byte, string) {
	b = append(b, `{"error":{"name":`...)
	b = appendQuoted(b, e.Name)
	b = append(b, `,"code":`...)
	b = appendQuoted(b, e.Code)
	b = append(b, `,"message":`...)
	b = appendQuoted(b, e.Message)
	return append(b, "}}"...), contentJSON
}

type flatStyle struct{}

func (flatStyle) AppendBody(b []byte, _ *http.Request, e *Error) ([]byte, string) {
	b = append(b, `{"success":false,"error":`...)
	b = appendQuoted(b, statusText(e.Status))
	b = append(b, `,"message":`...)
	b = appendQuoted(b, e.Message)
	return append(b, '}'), contentJSON
}

// NumericStyle renders {"code":N,"message":"..."}. N is the Error's own
// numeric code when it has one ([Error.WithNumber]), else Codes[e.Code] when
// present, else the HTTP status. The zero NumericStyle renders as [Numeric].
type NumericStyle struct {
	// Codes maps string codes such as "UNAUTHORIZED" to numeric codes.
	Codes map[string]int
}

// AppendBody implements [Style].
func (s NumericStyle) AppendBody(b []byte, _ *http.Request, e *Error) ([]byte, string) {
	n := e.Status
	if e.HasNumber {
		n = e.Number
	} else if c, ok := s.Codes[e.Code]; ok {
		n = c
	}
	b = append(b, `{"code":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `,"message":`...)
	b = appendQuoted(b, e.Message)
	return append(b, '}'), contentJSON
}

type oauthStyle struct{}

func (oauthStyle) AppendBody(b []byte, _ *http.Request, e *Error) ([]byte, string) {
	b = append(b, `{"error":`...)
	b = appendQuoted(b, OAuthCode(e))
	if e.Message != "" {
		b = append(b, `,"error_description":`...)
		b = appendQuoted(b, e.Message)
	}
	return append(b, '}'), contentJSON
}

// OAuthCode returns e's OAuth error code: its own OAuthCode when set,
// otherwise one derived from its status (400 invalid_request, 401
// invalid_token, 403 access_denied, 429 slow_down, 503
// temporarily_unavailable, other 5xx server_error, else invalid_request).
// A 403 is insufficient_scope (RFC 6750 §3.1) only when the Error says so:
// a refusal by network, surface or session kind is not about the token's
// scope.
func OAuthCode(e *Error) string {
	if e.OAuthCode != "" {
		return e.OAuthCode
	}
	switch {
	case e.Status == http.StatusUnauthorized:
		return "invalid_token"
	case e.Status == http.StatusForbidden:
		return "access_denied"
	case e.Status == http.StatusTooManyRequests:
		return "slow_down"
	case e.Status == http.StatusServiceUnavailable:
		return "temporarily_unavailable"
	case e.Status >= 500:
		return "server_error"
	default:
		return "invalid_request"
	}
}

type problemStyle struct{}

func (problemStyle) AppendBody(b []byte, _ *http.Request, e *Error) ([]byte, string) {
	b = append(b, `{"type":"about:blank","title":`...)
	b = appendQuoted(b, statusText(e.Status))
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	if e.Message != "" {
		b = append(b, `,"detail":`...)
		b = appendQuoted(b, e.Message)
	}
	b = append(b, `,"code":`...)
	b = appendQuoted(b, e.Code)
	if e.Field != "" {
		b = append(b, `,"field":`...)
		b = appendQuoted(b, e.Field)
	}
	return append(b, '}'), contentProblem
}

func statusText(status int) string {
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error"
}

const hexDigits = "0123456789abcdef"

// appendQuoted appends s as a JSON string, escaping as encoding/json does
// (including <, > and & for HTML safety) and replacing invalid UTF-8 with
// U+FFFD.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
