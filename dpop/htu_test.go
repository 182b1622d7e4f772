package dpop_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/dpop"
)

// TestRequestURI checks which URI a request is taken to have: its own
// scheme and host, or Config.Origin, and the path as received.
func TestRequestURI(t *testing.T) {
	cases := []struct {
		name   string
		origin string
		req    func() *http.Request
		htu    string
		match  bool
	}{
		{"TLS is https", "", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "http://api.example.com/x", nil)
			r.TLS = &tls.ConnectionState{}
			return r
		}, "https://api.example.com/x", true},
		{"no TLS is http", "", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "http://api.example.com/x", nil)
			r.TLS = nil
			return r
		}, "https://api.example.com/x", false},
		{"host in upper case", "", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "https://api.example.com/x", nil)
			r.Host = "API.EXAMPLE.COM:443"
			return r
		}, "https://api.example.com/x", true},
		{"IPv6 host and port", "", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "http://[::1]:8080/x", nil)
			r.TLS = nil
			return r
		}, "http://[::1]:8080/x", true},
		{"behind a proxy, the origin", "https://api.example.com", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "http://10.0.0.7:8080/x", nil)
			r.TLS = nil
			return r
		}, "https://api.example.com/x", true},
		{"the origin, normalized", "HTTPS://Api.Example.com:443/", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "http://10.0.0.7:8080/x", nil)
		}, "https://api.example.com/x", true},
		{"the origin, not the request's host", "https://api.example.com", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "https://internal.example.com/x", nil)
		}, "https://internal.example.com/x", false},
		{"the path as received, not as stripped", "", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "https://api.example.com/v1/x", nil)
			r.URL.Path = "/x" // as http.StripPrefix leaves it
			return r
		}, "https://api.example.com/v1/x", true},
		{"a request made in code", "", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, "https://api.example.com/a%20b?q", nil)
			return r
		}, "http://api.example.com/a%20b", true},
		{"absolute-form request-target", "", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "https://api.example.com/x?q", nil)
			r.RequestURI = "https://api.example.com/x?q"
			return r
		}, "https://api.example.com/x", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := newVerifier(t, dpop.Config{Origin: c.origin})
			p := newProof(t)
			p.claims["htu"] = c.htu
			r := c.req()
			r.Header.Set("DPoP", p.sign(t))
			_, err := v.Verify(context.Background(), r, "")
			if c.match {
				require.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, dpop.ErrURIMismatch)
			}
		})
	}
}
