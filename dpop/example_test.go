package dpop_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gatehouse-go/gatehouse/dpop"
)

// A resource server checks the proof of each request that presents a
// DPoP-bound access token, and asks for a nonce with use_dpop_nonce.
func ExampleVerifier() {
	v, err := dpop.New(dpop.Config{
		Nonce: &dpop.NonceConfig{Secret: []byte("a secret of at least thirty-two bytes")},
	})
	if err != nil {
		panic(err)
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "DPoP ")
		// The access token's own checks go here; its cnf.jkt is given to
		// VerifyBound in place of Verify's thumbprint comparison.
		proof, err := v.Verify(r.Context(), r, token)
		if err != nil {
			if dpop.ErrorCode(err) == "" {
				http.Error(w, "unavailable", http.StatusServiceUnavailable)
				return
			}
			if dpop.ErrorCode(err) == dpop.CodeUseNonce {
				w.Header().Set("DPoP-Nonce", v.Nonce())
			}
			w.Header().Set("WWW-Authenticate", v.Challenge("api", dpop.ErrorCode(err), ""))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "hello, key %d chars", len(proof.Thumbprint))
	})
	srv := httptest.NewServer(api)
	defer srv.Close()

	// A DPoP token without a proof.
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Authorization", "DPoP the-access-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	// Output:
	// 401 DPoP realm="api", error="invalid_dpop_proof", algs="ES256 ES384 EdDSA PS256 RS256"
}

// A client sends every request with a fresh proof; the Transport gets the
// server's nonce and retries once by itself.
func ExampleTransport() {
	v, err := dpop.New(dpop.Config{
		Nonce: &dpop.NonceConfig{Secret: []byte("a secret of at least thirty-two bytes")},
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "DPoP ")
		if _, err := v.Verify(r.Context(), r, token); err != nil {
			fmt.Println("refused:", dpop.ErrorCode(err))
			w.Header().Set("DPoP-Nonce", v.Nonce())
			w.Header().Set("WWW-Authenticate", v.Challenge("", dpop.ErrorCode(err), ""))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "orders")
	}))
	defer srv.Close()

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	signer, err := dpop.NewSigner(key, "") // ES256
	if err != nil {
		panic(err)
	}
	client := &http.Client{Transport: &dpop.Transport{
		Signer: signer,
		Token:  func(context.Context) (string, error) { return "the-access-token", nil },
	}}
	resp, err := client.Get(srv.URL + "/orders")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// refused: use_dpop_nonce
	// 200 orders
}
