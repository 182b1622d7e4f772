package dpop_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/dpop"
)

// FuzzVerify feeds arbitrary DPoP headers to the proof parser: it never
// panics, refuses with one of its sentinels, and accepts only a proof
// whose signature verifies — which the fuzzer cannot forge, so nothing but
// the seeds' valid proofs is accepted, each once.
func FuzzVerify(f *testing.F) {
	p := newProof(f)
	f.Add(p.sign(f), "")
	p.claims["ath"] = dpop.TokenHash("tok")
	f.Add(p.sign(f), "tok")
	f.Add(rfcTokenProof, "")
	f.Add(rfcResourceProof, rfcAccessToken)
	f.Add("e30.e30.", "")
	f.Add("eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7fX0.e30.AA", "")

	v, err := dpop.New(dpop.Config{Now: func() time.Time { return t0 }, Window: time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, proof, token string) {
		r := httptest.NewRequest(http.MethodGet, "https://api.example.com/orders", nil)
		r.Header.Set("DPoP", proof)
		got, err := v.Verify(context.Background(), r, token)
		if err == nil {
			if got.Thumbprint == "" || got.JTI == "" {
				t.Fatalf("accepted %q as %+v", proof, got)
			}
			return
		}
		if _, ok := dpop.RefusalFor(err); !ok || errors.Is(err, dpop.ErrUnavailable) && !errors.Is(err, dpop.ErrStoreFull) {
			t.Fatalf("%q: unexpected error %v", proof, err)
		}
	})
}
