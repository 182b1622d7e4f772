package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse/internal/jwsalg"
)

// A Signer signs DPoP proofs with one private key (RFC 9449 §4.2). Build
// it with [NewSigner]; it is safe for concurrent use. [Transport] uses one
// to sign every request it sends.
type Signer struct {
	key        crypto.Signer
	alg        string
	hash       crypto.Hash
	header     string // the encoded protected header and its "."
	thumbprint string
}

// GenerateSigner returns a Signer of a new P-256 key, signing with ES256:
// what a client needs that keeps its DPoP key in memory for its own
// lifetime. A key held elsewhere (a KMS, a file) goes through [NewSigner].
func GenerateSigner() (*Signer, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return NewSigner(k, "ES256")
}

// NewSigner returns a Signer for key, which signs with alg: ES256, ES384
// or ES512 for an *ecdsa.PrivateKey (or any crypto.Signer with an
// *ecdsa.PublicKey) on the algorithm's curve, EdDSA for an Ed25519 key,
// RS256…RS512 or PS256…PS512 for an RSA key of at least 2048 bits. An
// empty alg selects the key's natural one: the ES algorithm of its
// curve, EdDSA, or PS256 for RSA. Any other combination fails with an
// error wrapping [ErrKeyType].
func NewSigner(key crypto.Signer, alg string) (*Signer, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: nil key", ErrKeyType)
	}
	pub := key.Public()
	var family jwsalg.Family
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		family = jwsalg.ECDSA
		if alg == "" {
			alg = jwsalg.ForCurve(k.Curve)
		}
		if alg == "" || jwsalg.FamilyOf(alg) == jwsalg.ECDSA && jwsalg.Curve(alg) != k.Curve {
			return nil, fmt.Errorf("%w: ECDSA key not on the curve of %q", ErrKeyType, alg)
		}
	case ed25519.PublicKey:
		family = jwsalg.Ed25519
		if alg == "" {
			alg = "EdDSA"
		}
	case *rsa.PublicKey:
		family = jwsalg.RSA
		if alg == "" {
			alg = "PS256"
		}
		if k.N.BitLen() < jwsalg.MinRSABits || k.N.BitLen() > maxRSABits {
			return nil, fmt.Errorf("%w: RSA key of %d bits", ErrKeyType, k.N.BitLen())
		}
	default:
		return nil, fmt.Errorf("%w: %T", ErrKeyType, pub)
	}
	if jwsalg.FamilyOf(alg) != family {
		return nil, fmt.Errorf("%w: %T cannot sign %q", ErrKeyType, pub, alg)
	}
	m, err := members(pub)
	if err != nil {
		return nil, err
	}
	h := map[string]any{"typ": "dpop+jwt", "alg": alg, "jwk": m.jwk()}
	hb, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	s := &Signer{
		key:        key,
		alg:        alg,
		header:     base64.RawURLEncoding.EncodeToString(hb) + ".",
		thumbprint: thumbprintOf(nil, m.kty, m.crv, m.x, m.y, m.n, m.e),
	}
	switch {
	case strings.HasSuffix(alg, "384"):
		s.hash = crypto.SHA384
	case strings.HasSuffix(alg, "512"):
		s.hash = crypto.SHA512
	case alg != "EdDSA":
		s.hash = crypto.SHA256
	}
	return s, nil
}

// jwk returns the public JWK of the members, for a proof's header.
func (m jwkMembers) jwk() map[string]string {
	out := map[string]string{"kty": m.kty}
	for name, v := range map[string]string{"crv": m.crv, "x": m.x, "y": m.y, "n": m.n, "e": m.e} {
		if v != "" {
			out[name] = v
		}
	}
	return out
}

// Algorithm returns the algorithm the Signer signs with.
func (s *Signer) Algorithm() string { return s.alg }

// Thumbprint returns the RFC 7638 thumbprint of the Signer's public key,
// the "jkt" of the tokens bound to it.
func (s *Signer) Thumbprint() string { return s.thumbprint }

// A ProofRequest is what [Signer.Sign] binds a proof to.
type ProofRequest struct {
	// Method is the request method, the proof's "htm".
	Method string
	// URI is the request URI; its query and fragment are left out of the
	// proof's "htu".
	URI string
	// AccessToken, when not empty, is the access token the request
	// presents; the proof carries its hash as "ath".
	AccessToken string
	// Nonce, when not empty, is the server's nonce, the proof's "nonce".
	Nonce string
	// JTI is the proof's unique id. Default: 26 random characters.
	JTI string
	// IssuedAt is the proof's "iat", in whole seconds. Default: now.
	IssuedAt time.Time
}

// proofClaims are the claims Sign writes.
type proofClaims struct {
	JTI   string `json:"jti"`
	HTM   string `json:"htm"`
	HTU   string `json:"htu"`
	IAT   int64  `json:"iat"`
	ATH   string `json:"ath,omitempty"`
	Nonce string `json:"nonce,omitempty"`
}

// Sign returns a fresh proof for req: a compact JWS with the header typ
// dpop+jwt, the Signer's alg and public jwk, and the claims of req.
func (s *Signer) Sign(req ProofRequest) (string, error) {
	if req.Method == "" || req.URI == "" {
		return "", fmt.Errorf("dpop: a proof needs a method and a URI")
	}
	c := proofClaims{JTI: req.JTI, HTM: req.Method, HTU: req.URI, Nonce: req.Nonce}
	if i := strings.IndexAny(c.HTU, "?#"); i >= 0 {
		c.HTU = c.HTU[:i]
	}
	if c.JTI == "" {
		c.JTI = rand.Text()
	}
	c.IAT = req.IssuedAt.Unix()
	if req.IssuedAt.IsZero() {
		c.IAT = time.Now().Unix()
	}
	if req.AccessToken != "" {
		c.ATH = TokenHash(req.AccessToken)
	}
	cb, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	input := s.header + base64.RawURLEncoding.EncodeToString(cb)
	sig, err := s.signature(input)
	if err != nil {
		return "", fmt.Errorf("dpop: signing a proof: %w", err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// signature signs input as the JWS algorithm s.alg does (RFC 7518 §3).
func (s *Signer) signature(input string) ([]byte, error) {
	if s.alg == "EdDSA" {
		return s.key.Sign(rand.Reader, []byte(input), crypto.Hash(0))
	}
	h := s.hash.New()
	h.Write([]byte(input))
	digest := h.Sum(nil)
	switch s.alg[:2] {
	case "PS":
		return s.key.Sign(rand.Reader, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: s.hash})
	case "RS":
		return s.key.Sign(rand.Reader, digest, s.hash)
	}
	der, err := s.key.Sign(rand.Reader, digest, s.hash)
	if err != nil {
		return nil, err
	}
	// ECDSA signers return ASN.1 DER; JWS wants R || S, each as long as
	// the curve's order (RFC 7518 §3.4).
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("ECDSA signature is not ASN.1 DER")
	}
	size := (jwsalg.Curve(s.alg).Params().BitSize + 7) / 8
	if rs.R.Sign() <= 0 || rs.S.Sign() <= 0 || rs.R.BitLen() > 8*size || rs.S.BitLen() > 8*size {
		return nil, fmt.Errorf("ECDSA signature out of range")
	}
	sig := make([]byte, 2*size)
	rs.R.FillBytes(sig[:size])
	rs.S.FillBytes(sig[size:])
	return sig, nil
}
