package issuer

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/internal/compact"
	"github.com/gatehouse-go/gatehouse/internal/jwsalg"
)

// AccessTokenType is the default JWT "typ" header of access tokens (RFC
// 9068); see Config.TokenType.
const AccessTokenType = "at+jwt"

// A SigningKey is the private key the issuer signs access tokens with.
type SigningKey struct {
	// ID is the "kid" header. Empty means none for HMAC keys and the RFC
	// 7638 JWK thumbprint of the public key for asymmetric keys, so a JWKS
	// published from VerificationKey matches.
	ID string
	// Algorithm is the JWS "alg". Empty means HS256 for a []byte key,
	// ES256/ES384/ES512 by curve for an *ecdsa.PrivateKey, EdDSA for an
	// ed25519.PrivateKey and RS256 for an *rsa.PrivateKey.
	Algorithm string
	// Key is a []byte HMAC secret (at least as long as the hash: 32 bytes
	// for HS256), an *ecdsa.PrivateKey, an ed25519.PrivateKey or an
	// *rsa.PrivateKey (at least 2048 bits).
	Key any
}

// signer is the issuer's one signing path. It is immutable after
// newSigner and safe for concurrent use; the OAuth token endpoint and the
// login flow both sign through it.
type signer struct {
	method   jwt.SigningMethod
	alg      string
	kid      string
	key      any    // private key handed to method.Sign
	public   any    // verification key: the HMAC secret or the public key
	typ      string // access tokens' typ: AccessTokenType or TokenTypeJWT
	rtTyp    string // refresh JWTs' typ: RefreshTokenType or TokenTypeJWT
	header   []byte // base64url(access header JSON) + "."
	rtHeader []byte // base64url(refresh header JSON) + "."
}

// newSigner returns the signer of k, whose access tokens carry typ (which
// New has validated: AccessTokenType or TokenTypeJWT).
func newSigner(k SigningKey, typ string) (*signer, error) {
	alg := k.Algorithm
	if alg == "" {
		alg = defaultAlg(k.Key)
		if alg == "" {
			return nil, fmt.Errorf("issuer: unsupported signing key type %T", k.Key)
		}
	}
	family := jwsalg.FamilyOf(alg)
	if family == "" {
		return nil, fmt.Errorf("issuer: unsupported signing algorithm %q", alg)
	}
	s := &signer{method: jwt.GetSigningMethod(alg), alg: alg, kid: k.ID, key: k.Key, typ: typ, rtTyp: typ}
	if typ == AccessTokenType {
		s.rtTyp = RefreshTokenType
	}
	switch key := k.Key.(type) {
	case []byte:
		if family != jwsalg.HMAC {
			return nil, fmt.Errorf("issuer: %s needs an asymmetric private key, not an HMAC secret", alg)
		}
		if min := jwsalg.HMACMinLen(alg); len(key) < min {
			return nil, fmt.Errorf("issuer: %s secret must be at least %d bytes", alg, min)
		}
		s.public = append([]byte(nil), key...)
		s.key = s.public
	case *ecdsa.PrivateKey:
		if family != jwsalg.ECDSA || key == nil || key.Curve != jwsalg.Curve(alg) {
			return nil, fmt.Errorf("issuer: ECDSA key does not match %s", alg)
		}
		s.public = &key.PublicKey
	case ed25519.PrivateKey:
		if family != jwsalg.Ed25519 || len(key) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("issuer: Ed25519 key does not match %s", alg)
		}
		s.public = key.Public()
	case *rsa.PrivateKey:
		if family != jwsalg.RSA || key == nil || key.N == nil || key.N.BitLen() < jwsalg.MinRSABits {
			return nil, fmt.Errorf("issuer: RSA key must be at least %d bits for %s", jwsalg.MinRSABits, alg)
		}
		s.public = &key.PublicKey
	default:
		return nil, fmt.Errorf("issuer: unsupported signing key type %T", k.Key)
	}
	if s.kid == "" && family != jwsalg.HMAC {
		kid, err := thumbprint(s.public)
		if err != nil {
			return nil, err
		}
		s.kid = kid
	}
	var err error
	if s.header, err = encodeHeader(alg, s.typ, s.kid); err != nil {
		return nil, err
	}
	if s.rtHeader, err = encodeHeader(alg, s.rtTyp, s.kid); err != nil {
		return nil, err
	}
	return s, nil
}

// encodeHeader returns base64url of the JOSE header {alg, typ, kid} and
// the dot that follows it in a compact JWS.
func encodeHeader(alg, typ, kid string) ([]byte, error) {
	hdr, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
		Kid string `json:"kid,omitempty"`
	}{alg, typ, kid})
	if err != nil {
		return nil, err
	}
	return append(base64.RawURLEncoding.AppendEncode(nil, hdr), '.'), nil
}

// defaultAlg returns the algorithm a SigningKey with an empty Algorithm
// signs with, or "" for a key type the issuer cannot sign with.
func defaultAlg(key any) string {
	switch k := key.(type) {
	case []byte:
		return "HS256"
	case *ecdsa.PrivateKey:
		if k == nil {
			return ""
		}
		return jwsalg.ForCurve(k.Curve)
	case ed25519.PrivateKey:
		return "EdDSA"
	case *rsa.PrivateKey:
		return "RS256"
	}
	return ""
}

// sign returns the compact JWS of claims, which must marshal to a JSON
// object, under the issuer's access-token header (alg, typ, kid).
func (s *signer) sign(claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	return s.signPayload(payload)
}

// signPayload signs an already encoded JSON claims object under the
// access-token header.
func (s *signer) signPayload(payload []byte) (string, error) {
	return s.signWith(s.header, payload)
}

// signWith signs payload under header, an encoded header and its dot.
func (s *signer) signWith(header, payload []byte) (string, error) {
	enc := base64.RawURLEncoding
	buf := make([]byte, 0, len(header)+enc.EncodedLen(len(payload))+1+enc.EncodedLen(512))
	buf = append(buf, header...)
	buf = enc.AppendEncode(buf, payload)
	sig, err := s.method.Sign(string(buf), s.key)
	if err != nil {
		return "", err
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), nil
}

// Refusals of signer.parse; Logout answers every one with the same 401.
var (
	errTokenMalformed = errors.New("issuer: malformed token")
	errTokenHeader    = errors.New("issuer: not an access token of this issuer (alg, kid or typ)")
)

// parse verifies a token's signature, algorithm, kid and typ (typ itself,
// or "application/" + typ, case-sensitively) and only then
// decodes its claims into dst with claimsDecoder (exact member names, no
// duplicates), so a forged token costs no claims decoding. It does not validate exp, iss or aud: callers do.
// The segments are split and decoded as the bearer middleware does
// (compact.Split, the header as a JSON object); the signature is
// checked by golang-jwt's implementation of the issuer's algorithm.
func (s *signer) parse(token, wantTyp string, dst any) error {
	c, ok := compact.Split(token)
	if !ok {
		return errTokenMalformed
	}
	var hdr map[string]any
	if json.Unmarshal(c.Header, &hdr) != nil {
		return errTokenMalformed
	}
	alg, _ := hdr["alg"].(string)
	kid, _ := hdr["kid"].(string)
	typ, _ := hdr["typ"].(string)
	if alg != s.alg || kid != s.kid || (typ != wantTyp && typ != "application/"+wantTyp) {
		return errTokenHeader
	}
	sig, err := compact.Encoding.DecodeString(c.Signature)
	if err != nil {
		return errTokenMalformed
	}
	if err := s.method.Verify(c.SigningInput, sig, s.public); err != nil {
		return err
	}
	pb, err := compact.Encoding.DecodeString(c.Payload)
	if err != nil || claimsDecoder.Unmarshal(pb, dst) != nil {
		return errTokenMalformed
	}
	return nil
}

// claimsDecoder decodes the verified claims of a token (an access or
// refresh JWT, a jwt-bearer assertion) into the struct of the claims the
// issuer reads: member names match exactly, so "SID" or "Sid" is never
// read as "sid", and a token that repeats a claim or carries a case
// variant of one the struct names is refused rather than read one way
// here and another by a verifier that takes the exact or the first
// member. Other members are allowed: a token may carry claims the issuer
// does not read.
var claimsDecoder = envelope.Decoder{AllowUnknownFields: true}

// thumbprint returns the RFC 7638 JWK thumbprint (SHA-256, base64url) of a
// public key.
func thumbprint(pub any) (string, error) {
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	var canon string
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		raw, err := k.Bytes() // uncompressed point 0x04 || X || Y
		if err != nil {
			return "", err
		}
		canon = fmt.Sprintf(`{"crv":%q,"kty":"EC","x":%q,"y":%q}`, k.Curve.Params().Name, b64(raw[1:1+size]), b64(raw[1+size:]))
	case ed25519.PublicKey:
		canon = fmt.Sprintf(`{"crv":"Ed25519","kty":"OKP","x":%q}`, b64(k))
	case *rsa.PublicKey:
		canon = fmt.Sprintf(`{"e":%q,"kty":"RSA","n":%q}`, b64(big.NewInt(int64(k.E)).Bytes()), b64(k.N.Bytes()))
	default:
		return "", fmt.Errorf("issuer: no thumbprint for %T", pub)
	}
	sum := sha256.Sum256([]byte(canon))
	return b64(sum[:]), nil
}
