package issuer

import "github.com/gatehouse-go/gatehouse/bearer"

// BearerConfig returns a bearer.Config that accepts exactly this issuer's
// access tokens — its algorithm and key, issuer, audiences and typ
// (Config.TokenType) — checking revocations in rev, which must be the
// Config.Revocations the issuer writes to, on the issuer's clock. Its one
// Key is the verification key (the HMAC secret, or the public key) to
// publish in a JWKS. The caller may set further fields (Realm, Style,
// Audit, CacheSize) before bearer.New:
//
//	auth, err := bearer.New(iss.BearerConfig(revocations))
func (i *Issuer) BearerConfig(rev bearer.RevocationStore) bearer.Config {
	return i.signer.BearerConfig(i.issuer, i.audience, rev, i.now)
}
