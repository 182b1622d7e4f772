package ipallow

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// Sentinel errors. The errors the middleware, [Allowlist.Check],
// [Resolver.Resolve] and [PerPrincipal.CheckAccount] return are
// *envelope.Error values wrapping one of these, so that
// errors.Is(err, ipallow.ErrDenied) works while the client only ever sees
// the envelope's status, code and message. [Refusals] lists the refusals.
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
	// ErrConfig is wrapped by the error a constructor ([New],
	// [NewResolver], [NewPerPrincipal]) or [Allowlist.Update] returns for
	// an invalid configuration, which lists every problem.
	ErrConfig = errors.New("ipallow: invalid configuration")
)

// DefaultMessage is the client-visible message of every 403 this package
// gives. It never says which list or rule refused the address.
const DefaultMessage = "IP address not authorized"

// The audit reasons of ipallow's refusals ([gatehouse.Event].Reason), one
// per row of [Refusals]. An address an allowlist or denylist refuses is
// [gatehouse.ReasonIPDenied], one that cannot be determined
// [gatehouse.ReasonNoClientAddress], a request that reaches a
// [PerPrincipal] without a principal [gatehouse.ReasonNoPrincipal], and a
// failing store [gatehouse.ReasonStoreUnavailable].
const (
	// ReasonMalformedForwardingHeader: a trusted proxy's forwarding header
	// could not be parsed.
	ReasonMalformedForwardingHeader gatehouse.Reason = "malformed_forwarding_header"
	// ReasonNoAccount: an authenticated principal names no account.
	ReasonNoAccount gatehouse.Reason = "no_account"
)

// reason classifies a decision; it indexes the refusal table.
type reason uint8

const (
	rOK reason = iota
	rDenied
	rMalformed
	rNoAddr
	rNoAccount
	rNoPrincipal
	rStore
	numReasons
)

// refusals is the refusal table of ipallow: every refusal's sentinel,
// status, default message and audit reason. The client errors
// (newErrors), the audit events and [Refusals] are all derived from it.
var refusals = [numReasons]gatehouse.Refusal{
	rDenied:      {Err: ErrDenied, Status: http.StatusForbidden, Message: DefaultMessage, Reason: gatehouse.ReasonIPDenied},
	rMalformed:   {Err: ErrMalformedHeader, Status: http.StatusForbidden, Message: DefaultMessage, Reason: ReasonMalformedForwardingHeader},
	rNoAddr:      {Err: ErrNoClientAddr, Status: http.StatusForbidden, Message: DefaultMessage, Reason: gatehouse.ReasonNoClientAddress},
	rNoAccount:   {Err: ErrNoAccount, Status: http.StatusForbidden, Message: DefaultMessage, Reason: ReasonNoAccount},
	rNoPrincipal: {Err: ErrNoPrincipal, Status: http.StatusInternalServerError, Message: "Internal server error", Reason: gatehouse.ReasonNoPrincipal},
	rStore:       {Err: ErrStore, Status: http.StatusServiceUnavailable, Message: "Service temporarily unavailable", Reason: gatehouse.ReasonStoreUnavailable},
}

// Refusals returns the refusal table of ipallow: for each way a
// middleware of the package refuses a request, the sentinel its error
// wraps, the status, the default client message (each Config's Message
// replaces the 403s') and the audit reason. The slice is the caller's own.
func Refusals() []gatehouse.Refusal { return slices.Clone(refusals[rDenied:]) }

// reasonOf returns the row of the table whose sentinel err wraps.
func reasonOf(err error) reason {
	for rs := rDenied; rs < numReasons; rs++ {
		if errors.Is(err, refusals[rs].Err) {
			return rs
		}
	}
	return rDenied
}

// newErrors precomputes the client errors of one middleware, so that a
// rejection allocates nothing; the store's 503 gets its cause per failure.
func newErrors(message string) [numReasons]*envelope.Error {
	if message == "" {
		message = DefaultMessage
	}
	var errs [numReasons]*envelope.Error
	for rs := rDenied; rs < numReasons; rs++ {
		row := refusals[rs]
		switch row.Status {
		case http.StatusForbidden:
			// access_denied in the OAuth style: the network is refused,
			// whatever the token's scopes (insufficient_scope would send a
			// client to ask for more scopes).
			errs[rs] = envelope.ErrForbidden.WithMessage(message).WithOAuthCode("access_denied").WithCause(row.Err)
		case http.StatusInternalServerError:
			errs[rs] = envelope.ErrInternal.WithMessage(row.Message).WithCause(row.Err)
		case http.StatusServiceUnavailable:
			errs[rs] = envelope.ErrUnavailable.WithMessage(row.Message)
		}
	}
	return errs
}
