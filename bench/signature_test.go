package bench

import (
	"testing"

	"github.com/gatehouse-go/gatehouse/bench/fixture"
)

// TestSignatureCheck: the signature floor accepts every algorithm's valid
// token and refuses its bad-signature token, so that its rows time a real
// verification and a real refusal.
func TestSignatureCheck(t *testing.T) {
	for _, alg := range fixture.Algorithms {
		a := fixture.Load(alg)
		for tok, want := range map[string]bool{a.Valid: true, a.BadSignature: false} {
			c, err := newSignatureCheck(a, tok)
			if err != nil {
				t.Fatalf("%s: %v", alg, err)
			}
			for range 2 { // the HMAC state is reused
				if got := c.verify(); got != want {
					t.Errorf("%s: verify %v, want %v", alg, got, want)
				}
			}
		}
	}
	if _, err := newSignatureCheck(fixture.Load("HS256"), "no-dots"); err == nil {
		t.Error("a token without a signature segment was accepted")
	}
}
