package issuer

import "github.com/gatehouse-go/gatehouse/bearer"

// BearerKey returns the issuer's verification key in the shape the bearer
// middleware takes, so both are configured from one place:
//
//	kid, alg, _ := iss.VerificationKey()
//	auth, err := bearer.New(bearer.Config{
//		Algorithms: []string{alg}, Keys: []bearer.Key{iss.BearerKey()},
//		Issuers: []string{iss.Issuer()}, Audiences: iss.Audience(),
//		TokenType: iss.TokenType(), Revocations: revocations, // the store the issuer writes to
//	})
func (i *Issuer) BearerKey() bearer.Key {
	return bearer.Key{ID: i.signer.kid, Algorithm: i.signer.alg, Key: i.signer.public}
}

// BearerConfig returns a bearer.Config that accepts exactly this issuer's
// access tokens: its algorithm and key, issuer, audience and typ
// (Config.TokenType, at+jwt by default),
// checking revocations in rev (which must be the Revoker the issuer was
// configured with). The caller may set further fields (Realm, Style,
// Audit, Now, CacheSize) before bearer.New.
func (i *Issuer) BearerConfig(rev bearer.RevocationStore) bearer.Config {
	return bearer.Config{
		Algorithms:  []string{i.signer.alg},
		Keys:        []bearer.Key{i.BearerKey()},
		Issuers:     []string{i.issuer},
		Audiences:   i.Audience(),
		TokenType:   i.signer.typ,
		Revocations: rev,
		Now:         i.now,
	}
}

// TokenType returns the "typ" header of the issuer's access tokens
// (Config.TokenType): AccessTokenType or TokenTypeJWT.
func (i *Issuer) TokenType() string { return i.signer.typ }
