package gatehousetest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/dpop"
	gt "github.com/gatehouse-go/gatehouse/gatehousetest"
)

// TestDPoPRequired: a token bound with BoundTo and sent with WithDPoP is
// accepted by an Authenticator in DPoPRequired mode, and refused in every
// other shape.
func TestDPoPRequired(t *testing.T) {
	op := gt.NewProvider(t)
	auth := op.Authenticator(t, bearer.Config{DPoP: bearer.DPoP{Mode: bearer.DPoPRequired}})
	key := gt.NewDPoPKey(t)
	assert.Equal(t, "ES256", key.Algorithm())
	tok := op.Token(t, gt.Claims{Subject: "ada"}, gt.BoundTo(key))
	_, c := decode(t, tok)
	assert.Equal(t, map[string]any{"jkt": key.Thumbprint()}, c["cnf"])

	req := gt.Request(t, "GET", "/orders?page=2", gt.WithDPoP(key, tok))
	assert.Equal(t, "DPoP "+tok, req.Header.Get("Authorization"))
	proof, _, err := jwt.NewParser().ParseUnverified(req.Header.Get("DPoP"), jwt.MapClaims{})
	require.NoError(t, err)
	assert.Equal(t, "http://example.com/orders", proof.Claims.(jwt.MapClaims)["htu"])
	assert.Equal(t, dpop.TokenHash(tok), proof.Claims.(jwt.MapClaims)["ath"])

	p, err := auth.Check(req)
	require.NoError(t, err)
	assert.Equal(t, "ada", p.Subject)
	assert.Equal(t, key.Thumbprint(), p.Confirmation.JKT)

	for name, c := range map[string]struct {
		req *http.Request
		err error
	}{
		"the same proof again":   {req, bearer.ErrDPoPProof},
		"as a bearer token":      {gt.Request(t, "GET", "/orders", gt.WithBearer(tok)), bearer.ErrOtherScheme},
		"a proof of another key": {gt.Request(t, "GET", "/orders", gt.WithDPoP(gt.NewDPoPKey(t), tok)), bearer.ErrDPoPProof},
		"an unbound token":       {gt.Request(t, "GET", "/orders", gt.WithDPoP(key, op.Token(t, gt.Claims{}))), bearer.ErrDPoPProof},
		"a proof for another URL": {withHeader(gt.Request(t, "GET", "/orders", gt.WithDPoP(key, tok)), "DPoP",
			gt.DPoPProof(t, key, "GET", "http://example.com/admin", tok)), bearer.ErrDPoPProof},
		"a proof for another method": {withHeader(gt.Request(t, "GET", "/orders", gt.WithDPoP(key, tok)), "DPoP",
			gt.DPoPProof(t, key, "POST", "http://example.com/orders", tok)), bearer.ErrDPoPProof},
		"a proof for another token": {withHeader(gt.Request(t, "GET", "/orders", gt.WithDPoP(key, tok)), "DPoP",
			gt.DPoPProof(t, key, "GET", "http://example.com/orders", op.Token(t, gt.Claims{}, gt.BoundTo(key)))), bearer.ErrDPoPProof},
		"an old proof":           {gt.Request(t, "GET", "/orders", gt.WithDPoP(key, tok, gt.ProofIssuedAt(time.Now().Add(-time.Hour)))), bearer.ErrDPoPProof},
		"an expired bound token": {gt.Request(t, "GET", "/orders", gt.WithDPoP(key, op.Token(t, gt.Claims{}, gt.BoundTo(key), gt.Expired()))), bearer.ErrTokenExpired},
	} {
		_, err := auth.Check(c.req)
		assert.ErrorIs(t, err, c.err, name)
	}
}

func withHeader(r *http.Request, name, value string) *http.Request {
	r.Header.Set(name, value)
	return r
}

// TestDPoPProofOptions: nonces, ids and a provider's clock.
func TestDPoPProofOptions(t *testing.T) {
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	op := gt.NewProvider(t, gt.WithClock(func() time.Time { return now }))
	v, err := dpop.New(dpop.Config{Now: op.Now, Nonce: &dpop.NonceConfig{Secret: make([]byte, 32)}})
	require.NoError(t, err)
	auth := op.Authenticator(t, bearer.Config{DPoP: bearer.DPoP{Mode: bearer.DPoPAllowed, Verifier: v}})
	key := gt.NewDPoPKey(t)
	tok := op.Token(t, gt.Claims{}, gt.BoundTo(key))

	_, err = auth.Check(gt.Request(t, "GET", "/", gt.WithDPoP(key, tok, gt.ProofIssuedAt(op.Now()))))
	assert.ErrorIs(t, err, bearer.ErrDPoPNonce, "nonces are on")
	_, err = auth.Check(gt.Request(t, "GET", "/", gt.WithDPoP(key, tok, gt.ProofNonce(v.Nonce()))))
	assert.ErrorIs(t, err, bearer.ErrDPoPProof, "a proof of the wall clock's time, for a verifier in 2031")
	_, err = auth.Check(gt.Request(t, "GET", "/", gt.WithDPoP(key, tok, gt.ProofNonce(v.Nonce()), gt.ProofIssuedAt(op.Now()), gt.ProofID("p-1"))))
	assert.NoError(t, err)
	_, err = auth.Check(gt.Request(t, "GET", "/", gt.WithDPoP(key, tok, gt.ProofNonce(v.Nonce()), gt.ProofIssuedAt(op.Now()), gt.ProofID("p-1"))))
	assert.ErrorIs(t, err, bearer.ErrDPoPProof, "the same proof id is a replay")
	_, err = auth.Check(gt.Request(t, "GET", "/", gt.WithBearer(op.Token(t, gt.Claims{}))))
	assert.NoError(t, err, "DPoPAllowed still takes unbound bearer tokens")
}

// TestDPoPThroughAServer: DPoPProof for a real request to a server on
// loopback, the way a client sends it.
func TestDPoPThroughAServer(t *testing.T) {
	op := gt.NewProvider(t, gt.WithAlgorithm("EdDSA"))
	auth := op.Authenticator(t, bearer.Config{DPoP: bearer.DPoP{Mode: bearer.DPoPRequired}})
	srv := httptest.NewServer(auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := gatehouse.PrincipalFrom(r.Context())
		_, _ = io.WriteString(w, p.Subject+" "+p.Confirmation.JKT)
	})))
	t.Cleanup(srv.Close)
	key := gt.NewDPoPKey(t)
	tok := op.Token(t, gt.Claims{Subject: "ada"}, gt.BoundTo(key))

	send := func(proof string) (int, string) {
		req, err := http.NewRequest("GET", srv.URL+"/orders?page=1", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "DPoP "+tok)
		req.Header.Set("DPoP", proof)
		res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(b)
	}
	code, body := send(gt.DPoPProof(t, key, "GET", srv.URL+"/orders?page=1", tok))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ada "+key.Thumbprint(), body)
	code, _ = send(gt.DPoPProof(t, key, "GET", "http://api.example.com/orders", tok))
	assert.Equal(t, http.StatusUnauthorized, code, "a proof for another origin")
}

func TestDPoPFailures(t *testing.T) {
	key := gt.NewDPoPKey(t)
	assert.Contains(t, fatal(t, func(tb gt.TB) { gt.DPoPProof(tb, key, "", "http://x/", "") }), "gatehousetest: signing a DPoP proof")
}

// TestWithDPoPURLs: WithDPoP signs the URL the verifier sees, whatever
// the shape of the request's target.
func TestWithDPoPURLs(t *testing.T) {
	op := gt.NewProvider(t)
	auth := op.Authenticator(t, bearer.Config{DPoP: bearer.DPoP{Mode: bearer.DPoPRequired}})
	key := gt.NewDPoPKey(t)
	tok := op.Token(t, gt.Claims{}, gt.BoundTo(key))
	for _, target := range []string{
		"/orders", "/orders/a%20b?x=1#f", "https://api.example.com/orders?page=2",
		"http://127.0.0.1:8080/x/../y", "https://API.example.com:443/",
	} {
		for _, method := range []string{"GET", "POST", "DELETE"} {
			_, err := auth.Check(gt.Request(t, method, target, gt.WithDPoP(key, tok)))
			assert.NoError(t, err, "%s %s", method, target)
		}
	}
}
