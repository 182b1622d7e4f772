package blackbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// secret is the HS256 key every probe signs and verifies with.
var secret = []byte("0123456789abcdef0123456789abcdef")

// clock is a settable clock for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// signHS256 signs the raw JSON header and payload as given, so that probes
// can send claim sets no well-behaved library would produce (case
// variants, repeated members).
func signHS256(t testing.TB, header, payload string) string {
	t.Helper()
	enc := base64.RawURLEncoding
	in := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + enc.EncodeToString(m.Sum(nil))
}

// payload decodes a JWS's payload into a map.
func payload(t testing.TB, jws string) map[string]any {
	t.Helper()
	parts := strings.Split(jws, ".")
	require.Len(t, parts, 3, "a JWS")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

// result is a response read in full.
type result struct {
	status int
	header http.Header
	body   string
}

// do sends a request and reads the whole answer.
func do(t testing.TB, c *http.Client, method, url string, header http.Header, body string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	for k, vs := range header {
		req.Header[k] = vs
	}
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return result{res.StatusCode, res.Header, string(b)}
}

func bearerH(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

var jsonH = http.Header{"Content-Type": {"application/json"}}

// dataField extracts data.<name> from a {"data":{...}} answer.
func dataField(t testing.TB, body, name string) string {
	t.Helper()
	var v struct {
		Data map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &v), body)
	s, _ := v.Data[name].(string)
	require.NotEmpty(t, s, "data.%s in %s", name, body)
	return s
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
