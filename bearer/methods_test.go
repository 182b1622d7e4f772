package bearer

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOneTokenMethod covers a request that carries a valid Authorization
// header and also an access_token in the query or the
// form body: RFC 6750 §2 allows one method only, so it is 400
// invalid_request, although this package never reads a token from the URL
// or the body. Bodies the check reads reach the handler intact.
func TestOneTokenMethod(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	a := mustNew(t, baseConfig(c, hs))
	good := hs.sign(t, claimsAt(t0), nil)
	const form = "application/x-www-form-urlencoded"
	twoMethods := `Bearer realm="api", error="invalid_request", error_description="Send the access token in one place only"`

	tests := []struct {
		name        string
		method      string
		target      string
		contentType string
		body        string
		status      int
		cause       error
	}{
		{"query", "GET", "/api?access_token=" + good, "", "", 400, ErrMultipleMethods},
		{"query, empty value", "GET", "/api?a=1&access_token=", "", "", 400, ErrMultipleMethods},
		{"query, bare name", "GET", "/api?x=1&access_token", "", "", 400, ErrMultipleMethods},
		{"query, escaped name", "GET", "/api?access%5Ftoken=x", "", "", 400, ErrMultipleMethods},
		{"query, plus in value", "GET", "/api?q=a+b&access_token=x", "", "", 400, ErrMultipleMethods},
		{"query, other names", "GET", "/api?my_access_token=x&access_token_hint=y&q=access_token", "", "", 204, nil},
		{"query, bad escape elsewhere", "GET", "/api?q=%zz", "", "", 204, nil},
		{"form", "POST", "/api", form, "a=1&access_token=" + good, 400, ErrMultipleMethods},
		{"form with charset", "POST", "/api", "Application/X-WWW-Form-Urlencoded; charset=utf-8", "access_token=x", 400, ErrMultipleMethods},
		{"form, escaped name", "PUT", "/api", form, "access%5ftoken=x", 400, ErrMultipleMethods},
		{"form, GET", "GET", "/api", form, "access_token=x", 400, ErrMultipleMethods},
		{"form without the parameter", "POST", "/api", form, "a=1&b=access_token", 204, nil},
		{"JSON body naming access_token", "POST", "/api", "application/json", `{"access_token":"x"}`, 204, nil},
		{"multipart body naming access_token", "POST", "/api", "multipart/form-data; boundary=x", "access_token=x", 204, nil},
		{"form at the cap", "POST", "/api", form, "a=" + strings.Repeat("b", MaxFormBytes-2), 204, nil},
		{"form over the cap", "POST", "/api", form, "a=" + strings.Repeat("b", MaxFormBytes-1), 413, ErrFormTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			r.Header.Set("Authorization", "Bearer "+good)
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			var seen string
			h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, err := io.ReadAll(r.Body)
				require.NoError(t, err)
				seen = string(b)
				w.WriteHeader(http.StatusNoContent)
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			if tc.status == 204 {
				assert.Equal(t, tc.body, seen, "the handler reads the whole body")
				return
			}
			if tc.status == 400 {
				assert.Equal(t, twoMethods, rec.Header().Get("WWW-Authenticate"))
				assert.Contains(t, rec.Body.String(), "Send the access token in one place only")
			}
			_, err := a.Check(httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body)))
			assert.ErrorIs(t, err, ErrNoToken, "without the header the query or form is not a credential")
			r2 := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			r2.Header = r.Header.Clone()
			_, err = a.Check(r2)
			assert.ErrorIs(t, err, tc.cause)
		})
	}
}

// TestOneTokenMethodBodyReadError: a form body that fails while the check
// reads it reaches the handler with the same bytes and the same error.
func TestOneTokenMethodBodyReadError(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	a := mustNew(t, baseConfig(c, hs))
	boom := errors.New("connection reset")
	r := httptest.NewRequest("POST", "/api", io.MultiReader(strings.NewReader("a=1&b"), iotest.ErrReader(boom)))
	r.Header.Set("Authorization", "Bearer "+hs.sign(t, claimsAt(t0), nil))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var seen []byte
	var readErr error
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, readErr = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	assert.Equal(t, 204, rec.Code)
	assert.Equal(t, "a=1&b", string(seen))
	assert.ErrorIs(t, readErr, boom)
}

// BenchmarkOtherMethod measures the one-method check on the hot path: a
// request with a short query and a JSON body (nothing to read).
func BenchmarkOtherMethod(b *testing.B) {
	r := httptest.NewRequest("POST", "/api/v1/orders?page=2&limit=50", strings.NewReader(`{}`))
	r.Header.Set("Content-Type", "application/json")
	b.ReportAllocs()
	for b.Loop() {
		if otherMethod(r) != rOK {
			b.Fatal("refused")
		}
	}
}

// FuzzHasParam: whenever net/url (what handlers parse queries and forms
// with) finds an access_token parameter, hasParam finds it too.
func FuzzHasParam(f *testing.F) {
	for _, s := range []string{"access_token=x", "a=1&access%5Ftoken", "access_token", "x=access_token", "%61ccess_token=1", "a;b&access_token=", "access_token+=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		vals, _ := url.ParseQuery(q)
		if _, ok := vals[tokenParam]; ok && !hasParam(q, tokenParam) {
			t.Fatalf("net/url finds access_token in %q, hasParam does not", q)
		}
	})
}

func TestOneMethod(t *testing.T) {
	for _, tc := range []struct {
		target, contentType, body string
		want                      error
	}{
		{"/", "", "", nil},
		{"/?a=1", "application/x-www-form-urlencoded", "b=2", nil},
		{"/?access_token=", "", "", ErrMultipleMethods},
		{"/", "Application/X-WWW-Form-Urlencoded; charset=UTF-8", "x=1&access%5Ftoken=t", ErrMultipleMethods},
		{"/", "application/x-www-form-urlencoded", "a=" + strings.Repeat("b", MaxFormBytes), ErrFormTooLarge},
		{"/", "application/json", `{"access_token":"t"}`, nil},
	} {
		r := httptest.NewRequest("POST", tc.target, strings.NewReader(tc.body))
		if tc.contentType != "" {
			r.Header.Set("Content-Type", tc.contentType)
		}
		err := OneMethod(r)
		if tc.want == nil {
			assert.NoError(t, err, "%s %q", tc.target, tc.body)
		} else {
			assert.ErrorIs(t, err, tc.want, "%s %q", tc.target, tc.body)
		}
		rest, _ := io.ReadAll(r.Body)
		assert.Equal(t, tc.body, string(rest), "the body is put back")
	}
}
