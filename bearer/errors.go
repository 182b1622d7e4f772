package bearer

import (
	"errors"
	"net/http"

	"github.com/gatehouse-go/gatehouse/envelope"
)

// Sentinel errors. The error returned by [Authenticator.Check] is an
// [*envelope.Error] for the client that wraps one of these as its cause, so
// errors.Is(err, bearer.ErrTokenExpired) works while the client only ever
// sees the envelope's fixed message.
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
	ErrDuplicateTokenID = errors.New("bearer: token id already used by another token")
	ErrConfig           = errors.New("bearer: invalid configuration")
)

// reason classifies a decision; it indexes the precomputed errors and names
// the audit reason.
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
	rUnavailable
	numReasons
)

// reasonInfo is the static description of each reason: audit string,
// sentinel, client message and whether it is a 400 or 503 instead of 401.
var reasonInfo = [numReasons]struct {
	audit   string
	cause   error
	message string
}{
	rOK:           {"ok", nil, ""},
	rMissing:      {"no_credentials", ErrNoToken, "Missing bearer token"},
	rEmpty:        {"empty_bearer_token", ErrNoToken, "Missing bearer token"},
	rOtherScheme:  {"other_scheme", ErrOtherScheme, "Missing bearer token"},
	rMultiple:     {"multiple_authorization_headers", ErrMultipleHeaders, "Send exactly one Authorization header"},
	rManyMethods:  {"multiple_token_methods", ErrMultipleMethods, "Send the access token in one place only"},
	rFormTooLarge: {"form_too_large", ErrFormTooLarge, "Request body too large"},
	rMalformed:    {"malformed_header", ErrMalformedHeader, "Malformed Authorization header"},
	rInvalid:      {"invalid_token", ErrTokenInvalid, "Invalid access token"},
	rUnknownKey:   {"unknown_key", ErrUnknownKey, "Invalid access token"},
	rExpired:      {"token_expired", ErrTokenExpired, "The access token expired"},
	rNotYetValid:  {"token_not_yet_valid", ErrTokenNotYetValid, "Invalid access token"},
	rIssuer:       {"issuer_not_accepted", ErrIssuer, "Invalid access token"},
	rAudience:     {"audience_not_accepted", ErrAudience, "Invalid access token"},
	rType:         {"token_type_not_accepted", ErrTokenType, "Invalid access token"},
	rCrit:         {"unsupported_crit", ErrCritHeader, "Invalid access token"},
	rClaims:       {"invalid_claims", ErrClaims, "Invalid access token"},
	rRevoked:      {"token_revoked", ErrTokenRevoked, "The access token has been revoked"},
	rNotFound:     {"token_not_found", ErrTokenNotFound, "Invalid access token"},
	rUnavailable:  {"unavailable", ErrUnavailable, "Authentication is temporarily unavailable"},
}

// buildErrors precomputes the client error of every reason for realm, so a
// rejection allocates nothing. A non-empty message replaces the body
// message of every 401.
func buildErrors(realm, message string) [numReasons]*envelope.Error {
	var errs [numReasons]*envelope.Error
	for r := rMissing; r < numReasons; r++ {
		info := reasonInfo[r]
		var e *envelope.Error
		switch r {
		case rMissing, rEmpty, rOtherScheme:
			// RFC 6750 §3.1: no error attribute when the request had no
			// authentication information ("Bearer" without a token has
			// none either), or used another method.
			e = envelope.ErrUnauthorized.WithMessage(info.message).
				WithOAuthCode("invalid_token").
				WithChallenge(envelope.BearerChallenge(realm, "", "", ""))
		case rMultiple, rManyMethods:
			// RFC 6750 §2: a request uses one method to send its token.
			e = envelope.ErrBadRequest.WithMessage(info.message).
				WithOAuthCode("invalid_request").
				WithChallenge(envelope.BearerChallenge(realm, "invalid_request", info.message, ""))
		case rFormTooLarge:
			e = envelope.ErrPayloadTooLarge.WithMessage(info.message).WithOAuthCode("invalid_request")
		case rUnavailable:
			e = envelope.ErrUnavailable.WithMessage(info.message)
		default:
			e = envelope.ErrUnauthorized.WithMessage(info.message).
				WithOAuthCode("invalid_token").
				WithChallenge(envelope.BearerChallenge(realm, "invalid_token", info.message, ""))
		}
		if message != "" && e.Status == http.StatusUnauthorized {
			e = e.WithMessage(message)
		}
		errs[r] = e.WithCause(info.cause)
	}
	return errs
}

// status returns the HTTP status a reason is answered with.
func (r reason) status() int {
	switch r {
	case rOK:
		return 0
	case rMultiple, rManyMethods:
		return http.StatusBadRequest
	case rFormTooLarge:
		return http.StatusRequestEntityTooLarge
	case rUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusUnauthorized
}
