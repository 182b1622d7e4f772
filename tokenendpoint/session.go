package issuer

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// A SessionKind says which grant a token-endpoint token came from. Tokens
// carry it as the "session_kind" claim, so a handler can require one kind:
// a client session (seed 002's jwt-bearer grant, limited by its amount) must
// not call a machine-to-machine route, and an m2m session must not spend on
// behalf of an end user.
type SessionKind string

// The session kinds the token endpoint issues.
const (
	// SessionM2M is a client_credentials session: the client's server.
	SessionM2M SessionKind = "m2m"
	// SessionClient is a jwt-bearer session: the client application, bound
	// to the amount, notificationKey, userId and forceManualConfirm of its
	// assertion.
	SessionClient SessionKind = "client"
)

// Claim names of token-endpoint tokens, beside the access-token claims
// (iss, sub, aud, exp, nbf, iat, jti, client_id, scope, tenant). The
// client-session claims keep seed 002's assertion names.
const (
	ClaimSessionKind        = "session_kind"
	ClaimAmount             = "amount"
	ClaimNotificationKey    = "notificationKey"
	ClaimUserID             = "userId"
	ClaimForceManualConfirm = "forceManualConfirm"
)

// SessionClaims are the session claims of a verified token-endpoint token.
type SessionClaims struct {
	Kind     SessionKind
	ClientID string
	// Amount is the most the session may spend (client sessions only), as
	// a decimal literal such as "100" or "12.5". The token carries it as a
	// JSON number, as seed 002's assertion does, and the bearer middleware
	// decodes claims as float64, so it is exact only as far as a float64
	// is: every integer up to 2^53 (9007199254740992) and every decimal of
	// at most 15 significant digits comes back with its value, in
	// normalised form ("0.1" stays "0.1"; "100.00" and "1e2" read "100").
	// A longer amount comes back rounded to the nearest float64, in its
	// shortest decimal form (9007199254740993 reads "9007199254740992"):
	// do not rely on it beyond that precision.
	Amount json.Number
	// NotificationKey identifies the client session's transaction; it was
	// single-use per client at the token endpoint. An assertion may carry
	// it as a string or a JSON integer; an integer arrives here as its
	// decimal digits, exactly as written (12345 reads "12345", beyond 2^53
	// included), and is the same key as that string.
	NotificationKey string
	// UserID is the end user of a client session; empty when the assertion
	// named none. Like NotificationKey, an integer userId arrives as its
	// decimal string (42 reads "42").
	UserID string
	// ForceManualConfirm asks that vouchers reserved in the session wait
	// for a confirmation.
	ForceManualConfirm bool
}

// SessionFrom returns the session claims of the request's Principal, and
// false when the request was not authenticated by the bearer middleware
// with a token-endpoint token (no Principal, an API key, another JWT, or
// claims decoded by bearer.Config.Custom).
func SessionFrom(ctx context.Context) (SessionClaims, bool) {
	p, ok := gatehouse.PrincipalRefFrom(ctx)
	if !ok {
		return SessionClaims{}, false
	}
	return sessionOf(*p)
}

func sessionOf(p gatehouse.Principal) (SessionClaims, bool) {
	var claim func(name string) any
	switch m := p.Claims.(type) {
	case bearer.Claims:
		claim = func(name string) any { v, _ := m.Get(name); return v }
	case map[string]any:
		claim = func(name string) any { return m[name] }
	default:
		return SessionClaims{}, false
	}
	kind, _ := claim(ClaimSessionKind).(string)
	s := SessionClaims{Kind: SessionKind(kind)}
	s.ClientID, _ = claim("client_id").(string)
	switch s.Kind {
	case SessionM2M:
		return s, true
	case SessionClient:
		switch a := claim(ClaimAmount).(type) {
		case float64:
			// The shortest decimal that reads back as a: exact for the
			// precision documented on SessionClaims.Amount.
			s.Amount = json.Number(strconv.FormatFloat(a, 'f', -1, 64))
		case json.Number:
			s.Amount = a
		default:
			return SessionClaims{}, false
		}
		s.NotificationKey, _ = claim(ClaimNotificationKey).(string)
		s.UserID, _ = claim(ClaimUserID).(string)
		s.ForceManualConfirm, _ = claim(ClaimForceManualConfirm).(bool)
		return s, s.NotificationKey != ""
	}
	return SessionClaims{}, false
}

// Refusals of RequireSession, built once.
var (
	errNoSession = envelope.ErrUnauthorized.WithOAuthCode("invalid_token").
			WithMessage("A session token is required").WithCause(ErrWrongSession).
			WithChallenge(envelope.BearerChallenge("", "", "", "")) // RFC 6750 §3.1: no credentials, no error code
	// access_denied, not insufficient_scope: the session kind comes from
	// the grant, and no scope would change it.
	errNeedM2M = envelope.ErrForbidden.WithOAuthCode("access_denied").
			WithMessage("This route requires a machine-to-machine session").WithCause(ErrWrongSession)
	errNeedClient = envelope.ErrForbidden.WithOAuthCode("access_denied").
			WithMessage("This route requires a client session").WithCause(ErrWrongSession)
)

// CheckSession returns the request's session claims when its Principal is
// a token-endpoint session of kind, and otherwise a 401 *envelope.Error
// when there is no Principal at all and a 403 when there is one of another
// kind: a client session on an m2m route, an m2m session on a client
// route, an API key or any other token. Both wrap ErrWrongSession.
func CheckSession(r *http.Request, kind SessionKind) (SessionClaims, error) {
	p, ok := gatehouse.PrincipalRefFrom(r.Context())
	if !ok {
		return SessionClaims{}, errNoSession
	}
	s, ok := sessionOf(*p)
	if ok && s.Kind == kind && p.Method == gatehouse.MethodJWT {
		return s, nil
	}
	if kind == SessionM2M {
		return SessionClaims{}, errNeedM2M
	}
	return SessionClaims{}, errNeedClient
}

// RequireSession returns middleware that admits only requests whose
// Principal is a token-endpoint session of kind ([CheckSession]), and
// renders the refusal in the request's style (envelope.Use) otherwise. Put
// it after the bearer middleware:
//
//	mux.Handle("POST /v2/vouchers/reserve", gatehouse.Chain(auth.Middleware,
//		issuer.RequireSession(issuer.SessionClient))(reserve))
//
// It is safe for concurrent use and allocates nothing on either path.
func RequireSession(kind SessionKind) gatehouse.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := CheckSession(r, kind); err != nil {
				envelope.WriteStyle(w, r, nil, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
