package tokenendpoint

import "github.com/gatehouse-go/gatehouse/bearer"

// BearerConfig returns a bearer.Config that accepts exactly this
// endpoint's tokens — its algorithm and key, issuer, audiences and typ
// (Config.TokenType) — checking revocations in rev, on the endpoint's
// clock. Its one Key is the verification key (the HMAC secret, or the
// public key) to publish in a JWKS. The caller may set further fields
// (Realm, Style, Audit, CacheSize) before bearer.New:
//
//	auth, err := bearer.New(ep.BearerConfig(revocations))
func (ep *Endpoint) BearerConfig(rev bearer.RevocationStore) bearer.Config {
	return ep.signer.BearerConfig(ep.issuer, ep.audience, rev, ep.now)
}
