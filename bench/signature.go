package bench

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"hash"
	"math/big"
	"strings"

	"github.com/gatehouse-go/gatehouse/bench/fixture"
)

// A signatureCheck is the signature check of one token alone, with the
// standard library and nothing else: the signing input and the signature
// are taken apart and decoded once, beforehand, so each call is the
// cryptography a verifier cannot avoid.
type signatureCheck struct {
	alg   string
	input []byte // the signing input, header "." payload
	sig   []byte // the decoded signature (ECDSA: as ASN.1 DER)
	mac   hash.Hash
	sum   []byte
	key   any
}

// newSignatureCheck prepares the check of tok under a's verification key.
func newSignatureCheck(a *fixture.Alg, tok string) (*signatureCheck, error) {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return nil, fmt.Errorf("not a JWS")
	}
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		return nil, err
	}
	c := &signatureCheck{alg: a.Name, input: []byte(tok[:i]), sig: sig, key: a.Verify}
	switch a.Name {
	case "HS256":
		c.mac = hmac.New(sha256.New, a.Verify.([]byte))
		c.sum = make([]byte, 0, sha256.Size)
	case "ES256":
		if len(sig) != 64 {
			return nil, fmt.Errorf("ES256 signature of %d bytes", len(sig))
		}
		// R || S (RFC 7518 §3.4) as the DER SEQUENCE ecdsa.VerifyASN1 reads.
		rs := struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])}
		if c.sig, err = asn1.Marshal(rs); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// verify reports whether the signature is valid: HMAC-SHA-256 and a
// constant-time compare (one keyed hash, reset and reused), SHA-256 and
// RSA PKCS #1 v1.5, SHA-256 and ECDSA P-256, or Ed25519.
func (c *signatureCheck) verify() bool {
	switch c.alg {
	case "HS256":
		c.mac.Reset()
		c.mac.Write(c.input)
		return hmac.Equal(c.sig, c.mac.Sum(c.sum[:0]))
	case "RS256":
		h := sha256.Sum256(c.input)
		return rsa.VerifyPKCS1v15(c.key.(*rsa.PublicKey), crypto.SHA256, h[:], c.sig) == nil
	case "ES256":
		h := sha256.Sum256(c.input)
		return ecdsa.VerifyASN1(c.key.(*ecdsa.PublicKey), h[:], c.sig)
	case "EdDSA":
		return ed25519.Verify(c.key.(ed25519.PublicKey), c.input, c.sig)
	}
	return false
}
