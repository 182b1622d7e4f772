package dpop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxErrorBody bounds how much of a 400 answer's body the Transport reads
// to look for a use_dpop_nonce error.
const maxErrorBody = 16 << 10

// maxOrigins bounds how many origins' nonces a Transport remembers.
const maxOrigins = 1024

// Transport is an http.RoundTripper that sends every request with a fresh
// DPoP proof (RFC 9449 §4, §7): a new "jti", "iat" now, the request's
// method (GET for an empty Method, as http.Transport reads it) and target
// URI without query and fragment (with req.Host as its host when set, the
// Host header the server then receives) and, when the request
// presents an access token with "Authorization: DPoP <token>" (set by the
// caller, or by the Transport from Token), its hash as "ath".
//
// It remembers the last DPoP-Nonce each origin sent and puts it in the
// next proofs for that origin. When an answer asks for a nonce — a 401
// whose DPoP challenge has error="use_dpop_nonce" (a resource server,
// §9) or a 400 whose JSON error is use_dpop_nonce (a token endpoint, §8)
// — with a DPoP-Nonce the proof did not carry, it sends the request once
// more with a proof carrying that nonce, if the request's body can be sent
// again (no body, or GetBody set, as http.NewRequest does for in-memory
// bodies); otherwise it returns the answer, and the nonce serves the
// next request.
//
// Signer is required; the other fields are optional. A Transport must not
// be copied after first use; it is safe for concurrent use.
type Transport struct {
	// Base sends the requests. Default: http.DefaultTransport.
	Base http.RoundTripper
	// Signer signs the proofs. Required.
	Signer *Signer
	// Token, when set, returns the access token for a request that has no
	// Authorization header; the Transport sends it as "Authorization:
	// DPoP <token>" — but never to a redirect's target on another origin
	// than the caller's request, where http.Client dropped the caller's
	// Authorization header. A request whose Authorization header already
	// uses the DPoP scheme is sent as it is, with its token's hash in the
	// proof. Use the Transport only for the API the token is for.
	// Optional.
	Token func(ctx context.Context) (string, error)
	// Now is the clock of the proofs' "iat". Default: time.Now.
	Now func() time.Time

	mu     sync.Mutex
	nonces map[string]string // origin → last DPoP-Nonce
}

var errNoSigner = errors.New("dpop: Transport without a Signer")

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.Signer == nil {
		closeBody(req)
		return nil, errNoSigner
	}
	out := req.Clone(req.Context())
	token, ok := dpopToken(req.Header.Get("Authorization"))
	if !ok && req.Header.Get("Authorization") == "" && t.Token != nil && !crossOriginRedirect(req) {
		tok, err := t.Token(req.Context())
		if err != nil {
			closeBody(req)
			return nil, err
		}
		token = tok
		out.Header.Set("Authorization", "DPoP "+tok)
	}
	origin := targetOrigin(req)
	htu := origin + req.URL.EscapedPath()
	nonce := t.nonce(origin)
	if err := t.sign(out, htu, token, nonce); err != nil {
		closeBody(req)
		return nil, err
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	fresh := resp.Header.Get("DPoP-Nonce")
	if fresh == "" {
		return resp, nil
	}
	t.remember(origin, fresh)
	if fresh == nonce || !replayable(req) || !asksForNonce(resp) {
		return resp, nil
	}

	// Once more, with the nonce.
	again := req.Clone(req.Context())
	if token != "" {
		again.Header.Set("Authorization", out.Header.Get("Authorization"))
	}
	if req.Body != nil && req.Body != http.NoBody {
		if again.Body, err = req.GetBody(); err != nil {
			return resp, nil // the first answer stands
		}
	}
	if err := t.sign(again, htu, token, fresh); err != nil {
		closeBody(again)
		return resp, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	resp, err = base.RoundTrip(again)
	if err == nil {
		// The server may already have moved on to another nonce.
		if next := resp.Header.Get("DPoP-Nonce"); next != "" {
			t.remember(origin, next)
		}
	}
	return resp, err
}

// sign sets r's DPoP header to a fresh proof.
func (t *Transport) sign(r *http.Request, htu, token, nonce string) error {
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet // as every RoundTripper reads an empty Method
	}
	proof, err := t.Signer.Sign(ProofRequest{Method: method, URI: htu, AccessToken: token, Nonce: nonce, IssuedAt: now()})
	if err != nil {
		return err
	}
	r.Header.Set("DPoP", proof)
	return nil
}

func (t *Transport) nonce(origin string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.nonces[origin]
}

func (t *Transport) remember(origin, nonce string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.nonces == nil || len(t.nonces) >= maxOrigins {
		t.nonces = make(map[string]string)
	}
	t.nonces[origin] = nonce
}

// dpopToken returns the token of an Authorization header of the DPoP
// scheme (RFC 9449 §7.1).
func dpopToken(authz string) (string, bool) {
	scheme, token, ok := strings.Cut(authz, " ")
	if !ok || !strings.EqualFold(scheme, "DPoP") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// originOf returns scheme://host of u, in lower case.
func originOf(u *url.URL) string { return origin(u.Scheme, u.Host) }

// origin returns scheme://host in lower case.
func origin(scheme, host string) string {
	return strings.ToLower(scheme) + "://" + strings.ToLower(host)
}

// targetOrigin returns the origin of req's target URI, the key of its
// server's nonce and the start of its proofs' "htu": the URL's scheme and
// the host the request is addressed to, which is req.Host when set (the
// Host header http.Transport then sends) and the URL's host otherwise.
func targetOrigin(req *http.Request) string {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	return origin(req.URL.Scheme, host)
}

// replayable reports whether req can be sent again: it has no body, or a
// GetBody to make a new one.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// asksForNonce reports whether resp refuses a proof for lacking the
// server's nonce: a 401 with a DPoP challenge whose error is
// use_dpop_nonce, or a 400 whose JSON body has that error. A 400's body
// is read (at most maxErrorBody bytes) and put back.
func asksForNonce(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		for _, ch := range resp.Header.Values("WWW-Authenticate") {
			if challengeAsksForNonce(ch) {
				return true
			}
		}
	case http.StatusBadRequest:
		head, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
		var body struct {
			Error string `json:"error"`
		}
		return err == nil && json.Unmarshal(head, &body) == nil && body.Error == CodeUseNonce
	}
	return false
}

// challengeAsksForNonce reports whether a WWW-Authenticate value holds a
// DPoP challenge with error="use_dpop_nonce" (RFC 9110 §11.6.1 syntax).
// Challenges of other schemes in the same value (Bearer, RFC 9449 §7.2)
// are skipped.
func challengeAsksForNonce(v string) bool {
	scheme := ""
	for i := 0; i < len(v); {
		if c := v[i]; c == ' ' || c == '\t' || c == ',' {
			i++
			continue
		}
		j := i
		for j < len(v) && v[j] != ' ' && v[j] != '\t' && v[j] != ',' && v[j] != '=' {
			j++
		}
		tok := v[i:j]
		k := j
		for k < len(v) && (v[k] == ' ' || v[k] == '\t') {
			k++
		}
		if k >= len(v) || v[k] != '=' || k+1 < len(v) && v[k+1] == '=' {
			// A scheme (or a token68, which names no error).
			if j > i && !strings.HasSuffix(tok, "=") {
				scheme = tok
			}
			i = j
			for i < len(v) && v[i] == '=' {
				i++
			}
			continue
		}
		// An auth-param: tok = value.
		i = k + 1
		for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
			i++
		}
		var value string
		if i < len(v) && v[i] == '"' {
			var b strings.Builder
			for i++; i < len(v) && v[i] != '"'; i++ {
				if v[i] == '\\' && i+1 < len(v) {
					i++
				}
				b.WriteByte(v[i])
			}
			i++
			value = b.String()
		} else {
			j := i
			for j < len(v) && v[j] != ',' && v[j] != ' ' && v[j] != '\t' {
				j++
			}
			value, i = v[i:j], j
		}
		if strings.EqualFold(scheme, "DPoP") && strings.EqualFold(tok, "error") && value == CodeUseNonce {
			return true
		}
	}
	return false
}

func closeBody(r *http.Request) {
	if r.Body != nil {
		r.Body.Close()
	}
}

// crossOriginRedirect reports whether req follows redirects to another
// origin than the caller's first request: http.Client drops the
// Authorization header there, and the Transport must not put the access
// token back for a host the caller never named.
func crossOriginRedirect(req *http.Request) bool {
	first := req
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
	}
	return originOf(first.URL) != originOf(req.URL)
}
