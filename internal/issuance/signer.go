package issuance

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
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/internal/compact"
	"github.com/gatehouse-go/gatehouse/internal/jwsalg"
)

// The JWT "typ" headers of the tokens the issuer and the token endpoint
// sign.
const (
	// AccessTokenType is the default "typ" of access tokens (RFC 9068).
	AccessTokenType = "at+jwt"
	// TokenTypeJWT is the generic "typ" a configuration may choose instead,
	// for APIs documented with it.
	TokenTypeJWT = "JWT"
	// RefreshTokenType is the "typ" of refresh JWTs when access tokens
	// carry AccessTokenType; with TokenTypeJWT, refresh JWTs carry "JWT"
	// too.
	RefreshTokenType = "rt+jwt"
)

// CheckTokenType returns the access-token "typ" a configuration's
// TokenType selects — AccessTokenType for "" — or an error for any value
// but AccessTokenType and TokenTypeJWT.
func CheckTokenType(typ string) (string, error) {
	switch typ {
	case "":
		return AccessTokenType, nil
	case AccessTokenType, TokenTypeJWT:
		return typ, nil
	}
	return "", fmt.Errorf("TokenType %q is neither %q nor %q", typ, AccessTokenType, TokenTypeJWT)
}

// A Signer signs and verifies the tokens of one key: the access tokens of
// the issuer and the token endpoint, and the issuer's refresh JWTs. It is
// immutable after NewSigner and safe for concurrent use.
type Signer struct {
	method   jwt.SigningMethod
	alg      string
	kid      string
	key      any         // private key handed to method.Sign
	public   any         // verification key: the HMAC secret or the public key
	typ      string      // access tokens' typ: AccessTokenType or TokenTypeJWT
	rtTyp    string      // refresh JWTs' typ: RefreshTokenType or TokenTypeJWT
	header   []byte      // base64url(access header JSON) + "."
	rtHeader []byte      // base64url(refresh header JSON) + "."
	mac      *jwsalg.MAC // verifies HMAC signatures, nil for the other families
}

// NewSigner returns the signer of key (a []byte HMAC secret, an
// *ecdsa.PrivateKey, an ed25519.PrivateKey or an *rsa.PrivateKey) under
// the JWS algorithm alg ("" for the key type's default) and the key id kid
// ("" for none with an HMAC secret, and the RFC 7638 thumbprint of the
// public key otherwise). Its access tokens carry typ, which CheckTokenType
// has validated. The error says what is wrong with the key.
func NewSigner(kid, alg string, key any, typ string) (*Signer, error) {
	if alg == "" {
		alg = defaultAlg(key)
		if alg == "" {
			return nil, fmt.Errorf("unsupported signing key type %T", key)
		}
	}
	family := jwsalg.FamilyOf(alg)
	if family == "" {
		return nil, fmt.Errorf("unsupported signing algorithm %q", alg)
	}
	s := &Signer{method: jwt.GetSigningMethod(alg), alg: alg, kid: kid, key: key, typ: typ, rtTyp: typ}
	if typ == AccessTokenType {
		s.rtTyp = RefreshTokenType
	}
	switch key := key.(type) {
	case []byte:
		if family != jwsalg.HMAC {
			return nil, fmt.Errorf("%s needs an asymmetric private key, not an HMAC secret", alg)
		}
		if min := jwsalg.HMACMinLen(alg); len(key) < min {
			return nil, fmt.Errorf("%s secret must be at least %d bytes", alg, min)
		}
		s.public = append([]byte(nil), key...)
		s.key = s.public
		s.mac = jwsalg.NewMAC(alg, key)
	case *ecdsa.PrivateKey:
		if family != jwsalg.ECDSA || key == nil || key.Curve != jwsalg.Curve(alg) {
			return nil, fmt.Errorf("ECDSA key does not match %s", alg)
		}
		s.public = &key.PublicKey
	case ed25519.PrivateKey:
		if family != jwsalg.Ed25519 || len(key) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("Ed25519 key does not match %s", alg)
		}
		s.public = key.Public()
	case *rsa.PrivateKey:
		if family != jwsalg.RSA || key == nil || key.N == nil || key.N.BitLen() < jwsalg.MinRSABits {
			return nil, fmt.Errorf("RSA key must be at least %d bits for %s", jwsalg.MinRSABits, alg)
		}
		s.public = &key.PublicKey
	default:
		return nil, fmt.Errorf("unsupported signing key type %T", key)
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

// defaultAlg returns the algorithm key signs with when none is named, or
// "" for a key type that cannot sign.
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

// Sign returns the compact JWS of claims, which must marshal to a JSON
// object, under the access-token header (alg, typ, kid).
func (s *Signer) Sign(claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	return s.SignPayload(payload)
}

// SignPayload signs an already encoded JSON claims object under the
// access-token header.
func (s *Signer) SignPayload(payload []byte) (string, error) {
	return s.signWith(s.header, payload)
}

// SignRefresh signs an already encoded JSON claims object under the
// refresh-JWT header (typ RefreshType).
func (s *Signer) SignRefresh(payload []byte) (string, error) {
	return s.signWith(s.rtHeader, payload)
}

// signWith signs payload under header, an encoded header and its dot.
func (s *Signer) signWith(header, payload []byte) (string, error) {
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

// Refusals of Parse; Logout answers every one with the same 401.
var (
	errTokenMalformed = errors.New("malformed token")
	errTokenHeader    = errors.New("not an access token of this issuer (alg, kid or typ)")
	errTokenSignature = errors.New("token signature is invalid")
)

// Parse verifies a token's signature, algorithm, kid and typ (typ itself,
// or "application/" + typ, case-sensitively) and only then decodes its
// claims into dst with DecodeClaims (ClaimsDecoder's rules: exact member
// names, no duplicates), so a forged token costs no claims decoding. It
// does not validate exp, iss or aud: callers do. The segments are split
// and decoded as the bearer middleware does (strict base64url, the header
// read as golang-jwt reads it into a map: the last of a repeated member,
// a non-string alg, kid or typ as ""), the header and the signature on the
// stack; the signature is checked with the standard library's primitives
// (internal/jwsalg), on the signing input as it is.
func (s *Signer) Parse(token, wantTyp string, dst any) error {
	h, p, sg, ok := compact.Cut(token)
	if !ok {
		return errTokenMalformed
	}
	enc := compact.Encoding
	var scratch [384]byte
	buf := scratch[:0]
	if n := enc.DecodedLen(len(h)) + enc.DecodedLen(len(sg)); n > cap(buf) {
		buf = make([]byte, 0, n)
	}
	hb, ok := compact.AppendDecode(buf, h)
	if !ok {
		return errTokenMalformed
	}
	var alg, kid, typ string
	r := compact.NewObjectReader(hb)
	for {
		name, v, more := r.Next()
		if !more {
			break
		}
		str := v.Str(hb) // "" for another kind
		switch name {
		case "alg":
			alg = str
		case "kid":
			kid = str
		case "typ":
			typ = str
		}
	}
	if _, ok := r.Valid(); !ok {
		return errTokenMalformed
	}
	if alg != s.alg || kid != s.kid || (typ != wantTyp && strings.TrimPrefix(typ, "application/") != wantTyp) {
		return errTokenHeader
	}
	sig, ok := compact.AppendDecode(hb[len(hb):], sg)
	if !ok {
		return errTokenMalformed
	}
	if !s.verify(token[:len(h)+1+len(p)], sig) {
		return errTokenSignature
	}
	pb, ok := compact.AppendDecode(make([]byte, 0, enc.DecodedLen(len(p))), p)
	if !ok || DecodeClaims(pb, dst) != nil {
		return errTokenMalformed
	}
	return nil
}

// verify reports whether sig is the signer's signature of input.
func (s *Signer) verify(input string, sig []byte) bool {
	if s.mac != nil {
		return s.mac.Verify(input, sig)
	}
	return jwsalg.Verify(s.alg, s.public, input, sig)
}

// KeyID returns the "kid" header of the signer's tokens ("" for none).
func (s *Signer) KeyID() string { return s.kid }

// Algorithm returns the JWS "alg" of the signer's tokens.
func (s *Signer) Algorithm() string { return s.alg }

// PublicKey returns the key that verifies the signer's tokens: the HMAC
// secret, or the public key.
func (s *Signer) PublicKey() any { return s.public }

// Type returns the "typ" header of the signer's access tokens.
func (s *Signer) Type() string { return s.typ }

// RefreshType returns the "typ" header of the signer's refresh JWTs.
func (s *Signer) RefreshType() string { return s.rtTyp }

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
		return "", fmt.Errorf("no thumbprint for %T", pub)
	}
	sum := sha256.Sum256([]byte(canon))
	return b64(sum[:]), nil
}

// BearerConfig returns a bearer.Config that accepts exactly the access
// tokens s signs for issuer and audiences: its algorithm, key and typ,
// checking revocations in rev, on the clock now.
func (s *Signer) BearerConfig(issuer string, audiences []string, rev bearer.RevocationStore, now func() time.Time) bearer.Config {
	return bearer.Config{
		Issuers: []bearer.Issuer{{
			URL:        issuer,
			Algorithms: []string{s.alg},
			Keys:       []bearer.Key{{ID: s.kid, Algorithm: s.alg, Key: s.public}},
			Audiences:  slices.Clone(audiences),
			TokenType:  s.typ,
		}},
		Revocations: rev,
		Now:         now,
	}
}
