package dpop

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse/internal/compact"
)

// Bounds on what a proof may be, so that a hostile one costs little.
const (
	// maxProofBytes bounds the DPoP header: an RS512 proof with an
	// 8192-bit key is about 3.7 KB.
	maxProofBytes = 8 << 10
	// maxJTIBytes bounds the proof id the replay store keeps.
	maxJTIBytes = 128
)

// A Verifier checks DPoP proofs (RFC 9449 §4.3). Build it with [New]; it
// is safe for concurrent use.
type Verifier struct {
	algs      []string
	algsParam string // algs joined by spaces, for the challenge
	methods   map[string]jwt.SigningMethod
	window    time.Duration
	replay    ReplayStore
	origin    string // normalized scheme://host[:port], or ""
	nonces    *nonces
	now       func() time.Time
}

// A Proof is what [Verifier.Verify] accepted.
type Proof struct {
	// Thumbprint is the RFC 7638 SHA-256 thumbprint of the proof's key,
	// base64url: the "jkt" an access token bound to the key carries in its
	// "cnf" claim (RFC 9449 §6).
	Thumbprint string
	// JTI is the proof's unique id.
	JTI string
	// IssuedAt is the proof's "iat", in UTC.
	IssuedAt time.Time
	// Algorithm is the proof's "alg".
	Algorithm string
	// Nonce is the proof's "nonce", "" when it has none.
	Nonce string
}

// Algorithms returns the accepted proof algorithms, for the algs
// parameter of a DPoP challenge and an authorization server's
// dpop_signing_alg_values_supported metadata (RFC 9449 §5.1). The slice is
// the caller's own.
func (v *Verifier) Algorithms() []string { return append([]string(nil), v.algs...) }

// Verify checks the DPoP proof of r (RFC 9449 §4.3) and returns it. Every
// check is made, cheapest first, before the proof's id is spent in the
// replay store, so a refused proof never writes to the store:
//
//   - r has exactly one DPoP header field, and it is a compact JWS with
//     strict base64url segments and JSON objects as header and claims;
//   - its "typ" is dpop+jwt (compared as a media type), its "alg" one of
//     the configured algorithms, its "jwk" a public key (no private key
//     member) of a type that fits "alg": an EC key on the algorithm's
//     curve, an Ed25519 key, an RSA key of 2048 to 8192 bits; no "crit";
//   - its "jti" is a non-empty string of at most 128 bytes; "htm" is
//     r.Method; "htu" is r's URI without query and fragment, both sides
//     normalized as RFC 3986 §6.2.2 and §6.2.3 say (see Config.Origin);
//     "iat" is within Config.Window of now;
//   - when accessToken is not empty, "ath" is its hash ([TokenHash]);
//   - the signature verifies with "jwk";
//   - with nonces on, "nonce" is current ([ErrUseNonce] otherwise);
//   - finally the "jti" is recorded in the replay store, under the key's
//     thumbprint, and a proof whose id was already used is refused with
//     [ErrReplayed].
//
// A refusal returns the sentinel of [Refusals] that names it; a failing
// replay store an error wrapping [ErrUnavailable] and the store's error,
// which the caller answers with 503. A resource server that has the
// access token's cnf.jkt uses [Verifier.VerifyBound].
func (v *Verifier) Verify(ctx context.Context, r *http.Request, accessToken string) (Proof, error) {
	return v.verify(ctx, r, accessToken, "")
}

// VerifyBound is [Verifier.Verify] for a request that presents an access
// token bound to a key: it also refuses, with [ErrKeyMismatch], a proof
// whose key's thumbprint is not thumbprint (the token's "cnf" "jkt"),
// before the proof's id is spent, so proofs made with any other key never
// write to the replay store. An empty thumbprint is refused the same way:
// a token that is not bound to a key is not a DPoP token.
func (v *Verifier) VerifyBound(ctx context.Context, r *http.Request, accessToken, thumbprint string) (Proof, error) {
	if thumbprint == "" {
		return Proof{}, ErrKeyMismatch
	}
	return v.verify(ctx, r, accessToken, thumbprint)
}

// header is the protected header of a proof.
type header struct {
	Typ  string          `json:"typ"`
	Alg  string          `json:"alg"`
	JWK  jwk             `json:"jwk"`
	Crit json.RawMessage `json:"crit"`
}

// claims are the claims of a proof.
type claims struct {
	JTI   string  `json:"jti"`
	HTM   string  `json:"htm"`
	HTU   string  `json:"htu"`
	IAT   float64 `json:"iat"` // NaN when absent (or null)
	ATH   string  `json:"ath"`
	Nonce string  `json:"nonce"`
}

func (v *Verifier) verify(ctx context.Context, r *http.Request, accessToken, want string) (Proof, error) {
	vals := r.Header.Values("DPoP")
	switch {
	case len(vals) == 0 || len(vals) == 1 && vals[0] == "":
		return Proof{}, ErrMissingProof
	case len(vals) > 1:
		return Proof{}, ErrMultipleProofs
	case len(vals[0]) > maxProofBytes:
		return Proof{}, ErrMalformedProof
	}
	tok, ok := compact.Split(vals[0])
	if !ok {
		return Proof{}, ErrMalformedProof
	}

	// The header: type, algorithm and key.
	var h header
	if json.Unmarshal(tok.Header, &h) != nil || h.Crit != nil {
		return Proof{}, ErrMalformedProof
	}
	if !compact.TypeMatches(h.Typ, "dpop+jwt") {
		return Proof{}, ErrProofType
	}
	method := v.methods[h.Alg]
	if method == nil {
		return Proof{}, ErrProofAlgorithm
	}
	switch {
	case h.JWK.private():
		return Proof{}, ErrPrivateKey
	case h.JWK.Kty == "":
		return Proof{}, ErrProofKey // no jwk, or one without "kty"
	}
	key, err := h.JWK.publicKey(h.Alg)
	if err != nil {
		return Proof{}, ErrProofKey
	}

	// The claims, checked against the request before the signature.
	c := claims{IAT: math.NaN()}
	if b, err := compact.Encoding.DecodeString(tok.Payload); err != nil || json.Unmarshal(b, &c) != nil {
		return Proof{}, ErrMalformedProof
	}
	if c.JTI == "" || len(c.JTI) > maxJTIBytes || c.HTM == "" || c.HTU == "" || math.IsNaN(c.IAT) {
		return Proof{}, ErrMalformedProof
	}
	if c.HTM != r.Method {
		return Proof{}, ErrMethodMismatch
	}
	if !v.matchURI(r, c.HTU) {
		return Proof{}, ErrURIMismatch
	}
	now := v.now()
	iat := c.IAT
	if d := iat - float64(now.UnixNano())/1e9; math.Abs(d) > v.window.Seconds() {
		return Proof{}, ErrProofExpired
	}
	if accessToken != "" && !matchTokenHash(c.ATH, accessToken) {
		return Proof{}, ErrTokenHash
	}

	// The key the token is bound to, before the signature: a hash, where
	// a proof key of another client costs nothing more.
	thumb := h.JWK.thumbprint()
	if want != "" && thumb != want {
		return Proof{}, ErrKeyMismatch
	}

	// The signature, with the proof's own key.
	sig, err := compact.Encoding.DecodeString(tok.Signature)
	if err != nil || method.Verify(tok.SigningInput, sig, key) != nil {
		return Proof{}, ErrProofSignature
	}

	if v.nonces != nil && !v.nonces.valid(c.Nonce, now) {
		return Proof{}, ErrUseNonce
	}

	// Last, spend the proof's id.
	fresh, err := v.replay.Use(ctx, "dpop:"+thumb, c.JTI, v.replayTTL())
	switch {
	case errors.Is(err, ErrScopeFull):
		return Proof{}, ErrTooManyProofs
	case err != nil:
		return Proof{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if !fresh {
		return Proof{}, ErrReplayed
	}
	sec, frac := math.Modf(iat)
	return Proof{
		Thumbprint: thumb,
		JTI:        c.JTI,
		IssuedAt:   time.Unix(int64(sec), int64(frac*1e9)).UTC(),
		Algorithm:  h.Alg,
		Nonce:      c.Nonce,
	}, nil
}

// TokenHash returns the "ath" of a proof sent with accessToken: the
// base64url (unpadded) SHA-256 hash of its ASCII bytes (RFC 9449 §4.2).
func TokenHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// matchTokenHash reports whether ath is accessToken's hash, without
// allocating.
func matchTokenHash(ath, accessToken string) bool {
	sum := sha256.Sum256([]byte(accessToken))
	var enc [43]byte // base64url of 32 bytes
	base64.RawURLEncoding.Encode(enc[:], sum[:])
	return subtle.ConstantTimeCompare(enc[:], []byte(ath)) == 1
}
