// Package jwsalg holds the facts about JWS algorithms (RFC 7518) that the
// verifying side (package bearer) and the signing side (packages issuer
// and tokenendpoint, through internal/issuance) must agree on: which
// algorithms gatehouse supports, the key
// family each one needs, the curve of each ECDSA algorithm and the shortest
// secret each HMAC algorithm accepts.
package jwsalg

import "crypto/elliptic"

// A Family is the kind of key an algorithm signs and verifies with.
type Family string

// The key families of the supported algorithms.
const (
	HMAC    Family = "hmac"    // HS256, HS384, HS512: a shared []byte secret
	RSA     Family = "rsa"     // RS256…RS512, PS256…PS512
	ECDSA   Family = "ecdsa"   // ES256, ES384, ES512
	Ed25519 Family = "ed25519" // EdDSA
)

// MinRSABits is the smallest RSA modulus gatehouse signs or verifies with.
const MinRSABits = 2048

var families = map[string]Family{
	"HS256": HMAC, "HS384": HMAC, "HS512": HMAC,
	"RS256": RSA, "RS384": RSA, "RS512": RSA,
	"PS256": RSA, "PS384": RSA, "PS512": RSA,
	"ES256": ECDSA, "ES384": ECDSA, "ES512": ECDSA,
	"EdDSA": Ed25519,
}

// FamilyOf returns the key family alg needs, or "" when alg is not a
// supported algorithm. Names are matched exactly, as RFC 7518 spells them.
func FamilyOf(alg string) Family {
	return families[alg]
}

// Curve returns the curve an ECDSA algorithm signs on: P-384 for ES384,
// P-521 for ES512 and P-256 otherwise, so callers check the family first.
func Curve(alg string) elliptic.Curve {
	switch alg {
	case "ES384":
		return elliptic.P384()
	case "ES512":
		return elliptic.P521()
	}
	return elliptic.P256()
}

// ForCurve returns the ECDSA algorithm that signs on curve c, or "" when
// none does.
func ForCurve(c elliptic.Curve) string {
	switch c {
	case elliptic.P256():
		return "ES256"
	case elliptic.P384():
		return "ES384"
	case elliptic.P521():
		return "ES512"
	}
	return ""
}

// HMACMinLen returns the shortest secret, in bytes, an HMAC algorithm
// accepts: the size of its hash (48 for HS384, 64 for HS512 and 32
// otherwise, so callers check the family first).
func HMACMinLen(alg string) int {
	switch alg {
	case "HS384":
		return 48
	case "HS512":
		return 64
	}
	return 32
}
