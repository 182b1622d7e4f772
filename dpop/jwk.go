package dpop

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"

	"github.com/gatehouse-go/gatehouse/internal/compact"
	"github.com/gatehouse-go/gatehouse/internal/jwsalg"
)

// maxRSABits bounds the RSA keys a proof may carry, so that a hostile
// proof cannot make the verifier work with a huge modulus.
const maxRSABits = 8192

var errKey = errors.New("dpop: unsupported or invalid key")

// A jwk is the "jwk" header of a proof (RFC 7517): the members of the
// public keys a proof may carry, and the private members it must not
// carry, whose presence is all that is looked at.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	N   string `json:"n"`
	E   string `json:"e"`

	// Private members: "d" of EC and OKP keys (RFC 7518 §6.2.2, RFC 8037
	// §2), "d", "p", "q", "dp", "dq", "qi" and "oth" of RSA keys (RFC 7518
	// §6.3.2), "k" of symmetric keys (RFC 7518 §6.4). A RawMessage is
	// set by any value, JSON null included.
	D   json.RawMessage `json:"d"`
	P   json.RawMessage `json:"p"`
	Q   json.RawMessage `json:"q"`
	DP  json.RawMessage `json:"dp"`
	DQ  json.RawMessage `json:"dq"`
	QI  json.RawMessage `json:"qi"`
	Oth json.RawMessage `json:"oth"`
	K   json.RawMessage `json:"k"`
}

// private reports whether k has a private key member.
func (k *jwk) private() bool {
	return k.D != nil || k.P != nil || k.Q != nil || k.DP != nil || k.DQ != nil || k.QI != nil || k.Oth != nil || k.K != nil
}

// publicKey returns the key k describes, in the form golang-jwt's
// signing method for alg verifies with, after checking that it fits alg:
// an EC key on alg's curve with full-length coordinates of a point on it,
// an Ed25519 OKP key for EdDSA, an RSA key of 2048 to 8192 bits for the RS
// and PS algorithms, its members in their minimal encoding. Members that
// do not belong to the key type are refused, so that the key's thumbprint,
// computed from its members, is the thumbprint of the key that verified.
func (k *jwk) publicKey(alg string) (any, error) {
	switch jwsalg.FamilyOf(alg) {
	case jwsalg.ECDSA:
		curve := jwsalg.Curve(alg)
		size := (curve.Params().BitSize + 7) / 8
		if k.Kty != "EC" || k.Crv != curve.Params().Name || k.N != "" || k.E != "" {
			return nil, errKey
		}
		var pt [1 + 2*66]byte // uncompressed point of P-521 at most
		pt[0] = 4
		if !decodeFixed(pt[1:1+size], k.X) || !decodeFixed(pt[1+size:1+2*size], k.Y) {
			return nil, errKey
		}
		return ecdsa.ParseUncompressedPublicKey(curve, pt[:1+2*size])
	case jwsalg.Ed25519:
		if k.Kty != "OKP" || k.Crv != "Ed25519" || k.Y != "" || k.N != "" || k.E != "" {
			return nil, errKey
		}
		pub := make([]byte, ed25519.PublicKeySize)
		if !decodeFixed(pub, k.X) {
			return nil, errKey
		}
		return ed25519.PublicKey(pub), nil
	case jwsalg.RSA:
		if k.Kty != "RSA" || k.Crv != "" || k.X != "" || k.Y != "" {
			return nil, errKey
		}
		n, ok := decodeUint(k.N, maxRSABits/8)
		if !ok || n.BitLen() < jwsalg.MinRSABits {
			return nil, errKey
		}
		e, ok := decodeUint(k.E, 4)
		if !ok || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
			return nil, errKey
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	}
	return nil, errKey
}

// thumbprint returns the RFC 7638 SHA-256 thumbprint of k, a key that
// publicKey accepted: its required members in lexicographic order, as
// they were sent (publicKey checked that they are in their canonical
// encoding: the base64url alphabet only, minimal or fixed length).
func (k *jwk) thumbprint() string {
	var buf [64 + 2*maxRSABits/6]byte
	return thumbprintOf(buf[:0], k.Kty, k.Crv, k.X, k.Y, k.N, k.E)
}

// thumbprintOf appends the canonical JSON of a public key's required
// members (RFC 7638 §3.2) to b and returns the base64url SHA-256 of it.
// The members are base64url or fixed names, which need no JSON escaping.
func thumbprintOf(b []byte, kty, crv, x, y, n, e string) string {
	member := func(name, value string, last bool) {
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":"`...)
		b = append(b, value...)
		b = append(b, '"')
		if !last {
			b = append(b, ',')
		}
	}
	b = append(b, '{')
	switch kty {
	case "EC":
		member("crv", crv, false)
		member("kty", kty, false)
		member("x", x, false)
		member("y", y, true)
	case "OKP":
		member("crv", crv, false)
		member("kty", kty, false)
		member("x", x, true)
	case "RSA":
		member("e", e, false)
		member("kty", kty, false)
		member("n", n, true)
	}
	b = append(b, '}')
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// decodeFixed decodes the strict base64url s into dst, which it must fill
// exactly: s is the canonical encoding of len(dst) bytes, so that the
// thumbprint, computed from s, is the key's.
func decodeFixed(dst []byte, s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(len(dst)) || !base64url(s) {
		return false
	}
	n, err := compact.Encoding.Decode(dst, []byte(s))
	return err == nil && n == len(dst)
}

// decodeUint decodes the strict base64url s as a big-endian unsigned
// integer of at most maxBytes bytes in its minimal encoding (RFC 7518
// §6.3.1: no leading zero octet).
func decodeUint(s string, maxBytes int) (*big.Int, bool) {
	if s == "" || compact.Encoding.DecodedLen(len(s)) > maxBytes || !base64url(s) {
		return nil, false
	}
	b, err := compact.Encoding.DecodeString(s)
	if err != nil || len(b) == 0 || b[0] == 0 {
		return nil, false
	}
	return new(big.Int).SetBytes(b), true
}

// base64url reports whether s holds only characters of the base64url
// alphabet: the decoder skips line breaks, which would let one key be
// sent under many spellings, and so many thumbprints.
func base64url(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
