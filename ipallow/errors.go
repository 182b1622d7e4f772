package ipallow

import (
	"errors"

	"github.com/gatehouse-go/gatehouse/envelope"
)

// Sentinel errors. The errors the middleware and [PerPrincipal.CheckAccount]
// return are *envelope.Error values wrapping one of these, so that
// errors.Is(err, ipallow.ErrDenied) works while the client only ever sees
// the envelope's status, code and message.
var (
	// ErrDenied is the cause of every 403 given because the client address
	// is not on an allowlist or is on a denylist.
	ErrDenied = errors.New("ipallow: address not allowed")
	// ErrMalformedHeader is the cause of a 403 given because the forwarding
	// header sent by a trusted proxy could not be parsed.
	ErrMalformedHeader = errors.New("ipallow: malformed forwarding header")
	// ErrNoClientAddr is the cause of a 403 given because the connection's
	// address (http.Request.RemoteAddr) is not an IP address.
	ErrNoClientAddr = errors.New("ipallow: no client address")
	// ErrNoPrincipal is the cause of the 500 [PerPrincipal] gives when no
	// authenticated account reached it (the chain is misordered) and
	// anonymous requests are not allowed.
	ErrNoPrincipal = errors.New("ipallow: no authenticated account")
	// ErrNoAccount is the cause of the 403 [PerPrincipal] gives an
	// authenticated principal that names no account (its account function
	// returned ""): whose allowlist applies is unknown, so it is refused.
	ErrNoAccount = errors.New("ipallow: principal names no account")
	// ErrStore wraps a [ListStore] failure inside the 503 it causes.
	ErrStore = errors.New("ipallow: allowlist store failed")
	// ErrInvalidPrefix is wrapped by configuration errors about an IP or
	// CIDR entry.
	ErrInvalidPrefix = errors.New("ipallow: invalid IP or CIDR entry")
	// ErrInvalidConfig is wrapped by other configuration errors.
	ErrInvalidConfig = errors.New("ipallow: invalid configuration")
)

// DefaultMessage is the client-visible message of every 403 this package
// gives. It never says which list or rule refused the address.
const DefaultMessage = "IP address not authorized"

// refusals holds the precomputed client errors of one middleware, so that a
// rejection allocates nothing.
type refusals struct {
	denied, malformed, noAddr, noAccount, noPrincipal *envelope.Error
}

func newRefusals(message string) refusals {
	if message == "" {
		message = DefaultMessage
	}
	// access_denied in the OAuth style: the network is refused, whatever
	// the token's scopes (insufficient_scope would send a client to ask
	// for more scopes).
	forbidden := envelope.ErrForbidden.WithMessage(message).WithOAuthCode("access_denied")
	return refusals{
		denied:      forbidden.WithCause(ErrDenied),
		malformed:   forbidden.WithCause(ErrMalformedHeader),
		noAddr:      forbidden.WithCause(ErrNoClientAddr),
		noAccount:   forbidden.WithCause(ErrNoAccount),
		noPrincipal: envelope.ErrInternal.WithCause(ErrNoPrincipal),
	}
}

// reason returns the audit reason for one of the sentinel causes.
func reason(err error) string {
	switch {
	case errors.Is(err, ErrMalformedHeader):
		return "malformed_forwarding_header"
	case errors.Is(err, ErrNoClientAddr):
		return "no_client_address"
	case errors.Is(err, ErrNoPrincipal):
		return "no_principal"
	case errors.Is(err, ErrNoAccount):
		return "no_account"
	case errors.Is(err, ErrStore):
		return "store_error"
	default:
		return "not_allowed"
	}
}
