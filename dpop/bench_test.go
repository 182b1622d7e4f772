package dpop_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/dpop"
)

// BenchmarkVerify verifies an ES256 proof of a request with an access
// token, with the in-memory replay store: the work a resource server adds
// to a cached bearer token. Each iteration has its own proof (a fresh
// jti), signed before the timer runs.
func BenchmarkVerify(b *testing.B) {
	const token = "an-access-token"
	proofs := make([]string, 4096)
	for i := range proofs {
		p := newProof(b)
		p.claims["jti"] = "jti-" + strconv.Itoa(i)
		p.claims["ath"] = dpop.TokenHash(token)
		proofs[i] = p.sign(b)
	}
	reqs := make([]*http.Request, len(proofs))
	for i, p := range proofs {
		reqs[i] = request(p)
	}
	newV := func() *dpop.Verifier {
		store, err := dpop.NewMemoryReplay(dpop.MemoryReplayConfig{Now: fixedNow})
		if err != nil {
			b.Fatal(err)
		}
		v, err := dpop.New(dpop.Config{Replay: store, Now: fixedNow})
		if err != nil {
			b.Fatal(err)
		}
		return v
	}
	ctx := context.Background()
	b.Run("ES256", func(b *testing.B) {
		b.ReportAllocs()
		v := newV()
		i := 0
		for b.Loop() {
			if i == len(reqs) { // every proof used: a new store
				b.StopTimer()
				v, i = newV(), 0
				b.StartTimer()
			}
			if _, err := v.Verify(ctx, reqs[i], token); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	// The refusal of a replayed proof: the same work but the store's
	// write.
	b.Run("replayed", func(b *testing.B) {
		b.ReportAllocs()
		v := newV()
		if _, err := v.Verify(ctx, reqs[0], token); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := v.Verify(ctx, reqs[0], token); err == nil {
				b.Fatal("accepted twice")
			}
		}
	})
	// A stale proof is refused before the signature is checked.
	b.Run("stale", func(b *testing.B) {
		b.ReportAllocs()
		v, err := dpop.New(dpop.Config{Now: func() time.Time { return t0.Add(time.Hour) }})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := v.Verify(ctx, reqs[0], token); err == nil {
				b.Fatal("accepted")
			}
		}
	})
}

// BenchmarkSign signs an ES256 proof, the Transport's work per request.
func BenchmarkSign(b *testing.B) {
	ec, _, _, _ := keys(b)
	s, err := dpop.NewSigner(ec, "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sign(dpop.ProofRequest{Method: "GET", URI: "https://api.example.com/orders", AccessToken: "tok"}); err != nil {
			b.Fatal(err)
		}
	}
}
