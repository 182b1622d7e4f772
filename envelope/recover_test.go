package envelope_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/internal/logbuf"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/ratelimit"
)

// recoverServer serves h behind Recover on loopback, logging as JSON to
// the returned buffer.
func recoverServer(t *testing.T, h http.Handler) (*httptest.Server, *logbuf.Buffer) {
	t.Helper()
	logs := &logbuf.Buffer{}
	srv := httptest.NewServer(envelope.Recover(slog.New(slog.NewJSONHandler(logs, nil)))(h))
	// net/http logs the aborted responses itself; keep the test output clean.
	srv.Config.ErrorLog = nil
	t.Cleanup(srv.Close)
	return srv, logs
}

const secretKey = "0123456789abcdef0123456789abcdef"

// TestRecoverCallbacks guards against a panicking user callback dropping
// the connection: behind Recover, a panic in a bearer
// Validate or Custom function, an apikey Tenant function, a ratelimit
// KeyFunc or Limits function answers 500 in the envelope style Use chose,
// over a real server, and logs one line with the panic, method, path and
// stack — and nothing of the credentials.
func TestRecoverCallbacks(t *testing.T) {
	boom := func() { panic("callback exploded") }
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })

	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	jwtToken, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "user-1", "jti": "j1", "exp": now.Add(time.Hour).Unix(),
	}).SignedString([]byte(secretKey))
	require.NoError(t, err)
	bearerWith := func(mod func(*bearer.Config)) http.Handler {
		cfg := bearer.Config{
			Algorithms: []string{"HS256"},
			Keys:       []bearer.Key{{Algorithm: "HS256", Key: []byte(secretKey)}},
			Now:        func() time.Time { return now },
		}
		mod(&cfg)
		a, err := bearer.New(cfg)
		require.NoError(t, err)
		t.Cleanup(func() { _ = a.Close() })
		return a.Middleware(ok)
	}

	store := apikey.NewMemoryStore()
	key, rec, err := apikey.Generate("live")
	require.NoError(t, err)
	rec.Tenant = "acme"
	require.NoError(t, store.Put(context.Background(), rec))
	keys, err := apikey.New(apikey.Config{
		Store: store, Header: "X-Api-Key",
		Tenant: func(*http.Request) string { boom(); return "" },
	})
	require.NoError(t, err)

	withPrincipal := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipal(r.Context(), gatehouse.Principal{Subject: "s", TokenID: "t"})))
		})
	}

	type claims struct{ Sub string }
	cases := []struct {
		name    string
		h       http.Handler
		headers map[string]string
	}{
		{"bearer Validate", bearerWith(func(c *bearer.Config) {
			c.Validate = func(context.Context, bearer.Claims) error { boom(); return nil }
		}), map[string]string{"Authorization": "Bearer " + jwtToken}},
		{"bearer Custom", bearerWith(func(c *bearer.Config) {
			c.Custom = bearer.Custom(func(context.Context, *claims) error { boom(); return nil })
		}), map[string]string{"Authorization": "Bearer " + jwtToken}},
		{"apikey Tenant", keys.Middleware(ok), map[string]string{"X-Api-Key": key}},
		{"ratelimit KeyFunc", limiter(t, ratelimit.Config{
			Key: func(*http.Request) string { boom(); return "" },
		}).Middleware(ok), nil},
		{"ratelimit Limits", withPrincipal(limiter(t, ratelimit.Config{
			Limits: func(gatehouse.Principal) (ratelimit.Limit, bool) { boom(); return ratelimit.Limit{}, false },
		}).Middleware(ok)), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, logs := recoverServer(t, envelope.Use(envelope.Flat)(tc.h))
			client := srv.Client()
			client.Timeout = 10 * time.Second // a callback that left a lock held would hang the second request
			for attempt := 1; attempt <= 2; attempt++ {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/orders/7?access=query-secret", nil)
				require.NoError(t, err)
				for k, v := range tc.headers {
					req.Header.Set(k, v)
				}
				res, err := client.Do(req)
				require.NoError(t, err, "the connection must survive the panic")
				body, _ := io.ReadAll(res.Body)
				_ = res.Body.Close()
				assert.Equal(t, http.StatusInternalServerError, res.StatusCode)
				assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
				assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
				assert.JSONEq(t, `{"success":false,"error":"Internal Server Error","message":"Internal server error"}`, string(body))
				assert.Equal(t, attempt, strings.Count(logs.String(), "\n"), "one log line per panic")
			}

			line := strings.SplitN(logs.String(), "\n", 2)[0]
			assert.Contains(t, line, `"level":"ERROR"`)
			assert.Contains(t, line, `"method":"POST"`)
			assert.Contains(t, line, `"path":"/orders/7"`)
			assert.Contains(t, line, `"panic":"callback exploded"`)
			assert.Contains(t, line, `"stack":"goroutine `)
			assert.Contains(t, line, "runtime/debug.Stack")
			assert.NotContains(t, line, "query-secret")
			for _, v := range tc.headers {
				assert.NotContains(t, line, strings.TrimPrefix(v, "Bearer "), "a credential was logged")
			}
		})
	}
}

// TestRecoverStyle checks the 500 follows the request's style: the
// innermost Use inside Recover, else a Use outside it, else Nested; and
// that the headers a failed handler set are not sent.
func TestRecoverStyle(t *testing.T) {
	panicking := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Set-Cookie", "session=half-made")
		w.Header().Set("Content-Length", "9999")
		panic(errors.New("boom"))
	})
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	// A writer wrapper between Recover and Use, as logging middleware adds.
	wrapped := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(unwrapper{w}, r)
		})
	}
	cases := []struct {
		name string
		h    http.Handler
		want string
	}{
		{"no style", envelope.Recover(logger)(panicking),
			`{"error":{"name":"InternalServerError","code":"INTERNAL_ERROR","message":"Internal server error"}}`},
		{"Use inside", envelope.Recover(logger)(envelope.Use(envelope.OAuth)(panicking)),
			`{"error":"server_error","error_description":"Internal server error"}`},
		{"innermost Use wins", envelope.Recover(logger)(envelope.Use(envelope.Flat)(envelope.Use(envelope.Numeric)(panicking))),
			`{"code":500,"message":"Internal server error"}`},
		{"Use inside a wrapping writer", envelope.Recover(logger)(wrapped(envelope.Use(envelope.OAuth)(panicking))),
			`{"error":"server_error","error_description":"Internal server error"}`},
		{"Use outside", envelope.Use(envelope.Flat)(envelope.Recover(logger)(panicking)),
			`{"success":false,"error":"Internal Server Error","message":"Internal server error"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.h)
			t.Cleanup(srv.Close)
			res, err := srv.Client().Get(srv.URL)
			require.NoError(t, err)
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			_ = res.Body.Close()
			assert.Equal(t, http.StatusInternalServerError, res.StatusCode)
			assert.JSONEq(t, tc.want, string(body))
			assert.Empty(t, res.Header.Values("Set-Cookie"))
		})
	}
}

type unwrapper struct{ http.ResponseWriter }

func (u unwrapper) Unwrap() http.ResponseWriter { return u.ResponseWriter }

// TestRecoverAfterHeaders checks a panic after the response started is
// logged and aborts the response (no 500 glued to a 200), whether the
// headers went out by Write, WriteHeader or a flush through
// http.ResponseController.
func TestRecoverAfterHeaders(t *testing.T) {
	cases := map[string]func(w http.ResponseWriter){
		"Write":       func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"partial":`)) },
		"WriteHeader": func(w http.ResponseWriter) { w.WriteHeader(http.StatusAccepted) },
		"Flush":       func(w http.ResponseWriter) { w.(http.Flusher).Flush() },
		"ResponseController": func(w http.ResponseWriter) {
			if err := http.NewResponseController(w).Flush(); err != nil {
				panic(err)
			}
		},
	}
	for name, start := range cases {
		t.Run(name, func(t *testing.T) {
			srv, logs := recoverServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				start(w)
				panic("late")
			}))
			res, err := srv.Client().Get(srv.URL + "/stream")
			if err == nil {
				_, err = io.ReadAll(res.Body)
				_ = res.Body.Close()
				assert.NotEqual(t, http.StatusInternalServerError, res.StatusCode)
			}
			require.Error(t, err, "the client must see a broken response")
			assert.Contains(t, logs.String(), `"panic":"late"`)
			assert.Contains(t, logs.String(), `"response_started":true`)
			assert.Contains(t, logs.String(), `"stack":"goroutine `)
		})
	}
}

// TestRecoverErrAbortHandler checks http.ErrAbortHandler passes through
// Recover unlogged, so net/http aborts the response as the handler asked.
func TestRecoverErrAbortHandler(t *testing.T) {
	logs := &logbuf.Buffer{}
	h := envelope.Recover(slog.New(slog.NewTextHandler(logs, nil)))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	})
	assert.Empty(t, logs.String())

	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	srv.Config.ErrorLog = nil
	_, err := srv.Client().Get(srv.URL)
	assert.Error(t, err, "no response: the connection is aborted")
	assert.Empty(t, logs.String())
}

// TestRecoverPassThrough checks a handler that does not panic is served
// unchanged, and that the writer keeps Hijack for handlers that need it.
func TestRecoverPassThrough(t *testing.T) {
	srv, logs := recoverServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hijack" {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(err)
			}
			_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
			_ = buf.Flush()
			_ = conn.Close()
			return
		}
		_ = envelope.OK(w, map[string]string{"hello": "world"})
	}))
	res, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.JSONEq(t, `{"success":true,"data":{"hello":"world"}}`, string(body))

	res, err = srv.Client().Get(srv.URL + "/hijack")
	require.NoError(t, err)
	body, _ = io.ReadAll(res.Body)
	_ = res.Body.Close()
	assert.Equal(t, "hijacked", string(body))
	assert.Empty(t, logs.String())
}

// limiter returns the Limiter of cfg, failing t when New fails.
func limiter(t *testing.T, cfg ratelimit.Config) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(cfg)
	require.NoError(t, err)
	return l
}

// A Style that panics is a user callback too: Recover answers the 500 with
// the Nested style rather than panic again with the same one (which would
// drop the connection), over a real server.
func TestRecoverPanickingStyle(t *testing.T) {
	style := envelope.StyleFunc(func(r *http.Request, e *envelope.Error) ([]byte, string) {
		panic("a bug in the application's style")
	})
	h := envelope.Recover(slog.New(slog.DiscardHandler))(envelope.Use(style)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		envelope.Write(w, r, envelope.ErrUnauthorized)
	})))
	srv := httptest.NewServer(h)
	srv.Config.ErrorLog = nil
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatalf("connection dropped instead of a 500: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Contains(t, string(body), `"error"`)
}

// A ResponseWriter that panics on its first Write, after the header went
// out (as a writer outside Recover may, e.g. with http.ErrAbortHandler).
type panickyWriter struct {
	http.ResponseWriter
	headers, writes int
}

func (p *panickyWriter) WriteHeader(code int) { p.headers++; p.ResponseWriter.WriteHeader(code) }
func (p *panickyWriter) Write(b []byte) (int, error) {
	p.writes++
	if p.writes == 1 {
		panic(http.ErrAbortHandler)
	}
	return p.ResponseWriter.Write(b)
}

// TestRecoverPassesOnAWriterPanic: only the style's rendering of the 500
// is guarded; a panic of the ResponseWriter while the 500 is written
// (http.ErrAbortHandler here) goes on, and the 500 is not written twice.
func TestRecoverPassesOnAWriterPanic(t *testing.T) {
	rec := httptest.NewRecorder()
	pw := &panickyWriter{ResponseWriter: rec}
	h := envelope.Recover(slog.New(slog.NewTextHandler(io.Discard, nil)))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))
	var aborted any
	func() {
		defer func() { aborted = recover() }()
		h.ServeHTTP(pw, httptest.NewRequest("GET", "/", nil))
	}()
	if pw.headers != 1 || aborted != http.ErrAbortHandler {
		t.Errorf("WriteHeader called %d times, body %q, panic passed on: %v; want one WriteHeader and http.ErrAbortHandler passed on",
			pw.headers, bytes.TrimSpace(rec.Body.Bytes()), aborted)
	}
}
