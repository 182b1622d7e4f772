package jwsalg

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"sync"
	"unsafe"
)

// Verify reports whether sig is a valid signature of the JWS signing input
// under alg and key, with the standard library's primitives and the rules
// of RFC 7518 §3 (the rules golang-jwt's SigningMethods apply): key is the
// verification key of alg's family ([]byte for HMAC, *rsa.PublicKey,
// *ecdsa.PublicKey, ed25519.PublicKey); a key of another type, an
// unsupported alg, or a signature of the wrong length is false. An ECDSA
// signature is R || S, each as long as the curve's order (RFC 7518 §3.4).
// RSASSA-PSS accepts any salt length, as golang-jwt does. input is neither
// copied nor modified.
func Verify(alg string, key any, input string, sig []byte) bool {
	msg := unsafe.Slice(unsafe.StringData(input), len(input))
	switch alg {
	case "HS256", "HS384", "HS512":
		secret, ok := key.([]byte)
		if !ok {
			return false
		}
		mac := hmac.New(hashOf(alg), secret)
		mac.Write(msg)
		return hmac.Equal(sig, mac.Sum(nil))
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		pub, ok := key.(*rsa.PublicKey)
		if !ok || pub == nil {
			return false
		}
		var sum [sha512.Size]byte
		h, digest := digestOf(alg, msg, &sum)
		if alg[0] == 'P' {
			return rsa.VerifyPSS(pub, h, digest, sig, &pssAuto) == nil
		}
		return rsa.VerifyPKCS1v15(pub, h, digest, sig) == nil
	case "ES256", "ES384", "ES512":
		pub, ok := key.(*ecdsa.PublicKey)
		if !ok || pub == nil {
			return false
		}
		size := ecdsaSize(alg)
		if len(sig) != 2*size {
			return false
		}
		var der [3 + 2*(2+67)]byte // SEQUENCE header, two INTEGERs of up to 67 bytes
		asn1, ok := appendSignatureDER(der[:0], sig[:size], sig[size:])
		if !ok {
			return false
		}
		var sum [sha512.Size]byte
		_, digest := digestOf(alg, msg, &sum)
		return ecdsa.VerifyASN1(pub, digest, asn1)
	case "EdDSA":
		pub, ok := key.(ed25519.PublicKey)
		if !ok || len(pub) != ed25519.PublicKeySize {
			return false
		}
		return ed25519.Verify(pub, msg, sig)
	}
	return false
}

// pssAuto verifies RSASSA-PSS signatures of any salt length.
var pssAuto = rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}

// hashOf returns the hash of an HMAC algorithm.
func hashOf(alg string) func() hash.Hash {
	switch alg[2:] {
	case "384":
		return sha512.New384
	case "512":
		return sha512.New
	}
	return sha256.New
}

// digestOf hashes msg with the hash alg names (by its last three
// characters) into sum and returns the hash and the digest.
func digestOf(alg string, msg []byte, sum *[sha512.Size]byte) (crypto.Hash, []byte) {
	switch alg[2:] {
	case "384":
		*(*[sha512.Size384]byte)(sum[:]) = sha512.Sum384(msg)
		return crypto.SHA384, sum[:sha512.Size384]
	case "512":
		*sum = sha512.Sum512(msg)
		return crypto.SHA512, sum[:]
	}
	*(*[sha256.Size]byte)(sum[:]) = sha256.Sum256(msg)
	return crypto.SHA256, sum[:sha256.Size]
}

// ecdsaSize returns the length of R and of S in an ECDSA algorithm's
// signatures: the byte length of its curve's order.
func ecdsaSize(alg string) int {
	switch alg {
	case "ES384":
		return 48
	case "ES512":
		return 66
	}
	return 32
}

// appendSignatureDER appends the ASN.1 DER encoding of the ECDSA
// signature (r, s), given as big-endian unsigned integers, to dst. It
// reports false when r or s is zero, which no signature has (ecdsa.Verify
// refuses them too).
func appendSignatureDER(dst, r, s []byte) ([]byte, bool) {
	r, s = trimZeros(r), trimZeros(s)
	if len(r) == 0 || len(s) == 0 {
		return nil, false
	}
	n := intLen(r) + intLen(s)
	dst = append(dst, 0x30) // SEQUENCE
	if n >= 0x80 {
		dst = append(dst, 0x81)
	}
	dst = append(dst, byte(n))
	dst = appendInt(dst, r)
	dst = appendInt(dst, s)
	return dst, true
}

func trimZeros(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

// intLen is the length of the DER INTEGER of the positive b (no leading
// zero): tag, length, a zero byte when the top bit is set, the bytes.
func intLen(b []byte) int {
	n := len(b)
	if b[0]&0x80 != 0 {
		n++
	}
	return 2 + n
}

func appendInt(dst, b []byte) []byte {
	n := len(b)
	pad := b[0]&0x80 != 0
	if pad {
		n++
	}
	dst = append(dst, 0x02, byte(n))
	if pad {
		dst = append(dst, 0)
	}
	return append(dst, b...)
}

// A MAC verifies the HMAC signatures of one secret under one HMAC
// algorithm, reusing its keyed hash states, so that a verification
// allocates nothing. It is safe for concurrent use.
type MAC struct {
	pool sync.Pool // of *macState
	alg  string
	key  []byte
}

type macState struct {
	h   hash.Hash
	sum [sha512.Size]byte
}

// NewMAC returns the MAC of secret under alg (HS256, HS384 or HS512; the
// caller checks the family and the secret's length). secret is copied.
func NewMAC(alg string, secret []byte) *MAC {
	m := &MAC{alg: alg, key: append([]byte(nil), secret...)}
	h := hashOf(alg)
	m.pool.New = func() any { return &macState{h: hmac.New(h, m.key)} }
	return m
}

// Verify reports whether sig is the MAC of input, compared in constant
// time. input is neither copied nor modified.
func (m *MAC) Verify(input string, sig []byte) bool {
	st := m.pool.Get().(*macState)
	st.h.Write(unsafe.Slice(unsafe.StringData(input), len(input)))
	ok := hmac.Equal(sig, st.h.Sum(st.sum[:0]))
	st.h.Reset()
	m.pool.Put(st)
	return ok
}
