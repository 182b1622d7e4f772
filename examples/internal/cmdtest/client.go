package cmdtest

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A Reply is a response as a test reads it: status, header and the whole
// body.
type Reply struct {
	Status int
	Header http.Header
	Body   string
}

// ClientFrom returns an HTTP client whose connections come from the
// loopback address ip (such as "127.0.0.2"), for tests that need distinct
// client addresses. Its idle connections are closed when the test ends.
func ClientFrom(tb testing.TB, ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// Do sends a request with the header h and body (JSON unless h names
// another Content-Type) through c (nil: a plain client with a 10 s
// timeout) and returns the reply; a transport error fails the test.
func Do(tb testing.TB, c *http.Client, method, url string, h http.Header, body string) Reply {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		tb.Fatalf("cmdtest: %v", err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	res, err := c.Do(req)
	if err != nil {
		tb.Fatalf("cmdtest: %s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("cmdtest: reading the reply to %s %s: %v", method, url, err)
	}
	return Reply{res.StatusCode, res.Header, string(b)}
}
