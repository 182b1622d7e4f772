package tokenendpoint

import (
	"context"
	"net/http"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// A SessionKind says which grant a token-endpoint token came from. Tokens
// carry it as the "session_kind" claim, so a handler can require one kind:
// a client session (a jwt-bearer grant, bound to its assertion's claims)
// must not call a machine-to-machine route, and an m2m session must not act
// on behalf of an end user.
type SessionKind string

// The session kinds the token endpoint issues.
const (
	// SessionM2M is a client_credentials session: the client's server.
	SessionM2M SessionKind = "m2m"
	// SessionClient is a jwt-bearer session: the client application, bound
	// to the claims Config.Assertion read from its assertion.
	SessionClient SessionKind = "client"
)

// ClaimSessionKind is the claim that carries a token's SessionKind. No
// other issuer of gatehouse tokens may set it: issuer.AccessClaims.Extra
// and Config.Assertion refuse it.
const ClaimSessionKind = "session_kind"

// A Session is a verified token-endpoint session, as the bearer middleware
// authenticated it.
type Session struct {
	Kind     SessionKind
	ClientID string
	// Claims are the token's claims, the ones Config.Assertion added
	// among them. Numbers are float64, as the bearer middleware decodes
	// them.
	Claims bearer.Claims
}

// SessionFrom returns the session of the request's Principal, and false
// when the request was not authenticated by the bearer middleware with a
// token-endpoint token (no Principal, an API key, a JWT without a session
// kind, or claims decoded by bearer.Config.Custom). It does not check the
// token's issuer (see [Endpoint.CheckSession]).
func SessionFrom(ctx context.Context) (Session, bool) {
	p, ok := gatehouse.PrincipalRefFrom(ctx)
	if !ok {
		return Session{}, false
	}
	return sessionOf(*p)
}

func sessionOf(p gatehouse.Principal) (Session, bool) {
	var claims bearer.Claims
	switch m := p.Claims.(type) {
	case bearer.Claims:
		claims = m
	case map[string]any:
		claims = bearer.NewClaims(m)
	default:
		return Session{}, false
	}
	kind, _ := claims.String(ClaimSessionKind)
	s := Session{Kind: SessionKind(kind), Claims: claims}
	s.ClientID, _ = claims.String("client_id")
	switch s.Kind {
	case SessionM2M, SessionClient:
		return s, true
	}
	return Session{}, false
}

// Refusals of RequireSession, built once.
var (
	errNoSession = envelope.ErrUnauthorized.WithOAuthCode("invalid_token").
			WithMessage("A session token is required").WithCause(ErrWrongSession).
			WithChallenge(envelope.BearerChallenge("", "", "", "")) // RFC 6750 §3.1: no credentials, no error code
	// access_denied, not insufficient_scope: the session kind comes from
	// the grant, and no scope would change it.
	errNeedM2M    = refused(rowWrongSession, "This route requires a machine-to-machine session")
	errNeedClient = refused(rowWrongSession, "This route requires a client session")

	// The same, prepared for writing in the request's style.
	preparedNoSession  = envelope.Prepare(nil, errNoSession)
	preparedNeedM2M    = envelope.Prepare(nil, errNeedM2M)
	preparedNeedClient = envelope.Prepare(nil, errNeedClient)
)

// CheckSession returns the request's session when its Principal is
// a token-endpoint session of kind, and otherwise a 401 *envelope.Error
// when there is no Principal at all and a 403 when there is one of another
// kind: a client session on an m2m route, an m2m session on a client
// route, an API key or any other token. Both wrap ErrWrongSession.
//
// It takes the "session_kind" claim of any token the bearer middleware
// accepted as this package's: behind a middleware that trusts other
// issuers too, use [Endpoint.CheckSession], which checks the issuer.
func CheckSession(r *http.Request, kind SessionKind) (Session, error) {
	p, ok := gatehouse.PrincipalRefFrom(r.Context())
	if !ok {
		return Session{}, errNoSession
	}
	s, ok := sessionOf(*p)
	if ok && s.Kind == kind && p.Method == gatehouse.MethodJWT {
		return s, nil
	}
	return Session{}, wrongKind(kind)
}

// CheckSession is the package's [CheckSession] for this endpoint's own
// sessions: the token's "iss" must also be Config.Issuer. Use it (or
// [Endpoint.RequireSession]) when the bearer middleware in front of the
// route trusts issuers besides this endpoint, such as an OpenID provider:
// a token of another issuer that happens to carry a "session_kind" claim
// is then refused with the 403 of a token of another kind, as any other
// token is.
func (ep *Endpoint) CheckSession(r *http.Request, kind SessionKind) (Session, error) {
	s, err := CheckSession(r, kind)
	if err != nil {
		return Session{}, err
	}
	if iss, _ := s.Claims.String("iss"); iss != ep.issuer {
		return Session{}, wrongKind(kind)
	}
	return s, nil
}

// wrongKind is CheckSession's refusal of a Principal that is not a session
// of kind.
func wrongKind(kind SessionKind) *envelope.Error {
	if kind == SessionM2M {
		return errNeedM2M
	}
	return errNeedClient
}

// writeSessionRefusal renders err, a refusal of CheckSession, in the
// request's style: with its prepared body, rendered once.
func writeSessionRefusal(w http.ResponseWriter, r *http.Request, err error) {
	switch err {
	case errNoSession:
		preparedNoSession.Write(w, r)
	case errNeedM2M:
		preparedNeedM2M.Write(w, r)
	case errNeedClient:
		preparedNeedClient.Write(w, r)
	default:
		envelope.WriteStyle(w, r, nil, err)
	}
}

// RequireSession returns middleware that admits only requests whose
// Principal is a token-endpoint session of kind ([CheckSession]), and
// renders the refusal in the request's style (envelope.Use) otherwise. Put
// it after the bearer middleware:
//
//	mux.Handle("POST /orders", gatehouse.Chain(auth.Middleware,
//		tokenendpoint.RequireSession(tokenendpoint.SessionClient))(order))
//
// It is safe for concurrent use and allocates nothing on either path.
// Like CheckSession, it trusts any issuer the bearer middleware trusts;
// [Endpoint.RequireSession] admits only the endpoint's own sessions.
func RequireSession(kind SessionKind) gatehouse.Middleware {
	return requireSession(func(r *http.Request) error {
		_, err := CheckSession(r, kind)
		return err
	})
}

// RequireSession is the package's [RequireSession] for this endpoint's own
// sessions: the token's "iss" must also be Config.Issuer
// ([Endpoint.CheckSession]). Use it when the bearer middleware in front
// of the route trusts other issuers as well.
func (ep *Endpoint) RequireSession(kind SessionKind) gatehouse.Middleware {
	return requireSession(func(r *http.Request) error {
		_, err := ep.CheckSession(r, kind)
		return err
	})
}

// requireSession returns middleware that admits the requests check
// passes and renders check's refusal otherwise.
func requireSession(check func(r *http.Request) error) gatehouse.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := check(r); err != nil {
				writeSessionRefusal(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
