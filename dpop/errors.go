package dpop

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gatehouse-go/gatehouse"
)

// Sentinel errors. [Verifier.Verify] returns one of the refusal sentinels
// itself, or an error wrapping [ErrUnavailable] and the store's error, so
// errors.Is(err, dpop.ErrReplayed) tells the server why. None of them
// carries any part of the proof. [Refusals] lists the refusals and
// [ErrorCode] gives each its OAuth error code.
var (
	ErrMissingProof   = errors.New("dpop: no DPoP proof")
	ErrMultipleProofs = errors.New("dpop: several DPoP header fields")
	ErrMalformedProof = errors.New("dpop: malformed DPoP proof")
	ErrProofType      = errors.New(`dpop: proof "typ" is not dpop+jwt`)
	ErrProofAlgorithm = errors.New("dpop: proof algorithm not accepted")
	ErrProofKey       = errors.New("dpop: proof key unsupported or invalid")
	ErrPrivateKey     = errors.New("dpop: proof key contains private key material")
	ErrProofSignature = errors.New("dpop: proof signature invalid")
	ErrMethodMismatch = errors.New(`dpop: proof "htm" does not match the request method`)
	ErrURIMismatch    = errors.New(`dpop: proof "htu" does not match the request URI`)
	ErrProofExpired   = errors.New(`dpop: proof "iat" outside the accepted window`)
	ErrTokenHash      = errors.New(`dpop: proof "ath" does not match the access token`)
	ErrKeyMismatch    = errors.New("dpop: proof key is not the key the access token is bound to")
	ErrUseNonce       = errors.New("dpop: proof nonce missing, invalid or expired")
	ErrReplayed       = errors.New("dpop: proof already used")
	ErrTooManyProofs  = errors.New("dpop: too many live proofs of one key")
	ErrUnavailable    = errors.New("dpop: replay store unavailable")
	ErrConfig         = errors.New("dpop: invalid configuration")
	// ErrStoreFull is returned by a [MemoryReplay] that holds as many live
	// proof ids as it may: it refuses the write rather than forget one, and
	// Verify fails with [ErrUnavailable].
	ErrStoreFull = errors.New("dpop: replay store full")
	// ErrScopeFull is returned by a [MemoryReplay] whose scope (one proof
	// key) holds as many live proof ids as it may: Verify refuses the
	// proof with [ErrTooManyProofs], and the other keys go on.
	ErrScopeFull = errors.New("dpop: replay scope full")
	// ErrReplayTTL is returned by [MemoryReplay.Use] for a ttl that is not
	// positive.
	ErrReplayTTL = errors.New("dpop: replay ttl must be positive")
)

// The OAuth error codes of DPoP refusals (RFC 9449 §7.1, §8 and §9).
const (
	// CodeInvalidProof: the proof is missing, malformed or does not fit the
	// request.
	CodeInvalidProof = "invalid_dpop_proof"
	// CodeUseNonce: the proof lacks the server's current nonce; the answer
	// must carry a fresh one in the DPoP-Nonce header ([Verifier.Nonce]).
	CodeUseNonce = "use_dpop_nonce"
)

// The audit reasons of DPoP refusals ([gatehouse.Event].Reason), one per
// row of [Refusals]. A failing replay store is
// [gatehouse.ReasonStoreUnavailable].
const (
	// ReasonMissingProof: no DPoP header, or an empty one.
	ReasonMissingProof gatehouse.Reason = "dpop_proof_missing"
	// ReasonMultipleProofs: several DPoP header lines.
	ReasonMultipleProofs gatehouse.Reason = "dpop_multiple_proofs"
	// ReasonMalformedProof: not a compact JWS of JSON objects, or a
	// required claim missing or mistyped.
	ReasonMalformedProof gatehouse.Reason = "dpop_proof_malformed"
	// ReasonProofType: a "typ" header other than dpop+jwt.
	ReasonProofType gatehouse.Reason = "dpop_proof_type"
	// ReasonProofAlgorithm: an "alg" outside Config.Algorithms.
	ReasonProofAlgorithm gatehouse.Reason = "dpop_proof_algorithm"
	// ReasonProofKey: a "jwk" header that is missing, of an unsupported
	// type, invalid, too weak or unfit for "alg".
	ReasonProofKey gatehouse.Reason = "dpop_proof_key"
	// ReasonPrivateKey: a "jwk" header with private key members.
	ReasonPrivateKey gatehouse.Reason = "dpop_private_key"
	// ReasonProofSignature: a signature that does not verify with "jwk".
	ReasonProofSignature gatehouse.Reason = "dpop_proof_signature"
	// ReasonMethodMismatch: "htm" is not the request method.
	ReasonMethodMismatch gatehouse.Reason = "dpop_method_mismatch"
	// ReasonURIMismatch: "htu" is not the request URI.
	ReasonURIMismatch gatehouse.Reason = "dpop_uri_mismatch"
	// ReasonProofExpired: "iat" outside Config.Window of now.
	ReasonProofExpired gatehouse.Reason = "dpop_proof_expired"
	// ReasonTokenHash: "ath" missing or not the access token's hash.
	ReasonTokenHash gatehouse.Reason = "dpop_token_hash"
	// ReasonKeyMismatch: the proof's key is not the access token's.
	ReasonKeyMismatch gatehouse.Reason = "dpop_key_mismatch"
	// ReasonUseNonce: the proof lacks a current server nonce.
	ReasonUseNonce gatehouse.Reason = "dpop_use_nonce"
	// ReasonReplayed: the proof's "jti" was already used with its key.
	ReasonReplayed gatehouse.Reason = "dpop_proof_replayed"
	// ReasonTooManyProofs: the key has as many live proofs in the replay
	// store as one key may.
	ReasonTooManyProofs gatehouse.Reason = "dpop_too_many_proofs"
)

// refusal is one row of the table with the OAuth error code it answers.
type refusal struct {
	gatehouse.Refusal
	code string
}

// refusals is dpop's refusal table: every refusal's sentinel, the status a
// resource server answers (a token endpoint answers 400 in place of 401,
// RFC 9449 §5), a client message, the audit reason and the OAuth code.
var refusals = [...]refusal{
	{gatehouse.Refusal{Err: ErrMissingProof, Status: http.StatusUnauthorized, Message: "Missing DPoP proof", Reason: ReasonMissingProof}, CodeInvalidProof},
	{gatehouse.Refusal{Err: ErrMultipleProofs, Status: http.StatusBadRequest, Message: "Send exactly one DPoP header", Reason: ReasonMultipleProofs}, CodeInvalidProof},
	{gatehouse.Refusal{Err: ErrMalformedProof, Status: http.StatusUnauthorized, Message: "Malformed DPoP proof", Reason: ReasonMalformedProof}, CodeInvalidProof},
	{gatehouse.Refusal{Err: ErrProofType, Status: http.StatusUnauthorized, Message: "Invalid DPoP proof type", Reason: ReasonProofType}, CodeInvalidProof},
	{gatehouse.Refusal{Err: ErrProofAlgorithm, Status: http.StatusUnauthorized, Message: "DPoP proof algorithm not accepted", Reason: ReasonProofAlgorithm}, CodeInvalidProof},
	{gatehouse.Refusal{Err: ErrProofKey, Status: http.StatusUnauthorized, Message: "Invalid DPoP proof key", Reason: ReasonProofKey}, CodeInvalidProof},
	{gatehouse.Refusal{Err: ErrPrivateKey, Status: http.StatusUnauthorized, Message: "DPoP proof key must be a public key", Reason: ReasonPrivateKey}, CodeInvalidProof},
	{gatehouse.Refusal{Err: ErrProofSignature, Status: http.StatusUnauthorized, Message: "Invalid DPoP proof signature", Reason: ReasonProofSignature}, CodeInvalidProof},
	{gatehouse.Refusal{Err: ErrMethodMismatch, Status: http.StatusUnauthorized, Message: "DPoP proof does not match the request method", Reason: ReasonMethodMismatch}, CodeInvalidProof},
	{gatehouse.Refusal{Err: ErrURIMismatch, Status: http.StatusUnauthorized, Message: "DPoP proof does not match the request URI", Reason: ReasonURIMismatch}, CodeInvalidProof},
	{gatehouse.Refusal{Err: ErrProofExpired, Status: http.StatusUnauthorized, Message: "DPoP proof expired or issued in the future", Reason: ReasonProofExpired}, CodeInvalidProof},
	{gatehouse.Refusal{Err: ErrTokenHash, Status: http.StatusUnauthorized, Message: "DPoP proof does not match the access token", Reason: ReasonTokenHash}, CodeInvalidProof},
	{gatehouse.Refusal{Err: ErrKeyMismatch, Status: http.StatusUnauthorized, Message: "DPoP proof key does not match the access token", Reason: ReasonKeyMismatch}, CodeInvalidProof},
	{gatehouse.Refusal{Err: ErrUseNonce, Status: http.StatusUnauthorized, Message: "Use the DPoP nonce the server provided", Reason: ReasonUseNonce}, CodeUseNonce},
	{gatehouse.Refusal{Err: ErrReplayed, Status: http.StatusUnauthorized, Message: "DPoP proof already used", Reason: ReasonReplayed}, CodeInvalidProof},
	{gatehouse.Refusal{Err: ErrTooManyProofs, Status: http.StatusUnauthorized, Message: "Too many DPoP proofs of one key", Reason: ReasonTooManyProofs}, CodeInvalidProof},
	{gatehouse.Refusal{Err: ErrUnavailable, Status: http.StatusServiceUnavailable, Message: "Authentication is temporarily unavailable", Reason: gatehouse.ReasonStoreUnavailable}, ""},
}

// Refusals returns dpop's refusal table: for each way [Verifier.Verify]
// refuses a proof, the sentinel its error is or wraps, the status a
// resource server answers (401, with a DPoP challenge: [Verifier.Challenge];
// a token endpoint answers 400 instead, RFC 9449 §5), a default client
// message and the audit reason. The slice is the caller's own.
func Refusals() []gatehouse.Refusal {
	out := make([]gatehouse.Refusal, len(refusals))
	for i, r := range refusals {
		out[i] = r.Refusal
	}
	return out
}

// RefusalFor returns the row of [Refusals] that err is or wraps, and
// false when err is nil or none of dpop's refusals.
func RefusalFor(err error) (gatehouse.Refusal, bool) {
	if r := lookup(err); r != nil {
		return r.Refusal, true
	}
	return gatehouse.Refusal{}, false
}

// ErrorCode returns the OAuth error code a refusal of [Verifier.Verify]
// is answered with: [CodeUseNonce] for [ErrUseNonce] (with a fresh nonce in
// the DPoP-Nonce header), [CodeInvalidProof] for every other refusal of a
// proof, and "" for [ErrUnavailable] (503), nil and errors of other
// packages.
func ErrorCode(err error) string {
	if r := lookup(err); r != nil {
		return r.code
	}
	return ""
}

func lookup(err error) *refusal {
	if err == nil {
		return nil
	}
	// Verify returns the sentinel itself for every refusal but
	// ErrUnavailable: compare first, unwrap only when that fails.
	for i := range refusals {
		if err == refusals[i].Err {
			return &refusals[i]
		}
	}
	i := slices.IndexFunc(refusals[:], func(r refusal) bool { return errors.Is(err, r.Err) })
	if i < 0 {
		return nil
	}
	return &refusals[i]
}
