package envelope_test

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/envelope"
)

func TestStylesByteExact(t *testing.T) {
	scopeErr := envelope.ErrForbidden.WithMessage("Token does not have the required scope: orders:write")
	cases := []struct {
		name  string
		style envelope.Style
		err   error
		ct    string
		body  string
	}{
		{"nested seed 000", envelope.Nested, envelope.ErrUnauthorized, "application/json",
			`{"error":{"name":"UnauthorizedError","code":"UNAUTHORIZED","message":"Invalid credentials"}}`},
		{"nested validation", envelope.Nested, envelope.ErrValidation, "application/json",
			`{"error":{"name":"ValidationException","code":"VALIDATION_FAILURE","message":"Missing or invalid request fields"}}`},
		{"nested syntax", envelope.Nested, envelope.ErrSyntax, "application/json",
			`{"error":{"name":"SyntaxError","code":"SYNTAX_ERROR","message":"Invalid JSON in request body"}}`},
		{"nested forbidden", envelope.Nested, envelope.ErrForbidden.WithMessage("IP address not authorized"), "application/json",
			`{"error":{"name":"ForbiddenError","code":"FORBIDDEN","message":"IP address not authorized"}}`},
		{"flat seed 004 scope", envelope.Flat, scopeErr, "application/json",
			`{"success":false,"error":"Forbidden","message":"Token does not have the required scope: orders:write"}`},
		{"flat seed 004 401", envelope.Flat, envelope.ErrUnauthorized.WithMessage("Invalid or missing API token"), "application/json",
			`{"success":false,"error":"Unauthorized","message":"Invalid or missing API token"}`},
		{"flat seed 004 tenant", envelope.Flat, envelope.ErrForbidden.WithMessage("Insufficient permissions"), "application/json",
			`{"success":false,"error":"Forbidden","message":"Insufficient permissions"}`},
		{"numeric own code", envelope.Numeric, envelope.ErrUnauthorized.WithNumber(-23).WithMessage("Invalid API key"), "application/json",
			`{"code":-23,"message":"Invalid API key"}`},
		{"numeric catalogue", envelope.NumericStyle{Codes: map[string]int{"FORBIDDEN": -24}}, envelope.ErrForbidden, "application/json",
			`{"code":-24,"message":"Forbidden"}`},
		{"numeric falls back to status", envelope.Numeric, envelope.ErrTooManyRequests, "application/json",
			`{"code":429,"message":"Too many requests"}`},
		{"numeric zero is a code", envelope.Numeric, envelope.ErrForbidden.WithNumber(0), "application/json",
			`{"code":0,"message":"Forbidden"}`},
		{"oauth explicit", envelope.OAuth, envelope.ErrBadRequest.WithOAuthCode("invalid_grant").WithMessage("Assertion was already used"), "application/json",
			`{"error":"invalid_grant","error_description":"Assertion was already used"}`},
		{"oauth derived", envelope.OAuth, envelope.ErrUnauthorized.WithMessage(""), "application/json",
			`{"error":"invalid_token"}`},
		{"problem", envelope.Problem, envelope.ErrValidation.WithField("username").WithMessage("Missing required field: username"), "application/problem+json",
			`{"type":"about:blank","title":"Bad Request","status":400,"detail":"Missing required field: username","code":"VALIDATION_FAILURE","field":"username"}`},
		{"custom func", envelope.StyleFunc(func(_ *http.Request, e *envelope.Error) ([]byte, string) {
			return []byte(`<err>` + e.Code + `</err>`), "application/xml"
		}), envelope.ErrForbidden, "application/xml", `<err>FORBIDDEN</err>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			envelope.WriteStyle(rec, httptest.NewRequest("GET", "/", nil), tc.style, tc.err)
			assert.Equal(t, envelope.As(tc.err).Status, rec.Code)
			assert.Equal(t, tc.body, rec.Body.String())
			assert.Equal(t, tc.ct, rec.Header().Get("Content-Type"))
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
			if tc.ct != "application/xml" {
				assert.True(t, json.Valid(rec.Body.Bytes()))
			}
		})
	}
}

func TestWriteHeadersAndSafety(t *testing.T) {
	t.Run("challenge and retry-after", func(t *testing.T) {
		rec := httptest.NewRecorder()
		rec.Header().Set("RateLimit-Limit", "60")
		e := envelope.ErrTooManyRequests.WithRetryAfter(1500 * time.Millisecond).
			WithChallenge(envelope.BearerChallenge("api", "", "", ""))
		envelope.Write(rec, httptest.NewRequest("GET", "/", nil), e)
		assert.Equal(t, 429, rec.Code)
		assert.Equal(t, "2", rec.Header().Get("Retry-After"))
		assert.Equal(t, `Bearer realm="api"`, rec.Header().Get("WWW-Authenticate"))
		assert.Equal(t, "60", rec.Header().Get("RateLimit-Limit"), "headers set before are kept")
	})
	t.Run("every 401 carries a challenge (RFC 9110 §15.5.2)", func(t *testing.T) {
		rec := httptest.NewRecorder()
		envelope.Write(rec, httptest.NewRequest("GET", "/", nil), envelope.ErrUnauthorized)
		assert.Equal(t, 401, rec.Code)
		assert.Equal(t, envelope.DefaultChallenge, rec.Header().Get("WWW-Authenticate"))
		assert.Equal(t, `{"error":{"name":"UnauthorizedError","code":"UNAUTHORIZED","message":"Invalid credentials"}}`, rec.Body.String(), "the body is unchanged")

		rec = httptest.NewRecorder()
		envelope.Write(rec, httptest.NewRequest("GET", "/", nil), envelope.ErrUnauthorized.WithChallenge(`ApiKey realm="x"`))
		assert.Equal(t, []string{`ApiKey realm="x"`}, rec.Header().Values("WWW-Authenticate"), "an Error's own challenge wins")

		rec = httptest.NewRecorder()
		envelope.Write(rec, httptest.NewRequest("GET", "/", nil), envelope.ErrForbidden)
		assert.Empty(t, rec.Header().Values("WWW-Authenticate"), "other statuses get none by default")
	})
	t.Run("plain errors never leak their text", func(t *testing.T) {
		rec := httptest.NewRecorder()
		envelope.Write(rec, httptest.NewRequest("GET", "/", nil), assert.AnError)
		assert.Equal(t, 500, rec.Code)
		assert.Equal(t, `{"error":{"name":"InternalServerError","code":"INTERNAL_ERROR","message":"Internal server error"}}`, rec.Body.String())
	})
	t.Run("cause is never rendered", func(t *testing.T) {
		rec := httptest.NewRecorder()
		envelope.Write(rec, httptest.NewRequest("GET", "/", nil), envelope.ErrUnavailable.WithCause(assert.AnError))
		assert.Equal(t, 503, rec.Code)
		assert.NotContains(t, rec.Body.String(), assert.AnError.Error())
	})
	t.Run("nil error writes nothing", func(t *testing.T) {
		rec := httptest.NewRecorder()
		envelope.Write(rec, httptest.NewRequest("GET", "/", nil), nil)
		assert.Equal(t, 200, rec.Code)
		assert.Empty(t, rec.Body.String())
	})
	t.Run("messages are escaped", func(t *testing.T) {
		rec := httptest.NewRecorder()
		envelope.WriteStyle(rec, nil, envelope.Flat, envelope.ErrForbidden.WithMessage("a\"b\\c\n<x>&\x01\xff\u2028"))
		var got map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
		assert.Equal(t, "a\"b\\c\n<x>&\x01\ufffd\u2028", got["message"])
		assert.NotContains(t, rec.Body.String(), "<x>")
	})
}

func TestUseSelectsStyle(t *testing.T) {
	h := envelope.Use(envelope.Flat)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		envelope.Write(w, r, envelope.ErrUnauthorized.WithMessage("Invalid or missing API token"))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, `{"success":false,"error":"Unauthorized","message":"Invalid or missing API token"}`, rec.Body.String())

	// A middleware's own style wins over the context's.
	h = envelope.Use(envelope.Flat)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		envelope.WriteStyle(w, r, envelope.Numeric, envelope.ErrUnauthorized.WithNumber(-23))
	}))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, `{"code":-23,"message":"Invalid credentials"}`, rec.Body.String())
}

func TestErrorValues(t *testing.T) {
	e := envelope.ErrUnauthorized.WithMessage("Token expired").WithCause(assert.AnError)
	assert.ErrorIs(t, e, envelope.ErrUnauthorized, "copies match their sentinel")
	assert.ErrorIs(t, e, assert.AnError, "the cause is reachable server-side")
	assert.NotErrorIs(t, e, envelope.ErrForbidden)
	assert.Equal(t, "Invalid credentials", envelope.ErrUnauthorized.Message(), "sentinels are never modified")
	assert.NotContains(t, e.Error(), assert.AnError.Error())
	assert.Same(t, e, envelope.As(e))
	assert.Nil(t, envelope.As(nil))
	assert.Equal(t, 500, envelope.As(assert.AnError).Status)
}

func TestBearerChallenge(t *testing.T) {
	cases := []struct{ realm, code, desc, scope, want string }{
		{"api", "", "", "", `Bearer realm="api"`},
		{"", "", "", "", `Bearer`},
		{"api", "invalid_token", "The access token expired", "", `Bearer realm="api", error="invalid_token", error_description="The access token expired"`},
		{"", "insufficient_scope", "", "orders:write", `Bearer error="insufficient_scope", scope="orders:write"`},
		{`a"b\c` + "\r\n", "", "", "", `Bearer realm="a\"b\\c"`},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, envelope.BearerChallenge(tc.realm, tc.code, tc.desc, tc.scope))
	}
}

func TestQuotedString(t *testing.T) {
	assert.Equal(t, `"vouchers"`, envelope.QuotedString("vouchers"))
	assert.Equal(t, `""`, envelope.QuotedString(""))
	assert.Equal(t, `"a\"b\\c"`, envelope.QuotedString(`a"b\c`+"\r\n\x00\x7f"))
}

// TestWriteNonErrorStatus checks that an Error whose status is not 4xx or
// 5xx goes out as a 500, in the status line and in the body.
func TestWriteNonErrorStatus(t *testing.T) {
	for _, status := range []int{0, 103, 200, 302, 600} {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/x", nil)
		envelope.WriteStyle(rec, r, envelope.Problem, envelope.New(status, "OddError", "ODD", "odd"))
		assert.Equal(t, 500, rec.Code, "status %d", status)
		assert.Contains(t, rec.Body.String(), `"status":500`, "status %d", status)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	assert.EqualValues(t, 1, envelope.RetryAfterSeconds(0))
	assert.EqualValues(t, 1, envelope.RetryAfterSeconds(time.Millisecond))
	assert.EqualValues(t, 1, envelope.RetryAfterSeconds(time.Second))
	assert.EqualValues(t, 2, envelope.RetryAfterSeconds(time.Second+1))
	assert.EqualValues(t, 60, envelope.RetryAfterSeconds(time.Minute))
	assert.EqualValues(t, math.MaxInt64/int64(time.Second)+1, envelope.RetryAfterSeconds(math.MaxInt64), "no overflow")
	assert.EqualValues(t, 1, envelope.RetryAfterSeconds(math.MinInt64))
}

func TestSuccess(t *testing.T) {
	rec := httptest.NewRecorder()
	require.NoError(t, envelope.OK(rec, map[string]int{"client_id": 123456}))
	assert.Equal(t, 200, rec.Code)
	assert.Equal(t, `{"success":true,"data":{"client_id":123456}}`, rec.Body.String())
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))

	rec = httptest.NewRecorder()
	require.Error(t, envelope.Success(rec, 201, func() {}))
	assert.Empty(t, rec.Body.String(), "nothing is written when encoding fails")
}

func BenchmarkWriteNested(b *testing.B) {
	r := httptest.NewRequest("GET", "/", nil)
	e := envelope.ErrUnauthorized.WithChallenge(`Bearer realm="api"`)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		envelope.Write(w, r, e)
	}
}

type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

// TestOAuthCodeByStatus: a 403 is access_denied unless the Error names its
// own code; insufficient_scope is for scope refusals only (RFC 6750 §3.1),
// which say so.
func TestOAuthCodeByStatus(t *testing.T) {
	for _, tc := range []struct {
		e    error
		want string
	}{
		{envelope.ErrBadRequest, "invalid_request"},
		{envelope.ErrUnauthorized, "invalid_token"},
		{envelope.ErrForbidden, "access_denied"},
		{envelope.ErrForbidden.WithOAuthCode("insufficient_scope"), "insufficient_scope"},
		{envelope.ErrTooManyRequests, "slow_down"},
		{envelope.ErrUnavailable, "temporarily_unavailable"},
		{envelope.ErrInternal, "server_error"},
		{envelope.ErrNotFound, "invalid_request"},
	} {
		assert.Equal(t, tc.want, envelope.OAuthCode(envelope.As(tc.e)), "%d", envelope.As(tc.e).Status)
	}
	rec := httptest.NewRecorder()
	envelope.WriteStyle(rec, nil, envelope.OAuth, envelope.ErrForbidden.WithMessage("IP address not authorized"))
	assert.Equal(t, `{"error":"access_denied","error_description":"IP address not authorized"}`, rec.Body.String())
}
