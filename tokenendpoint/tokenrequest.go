package tokenendpoint

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-go/gatehouse/envelope"
)

// The grant types of the token endpoint.
const (
	// GrantClientCredentials is RFC 6749 §4.4: client_id + client_secret
	// give a machine-to-machine session.
	GrantClientCredentials = "client_credentials"
	// GrantJWTBearer is RFC 7523 §2.1: client_id + an HS256 assertion
	// signed with the client's own key give a client session.
	GrantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// maxClientIDBytes is the longest client_id the token endpoint accepts.
const maxClientIDBytes = 256

// tokenRequest is a parsed token request, whatever its encoding.
type tokenRequest struct {
	grantType    string
	clientID     string
	clientSecret string
	assertion    string
	scope        string
	// basic is set when the client authenticated with HTTP Basic.
	basic bool
	// jkt is the thumbprint of the key of the request's DPoP proof, which
	// the endpoint verified: the token is bound to it. "" for a bearer
	// token.
	jkt string
}

// tokenJSON is a JSON token request body. Unknown members are ignored, as RFC
// 6749 §3.2 requires of unrecognized parameters.
type tokenJSON struct {
	GrantType    string `json:"grant_type"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Assertion    string `json:"assertion"`
	Scope        string `json:"scope"`
}

// invalidRequest is a 400 invalid_request with a client-safe message.
func invalidRequest(msg string) *envelope.Error {
	return refused(rowInvalidRequest, msg)
}

var (
	errTokenMediaType = envelope.ErrUnsupportedMediaType.WithOAuthCode("invalid_request").
				WithMessage("Content-Type must be application/x-www-form-urlencoded or application/json").WithCause(ErrInvalidTokenRequest)
	errTokenTooLarge = envelope.ErrPayloadTooLarge.WithOAuthCode("invalid_request").WithCause(ErrInvalidTokenRequest)
	errEmptyBody     = invalidRequest("Request body is empty")
	errBadForm       = invalidRequest("Malformed form body")
	errBadAuthHeader = invalidRequest("Malformed HTTP Basic credentials: send client_id:client_secret")
	errAuthHeaders   = invalidRequest("Send one Authorization header")
	// errAuthScheme marks an Authorization header of another scheme than
	// Basic; ServeHTTP answers it with its invalid_client error.
	errAuthScheme   = envelope.ErrUnauthorized.WithOAuthCode("invalid_client").WithCause(ErrInvalidClient)
	errTwoAuth      = invalidRequest("Use one client authentication method: HTTP Basic or client_secret in the body")
	errClientIDs    = invalidRequest("client_id in the body differs from the HTTP Basic user")
	errClientIDLong = invalidRequest("client_id is too long")
)

// formParams are the parameters a form body may carry at most once
// (RFC 6749 §3.2: "Request and response parameters MUST NOT be included
// more than once").
var formParams = [...]string{"grant_type", "client_id", "client_secret", "assertion", "scope"}

// parseTokenRequest reads a token request: a JSON object or an
// application/x-www-form-urlencoded body (RFC 6749), with the client
// optionally authenticated by HTTP Basic (RFC 6749 §2.3.1, id and secret
// form-encoded). The query string is never read. Parameters sent empty
// count as omitted; the scope is read without the white space around it,
// in either encoding, so a scope of white space only is omitted too.
// Failures are invalid_request errors (400, or 413 / 415 for the body's
// size and type).
func parseTokenRequest(w http.ResponseWriter, r *http.Request, maxBytes int64) (tokenRequest, *envelope.Error) {
	var req tokenRequest
	media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return req, errTokenMediaType
	}
	switch media {
	case "application/json":
		var body tokenJSON
		dec := envelope.Decoder{MaxBytes: maxBytes, AllowUnknownFields: true}
		if err := dec.Decode(w, r, &body); err != nil {
			e := envelope.As(err)
			return req, e.WithOAuthCode("invalid_request")
		}
		req = tokenRequest{grantType: body.GrantType, clientID: body.ClientID,
			clientSecret: body.ClientSecret, assertion: body.Assertion, scope: strings.TrimSpace(body.Scope)}
	case "application/x-www-form-urlencoded":
		if e := parseTokenForm(w, r, maxBytes, &req); e != nil {
			return req, e
		}
	default:
		return req, errTokenMediaType
	}

	if vals := r.Header["Authorization"]; len(vals) > 0 {
		if len(vals) > 1 {
			return req, errAuthHeaders
		}
		if len(vals[0]) < len("Basic ") || !strings.EqualFold(vals[0][:len("Basic ")], "Basic ") {
			// RFC 6749 §5.2: an unsupported client authentication method
			// is invalid_client; ServeHTTP answers it with 401 and the Basic
			// challenge.
			return req, errAuthScheme
		}
		id, secret, ok := r.BasicAuth()
		if !ok {
			return req, errBadAuthHeader
		}
		if id, err = url.QueryUnescape(id); err != nil || id == "" {
			return req, errBadAuthHeader
		}
		if secret, err = url.QueryUnescape(secret); err != nil {
			return req, errBadAuthHeader
		}
		if req.clientSecret != "" {
			return req, errTwoAuth
		}
		if req.clientID != "" && req.clientID != id {
			return req, errClientIDs
		}
		req.clientID, req.clientSecret, req.basic = id, secret, true
	}
	if len(req.clientID) > maxClientIDBytes {
		return req, errClientIDLong
	}
	return req, nil
}

func parseTokenForm(w http.ResponseWriter, r *http.Request, maxBytes int64, req *tokenRequest) *envelope.Error {
	if r.ContentLength > maxBytes {
		return errTokenTooLarge
	}
	if r.Body == nil || r.Body == http.NoBody {
		return errEmptyBody
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return errTokenTooLarge
		}
		return errBadForm
	}
	if len(raw) == 0 {
		return errEmptyBody
	}
	vals, err := url.ParseQuery(string(raw))
	if err != nil {
		return errBadForm
	}
	for _, name := range formParams {
		if len(vals[name]) > 1 {
			return invalidRequest("Parameter " + name + " is repeated")
		}
	}
	req.grantType = vals.Get("grant_type")
	req.clientID = vals.Get("client_id")
	req.clientSecret = vals.Get("client_secret")
	req.assertion = vals.Get("assertion")
	req.scope = strings.TrimSpace(vals.Get("scope"))
	return nil
}
