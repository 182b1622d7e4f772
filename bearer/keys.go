package bearer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/MicahParks/jwkset"

	"github.com/gatehouse-go/gatehouse/internal/jwsalg"
)

// A Key verifies tokens of exactly one algorithm. ID is matched against the
// token's "kid" header; it may be empty only when it is the Authenticator's
// single key. Key is the verification key:
//
//   - []byte for HS256, HS384, HS512 (at least 32, 48, 64 bytes);
//   - *rsa.PublicKey for RS256, RS384, RS512, PS256, PS384, PS512 (at least
//     2048 bits);
//   - *ecdsa.PublicKey on P-256, P-384, P-521 for ES256, ES384, ES512;
//   - ed25519.PublicKey for EdDSA.
//
// Private keys of those types are accepted and reduced to their public half.
type Key struct {
	ID        string
	Algorithm string
	Key       any
}

// MinRSABits is the smallest RSA modulus a Key may have.
const MinRSABits = jwsalg.MinRSABits

// checkAlgorithm reports an error for an algorithm name bearer does not
// verify (the JWS algorithms of [jwsalg]); "none" is refused in every
// spelling.
func checkAlgorithm(alg string) error {
	if strings.EqualFold(alg, "none") {
		return fmt.Errorf("%w: algorithm %q is never accepted", ErrConfig, alg)
	}
	if jwsalg.FamilyOf(alg) == "" {
		return fmt.Errorf("%w: unsupported algorithm %q", ErrConfig, alg)
	}
	return nil
}

// bindKey checks that key can verify alg and returns the key in the form
// golang-jwt expects (public half, copied HMAC secret).
func bindKey(alg string, key any) (any, error) {
	if err := checkAlgorithm(alg); err != nil {
		return nil, err
	}
	if v := reflect.ValueOf(key); !v.IsValid() || v.Kind() == reflect.Pointer && v.IsNil() {
		// A nil key, or a typed nil such as (*rsa.PublicKey)(nil), which
		// Public() or a field read would dereference.
		return nil, fmt.Errorf("%w: %s key is nil", ErrConfig, alg)
	}
	if pk, ok := key.(interface{ Public() crypto.PublicKey }); ok {
		key = pk.Public()
	}
	switch jwsalg.FamilyOf(alg) {
	case jwsalg.HMAC:
		secret, ok := key.([]byte)
		if !ok {
			return nil, fmt.Errorf("%w: %s needs a []byte secret, got %T", ErrConfig, alg, key)
		}
		if min := jwsalg.HMACMinLen(alg); len(secret) < min {
			return nil, fmt.Errorf("%w: %s secret has %d bytes, at least %d are required", ErrConfig, alg, len(secret), min)
		}
		return slices.Clone(secret), nil
	case jwsalg.RSA:
		pub, ok := key.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: %s needs an RSA public key, got %T", ErrConfig, alg, key)
		}
		if pub.N == nil || pub.N.BitLen() < MinRSABits {
			return nil, fmt.Errorf("%w: RSA key shorter than %d bits", ErrConfig, MinRSABits)
		}
		return pub, nil
	case jwsalg.ECDSA:
		pub, ok := key.(*ecdsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: %s needs an ECDSA public key, got %T", ErrConfig, alg, key)
		}
		if curve := jwsalg.Curve(alg); pub.Curve != curve {
			return nil, fmt.Errorf("%w: %s needs a key on %s", ErrConfig, alg, curve.Params().Name)
		}
		if !onCurve(pub) {
			return nil, fmt.Errorf("%w: %s key is not a point of %s", ErrConfig, alg, pub.Curve.Params().Name)
		}
		return pub, nil
	case jwsalg.Ed25519:
		pub, ok := key.(ed25519.PublicKey)
		if !ok || len(pub) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: EdDSA needs an Ed25519 public key, got %T", ErrConfig, key)
		}
		return slices.Clone(pub), nil
	}
	return nil, fmt.Errorf("%w: unsupported algorithm %q", ErrConfig, alg)
}

// ParsePublicKeyPEM parses a PEM block holding a public key ("PUBLIC KEY",
// PKIX; "RSA PUBLIC KEY", PKCS #1) or a certificate ("CERTIFICATE", whose
// public key is used) and binds it to alg under the key id kid. It fails when
// the key cannot verify alg. Private keys are refused: hand a verifier only
// what it needs.
func ParsePublicKeyPEM(alg, kid string, data []byte) (Key, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return Key{}, fmt.Errorf("%w: no PEM block found", ErrConfig)
	}
	var pub any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			pub = cert.PublicKey
		}
	default:
		return Key{}, fmt.Errorf("%w: PEM block %q is not a public key or certificate", ErrConfig, block.Type)
	}
	if err != nil {
		return Key{}, fmt.Errorf("%w: parse PEM public key: %w", ErrConfig, err)
	}
	k, err := bindKey(alg, pub)
	if err != nil {
		return Key{}, err
	}
	return Key{ID: kid, Algorithm: alg, Key: k}, nil
}

// ParseJWK parses one JSON Web Key (RFC 7517). The key's "alg" member binds
// it to an algorithm; without one the algorithm follows from the key (EC
// curve, Ed25519) or must be given as alg, which is also required for RSA
// and HMAC ("oct") keys without "alg". A key whose "use" is not "sig" is
// refused. Private members are ignored; only the public half is kept.
func ParseJWK(raw []byte, alg string) (Key, error) {
	j, err := jwkset.NewJWKFromRawJSON(raw, jwkset.JWKMarshalOptions{Private: true}, jwkset.JWKValidateOptions{})
	if err != nil {
		return Key{}, fmt.Errorf("%w: parse JWK: %w", ErrConfig, err)
	}
	return keyFromJWK(j, alg, "", true)
}

// ParseJWKSet parses a JSON Web Key Set document ({"keys":[…]}) into Keys,
// as [ParseJWK] does for each member. Every key must carry a "kid" when the
// set has more than one.
func ParseJWKSet(raw []byte) ([]Key, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("%w: parse JWK Set: %w", ErrConfig, err)
	}
	if len(set.Keys) == 0 {
		return nil, fmt.Errorf("%w: empty JWK Set", ErrConfig)
	}
	keys := make([]Key, 0, len(set.Keys))
	for i, m := range set.Keys {
		k, err := ParseJWK(m, "")
		if err != nil {
			return nil, fmt.Errorf("JWK Set member %d: %w", i, err)
		}
		if len(set.Keys) > 1 && k.ID == "" {
			return nil, fmt.Errorf("%w: JWK Set member %d has no kid", ErrConfig, i)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// onCurve reports whether pub holds a point of its curve. crypto/ecdsa
// refuses a point off the curve, and panics on a key built without one
// (nil coordinates), which is then not a key either.
func onCurve(pub *ecdsa.PublicKey) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	_, err := pub.ECDH()
	return err == nil
}

// keyFromJWK binds a parsed JWK to one algorithm: its own "alg", else
// explicit, else the one its key type allows (rsaDefault for RSA keys).
// explicit, when set, must agree with the JWK's "alg". allowHMAC is false for
// keys fetched from a remote set, which must never supply a shared secret.
func keyFromJWK(j jwkset.JWK, explicit, rsaDefault string, allowHMAC bool) (Key, error) {
	m := j.Marshal()
	if m.USE != "" && m.USE != jwkset.UseSig {
		return Key{}, fmt.Errorf("%w: JWK use %q is not sig", ErrConfig, m.USE)
	}
	if len(m.KEYOPS) > 0 && !slices.Contains(m.KEYOPS, jwkset.KeyOpsVerify) {
		// RFC 7517 §4.3: the operations the key is for.
		return Key{}, fmt.Errorf("%w: JWK key_ops %q do not include verify", ErrConfig, m.KEYOPS)
	}
	key := j.Key()
	if v := reflect.ValueOf(key); !v.IsValid() || v.Kind() == reflect.Pointer && v.IsNil() {
		return Key{}, fmt.Errorf("%w: JWK holds no key", ErrConfig)
	}
	if pk, ok := key.(interface{ Public() crypto.PublicKey }); ok {
		key = pk.Public()
	}
	if _, isSecret := key.([]byte); isSecret && !allowHMAC {
		return Key{}, fmt.Errorf("%w: symmetric JWK refused from a remote set", ErrConfig)
	}
	alg := m.ALG.String()
	if explicit != "" && alg != "" && alg != explicit {
		return Key{}, fmt.Errorf("%w: JWK alg %q does not match %q", ErrConfig, alg, explicit)
	}
	if alg == "" {
		alg = explicit
	}
	if alg == "" {
		alg = inferAlgorithm(key)
	}
	if _, isRSA := key.(*rsa.PublicKey); alg == "" && isRSA {
		alg = rsaDefault
	}
	if alg == "" {
		return Key{}, fmt.Errorf("%w: JWK %q has no alg and its algorithm is ambiguous", ErrConfig, m.KID)
	}
	k, err := bindKey(alg, key)
	if err != nil {
		return Key{}, err
	}
	return Key{ID: m.KID, Algorithm: alg, Key: k}, nil
}

// inferAlgorithm returns the only algorithm a key type allows, or "" when
// there are several (RSA, HMAC).
func inferAlgorithm(key any) string {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		return jwsalg.ForCurve(k.Curve)
	case ed25519.PublicKey:
		return "EdDSA"
	}
	return ""
}
