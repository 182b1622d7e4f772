package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"math/big"
)

// ErrKeyType is returned by [Thumbprint] and [NewSigner] for a key of a
// type DPoP proofs here do not use.
var ErrKeyType = errors.New("dpop: unsupported key type")

// Thumbprint returns the RFC 7638 JWK thumbprint of a public key: the
// base64url (unpadded) SHA-256 hash of the key's required JWK members in
// lexicographic order, the value of an access token's "cnf" "jkt" claim
// (RFC 9449 §6.1). The key is an *ecdsa.PublicKey on P-256, P-384 or
// P-521, an ed25519.PublicKey or an *rsa.PublicKey (the private keys of
// those types are accepted too, for their public half); any other key
// fails with [ErrKeyType].
func Thumbprint(key crypto.PublicKey) (string, error) {
	m, err := members(key)
	if err != nil {
		return "", err
	}
	return thumbprintOf(nil, m.kty, m.crv, m.x, m.y, m.n, m.e), nil
}

// jwkMembers are the required members of a public JWK, base64url encoded.
type jwkMembers struct {
	kty, crv, x, y, n, e string
}

// members returns the JWK members of a public key (or of the public half
// of a private key).
func members(key any) (jwkMembers, error) {
	if p, ok := key.(interface{ Public() crypto.PublicKey }); ok {
		key = p.Public() // a private key
	}
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		raw, err := k.Bytes() // 0x04 || X || Y, full length
		if err != nil {
			return jwkMembers{}, ErrKeyType
		}
		var crv string
		switch k.Curve.Params().Name {
		case "P-256", "P-384", "P-521":
			crv = k.Curve.Params().Name
		default:
			return jwkMembers{}, ErrKeyType
		}
		size := (len(raw) - 1) / 2
		return jwkMembers{kty: "EC", crv: crv, x: b64(raw[1 : 1+size]), y: b64(raw[1+size:])}, nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return jwkMembers{}, ErrKeyType
		}
		return jwkMembers{kty: "OKP", crv: "Ed25519", x: b64(k)}, nil
	case *rsa.PublicKey:
		if k.N == nil || k.N.Sign() <= 0 || k.E <= 0 {
			return jwkMembers{}, ErrKeyType
		}
		return jwkMembers{kty: "RSA", n: b64(k.N.Bytes()), e: b64(big.NewInt(int64(k.E)).Bytes())}, nil
	}
	return jwkMembers{}, ErrKeyType
}
