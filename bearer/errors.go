package bearer

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// Sentinel errors. The error returned by [Authenticator.Check] is an
// [*envelope.Error] for the client that wraps one of these as its cause, so
// errors.Is(err, bearer.ErrTokenExpired) works while the client only ever
// sees the envelope's fixed message. [Refusals] lists the refusals.
// ErrConfig is New's, ErrDuplicateTokenID a [TokenStore]'s.
var (
	ErrNoToken          = errors.New("bearer: no credentials")
	ErrMultipleHeaders  = errors.New("bearer: several Authorization headers")
	ErrMultipleMethods  = errors.New("bearer: access token sent by more than one method")
	ErrFormTooLarge     = errors.New("bearer: form body too large to check for an access_token")
	ErrMalformedHeader  = errors.New("bearer: malformed Authorization header")
	ErrOtherScheme      = errors.New("bearer: Authorization header of another scheme")
	ErrTokenInvalid     = errors.New("bearer: invalid token")
	ErrUnknownKey       = errors.New("bearer: no key for token")
	ErrTokenExpired     = errors.New("bearer: token expired")
	ErrTokenNotYetValid = errors.New("bearer: token not yet valid")
	ErrIssuer           = errors.New("bearer: issuer not accepted")
	ErrAudience         = errors.New("bearer: audience not accepted")
	ErrTokenType        = errors.New("bearer: token type not accepted")
	ErrCritHeader       = errors.New("bearer: unsupported crit header")
	ErrClaims           = errors.New("bearer: invalid claims")
	ErrTokenRevoked     = errors.New("bearer: token revoked")
	ErrTokenNotFound    = errors.New("bearer: token not found")
	ErrUnavailable      = errors.New("bearer: verification unavailable")
	ErrBoundToken       = errors.New("bearer: token bound to a key sent without a proof of it")
	ErrCertificate      = errors.New("bearer: client certificate does not match the token")
	ErrDPoPProof        = errors.New("bearer: invalid DPoP proof")
	ErrDPoPNonce        = errors.New("bearer: DPoP proof without the current nonce")
	ErrDuplicateTokenID = errors.New("bearer: token id already used by another token")
	ErrConfig           = errors.New("bearer: invalid configuration")
)

// The audit reasons of bearer's refusals ([gatehouse.Event].Reason), one
// per row of [Refusals]. A failing revocation store, token store or key
// source is [gatehouse.ReasonStoreUnavailable].
const (
	// ReasonNoCredentials: no Authorization header, or an empty one.
	ReasonNoCredentials gatehouse.Reason = "no_credentials"
	// ReasonEmptyToken: "Bearer" followed by nothing but whitespace.
	ReasonEmptyToken gatehouse.Reason = "empty_bearer_token"
	// ReasonOtherScheme: an Authorization header of another scheme, or a
	// token sent without one.
	ReasonOtherScheme gatehouse.Reason = "other_scheme"
	// ReasonMultipleHeaders: several Authorization header lines.
	ReasonMultipleHeaders gatehouse.Reason = "multiple_authorization_headers"
	// ReasonMultipleMethods: an access_token in the query or form body
	// beside the header's token.
	ReasonMultipleMethods gatehouse.Reason = "multiple_token_methods"
	// ReasonFormTooLarge: a form body too large to check for a second token.
	ReasonFormTooLarge gatehouse.Reason = "form_too_large"
	// ReasonMalformedHeader: a Bearer header that does not hold one token.
	ReasonMalformedHeader gatehouse.Reason = "malformed_header"
	// ReasonInvalidToken: a token that is no valid JWS, or whose signature
	// does not verify.
	ReasonInvalidToken gatehouse.Reason = "invalid_token"
	// ReasonUnknownSigningKey: no configured or published key for the
	// token's "kid" and "alg".
	ReasonUnknownSigningKey gatehouse.Reason = "unknown_signing_key"
	// ReasonTokenExpired: the token's "exp" has passed.
	ReasonTokenExpired gatehouse.Reason = "token_expired"
	// ReasonTokenNotYetValid: the token's "nbf" or "iat" is in the future.
	ReasonTokenNotYetValid gatehouse.Reason = "token_not_yet_valid"
	// ReasonIssuerNotAccepted: the token's "iss" is not in Config.Issuers.
	ReasonIssuerNotAccepted gatehouse.Reason = "issuer_not_accepted"
	// ReasonAudienceNotAccepted: the token's "aud" names none of
	// Config.Audiences.
	ReasonAudienceNotAccepted gatehouse.Reason = "audience_not_accepted"
	// ReasonTokenTypeNotAccepted: the token's "typ" is not Config.TokenType.
	ReasonTokenTypeNotAccepted gatehouse.Reason = "token_type_not_accepted"
	// ReasonUnsupportedCrit: the token has a "crit" header.
	ReasonUnsupportedCrit gatehouse.Reason = "unsupported_crit"
	// ReasonInvalidClaims: a claim is missing, malformed or refused by
	// Config.Validate or Config.Custom.
	ReasonInvalidClaims gatehouse.Reason = "invalid_claims"
	// ReasonTokenRevoked: the token, its session or its subject was revoked.
	ReasonTokenRevoked gatehouse.Reason = "token_revoked"
	// ReasonTokenNotFound: an opaque token no TokenStore record has.
	ReasonTokenNotFound gatehouse.Reason = "token_not_found"
	// ReasonBoundToken: a token bound to a DPoP key sent as a bearer
	// token, or with a "cnf" this package cannot check.
	ReasonBoundToken gatehouse.Reason = "bound_token_without_proof"
	// ReasonCertificateMismatch: a certificate-bound token (RFC 8705)
	// without the client certificate it is bound to.
	ReasonCertificateMismatch gatehouse.Reason = "certificate_mismatch"
	// ReasonInvalidDPoPProof: a DPoP proof refused (the dpop refusal
	// is the error's cause), or a DPoP token not bound to the proof's key.
	ReasonInvalidDPoPProof gatehouse.Reason = "invalid_dpop_proof"
	// ReasonUseDPoPNonce: a DPoP proof without the server's current
	// nonce; the answer carries one in DPoP-Nonce.
	ReasonUseDPoPNonce gatehouse.Reason = "use_dpop_nonce"
)

// reason classifies a decision; it indexes the refusal table and the
// precomputed errors.
type reason uint8

const (
	rOK reason = iota
	rMissing
	rEmpty
	rOtherScheme
	rMultiple
	rManyMethods
	rFormTooLarge
	rMalformed
	rInvalid
	rUnknownKey
	rExpired
	rNotYetValid
	rIssuer
	rAudience
	rType
	rCrit
	rClaims
	rRevoked
	rNotFound
	rBound
	rCertificate
	rProof
	rNonce
	rUnavailable
	numReasons
)

// refusals is bearer's refusal table: every refusal's sentinel, status,
// default message and audit reason. The client errors (buildErrors), the
// audit events and [Refusals] are all derived from it.
var refusals = [numReasons]gatehouse.Refusal{
	rMissing:      {Err: ErrNoToken, Status: http.StatusUnauthorized, Message: "Missing bearer token", Reason: ReasonNoCredentials},
	rEmpty:        {Err: ErrNoToken, Status: http.StatusUnauthorized, Message: "Missing bearer token", Reason: ReasonEmptyToken},
	rOtherScheme:  {Err: ErrOtherScheme, Status: http.StatusUnauthorized, Message: "Missing bearer token", Reason: ReasonOtherScheme},
	rMultiple:     {Err: ErrMultipleHeaders, Status: http.StatusBadRequest, Message: "Send exactly one Authorization header", Reason: ReasonMultipleHeaders},
	rManyMethods:  {Err: ErrMultipleMethods, Status: http.StatusBadRequest, Message: "Send the access token in one place only", Reason: ReasonMultipleMethods},
	rFormTooLarge: {Err: ErrFormTooLarge, Status: http.StatusRequestEntityTooLarge, Message: "Request body too large", Reason: ReasonFormTooLarge},
	rMalformed:    {Err: ErrMalformedHeader, Status: http.StatusUnauthorized, Message: "Malformed Authorization header", Reason: ReasonMalformedHeader},
	rInvalid:      {Err: ErrTokenInvalid, Status: http.StatusUnauthorized, Message: "Invalid access token", Reason: ReasonInvalidToken},
	rUnknownKey:   {Err: ErrUnknownKey, Status: http.StatusUnauthorized, Message: "Invalid access token", Reason: ReasonUnknownSigningKey},
	rExpired:      {Err: ErrTokenExpired, Status: http.StatusUnauthorized, Message: "The access token expired", Reason: ReasonTokenExpired},
	rNotYetValid:  {Err: ErrTokenNotYetValid, Status: http.StatusUnauthorized, Message: "Invalid access token", Reason: ReasonTokenNotYetValid},
	rIssuer:       {Err: ErrIssuer, Status: http.StatusUnauthorized, Message: "Invalid access token", Reason: ReasonIssuerNotAccepted},
	rAudience:     {Err: ErrAudience, Status: http.StatusUnauthorized, Message: "Invalid access token", Reason: ReasonAudienceNotAccepted},
	rType:         {Err: ErrTokenType, Status: http.StatusUnauthorized, Message: "Invalid access token", Reason: ReasonTokenTypeNotAccepted},
	rCrit:         {Err: ErrCritHeader, Status: http.StatusUnauthorized, Message: "Invalid access token", Reason: ReasonUnsupportedCrit},
	rClaims:       {Err: ErrClaims, Status: http.StatusUnauthorized, Message: "Invalid access token", Reason: ReasonInvalidClaims},
	rRevoked:      {Err: ErrTokenRevoked, Status: http.StatusUnauthorized, Message: "The access token has been revoked", Reason: ReasonTokenRevoked},
	rNotFound:     {Err: ErrTokenNotFound, Status: http.StatusUnauthorized, Message: "Invalid access token", Reason: ReasonTokenNotFound},
	rBound:        {Err: ErrBoundToken, Status: http.StatusUnauthorized, Message: "Invalid access token", Reason: ReasonBoundToken},
	rCertificate:  {Err: ErrCertificate, Status: http.StatusUnauthorized, Message: "Invalid access token", Reason: ReasonCertificateMismatch},
	rProof:        {Err: ErrDPoPProof, Status: http.StatusUnauthorized, Message: "Invalid DPoP proof", Reason: ReasonInvalidDPoPProof},
	rNonce:        {Err: ErrDPoPNonce, Status: http.StatusUnauthorized, Message: "Use the DPoP nonce the server provided", Reason: ReasonUseDPoPNonce},
	rUnavailable:  {Err: ErrUnavailable, Status: http.StatusServiceUnavailable, Message: "Authentication is temporarily unavailable", Reason: gatehouse.ReasonStoreUnavailable},
}

// Refusals returns bearer's refusal table: for each way [Authenticator]
// refuses a request, the sentinel its error wraps, the status, the
// default client message (Config.Message replaces it on every 401) and
// the audit reason. The slice is the caller's own.
func Refusals() []gatehouse.Refusal { return slices.Clone(refusals[rMissing:]) }

// challenger builds the WWW-Authenticate values of an Authenticator: a
// challenge for each scheme it accepts, the scheme that carried the
// credentials first with the error, the other without (RFC 9449 §7.1).
type challenger struct {
	realm, metadata string
	bearer          bool           // the Bearer scheme is accepted
	dpop            *dpop.Verifier // the DPoP scheme is accepted
}

// challenge returns the WWW-Authenticate value for an error code and
// description of a request whose credentials came with the DPoP scheme
// (dpopScheme) or the Bearer one.
func (c challenger) challenge(code, description string, dpopScheme bool) string {
	bearer := func(code, description string) string {
		return envelope.AppendAuthParam(envelope.BearerChallenge(c.realm, code, description, ""), "resource_metadata", c.metadata)
	}
	dpopCh := func(code, description string) string {
		return envelope.AppendAuthParam(c.dpop.Challenge(c.realm, code, description), "resource_metadata", c.metadata)
	}
	switch {
	case c.dpop == nil:
		return bearer(code, description)
	case !c.bearer:
		return dpopCh(code, description)
	case dpopScheme:
		return dpopCh(code, description) + ", " + bearer("", "")
	}
	return bearer(code, description) + ", " + dpopCh("", "")
}

// buildErrors precomputes the client error of every reason, so a
// rejection allocates nothing: for requests whose credentials came with
// the DPoP scheme (dpopScheme) or the Bearer one. A non-empty message
// replaces the body message of every 401.
func buildErrors(c challenger, message string, dpopScheme bool) [numReasons]*envelope.Error {
	challenge := func(code, description string) string { return c.challenge(code, description, dpopScheme) }
	var errs [numReasons]*envelope.Error
	for r := rMissing; r < numReasons; r++ {
		row := refusals[r]
		var e *envelope.Error
		switch r {
		case rMissing, rEmpty, rOtherScheme:
			// RFC 6750 §3.1: no error attribute when the request had no
			// authentication information ("Bearer" without a token has
			// none either), or used another method.
			e = envelope.ErrUnauthorized.WithMessage(row.Message).
				WithOAuthCode("invalid_token").
				WithChallenge(challenge("", ""))
		case rMultiple, rManyMethods:
			// RFC 6750 §2: a request uses one method to send its token.
			e = envelope.ErrBadRequest.WithMessage(row.Message).
				WithOAuthCode("invalid_request").
				WithChallenge(challenge("invalid_request", row.Message))
		case rFormTooLarge:
			e = envelope.ErrPayloadTooLarge.WithMessage(row.Message).WithOAuthCode("invalid_request")
		case rUnavailable:
			e = envelope.ErrUnavailable.WithMessage(row.Message)
		case rProof, rNonce:
			code := dpop.CodeInvalidProof
			if r == rNonce {
				code = dpop.CodeUseNonce
			}
			e = envelope.ErrUnauthorized.WithMessage(row.Message).
				WithOAuthCode(code).
				WithChallenge(c.challenge(code, row.Message, true))
		default:
			e = envelope.ErrUnauthorized.WithMessage(row.Message).
				WithOAuthCode("invalid_token").
				WithChallenge(challenge("invalid_token", row.Message))
		}
		e.Status = row.Status
		if message != "" && e.Status == http.StatusUnauthorized {
			e = e.WithMessage(message)
		}
		errs[r] = e.WithCause(row.Err)
	}
	return errs
}

// prepareErrors prepares each refusal of errs for writing in style, so
// that a refusal renders nothing per request.
func prepareErrors(style envelope.Style, errs *[numReasons]*envelope.Error) [numReasons]*envelope.Prepared {
	var prepared [numReasons]*envelope.Prepared
	for r := rMissing; r < numReasons; r++ {
		prepared[r] = envelope.Prepare(style, errs[r])
	}
	return prepared
}
