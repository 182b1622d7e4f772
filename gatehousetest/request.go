package gatehousetest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/dpop"
)

// A RequestOption changes a request of [Request]. It may fail the test
// (a DPoP proof that cannot be signed).
type RequestOption func(t TB, r *http.Request)

// Request returns an incoming server request for method and target, as
// httptest.NewRequest builds it (a target of a path alone has the host
// example.com; a full URL sets the host), changed by opts in order. It
// fails the test on an invalid method or target.
func Request(t TB, method, target string, opts ...RequestOption) *http.Request {
	t.Helper()
	r, err := newRequest(method, target)
	if err != nil {
		t.Fatalf("gatehousetest: Request(%q, %q): %v", method, target, err)
	}
	for _, o := range opts {
		o(t, r)
	}
	return r
}

// newRequest is httptest.NewRequest, which panics on bad input, with an
// error instead.
func newRequest(method, target string) (r *http.Request, err error) {
	defer func() {
		if v := recover(); v != nil {
			r, err = nil, fmt.Errorf("%v", v)
		}
	}()
	return httptest.NewRequest(method, target, nil), nil
}

// Serve runs h for r and returns what it answered.
func Serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// WithBearer sends token in "Authorization: Bearer".
func WithBearer(token string) RequestOption {
	return func(_ TB, r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// WithDPoP sends a token bound to key (see [BoundTo]) the DPoP way:
// "Authorization: DPoP <token>" and a DPoP header with a fresh proof of
// key for the request's method and URL (its scheme, https with r.TLS set,
// else http; its host; its path), as a DPoP client does. Use it as the
// last option when an earlier one changes the method or URL. A dpop
// verifier with a Config.Origin expects proofs for that origin: build
// those with [DPoPProof].
func WithDPoP(key *dpop.Signer, token string, opts ...ProofOption) RequestOption {
	return func(t TB, r *http.Request) {
		t.Helper()
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		proof := DPoPProof(t, key, r.Method, scheme+"://"+r.Host+r.URL.EscapedPath(), token, opts...)
		r.Header.Set("Authorization", "DPoP "+token)
		r.Header.Set("DPoP", proof)
	}
}

// WithAPIKey sends key in the header apikey.Authenticator reads by
// default, "ApiKey"; for another header use WithHeader.
func WithAPIKey(key string) RequestOption {
	return WithHeader(apikey.DefaultHeader, key)
}

// WithHeader sets the header name to value.
func WithHeader(name, value string) RequestOption {
	return func(_ TB, r *http.Request) { r.Header.Set(name, value) }
}

// WithBody makes body the request's body, of the media type contentType
// (its Content-Type header, unless empty).
func WithBody(contentType, body string) RequestOption {
	return func(_ TB, r *http.Request) {
		r.Body = io.NopCloser(strings.NewReader(body))
		r.ContentLength = int64(len(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
	}
}
