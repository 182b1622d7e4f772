package scopes

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gatehouse-go/gatehouse"
)

// Sentinel causes wrapped by the *envelope.Error values this package
// returns, for errors.Is checks on the server side. They are never
// rendered. [Refusals] lists the refusals.
var (
	// ErrNoPrincipal means the request reached scope enforcement without an
	// authenticated Principal in its context (401).
	ErrNoPrincipal = errors.New("scopes: no authenticated principal")
	// ErrInsufficientScope means the Principal lacks a required scope (403).
	ErrInsufficientScope = errors.New("scopes: insufficient scope")
	// ErrRouteNotListed means Config.Routes is set and the request matched
	// none of its patterns while Config.AllowUnlisted is false (403).
	ErrRouteNotListed = errors.New("scopes: route not listed")
	// ErrConfig is wrapped by the error [New] returns for an invalid
	// Config, which lists every problem.
	ErrConfig = errors.New("scopes: invalid configuration")
)

// The audit reasons of scopes' refusals ([gatehouse.Event].Reason), one
// per row of [Refusals]. A request without an authenticated Principal is
// [gatehouse.ReasonNoPrincipal].
const (
	// ReasonInsufficientScope: the Principal lacks a required scope.
	ReasonInsufficientScope gatehouse.Reason = "insufficient_scope"
	// ReasonRouteNotListed: the request matched no pattern of Config.Routes.
	ReasonRouteNotListed gatehouse.Reason = "route_not_listed"
)

// reason classifies a decision; it indexes the refusal table.
type reason uint8

const (
	rOK reason = iota
	rNoPrincipal
	rInsufficient
	rNotListed
	numReasons
)

// refusals is the refusal table of scopes: every refusal's sentinel, status,
// default message and audit reason. The client errors (New, compile), the
// audit events and [Refusals] are all derived from it.
var refusals = [numReasons]gatehouse.Refusal{
	rNoPrincipal:  {Err: ErrNoPrincipal, Status: http.StatusUnauthorized, Message: "Authentication required", Reason: gatehouse.ReasonNoPrincipal},
	rInsufficient: {Err: ErrInsufficientScope, Status: http.StatusForbidden, Message: "Token does not have the required scope", Reason: ReasonInsufficientScope},
	rNotListed:    {Err: ErrRouteNotListed, Status: http.StatusForbidden, Message: "Insufficient permissions", Reason: ReasonRouteNotListed},
}

// anyMessage is the default 403 message of a missing alternative (Any),
// followed by the alternatives.
const anyMessage = "Token does not have any of the required scopes"

// Refusals returns the refusal table of scopes: for each way an
// [Enforcer] refuses a request, the sentinel its error wraps, the status,
// the default client message and the audit reason. The 403 for a missing
// scope names it: its message is the row's followed by ": <scope>", or,
// for alternatives ([Enforcer.Any]), "Token does not have any of the
// required scopes: <scopes>"; Config.Message and
// Config.UnauthenticatedMessage replace them. The slice is the caller's
// own.
func Refusals() []gatehouse.Refusal { return slices.Clone(refusals[rNoPrincipal:]) }
