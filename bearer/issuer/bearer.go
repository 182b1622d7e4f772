package issuer

import "github.com/gatehouse-go/gatehouse/bearer"

// BearerKey returns the issuer's verification key in the shape the bearer
// middleware takes, so both are configured from one place:
//
//	kid, alg, _ := iss.VerificationKey()
//	auth, err := bearer.New(bearer.Config{
//		Algorithms: []string{alg}, Keys: []bearer.Key{iss.BearerKey()},
//		Issuers: []string{iss.Issuer()}, Audiences: iss.Audience(),
//		Type: issuer.AccessTokenType, Revocations: revocations, // the store the issuer writes to
//	})
func (i *Issuer) BearerKey() bearer.Key {
	return bearer.Key{ID: i.signer.kid, Algorithm: i.signer.alg, Key: i.signer.public}
}

// BearerConfig returns a bearer.Config that accepts exactly this issuer's
// access tokens: its algorithm and key, issuer, audience and typ at+jwt,
// checking revocations in rev (which must be the Revoker the issuer was
// configured with). The caller may set further fields (Realm, Style,
// Audit, Now, CacheSize) before bearer.New.
func (i *Issuer) BearerConfig(rev bearer.RevocationStore) bearer.Config {
	return bearer.Config{
		Algorithms:  []string{i.signer.alg},
		Keys:        []bearer.Key{i.BearerKey()},
		Issuers:     []string{i.issuer},
		Audiences:   i.Audience(),
		Type:        AccessTokenType,
		Revocations: rev,
		Now:         i.now,
	}
}
