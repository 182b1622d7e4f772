package bearer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// fetcher GETs key sets and discovery documents under the rules of
// [Fetch]: a size cap, a timeout, https (or loopback http) for every URL
// and every redirect, and an https URL that redirects to https only.
type fetcher struct {
	client    *http.Client
	allowHTTP bool
}

// newFetcher builds the HTTP client of f, with its defaults applied.
func newFetcher(f Fetch) *fetcher {
	timeout := orDefault(f.Timeout, 10*time.Second)
	maxBytes := f.MaxBytes
	if maxBytes <= 0 {
		maxBytes = 1 << 20
	}
	client := &http.Client{Timeout: timeout}
	if f.Client != nil {
		c := *f.Client
		client = &c
		if client.Timeout == 0 {
			client.Timeout = timeout
		}
	}
	client.Transport = capTransport{base: client.Transport, max: maxBytes}
	next := client.CheckRedirect
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := urlAllowed(req.URL, f.AllowHTTP); err != nil {
			return fmt.Errorf("redirect refused: %w", err)
		}
		if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
			return errors.New("redirect refused: an https URL redirects to https only")
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &fetcher{client: client, allowHTTP: f.AllowHTTP}
}

// A response is what a fetch learned: the body of a 200, or a 304, and
// the caching headers.
type response struct {
	notModified bool
	body        []byte
	etag        string
	fresh       freshness
}

// A statusError is a response other than 200 or 304; retryAfter is its
// Retry-After, for 429 and 503, or 0.
type statusError struct {
	url        string
	status     int
	retryAfter time.Duration
}

func (e *statusError) Error() string {
	return fmt.Sprintf("GET %s: status %d", safeURL(e.url), e.status)
}

// get fetches u, sending etag as If-None-Match when it is not empty.
func (f *fetcher) get(ctx context.Context, u, accept, etag string) (response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Accept", accept)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		// A *url.Error quotes the whole URL, query included: name it
		// as every other error of the fetch does.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return response{}, fmt.Errorf("GET %s: %w", safeURL(u), err)
	}
	defer resp.Body.Close()
	now := time.Now()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		if etag == "" {
			return response{}, &statusError{url: u, status: resp.StatusCode}
		}
		return response{notModified: true, etag: etag, fresh: parseFreshness(resp.Header)}, nil
	default:
		e := &statusError{url: u, status: resp.StatusCode}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			e.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
		}
		return response{}, e
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("GET %s: %w", safeURL(u), err)
	}
	return response{body: body, etag: resp.Header.Get("ETag"), fresh: parseFreshness(resp.Header)}, nil
}

// capTransport refuses responses larger than max bytes.
type capTransport struct {
	base http.RoundTripper
	max  int64
}

var errTooLarge = errors.New("bearer: JWK Set or discovery response too large")

func (t capTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, errTooLarge
	}
	resp.Body = &capReader{rc: resp.Body, left: t.max}
	return resp, nil
}

type capReader struct {
	rc   io.ReadCloser
	left int64
}

func (r *capReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		// Probe for one more byte: exactly max bytes is fine.
		var one [1]byte
		if n, _ := r.rc.Read(one[:]); n > 0 {
			return 0, errTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.rc.Read(p)
	r.left -= int64(n)
	return n, err
}

func (r *capReader) Close() error { return r.rc.Close() }

// parseFetchURL parses an absolute URL of a key set or an issuer and
// checks it against the URL rules (see urlAllowed).
func parseFetchURL(what, raw string, allowHTTP bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%s %q is not an absolute URL", what, safeURL(raw))
	}
	if err := urlAllowed(u, allowHTTP); err != nil {
		return nil, fmt.Errorf("%s %q: %w", what, safeURL(raw), err)
	}
	return u, nil
}

// urlAllowed applies the URL rules of key sets and discovery: https, or
// http to a loopback host or with allowHTTP.
func urlAllowed(u *url.URL, allowHTTP bool) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if !allowHTTP && !isLoopbackHost(u.Hostname()) {
			return errors.New("must be https (set Fetch.AllowHTTP to override)")
		}
		return nil
	}
	return fmt.Errorf("scheme %q is not https", u.Scheme)
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// safeURL returns raw as it may be logged or put in an error: without a
// password, and with a query (which may hold an API key) replaced by "…".
func safeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		// Not a URL: everything from its first '?' on may be a query.
		if i := strings.IndexByte(raw, '?'); i >= 0 {
			raw = raw[:i] + "?…"
		}
		return redactURL(raw)
	}
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	return u.Redacted()
}
