package dpop_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/dpop"
)

// dpopServer is a loopback server whose /resource answers as a resource
// server and whose /token as a token endpoint, both checking DPoP proofs
// with a Verifier that requires nonces.
type dpopServer struct {
	*httptest.Server
	v    *dpop.Verifier
	hits atomic.Int64
}

func newDPoPServer(t *testing.T, nonces bool) *dpopServer {
	cfg := dpop.Config{}
	if nonces {
		cfg.Nonce = &dpop.NonceConfig{Secret: bytes.Repeat([]byte{7}, 32)}
	}
	s := &dpopServer{v: newVerifier(t, dpop.Config{Nonce: cfg.Nonce, Now: timeNow})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /resource", func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "DPoP ")
		p, err := s.v.Verify(r.Context(), r, token)
		if err != nil {
			if code := dpop.ErrorCode(err); code == dpop.CodeUseNonce {
				w.Header().Set("DPoP-Nonce", s.v.Nonce())
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="api", `+s.v.Challenge("api", dpop.ErrorCode(err), "refused"))
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, p.Thumbprint+" "+token)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		p, err := s.v.Verify(r.Context(), r, "")
		if err != nil {
			if code := dpop.ErrorCode(err); code == dpop.CodeUseNonce {
				w.Header().Set("DPoP-Nonce", s.v.Nonce())
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": dpop.ErrorCode(err)})
			return
		}
		body, _ := io.ReadAll(r.Body)
		_, _ = io.WriteString(w, p.Thumbprint+" "+string(body))
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func newClient(t *testing.T, tr *dpop.Transport) *http.Client {
	ec, _, _, _ := keys(t)
	if tr.Signer == nil {
		s, err := dpop.NewSigner(ec, "")
		require.NoError(t, err)
		tr.Signer = s
	}
	tr.Base = http.DefaultTransport
	return &http.Client{Transport: tr}
}

func call(t *testing.T, c *http.Client, req *http.Request) (int, string) {
	t.Helper()
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestTransportResourceNonceRetry(t *testing.T) {
	srv := newDPoPServer(t, true)
	tr := &dpop.Transport{Token: func(context.Context) (string, error) { return "tok-1", nil }}
	c := newClient(t, tr)

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/resource?page=1", nil)
	status, body := call(t, c, req)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, tr.Signer.Thumbprint()+" tok-1", body, "the token went as DPoP, its hash in the proof")
	assert.EqualValues(t, 2, srv.hits.Load(), "one refusal for the nonce, one retry")

	for range 3 {
		req, _ = http.NewRequest(http.MethodGet, srv.URL+"/resource", nil)
		status, _ = call(t, c, req)
		require.Equal(t, http.StatusOK, status)
	}
	assert.EqualValues(t, 5, srv.hits.Load(), "the nonce is remembered; every proof is fresh")
}

func TestTransportTokenEndpointNonceRetry(t *testing.T) {
	srv := newDPoPServer(t, true)
	c := newClient(t, &dpop.Transport{})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/token", strings.NewReader("grant_type=client_credentials"))
	status, body := call(t, c, req)
	require.Equal(t, http.StatusOK, status, body)
	assert.True(t, strings.HasSuffix(body, " grant_type=client_credentials"), "the body was sent again: %q", body)
	assert.EqualValues(t, 2, srv.hits.Load())
}

func TestTransportDoesNotRetryUnreplayableBody(t *testing.T) {
	srv := newDPoPServer(t, true)
	c := newClient(t, &dpop.Transport{})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/token", io.NopCloser(strings.NewReader("grant_type=x")))
	require.Nil(t, req.GetBody)
	status, body := call(t, c, req)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"error":"use_dpop_nonce"}`, body, "the answer's body is intact")
	assert.EqualValues(t, 1, srv.hits.Load(), "not sent again")

	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/token", io.NopCloser(strings.NewReader("grant_type=x")))
	status, _ = call(t, c, req)
	assert.Equal(t, http.StatusOK, status, "the next request carries the nonce")
	assert.EqualValues(t, 2, srv.hits.Load())
}

func TestTransportWithoutNonces(t *testing.T) {
	srv := newDPoPServer(t, false)
	c := newClient(t, &dpop.Transport{})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/resource", nil)
	req.Header.Set("Authorization", "DPoP tok-2")
	status, body := call(t, c, req)
	require.Equal(t, http.StatusOK, status, body)
	assert.True(t, strings.HasSuffix(body, " tok-2"))
	assert.EqualValues(t, 1, srv.hits.Load())
	assert.Empty(t, req.Header.Get("DPoP"), "the caller's request is not modified")
}

func TestTransportRetriesOnce(t *testing.T) {
	// A server that asks for a new nonce every time gets two requests.
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		w.Header().Set("DPoP-Nonce", "nonce-"+string(rune('a'+n)))
		w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, &dpop.Transport{})
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	status, _ := call(t, c, req)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.EqualValues(t, 2, hits.Load())
}

func TestTransportErrors(t *testing.T) {
	_, err := (&dpop.Transport{}).RoundTrip(httptest.NewRequest(http.MethodGet, "http://127.0.0.1/", nil))
	require.Error(t, err, "no Signer")

	srv := newDPoPServer(t, false)
	boom := errors.New("no token")
	c := newClient(t, &dpop.Transport{Token: func(context.Context) (string, error) { return "", boom }})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/resource", nil)
	_, err = c.Do(req)
	require.ErrorIs(t, err, boom)
	assert.Zero(t, srv.hits.Load())
}

// TestTransportKeepsTheTokenHome: a redirect to another origin gets
// neither the access token nor a proof for it.
func TestTransportKeepsTheTokenHome(t *testing.T) {
	var got string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusFound)
	}))
	defer api.Close()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	s, err := dpop.NewSigner(k, "")
	require.NoError(t, err)
	client := &http.Client{Transport: &dpop.Transport{Signer: s, Token: func(context.Context) (string, error) { return "SECRET-AT", nil }}}
	res, err := client.Get(api.URL + "/start")
	require.NoError(t, err)
	res.Body.Close()
	assert.Empty(t, got, "the token stays with the API's origin")
}

// The answer to the retry may carry the next nonce already (RFC 9449 §8.2):
// the next request uses it, not the one the retry was made with.
func TestTransportRemembersTheRetrysNonce(t *testing.T) {
	var mu sync.Mutex
	var seen []string // the nonce of each proof the server received
	mux := http.NewServeMux()
	mux.HandleFunc("GET /r", func(w http.ResponseWriter, r *http.Request) {
		// The handler runs on the server's goroutine: assert, not require.
		parts := strings.Split(r.Header.Get("DPoP"), ".")
		var c struct {
			Nonce string `json:"nonce"`
		}
		if !assert.Len(t, parts, 3) {
			return
		}
		b, err := base64.RawURLEncoding.DecodeString(parts[1])
		if !assert.NoError(t, err) || !assert.NoError(t, json.Unmarshal(b, &c)) {
			return
		}
		mu.Lock()
		seen = append(seen, c.Nonce)
		mu.Unlock()
		switch c.Nonce {
		case "":
			w.Header().Set("DPoP-Nonce", "nonce-1")
			w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce"`)
			w.WriteHeader(http.StatusUnauthorized)
		case "nonce-1":
			w.Header().Set("DPoP-Nonce", "nonce-2")
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	s, err := dpop.GenerateSigner()
	require.NoError(t, err)
	c := &http.Client{Transport: &dpop.Transport{Signer: s, Base: srv.Client().Transport}}
	for range 2 {
		resp, err := c.Get(srv.URL + "/r")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"", "nonce-1", "nonce-2"}, seen)
}

// TestTransportSignsForRequestHost: a request addressed to a virtual host
// through req.Host reaches the server with that Host header, so its
// proof's "htu" names that host, as the server's verifier expects.
func TestTransportSignsForRequestHost(t *testing.T) {
	srv := newDPoPServer(t, false)
	c := newClient(t, &dpop.Transport{Token: func(context.Context) (string, error) { return "tok-1", nil }})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/resource", nil)
	req.Host = "api.example.test"
	status, body := call(t, c, req)
	assert.Equal(t, http.StatusOK, status, body)
}

// TestTransportEmptyMethodIsGET: an empty Method means GET to every
// RoundTripper, so the Transport signs the proof for GET instead of
// failing.
func TestTransportEmptyMethodIsGET(t *testing.T) {
	srv := newDPoPServer(t, false)
	c := newClient(t, &dpop.Transport{Token: func(context.Context) (string, error) { return "tok-1", nil }})
	u, err := url.Parse(srv.URL + "/resource")
	require.NoError(t, err)
	req := (&http.Request{URL: u, Header: http.Header{}}).WithContext(context.Background())
	status, body := call(t, c, req)
	assert.Equal(t, http.StatusOK, status, body)
}
