package envelope_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/envelope"
)

// pathStyle renders the request's path: a style whose body depends on the
// request, which must never be prerendered.
var pathStyle = envelope.StyleFunc(func(r *http.Request, e *envelope.Error) ([]byte, string) {
	path := "<nil>"
	if r != nil {
		path = r.URL.Path
	}
	return []byte(e.Code + " at " + path), "text/plain; charset=utf-8"
})

// causeStyle renders the error's cause, which a Style must not do; it
// shows that a Prepared hands such a style the very error WriteStyle would.
var causeStyle = envelope.StyleFunc(func(_ *http.Request, e *envelope.Error) ([]byte, string) {
	return fmt.Appendf(nil, "%v", errors.Unwrap(e)), "text/plain"
})

// response is what a client sees of one response.
type response struct {
	Code   int
	Header http.Header
	Body   string
}

// record runs write against a fresh recorder that already carries a
// header of the middleware's own (DPoP-Nonce, say) and returns the
// response.
func record(write func(w http.ResponseWriter)) response {
	rec := httptest.NewRecorder()
	rec.Header().Set("Dpop-Nonce", "n-1")
	write(rec)
	return response{rec.Code, rec.Header().Clone(), rec.Body.String()}
}

// assertSameAsWriteStyle checks that p, prepared with style and err,
// writes what WriteStyle does for r: twice (the first write may render a
// body the second reuses), and through WriteError with err itself, with
// a copy of it carrying another cause and with an unrelated error.
func assertSameAsWriteStyle(t *testing.T, style envelope.Style, err error, r *http.Request) {
	t.Helper()
	p := envelope.Prepare(style, err)
	want := record(func(w http.ResponseWriter) { envelope.WriteStyle(w, r, style, err) })
	for i := range 2 {
		got := record(func(w http.ResponseWriter) { p.Write(w, r) })
		assert.Equal(t, want, got, "Write, time %d", i+1)
	}
	assert.Equal(t, want, record(func(w http.ResponseWriter) { p.WriteError(w, r, err) }), "WriteError of the prepared error")

	if e := envelope.As(err); e != nil {
		other := e.WithCause(errors.New("another cause"))
		want := record(func(w http.ResponseWriter) { envelope.WriteStyle(w, r, style, other) })
		assert.Equal(t, want, record(func(w http.ResponseWriter) { p.WriteError(w, r, other) }), "WriteError with another cause")
	}
	unrelated := envelope.ErrNotFound.WithMessage("No such order")
	want = record(func(w http.ResponseWriter) { envelope.WriteStyle(w, r, style, unrelated) })
	assert.Equal(t, want, record(func(w http.ResponseWriter) { p.WriteError(w, r, unrelated) }), "WriteError of another error")
}

func TestPreparedWritesAsWriteStyle(t *testing.T) {
	plain := httptest.NewRequest("GET", "/orders/7", nil)
	inStyle := func(s envelope.Style) *http.Request {
		return plain.WithContext(envelope.WithStyle(plain.Context(), s))
	}
	codes := envelope.NumericStyle{Codes: map[string]int{"UNAUTHORIZED": -23, "FORBIDDEN": -24}}

	unauth := envelope.ErrUnauthorized.WithMessage("Invalid token").WithOAuthCode("invalid_token").
		WithChallenge(`Bearer realm="api", error="invalid_token"`)
	errorsUnderTest := []struct {
		name string
		err  error
	}{
		{"401 with challenge", unauth},
		{"401 without challenge", envelope.ErrUnauthorized},
		{"401 with challenge set as a field", &envelope.Error{Status: 401, Name: "UnauthorizedError", Code: "UNAUTHORIZED", Challenge: `ApiKey realm="x"`}},
		{"403 with field and number", envelope.ErrForbidden.WithField("scope").WithNumber(-7).WithMessage(`<"scope"> & more`)},
		{"429 with retry-after", envelope.ErrTooManyRequests.WithRetryAfter(1500 * time.Millisecond)},
		{"503 with retry-after and cause", envelope.ErrUnavailable.WithRetryAfter(time.Minute).WithCause(errors.New("store down"))},
		{"with cause", unauth.WithCause(errors.New("signature mismatch"))},
		{"status 200", envelope.New(200, "OK", "FINE", "not an error status")},
		{"status 302", envelope.New(302, "Found", "MOVED", "")},
		{"status 0", &envelope.Error{Code: "ZERO"}},
		{"status 600", envelope.New(600, "Odd", "ODD", "x")},
		{"status 499", envelope.New(499, "ClientClosed", "CLOSED", "")},
		{"invalid UTF-8 and controls", envelope.ErrBadRequest.WithMessage("bad \xff\n\u2028 input")},
		{"a Kind", envelope.ErrForbidden},
		{"a wrapped Error", fmt.Errorf("decide: %w", unauth)},
		{"a plain error", errors.New("database password is hunter2")},
		{"nil", nil},
	}
	styles := []struct {
		name  string
		style envelope.Style
		r     *http.Request
	}{
		{"Nested", envelope.Nested, plain},
		{"Flat", envelope.Flat, plain},
		{"Numeric", envelope.Numeric, plain},
		{"OAuth", envelope.OAuth, plain},
		{"Problem", envelope.Problem, plain},
		{"BuiltinStyle out of range", envelope.BuiltinStyle(42), plain},
		{"Nested beside a context style", envelope.Nested, inStyle(envelope.Flat)},
		{"NumericStyle with codes", codes, plain},
		{"NumericStyle without codes", envelope.NumericStyle{}, plain},
		{"StyleFunc reading the request", pathStyle, plain},
		{"StyleFunc reading the cause", causeStyle, plain},
		{"nil, no context style", nil, plain},
		{"nil, no request", nil, nil},
		{"nil, context Nested", nil, inStyle(envelope.Nested)},
		{"nil, context Flat", nil, inStyle(envelope.Flat)},
		{"nil, context Numeric", nil, inStyle(envelope.Numeric)},
		{"nil, context OAuth", nil, inStyle(envelope.OAuth)},
		{"nil, context Problem", nil, inStyle(envelope.Problem)},
		{"nil, context BuiltinStyle out of range", nil, inStyle(envelope.BuiltinStyle(200))},
		{"nil, context NumericStyle with codes", nil, inStyle(codes)},
		{"nil, context NumericStyle without codes", nil, inStyle(envelope.NumericStyle{})},
		{"nil, context StyleFunc", nil, inStyle(pathStyle)},
		{"nil, context nil style", nil, inStyle(nil)},
		{"Problem, no request", envelope.Problem, nil},
	}
	for _, s := range styles {
		for _, e := range errorsUnderTest {
			t.Run(s.name+"/"+e.name, func(t *testing.T) {
				assertSameAsWriteStyle(t, s.style, e.err, s.r)
			})
		}
	}
}

// TestPreparedInsideUse: the style Use selects reaches a Prepared of a nil
// style, and a Recover around it still renders its own 500 in that style.
func TestPreparedInsideUse(t *testing.T) {
	p := envelope.Prepare(nil, envelope.ErrForbidden.WithMessage("IP address not authorized"))
	for _, style := range []envelope.Style{envelope.Flat, envelope.Problem, pathStyle} {
		prepared := envelope.Recover(nil)(envelope.Use(style)(http.HandlerFunc(p.Write)))
		direct := envelope.Recover(nil)(envelope.Use(style)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			envelope.Write(w, r, envelope.ErrForbidden.WithMessage("IP address not authorized"))
		})))
		r := httptest.NewRequest("GET", "/admin", nil)
		want := record(func(w http.ResponseWriter) { direct.ServeHTTP(w, r) })
		assert.Equal(t, want, record(func(w http.ResponseWriter) { prepared.ServeHTTP(w, r) }))
	}
}

// TestPreparedIsASnapshot: changing the Error after Prepare, or the
// NumericStyle's map, is handled as WriteStyle handles it — the Error as it
// was prepared, the map as it is now.
func TestPreparedIsASnapshot(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	e := envelope.ErrUnauthorized.WithChallenge(`Bearer realm="a"`)
	prepared := *e
	p := envelope.Prepare(envelope.Nested, e)
	e.Message, e.Challenge, e.Status = "changed", `Bearer realm="b"`, 403
	want := record(func(w http.ResponseWriter) { envelope.WriteStyle(w, r, envelope.Nested, &prepared) })
	assert.Equal(t, want, record(func(w http.ResponseWriter) { p.Write(w, r) }))

	codes := map[string]int{"FORBIDDEN": -24}
	style := envelope.NumericStyle{Codes: codes}
	p = envelope.Prepare(style, envelope.ErrForbidden)
	for _, change := range []func(){
		func() {},
		func() { codes["FORBIDDEN"] = -25 },
		func() { delete(codes, "FORBIDDEN") },
		func() { codes["FORBIDDEN"] = -24 },
	} {
		change()
		want := record(func(w http.ResponseWriter) { envelope.WriteStyle(w, r, style, envelope.ErrForbidden) })
		assert.Equal(t, want, record(func(w http.ResponseWriter) { p.Write(w, r) }), "codes %v", codes)
	}
}

// TestPreparedSharesNothingWritable: what one response does with its
// header values does not reach the next response.
func TestPreparedSharesNothingWritable(t *testing.T) {
	p := envelope.Prepare(nil, envelope.ErrTooManyRequests.WithRetryAfter(time.Second).WithChallenge(`Bearer realm="api"`))
	r := httptest.NewRequest("GET", "/", nil)
	first := httptest.NewRecorder()
	p.Write(first, r)
	for _, name := range []string{"Retry-After", "Www-Authenticate", "Content-Type", "Cache-Control"} {
		first.Header().Add(name, "appended")
	}
	second := httptest.NewRecorder()
	p.Write(second, r)
	assert.Equal(t, []string{"1"}, second.Header()["Retry-After"])
	assert.Equal(t, []string{`Bearer realm="api"`}, second.Header()["Www-Authenticate"])
	assert.Equal(t, []string{"application/json"}, second.Header()["Content-Type"])
	assert.Equal(t, []string{"no-store"}, second.Header()["Cache-Control"])
}

// TestPreparedConcurrent renders the lazily prerendered styles from many
// goroutines at once (run with -race).
func TestPreparedConcurrent(t *testing.T) {
	p := envelope.Prepare(nil, envelope.ErrForbidden)
	base := httptest.NewRequest("GET", "/", nil)
	var wg sync.WaitGroup
	for i := range 16 {
		style := envelope.BuiltinStyle(i % 5)
		r := base.WithContext(envelope.WithStyle(base.Context(), style))
		want := record(func(w http.ResponseWriter) { envelope.WriteStyle(w, r, nil, envelope.ErrForbidden) })
		wg.Go(func() {
			for range 50 {
				if got := record(func(w http.ResponseWriter) { p.Write(w, r) }); !reflect.DeepEqual(want, got) {
					t.Errorf("style %d: %+v, want %+v", style, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestPreparedComparesEveryField guards WriteError's comparison: a field
// added to Error must be added to it too (envelope's sameResponse), or
// WriteError would send a prepared body for an error that renders
// differently.
func TestPreparedComparesEveryField(t *testing.T) {
	var names []string
	typ := reflect.TypeFor[envelope.Error]()
	for i := range typ.NumField() {
		names = append(names, typ.Field(i).Name)
	}
	assert.Equal(t, []string{"Status", "Name", "Code", "Number", "HasNumber", "OAuthCode", "Message", "Field",
		"Challenge", "RetryAfter", "cause", "challengeHdr"}, names,
		"Error's fields changed: update sameResponse in prepared.go, then this list")

	// Each field on its own makes WriteError render the error it is given.
	base := envelope.ErrForbidden.WithMessage("m")
	p := envelope.Prepare(envelope.Problem, base)
	r := httptest.NewRequest("GET", "/", nil)
	for name, e := range map[string]*envelope.Error{
		"Status":     envelope.New(404, base.Name, base.Code, base.Message),
		"Name":       envelope.New(403, "Other", base.Code, base.Message),
		"Code":       envelope.New(403, base.Name, "OTHER", base.Message),
		"Number":     base.WithNumber(3),
		"OAuthCode":  base.WithOAuthCode("x"),
		"Message":    base.WithMessage("n"),
		"Field":      base.WithField("f"),
		"Challenge":  base.WithChallenge("Basic"),
		"RetryAfter": base.WithRetryAfter(time.Hour),
	} {
		want := record(func(w http.ResponseWriter) { envelope.WriteStyle(w, r, envelope.Problem, e) })
		assert.Equal(t, want, record(func(w http.ResponseWriter) { p.WriteError(w, r, e) }), name)
	}
}

func TestPreparedWritesWithoutAllocating(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	flat := r.WithContext(envelope.WithStyle(r.Context(), envelope.Flat))
	unauth := envelope.ErrUnauthorized.WithChallenge(`Bearer realm="api", error="invalid_token"`)
	for _, tc := range []struct {
		name  string
		style envelope.Style
		err   error
		r     *http.Request
	}{
		{"nil style, Nested", nil, unauth, r},
		{"nil style, context Flat", nil, unauth, flat},
		{"Nested", envelope.Nested, unauth, r},
		{"Problem", envelope.Problem, envelope.ErrForbidden, r},
		{"NumericStyle with codes", envelope.NumericStyle{Codes: map[string]int{"UNAUTHORIZED": -23}}, unauth, r},
		{"401 with the default challenge", nil, envelope.ErrUnauthorized, r},
		{"Retry-After", nil, envelope.ErrTooManyRequests.WithRetryAfter(time.Second), r},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := envelope.Prepare(tc.style, tc.err)
			w := &discardWriter{h: http.Header{}}
			write := func() {
				clear(w.h)
				p.Write(w, tc.r)
			}
			write() // a lazily prerendered style is rendered here
			assert.Zero(t, testing.AllocsPerRun(100, write))
			withCause := envelope.As(tc.err).WithCause(errors.New("cause"))
			assert.Zero(t, testing.AllocsPerRun(100, func() {
				clear(w.h)
				p.WriteError(w, tc.r, withCause)
			}), "WriteError")
		})
	}
}

func TestPrepareNil(t *testing.T) {
	p := envelope.Prepare(envelope.Nested, nil)
	require.NotNil(t, p)
	rec := httptest.NewRecorder()
	p.Write(rec, httptest.NewRequest("GET", "/", nil))
	assert.Empty(t, rec.Header())
	assert.Empty(t, rec.Body.String())
	p.WriteError(rec, nil, nil)
	assert.Empty(t, rec.Header())
}

// FuzzPrepared: for any Error and any style, a Prepared writes what
// WriteStyle writes.
func FuzzPrepared(f *testing.F) {
	f.Add(401, "UnauthorizedError", "UNAUTHORIZED", "Invalid credentials", "", "", `Bearer realm="api"`, 0, false, int64(0), uint8(0), uint8(0), false)
	f.Add(429, "TooManyRequestsError", "TOO_MANY_REQUESTS", "", "slow_down", "", "", -4, true, int64(1500*time.Millisecond), uint8(3), uint8(4), true)
	f.Add(200, "", "", "<\xff>", "", "name", "", 0, false, int64(-1), uint8(7), uint8(9), false)
	f.Fuzz(func(t *testing.T, status int, name, code, message, oauth, field, challenge string,
		number int, hasNumber bool, retry int64, styleSel, ctxSel uint8, withCause bool) {
		var e *envelope.Error
		if challenge != "" && len(challenge)%2 == 0 {
			e = envelope.New(status, name, code, message).WithChallenge(challenge) // with its precomputed slice
		} else {
			e = envelope.New(status, name, code, message)
			e.Challenge = challenge
		}
		e.OAuthCode, e.Field, e.Number, e.HasNumber, e.RetryAfter = oauth, field, number, hasNumber, time.Duration(retry)
		if withCause {
			e = e.WithCause(errors.New("cause"))
		}
		styles := []envelope.Style{nil, envelope.Nested, envelope.Flat, envelope.Numeric, envelope.OAuth, envelope.Problem,
			envelope.BuiltinStyle(99), envelope.NumericStyle{Codes: map[string]int{code: number + 1}}, pathStyle}
		style := styles[int(styleSel)%len(styles)]
		r := httptest.NewRequest("GET", "/p", nil)
		if cs := styles[int(ctxSel)%len(styles)]; cs != nil {
			r = r.WithContext(envelope.WithStyle(r.Context(), cs))
		}
		p := envelope.Prepare(style, e)
		want := record(func(w http.ResponseWriter) { envelope.WriteStyle(w, r, style, e) })
		if got := record(func(w http.ResponseWriter) { p.Write(w, r) }); !reflect.DeepEqual(want, got) {
			t.Fatalf("Write: %+v, want %+v", got, want)
		}
		if got := record(func(w http.ResponseWriter) { p.WriteError(w, r, e.WithCause(nil)) }); !reflect.DeepEqual(want, got) {
			t.Fatalf("WriteError: %+v, want %+v", got, want)
		}
	})
}

func BenchmarkWritePrepared(b *testing.B) {
	r := httptest.NewRequest("GET", "/", nil)
	p := envelope.Prepare(nil, envelope.ErrUnauthorized.WithChallenge(`Bearer realm="api"`))
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		p.Write(w, r)
	}
}
