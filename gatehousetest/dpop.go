package gatehousetest

import (
	"time"

	"github.com/gatehouse-go/gatehouse/dpop"
)

// NewDPoPKey returns the DPoP key of a client: a [dpop.Signer] of a new
// P-256 key, signing ES256. Bind tokens to it with [BoundTo].
func NewDPoPKey(t TB) *dpop.Signer {
	t.Helper()
	s, err := dpop.GenerateSigner()
	if err != nil {
		t.Fatalf("gatehousetest: generating a DPoP key: %v", err)
	}
	return s
}

// proof is what the options of one DPoPProof call decide.
type proof struct{ req dpop.ProofRequest }

// A ProofOption changes a proof of [DPoPProof] or [WithDPoP].
type ProofOption func(*proof)

// ProofNonce puts the server's nonce in the proof, for a verifier with
// nonces on (dpop.Config.Nonce): the value of its Verifier.Nonce, or of
// the DPoP-Nonce header of its last answer.
func ProofNonce(nonce string) ProofOption {
	return func(p *proof) { p.req.Nonce = nonce }
}

// ProofIssuedAt sets the proof's "iat". Default: the wall clock's time.
// A verifier on another clock (a Provider's [WithClock]) wants that
// clock's time.
func ProofIssuedAt(at time.Time) ProofOption {
	return func(p *proof) { p.req.IssuedAt = at }
}

// ProofID sets the proof's "jti". Default: a random id, so that every
// proof is fresh; the same id twice makes a replay.
func ProofID(jti string) ProofOption {
	return func(p *proof) { p.req.JTI = jti }
}

// DPoPProof returns a DPoP proof (RFC 9449 §4) signed by key for a request
// of method to url that presents token ("ath"); an empty token makes a
// proof without "ath", as sent to a token endpoint. url is the URL the
// server sees: its query and fragment are left out of the proof. Send it
// in the DPoP header, with the token in "Authorization: DPoP".
func DPoPProof(t TB, key *dpop.Signer, method, url, token string, opts ...ProofOption) string {
	t.Helper()
	p := &proof{req: dpop.ProofRequest{Method: method, URI: url, AccessToken: token}}
	for _, o := range opts {
		o(p)
	}
	s, err := key.Sign(p.req)
	if err != nil {
		t.Fatalf("gatehousetest: signing a DPoP proof: %v", err)
	}
	return s
}
