package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/MicahParks/jwkset"
	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/dpop"
)

// The algorithm families: the kind of key each JWS algorithm needs.
const (
	famHMAC    = "HMAC"
	famRSA     = "RSA"
	famECDSA   = "ECDSA"
	famEd25519 = "Ed25519"
)

// algInfo is what the command needs to know about a JWS algorithm: its
// key family, its curve (ECDSA) and its shortest secret (HMAC). The table
// is the set bearer verifies (bearer.Key's documentation).
type algInfo struct {
	family  string
	curve   elliptic.Curve
	hmacLen int
}

var algs = map[string]algInfo{
	"HS256": {family: famHMAC, hmacLen: 32},
	"HS384": {family: famHMAC, hmacLen: 48},
	"HS512": {family: famHMAC, hmacLen: 64},
	"RS256": {family: famRSA}, "RS384": {family: famRSA}, "RS512": {family: famRSA},
	"PS256": {family: famRSA}, "PS384": {family: famRSA}, "PS512": {family: famRSA},
	"ES256": {family: famECDSA, curve: elliptic.P256()},
	"ES384": {family: famECDSA, curve: elliptic.P384()},
	"ES512": {family: famECDSA, curve: elliptic.P521()},
	"EdDSA": {family: famEd25519},
}

// algNames lists the supported algorithms, sorted.
func algNames() string {
	names := make([]string, 0, len(algs))
	for n := range algs {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// lookupAlg returns the algorithm alg, or an error naming the supported
// ones ("none" is never one).
func lookupAlg(alg string) (algInfo, error) {
	info, ok := algs[alg]
	if !ok {
		return algInfo{}, fmt.Errorf("unsupported algorithm %s (want one of %s)", quoteArg(alg), algNames())
	}
	return info, nil
}

// maxKeyFile bounds the size of a key file.
const maxKeyFile = 1 << 20

// readKeyFile reads a key file.
func readKeyFile(path string) ([]byte, error) { return readFile(path, "key file") }

// readFile reads the file path, what it is for messages, of at most
// maxKeyFile bytes and not empty. Its errors name the file, unless the
// path looks like a secret pasted where a file name belongs.
func readFile(path, what string) ([]byte, error) {
	name := fmt.Sprintf("%s %q", what, path)
	if looksSecret(path) {
		name = what + " (the value given looks like a token or key, not a file name: give a file, or - for stdin)"
	}
	return readNamed(path, name)
}

// readNamed reads the file path, of at most maxKeyFile bytes and not
// empty; its errors call it name and never repeat path.
func readNamed(path, name string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // its text repeats the path
		}
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	b, err := readLimited(f, maxKeyFile, name)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("%s is empty", name)
	}
	return b, nil
}

// looksSecret reports whether s, given where a file name or an id belongs,
// looks like a JWT or an API key, which must then not be echoed: an API
// key, anything starting as an encoded JWT header does ("eyJ"), or the
// compact form of a JWS or JWE — three or five dot-separated segments of
// base64url characters, the first starting as an encoded JSON object does.
// A URL, an e-mail address or a file name with two dots is none of these.
func looksSecret(s string) bool {
	if _, err := apikey.ParseKey(s); err == nil || strings.HasPrefix(s, "ak_") {
		return true
	}
	return strings.HasPrefix(s, "eyJ") || looksCompact(s)
}

// looksCompact reports whether s has the shape of a compact JWS or JWE
// (RFC 7515 §7.1, RFC 7516 §7.1): three or five segments of base64url
// characters, the first one, a header, starting with "ey" or "ew" (the
// encoding of "{" followed by a quote, a space or a line break).
func looksCompact(s string) bool {
	if n := strings.Count(s, "."); n != 2 && n != 4 {
		return false
	}
	if !strings.HasPrefix(s, "ey") && !strings.HasPrefix(s, "ew") {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '=':
		default:
			return false
		}
	}
	return true
}

// keyKind tells the three forms of key file apart.
type keyKind int

const (
	kindPEM keyKind = iota
	kindJSON
	kindSecret
)

func kindOf(b []byte) keyKind {
	t := bytes.TrimSpace(b)
	switch {
	case bytes.HasPrefix(t, []byte("-----BEGIN ")):
		return kindPEM
	case bytes.HasPrefix(t, []byte("{")):
		return kindJSON
	}
	return kindSecret
}

// hmacSecret returns the secret of a raw secret file: its bytes, without
// one trailing newline when the file is text (as echo writes it).
func hmacSecret(b []byte) []byte {
	if !utf8.Valid(b) {
		return b
	}
	t := trimNewline(b)
	for _, r := range string(t) {
		if !unicode.IsPrint(r) {
			return b
		}
	}
	return t
}

// signingKey is a private key (or HMAC secret) to sign tokens with.
type signingKey struct {
	alg, kid string
	key      any // []byte, *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey
}

// loadSigningKey reads a private key from path: a PEM private key (PKCS #8,
// SEC 1 or PKCS #1), a private JWK (as jwk generate writes it), or a raw
// HMAC secret. alg and kid, when not empty, are the -alg and -kid flags.
func loadSigningKey(path, alg, kid string) (signingKey, error) {
	b, err := readKeyFile(path)
	if err != nil {
		return signingKey{}, err
	}
	var key any
	jwkAlg, jwkKID := "", ""
	switch kindOf(b) {
	case kindPEM:
		if key, err = parsePrivatePEM(b); err != nil {
			return signingKey{}, fmt.Errorf("key file %s: %w", path, err)
		}
	case kindJSON:
		var probe struct {
			Keys json.RawMessage `json:"keys"`
		}
		if json.Unmarshal(b, &probe) == nil && probe.Keys != nil {
			return signingKey{}, fmt.Errorf("key file %s is a JWK Set (public keys): give the private JWK", path)
		}
		j, err := jwkset.NewJWKFromRawJSON(b, jwkset.JWKMarshalOptions{Private: true}, jwkset.JWKValidateOptions{})
		if err != nil {
			return signingKey{}, fmt.Errorf("key file %s is not a usable JWK: %v", path, err)
		}
		switch k := j.Key().(type) {
		case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey, []byte:
			key = k
		default:
			return signingKey{}, fmt.Errorf("key file %s holds a public JWK, which cannot sign: give the private one", path)
		}
		jwkAlg, jwkKID = string(j.Marshal().ALG), j.Marshal().KID
	default:
		key = hmacSecret(b)
	}
	if alg == "" {
		alg = jwkAlg
	} else if jwkAlg != "" && alg != jwkAlg {
		return signingKey{}, fmt.Errorf("-alg %s does not match the key's own alg %s", quoteArg(alg), jwkAlg)
	}
	if alg, err = fitAlg(key, alg); err != nil {
		return signingKey{}, err
	}
	if kid == "" {
		kid = jwkKID
	}
	if kid == "" && algs[alg].family != famHMAC {
		if kid, err = dpop.Thumbprint(key); err != nil {
			return signingKey{}, err
		}
	}
	return signingKey{alg: alg, kid: kid, key: key}, nil
}

// parsePrivatePEM parses the first private key block of a PEM file.
func parsePrivatePEM(b []byte) (any, error) {
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return nil, errors.New("no private key in the PEM data")
		}
		switch block.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("invalid PKCS #8 private key: %v", err)
			}
			return k, nil
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("invalid EC private key: %v", err)
			}
			return k, nil
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("invalid RSA private key: %v", err)
			}
			return k, nil
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("the private key is encrypted: decrypt it first (openssl pkcs8)")
		case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
			return nil, errors.New("a public key cannot sign: give the private key")
		}
	}
}

// fitAlg checks that key can sign or verify alg and returns alg; an empty
// alg is inferred from an ECDSA or Ed25519 key, and required for RSA and
// HMAC keys (a usage error).
func fitAlg(key any, alg string) (string, error) {
	var family string
	var curve elliptic.Curve
	var bits int
	switch k := key.(type) {
	case []byte:
		family = famHMAC
	case *rsa.PrivateKey:
		family, bits = famRSA, k.N.BitLen()
	case *rsa.PublicKey:
		family, bits = famRSA, k.N.BitLen()
	case *ecdsa.PrivateKey:
		family, curve = famECDSA, k.Curve
	case *ecdsa.PublicKey:
		family, curve = famECDSA, k.Curve
	case ed25519.PrivateKey, ed25519.PublicKey:
		family = famEd25519
	default:
		return "", fmt.Errorf("unsupported key type %T", key)
	}
	if alg == "" {
		switch family {
		case famECDSA:
			for name, info := range algs {
				if info.curve == curve {
					return name, nil
				}
			}
			return "", fmt.Errorf("unsupported curve %s", curve.Params().Name)
		case famEd25519:
			return "EdDSA", nil
		case famRSA:
			return "", usageErrorf("-alg is required for an RSA key (RS256, PS256, …)")
		}
		return "", usageErrorf("-alg is required for an HMAC secret (HS256, HS384, HS512)")
	}
	info, err := lookupAlg(alg)
	if err != nil {
		return "", err
	}
	switch {
	case info.family != family:
		return "", fmt.Errorf("-alg %s needs an %s key, and the key is an %s key", alg, info.family, family)
	case family == famECDSA && info.curve != curve:
		return "", fmt.Errorf("-alg %s needs a key on %s, and the key is on %s", alg, info.curve.Params().Name, curve.Params().Name)
	case family == famRSA && bits < bearer.MinRSABits:
		return "", fmt.Errorf("the RSA key has %d bits, fewer than the %d gatehouse accepts", bits, bearer.MinRSABits)
	case family == famHMAC && len(key.([]byte)) < info.hmacLen:
		return "", fmt.Errorf("the %s secret has %d bytes, fewer than the %d %s needs (RFC 7518 §3.2)", alg, len(key.([]byte)), info.hmacLen, alg)
	}
	return alg, nil
}

// loadVerifyKeys reads the keys token inspect verifies with from path: a
// PEM public or private key, a JWK, a JWK Set, or a raw HMAC secret, read
// with bearer's own parsers where it has them (ParsePublicKeyPEM,
// ParseJWK, ParseJWKSet). alg and kid are the -alg and -kid flags.
func loadVerifyKeys(path, alg, kid string) ([]bearer.Key, error) {
	b, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	switch kindOf(b) {
	case kindPEM:
		block, _ := pem.Decode(b)
		if block == nil {
			return nil, fmt.Errorf("key file %s: invalid PEM data", path)
		}
		switch block.Type {
		case "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
			priv, err := parsePrivatePEM(b)
			if err != nil {
				return nil, fmt.Errorf("key file %s: %w", path, err)
			}
			signer, ok := priv.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("key file %s: unsupported key type %T", path, priv)
			}
			pub := signer.Public()
			if alg, err = fitAlg(pub, alg); err != nil {
				return nil, err
			}
			return []bearer.Key{{ID: kid, Algorithm: alg, Key: pub}}, nil
		}
		if alg == "" {
			pub, err := publicOfPEM(block)
			if err != nil {
				return nil, fmt.Errorf("key file %s: %w", path, err)
			}
			if alg, err = fitAlg(pub, ""); err != nil {
				return nil, err
			}
		}
		k, err := bearer.ParsePublicKeyPEM(alg, kid, b)
		if err != nil {
			return nil, fmt.Errorf("key file %s: %w", path, err)
		}
		return []bearer.Key{k}, nil
	case kindJSON:
		var probe struct {
			Keys json.RawMessage `json:"keys"`
			Alg  string          `json:"alg"`
			Kty  string          `json:"kty"`
		}
		if err := json.Unmarshal(b, &probe); err != nil {
			return nil, fmt.Errorf("key file %s is not JSON: %v", path, err)
		}
		if probe.Keys != nil {
			if alg != "" || kid != "" {
				return nil, usageErrorf("-alg and -kid do not apply to a JWK Set, whose keys name their own")
			}
			keys, err := bearer.ParseJWKSet(b)
			if err != nil {
				return nil, fmt.Errorf("key file %s: %w", path, err)
			}
			return keys, nil
		}
		if alg == "" && probe.Alg == "" && (probe.Kty == "RSA" || probe.Kty == "oct") {
			return nil, usageErrorf("-alg is required for a JWK of type %s without alg", probe.Kty)
		}
		k, err := bearer.ParseJWK(b, alg)
		if err != nil {
			return nil, fmt.Errorf("key file %s: %w", path, err)
		}
		if alg != "" && k.Algorithm != alg {
			return nil, fmt.Errorf("-alg %s does not match the key's own alg %s", alg, k.Algorithm)
		}
		if kid != "" {
			k.ID = kid
		}
		return []bearer.Key{k}, nil
	}
	secret := hmacSecret(b)
	if alg, err = fitAlg(secret, alg); err != nil {
		return nil, err
	}
	return []bearer.Key{{ID: kid, Algorithm: alg, Key: secret}}, nil
}

// publicOfPEM parses the public key of a PEM block, to infer its
// algorithm.
func publicOfPEM(block *pem.Block) (any, error) {
	switch block.Type {
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		return c.PublicKey, nil
	}
	return nil, fmt.Errorf("unsupported PEM block %q", block.Type)
}

// octThumbprint is the RFC 7638 thumbprint of a symmetric key: the
// base64url SHA-256 of {"k":…,"kty":"oct"}.
func octThumbprint(secret []byte) string {
	sum := sha256.Sum256([]byte(`{"k":"` + base64.RawURLEncoding.EncodeToString(secret) + `","kty":"oct"}`))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
